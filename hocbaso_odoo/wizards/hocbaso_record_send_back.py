from odoo import api, fields, models


class HocbasoRecordSendBack(models.TransientModel):
    """Send one record or a whole class back for correction before issuance."""

    _name = "hocbaso.record.send.back"
    _description = "Send Records Back for Correction"

    record_ids = fields.Many2many("hocbaso.record", string="Records", required=True)
    available_subject_ids = fields.Many2many("hocbaso.subject",
                                             compute="_compute_available_subject_ids")
    subject_ids = fields.Many2many(
        "hocbaso.subject", string="Subjects to Correct",
        domain="[('id', 'in', available_subject_ids)]",
        help="Their subject teachers correct and sign again. Leave empty when only the "
             "homeroom teacher's part (comments, learning and conduct results) needs "
             "correcting.")
    reason = fields.Text(required=True)

    @api.depends("record_ids")
    def _compute_available_subject_ids(self):
        for wizard in self:
            wizard.available_subject_ids = wizard.record_ids.line_ids.subject_id

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "record_ids" in fields_list and not values.get("record_ids") \
                and self.env.context.get("active_model") == "hocbaso.record":
            values["record_ids"] = [(6, 0, self.env.context.get("active_ids") or [])]
        return values

    def action_send_back(self):
        self.ensure_one()
        self.record_ids._send_back(self.reason, self.subject_ids)
        return {"type": "ir.actions.act_window_close"}
