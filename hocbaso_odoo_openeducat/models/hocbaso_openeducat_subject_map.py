"""Which OpenEduCat subject is which School Records subject, and which exams feed which result."""

from decimal import ROUND_HALF_UP, Decimal

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

TARGETS = [
    ("none", "Subject and teacher only"),
    ("s1_regular", "TT22 Sem. 1 regular scores"),
    ("s1_midterm", "TT22 Sem. 1 mid-term"),
    ("s1_final", "TT22 Sem. 1 final"),
    ("s2_regular", "TT22 Sem. 2 regular scores"),
    ("s2_midterm", "TT22 Sem. 2 mid-term"),
    ("s2_final", "TT22 Sem. 2 final"),
    ("semester1", "TT22 Semester 1 average"),
    ("semester2", "TT22 Semester 2 average"),
    ("test_score", "TT27 periodic test score"),
]
REGULAR_TARGETS = ("s1_regular", "s2_regular")
TEN = Decimal(10)


def convert_marks(marks, total_marks, whole=False):
    """Marks out of ``total_marks`` on the 10-point scale, rounded half-up.

    One decimal for TT22 scores (marks × 10 / total, 8.25 -> 8.3); a whole number for TT27
    periodic tests (whole=True), which are marked without decimals.
    """
    total = Decimal(int(total_marks))
    if total <= 0:
        raise ValueError("total marks must be positive")
    value = Decimal(int(marks)) if total == TEN else Decimal(int(marks)) * TEN / total
    return value.quantize(Decimal("1") if whole else Decimal("0.1"), rounding=ROUND_HALF_UP)


class HocbasoOpenEduCatSubjectMap(models.Model):
    _name = "hocbaso.openeducat.subject.map"
    _description = "OpenEduCat Subject Mapping"
    _order = "company_id, op_subject_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company)
    op_subject_id = fields.Many2one("op.subject", string="OpenEduCat Subject", required=True,
                                    ondelete="cascade")
    course_id = fields.Many2one("op.course", string="OpenEduCat Course", ondelete="cascade",
                                help="Only for batches of this course; empty for every course.")
    subject_id = fields.Many2one("hocbaso.subject", string="School Records Subject",
                                 required=True, ondelete="cascade")
    assessment = fields.Selection(related="subject_id.assessment")
    faculty_id = fields.Many2one(
        "op.faculty", string="Teacher (Faculty)",
        help="Subject teacher of the record lines. When empty, the one faculty member "
             "teaching this OpenEduCat subject is used.")
    target_field = fields.Selection(
        TARGETS, string="Feeds", required=True, default="none",
        help="Which result of the record line the marks of the matching exams go into.")
    exam_session_id = fields.Many2one("op.exam.session",
                                      ondelete="cascade",
                                      help="Only exams of this session feed the result.")
    exam_type_id = fields.Many2one("op.exam.type",
                                   help="Only exams of sessions of this type feed the result.")
    convert_scale = fields.Boolean(
        string="Convert to 10-point Scale", default=True,
        help="Marks of exams not marked out of 10 become marks × 10 / total marks, rounded "
             "half-up to one decimal (to a whole number for TT27 tests).")

    @api.depends("op_subject_id", "subject_id", "target_field")
    def _compute_display_name(self):
        labels = dict(self._fields["target_field"]._description_selection(self.env))
        for row in self:
            row.display_name = "%s → %s (%s)" % (row.op_subject_id.name or "",
                                                 row.subject_id.name or "",
                                                 labels.get(row.target_field, ""))

    @api.constrains("target_field", "subject_id", "exam_session_id", "exam_type_id")
    def _check_target(self):
        for row in self:
            if row.target_field == "none":
                continue
            if row.target_field == "test_score" and row.subject_id.assessment != "level_test":
                raise ValidationError(_(
                    "%(subject)s has no periodic test: only TT27 subjects rated with a test "
                    "take a test score.", subject=row.subject_id.name))
            if row.target_field != "test_score" and row.subject_id.assessment != "score":
                raise ValidationError(_(
                    "%(subject)s is not marked with a 10-point score: exam marks cannot feed "
                    "its TT22 results.", subject=row.subject_id.name))
            if not (row.exam_session_id or row.exam_type_id):
                raise ValidationError(_(
                    "Choose the exam session or the exam type whose marks feed %(subject)s.",
                    subject=row.subject_id.name))

    @api.constrains("op_subject_id", "subject_id", "course_id", "company_id", "active")
    def _check_one_subject(self):
        for row in self.filtered("active"):
            others = self.search([
                ("id", "!=", row.id), ("company_id", "=", row.company_id.id),
                ("op_subject_id", "=", row.op_subject_id.id),
                ("course_id", "=", row.course_id.id), ("subject_id", "!=", row.subject_id.id)])
            if others:
                raise ValidationError(_(
                    "OpenEduCat subject %(op)s is already mapped to %(subject)s: one OpenEduCat "
                    "subject feeds one School Records subject per course.",
                    op=row.op_subject_id.name, subject=others[0].subject_id.name))

    # --- used by the import wizard ---------------------------------------------------------
    @api.model
    def _for_batch(self, batch, company):
        """Active rows applying to ``batch``; course-specific rows win over generic ones."""
        rows = self.search([("company_id", "=", company.id),
                            ("course_id", "in", [False, batch.course_id.id])])
        specific = rows.filtered("course_id").mapped("op_subject_id")
        return rows.filtered(lambda r: r.course_id or r.op_subject_id not in specific)

    def _teacher(self):
        """The res.users teaching this row's subject (empty when nobody can be found)."""
        self.ensure_one()
        if self.faculty_id:
            return self.faculty_id._hocbaso_user()
        faculty = self.env["op.faculty"].search(
            [("faculty_subject_ids", "in", self.op_subject_id.ids)])
        users = self.env["res.users"]
        for member in faculty:
            users |= member._hocbaso_user()
        return users if len(users) == 1 else self.env["res.users"]

    def _exams(self, batch):
        """The exams of ``batch`` whose marks feed this row, oldest first."""
        self.ensure_one()
        domain = [("subject_id", "=", self.op_subject_id.id),
                  ("session_id.batch_id", "=", batch.id),
                  ("state", "!=", "cancel"), ("session_id.state", "!=", "cancel")]
        if self.exam_session_id:
            domain.append(("session_id", "=", self.exam_session_id.id))
        if self.exam_type_id:
            domain.append(("session_id.exam_type", "=", self.exam_type_id.id))
        return self.env["op.exam"].search(domain).sorted(lambda e: (e.start_time, e.id))

    def _marks(self, exams, op_student):
        """{exam: marks} from the marksheets (op.result.line) of ``op_student``.

        Lines of cancelled marksheet registers are ignored; the newest line wins.
        """
        lines = self.env["op.result.line"].search(
            [("exam_id", "in", exams.ids), ("student_id", "=", op_student.id)], order="id")
        marks = {}
        for line in lines:
            if line.marksheet_line_id.marksheet_reg_id.state == "cancelled":
                continue
            marks[line.exam_id] = line.marks
        return marks

    def _value(self, batch, op_student):
        """(value for the record line or None, warning or None) for one student."""
        self.ensure_one()
        exams = self._exams(batch)
        marks = self._marks(exams, op_student)
        if not marks:
            return None, None
        converted = []
        for exam in exams.filtered(lambda e: e in marks):
            total = exam.total_marks
            if total != 10 and not self.convert_scale:
                return None, _(
                    "%(exam)s is marked out of %(total)s and scale conversion is off for "
                    "%(subject)s.", exam=exam.name, total=total, subject=self.subject_id.name)
            value = convert_marks(marks[exam], total, whole=self.target_field == "test_score")
            if value > TEN:
                return None, _("%(exam)s: marks %(marks)s are above the total %(total)s.",
                               exam=exam.name, marks=marks[exam], total=total)
            converted.append(str(value))
        if self.target_field in REGULAR_TARGETS:
            return " ".join(converted), None
        return converted[-1], None  # several exams for one result: the latest one counts
