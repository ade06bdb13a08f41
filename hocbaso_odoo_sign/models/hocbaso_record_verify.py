"""What proves a record: the issuing CAs that travel in its package, and the verification
of its signatures against the school's trusted CAs."""

from odoo import _, models

from hocbaso import roles, timeutil


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _issuance_signatures(self):
        """The signer of each issuance step is the user in the signature log (the XML names
        the certificate's holder); the XML's signing time stays the truth, the log's when the
        XML has none."""
        found = super()._issuance_signatures()
        log = self.env["hocbaso.record.signature"].sudo().search([
            ("record_id", "=", self.id), ("role", "in", [roles.ROLE_CBQL, roles.ROLE_ISSUER]),
            ("withdrawn_on", "=", False)], order="signing_time, id")
        for entry in log:
            slot = found.setdefault(entry.role, {"name": "", "user": None, "time": None})
            slot["user"] = entry.user_id
            slot["name"] = entry.user_id.name or slot["name"]
            if not slot["time"] and entry.signing_time:
                slot["time"] = timeutil.as_utc(entry.signing_time)
        return found

    def _package_chain_certificates(self, signer_ders):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        from ..tools import trust_material

        result = super()._package_chain_certificates(signer_ders)
        _roots, intermediates, _crls = trust_material(self.env, self.company_id)
        by_subject = {}
        for cert in intermediates:
            by_subject.setdefault(cert.subject, cert)
        wanted, added = [x509.load_der_x509_certificate(der) for der in signer_ders], set()
        while wanted:  # walk up: signer -> issuing CA -> its issuer, while we know them
            issuer = by_subject.get(wanted.pop().issuer)
            if issuer is None or issuer.subject in added:
                continue
            added.add(issuer.subject)
            wanted.append(issuer)
            result.append((f"certificates/ca-{len(added):02d}.cer",
                           issuer.public_bytes(serialization.Encoding.DER),
                           issuer.subject.rfc4514_string()))
        return result

    # --- verification --------------------------------------------------------------------
    def _verify_report(self):
        """hocbaso.verify report of the stored document against the trusted CAs."""
        from hocbaso.verify import verify_document

        from ..tools import trust_material

        self.ensure_one()
        roots, intermediates, crls = trust_material(self.env, self.company_id)
        return verify_document(self._get_xml(), roots, intermediates, crls)

    def action_verify_signatures(self):
        self.ensure_one()
        wizard = self.env["hocbaso.verify.wizard"].create({"record_id": self.id})
        wizard._run()
        return {
            "type": "ir.actions.act_window", "res_model": wizard._name, "res_id": wizard.id,
            "view_mode": "form", "target": "new", "name": _("Signature Verification"),
        }
