from odoo import api, fields, models, _
from odoo.exceptions import ValidationError

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..tools import raise_as_validation_error


class HocbasoSchoolYear(models.Model):
    _name = "hocbaso.school.year"
    _description = "School Year"
    _order = "name desc"

    name = fields.Char(
        string="School Year", required=True, size=9, help="YYYY-YYYY, e.g. 2024-2025"
    )
    date_start = fields.Date(string="Start Date")
    date_end = fields.Date(string="End Date")
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_unique", "UNIQUE(name)", "This school year already exists.")]

    @api.constrains("name")
    def _check_name(self):
        for year in self:
            try:
                validation.check_school_year(year.name)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for year in self:
            if year.date_start and year.date_end and year.date_start > year.date_end:
                raise ValidationError(_("A school year must start before it ends."))
