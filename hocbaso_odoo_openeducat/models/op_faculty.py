from odoo import fields, models


class OpFaculty(models.Model):
    _inherit = "op.faculty"

    hocbaso_user_id = fields.Many2one(
        "res.users", string="Teacher User (School Records)",
        help="The user who enters and signs this faculty's results in School Records. "
             "When empty, the user of the faculty's contact is used.")

    def _hocbaso_user(self):
        """The res.users acting as this faculty member in School Records (may be empty)."""
        self.ensure_one()
        return self.hocbaso_user_id or self.partner_id.user_ids[:1]
