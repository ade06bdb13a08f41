from markupsafe import Markup, escape

from odoo import api, fields, models, _
from odoo.exceptions import UserError, ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError
from hocbaso.rules import tt22

from ..tools import lib_message

PRIMARY_LEVELS = [("T", "T – Completed well"), ("H", "H – Completed"), ("C", "C – Not completed"),
                  ("M", "M – Exempt")]

# Values that make up what a subject teacher signs; frozen after the first signature.
LINE_CONTENT_FIELDS = frozenset({
    "record_id", "subject_id", "teacher_id", "sequence", "level", "test_score",
    "s1_regular", "s1_midterm", "s1_final", "s2_regular", "s2_midterm", "s2_final",
    "semester1", "semester2", "year_result", "retest", "comment",
})


# What a teacher enters; tracked (who, when, old and new value) on the record's chatter, and
# what a teacher may change on her subject when it is sent back for correction.
RESULT_FIELDS = (
    "level", "test_score", "s1_regular", "s1_midterm", "s1_final", "semester1", "s2_regular",
    "s2_midterm", "s2_final", "semester2", "year_result", "retest", "comment",
)

MAX_REGULAR = 4  # regular assessments a semester at most (TT22 Art. 7: 2, 3 or 4)

TX_FIELDS = [f"{sem}_tx{number}" for sem in ("s1", "s2") for number in range(1, MAX_REGULAR + 1)]

SCORE_FIELDS = frozenset({"s1_midterm", "s1_final", "s2_midterm", "s2_final", "semester1",
                          "semester2", "year_result", "retest"})


# what is read as scores ("8.5", or several "8.5 9.0"); the comment is the teacher's text
SHOWN_AS_SCORES = SCORE_FIELDS | {"test_score", "s1_regular", "s2_regular"}


# the codes a subject result may hold besides scores, and the choice whose label says each in
# words ("Đ – Đạt"): what a reader sees instead of the bare code
RESULT_CODES = {"Đ": ("hocbaso.record", "learning_year"),
                "CĐ": ("hocbaso.record", "learning_year"),
                validation.EXEMPT: ("hocbaso.record.line", "level")}


def _normalise_result(value):
    if not value:
        return value
    code = validation.normalize_code(value)
    if code in RESULT_CODES:
        return code
    try:
        return validation.format_score(value)
    except HocbasoError:
        return value


class HocbasoRecordLine(models.Model):
    """One subject of a record: what the subject teacher (GVBM) enters and signs."""

    _name = "hocbaso.record.line"
    _inherit = ["hocbaso.sealed.mixin"]
    _description = "Record Subject Result"
    _order = "record_id, sequence, id"

    record_id = fields.Many2one("hocbaso.record", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    class_id = fields.Many2one(related="record_id.class_id", store=True)
    record_state = fields.Selection(related="record_id.state")
    circular = fields.Selection(related="record_id.circular")
    sequence = fields.Integer(default=10)
    subject_id = fields.Many2one("hocbaso.subject", required=True)
    subject_code = fields.Char(related="subject_id.code")
    assessment = fields.Selection(related="subject_id.assessment")
    teacher_id = fields.Many2one("res.users", string="Subject Teacher", index=True)
    # TT27 (primary)
    level = fields.Selection(PRIMARY_LEVELS, string="Rating")
    test_score = fields.Char(string="Periodic Test", size=4, help="0–10, or M if exempt")
    # TT22 (secondary): components per semester, then the averages
    s1_regular = fields.Char(string="Sem. 1 Regular Scores", help="ĐĐGtx separated by spaces")
    s1_midterm = fields.Char(string="Sem. 1 Mid-term", size=4)
    s1_final = fields.Char(string="Sem. 1 Final", size=4)
    s2_regular = fields.Char(string="Sem. 2 Regular Scores")
    s2_midterm = fields.Char(string="Sem. 2 Mid-term", size=4)
    s2_final = fields.Char(string="Sem. 2 Final", size=4)
    semester1 = fields.Char(
        string="Semester 1",
        size=4,
        compute="_compute_semesters",
        store=True,
        copy=True,
        readonly=False,
        help="ĐTBmhkI, or Đ/CĐ for comment-only subjects",
    )
    semester2 = fields.Char(
        string="Semester 2",
        size=4,
        compute="_compute_semesters",
        store=True,
        copy=True,
        readonly=False,
    )
    year_result = fields.Char(
        string="Year",
        size=4,
        compute="_compute_year_result",
        store=True,
        copy=True,
        readonly=False,
        help="ĐTBmcn; for Đ/CĐ subjects the semester 2 result",
    )
    retest = fields.Char(string="Re-test", size=4)
    # The score entry grid: one column per regular assessment. s1_regular / s2_regular stay
    # the one store of the ĐĐGtx (what is signed, tracked, averaged and exported): these
    # columns only show and edit their parts. Not stored, so there is no second copy to keep
    # in step and no migration; write() turns the columns written into that text (merged with
    # the parts not written, read from the stored text itself), so every change takes the
    # same write path (sealing, tracking, normalisation, constraints). The count is what
    # matters for the average, not the position: a column left empty between two scores
    # closes up.
    s1_tx1 = fields.Char(string="Sem. 1 TX1", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s1_tx2 = fields.Char(string="Sem. 1 TX2", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s1_tx3 = fields.Char(string="Sem. 1 TX3", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s1_tx4 = fields.Char(string="Sem. 1 TX4", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s2_tx1 = fields.Char(string="Sem. 2 TX1", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s2_tx2 = fields.Char(string="Sem. 2 TX2", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s2_tx3 = fields.Char(string="Sem. 2 TX3", size=4, compute="_compute_tx", inverse="_inverse_tx")
    s2_tx4 = fields.Char(string="Sem. 2 TX4", size=4, compute="_compute_tx", inverse="_inverse_tx")
    student_id = fields.Many2one(related="record_id.student_id", string="Student")
    student_code = fields.Char(related="record_id.student_id.student_code")
    comment = fields.Text()
    gvbm_signed = fields.Boolean(string="Signed by Subject Teacher", readonly=True, copy=False)
    gvbm_signed_date = fields.Datetime(string="Subject Teacher Signed On", readonly=True,
                                       copy=False)
    correction_open = fields.Boolean(
        string="Sent Back for Correction", readonly=True, copy=False,
        help="Its signature was withdrawn: the subject teacher corrects the results and signs "
             "again.")

    _sql_constraints = [
        ("record_subject_unique", "UNIQUE(record_id, subject_id)",
         "A subject appears only once in a record."),
    ]

    @api.depends("s1_regular", "s1_midterm", "s1_final", "s2_regular", "s2_midterm", "s2_final")
    def _compute_semesters(self):
        for line in self:
            if line.assessment != "score":
                continue
            for sem in ("s1", "s2"):
                average = line._semester_average(sem)
                if average is not None:
                    line[{"s1": "semester1", "s2": "semester2"}[sem]] = validation.format_score(
                        average
                    )

    @api.depends("s1_regular", "s2_regular")
    def _compute_tx(self):
        for line in self:
            for sem in ("s1", "s2"):
                parts = (line[f"{sem}_regular"] or "").split()
                for number in range(1, MAX_REGULAR + 1):
                    line[f"{sem}_tx{number}"] = parts[number - 1] if len(parts) >= number else False
                # more assessments than columns (typed before the grid existed): the last
                # column shows them all, so saving the grid loses none
                if len(parts) > MAX_REGULAR:
                    line[f"{sem}_tx{MAX_REGULAR}"] = " ".join(parts[MAX_REGULAR - 1:])

    def _inverse_tx(self):
        """Nothing left to do: write() has turned the columns into s1_regular / s2_regular
        (an inverse must exist for the columns to be editable)."""

    def _merge_tx(self, vals):
        """``vals`` with the TX columns it writes (one line) merged into the stored text of
        their semester: the other columns come from that text, never from a cache that may not
        hold them."""
        self.ensure_one()
        for sem in ("s1", "s2"):
            names = [f"{sem}_tx{number}" for number in range(1, MAX_REGULAR + 1)]
            if not set(names).intersection(vals):
                continue
            parts = (self[f"{sem}_regular"] or "").split()
            # more assessments than columns: the last column holds the rest (see _compute_tx)
            parts = parts[:MAX_REGULAR - 1] + [" ".join(parts[MAX_REGULAR - 1:])]
            parts += [""] * (MAX_REGULAR - len(parts))
            for number, name in enumerate(names):
                if name in vals:
                    parts[number] = (vals.pop(name) or "").strip()
            checked = [self._checked_regular(part, f"TX{number}")
                       for number, part in enumerate(parts, start=1) if part]
            vals[f"{sem}_regular"] = " ".join(checked) or False
        return vals

    @api.model
    def _tx_on_create(self, vals):
        """A new line given TX columns: their scores become its text, in column order."""
        for sem in ("s1", "s2"):
            names = [f"{sem}_tx{number}" for number in range(1, MAX_REGULAR + 1)]
            if set(names).intersection(vals):
                typed = [(number, (vals.pop(name) or "").strip())
                         for number, name in enumerate(names, start=1) if name in vals]
                checked = [self._checked_regular(part, f"TX{number}")
                           for number, part in typed if part]
                vals[f"{sem}_regular"] = " ".join(checked) or vals.get(f"{sem}_regular", False)
        return vals

    def _checked_regular(self, value, column):
        """One regular assessment typed in the grid: a score 0–10 with one decimal."""
        try:
            return " ".join(validation.format_score(validation.parse_score(part))
                            for part in value.replace(";", " ").split())
        except HocbasoError as err:
            raise ValidationError(_(
                "%(student)s, %(subject)s, %(column)s: %(problem)s",
                student=self.record_id.student_id.name, subject=self.subject_id.name,
                column=column, problem=lib_message(self.env, err))) from err

    def _semester_average(self, sem):
        midterm, final = self[f"{sem}_midterm"], self[f"{sem}_final"]
        if not (midterm and final):
            return None
        try:
            regular = [validation.to_score(v) for v in (self[f"{sem}_regular"] or "").split()]
            return tt22.semester_average(regular, validation.to_score(midterm),
                                         validation.to_score(final))
        except HocbasoError:
            return None  # the constraint below reports the bad value

    @api.depends("semester1", "semester2")
    def _compute_year_result(self):
        for line in self:
            if line.assessment == "score" and line.semester1 and line.semester2:
                try:
                    line.year_result = validation.format_score(tt22.year_average(
                        validation.to_score(line.semester1), validation.to_score(line.semester2)))
                except HocbasoError:
                    continue
            elif line.assessment == "comment" and line.semester2:
                line.year_result = line.semester2

    @api.constrains("test_score", "s1_regular", "s1_midterm", "s1_final", "s2_regular",
                    "s2_midterm", "s2_final", "semester1", "semester2", "year_result", "retest",
                    "level")
    def _check_values(self):
        for line in self:
            try:
                line._validate_values()
            except HocbasoError as err:
                raise ValidationError(_("%(subject)s: %(problem)s", subject=line.subject_id.name,
                                        problem=lib_message(self.env, err))) from err

    def _validate_values(self):
        if self.test_score:
            validation.check_primary_test_score(self.test_score)
        if self.assessment in ("level", "level_test") and self.level:
            validation.check_level(validation.PRIMARY_SUBJECT, self.level)
        for name in ("s1_midterm", "s1_final", "s2_midterm", "s2_final"):
            if self[name]:
                validation.parse_score(self[name])
        for name in ("s1_regular", "s2_regular"):
            for value in (self[name] or "").split():
                validation.parse_score(value)
        for name in ("semester1", "semester2", "year_result", "retest"):
            if self[name]:
                validation.check_secondary_subject_value(
                    self[name], "comment" if self.assessment == "comment" else "score")

    # --- immutability -------------------------------------------------------------------
    def _hocbaso_open_rows(self):
        return self.filtered(lambda line: line.correction_open and not line.gvbm_signed)

    def _check_content_writable(self, field_names):
        frozen = LINE_CONTENT_FIELDS.intersection(field_names)
        if not frozen:
            return
        for line in self:
            if line._hocbaso_open_rows():
                if line.teacher_id != self.env.user or not frozen <= set(RESULT_FIELDS):
                    raise UserError(_(
                        "%(subject)s in the record of %(student)s was sent back to its subject "
                        "teacher, %(teacher)s: only she or he corrects its results.",
                        subject=line.subject_id.name, student=line.record_id.student_id.name,
                        teacher=line.teacher_id.name or "?"))
                continue
            if line.gvbm_signed or line.record_id._is_content_frozen():
                raise UserError(_(
                    "The results of %(subject)s in the record of %(student)s are signed or locked "
                    "and cannot be changed. Ask the school to revoke the record and issue a "
                    "corrected version.",
                    subject=line.subject_id.name, student=line.record_id.student_id.name))

    # --- history of the results ------------------------------------------------------------
    def _results_before(self, vals):
        if not set(RESULT_FIELDS).intersection(vals) or self.env.context.get("tracking_disable") \
                or self.env.context.get("mail_notrack"):
            return None
        return {line.id: {name: line[name] for name in RESULT_FIELDS} for line in self}

    @api.model
    def _local_scores(self, text):
        """Scores as the screens show them to this environment's reader: her language's
        decimal separator ("8,5" in Vietnamese)."""
        point = self.env["res.lang"]._get_data(code=self.env.lang or "en_US").decimal_point
        return validation.show_scores(text, point)

    def _log_result_changes(self, before):
        """One note per record: each changed result with its old and new value (the note's
        author and date say who and when)."""
        if not before:
            return
        labels = {name: self._fields[name]._description_string(self.env)
                  for name in RESULT_FIELDS}
        by_record = {}
        for line in self:
            for name in RESULT_FIELDS:
                old, new = before[line.id][name] or "", line[name] or ""
                if old != new:
                    shown = [self._local_scores(value) if name in SHOWN_AS_SCORES else value
                             for value in (old, new)]
                    by_record.setdefault(line.record_id, []).append(Markup(
                        "<li>%s – %s: %s → %s</li>") % (
                        line.subject_id.name, labels[name], shown[0] or "∅", shown[1] or "∅"))
        for record, items in by_record.items():
            record.sudo()._message_log(body=Markup("%s<ul>%s</ul>") % (
                escape(_("Results changed:")), Markup("").join(items)))

    @api.model
    def _normalise_vals(self, vals):
        """Store what teachers type (7,5 / 8 / cđ) in the catalogue form (7.5 / 8.0 / CĐ).

        Values that cannot be read are left as typed: the constraint then says what is wrong.
        """
        for name in SCORE_FIELDS.intersection(vals):
            vals[name] = _normalise_result(vals[name])
        for name in ("s1_regular", "s2_regular"):
            if vals.get(name):
                vals[name] = " ".join(
                    _normalise_result(v) for v in vals[name].replace(";", " ").split()
                )
        if vals.get("test_score"):
            vals["test_score"] = validation.normalize_code(vals["test_score"])
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._tx_on_create(dict(vals)) for vals in vals_list]
        vals_list = [self._normalise_vals(vals) for vals in vals_list]
        records = self.env["hocbaso.record"].browse(
            [vals["record_id"] for vals in vals_list if vals.get("record_id")])
        for record in records:
            if record._is_content_frozen():
                raise UserError(_("Subjects cannot be added to a locked or signed record."))
        return super().create(vals_list)

    def write(self, vals):
        if set(TX_FIELDS).intersection(vals):
            if len(self) > 1:  # each line merges the columns into its own text
                for line in self:
                    line.write(vals)
                return True
            self.check_access("write")  # who may not write hears that before a score check
            vals = self._merge_tx(dict(vals))
        vals = self._normalise_vals(dict(vals))
        self._check_content_writable(vals)
        before = self._results_before(vals)
        res = super().write(vals)
        self._log_result_changes(before)
        if set(RESULT_FIELDS).intersection(vals):
            self.record_id._on_results_changed(self)
        return res

    def unlink(self):
        self._check_content_writable(LINE_CONTENT_FIELDS)
        return super().unlink()
