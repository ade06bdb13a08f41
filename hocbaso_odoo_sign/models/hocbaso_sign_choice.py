"""The certificate each user last signed with, per role: the signing wizard offers it first."""

from odoo import api, fields, models

from hocbaso import roles


class HocbasoSignChoice(models.Model):
    _name = "hocbaso.sign.choice"
    _description = "Last Certificate Used"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    role = fields.Selection(roles.SELECTION, required=True)
    certificate_id = fields.Many2one("hocbaso.signing.certificate", required=True,
                                     ondelete="cascade")

    _sql_constraints = [
        ("user_role_unique", "UNIQUE(user_id, role)", "One remembered certificate per role."),
    ]

    @api.model
    def _remember(self, role, certificate):
        """Keep ``certificate`` as the current user's choice for ``role``."""
        choice = self.sudo().search([("user_id", "=", self.env.uid), ("role", "=", role)],
                                    limit=1)
        if choice:
            if choice.certificate_id != certificate:
                choice.certificate_id = certificate.id
        else:
            self.sudo().create({"user_id": self.env.uid, "role": role,
                                "certificate_id": certificate.id})

    @api.model
    def _last(self, role):
        """The certificate the current user last used for ``role`` (may be empty)."""
        return self.sudo().search([("user_id", "=", self.env.uid), ("role", "=", role)],
                                  limit=1).certificate_id.with_env(self.env)
