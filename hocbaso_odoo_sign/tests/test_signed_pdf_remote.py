"""The printed PDF of records issued through a remote signing service or a USB token at the
issuer's computer: certified in a second batch of the issuer (the SmartCA stand-in as its own
process, approved on its "phone"; the agent played by the school's key); a forged answer is
refused and nothing is kept; the record says how to certify it later."""

import base64

import requests
from cryptography.hazmat.primitives import serialization

from odoo.exceptions import UserError
from odoo.tests import tagged

from hocbaso import pdfltv, pdfsign

from ..tools import trust_material
from .common import SignCase
from .test_sign_batch import token_sign

SP_ID, SP_PASSWORD = "hocbaso-test-sp", "sp-password-1"


@tagged("post_install", "-at_install")
class TestSignedPdfRemote(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.issuer.lang = "vi_VN"
        cls.write_pki_dir()
        cls.provider = cls.env["hocbaso.signing.provider"].create({
            "name": "SmartCA", "company_id": cls.school.id, "kind": "smartca",
            "service_url": "http://127.0.0.1:1", "client_id": SP_ID,
            "client_secret": SP_PASSWORD})
        # the school's organisation key at the signing service, not on the server
        cls.school_cert.write({"backend": "remote", "provider_id": cls.provider.id,
                               "p12_file": False,
                               "remote_user_ref": cls.pki.leaf("school").user_ref})

    def setUp(self):
        super().setUp()
        self.url = self.run_standin("hocbaso.signing.standins.smartca", "--sp-id", SP_ID,
                                    "--sp-password", SP_PASSWORD)
        self.provider.service_url = self.url

    def approve(self, batch):
        self.assertEqual(batch.state, "waiting", batch.summary)
        reply = requests.post(f"{self.url}/_test/approve/{batch.transaction_ref}", json={},
                              timeout=5)
        self.assertEqual(reply.status_code, 200, reply.text)
        self.env["hocbaso.sign.batch"]._cron_poll()

    def issue_remotely(self, record):
        """(issuance batch, PDF batch): the record issued on the phone's first approval, the
        second batch waiting for the PDF's."""
        self.lock(record)
        self.sign_to(record, last_role="cbql")
        wizard = self.wizard(self.issuer, record, "phathanh", self.school_cert)
        wizard.action_sign()
        issuance = wizard.batch_ids
        self.assertEqual(len(issuance), 1)
        return issuance

    def pdf_batches(self, issuance):
        return self.env["hocbaso.sign.batch"].search([("user_id", "=", self.issuer.id),
                                                      ("id", ">", issuance.id)])

    def assert_certified(self, record):
        kept = record._hocbaso_kept_pdf()
        self.assertTrue(record.signed_pdf and kept.startswith(b"%PDF-"))
        pki = self.pki
        report = pdfsign.verify_pdf(kept, [pki.root], [], [pki.crl])
        self.assertTrue(report.ok, [str(p) for s in report.signatures for p in s.problems])
        (signature,) = report.signatures
        self.assertEqual(signature.certificate, pki.leaf("school").certificate)
        self.assertTrue(signature.certification and signature.covers_document)
        # the PDF carries the record as issued, with the issuer's signature of the first batch
        self.assertEqual(report.record_xml, record._get_xml())
        self.assertIn(b"sig-phathanh", report.record_xml)

    def test_remote_issuance_certifies_the_pdf_in_a_second_batch(self):
        record = self.record
        issuance = self.issue_remotely(record)
        self.assertFalse(self.pdf_batches(issuance))
        self.approve(issuance)
        self.assertEqual((issuance.state, record.state), ("done", "issued"), issuance.summary)
        self.assertFalse(record.signed_pdf, "the PDF waits for its own approval")
        pdf_batch = self.pdf_batches(issuance)
        self.assertEqual(len(pdf_batch), 1)
        self.assertEqual((pdf_batch.role, pdf_batch.certificate_id, pdf_batch.state),
                         ("phathanh", self.school_cert, "waiting"))
        (item,) = pdf_batch.item_ids
        self.assertEqual((item.kind, item.record_id), ("pdf", record))
        self.assertIn("Bản in PDF", item.label)
        self.assertIn(record.student_id.name, item.label)
        # only the 32-byte digest went to the service, under the item's code
        seen = requests.post(f"{self.url}/_test/transaction/{pdf_batch.transaction_ref}",
                             json={}, timeout=5).json()
        self.assertEqual(seen["doc_ids"], [item.doc_id])
        self.assertEqual(issuance.item_ids.mapped("kind"), ["xml"])

        self.approve(pdf_batch)
        self.assertEqual(pdf_batch.state, "done", pdf_batch.summary)
        self.assertEqual(item.state, "signed")
        self.assert_certified(record)
        self.assertIn("chứng thư số của trường", record.message_ids[0].body)
        # a replay of the same answer changes nothing
        kept = record.signed_pdf
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(record.signed_pdf, kept)

    def test_a_forged_pdf_signature_is_refused_and_can_be_certified_again(self):
        record = self.record
        issuance = self.issue_remotely(record)
        # the service's next transaction (the PDF's) signs another digest
        reply = requests.post(f"{self.url}/_test/fault", json={"kind": "wrong_signature"},
                              timeout=5)
        self.assertEqual(reply.status_code, 200, reply.text)
        self.approve(issuance)
        self.assertEqual(record.state, "issued")
        pdf_batch = self.pdf_batches(issuance)
        self.approve(pdf_batch)
        self.assertEqual(pdf_batch.state, "failed", pdf_batch.summary)
        (item,) = pdf_batch.item_ids
        self.assertEqual(item.state, "refused")
        self.assertIn("không khớp với chứng thư số", item.message)
        # nothing kept: the record stays issued, printed unsigned, and says what to do
        self.assertEqual(record.state, "issued")
        self.assertFalse(record.signed_pdf)
        self.assertFalse(pdfsign.verify_pdf(record._hocbaso_kept_pdf(), [self.pki.root]).signed)
        note = record.message_ids[0].body
        self.assertIn("Bản in PDF chưa được ký", note)
        self.assertIn("Ký bản in PDF", note)

        # the issuer certifies it again from the record: a new batch, approved on the phone
        action = record.with_user(self.issuer).action_certify_pdf()
        again = self.env["hocbaso.sign.batch"].browse(action["res_id"])
        self.assertNotEqual(again, pdf_batch)
        self.approve(again)
        self.assertEqual(again.state, "done", again.summary)
        self.assert_certified(record)
        with self.assertRaises(UserError):  # nothing left to certify
            record.with_user(self.issuer).action_certify_pdf()

    def test_a_rejected_pdf_batch_leaves_the_record_issued(self):
        record = self.record
        issuance = self.issue_remotely(record)
        self.approve(issuance)
        pdf_batch = self.pdf_batches(issuance)
        requests.post(f"{self.url}/_test/reject/{pdf_batch.transaction_ref}", json={},
                      timeout=5)
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(pdf_batch.state, "rejected")
        self.assertEqual(record.state, "issued")
        self.assertFalse(record.signed_pdf)
        self.assertIn("(Bị từ chối)", record.message_ids[0].body)

    def test_a_timestamped_pdf_keeps_its_validation_data(self):
        """With the school's time-stamping authority and OCSP responder set, the PDF certified
        through the service is timestamped when the answer comes and keeps the paths and
        status of the school's and the authority's certificates (PAdES B-LT)."""
        tsa_url = self.run_standin("hocbaso.signing.standins.tsa")
        ocsp_url = self.run_standin("hocbaso.signing.standins.ocsp")
        # the responder answers for the issuing CA; the issuing CA's own status is the root's CRL
        self.root_ca.crl_file = base64.b64encode(
            self.pki.root_crl.public_bytes(serialization.Encoding.DER))
        self.school.write({"hocbaso_tsa_url": tsa_url, "hocbaso_ocsp_url": ocsp_url,
                           "hocbaso_tsa_timeout": 5})
        record = self.record
        issuance = self.issue_remotely(record)
        self.approve(issuance)
        self.approve(self.pdf_batches(issuance))
        pdf = record._hocbaso_kept_pdf()
        kept = pdfltv.kept_validation_data(pdf)
        self.assertIn(self.school_cert._x509(), kept.certificates)
        self.assertGreaterEqual(len(kept.ocsp_responses), 2)
        roots, _intermediates, _crls = trust_material(self.env, self.school)
        checked = pdfsign.verify_pdf(pdf, roots)
        self.assertTrue(checked.ok, [str(p) for s in checked.signatures for p in s.problems])
        (signature,) = checked.signatures
        self.assertTrue(signature.timestamp_ok and signature.long_term)
        self.assertEqual(checked.record_xml, record._get_xml())

    # --- the USB token at the issuer's computer (the agent, played by the school's key) -------
    def agent_complete(self, prepared, leaf_name="school"):
        leaf = self.pki.leaf(leaf_name)
        answer = [{"doc_id": item["doc_id"], "signature": base64.b64encode(token_sign(
            leaf.p12, self.password, base64.b64decode(item["digest"]))).decode()}
            for item in prepared["items"]]
        return self.env["hocbaso.sign.batch"].with_user(self.issuer).browse(
            prepared["batch_id"]).action_agent_complete(answer)

    def test_agent_issuance_hands_the_pdf_batch_to_the_agent(self):
        self.school_cert.write({"backend": "agent", "provider_id": False})
        records = self.records
        self.lock(records)
        self.sign_to(records, last_role="cbql")
        wizard = self.wizard(self.issuer, records, "phathanh", self.school_cert)
        result = self.agent_complete(wizard.action_agent_prepare())
        self.assertEqual(result["signed"], 2, result["summary"])
        self.assertEqual(set(records.mapped("state")), {"issued"})
        self.assertFalse(any(records.mapped("signed_pdf")))
        # the same answer carries the PDF batch: the browser's agent signs it with the PIN
        # already typed; one item per issued record
        pdf = result["pdf_batch"]
        self.assertEqual(len(pdf["items"]), 2)
        self.assertTrue(all("Bản in PDF" in item["label"] for item in pdf["items"]))
        # one forged value (another key's) among them: that PDF is refused, the other kept
        forged = dict(pdf, items=pdf["items"][:1])
        good = dict(pdf, items=pdf["items"][1:])
        leaf = self.pki.leaf("school")
        answer = [{"doc_id": item["doc_id"], "signature": base64.b64encode(token_sign(
            self.pki.leaf("gvcn").p12, self.password, base64.b64decode(item["digest"]))).decode()}
            for item in forged["items"]] + [
            {"doc_id": item["doc_id"], "signature": base64.b64encode(token_sign(
                leaf.p12, self.password, base64.b64decode(item["digest"]))).decode()}
            for item in good["items"]]
        pdf_batch = self.env["hocbaso.sign.batch"].with_user(self.issuer).with_context(
            lang="vi_VN").browse(pdf["batch_id"])
        outcome = pdf_batch.action_agent_complete(answer)
        self.assertEqual((outcome["signed"], outcome["failed"]), (1, 1), outcome["summary"])
        self.assertIn("1 trên 2 bản in PDF", outcome["summary"])
        self.assertNotIn("pdf_batch", outcome)
        items = pdf_batch.sudo().item_ids
        refused = items.filtered(lambda item: item.state == "refused")
        self.assertIn("không khớp với chứng thư số", refused.message)
        unsigned = refused.record_id
        certified = records - unsigned
        self.assert_certified(certified)
        self.assertFalse(unsigned.signed_pdf)
        self.assertEqual(unsigned.state, "issued")
        note = unsigned.message_ids[0].body
        self.assertIn("Bản in PDF chưa được ký", note)
        self.assertNotIn("Ký bản in PDF", note, "no button for a token at the computer")
