from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HocbasoRecordCertificate(models.Model):
    """Certificates listed in a secondary record (_chungchi)."""

    _name = "hocbaso.record.certificate"
    _inherit = ["hocbaso.sealed.mixin"]
    _description = "Record Certificate"

    record_id = fields.Many2one("hocbaso.record", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="record_id.company_id", store=True)
    name = fields.Char(required=True)
    kind = fields.Char(string="Type")

    @api.model_create_multi
    def create(self, vals_list):
        records = self.env["hocbaso.record"].browse([v.get("record_id") for v in vals_list])
        if any(r.exists() and r._is_content_frozen() for r in records):
            raise UserError(_("Certificates cannot be added to a locked or signed record."))
        return super().create(vals_list)

    def write(self, vals):
        if any(c.record_id._is_content_frozen() for c in self):
            raise UserError(_("Certificates of a locked or signed record cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_unless_frozen(self):
        if any(c.record_id._is_content_frozen() for c in self):
            raise UserError(_("Certificates of a locked or signed record cannot be removed."))
