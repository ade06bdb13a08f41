from odoo import models


class HocbasoClass(models.Model):
    _inherit = "hocbaso.class"

    def action_sign_class(self):
        """Open the signing wizard on every record of the class still waiting for signatures."""
        self.ensure_one()
        records = self.env["hocbaso.record"].search([
            ("class_id", "=", self.id),
            ("state", "in", ("locked", "gvbm_signed", "gvcn_signed", "leader_signed"))])
        return records.action_open_sign_wizard()
