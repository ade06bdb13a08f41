"""Correction before issuance: send back, withdraw the later signatures, correct, sign again."""

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import DS_NS, SignCase


@tagged("post_install", "-at_install")
class TestSendBack(SignCase):

    def send_back(self, user, records, reason, subjects=None):
        wizard = self.env["hocbaso.record.send.back"].with_user(user).with_context(
            active_model="hocbaso.record", active_ids=records.ids).create({
                "reason": reason, "subject_ids": [(6, 0, (subjects or []) and subjects.ids)]})
        self.assertEqual(wizard.record_ids, records, "the wizard takes the selected records")
        return wizard.action_send_back()

    def signature_ids(self, record):
        root = etree.fromstring(record._get_xml())
        return {sig.get("Id") for sig in root.iter("{%s}Signature" % DS_NS)}

    def line(self, record, code):
        return record.line_ids.filtered(lambda line: line.subject_code == code)

    def tracked(self, records):
        """The records as a user's own screen writes them: changes tracked in the chatter."""
        return records.with_context(tracking_disable=False, mail_notrack=False,
                                    mail_create_nolog=False)

    def test_principal_sends_a_subject_back_and_it_is_signed_again(self):
        self.lock(self.record)
        self.sign_to(self.record, "cbql")
        self.assertEqual(self.record.state, "leader_signed")
        log_before = self.record.signature_ids
        self.send_back(self.principal, self.record, "Sai điểm học kỳ II môn Toán",
                       self.subj_math)

        record = self.record
        self.assertEqual(record.state, "locked")
        self.assertTrue(record.correction_open)
        math, lit = self.line(record, "TOAN"), self.line(record, "NGUVAN")
        self.assertFalse(math.gvbm_signed)
        self.assertTrue(math.correction_open)
        self.assertTrue(lit.gvbm_signed, "the other subjects keep their signatures")
        # the log keeps every signature; the withdrawn ones say who, when and why
        self.assertEqual(record.signature_ids, log_before, "nothing deleted from the log")
        withdrawn = record.signature_ids.filtered("withdrawn_on")
        self.assertEqual(sorted(withdrawn.mapped("signature_ref")),
                         ["sig-cbql", "sig-gvbm-TOAN", "sig-gvcn"])
        self.assertEqual(withdrawn.withdrawn_by, self.principal)
        self.assertEqual(set(withdrawn.mapped("withdraw_reason")),
                         {"Sai điểm học kỳ II môn Toán"})
        self.assertEqual(self.signature_ids(record), {"sig-gvbm-NGUVAN", "sig-gvbm-GDTC"})
        # the printed record shows only the signatures still standing
        signers = record._report_signers()
        self.assertFalse(signers["gvcn"]["signed"] or signers["cbql"]["signed"])
        self.assertFalse(signers["gvbm"]["TOAN"]["signed"])
        self.assertTrue(signers["gvbm"]["NGUVAN"]["signed"])
        # each person who must act again has a task
        activities = record.activity_ids
        self.assertEqual(set(activities.mapped("user_id")), {self.gvbm_math, self.gvcn})

        # only the subject's own teacher corrects it, and only it
        with self.assertRaises(UserError):
            math.with_user(self.gvbm_lit).write({"semester2": "9.0"})
        with self.assertRaises(UserError):
            lit.with_user(self.gvbm_math).write({"semester2": "9.0"})
        with self.assertRaises(UserError):
            math.with_user(self.gvbm_math).write({"subject_id": self.subj_pe.id})
        self.tracked(math).with_user(self.gvbm_math).write({"semester2": "9.0"})
        self.assertIn("9.0", record._get_xml().decode(), "the document carries the correction")
        note = record.message_ids.filtered(lambda m: "8.5 → 9.0" in (m.body or ""))
        self.assertTrue(note, "the change is in the chatter with its old and new value")
        self.assertEqual(note[0].author_id, self.gvbm_math.partner_id)
        self.assertFalse(record._signed_slots_ok("gvbm"), "TOAN is not signed yet")

        # signed again, in order, up to issuance; every signature verifies
        self.assert_all_signed(self.sign(self.gvbm_math, record, "gvbm"))
        self.assertEqual(record.state, "gvbm_signed")
        self.assert_all_signed(self.sign(self.gvcn, record, "gvcn"))
        self.assertFalse(record.correction_open, "closed when the homeroom teacher signs")
        self.assert_all_signed(self.sign(self.principal, record, "cbql"))
        self.assert_all_signed(self.sign(self.issuer, record, "phathanh", self.school_cert))
        self.assertEqual(record.state, "issued")
        self.assertTrue(record._verify_report().valid)
        for sig_id in self.signature_ids(record):
            result = self.xmlsec1_verify(record._get_xml(), sig_id)
            self.assertEqual(result.returncode, 0, sig_id + ": " + result.stderr)

    def test_homeroom_teacher_sends_her_part_back_until_leadership_signed(self):
        self.lock(self.records)
        self.sign_to(self.records, "gvcn")
        with self.assertRaises(AccessError):
            self.send_back(self.gvcn_other_class, self.record, "Không phải lớp của tôi")
        self.send_back(self.gvcn, self.records, "Sửa nhận xét")
        for record in self.records:
            self.assertEqual(record.state, "gvbm_signed", "every subject stays signed")
            self.assertEqual(self.signature_ids(record),
                             {"sig-gvbm-TOAN", "sig-gvbm-NGUVAN", "sig-gvbm-GDTC"})
        # the homeroom teacher corrects her part; the rest of the record stays as signed
        self.tracked(self.record).with_user(self.gvcn).write(
            {"homeroom_comment": "Chăm ngoan, tiến bộ."})
        self.assertIn("Chăm ngoan, tiến bộ.", self.record._get_xml().decode())
        with self.assertRaises(UserError):
            self.record.with_user(self.gvcn).write({"student_id": self.student2.id})
        with self.assertRaises(UserError):
            self.line(self.record, "TOAN").with_user(self.gvbm_math).write({"semester1": "1.0"})
        self.assert_all_signed(self.sign(self.gvcn, self.records, "gvcn"))
        self.assert_all_signed(self.sign(self.principal, self.records, "cbql"))
        # past the leadership's signature, only the principal sends back
        with self.assertRaises(AccessError):
            self.send_back(self.gvcn, self.record, "Sửa nữa")
        self.send_back(self.principal, self.record, "Sửa nữa")
        self.assertEqual(self.record.state, "gvbm_signed")

    def test_who_and_when_a_record_cannot_be_sent_back(self):
        self.lock(self.record)
        with self.assertRaisesRegex(UserError, "signed record"):
            self.send_back(self.principal, self.record, "Chưa ký gì")
        self.sign_to(self.record)
        with self.assertRaisesRegex(UserError, "corrected version"):
            self.send_back(self.principal, self.record, "Đã phát hành")
        with self.assertRaises(AccessError):
            self.send_back(self.gvbm_math, self.record, "Giáo viên bộ môn")
        wizard = self.env["hocbaso.record.send.back"].with_user(self.principal).create(
            {"record_ids": [(6, 0, self.record2.ids)], "reason": " "})
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.action_send_back()

    def test_every_result_change_is_tracked(self):
        """Before any send-back too: who, when, old and new value, on the record."""
        # records created in this transaction are not tracked (mail.thread.create); a user's
        # change comes in a transaction of its own
        self.env.cr.precommit.data.pop("mail.tracking.hocbaso.record", None)
        math = self.tracked(self.line(self.record, "TOAN"))
        math.with_user(self.gvbm_math).write({"semester1": "6.5"})
        math.with_user(self.gvbm_math).write({"comment": "Cần cố gắng"})
        bodies = " ".join(self.record.message_ids.mapped("body"))
        self.assertIn("∅ → 6.5", bodies)
        self.assertIn("∅ → Cần cố gắng", bodies)
        self.tracked(self.record).with_user(self.gvcn).write({"conduct_year": "K"})
        self.env.cr.precommit.run()  # Odoo writes tracking values when the transaction ends
        self.env.invalidate_all()
        tracking = self.record.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "conduct_year")
        self.assertTrue(tracking, "the record's own results are tracked fields")


@tagged("post_install", "-at_install")
class TestSendBackTour(SignCase, HttpCase):
    """The same journey in headless Chromium, in Vietnamese and in English."""

    def test_principal_sends_back_and_teacher_corrects_in_the_browser(self):
        self.load_vietnamese()
        self.lock(self.records)
        self.sign_to(self.records, "cbql")
        for lang, record in (("vi_VN", self.record), ("en_US", self.record2)):
            (self.principal | self.gvbm_math).lang = lang
            self.start_tour(f"/odoo/action-hocbaso_odoo.hocbaso_record_action/{record.id}",
                            "hocbaso_send_back", login="principal", timeout=120)
            self.assertEqual(record.state, "locked", lang)
            self.assertTrue(record.correction_open)
            math = record.line_ids.filtered(lambda line: line.subject_code == "TOAN")
            self.assertTrue(math.correction_open)
            self.assertEqual(set(record.signature_ids.filtered("withdrawn_on").mapped(
                "withdraw_reason")), {"Sai điểm học kỳ II môn Toán"})
        self.gvbm_math.lang = "vi_VN"
        self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_record_line_action",
                        "hocbaso_correct_sent_back", login="gvbm_math", timeout=120)
        math = self.record.line_ids.filtered(lambda line: line.subject_code == "TOAN")
        self.assertEqual(math.semester2, "9.0")
        self.assertTrue(self.record.message_ids.filtered(lambda m: "8,5 → 9,0" in (m.body or "")),
                        "the correction is in the record's history, in her way of writing")
        self.assert_all_signed(self.sign(self.gvbm_math, self.record, "gvbm"))
        self.assertEqual(self.record.state, "gvbm_signed")
