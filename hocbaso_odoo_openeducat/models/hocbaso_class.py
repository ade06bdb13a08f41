from odoo import api, fields, models


class HocbasoClass(models.Model):
    _inherit = "hocbaso.class"

    op_batch_id = fields.Many2one("op.batch", string="OpenEduCat Batch", index=True, copy=False,
                                  ondelete="set null")
    op_course_id = fields.Many2one(related="op_batch_id.course_id", string="OpenEduCat Course")

    _sql_constraints = [
        ("op_batch_year_company_unique", "UNIQUE(op_batch_id, school_year_id, company_id)",
         "This OpenEduCat batch already has a class in this school year."),
    ]


class HocbasoSchoolYear(models.Model):
    _inherit = "hocbaso.school.year"

    @api.model
    def _hocbaso_get_or_create(self, name, date_start=False, date_end=False):
        year = self.with_context(active_test=False).search([("name", "=", name)], limit=1)
        return year or self.create({"name": name, "date_start": date_start,
                                    "date_end": date_end})
