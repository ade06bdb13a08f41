"""The day a record was issued as its readers see it: the form shows what the printed form,
the parent's page and the verification page show (hocbaso_record_package._report_issuance)."""

from odoo import api, fields, models

from .hocbaso_record_transfer import PUBLISHED_STATES


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    issued_on = fields.Date(
        compute="_compute_issued_on",
        help="The day the school issued the record (signed it for issuance), on the school's "
             "clock: the day its printed form, the parent's page and the verification page "
             "state.")

    @api.depends("state", "issue_date", "xml_document")
    def _compute_issued_on(self):
        for record in self:
            # nothing before issuance: the report would read the XML for nothing
            record.issued_on = (record._report_issuance()["issue_date"]
                                if record.state in PUBLISHED_STATES else False)
