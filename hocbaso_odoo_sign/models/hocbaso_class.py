from odoo import _, models
from odoo.exceptions import UserError


class HocbasoClass(models.Model):
    _inherit = "hocbaso.class"

    def action_sign_class(self):
        """Open the signing wizard on the records of the class waiting for my signature (the
        button shows only when there are some: waiting_for_me_count)."""
        self.ensure_one()
        records = self.env["hocbaso.record"].search([("class_id", "=", self.id),
                                                     ("waiting_for_me", "=", True)])
        if not records:  # a screen opened before someone else's step
            raise UserError(_("No record of %(klass)s waits for your signature.",
                              klass=self.display_name))
        return records.action_open_sign_wizard()
