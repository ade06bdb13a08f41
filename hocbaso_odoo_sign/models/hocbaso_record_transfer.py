"""Records from other schools are checked against this addon's trusted CAs."""

from odoo import api, models

from ..tools import trust_material


class HocbasoRecordTransfer(models.Model):
    _inherit = "hocbaso.record.transfer"

    @api.model
    def _hocbaso_trust_anchors(self, company=None):
        return trust_material(self.env, company)
