"""The state a record claims must be in its document: each signed state needs the signature
of its step, checked by the readiness hook of the core's state machine."""

from odoo import _, models
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError
from hocbaso.safexml import parse_untrusted
from hocbaso.signing import xmldsig as X

from .hocbaso_record import SIGNATURE_FOR_STATE, VERIFIED_DOCUMENTS


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _signatures_enforced(self):
        """Signatures are required once signing is set up for the school (a trusted CA exists)
        or the document already carries a signature."""
        self.ensure_one()
        if self.sudo().signature_ids or self.revocation_statement:
            return True
        return bool(self.env["hocbaso.trusted.ca"].sudo().search_count([
            ("active", "=", True), "|", ("company_id", "=", False),
            ("company_id", "=", self.company_id.id)], limit=1))

    def _signed_slots_ok(self, role):
        """True when every slot of ``role`` holds a signature whose cryptography checks out."""
        xml = self._get_xml()
        if not xml:
            return False
        try:
            root = parse_untrusted(xml)
            layout = X.Layout.of(root)
        except HocbasoError:
            return False
        index = X.id_index(root)
        slots = layout.subject_slots if role == X.ROLE_GVBM else [layout.slot(role)]
        if not slots:
            return False
        return all(slot.signatures and not X.signature_crypto_errors(slot.signatures[0], index)
                   for slot in slots)

    def _require_signature(self, role):
        verified = self.env.cr.cache.get(VERIFIED_DOCUMENTS, {})
        if verified and role in verified.get((self.id, self.xml_sha256), ()):
            return  # made and verified on these very bytes in this transaction
        if self._signatures_enforced() and not self._signed_slots_ok(role):
            raise UserError(_(
                "%(record)s cannot be marked as signed by the %(role)s: the document does not "
                "carry that signature. Sign it with the Sign button.",
                record=self.display_name, role=self._role_label(role)))

    def _check_ready_for(self, target):
        result = super()._check_ready_for(target)
        role = SIGNATURE_FOR_STATE.get(target)
        if role:
            self._require_signature(role)
        if target == "revoked" and self._signatures_enforced() and not self.revocation_statement:
            raise UserError(_(
                "%(record)s can be revoked only with a revocation statement signed by the "
                "issuer: use Revoke (signed).", record=self.display_name))
        return result
