"""Score entry as Vietnamese teachers know it: one class, one subject, one term, one row per
student and one column per assessment (TX1…TXn, GK, CK), like the paper gradebook.

The grid edits the record lines themselves (the Many2many below): there is no second store of
scores, so the write path, the sealing of signed records, the tracking of changes and the
constraints are those of hocbaso.record.line. The screen only chooses the lines, and checks on
the server who may open them.
"""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..models.hocbaso_record_line import MAX_REGULAR

# records whose lines are shown: the live ones (a revoked or superseded version is history)
SHOWN_STATES = ("draft", "locked", "gvbm_signed", "gvcn_signed", "leader_signed", "issued")
SCHOOL_WIDE_GROUPS = ("hocbaso_odoo.group_leadership", "hocbaso_odoo.group_school_admin")


class HocbasoScoreEntry(models.TransientModel):
    _name = "hocbaso.score.entry"
    _description = "Score Entry"

    school_year_id = fields.Many2one(
        "hocbaso.school.year", required=True,
        default=lambda self: self.env["hocbaso.school.year"].search([], limit=1))
    allowed_class_ids = fields.Many2many("hocbaso.class", compute="_compute_allowed")
    class_id = fields.Many2one("hocbaso.class",
                               domain="[('id', 'in', allowed_class_ids)]")
    allowed_subject_ids = fields.Many2many("hocbaso.subject", compute="_compute_allowed")
    subject_id = fields.Many2one("hocbaso.subject",
                                 domain="[('id', 'in', allowed_subject_ids)]")
    circular = fields.Selection(related="class_id.level_id.circular")
    assessment = fields.Selection(related="subject_id.assessment")
    term = fields.Selection(
        [("s1", "Semester 1"), ("s2", "Semester 2"), ("year", "End of Year")],
        compute="_compute_term", store=True, readonly=False,
        help="Secondary schools (TT22) enter the scores of each semester; primary schools "
             "(TT27) the rating and the periodic test at the end of the year.")
    tx_count = fields.Integer(related="subject_id.regular_count")
    line_ids = fields.Many2many(
        "hocbaso.record.line", string="Students", compute="_compute_line_ids", store=True,
        readonly=False)

    # the grid's "sent back" column, shown only when a row of it is (an empty column crowds
    # the names and scores)
    correction_shown = fields.Boolean(compute="_compute_correction_shown",
                                      string="A Result Is Sent Back")

    @api.depends("line_ids.correction_open")
    def _compute_correction_shown(self):
        for entry in self:
            entry.correction_shown = any(entry.line_ids.mapped("correction_open"))

    @api.depends("class_id", "subject_id", "term")
    def _compute_display_name(self):
        terms = dict(self._fields["term"]._description_selection(self.env))
        for entry in self:
            parts = [entry.subject_id.name, entry.class_id.name, terms.get(entry.term)]
            entry.display_name = " – ".join(part for part in parts if part) or self.env._(
                "Score Entry")

    # --- who sees what -----------------------------------------------------------------------
    @api.model
    def _allowed_assignments(self):
        """The (class, subject) pairs the user enters scores for: her own teaching
        assignments, every subject of the classes she is homeroom teacher of, and the whole
        school for the leadership. Found as superuser and bounded here by the user's schools."""
        user = self.env.user
        domain = [("company_id", "in", self.env.companies.ids)]
        if not any(user.has_group(group) for group in SCHOOL_WIDE_GROUPS):
            domain += ["|", ("teacher_id", "=", user.id),
                       ("class_id.homeroom_teacher_id", "=", user.id)]
        return self.env["hocbaso.teaching.assignment"].sudo().search(domain)

    @api.depends("school_year_id", "class_id")
    def _compute_allowed(self):
        assignments = self._allowed_assignments()
        for entry in self:
            year, klass = entry.school_year_id, entry.class_id
            mine = assignments.filtered(lambda a, year=year: a.class_id.school_year_id == year)
            entry.allowed_class_ids = mine.class_id
            entry.allowed_subject_ids = mine.filtered(
                lambda a, klass=klass: a.class_id == klass).subject_id

    def _is_allowed(self):
        return bool(self._allowed_assignments().filtered(
            lambda a: a.class_id == self.class_id and a.subject_id == self.subject_id))

    def _check_entry_access(self):
        """Refuse, on the server, a class and subject the user does not teach."""
        for entry in self:
            if not (entry.class_id and entry.subject_id):
                continue
            if not entry._is_allowed():
                raise AccessError(_(
                    "You do not teach %(subject)s in %(klass)s: only its subject teacher, the "
                    "homeroom teacher of the class and the school leadership enter its scores.",
                    subject=entry.subject_id.name, klass=entry.class_id.display_name))
            entry._check_term()

    def _check_term(self):
        if not self.term:
            return
        if (self.circular == "TT27") != (self.term == "year"):
            raise UserError(_("Primary classes (TT27) enter their results at the end of the "
                              "year, secondary classes (TT22) for semester 1 or semester 2."))

    @api.depends("class_id")
    def _compute_term(self):
        for entry in self:
            if entry.circular == "TT27":
                entry.term = "year"
            elif entry.term not in ("s1", "s2"):
                entry.term = "s1"

    @api.onchange("school_year_id")
    def _onchange_school_year_id(self):
        if self.class_id and self.class_id.school_year_id != self.school_year_id:
            self.class_id = False

    @api.onchange("class_id")
    def _onchange_class_id(self):
        if self.subject_id and self.subject_id not in self.allowed_subject_ids:
            self.subject_id = False

    @api.depends("class_id", "subject_id")
    def _compute_line_ids(self):
        # not by user: a stored field may be computed at flush time, in another environment;
        # create and write refuse a pair the user does not teach, and the lines are read
        # with her record rules
        for entry in self:
            entry.line_ids = entry._lines()

    def _lines(self):
        """The lines of the class's live records for the subject, by student name, read with
        the user's own rights."""
        if not (self.class_id and self.subject_id):
            return self.env["hocbaso.record.line"]
        lines = self.env["hocbaso.record.line"].search([
            ("record_id.class_id", "=", self.class_id.id),
            ("record_id.state", "in", SHOWN_STATES),
            ("subject_id", "=", self.subject_id.id)])
        return lines.sorted(lambda line: (line.record_id.student_id.name or "", line.id))

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        entries._check_entry_access()
        return entries

    def write(self, vals):
        res = super().write(vals)
        self._check_entry_access()
        return res

    # --- what a row lacks --------------------------------------------------------------------
    def _term_field(self):
        return {"s1": "semester1", "s2": "semester2"}.get(self.term, "year_result")

    def _missing_of(self, line):
        """Labels of what the line still lacks for the term (empty when complete)."""
        if self.term == "year":
            missing = [] if line.level else [_("rating")]
            if line.assessment == "level_test" and not line.test_score:
                missing.append(_("periodic test"))
            return missing
        if line.assessment != "score":
            return [] if line[self._term_field()] else [_("result")]
        missing = []
        for number in range(1, min(self.tx_count, MAX_REGULAR) + 1):
            if not line[f"{self.term}_tx{number}"]:
                missing.append(f"TX{number}")
        if not line[f"{self.term}_midterm"]:
            missing.append(_("mid-term"))
        if not line[f"{self.term}_final"]:
            missing.append(_("final"))
        return missing

    # --- buttons -----------------------------------------------------------------------------
    def action_save(self):
        """The grid is saved with the screen (the client saves before calling a button)."""
        self.ensure_one()
        self._check_entry_access()
        return self._notify(_("Scores saved."), "success")

    def action_compute_results(self):
        """The term's subject average of every student whose scores are complete (ĐTBmhk,
        TT22), and the list of the students still missing scores. The rows the grid shows
        read-only (locked or signed record) are skipped and counted, not reported missing:
        nobody can enter their scores here."""
        self.ensure_one()
        self._check_entry_access()
        lines = self._lines()
        editable = lines.filtered(self._is_editable)
        skipped = len(lines) - len(editable)
        computed, missing = 0, []
        for line in editable:
            lacking = self._missing_of(line)
            if lacking:
                missing.append(_("%(student)s (%(what)s)", student=line.student_id.name,
                                 what=", ".join(lacking)))
                continue
            if self.term in ("s1", "s2") and line.assessment == "score":
                self._write_average(line)
            computed += 1
        term = dict(self._fields["term"]._description_selection(self.env))[self.term]
        if editable:
            message = _("%(subject)s, %(klass)s, %(term)s: results computed for %(count)s of "
                        "%(total)s students.", subject=self.subject_id.name,
                        klass=self.class_id.display_name, term=term, count=computed,
                        total=len(editable))
        else:
            message = _("%(subject)s, %(klass)s, %(term)s: no results to compute.",
                        subject=self.subject_id.name, klass=self.class_id.display_name,
                        term=term)
        if missing:
            message += " " + _("Scores missing: %(students)s.", students="; ".join(missing))
        if skipped == 1:
            message += " " + _("1 student skipped: the record is locked or signed (see the "
                               "Status column).")
        elif skipped:
            message += " " + _("%(count)s students skipped: their records are locked or "
                               "signed (see the Status column).", count=skipped)
        return self._notify(message, "warning" if missing or not editable else "success")

    @staticmethod
    def _is_editable(line):
        """Whether the grid lets the row be edited (the rule of its readonly columns): the
        record is a draft, or the subject was sent back to its teacher for correction."""
        return line.record_state == "draft" or line.correction_open

    def _write_average(self, line):
        sem = self.term
        try:
            average = validation.format_score(line._semester_average(sem))
        except (HocbasoError, TypeError):
            return
        name = self._term_field()
        if line[name] != average and self._is_editable(line):
            line.write({name: average})

    def _notify(self, message, kind):
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"message": message, "type": kind, "sticky": kind != "success",
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }
