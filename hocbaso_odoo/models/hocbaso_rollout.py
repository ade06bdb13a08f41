"""Rollout by grade: provinces start digital records with some grades (grade 1, then 6, then
10; Hà Nội covered grades 1 to 4 first). Per school and school year the admin says which
grades produce them; record generation and the CSDL sync follow."""

from odoo import api, fields, models, _
from odoo.exceptions import UserError


class HocbasoRollout(models.Model):
    _name = "hocbaso.rollout"
    _description = "Digital Records Rollout by Grade"
    _order = "school_year_id desc, company_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", string="School", required=True,
                                 default=lambda self: self.env.company, index=True)
    school_year_id = fields.Many2one("hocbaso.school.year", required=True)
    grade_ids = fields.Many2many(
        "hocbaso.grade", string="Grades with Digital Records",
        help="Only these grades get digital records this year. A school year without a "
             "rollout line makes them for every grade.")

    _sql_constraints = [
        ("company_year_unique", "UNIQUE(company_id, school_year_id)",
         "This school already has a rollout for this school year: edit it."),
    ]

    @api.model
    def _grades(self, company, year):
        """The grades with digital records at ``company`` in ``year``; None: every grade."""
        rollout = self.sudo().search([("company_id", "=", company.id),
                                      ("school_year_id", "=", year.id)], limit=1)
        return rollout.grade_ids if rollout else None

    @api.model
    def _covered(self, records):
        """The records (hocbaso.record) whose grade is rolled out at their school and year."""
        grades = {}
        covered = records.browse()
        for record in records:
            key = (record.company_id, record.school_year_id)
            if key not in grades:
                grades[key] = self._grades(*key)
            if grades[key] is None or record.grade_id in grades[key]:
                covered |= record
        return covered

    @api.model
    def _check_class(self, klass):
        grades = self._grades(klass.company_id, klass.school_year_id)
        if grades is not None and klass.grade_id not in grades:
            raise UserError(_(
                "%(grade)s has no digital records at %(school)s in %(year)s: this year covers "
                "%(grades)s. The school admin changes it under Configuration › Rollout by "
                "Grade.", grade=klass.grade_id.name, school=klass.company_id.name,
                year=klass.school_year_id.name,
                grades=", ".join(grades.sorted("number").mapped("name")) or _("no grade")))
