from odoo import fields, models


class HocbasoGrade(models.Model):
    """Grade (khối, makhoi): 1 to 12."""

    _name = "hocbaso.grade"
    _description = "Grade"
    _order = "sequence, code"

    code = fields.Char(required=True, size=2, help="makhoi, e.g. 01 … 12")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    number = fields.Integer(required=True, help="Grade as a number, 1 to 12.")
    level_id = fields.Many2one("hocbaso.school.level", required=True)

    _sql_constraints = [("code_unique", "UNIQUE(code)", "This grade code already exists.")]
