import tempfile
from datetime import timedelta

from odoo import fields

from hocbaso.csdl.testing import CsdlServerProcess, note_delivery

from odoo.addons.hocbaso_odoo.tests.common import HocbasoCase

CLIENT_ID, CLIENT_SECRET = "hb-sync-client", "s3cret-sync-7f2c"


class SyncCase(HocbasoCase):
    """HocbasoCase + the real reference CSDL server (a separate process on 127.0.0.1)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tmp = tempfile.TemporaryDirectory(prefix="hb-csdl-")
        cls.addClassCleanup(tmp.cleanup)
        cls.csdl = CsdlServerProcess(tmp.name, clients=[
            (CLIENT_ID, CLIENT_SECRET, cls.school.hocbaso_school_code),
            ("other-client", "other-secret", cls.other_school.hocbaso_school_code),
        ])
        cls.csdl.start()
        cls.addClassCleanup(cls.csdl.stop)
        cls.config = cls.env["hocbaso.sync.config"].create({
            "company_id": cls.school.id,
            "endpoint_url": cls.csdl.base_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "school_code": cls.school.hocbaso_school_code,
            "mode": "test",
            "batch_size": 2,
            "timeout": 1.5,
        })
        cls.Entry = cls.env["hocbaso.sync.entry"]

    def setUp(self):
        super().setUp()
        self.csdl.reset()

    # --- fixtures --------------------------------------------------------------------------
    def issue(self, record):
        """Make ``record`` issued WITHOUT real signatures.

        Locking stores the real record XML (record._store_xml(record._build_xml())). The
        signing addon refuses any move to a signed state without real signatures, so the state
        is written with _write(), which bypasses the workflow guards: TEST FIXTURE ONLY. Then
        the core hook _on_issued() runs as it does after a real issue.
        """
        if record.state == "draft":
            if record.version == 1:
                self.fill_results(record)
            record.with_user(record.class_id.homeroom_teacher_id).action_lock()
        self.assertTrue(record.xml_document, "locking stores the document")
        record.sudo()._write({"state": "issued"})
        record.invalidate_recordset(["state"])
        record._on_issued()
        return record

    @classmethod
    def fill_results(cls, record):
        if "TOAN" in record.line_ids.mapped("subject_code"):
            cls.fill_secondary(record)
            return
        record.line_ids.write({"semester1": "6.5", "semester2": "7.0"})
        record.write({"conduct_year": "K", "homeroom_comment": "Chăm chỉ."})

    def run_cron(self):
        return self.Entry._cron_send_pending()

    def make_due(self, entries):
        """Deterministic retries: move the next attempt into the past instead of sleeping."""
        entries.sudo().write({"next_retry_at": fields.Datetime.now() - timedelta(seconds=1)})

    def server_record(self, record_or_uuid):
        uuid = getattr(record_or_uuid, "record_uuid", record_or_uuid)
        return self.csdl.record(uuid)

    def assert_exactly_once(self, uuid, version):
        held = self.server_record(uuid)
        note_delivery(uuid, version, held)
        self.assertTrue(held, f"the CSDL holds {uuid}")
        self.assertEqual(held["phien_ban"], version)
        for held_version in held["versions"]:
            self.assertEqual(held_version["accepted_deliveries"], 1,
                             f"{uuid} v{held_version['phien_ban']} stored exactly once")
        return held
