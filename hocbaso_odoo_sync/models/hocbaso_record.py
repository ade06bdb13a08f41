"""Put every issue, re-issue and revocation of a record into the CSDL outbox."""

from odoo import _, api, fields, models


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    sync_entry_ids = fields.One2many("hocbaso.sync.entry", "record_id", string="CSDL Sync",
                                     groups="hocbaso_odoo.group_school_admin")
    sync_entry_count = fields.Integer(compute="_compute_sync_entry_count",
                                      groups="hocbaso_odoo.group_school_admin")

    @api.depends("sync_entry_ids")
    def _compute_sync_entry_count(self):
        counts = dict(self.env["hocbaso.sync.entry"].sudo()._read_group(
            [("record_id", "in", self.ids)], ["record_id"], ["__count"]))
        for record in self:
            record.sync_entry_count = counts.get(record, 0)

    def _on_issued(self):
        """An issued version goes to the CSDL: NEW for version 1, UPDATE for a correction."""
        res = super()._on_issued()
        Entry = self.env["hocbaso.sync.entry"]
        # only the grades the school rolled out this year go to the CSDL
        issued = self.env["hocbaso.rollout"]._covered(self.filtered(lambda r: r.state == "issued"))
        Entry._enqueue_batch(issued.filtered(lambda r: r.version == 1), "NEW")
        Entry._enqueue_batch(issued.filtered(lambda r: r.version > 1), "UPDATE")
        return res

    def _revoke(self, reason):
        res = super()._revoke(reason)
        revoked = self.env["hocbaso.rollout"]._covered(
            self.filtered(lambda r: r.state == "revoked"))
        self.env["hocbaso.sync.entry"]._enqueue_batch(revoked, "CANCEL",
                                                      reason=(reason or "").strip())
        return res

    def action_view_sync_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hocbaso_odoo_sync.hocbaso_sync_entry_action")
        action.update({"domain": [("id_ban_ghi", "=", self.record_uuid)],
                       "context": {"search_default_group_state": 0},
                       "name": _("CSDL Sync of %(record)s", record=self.display_name)})
        return action
