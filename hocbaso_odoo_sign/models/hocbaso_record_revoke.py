"""Revoking an issued record with a statement signed by the school's organisation
certificate, kept with the record."""

import base64
import functools

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from hocbaso.errors import HocbasoError
from hocbaso.signing import xmldsig as X
from hocbaso.timeutil import signing_now

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow



class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    revocation_statement = fields.Binary(
        string="Signed Revocation Statement", attachment=True, readonly=True, copy=False,
        help="XML statement of the revocation (record, version, reason, time), signed with the "
             "school's organisation certificate by the issuer.")
    revocation_statement_filename = fields.Char(compute="_compute_revocation_filename")

    def _revoke_signed(self, reason, signer, certificate_record):
        """Sign a revocation statement with the school's certificate, keep it, then revoke."""
        from ..tools import build_revocation_statement, sign_statement, timestamp_statement

        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for revoking the record."))
        user = self.env.user
        if not user.has_group("hocbaso_odoo.group_issuer"):
            raise AccessError(_("Only the seal holder (issuer) revokes records."))
        for record in self:
            record._lock_for_signing()
            if record.state != "issued":
                raise UserError(_("Only an issued record can be revoked; %(record)s is "
                                  "%(state)s.", record=record.display_name,
                                  state=record._state_label(record.state)))
            certificate_record._check_may_sign_for(record, X.ROLE_ISSUER, user)
            if signer.certificate != certificate_record._x509():
                raise UserError(_("The key used does not belong to the chosen certificate "
                                  "%(cert)s.", cert=certificate_record.display_name))
            moment = signing_now()
            statement = build_revocation_statement(record, reason, moment)
            try:
                signed, signature_id, digest = sign_statement(statement, signer, moment)
                stamper = record._stamper()
                signed = record._sign_stamped(stamper, functools.partial(timestamp_statement,
                                                                         signed))
            except HocbasoError as err:
                raise UserError(lib_message(self.env, err)) from err
            with workflow(self.env):
                record.sudo().write({"revocation_statement": base64.b64encode(signed)})
                self.env["hocbaso.record.signature"].sudo().create({
                    "record_id": record.id, "role": "revocation", "user_id": user.id,
                    "certificate_id": certificate_record.id,
                    "certificate_subject": signer.certificate.subject.rfc4514_string(),
                    "signing_time": moment.replace(tzinfo=None), "signature_ref": signature_id,
                    "digest": digest})
            record._revoke(reason)
            record._note_unstamped(stamper, author=user)
        return True

    def _get_revocation_statement(self):
        self.ensure_one()
        return base64.b64decode(self.revocation_statement) if self.revocation_statement else b""

    def action_download_revocation_statement(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/revocation_statement/"
                   f"{self.revocation_statement_filename}?download=true",
        }
    def _compute_revocation_filename(self):
        for record in self:
            record.revocation_statement_filename = (
                f"thuhoi_{record.record_uuid}_v{record.version}.xml"
            )
