"""What proves a record: the issuing CAs that travel in its package, and the verification
of its signatures against the school's trusted CAs."""

from odoo import _, models


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

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
