"""The results the circulars define (TT27/2020, TT22/2021), computed from the subject results
and written on the record where still empty."""

import collections

from odoo import fields, models, _
from odoo.exceptions import UserError

from hocbaso import validation
from hocbaso.errors import HocbasoError
from hocbaso.rules import tt22, tt27

from ..tools import raise_as_validation_error, workflow
from .hocbaso_record import COMPETENCY_FIELDS, QUALITY_FIELDS

# the TT22 learning results: (record field, subject line field)
TT22_LEARNING_PERIODS = (("learning_s1", "semester1"), ("learning_s2", "semester2"),
                         ("learning_year", "year_result"))


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    # Read-only, so only the results computation writes it (see hocbaso.sealed.mixin). Not in
    # the signed document: it explains the learning results, which the document carries.
    learning_adjustment_note = fields.Text(
        string="Learning Result Adjustment", readonly=True,
        help="Where a learning result was raised one level under Art. 9(3) of TT22/2021 "
             "because a single subject pulled it two or more levels down: the level by the "
             "table, the level after the adjustment and that subject.")
    completed_lower_secondary = fields.Boolean(
        string="Completed Lower Secondary School", tracking=True,
        help="Grade 9: a student promoted at the end of the year, after the re-test or after "
             "the summer training has completed the lower secondary programme, and the record "
             "confirms it.")
    grade_number = fields.Integer(related="grade_id.number", string="Grade Number")

    def action_compute_results(self):
        for record in self:
            if record._is_content_frozen():
                raise UserError(_("Results can be computed only on a draft record."))
            record._fill_computed_results()
        return self._results_notification()

    def _results_notification(self):
        """What the button did: how many records now have their results, and which subjects
        each of the others still lacks (a notification, then the form reloads)."""
        missing = []
        for record in self:
            field = "level" if record.circular == "TT27" else "year_result"
            lines = record.line_ids.filtered(lambda line, field=field: not line[field])
            if lines:
                missing.append(_("%(student)s (%(subjects)s)", student=record.student_id.name,
                                 subjects=", ".join(lines.subject_id.mapped("name"))))
        message = _("Results computed for %(count)s of %(total)s records.",
                    count=len(self) - len(missing), total=len(self))
        if missing:
            message += " " + _("Subject results missing: %(records)s.",
                               records="; ".join(missing))
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"message": message, "type": "warning" if missing else "success",
                       "sticky": bool(missing),
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }

    def _fill_computed_results(self):
        """Fill what the circulars define from the subject results, where still empty.
        Records given the same values are written together (a class has few outcomes)."""
        groups = collections.defaultdict(lambda: self.browse())
        for record in self:
            try:
                vals = (record._tt27_result_vals() if record.circular == "TT27"
                        else record._tt22_result_vals())
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)
            if vals:
                groups[tuple(sorted(vals.items()))] |= record
        for vals, records in groups.items():
            vals = dict(vals)
            # the note is read-only, the system's own: written through the workflow's door
            note = {key: vals.pop(key) for key in ("learning_adjustment_note",) if key in vals}
            if vals:
                records.write(vals)
            if note:
                with workflow(self.env):
                    records.write(note)

    def _tt27_result_vals(self):
        """TT27 results computed from the levels and ratings (None while some are missing)."""
        levels = {line.subject_code: line.level for line in self.line_ids if line.level}
        tests = {line.subject_code: line.test_score for line in self.line_ids if line.test_score}
        ratings = {name: self[name] for name in COMPETENCY_FIELDS if self[name]}
        qualities = {name: self[name] for name in QUALITY_FIELDS if self[name]}
        if len(levels) < len(self.line_ids) or len(ratings) < len(COMPETENCY_FIELDS) \
                or len(qualities) < len(QUALITY_FIELDS):
            return
        vals = {}
        if not self.year_level:
            vals["year_level"] = tt27.year_level(
                levels, tests, ratings, qualities, grade=self.grade_id.number,
                ratings_optional=self.student_id.disability_not_assessed)
        level = vals.get("year_level", self.year_level)
        if not self.award:
            vals["award"] = tt27.award_for(level)
        vals["completed_class"] = tt27.completes_class(level)
        vals["completed_primary"] = tt27.completes_primary(level, self.grade_id.code)
        vals["promoted"] = vals["completed_class"] and self.grade_id.number < 5
        if not self.completion_text:
            vals["completion_text"] = tt27.completion_text(level, self.grade_id.code)
        return vals

    def _tt22_learning(self, period):
        """Learning result of ``period`` (a line field: semester1, semester2, year_result)
        under Art. 9, adjustment included, as a tt22.LearningExplanation whose subject is the
        subject line; None while no subject has a result."""
        scored, commented = {}, {}
        for line in self.line_ids:
            value = line[period]
            if not value or value == "M":
                continue
            if line.assessment == "comment":
                commented[line] = value
            else:
                scored[line] = validation.to_score(value)
        if not (scored or commented):
            return None
        return tt22.learning_result_explained(scored, commented)

    def _tt22_result_vals(self):
        """TT22 learning results (both semesters and the year) with the note of their
        adjustments, promotion, the completion of lower secondary school in grade 9 and, once
        re-test results are entered, the result after the re-test, computed from the subject
        results. Results already entered are kept."""
        vals, adjustments = {}, []
        for name, period in TT22_LEARNING_PERIODS:
            explained = self._tt22_learning(period)
            if not explained:
                continue
            if not self[name]:
                vals[name] = explained.level
            # a level entered by hand that differs from the rule's is not the rule's to explain
            if explained.adjusted and vals.get(name, self[name]) == explained.level:
                adjustments.append(self._adjustment_text(name, explained))
        note = "\n".join(adjustments) or False
        if note != self.learning_adjustment_note:
            vals["learning_adjustment_note"] = note
        learning = vals.get("learning_year", self.learning_year)
        if learning and self.conduct_year:
            results = {line.subject_code: line.year_result for line in self.line_ids
                       if line.year_result}
            conduct = self.conduct_year
            decision = tt22.promotion(learning, conduct, self.absences,
                                      subject_results=results)
            trained = decision.needs_summer_training and bool(self.conduct_reassessed)
            if trained:  # conduct re-assessed after the summer training (Art. 12)
                conduct = self.conduct_reassessed
                decision = tt22.promotion(learning, conduct, self.absences,
                                          subject_results=results)
            retests = {line.subject_code: line.retest for line in self.line_ids if line.retest}
            retested = bool(retests) and decision.needs_retest
            if retested:
                decision = tt22.after_retest(results, retests, conduct, self.absences)
                if not self.learning_reassessed:
                    vals["learning_reassessed"] = decision.learning_result
            vals["promoted"] = decision.promoted
            if self.grade_id.number == tt22.LAST_LOWER_SECONDARY_GRADE:
                vals["completed_lower_secondary"] = tt22.completes_lower_secondary(
                    decision.promoted, self.grade_id.number)
            if not self.promotion_text:
                vals["promotion_text"] = tt22.promotion_text(decision, retested, trained)
        return vals

    def _adjustment_text(self, name, explained):
        """One line of the adjustment note, in the record's language, e.g. "Semester 1: K –
        Fair (by the table: Đ – Passed), adjusted under Art. 9(3) because of Mathematics"."""
        env = self.env(context=dict(self.env.context, lang=self._document_lang()))
        periods = {"learning_s1": env._("Semester 1"), "learning_s2": env._("Semester 2"),
                   "learning_year": env._("Year")}
        levels = dict(self._fields[name]._description_selection(env))
        return env._(
            "%(period)s: %(level)s (by the table: %(table_level)s), adjusted under Art. 9(3) "
            "because of %(subject)s",
            period=periods[name], level=levels[explained.level],
            table_level=levels[explained.table_level],
            subject=explained.subject.subject_id.with_env(env).name)

    def _portal_ratings(self):
        """[(quality or competency, its rating)] of a TT27 record, in the reader's language,
        for the parent's page (the fields' own labels: no second list of them)."""
        self.ensure_one()
        ratings = []
        for name in QUALITY_FIELDS + COMPETENCY_FIELDS:
            field = self._fields[name]
            labels = dict(field._description_selection(self.env))
            if self[name]:
                ratings.append((field._description_string(self.env), labels[self[name]]))
        return ratings

