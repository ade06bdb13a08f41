"""One approval signs a batch: the agent channel (a USB token at the user's computer), played
here by the test's own key signing the digests as a token does (pre-hashed SHA-256)."""

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import SignCase


def token_sign(p12, password, digest):
    """What a token does with a pre-computed SHA-256: the raw signature value."""
    key, _cert, _chain = pkcs12.load_key_and_certificates(p12, password.encode())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


class BatchCase(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.agent_certs = {}
        for user in (cls.gvbm_math, cls.gvbm_lit, cls.gvcn):
            # one registration per certificate and school: the key moves to the user's token
            cls.certs[user].write({"backend": "agent", "p12_file": False})
            cls.agent_certs[user] = cls.certs[user]
            user.lang = "vi_VN"

    def lock_distinct(self, records):
        """Lock ``records`` with other marks each: their subject elements (and so the digests
        their teachers sign) differ."""
        for serial, record in enumerate(records):
            self.fill_secondary(record, math=("7.%d" % serial, "8.%d" % serial))
        records.with_user(self.gvcn).action_lock()

    def leaf_of(self, user):
        return self.pki.leaf(self.signers[user])

    def agent_wizard(self, user, records, role):
        return self.env["hocbaso.sign.wizard"].with_user(user).with_context(
            active_model="hocbaso.record", active_ids=records.ids, lang="vi_VN").create({
                "role": role, "certificate_id": self.agent_certs[user].id})

    def agent_answer(self, user, prepared, leaf=None):
        leaf = leaf or self.leaf_of(user)
        return [{"doc_id": item["doc_id"],
                 "signature": base64.b64encode(token_sign(
                     leaf.p12, self.password, base64.b64decode(item["digest"]))).decode()}
                for item in prepared["items"]]

    def batch_of(self, user, prepared):
        return self.env["hocbaso.sign.batch"].with_user(user).with_context(
            lang="vi_VN").browse(prepared["batch_id"])

    def agent_sign(self, user, records, role):
        prepared = self.agent_wizard(user, records, role).action_agent_prepare()
        answer = self.agent_answer(user, prepared)
        return prepared, self.batch_of(user, prepared).action_agent_complete(answer)


@tagged("post_install", "-at_install")
class TestSignBatch(BatchCase):

    def test_subject_teacher_signs_all_in_one_batch(self):
        self.lock(self.records)
        user = self.gvbm_lit  # NGUVAN and GDTC in each of the two records: 4 signatures
        prepared = self.agent_wizard(user, self.records, "gvbm").action_agent_prepare()
        self.assertEqual(len(prepared["items"]), 4)
        self.assertEqual(prepared["certificate"]["sha256"],
                         self.agent_certs[user].fingerprint)
        self.assertIn("BEGIN CERTIFICATE", prepared["certificate"]["pem"])
        doc_ids = [item["doc_id"] for item in prepared["items"]]
        self.assertEqual(len(set(doc_ids)), 4)
        for item in prepared["items"]:
            self.assertRegex(item["doc_id"], r"^6A1-HS000[12]-(NGUVAN|GDTC)$")
            self.assertEqual(len(base64.b64decode(item["digest"])), 32)
            self.assertIn("lớp 6A1", item["label"])
        batch = self.batch_of(user, prepared)
        self.assertEqual(batch.state, "waiting")
        result = batch.action_agent_complete(self.agent_answer(user, prepared))
        self.assertEqual((result["signed"], result["failed"], result["skipped"]), (4, 0, 0))
        self.assertEqual(batch.state, "done")
        self.assertIn("4 trên 4", result["summary"])
        for record in self.records:
            lines = record.line_ids.filtered(lambda line: line.teacher_id == user)
            self.assertTrue(all(lines.mapped("gvbm_signed")))
            self.assertTrue(record._verify_report().valid, record.display_name)
        self.assertEqual(len(self.records.signature_ids.filtered(
            lambda s: s.user_id == user)), 4)
        # xmlsec1, independent of our code, verifies one signature of the batch
        run = self.xmlsec1_verify(self.record._get_xml(), "sig-gvbm-NGUVAN")
        self.assertEqual(run.returncode, 0, run.stderr)
        # the rest of the chain signs on top of the batch's signatures
        self.agent_sign(self.gvbm_math, self.records, "gvbm")
        self.assertEqual(set(self.records.mapped("state")), {"gvbm_signed"})
        _prepared, result = self.agent_sign(self.gvcn, self.records, "gvcn")
        self.assertEqual(result["signed"], 2)
        self.assertEqual(set(self.records.mapped("state")), {"gvcn_signed"})
        run = self.xmlsec1_verify(self.record._get_xml(), "sig-gvcn")
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_records_not_waiting_are_skipped_with_the_reason(self):
        self.lock(self.record)  # record2 stays a draft
        prepared, result = self.agent_sign(self.gvbm_math, self.records, "gvbm")
        self.assertEqual((result["signed"], result["skipped"]), (1, 1))
        batch = self.batch_of(self.gvbm_math, prepared)
        skipped = batch.item_ids.filtered(lambda item: item.state == "skipped")
        self.assertEqual(skipped.record_id, self.record2)
        self.assertIn("Không chờ bạn ký", skipped.message)

    def test_applying_twice_changes_nothing(self):
        self.lock(self.records)
        user = self.gvbm_math
        prepared = self.agent_wizard(user, self.records, "gvbm").action_agent_prepare()
        batch = self.batch_of(user, prepared)
        answer = {entry["doc_id"]: base64.b64decode(entry["signature"])
                  for entry in self.agent_answer(user, prepared)}
        first = batch.sudo()._apply(answer)
        self.assertEqual(first["signed"], 2)
        documents = self.records.mapped(lambda r: r._get_xml())
        log = self.records.signature_ids
        second = batch.sudo()._apply(answer)
        self.assertEqual((second["signed"], second["already"]), (0, 2))
        self.assertEqual(self.records.mapped(lambda r: r._get_xml()), documents)
        self.assertEqual(self.records.signature_ids, log)
        # unknown doc_ids are counted and ignored
        third = batch.sudo()._apply({"6A1-XX-TOAN": b"x" * 256})
        self.assertEqual(third["unknown"], 1)
        self.assertEqual(batch.unknown_count, 1)

    def test_record_changed_meanwhile_is_refused_and_listed(self):
        self.lock(self.records)
        user = self.gvbm_math
        prepared = self.agent_wizard(user, self.records, "gvbm").action_agent_prepare()
        # the homeroom teacher reopens one record, a mark changes, it is locked again
        self.record.with_user(self.gvcn).action_unlock()
        self.fill_secondary(self.record, math=("9.0", "9.5"))
        self.record.with_user(self.gvcn).action_lock()
        before = self.record._get_xml()
        result = self.batch_of(user, prepared).action_agent_complete(
            self.agent_answer(user, prepared))
        self.assertEqual((result["signed"], result["failed"]), (1, 1))
        batch = self.batch_of(user, prepared)
        self.assertEqual(batch.state, "partial")
        refused = batch.item_ids.filtered(lambda item: item.state == "refused")
        self.assertEqual(refused.record_id, self.record)
        self.assertIn("đã thay đổi", refused.message)
        self.assertEqual(self.record._get_xml(), before)
        self.assertFalse(self.record.signature_ids)
        self.assertTrue(self.record2.line_ids.filtered(
            lambda line: line.subject_code == "TOAN").gvbm_signed)

    def test_another_subject_signed_meanwhile_is_no_change(self):
        """Another teacher signing her own subject does not touch what mine covers."""
        self.lock(self.record)
        prepared = self.agent_wizard(self.gvbm_math, self.record, "gvbm").action_agent_prepare()
        self.agent_sign(self.gvbm_lit, self.record, "gvbm")
        result = self.batch_of(self.gvbm_math, prepared).action_agent_complete(
            self.agent_answer(self.gvbm_math, prepared))
        self.assertEqual(result["signed"], 1)
        self.assertEqual(self.record.state, "gvbm_signed")
        run = self.xmlsec1_verify(self.record._get_xml(), "sig-gvbm-TOAN")
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_signatures_over_other_hashes_and_junk_are_refused(self):
        self.lock_distinct(self.records)
        user = self.gvbm_math
        prepared = self.agent_wizard(user, self.records, "gvbm").action_agent_prepare()
        batch = self.batch_of(user, prepared)
        before = self.records.mapped(lambda r: r._get_xml())
        for junk in ("not a list", [{"doc_id": 5, "signature": "AA=="}],
                     [{"doc_id": prepared["items"][0]["doc_id"], "signature": "%%%"}],
                     [{"doc_id": "a", "signature": "A" * 5000}], [None] * 50):
            with self.assertRaises(UserError):
                batch.action_agent_complete(junk)
        self.assertEqual(batch.state, "waiting")
        # each value is the signature of the other digest: both refused, nothing written
        answer = self.agent_answer(user, prepared)
        answer[0]["signature"], answer[1]["signature"] = answer[1]["signature"], \
            answer[0]["signature"]
        # a doc_id the batch never sent: ignored
        answer.append({"doc_id": "6A1-HS0009-TOAN", "signature": answer[0]["signature"]})
        with self.assertRaises(UserError):  # the same document answered twice
            batch.action_agent_complete(answer + answer)
        result = batch.action_agent_complete(answer)
        self.assertEqual((result["signed"], result["failed"]), (0, 2))
        self.assertEqual(batch.state, "failed")
        self.assertEqual(batch.unknown_count, 1)
        for item in batch.item_ids:
            self.assertIn("không khớp", item.message)
        self.assertEqual(self.records.mapped(lambda r: r._get_xml()), before)
        self.assertFalse(self.records.signature_ids)
        # a signature by another key (another teacher's token) is refused the same way
        prepared = self.agent_wizard(user, self.records, "gvbm").action_agent_prepare()
        result = self.batch_of(user, prepared).action_agent_complete(
            self.agent_answer(user, prepared, leaf=self.leaf_of(self.gvbm_lit)))
        self.assertEqual(result["signed"], 0)
        self.assertFalse(self.records.signature_ids)

    def test_another_user_cannot_apply_or_read_my_batch(self):
        self.lock(self.records)
        prepared = self.agent_wizard(self.gvbm_math, self.records, "gvbm").action_agent_prepare()
        answer = self.agent_answer(self.gvbm_math, prepared)
        Batch = self.env["hocbaso.sign.batch"]
        theirs = Batch.with_user(self.gvbm_lit).browse(prepared["batch_id"])
        with self.assertRaises(AccessError):
            theirs.action_agent_complete(answer)
        with self.assertRaises(AccessError):
            theirs.read(["state"])
        self.assertFalse(Batch.with_user(self.gvbm_lit).search([]))
        self.assertFalse(self.env["hocbaso.sign.batch.item"].with_user(self.gvbm_lit).search(
            [("batch_id", "=", prepared["batch_id"])]))
        # the pending data stays internal, also to the signer herself
        mine = self.env["hocbaso.sign.batch.item"].with_user(self.gvbm_math).search(
            [("batch_id", "=", prepared["batch_id"])])
        self.assertEqual(len(mine), 2)
        with self.assertRaises(AccessError):
            mine.read(["pending_json"])
        # the school administrator reads the school's batches; the other school's does not
        self.assertTrue(Batch.with_user(self.school_admin).search(
            [("id", "=", prepared["batch_id"])]))
        self.assertFalse(Batch.with_user(self.other_school_admin).search(
            [("id", "=", prepared["batch_id"])]))
        with self.assertRaises(AccessError):  # and cannot write its state
            Batch.with_user(self.school_admin).browse(prepared["batch_id"]).write(
                {"state": "done"})
        # another user's wizard cannot prepare with my certificate
        wizard = self.agent_wizard(self.gvbm_math, self.records, "gvbm")
        with self.assertRaises(UserError):
            wizard.with_user(self.gvbm_lit).action_agent_prepare()
        self.assertFalse(self.records.signature_ids)

    def test_homeroom_teacher_signs_her_subjects_then_homeroom(self):
        """Her homeroom signature covers her subjects' signatures: two batches."""
        # she also teaches mathematics in her class
        self.record.line_ids.filtered(lambda line: line.subject_code == "TOAN").sudo().write(
            {"teacher_id": self.gvcn.id})
        self.lock(self.record)
        self.agent_sign(self.gvbm_lit, self.record, "gvbm")
        wizard = self.agent_wizard(self.gvcn, self.record, "gvcn")
        prepared = wizard.action_agent_prepare()
        self.assertEqual([item["doc_id"] for item in prepared["items"]], ["6A1-HS0001-TOAN"])
        result = self.batch_of(self.gvcn, prepared).action_agent_complete(
            self.agent_answer(self.gvcn, prepared))
        self.assertTrue(result["follow_up"])
        self.assertIn("giáo viên chủ nhiệm", result["summary"])
        self.assertEqual(self.record.state, "gvbm_signed")
        prepared = wizard.action_agent_prepare()  # the same window, the second batch
        self.assertEqual([item["doc_id"] for item in prepared["items"]], ["6A1-HS0001-GVCN"])
        result = self.batch_of(self.gvcn, prepared).action_agent_complete(
            self.agent_answer(self.gvcn, prepared))
        self.assertEqual(result["signed"], 1)
        self.assertEqual(self.record.state, "gvcn_signed")

    def test_wizard_remembers_the_last_certificate(self):
        self.lock(self.record)
        self.agent_sign(self.gvbm_math, self.record, "gvbm")
        choice = self.env["hocbaso.sign.choice"].with_user(self.gvbm_math)._last("gvbm")
        self.assertEqual(choice, self.agent_certs[self.gvbm_math])


@tagged("post_install", "-at_install")
class TestSignBatchRpc(BatchCase, HttpCase):
    """The browser component's calls, over JSON-RPC as the web client makes them."""

    def call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {}})

    def test_agent_round_trip_over_rpc(self):
        self.lock(self.records)
        user = self.gvbm_math
        self.authenticate(user.login, user.login)
        wizard_id = self.call("hocbaso.sign.wizard", "create", [{
            "role": "gvbm", "certificate_id": self.agent_certs[user].id,
            "record_ids": [(6, 0, self.records.ids)]}])
        prepared = self.call("hocbaso.sign.wizard", "action_agent_prepare", [[wizard_id]])
        self.assertEqual(len(prepared["items"]), 2)
        answer = self.agent_answer(user, prepared)
        # another teacher's session cannot answer my batch
        self.authenticate(self.gvbm_lit.login, self.gvbm_lit.login)
        with self.assertRaises(JsonRpcException):
            self.call("hocbaso.sign.batch", "action_agent_complete",
                      [[prepared["batch_id"]], answer])
        # nor call the server-side steps directly
        with self.assertRaises(JsonRpcException):
            self.call("hocbaso.sign.batch", "_apply", [[prepared["batch_id"]], {}])
        self.assertFalse(self.records.signature_ids)
        self.authenticate(user.login, user.login)
        result = self.call("hocbaso.sign.batch", "action_agent_complete",
                           [[prepared["batch_id"]], answer])
        self.assertEqual((result["signed"], result["failed"]), (2, 0))
        self.env.invalidate_all()
        self.assertEqual(len(self.records.signature_ids), 2)
        # the same answer again: the batch is closed, nothing changes
        with self.assertRaises(JsonRpcException):
            self.call("hocbaso.sign.batch", "action_agent_complete",
                      [[prepared["batch_id"]], answer])
        self.env.invalidate_all()
        self.assertEqual(len(self.records.signature_ids), 2)
