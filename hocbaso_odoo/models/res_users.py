from odoo import api, fields, models

from hocbaso import validation
from hocbaso.errors import HocbasoError

from ..tools import raise_as_validation_error


class ResUsers(models.Model):
    _inherit = "res.users"

    hocbaso_personal_id = fields.Char(
        string="Personal ID Number",
        help="The 12-digit personal ID printed on the teacher's signing certificate.",
    )
    hocbaso_title = fields.Char(
        string="Title on Records", help="Printed under the signature, e.g. Hiệu trưởng, Phó hiệu trưởng."
    )

    @api.constrains("hocbaso_personal_id")
    def _check_hocbaso_personal_id(self):
        for user in self.filtered("hocbaso_personal_id"):
            try:
                validation.check_personal_id(user.hocbaso_personal_id)
            except HocbasoError as err:
                raise_as_validation_error(self.env, err)
