import re

from odoo import _, models
from odoo.exceptions import UserError

YEAR_RE = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{4})\s*$")


class OpAcademicYear(models.Model):
    _inherit = "op.academic.year"

    def _hocbaso_school_year_name(self):
        """"YYYY-YYYY": from the name when it has that form, else from the dates."""
        self.ensure_one()
        match = YEAR_RE.match(self.name or "")
        if match:
            return f"{match.group(1)}-{match.group(2)}"
        if self.start_date and self.end_date:
            return f"{self.start_date.year}-{self.end_date.year}"
        raise UserError(_("Academic year %(year)s has no dates to derive the school year from.",
                          year=self.name))

    def _hocbaso_school_year(self):
        """The matching hocbaso.school.year, created when missing."""
        self.ensure_one()
        return self.env["hocbaso.school.year"]._hocbaso_get_or_create(
            self._hocbaso_school_year_name(), self.start_date, self.end_date)
