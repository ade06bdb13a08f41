"""What proves a record: the issuing CAs that travel in its package, and the verification
of its signatures against the school's trusted CAs (kept by document hash and trust material:
hocbaso_record_verification.py)."""

from odoo import _, fields, models

from hocbaso import roles, timeutil

from odoo.addons.hocbaso_odoo.tools import lib_text

VERIFICATION_STATES = [
    ("unsigned", "Not Signed Yet"),
    ("valid", "All Signatures Valid"),
    ("partial", "Valid So Far"),
    ("invalid", "Signatures Invalid"),
]


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    verification_state = fields.Selection(
        VERIFICATION_STATES, string="Signature Check", compute="_compute_verification",
        help="The signatures of the stored document, checked against the trusted authorities "
             "and their revocation lists. Kept until the document or the trusted list changes.")
    verification_note = fields.Char(string="Signature Check Details",
                                    compute="_compute_verification")

    def _compute_verification(self):
        Verification = self.env["hocbaso.record.verification"]
        outcomes = Verification._outcomes(self.filtered("id"))
        for record in self:
            outcome = outcomes.get(record.id)
            if not outcome or not outcome["signature_count"]:
                record.verification_state = "unsigned"
                record.verification_note = False
                continue
            problems = Verification._problems(outcome)
            if not outcome["valid"]:
                record.verification_state = "invalid"
                record.verification_note = lib_text(self.env, problems[0]) if problems \
                    else False
            elif outcome["complete"]:
                record.verification_state = "valid"
                record.verification_note = self.env._(
                    "%(count)s signatures, each valid and made in order.",
                    count=outcome["signature_count"])
            else:
                record.verification_state = "partial"
                record.verification_note = self.env._(
                    "%(count)s signatures valid so far; %(missing)s still to sign.",
                    count=outcome["signature_count"], missing=len(outcome["missing"] or []))

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

    def _signature_log_entries(self):
        """The log's signatures still standing: a withdrawn one (sent back for correction)
        no longer counts as signed on the printed record."""
        self.ensure_one()
        log = self.env["hocbaso.record.signature"].sudo().search([
            ("record_id", "=", self.id), ("withdrawn_on", "=", False)], order="signing_time, id")
        return [{"role": entry.role, "subject_code": entry.subject_id.code or "",
                 "signer_name": entry.user_id.name or "", "title": "",
                 "signing_time": entry.signing_time} for entry in log]

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
        Verification = self.env["hocbaso.record.verification"]
        key = Verification._trust_key(self.company_id)
        roots, intermediates, crls = trust_material(self.env, self.company_id)
        xml = self._get_xml()
        report = verify_document(xml, roots, intermediates, crls)
        if xml and Verification._trust_key(self.company_id) == key:
            Verification._keep_report(self, xml, report, key)  # the form shows it from now on
        return report

    def action_verify_signatures(self):
        self.ensure_one()
        wizard = self.env["hocbaso.verify.wizard"].create({"record_id": self.id})
        wizard._run()
        return {
            "type": "ir.actions.act_window", "res_model": wizard._name, "res_id": wizard.id,
            "view_mode": "form", "target": "new", "name": _("Signature Verification"),
        }
