"""A record form shows its signatures' verification without verifying them again on each
open: the outcome is kept by the document's SHA-256 and the trust material, and is never
served for other bytes (tampering), another trusted list or another revocation list."""

import base64
import datetime as dt
import hashlib
import json

import psycopg2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from odoo.tests import tagged

from .common import SignCase

SPEC = {"verification_state": {}, "verification_note": {}}


@tagged("post_install", "-at_install")
class TestVerificationCache(SignCase):

    def open_form(self, record=None, user=None):
        """What the form's web_read gives for the check (a new transaction's caches)."""
        record = record or self.record
        self.env.invalidate_all()
        return record.with_user(user or self.principal).web_read(SPEC)[0]

    def kept_rows(self, record=None):
        self.env.cr.execute(
            "SELECT document_sha256, trust_version, valid FROM hocbaso_record_verification "
            "WHERE record_id = %s", [(record or self.record).id])
        return self.env.cr.fetchall()

    def crl_revoking(self, leaf_name, reason=x509.ReasonFlags.key_compromise):
        """A CRL of the issuing CA that revokes ``leaf_name``'s certificate."""
        now = dt.datetime.now(dt.timezone.utc)
        entry = (x509.RevokedCertificateBuilder()
                 .serial_number(self.pki.leaf(leaf_name).certificate.serial_number)
                 .revocation_date(now - dt.timedelta(hours=1))
                 .add_extension(x509.CRLReason(reason), critical=False).build())
        crl = (x509.CertificateRevocationListBuilder()
               .issuer_name(self.pki.intermediate.subject)
               .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=7))
               .add_extension(x509.CRLNumber(2), critical=False)
               .add_revoked_certificate(entry)
               .sign(self.pki.intermediate_key, hashes.SHA256()))
        return base64.b64encode(crl.public_bytes(serialization.Encoding.DER))

    def test_kept_by_document_hash_and_served_on_later_opens(self):
        self.assertEqual(self.open_form()["verification_state"], "unsigned")
        self.lock(self.record)
        self.sign_to(self.record)
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "valid")
        self.assertIn("signatures", shown["verification_note"])
        rows = self.kept_rows()
        self.assertEqual(len(rows), 1)
        digest = hashlib.sha256(self.record._get_xml()).hexdigest()
        self.assertEqual(rows[0][0], digest)
        self.assertTrue(rows[0][2])
        # a later open reads the kept outcome: marked here as if the verification had found a
        # problem, the form shows that mark, so nothing was verified again
        self.env.cr.execute(
            "UPDATE hocbaso_record_verification SET valid = false, problems = %s "
            "WHERE record_id = %s",
            [json.dumps([{"template": "kept outcome %(n)s", "params": {"n": 7}}]),
             self.record.id])
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "invalid")
        self.assertEqual(shown["verification_note"], "kept outcome 7")

    def test_partial_then_each_signature_a_new_document(self):
        self.lock(self.record)
        self.sign_to(self.record, last_role="gvcn")
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "partial")
        first = self.kept_rows()[0][0]
        self.sign(self.principal, self.record, "cbql")
        self.assertEqual(self.open_form()["verification_state"], "partial")
        rows = self.kept_rows()
        self.assertEqual(len(rows), 1, "one kept outcome per record: the older one is dropped")
        self.assertNotEqual(rows[0][0], first)

    def test_a_tampered_document_is_verified_again(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.open_form()["verification_state"], "valid")
        xml = self.record._get_xml()
        tampered = xml.replace(b"7.5", b"9.5", 1)
        self.assertNotEqual(tampered, xml)
        # behind the ORM, the stored hash left as it was
        self.env.cr.execute("UPDATE hocbaso_record SET xml_document = %s WHERE id = %s",
                            [psycopg2.Binary(tampered), self.record.id])
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "invalid")
        self.assertIn("changed after signing", shown["verification_note"])
        self.assertEqual([row[0] for row in self.kept_rows()],
                         [hashlib.sha256(tampered).hexdigest()])

    def test_a_revocation_list_update_is_never_served_from_the_kept_outcome(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.open_form()["verification_state"], "valid")
        before = self.kept_rows()[0][1]
        good_crl = self.intermediate_ca.crl_file
        self.intermediate_ca.crl_file = self.crl_revoking("gvcn")
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "invalid")
        self.assertIn("revoked", shown["verification_note"])
        self.assertNotEqual(self.kept_rows()[0][1], before)
        # the old list back: verified again, valid again
        self.intermediate_ca.crl_file = good_crl
        self.assertEqual(self.open_form()["verification_state"], "valid")

    def test_a_trusted_list_change_is_verified_again(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.open_form()["verification_state"], "valid")
        self.root_ca.active = False
        shown = self.open_form()
        self.assertEqual(shown["verification_state"], "invalid")
        self.root_ca.active = True
        self.assertEqual(self.open_form()["verification_state"], "valid")

    def test_the_verify_button_keeps_its_outcome(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.env.cr.execute("DELETE FROM hocbaso_record_verification")
        self.record.with_user(self.principal).action_verify_signatures()
        rows = self.kept_rows()
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0][2])
        self.assertEqual(rows[0][0], hashlib.sha256(self.record._get_xml()).hexdigest())
