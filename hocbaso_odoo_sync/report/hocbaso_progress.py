from odoo import api, fields, models


class HocbasoProgress(models.Model):
    _inherit = "hocbaso.progress"

    sent_pct = fields.Float(
        string="Received by the CSDL (%)", aggregator="avg", readonly=True, digits=(16, 1),
        help="Share of the records whose issued version the sector database acknowledged.")

    def _select(self):
        return super()._select() + """,
            CASE WHEN EXISTS (SELECT 1 FROM hocbaso_sync_entry e
                               WHERE e.record_id = r.id AND e.state = 'acknowledged'
                                 AND e.event IN ('NEW', 'UPDATE'))
                 THEN 100.0 ELSE 0.0 END AS sent_pct
        """

    @api.model
    def _rate_fields(self):
        return [*super()._rate_fields(), "sent_pct"]
