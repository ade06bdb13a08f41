"""Trusted timestamps (RFC 3161) on every signature made in Odoo, with the reference
time-stamping authority run as its own process: local signing through the wizard, the
school's "required" switch when the authority is down, a remote provider's batch, and the
proven time shown to users in Vietnamese and English."""

import base64
import json
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from hocbaso import pdfsign
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig as X
from hocbaso.timeutil import to_vn

from odoo.addons.hocbaso_odoo.models.hocbaso_record_transfer import signature_rows

from ..tools import verify_statement
from .common import SignCase, pem, start_standin, stop_standin

SP_ID, SP_PASSWORD, WEBHOOK_SECRET = "hocbaso-test-sp", "sp-password-1", "webhook-secret-1"
TOKEN_PATH = T.TIMESTAMP_PATH + "/" + X.xades("EncapsulatedTimeStamp")


def _dead_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@tagged("post_install", "-at_install")
class TestTimestamps(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.write_pki_dir()
        proc, cls.tsa_url, log = start_standin("hocbaso.signing.standins.tsa", cls.pki_dir)
        cls.addClassCleanup(stop_standin, proc, log)
        cls.school.write({"hocbaso_tsa_url": cls.tsa_url, "hocbaso_tsa_timeout": 5})

    # --- helpers ---------------------------------------------------------------------------
    def stamps(self, xml):
        """{signature Id: checked TimestampInfo or None} with the test PKI trusted."""
        return T.record_timestamps(xml, [self.pki.root], [self.pki.intermediate])

    def issued_tokens(self):
        return requests.get(f"{self.tsa_url}/_test/stats", timeout=5).json()["issued"]

    def chatter(self, record):
        return " ".join(record.message_ids.mapped("body"))

    def openssl_verify(self, xml, signature_id):
        exe = shutil.which("openssl")
        self.assertTrue(exe, "openssl is not installed (apt-get install openssl)")
        signature = [sig for sig in etree.fromstring(xml).iter(X.ds("Signature"))
                     if sig.get("Id") == signature_id][0]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "root.pem").write_bytes(pem(self.pki.root))
            (folder / "inter.pem").write_bytes(pem(self.pki.intermediate))
            (folder / "token.tst").write_bytes(base64.b64decode(signature.findtext(TOKEN_PATH)))
            return subprocess.run(
                [exe, "ts", "-verify", "-token_in", "-in", str(folder / "token.tst"),
                 "-digest", T.signature_value_digest(signature).hex(),
                 "-CAfile", str(folder / "root.pem"), "-untrusted", str(folder / "inter.pem")],
                capture_output=True, text=True, timeout=60)

    def sign_vi(self, records):
        """The mathematics teacher signs ``records`` from a Vietnamese screen."""
        wizard = self.wizard(self.gvbm_math, records, "gvbm").with_context(
            lang="vi_VN", hocbaso_secret=self.password)
        wizard.action_sign()
        return wizard

    def wizard_html(self, lang):
        wizard = self.env["hocbaso.verify.wizard"].with_context(lang=lang).create(
            {"record_id": self.record.id})
        wizard._run()
        return wizard.report_html

    # --- local signing ---------------------------------------------------------------------
    def test_class_signed_locally_is_timestamped_and_shown(self):
        action = self.school.with_context(lang="vi_VN").action_test_tsa()
        self.assertIn("Hocbaso Test Time-Stamping Authority", action["params"]["message"])
        self.lock(self.records)
        before = self.issued_tokens()
        self.sign_to(self.records)
        self.assertEqual(set(self.records.mapped("state")), {"issued"})
        signatures = self.records.signature_ids
        # one token per signature, every one of them checked and kept in the document; per
        # issued record, the first archive timestamp over the kept validation data, and one
        # for the certified PDF (PAdES B-T: sign_pdf reserves the token's room itself, no
        # trial token is asked for)
        self.assertEqual(self.issued_tokens() - before,
                         len(signatures) + len(self.records) + len(self.records))
        for record in self.records:
            found = self.stamps(record._get_xml())
            self.assertEqual(len(found), len(record.signature_ids))
            self.assertTrue(all(found.values()), found)
            report = record._verify_report()
            self.assertTrue(report.valid, report.errors)
            self.assertTrue(all(sig.timestamp_proven and not sig.warnings
                                for sig in report.signatures))
        xml = self.record._get_xml()
        run = self.openssl_verify(xml, "sig-gvcn")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Verification: OK", run.stdout)
        for signature_id in self.stamps(xml):  # xmlsec1 still verifies every signature
            run = self.xmlsec1_verify(xml, signature_id)
            self.assertEqual(run.returncode, 0, (signature_id, run.stderr))
        self.assertNotIn("Signed without a trusted timestamp", self.chatter(self.record))
        # retention: an issued record and its signature proofs are never deleted
        with self.assertRaises(UserError):
            self.record.sudo().unlink()
        with self.assertRaises(UserError):
            self.record.signature_ids.sudo().unlink()

        # the rows users read: the proven time on the school's clock and the authority
        # (the day as each language writes dates, as Odoo's own fields do)
        moment = to_vn(self.stamps(xml)["sig-gvcn"].gen_time)
        report = self.record._verify_report()
        shown = {"en_US": moment.strftime("%m/%d/%Y %H:%M"),
                 "vi_VN": moment.strftime("%d/%m/%Y %H:%M")}
        for lang, by in (("en_US", "by"), ("vi_VN", "do")):
            proven = shown[lang]
            words = f"{proven}, {by} Hocbaso Test Time-Stamping Authority"
            rows = signature_rows(report, True, self.env(context={"lang": lang}))
            gvcn = rows[[sig.role for sig in report.signatures].index("gvcn")]
            self.assertTrue(all(row["proven_time"] for row in rows))
            self.assertEqual(gvcn["proven_time"], proven)
            self.assertTrue(gvcn["timestamp"].startswith(words), gvcn["timestamp"])
        english = self.wizard_html("en_US")
        self.assertIn("Trusted timestamp", english)
        vietnamese = self.wizard_html("vi_VN")
        self.assertIn("Dấu thời gian tin cậy", vietnamese)
        for html, lang in ((english, "en_US"), (vietnamese, "vi_VN")):
            self.assertIn(shown[lang], html.split('class="o_sig_proven"')[1])
            self.assertIn("Hocbaso Test Time-Stamping Authority", html)
        for html in (english, vietnamese):
            self.assertNotIn("cannot be proven", html)
            self.assertNotIn("UTC", html)
        # the public verification page (Vietnamese by default) shows it too
        code = self.record._verification_code()
        page = self.url_open(f"/hocbaso/verify/{self.record.record_uuid}"
                             f"?v={self.record.version}&c={code}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(proven, page.text)
        self.assertIn("Hocbaso Test Time-Stamping Authority", page.text)
        self.assertIn("Dấu thời gian tin cậy", page.text)

    def test_class_signed_while_the_authority_is_far_away(self):
        """The records of one run ask for their tokens side by side (hocbaso.signing.
        concurrent): with an authority a round trip of 0.4 s away, the class does not wait
        for one token after another, and every signature still carries its own."""
        proc, url, log = start_standin("hocbaso.signing.standins.tsa", self.pki_dir,
                                       "--latency", "0.4")
        self.addCleanup(stop_standin, proc, log)
        self.school.write({"hocbaso_tsa_url": url})
        self.lock(self.records)
        self.assert_all_signed(self.sign_vi(self.records))
        stats = requests.get(f"{url}/_test/stats", timeout=5).json()
        self.assertEqual(stats["issued"], len(self.records))
        self.assertGreaterEqual(stats["most_at_once"], 2, "the tokens were asked one by one")
        for record in self.records:
            found = self.stamps(record._get_xml())
            self.assertEqual(len(found), 1)
            self.assertTrue(all(found.values()), found)
            self.assertTrue(record._verify_report().valid)
        self.assertNotIn("Ký không có dấu thời gian tin cậy", self.chatter(self.record))

    def test_class_issued_while_the_authority_is_far_away(self):
        """Issuance asks three tokens a record (its signature, its certified PDF, its first
        archive timestamp): each kind is asked for the records side by side."""
        self.lock(self.records)
        self.sign_to(self.records, "cbql")
        proc, url, log = start_standin("hocbaso.signing.standins.tsa", self.pki_dir,
                                       "--latency", "0.4")
        self.addCleanup(stop_standin, proc, log)
        self.school.write({"hocbaso_tsa_url": url})
        self.assert_all_signed(self.sign(self.issuer, self.records, "phathanh",
                                         self.school_cert))
        self.assertEqual(set(self.records.mapped("state")), {"issued"})
        stats = requests.get(f"{url}/_test/stats", timeout=5).json()
        self.assertEqual(stats["issued"], 3 * len(self.records))
        self.assertGreaterEqual(stats["most_at_once"], 2, "the tokens were asked one by one")
        for record in self.records:
            self.assertTrue(all(self.stamps(record._get_xml()).values()))
            pdf = pdfsign.verify_pdf(record._hocbaso_kept_pdf(), [self.pki.root],
                                     [self.pki.intermediate])
            self.assertTrue(pdf.ok, pdf.problems)
            self.assertIsNotNone(pdf.signatures[0].timestamp_time)
            self.assertIn(b"ArchiveTimeStamp", record._get_xml())

    def test_revocation_statement_timestamped(self):
        self.lock(self.record)
        self.sign_to(self.record)
        wizard = self.env["hocbaso.revoke.signed"].with_user(self.issuer).with_context(
            active_ids=self.record.ids).create({"record_ids": [(6, 0, self.record.ids)],
                                                "reason": "Sai điểm môn Toán"})
        wizard.with_context(hocbaso_secret=self.password).action_revoke()
        self.assertEqual(self.record.state, "revoked")
        statement = self.record._get_revocation_statement()
        signature = etree.fromstring(statement).find("CHU_KY/" + X.ds("Signature"))
        info = T.signature_timestamp(signature, [self.pki.root], [self.pki.intermediate])
        self.assertTrue(info and info.tsa_name.startswith("Hocbaso Test Time-Stamping"))
        self.assertTrue(verify_statement(statement)[0])
        run = self.xmlsec1_verify(statement, "sig-thuhoi")  # the signature is unchanged
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.openssl_verify(statement, "sig-thuhoi").returncode, 0)

    def test_issued_pdf_carries_the_authoritys_timestamp(self):
        """The certified PDF of an issued record is PAdES B-T: the school's authority proves
        when the school signed it, as it does for the XML record's signatures."""
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.record.state, "issued")
        report = pdfsign.verify_pdf(self.record._hocbaso_kept_pdf(), [self.pki.root],
                                    [self.pki.intermediate])
        self.assertTrue(report.ok, report.problems)
        self.assertIsNotNone(report.signatures[0].timestamp_time)
        self.school.write({"hocbaso_tsa_username": "someone"})  # the PDF signer takes no login
        self.assertIsNone(self.record._pdf_timestamp_url())

    def test_tsa_down_and_required_signs_nothing(self):
        self.school.write({"hocbaso_tsa_url": _dead_url(), "hocbaso_tsa_required": True})
        self.lock(self.records)
        before = {record.id: record._get_xml() for record in self.records}
        wizard = self.sign_vi(self.records)
        self.assertEqual(set(wizard.result_ids.mapped("status")), {"error"})
        for message in wizard.result_ids.mapped("message"):
            self.assertIn("Không lấy được dấu thời gian tin cậy nên chưa ký", message)
        self.assertFalse(self.records.signature_ids)
        for record in self.records:
            self.assertEqual(record._get_xml(), before[record.id])
            self.assertEqual(record.state, "locked")

    def test_tsa_down_and_not_required_signs_and_says_so(self):
        self.school.write({"hocbaso_tsa_url": _dead_url(), "hocbaso_tsa_required": False})
        self.lock(self.record)
        self.assert_all_signed(self.sign_vi(self.record))
        self.assertEqual(len(self.record.signature_ids), 1)
        found = self.stamps(self.record._get_xml())
        self.assertEqual(list(found.values()), [None])
        self.assertIn("Ký không có dấu thời gian tin cậy", self.chatter(self.record))
        english = self.wizard_html("en_US")
        self.assertIn("No trusted timestamp", english)
        self.assertNotIn("cannot be proven", english)
        self.assertIn("Chưa có dấu thời gian", self.wizard_html("vi_VN"))
        # required without an address is refused at once
        with self.assertRaises(ValidationError):
            self.school.write({"hocbaso_tsa_url": False, "hocbaso_tsa_required": True})

    # --- a remote provider's batch ---------------------------------------------------------
    def _provider_batch(self):
        provider = self.env["hocbaso.signing.provider"].create({
            "name": "SmartCA", "company_id": self.school.id, "kind": "smartca",
            "service_url": "http://127.0.0.1:1", "client_id": SP_ID,
            "client_secret": SP_PASSWORD, "webhook_secret": WEBHOOK_SECRET})
        cert = self.certs[self.gvbm_lit]
        cert.write({"backend": "remote", "provider_id": provider.id, "p12_file": False,
                    "remote_user_ref": self.pki.leaf("ecdsa").user_ref})
        proc, url, log = start_standin("hocbaso.signing.standins.smartca", self.pki_dir,
                                "--sp-id", SP_ID, "--sp-password", SP_PASSWORD,
                                "--webhook-secret", WEBHOOK_SECRET)
        self.addCleanup(stop_standin, proc, log)
        provider.service_url = url
        self.lock(self.records)
        wizard = self.env["hocbaso.sign.wizard"].with_user(self.gvbm_lit).with_context(
            active_model="hocbaso.record", active_ids=self.records.ids).create(
                {"role": "gvbm", "certificate_id": cert.id})
        wizard.action_sign()
        self.assertEqual(wizard.state, "batch_wait")
        return wizard.batch_ids, url

    def test_provider_batch_gets_our_timestamp_when_its_own_does_not_check(self):
        batch, url = self._provider_batch()
        before = self.issued_tokens()
        # the stand-in's timestamp_signature is not an RFC 3161 token: ours is added instead
        requests.post(f"{url}/_test/approve/{batch.transaction_ref}", json={}, timeout=5)
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(batch.state, "done", batch.summary)
        self.assertEqual(self.issued_tokens() - before, batch.signed_count)
        for record in self.records:
            found = self.stamps(record._get_xml())
            self.assertTrue(found and all(found.values()), found)
            self.assertTrue(record._verify_report().valid)
        xml = self.record._get_xml()
        signature_id = next(iter(self.stamps(xml)))
        self.assertEqual(self.xmlsec1_verify(xml, signature_id).returncode, 0)
        self.assertEqual(self.openssl_verify(xml, signature_id).returncode, 0)

    def test_provider_batch_stamped_side_by_side_when_the_authority_is_far_away(self):
        """One phone approval for a class: the records' tokens from the school's authority
        are asked side by side when the answers are applied, not one record after another."""
        batch, url = self._provider_batch()
        proc, tsa_url, log = start_standin("hocbaso.signing.standins.tsa", self.pki_dir,
                                           "--latency", "0.4")
        self.addCleanup(stop_standin, proc, log)
        self.school.write({"hocbaso_tsa_url": tsa_url})
        requests.post(f"{url}/_test/approve/{batch.transaction_ref}", json={}, timeout=5)
        self.env["hocbaso.sign.batch"]._cron_poll()
        self.assertEqual(batch.state, "done", batch.summary)
        self.assertGreater(batch.signed_count, 1)
        stats = requests.get(f"{tsa_url}/_test/stats", timeout=5).json()
        self.assertEqual(stats["issued"], batch.signed_count)
        self.assertGreaterEqual(stats["most_at_once"], 2, "the tokens were asked one by one")
        for record in self.records:
            found = self.stamps(record._get_xml())
            self.assertTrue(found and all(found.values()), found)
            self.assertTrue(record._verify_report().valid)

    def test_provider_batch_keeps_a_token_that_checks(self):
        """The test plays a provider that returns a real RFC 3161 token over each signature:
        it is kept as it is, and our authority is not asked again."""
        batch, _url = self._provider_batch()
        key = self.pki.leaf("ecdsa").key
        client = T.TimestampClient(self.tsa_url, [self.pki.root], [self.pki.intermediate])
        values, tokens = {}, {}
        for item in batch.item_ids.filtered(lambda item: item.state == "pending"):
            pending = X.PendingSignature.from_dict(json.loads(item.pending_json))
            value = X.to_xmldsig_value(pending.certificate, key.sign(
                pending.signed_info_c14n, ec.ECDSA(hashes.SHA256())))
            completed = X.complete_signature(pending, value)
            signature = [sig for sig in etree.fromstring(completed).iter(X.ds("Signature"))
                         if sig.get("Id") == pending.signature_id][0]
            values[item.doc_id] = value
            tokens[item.doc_id] = client.stamp(T.signature_value_digest(signature))
        # one token is damaged: that one alone is replaced by our authority's
        damaged = sorted(tokens)[0]
        tokens[damaged] = tokens[damaged][:-8] + b"\0" * 8
        before = self.issued_tokens()
        counts = batch._apply(values, tokens)
        self.assertEqual(counts["signed"], len(values))
        self.assertEqual(self.issued_tokens() - before, 1)
        kept = 0
        for item in batch.item_ids:
            xml = item.record_id._get_xml()
            signature = [sig for sig in etree.fromstring(xml).iter(X.ds("Signature"))
                         if sig.get("Id") == X.subject_signature_id(item.subject_code)][0]
            token = base64.b64decode(signature.findtext(TOKEN_PATH))
            self.assertEqual(token == tokens[item.doc_id], item.doc_id != damaged)
            kept += token == tokens[item.doc_id]
            self.assertTrue(item.record_id._verify_report().valid)
        self.assertEqual(kept, len(values) - 1)
