from odoo import api, fields, models

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..tools import raise_as_validation_error


class HocbasoStudyHistory(models.Model):
    """Study history (quá trình học tập): one line per school year and school attended."""

    _name = "hocbaso.study.history"
    _description = "Study History"
    _order = "school_year"

    student_id = fields.Many2one("hocbaso.student", required=True, ondelete="cascade")
    company_id = fields.Many2one(
        related="student_id.company_id", store=True, string="Current School"
    )
    school_year = fields.Char(required=True, size=9)
    class_name = fields.Char(string="Class", size=10)
    school_name = fields.Char(string="School")
    province_name = fields.Char(string="Province")
    transfer_in_date = fields.Date(string="Transfer-in Date")

    @api.constrains("school_year")
    def _check_school_year(self):
        for line in self:
            try:
                validation.check_school_year(line.school_year)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)
