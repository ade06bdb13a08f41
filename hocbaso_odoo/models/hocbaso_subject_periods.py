from odoo import api, fields, models

from hocbaso.rules import tt22


class HocbasoSubject(models.Model):
    """Periods a year of a subject, which decide its number of regular assessments (TT22)."""

    _inherit = "hocbaso.subject"

    periods_per_year = fields.Integer(
        string="Periods per Year",
        help="Periods a year in the curriculum (TT32/2018). Under TT22 a subject scored on 10 "
             "points has 2 regular assessments (TX) per semester up to 35 periods a year, 3 up "
             "to 70 and 4 above; left empty, the score entry offers 4.")
    regular_count = fields.Integer(
        string="Regular Assessments per Semester", compute="_compute_regular_count")

    _sql_constraints = [
        ("periods_per_year_range", "CHECK(periods_per_year >= 0 AND periods_per_year <= 400)",
         "Periods per year must be between 0 and 400."),
    ]

    @api.depends("periods_per_year")
    def _compute_regular_count(self):
        for subject in self:
            subject.regular_count = tt22.regular_assessment_count(subject.periods_per_year)
