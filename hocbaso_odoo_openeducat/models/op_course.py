from odoo import fields, models


class OpCourse(models.Model):
    _inherit = "op.course"

    hocbaso_grade_id = fields.Many2one(
        "hocbaso.grade", string="Grade (School Records)",
        help="The grade (khối) of the school-record classes created from this course's batches.")
