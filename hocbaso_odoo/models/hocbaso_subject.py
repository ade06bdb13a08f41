from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class HocbasoSubject(models.Model):
    """Subject catalogue per level and grade (TT32/2018 as amended by TT13/2022).

    Codes are seeded from hocbaso.subjects and stay editable: the Ministry's official code
    lists are not public yet, and a school may need to align with its Sở.
    """

    _name = "hocbaso.subject"
    _description = "Subject"
    _order = "level_id, sequence, code"

    code = fields.Char(string="Subject Code", required=True, size=10)  # <mamonhoc> in the XML
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    level_id = fields.Many2one("hocbaso.school.level", required=True)
    grade_ids = fields.Many2many("hocbaso.grade", string="Grades")
    assessment = fields.Selection(
        [
            ("level_test", "Rating and periodic test (TT27)"),
            ("level", "Rating only (TT27)"),
            ("score", "10-point score (TT22)"),
            ("comment", "Passed / not passed (TT22)"),
        ],
        required=True,
        default="score",
    )
    requirement = fields.Selection(
        [("compulsory", "Compulsory"), ("elective", "Elective"), ("optional", "Optional")],
        default="compulsory", required=True)
    active = fields.Boolean(default=True)

    @api.constrains("code", "level_id", "grade_ids", "active")
    def _check_code_unique_per_grade(self):
        for subject in self.filtered("active"):
            twins = self.search([("id", "!=", subject.id), ("code", "=", subject.code),
                                 ("level_id", "=", subject.level_id.id)])
            if twins.filtered(lambda t: t.grade_ids & subject.grade_ids):
                raise ValidationError(_("Subject code %(code)s is already used in the same grades.",
                                        code=subject.code))

    def _hocbaso_taught_in(self, klass):
        """Whether this subject belongs to the class's level and grade (a subject without
        grades: every grade of its level)."""
        self.ensure_one()
        return self.level_id == klass.level_id and (
            not self.grade_ids or klass.grade_id in self.grade_ids)
