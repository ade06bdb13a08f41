"""Two-phase (remote) signing of a record: the digest prepared on the server, the signature
value returned by the signer's provider put in place afterwards."""

import base64
import hashlib

from odoo import _, models
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError
from hocbaso.safexml import parse_untrusted
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message

from .hocbaso_record import _utcnow


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _prepare_remote_signature(self, role, certificate_record, subject_code=None):
        """Phase one of a two-phase (remote) signature: return what must be kept until phase two.

        Returns a plain dict (no secret in it): the pending signature and the hash of the
        document it was prepared from.
        """
        self.ensure_one()
        self._lock_for_signing()
        codes = self._check_signer(role, self.env.user, certificate_record,
                                   [subject_code] if subject_code else None)
        xml = self._get_xml()
        try:
            pending = X.prepare_signature(xml, role, certificate_record._x509(), codes[0],
                                          signing_time=_utcnow())
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        return {"pending": pending.to_dict(), "base_sha256": hashlib.sha256(xml).hexdigest(),
                "digest": base64.b64encode(pending.digest).decode()}

    def _complete_remote_signature(self, prepared, signature_value, certificate_record):
        """Phase two: put the value returned by the service in place and log the signature."""
        self.ensure_one()
        self._lock_for_signing()
        pending = X.PendingSignature.from_dict(prepared["pending"])
        user = self.env.user
        self._check_signer(pending.role, user, certificate_record,
                           [pending.subject_code] if pending.subject_code else None)
        if hashlib.sha256(self._get_xml()).hexdigest() != prepared["base_sha256"]:
            raise UserError(_(
                "%(record)s changed while waiting for the remote signature (someone else signed "
                "it). Start this signature again.", record=self.display_name))
        if pending.certificate != certificate_record._x509():
            raise UserError(_("The pending signature was made for another certificate."))
        try:
            xml = X.complete_signature(pending, signature_value)
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        moment = self._pending_time(pending)
        self._finish_signing_batch(pending.role, [(self, xml, [pending])], certificate_record,
                                   user, moment)
        return True

    @staticmethod
    def _pending_time(pending):
        root = parse_untrusted(pending.document)
        text = root.findtext(".//" + X.xades("SigningTime"))
        return X.parse_signing_time(text) if text else _utcnow()
