from odoo import fields, models

# OpenEduCat gender -> QCVN 109:2017 sex code used by hocbaso.student
GENDER_TO_SEX = {"m": "1", "f": "2"}


class OpStudent(models.Model):
    _inherit = "op.student"

    hocbaso_personal_id = fields.Char(
        string="Personal ID Number (CCCD)", tracking=True,
        help="The 12-digit personal identification number printed on the digital school "
             "record. OpenEduCat has no such field: enter it before creating records.")
    hocbaso_student_ids = fields.One2many(
        "hocbaso.student", "op_student_id", string="School Record Students")

    def _hocbaso_sex(self):
        self.ensure_one()
        return GENDER_TO_SEX.get(self.gender, "0")

    def _hocbaso_birth_date(self):
        self.ensure_one()
        return fields.Date.to_string(self.birth_date) if self.birth_date else False
