"""Revoke an issued record with a reason and a statement signed with the school's certificate."""

from odoo import api, fields, models, _
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import open_signer


class HocbasoRevokeSigned(models.TransientModel):
    _name = "hocbaso.revoke.signed"
    _description = "Revoke a Record (Signed)"

    record_ids = fields.Many2many("hocbaso.record", string="Records", required=True)
    reason = fields.Text(required=True)
    certificate_id = fields.Many2one(
        "hocbaso.signing.certificate", string="School Certificate", required=True,
        domain="[('kind', '=', 'organisation'), ('company_id', 'in', company_ids)]",
        default=lambda self: self._default_certificate())
    company_ids = fields.Many2many("res.company", compute="_compute_company_ids")
    secret = fields.Char(string="PIN / Password", compute="_compute_secret",
                         inverse="_inverse_secret")

    @api.model
    def _default_certificate(self):
        records = self.env["hocbaso.record"].browse(self.env.context.get("active_ids") or [])
        companies = records.company_id or self.env.company
        return self.env["hocbaso.signing.certificate"].search(
            [("kind", "=", "organisation"), ("company_id", "in", companies.ids)], limit=1)

    @api.depends("record_ids")
    def _compute_company_ids(self):
        for wizard in self:
            wizard.company_ids = wizard.record_ids.company_id or self.env.company

    def _compute_secret(self):
        for wizard in self:
            wizard.secret = False

    def _inverse_secret(self):
        """Never stored: the value reaches the button through its context."""

    def action_revoke(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(_("Give the reason for revoking the record."))
        secret = self.env.context.get("hocbaso_secret") or ""
        if self.certificate_id.backend == "remote":
            raise UserError(_("Revocation statements are signed with a token or a certificate "
                              "file; choose such a certificate of the school."))
        if not secret:
            raise UserError(_("Enter the PIN of the school's token or the password of its "
                              "certificate file."))
        try:
            signer = open_signer(self.certificate_id, secret)
        except HocbasoError as err:
            raise UserError(_("Nothing was revoked: %(problem)s",
                              problem=lib_message(self.env, err))) from err
        finally:
            secret = None
        try:
            self.record_ids._revoke_signed(self.reason, signer, self.certificate_id)
        finally:
            signer.close()
        return {"type": "ir.actions.act_window_close"}
