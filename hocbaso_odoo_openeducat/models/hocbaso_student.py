from odoo import fields, models


class HocbasoStudent(models.Model):
    _inherit = "hocbaso.student"

    op_student_id = fields.Many2one("op.student", string="OpenEduCat Student", index=True,
                                    copy=False, ondelete="set null")

    _sql_constraints = [
        ("op_student_unique", "UNIQUE(op_student_id)",
         "This OpenEduCat student is already linked to another school-record student."),
    ]
