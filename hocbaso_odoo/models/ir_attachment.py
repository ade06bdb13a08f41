from odoo import api, models


class IrAttachment(models.Model):
    """A file field of a record (the paper scan, the signed revocation statement) is kept as an
    attachment: writing the attachment itself is writing that field, so it meets the same
    refusals (hocbaso.sealed.mixin) as a write through the record."""

    _inherit = "ir.attachment"

    def _hocbaso_sealed_fields(self):
        """{(model, field): records} of the file fields of sealed-mixin models in self."""
        found = {}
        for attachment in self.sudo():
            if not attachment.res_field or not attachment.res_model \
                    or attachment.res_model not in self.env:
                continue
            model = self.env[attachment.res_model]
            if not isinstance(model, self.pool["hocbaso.sealed.mixin"]):
                continue
            key = (attachment.res_model, attachment.res_field)
            found[key] = found.get(key, model.browse()) | model.browse(attachment.res_id)
        return found

    def _hocbaso_check_sealed(self, unlink=False):
        for (_model, fname), records in self._hocbaso_sealed_fields().items():
            records = records.exists()
            if unlink:
                records._hocbaso_check_rows()
            else:
                records._hocbaso_check_rows({fname})

    def write(self, vals):
        self._hocbaso_check_sealed()
        res = super().write(vals)
        self._hocbaso_check_sealed()  # where the attachment was moved to
        return res

    @api.model_create_multi
    def create(self, vals_list):
        attachments = super().create(vals_list)
        attachments._hocbaso_check_sealed()
        return attachments

    def unlink(self):
        self._hocbaso_check_sealed(unlink=True)
        return super().unlink()
