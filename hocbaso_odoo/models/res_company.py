from odoo import api, fields, models, _
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """A school is a company: multi-company rules then scope every record to its school."""

    _inherit = "res.company"

    hocbaso_is_school = fields.Boolean(string="Is a School")
    hocbaso_school_code = fields.Char(
        string="MOET School Code",
        size=20,
        help="matruong: Sở code + commune code + running number, as issued by the Ministry.",
    )
    hocbaso_department_code = fields.Char(string="Department (Sở) Code", size=2)
    hocbaso_department_name = fields.Char(string="Department (Sở) Name")
    hocbaso_commune_code = fields.Char(string="Commune Code", size=5)
    hocbaso_commune_name = fields.Char(string="Commune Name")
    hocbaso_province_code = fields.Char(string="Province Code", size=2)
    hocbaso_province_name = fields.Char(string="Province Name")
    hocbaso_district_name = fields.Char(string="District Name")
    hocbaso_level_ids = fields.Many2many(
        "hocbaso.school.level", string="School Levels", help="Levels taught (macaphoc 01–05)."
    )
    hocbaso_issue_place = fields.Char(
        string="Place of Issue",
        help="The place printed before the date on issued records (the city or province).")
    hocbaso_xml_profile = fields.Selection(
        [("hocbaso-1.0", "hocbaso-1.0"), ("hocbaso-1.1", "hocbaso-1.1")],
        string="XML Profile",
        default="hocbaso-1.0",
        help="Format of the record XML. hocbaso-1.1 adds the identity document of a student "
             "without a personal ID and the lifelong learning code; such students get it "
             "whatever is chosen here. An official Ministry schema can be added as a new "
             "profile.",
    )

    _sql_constraints = [
        (
            "hocbaso_school_code_unique",
            "UNIQUE(hocbaso_school_code)",
            "Another school already uses this MOET school code.",
        ),
    ]

    @api.constrains("hocbaso_school_code", "hocbaso_department_code", "hocbaso_province_code")
    def _check_hocbaso_codes(self):
        for company in self:
            if company.hocbaso_school_code and not company.hocbaso_school_code.isalnum():
                raise ValidationError(
                    _("The MOET school code may contain only letters and digits.")
                )
            for code in (company.hocbaso_department_code, company.hocbaso_province_code):
                if code and not (len(code) == 2 and code.isdigit()):
                    raise ValidationError(
                        _("Department and province codes are two digits, e.g. 01.")
                    )

    def _hocbaso_issue_place(self):
        """The place a record issued by this school names before its date (the form, the XML
        and the printed form): the one set for the school, else its province."""
        self.ensure_one()
        return self.hocbaso_issue_place or self.hocbaso_province_name or False
