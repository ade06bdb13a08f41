from odoo import fields, models


class HocbasoSchoolLevel(models.Model):
    """School level (cấp học, macaphoc): 01 preschool … 05 continuing education."""

    _name = "hocbaso.school.level"
    _description = "School Level"
    _order = "code"

    code = fields.Char(required=True, size=2)
    name = fields.Char(required=True, translate=True)
    circular = fields.Selection(
        [("TT27", "TT27/2020 (primary)"), ("TT22", "TT22/2021 (secondary)")],
        help="Assessment circular that applies to records of this level.",
    )

    _sql_constraints = [("code_unique", "UNIQUE(code)", "This level code already exists.")]
