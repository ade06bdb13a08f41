from odoo import fields, models


class HocbasoRecordRevoke(models.TransientModel):
    _name = "hocbaso.record.revoke"
    _description = "Revoke a Record"

    record_ids = fields.Many2many("hocbaso.record", string="Records", required=True)
    reason = fields.Text(required=True)

    def action_revoke(self):
        self.ensure_one()
        self.record_ids._revoke(self.reason)
        return {"type": "ir.actions.act_window_close"}
