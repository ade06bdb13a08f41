from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

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

    # --- staff in a role ---------------------------------------------------------------------
    @api.model
    def _hocbaso_staff_domain(self, group_xmlid):
        """Pickers of a role offer the school's staff holding it (the school: check_company)."""
        return [("share", "=", False), ("groups_id", "in", self.env.ref(group_xmlid).ids)]

    def _hocbaso_check_staff(self, group_xmlid, company, what):
        """Refuse, in words, a user who is not staff of ``company`` holding the role: a parent
        saved as a class's homeroom teacher would see and sign its records."""
        group = self.env.ref(group_xmlid)
        for user in self.sudo():
            if user.share or group not in user.groups_id or company not in user.company_ids:
                raise ValidationError(_(
                    "%(user)s cannot be %(what)s at %(school)s: choose a staff member of the "
                    "school with the role %(role)s (the school admin gives roles).",
                    user=user.name, what=what, school=company.name, role=group.name))
