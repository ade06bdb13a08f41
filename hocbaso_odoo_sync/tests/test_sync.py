import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from hocbaso.csdl.client import CsdlClient

from .common import CLIENT_ID, CLIENT_SECRET, SyncCase


@tagged("post_install", "-at_install")
class TestSyncOutbox(SyncCase):

    def test_issue_enqueues_new_and_arrives_exactly_once(self):
        records = self.records | self.other_class_record
        for record in records:
            self.issue(record)
        entries = self.Entry.search([("record_id", "in", records.ids)])
        self.assertEqual(len(entries), 3)
        self.assertEqual(set(entries.mapped("event")), {"NEW"})
        self.assertEqual(set(entries.mapped("phien_ban")), {1})
        self.assertEqual(set(entries.mapped("state")), {"pending"})
        for entry in entries:
            self.assertEqual(entry.xml_sha256, entry.record_id.xml_sha256,
                             "the outbox carries the issued document")
        # calling the hook again does not queue the event twice
        records[0]._on_issued()
        self.assertEqual(self.Entry.search_count([("record_id", "in", records.ids)]), 3)

        self.assertEqual(self.run_cron(), 3, "batch size 2: two batches in one run")
        self.assertEqual(set(entries.mapped("state")), {"acknowledged"})
        self.assertEqual(set(entries.mapped("receipt_status")), {"accepted"})
        self.assertTrue(all(entries.mapped("receipt_id")))
        self.assertEqual(set(entries.mapped("attempts")), {1})
        for record in records:
            held = self.assert_exactly_once(record.record_uuid, 1)
            self.assertEqual(held["trang_thai"], "active")
            self.assertEqual(held["so_dinh_danh"], record.personal_id)
            self.assertEqual(held["nam_hoc"], "2024-2025")
            self.assertEqual(held["versions"][0]["sha256"], record.xml_sha256)
        # a second run has nothing to do and sends nothing
        self.assertEqual(self.run_cron(), 0)
        self.assertEqual(sum(r["deliveries"].get("accepted", 0) for r in self.csdl.records()), 3)
        self.assertEqual(sum(sum(r["deliveries"].values()) for r in self.csdl.records()), 3)

    def test_reissue_sends_update_and_server_holds_v2(self):
        self.issue(self.record)
        self.run_cron()
        action = self.record.with_user(self.gvcn).action_create_correction()
        v2 = self.env["hocbaso.record"].browse(action["res_id"])
        v2.line_ids.filtered(lambda line: line.subject_code == "TOAN").write(
            {"semester2": "9.0"})
        self.issue(v2)
        self.assertEqual(self.record.state, "superseded")
        update = self.Entry.search([("record_id", "=", v2.id)])
        self.assertEqual((update.event, update.phien_ban, update.record_version), ("UPDATE", 2, 2))
        self.run_cron()
        self.assertEqual(update.state, "acknowledged")
        held = self.assert_exactly_once(self.record.record_uuid, 2)
        self.assertEqual(held["su_kien"], "UPDATE")
        self.assertEqual(held["sha256"], v2.xml_sha256)
        self.assertEqual([v["phien_ban"] for v in held["versions"]], [1, 2])

    def test_revoke_sends_cancel_soft_delete(self):
        self.issue(self.record)
        self.run_cron()
        self.record.with_user(self.issuer)._revoke("Sai điểm môn Toán")
        cancel = self.Entry.search([("record_id", "=", self.record.id), ("event", "=", "CANCEL")])
        self.assertEqual(cancel.phien_ban, 2, "the sync version grows with every event")
        self.assertEqual(cancel.reason, "Sai điểm môn Toán")
        self.run_cron()
        self.assertEqual(cancel.state, "acknowledged")
        held = self.assert_exactly_once(self.record.record_uuid, 2)
        self.assertEqual(held["trang_thai"], "cancelled")
        self.assertEqual(held["versions"][-1]["reason"], "Sai điểm môn Toán")
        self.assertEqual(len(held["versions"]), 2, "history is kept: a soft delete")
        # a correction of the revoked record comes after the cancel
        action = self.record.with_user(self.gvcn).action_create_correction()
        v2 = self.issue(self.env["hocbaso.record"].browse(action["res_id"]))
        update = self.Entry.search([("record_id", "=", v2.id)])
        self.assertEqual((update.event, update.phien_ban), ("UPDATE", 3))
        self.run_cron()
        held = self.assert_exactly_once(self.record.record_uuid, 3)
        self.assertEqual(held["trang_thai"], "active")

    def test_faults_end_acknowledged_without_duplicates(self):
        records = self.records
        for record in records:
            self.issue(record)
        entries = self.Entry.search([("record_id", "in", records.ids)])
        for mode, count, delay in [("http500", 2, None), ("timeout", 1, 2.5),
                                   ("drop_after_commit", 1, None), ("malformed", 1, None),
                                   ("http429", 1, 1), ("slow", 1, 0.3)]:
            with self.subTest(mode=mode):
                self.csdl.reset()
                entries.sudo().write({"state": "pending", "attempts": 0, "next_retry_at": False,
                                      "receipt_id": False, "receipt_status": False})
                self.csdl.set_faults(mode, count=count, delay=delay)
                runs = 0
                while entries.filtered(lambda e: e.state != "acknowledged") and runs < 5:
                    self.run_cron()
                    runs += 1
                    waiting = entries.filtered(lambda e: e.state == "retrying")
                    if waiting and mode == "timeout":
                        self._wait_until_stored(records)
                    if waiting:
                        self.assertTrue(all(waiting.mapped("last_error")))
                        self.assertTrue(all(e.next_retry_at > fields.Datetime.now()
                                            for e in waiting), "backs off before retrying")
                        self.assertEqual(self.run_cron(), 0, "nothing is due during back-off")
                        self.make_due(waiting)
                self.assertEqual(set(entries.mapped("state")), {"acknowledged"}, mode)
                expected_runs = {"http500": 3, "slow": 1}.get(mode, 2)
                self.assertEqual(runs, expected_runs, f"{mode}: number of cron runs")
                for record in records:
                    self.assert_exactly_once(record.record_uuid, 1)
                if mode in ("drop_after_commit", "malformed", "timeout"):
                    self.assertEqual(set(entries.mapped("receipt_status")), {"duplicate"},
                                     "the server stored the first try; the resend is a duplicate")

    def _wait_until_stored(self, records, limit=10.0):
        """The timeout fault: the server stores after the client gave up; wait for that."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if all(self.server_record(record) for record in records):
                return
            time.sleep(0.1)
        self.fail("the CSDL server never stored the timed-out batch")

    def test_bad_credentials_fail_clearly_then_retry_after_fix(self):
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        self.config.client_secret = "wrong-secret"
        self.run_cron()  # must not raise
        self.assertEqual(entry.state, "failed")
        self.assertIn("refused the credentials", entry.last_error)
        self.assertNotIn("wrong-secret", entry.last_error)
        self.assertEqual(self.run_cron(), 0, "a failed entry waits for a person")
        self.config.client_secret = CLIENT_SECRET
        entry.with_user(self.school_admin).action_retry()
        self.assertEqual(entry.state, "acknowledged")
        self.assert_exactly_once(self.record.record_uuid, 1)

    def test_wrong_school_code_fails_clearly(self):
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        self.config.school_code = "99999999"
        self.run_cron()
        self.assertEqual(entry.state, "failed")
        self.assertIn("99999999", entry.last_error)
        self.assertFalse(self.csdl.records())
        self.config.school_code = self.school.hocbaso_school_code
        entry.with_user(self.school_admin).action_retry()
        self.assertEqual(entry.state, "acknowledged")

    def test_killed_mid_batch_recovers_stuck_entries(self):
        """Odoo killed after the CSDL stored a batch but before the answer was committed."""
        for record in self.records:
            self.issue(record)
        entries = self.Entry.search([("record_id", "in", self.records.ids)])
        first = entries.sorted("id")[0]
        client = CsdlClient(self.csdl.base_url, CLIENT_ID, CLIENT_SECRET,
                            self.school.hocbaso_school_code)
        client.send(first._envelope(self.config))  # the server got it, Odoo never knew
        long_ago = fields.Datetime.now() - timedelta(hours=2)
        entries.sudo().write({"state": "sending", "sending_since": long_ago, "attempts": 1})
        # an entry being sent right now by a live run is left alone
        self.issue(self.other_class_record)
        live = self.Entry.search([("record_id", "=", self.other_class_record.id)])
        live.sudo().write({"state": "sending", "sending_since": fields.Datetime.now()})
        self.run_cron()
        self.assertEqual(set(entries.mapped("state")), {"acknowledged"})
        self.assertEqual(first.receipt_status, "duplicate")
        self.assertEqual(live.state, "sending")
        for record in self.records:
            self.assert_exactly_once(record.record_uuid, 1)
        self.assertFalse(self.server_record(self.other_class_record))

    def test_retry_takes_back_an_entry_interrupted_while_sending(self):
        """After a restart an admin need not wait for the cron's recovery: Retry resends an
        entry left 'sending' once its answer timeout has passed (the CSDL already holds it)."""
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        client = CsdlClient(self.csdl.base_url, CLIENT_ID, CLIENT_SECRET,
                            self.school.hocbaso_school_code)
        client.send(entry._envelope(self.config))  # stored by the CSDL, the answer was lost
        entry.sudo().write({"state": "sending", "attempts": 1,
                            "sending_since": fields.Datetime.now() - timedelta(seconds=20)})
        entry.with_user(self.school_admin).action_retry()
        self.assertEqual(entry.state, "sending", "within the answer timeout it may be live")
        entry.sudo().write({"sending_since": fields.Datetime.now() - timedelta(minutes=3)})
        entry.with_user(self.school_admin).action_retry()
        self.assertEqual(entry.state, "acknowledged")
        self.assertEqual(entry.receipt_status, "duplicate")
        self.assert_exactly_once(self.record.record_uuid, 1)

    def test_invalid_envelope_fails_alone_without_blocking_others(self):
        for record in self.records:
            self.issue(record)
        entries = self.Entry.search([("record_id", "in", self.records.ids)]).sorted("id")
        bad = entries[0]
        bad.sudo().write({"personal_id": False})  # the CSDL refuses an envelope without it
        self.run_cron()
        self.assertEqual(bad.state, "failed")
        self.assertIn(bad.id_ban_ghi, bad.last_error)
        self.assertEqual(entries[1].state, "acknowledged")

    def test_outbox_copy_is_the_document_without_a_text_index(self):
        """The copy queued at issue is the record's document byte for byte; Odoo's text index
        of it (all of its ~50 KB again, for XML queued by a non-admin) is not kept."""
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        attachment = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "hocbaso.sync.entry"), ("res_field", "=", "xml_document"),
            ("res_id", "=", entry.id)])
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.raw, self.record._get_xml())
        self.assertEqual(entry._xml_bytes(), self.record._get_xml())
        self.assertFalse(attachment.index_content)
        other = self.env["ir.attachment"].create({"name": "note.txt", "raw": b"plain words here"})
        self.assertTrue(other.index_content, "other attachments are indexed as before")

    def test_damaged_or_missing_document_fails_alone_and_is_never_sent(self):
        """The outbox's copy of the document is checked against its SHA-256 before sending:
        a changed or lost file fails its entry with a clear message, the others go."""
        records = self.records | self.other_class_record
        for record in records:
            self.issue(record)
        entries = self.Entry.search([("record_id", "in", records.ids)]).sorted("id")
        changed, lost, good = entries[0], entries[1], entries[2]
        attachments = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "hocbaso.sync.entry"), ("res_field", "=", "xml_document"),
            ("res_id", "in", (changed | lost).ids)])
        by_entry = {attachment.res_id: attachment for attachment in attachments}
        by_entry[changed.id].write({"raw": changed._xml_bytes().replace(b"</", b" </", 1)})
        by_entry[lost.id].flush_recordset()
        self.env.cr.execute("UPDATE ir_attachment SET store_fname = %s, db_datas = NULL "
                            "WHERE id = %s", ["ab/lost-" + "0" * 30, by_entry[lost.id].id])
        by_entry[lost.id].invalidate_recordset()

        self.run_cron()
        for entry in (changed, lost):
            self.assertEqual(entry.state, "failed")
            self.assertIn("was damaged: its SHA-256 no longer matches", entry.last_error)
            self.assertIsNone(self.server_record(entry.id_ban_ghi), "never sent")
        self.assertEqual(good.state, "acknowledged")
        self.assert_exactly_once(good.id_ban_ghi, 1)

    def test_send_now_refresh_and_dashboard(self):
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        self.assertEqual(self.config.pending_count, 1)
        self.assertTrue(self.config.oldest_pending_at)
        self.assertEqual(self.record.with_user(self.school_admin).sync_entry_count, 1)
        action = entry.with_user(self.school_admin).action_send_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(entry.state, "acknowledged")
        self.config.invalidate_recordset()
        self.assertEqual((self.config.pending_count, self.config.acknowledged_count), (0, 1))
        # the acknowledgement got lost: the status check at the CSDL confirms it
        entry.sudo().write({"state": "retrying", "receipt_status": False})
        entry.with_user(self.school_admin).action_refresh_status()
        self.assertEqual((entry.state, entry.remote_version, entry.remote_state),
                         ("acknowledged", 1, "active"))
        view = self.record.with_user(self.school_admin).action_view_sync_entries()
        self.assertEqual(self.Entry.search(view["domain"]), entry)

    def test_test_connection_button(self):
        ok = self.config.with_user(self.school_admin).action_test_connection()
        self.assertEqual(ok["params"]["type"], "success")
        self.config.client_secret = "not-the-secret"
        bad = self.config.with_user(self.school_admin).action_test_connection()
        self.assertEqual(bad["params"]["type"], "danger")
        self.assertIn("refused the credentials", bad["params"]["message"])
        self.assertNotIn("not-the-secret", bad["params"]["message"])

    def test_identity_check_at_csdl(self):
        self.csdl.seed_students([
            {"so_dinh_danh": self.student.personal_id, "ho_va_ten": "NGUYỄN VĂN AN",
             "ngay_sinh": "2013-09-15", "gioi_tinh": "1"},
            {"so_dinh_danh": self.student2.personal_id, "ho_va_ten": "Trần Thị Bích",
             "ngay_sinh": "2013-02-01", "gioi_tinh": "2"},
        ])
        match = self.student.with_user(self.school_admin)._csdl_identity_check()
        self.assertEqual((match["found"], match["name_ok"], match["birth_ok"]), (True, True, True))
        action = self.student.with_user(self.school_admin).action_check_csdl_identity()
        self.assertEqual(action["params"]["type"], "success")
        mismatch = self.student2.with_user(self.school_admin).action_check_csdl_identity()
        self.assertEqual(mismatch["params"]["type"], "danger")
        self.assertIn("Trần Thị Bích", mismatch["params"]["message"])
        unknown = self.student_other_class.with_user(self.school_admin)._csdl_identity_check()
        self.assertFalse(unknown["found"])
        with self.assertRaises(AccessError):
            self.student.with_user(self.gvcn).action_check_csdl_identity()

    def test_access_rights(self):
        self.issue(self.record)
        entry = self.Entry.search([("record_id", "=", self.record.id)])
        with self.assertRaises(AccessError):
            entry.with_user(self.gvcn).read(["state"])
        with self.assertRaises(AccessError):
            entry.with_user(self.gvcn).action_send_now()
        self.assertFalse(self.Entry.with_user(self.other_school_admin).search([]))
        with self.assertRaises(AccessError):
            self.config.with_user(self.school_admin).read(["client_secret"])
        self.assertTrue(self.config.with_user(self.school_admin).has_secret)
        self.assertNotIn(CLIENT_SECRET, repr(self.config._csdl_client()))
