"""The issuer exports a class in the background in the web client, in Vietnamese (tours in
static/tests/tours/export_job_tour.js)."""

import io
import json
import zipfile

from odoo.tests import HttpCase, tagged

from .common import HocbasoCase
from .test_transfer import TestPki, make_issued


@tagged("post_install", "-at_install")
class TestExportJobTour(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = TestPki()
        make_issued(cls, cls.record, cls.pki)
        make_issued(cls, cls.records - cls.record, cls.pki)
        cls.load_vietnamese()
        cls.issuer.lang = "vi_VN"

    def test_issuer_exports_a_class_in_the_background(self):
        Job = self.env["hocbaso.export.job"]
        self.start_tour(f"/odoo/action-hocbaso_odoo.hocbaso_class_action/{self.klass.id}",
                        "hocbaso_export_job_queue", login="issuer", timeout=120)
        job = Job.search([("user_id", "=", self.issuer.id)])
        self.assertEqual((len(job), job.state, job.total_count), (1, "queued", 2))
        self.assertEqual(job.class_id, self.klass)
        scopes = dict(job.with_context(lang="vi_VN")._fields["scope"]._description_selection(
            job.with_context(lang="vi_VN").env))
        self.assertEqual(scopes["class"], "Học bạ đã phát hành của một lớp")
        # the scheduled action builds it (no cron thread runs under tests)
        Job._cron_process()
        self.assertEqual(job.state, "done")
        self.start_tour(f"/odoo/action-hocbaso_odoo.hocbaso_class_action/{self.klass.id}",
                        "hocbaso_export_job_download", login="issuer", timeout=120)
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(job.attachment_id.raw)).read(
            "manifest.json"))
        self.assertEqual({p["record_id"] for p in manifest["packages"]}, set(self.records.ids))
        # the notification reached her inbox, in Vietnamese
        message = job.message_ids.filtered(lambda m: self.issuer.partner_id in m.partner_ids)
        self.assertIn("sẵn sàng", str(message.body))
