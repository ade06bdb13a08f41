"""A school's account at a remote signing service (VNPT SmartCA, a Cloud Signature Consortium
service): where it is, the account's secrets (administrators only, never logged) and the
secret its webhook calls carry."""

import logging
import secrets

from odoo import api, fields, models, _
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError

from odoo.addons.hocbaso_odoo.tools import lib_message

_logger = logging.getLogger(__name__)

KINDS = [
    ("smartca", "VNPT SmartCA"),
    ("smartca_th", "VNPT SmartCA (Internal Signing)"),
    ("csc", "Cloud Signature Consortium (CSC) Service"),
]
SECRET = {"groups": "base.group_system", "copy": False}


class HocbasoSigningProvider(models.Model):
    _name = "hocbaso.signing.provider"
    _description = "Remote Signing Service"
    _order = "company_id, name"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", string="School", required=True, index=True,
                                 default=lambda self: self.env.company)
    kind = fields.Selection(KINDS, string="Service", required=True, default="smartca")
    service_url = fields.Char(string="Service URL", required=True)
    client_id = fields.Char(string="Client ID", help="SmartCA: the school's sp_id.", **SECRET)
    client_secret = fields.Char(
        help="SmartCA: the sp_password. CSC: an access token, when no "
                                     "user name and password are given.", **SECRET)
    username = fields.Char(string="User Name", help="CSC: the account's user name.", **SECRET)
    password = fields.Char(help="CSC: the account's password.", **SECRET)
    webhook_secret = fields.Char(
        **SECRET,
        default=lambda self: secrets.token_urlsafe(32),
        help="The service signs its calls to our webhook with this secret (HMAC-SHA256 of the "
             "body); other calls are refused.")
    webhook_url = fields.Char(compute="_compute_webhook_url",
                              help="Give this address to the signing service.")
    timeout = fields.Integer(string="Request Timeout (s)", default=20)
    last_test = fields.Char(readonly=True)

    @api.depends("company_id")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for provider in self:
            provider.webhook_url = f"{base}/hocbaso/sign/callback/{provider.id or 0}"

    def _account(self):
        """The keyword arguments of the adapter (``providers.make``): the secrets, in memory
        only for the call."""
        self.ensure_one()
        provider = self.sudo()
        account = {"timeout": provider.timeout or 20}
        if provider.kind in ("smartca", "smartca_th"):
            account.update(sp_id=provider.client_id or "", sp_password=provider.client_secret or "")
            if provider.webhook_secret:
                account["webhook_secret"] = provider.webhook_secret
        elif provider.username or provider.password:
            account.update(username=provider.username or "", password=provider.password or "")
        else:
            account["token"] = provider.client_secret or ""
        return account

    def _client(self):
        """An adapter (hocbaso.signing.batch.BatchProvider) for this account; close() it."""
        self.ensure_one()
        from hocbaso.signing import providers

        provider = self.sudo()
        return providers.make(provider.kind, provider.service_url, **provider._account())

    def _approval(self):
        """How the holder approves at this service: "app", "otp" or "pin"."""
        self.ensure_one()
        try:
            client = self._client()
        except HocbasoError:
            return "app"
        try:
            return client.approval
        finally:
            client.close()

    def action_test_connection(self):
        """Ask the service for a holder's certificates: proves the address and the account."""
        self.ensure_one()
        holder = self.env["hocbaso.signing.certificate"].sudo().search(
            [("provider_id", "=", self.id), ("remote_user_ref", "!=", False)], limit=1)
        try:
            client = self._client()
            try:
                found = client.certificates(holder.remote_user_ref or "test")
            finally:
                client.close()
        except HocbasoError as err:
            result = _("The signing service did not answer as expected: %(problem)s",
                       problem=lib_message(self.env, err))
            self.last_test = result
            raise UserError(result) from err
        result = _("Connected: the service answered and lists %(count)s certificates for "
                   "%(holder)s.", count=len(found), holder=holder.remote_user_ref or _("a test "
                                                                                       "user"))
        self.last_test = result
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "success", "title": _("Signing service"),
                           "message": result, "sticky": False}}
