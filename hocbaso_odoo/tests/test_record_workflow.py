from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestRecordWorkflow(HocbasoCase):
    """draft → locked → GVBM → GVCN → giám hiệu → issued → revoked | superseded."""

    def _lock(self, record=None):
        record = record or self.record
        self.fill_secondary(record)
        record.with_user(self.gvcn).action_lock()
        return record

    def _sign_through(self, record, target):
        """Drive the core state machine the way the signing layer does."""
        order = ["gvbm_signed", "gvcn_signed", "leader_signed", "issued"]
        users = {"gvcn_signed": self.gvcn, "leader_signed": self.principal, "issued": self.issuer}
        for state in order:
            if state == "gvbm_signed":
                for line in record.line_ids:
                    record.with_user(line.teacher_id)._mark_subject_signed(line)
            else:
                record.with_user(users[state])._set_state(state)
                if state == "issued":
                    record._on_issued()
            if state == target:
                return

    def test_lock_computes_results(self):
        self._lock()
        self.assertEqual(self.record.state, "locked")
        math = self.record.line_ids.filtered(lambda l: l.subject_code == "TOAN")
        self.assertEqual(math.year_result, "8.2", "(7.5 + 2×8.5) / 3 = 8.17 → 8.2")
        pe = self.record.line_ids.filtered(lambda l: l.subject_code == "GDTC")
        self.assertEqual(pe.year_result, "Đ", "comment subjects take the semester 2 result")
        self.assertTrue(self.record.learning_year)
        self.assertTrue(self.record.issue_date, "the date of issue is fixed at lock")

    def test_document_kept_in_the_row_with_lz4(self):
        """The document lives in the record's row, TOAST-compressed with lz4 where the server
        has it (every signature rewrites it: pglz made that the slowest part of a batch)."""
        self._lock()
        cr = self.env.cr
        # PostgreSQL 15 (Debian 12, what the project installs) is built with lz4
        cr.execute("SELECT attcompression FROM pg_attribute WHERE attrelid = 'hocbaso_record'"
                   "::regclass AND attname = 'xml_document'")
        self.assertEqual(cr.fetchone()[0], "l")
        self.record.flush_recordset()
        cr.execute("SELECT xml_document FROM hocbaso_record WHERE id = %s", [self.record.id])
        self.assertTrue(cr.fetchone()[0], "the document is a column of the record")
        self.assertTrue(self.record._get_xml().startswith(b"<?xml"))

    def test_unlock_before_signature(self):
        self._lock()
        self.record.with_user(self.gvcn).action_unlock()
        self.assertEqual(self.record.state, "draft")

    def test_components_give_semester_average(self):
        math = self.record.line_ids.filtered(lambda l: l.subject_code == "TOAN")
        math.write({"s1_regular": "7 8 9", "s1_midterm": "7", "s1_final": "8"})
        # (7+8+9 + 2×7 + 3×8) / (3+5) = 62/8 = 7.75 → 7.8
        self.assertEqual(math.semester1, "7.8")

    def test_full_chain_and_chatter(self):
        self._lock()
        self._sign_through(self.record, "issued")
        self.assertEqual(self.record.state, "issued")
        self.assertTrue(all(self.record.line_ids.mapped("gvbm_signed")))
        tracked = self.record.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state")
        self.assertTrue(tracked or self.record.message_ids, "transitions leave a trace in the chatter")

    def test_order_enforced_server_side(self):
        self._lock()
        with self.assertRaises(UserError):
            self.record.with_user(self.gvcn)._set_state("gvcn_signed")  # GVBM not signed yet
        with self.assertRaises(UserError):
            self.record.sudo().write({"state": "issued"})  # skipping steps, even as superuser
        self._sign_through(self.record, "gvbm_signed")
        with self.assertRaises(UserError):
            self.record.with_user(self.issuer)._set_state("issued")
        self.assertEqual(self.record.state, "gvbm_signed")

    def test_wrong_role_cannot_advance(self):
        self._lock()
        self._sign_through(self.record, "gvbm_signed")
        with self.assertRaises(AccessError):
            self.record.with_user(self.issuer)._set_state("gvcn_signed")
        self._sign_through(self.record, "gvcn_signed")
        with self.assertRaises(AccessError):
            self.record.with_user(self.gvcn)._set_state("leader_signed")

    def test_signed_content_cannot_be_written_by_anyone(self):
        self._lock()
        math = self.record.line_ids.filtered(lambda l: l.subject_code == "TOAN")
        self.record._mark_subject_signed(math)
        for env_user in (self.env.user, self.school_admin, self.gvcn):
            with self.subTest(user=env_user.login):
                with self.assertRaises(UserError):
                    math.with_user(env_user).sudo().write({"semester2": "10"})
                with self.assertRaises(UserError):
                    self.record.with_user(env_user).sudo().write({"homeroom_comment": "changed"})
        with self.assertRaises(UserError):
            self.record.sudo().action_unlock()
        with self.assertRaises(UserError):
            self.record.sudo().unlink()
        with self.assertRaises(UserError):
            math.sudo().unlink()
        self.assertEqual(math.semester2, "8.5")

    def test_locked_record_content_frozen_until_unlocked(self):
        self._lock()
        with self.assertRaises(UserError):
            self.record.write({"homeroom_comment": "x"})
        self.record.action_unlock()
        self.record.write({"homeroom_comment": "x"})
        self.assertEqual(self.record.homeroom_comment, "x")

    def test_revoke_needs_reason_and_keeps_record(self):
        self._lock()
        self._sign_through(self.record, "issued")
        with self.assertRaises(UserError):
            self.record.with_user(self.issuer)._revoke("  ")
        self.record.with_user(self.issuer)._revoke("Sai điểm môn Toán")
        self.assertEqual(self.record.state, "revoked")
        self.assertEqual(self.record.revoke_reason, "Sai điểm môn Toán")
        with self.assertRaises(UserError):
            self.record.sudo().unlink()

    def test_correction_creates_new_version_signed_again(self):
        self._lock()
        self._sign_through(self.record, "issued")
        action = self.record.with_user(self.gvcn).action_create_correction()
        new = self.env["hocbaso.record"].browse(action["res_id"])
        self.assertEqual(new.version, 2)
        self.assertEqual(new.record_uuid, self.record.record_uuid)
        self.assertEqual(new.state, "draft")
        self.assertFalse(any(new.line_ids.mapped("gvbm_signed")), "signed again from the start")
        self.assertEqual(new.line_ids.filtered(lambda l: l.subject_code == "TOAN").semester2, "8.5")
        self.assertEqual(self.record.state, "issued", "the old version stays valid until the new one is issued")
        with self.assertRaises(UserError):
            self.record.with_user(self.gvcn).action_create_correction()
        new.line_ids.filtered(lambda l: l.subject_code == "TOAN").write({"semester2": "9.0"})
        new.with_user(self.gvcn).action_lock()
        self._sign_through(new, "issued")
        self.assertEqual(self.record.state, "superseded")
        self.assertEqual(self.record.next_version_id, new)

    def test_generate_records_skips_students_who_have_one(self):
        self.env["hocbaso.student"].create({
            "name": "Võ Hoàng Dũng", "personal_id": "001213000004", "company_id": self.school.id,
            "class_id": self.klass.id})
        new = self.klass._generate_records()
        self.assertEqual(len(new), 1)
        self.assertEqual(len(new.line_ids), 3)
        self.assertEqual(new.line_ids.filtered(lambda l: l.subject_code == "TOAN").teacher_id,
                         self.gvbm_math)
