"""One approval signs a batch at a remote signing service: the SmartCA stand-in runs as its
own process; its webhook reaches our controller over HTTP; forged, replayed and late answers
change nothing."""

import json
import time

import requests

from odoo.tests import HttpCase, tagged

from hocbaso.signing.providers.smartca import SIGNATURE_HEADER, webhook_signature

from .common import SignCase

SP_ID, SP_PASSWORD, WEBHOOK_SECRET = "hocbaso-test-sp", "sp-password-1", "webhook-secret-1"


@tagged("post_install", "-at_install")
class TestSignBatchProvider(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.gvbm_lit.lang = "vi_VN"
        cls.write_pki_dir()
        cls.provider = cls.env["hocbaso.signing.provider"].create({
            "name": "SmartCA", "company_id": cls.school.id, "kind": "smartca",
            "service_url": "http://127.0.0.1:1", "client_id": SP_ID,
            "client_secret": SP_PASSWORD, "webhook_secret": WEBHOOK_SECRET})
        cls.cert = cls.certs[cls.gvbm_lit]
        cls.cert.write({"backend": "remote", "provider_id": cls.provider.id, "p12_file": False,
                        "remote_user_ref": cls.pki.leaf("ecdsa").user_ref})

    def start_standin(self, *extra):
        url = self.run_standin("hocbaso.signing.standins.smartca", "--sp-id", SP_ID,
                               "--sp-password", SP_PASSWORD, "--webhook-secret", WEBHOOK_SECRET,
                               *extra)
        self.provider.service_url = url
        return url

    def start_batch(self, records):
        wizard = self.env["hocbaso.sign.wizard"].with_user(self.gvbm_lit).with_context(
            active_model="hocbaso.record", active_ids=records.ids, lang="vi_VN").create({
                "role": "gvbm", "certificate_id": self.cert.id})
        wizard.action_sign()
        return wizard

    def wait_for(self, batch, states=("done", "partial"), seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            # the webhook's request runs on this test's cursor in another thread: read only
            # between its requests (the lock its test cursors take), never during one
            with self.registry.test_lock:
                batch.invalidate_recordset()
                state = batch.state
            if state in states:
                return
            time.sleep(0.2)
        self.fail(f"the batch stayed {batch.state}")

    def test_one_phone_approval_signs_everything_by_poll(self):
        url = self.start_standin()
        # the administrator's "Test Connection": the service answers with the holder's key
        action = self.provider.with_context(lang="vi_VN").action_test_connection()
        self.assertIn("Đã kết nối", action["params"]["message"])
        self.lock(self.records)
        wizard = self.start_batch(self.records)
        self.assertEqual(wizard.state, "batch_wait")
        batch = wizard.batch_ids
        self.assertEqual(len(batch), 1)
        self.assertEqual((batch.state, batch.item_count), ("waiting", 4))
        self.assertTrue(batch.transaction_code)
        self.assertIn(batch.transaction_code, wizard.batch_summary)
        seen = requests.post(f"{url}/_test/transaction/{batch.transaction_ref}", json={},
                             timeout=5).json()
        self.assertEqual(sorted(seen["doc_ids"]), sorted(batch.item_ids.mapped("doc_id")))
        wizard.action_refresh_batch()  # not approved yet: nothing changes
        self.assertEqual(batch.state, "waiting")
        self.assertFalse(self.records.signature_ids)
        requests.post(f"{url}/_test/approve/{batch.transaction_ref}", json={}, timeout=5)
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(batch.state, "done", batch.summary)
        self.assertEqual(batch.signed_count, 4)
        for record in self.records:
            self.assertTrue(record._verify_report().valid)
        run = self.xmlsec1_verify(self.record._get_xml(), "sig-gvbm-GDTC")
        self.assertEqual(run.returncode, 0, run.stderr)
        wizard.action_refresh_batch()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(set(wizard.result_ids.mapped("status")), {"signed"})
        # polling again (a replay of the same answer) changes nothing
        log = self.records.signature_ids
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(self.records.signature_ids, log)
        # the certificate is remembered for the next time
        self.assertEqual(self.env["hocbaso.sign.choice"].with_user(self.gvbm_lit)._last("gvbm"),
                         self.cert)

    def test_webhook_applies_once_and_refuses_forgeries(self):
        provider_id = self.provider.id
        url = self.start_standin("--auto-confirm", "--confirm-delay", "0.5", "--callback-url",
                                 f"{self.base_url()}/hocbaso/sign/callback/{provider_id}")
        # the service calls back twice with the same body (a replay)
        reply = requests.post(f"{url}/_test/fault", json={"kind": "duplicate_webhook"},
                              timeout=5)
        self.assertEqual(reply.status_code, 200, reply.text)
        self.lock(self.records)
        # a forged call (no valid HMAC) and one for a transaction we never sent: refused
        forged = json.dumps({"sp_id": SP_ID, "status_code": 200, "message": "SUCCESS",
                             "transaction_id": "x", "signed_files": []}).encode()
        reply = self.url_open(f"/hocbaso/sign/callback/{provider_id}", data=forged,
                              headers={SIGNATURE_HEADER: "sha256=" + "0" * 64})
        self.assertEqual(reply.status_code, 403)
        wizard = self.start_batch(self.records)
        batch = wizard.batch_ids
        self.wait_for(batch)
        self.assertEqual(batch.state, "done", batch.summary)
        deadline = time.monotonic() + 10
        while requests.post(f"{url}/_test/transaction/{batch.transaction_ref}", json={},
                            timeout=5).json()["callbacks"] < 2:
            self.assertLess(time.monotonic(), deadline, "the second call never came")
            time.sleep(0.2)
        self.env.invalidate_all()  # the webhook's request wrote through its own environment
        documents = self.records.mapped(lambda r: r._get_xml())
        log = self.records.signature_ids
        self.assertEqual(len(log), 4)
        # a call signed with our secret but carrying other values for our doc_ids: each value
        # is checked against its SignedInfo; the items are signed already, nothing changes
        body = json.dumps({"sp_id": SP_ID, "status_code": 200, "message": "SUCCESS",
                           "transaction_id": batch.transaction_ref,
                           "signed_files": [{"doc_id": doc, "signature_value": "AAAA"}
                                            for doc in batch.item_ids.mapped("doc_id")]}).encode()
        reply = self.url_open(f"/hocbaso/sign/callback/{provider_id}", data=body,
                              headers={SIGNATURE_HEADER: webhook_signature(WEBHOOK_SECRET,
                                                                           body)})
        self.assertIn(reply.status_code, (200, 403))
        self.env.invalidate_all()
        self.assertEqual(self.records.mapped(lambda r: r._get_xml()), documents)
        self.assertEqual(self.records.signature_ids, log)

    def test_rejection_and_expiry_leave_records_unchanged(self):
        url = self.start_standin("--ttl", "1")
        self.lock(self.records)
        documents = self.records.mapped(lambda r: r._get_xml())
        rejected = self.start_batch(self.record).batch_ids
        requests.post(f"{url}/_test/reject/{rejected.transaction_ref}", json={}, timeout=5)
        rejected._poll()
        self.assertEqual(rejected.state, "rejected")
        self.assertIn("từ chối", rejected.summary)
        expired = self.start_batch(self.record2).batch_ids
        time.sleep(1.5)
        expired._poll()
        self.assertEqual(expired.state, "expired")
        self.assertIn("hết hạn", expired.summary)
        self.assertEqual(self.records.mapped(lambda r: r._get_xml()), documents)
        self.assertFalse(self.records.signature_ids)
