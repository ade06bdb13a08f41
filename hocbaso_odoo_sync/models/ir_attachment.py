from odoo import api, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def _index(self, bin_data, file_type, checksum=None):
        """No full-text index for the CSDL outbox's copies of signed records.

        Odoo stores XML uploaded by a non-admin as text/plain, and indexes text attachments by
        copying every printable run into ``index_content``: for an outbox entry, the whole
        document (about 50 KB) written again into the database at every issue, for a search
        nobody makes. Outbox copies are created with the context key below."""
        if self.env.context.get("hocbaso_outbox_document"):
            return False
        return super()._index(bin_data, file_type, checksum=checksum)
