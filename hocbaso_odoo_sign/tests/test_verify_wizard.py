"""The verification wizard shows the shared signature rows (words, local times), and the
issued record names who really signed it for the school and when (from the signing log)."""

from zoneinfo import ZoneInfo

from odoo.tests import tagged

from .common import SignCase

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@tagged("post_install", "-at_install")
class TestVerifyWizardRows(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.principal.hocbaso_title = "Phó hiệu trưởng"
        cls.record.leader_id = False  # any leader may sign: the one who did is printed

    def test_rows_in_words_and_issuance_from_the_log(self):
        self.lock(self.record)
        self.sign_to(self.record)
        log = {entry.role: entry for entry in self.record.signature_ids}
        action = self.record.with_user(self.principal).action_verify_signatures()
        wizard = self.env["hocbaso.verify.wizard"].browse(action["res_id"])
        self.assertTrue(wizard.valid and wizard.intact and wizard.order_ok and wizard.complete)
        self.assertFalse(wizard.missing)
        html = wizard.report_html
        for label in ("Homeroom teacher", "School leadership", "Issuing school",
                      "Subject teacher – Mathematics"):
            self.assertIn(label, html)
        for code in ("KY_PHAT_HANH", "(GVCN)", "(CBQL)", "UTC", "TOAN"):
            self.assertNotIn(code, html)
        gvcn_time = log["gvcn"].signing_time.replace(tzinfo=ZoneInfo("UTC")).astimezone(VN)
        # the day as the principal's language writes dates, as the Signatures tab beside it
        lang = self.env["res.lang"]._lang_get(self.principal.lang or "en_US")
        self.assertIn(gvcn_time.strftime(f"{lang.date_format} %H:%M"), html)
        self.assertIn(self.pki.leaf("gvcn").spec.common_name, html)  # the certificate subject
        # the issued record: the leader who signed, her title, the issuance day on VN clock
        issuance = self.record._report_issuance()
        self.assertEqual(issuance["signer_name"], self.principal.name)
        self.assertEqual(issuance["title_lines"], ["KT. HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG"])
        issued = log["phathanh"].signing_time.replace(tzinfo=ZoneInfo("UTC")).astimezone(VN)
        self.assertEqual(issuance["issue_date"], issued.date())
        self.assertEqual(self.record._report_signers()["cbql"]["name"], self.principal.name)

    def test_vietnamese_rows(self):
        self.load_vietnamese()
        self.lock(self.record)
        self.sign_to(self.record, last_role="gvcn")
        wizard = self.env["hocbaso.verify.wizard"].with_context(lang="vi_VN").create(
            {"record_id": self.record.id})
        wizard._run()
        self.assertIn("Giáo viên chủ nhiệm", wizard.report_html)
        self.assertIn("Giáo viên bộ môn – Toán", wizard.report_html)
        self.assertIn("Lãnh đạo nhà trường", wizard.missing)
        self.assertIn("Nhà trường phát hành", wizard.missing)
        self.assertFalse(wizard.complete)
