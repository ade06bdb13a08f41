"""Exports in the background (issue 19): the wizard queues a job, the scheduled action builds
it chunk by chunk (a class printed in one wkhtmltopdf call), a stopped job resumes without
duplicates, a failing record is skipped with its reason, a failing job says so, and only its
owner sees it and its file."""

import hashlib
import io
import json
import os
import zipfile
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from ..models.hocbaso_export_job import HocbasoExportJob
from ..models.hocbaso_export_job_chunk import HocbasoExportJobChunk
from ..models.hocbaso_record_batch_pdf import SPLIT_URL, BatchPrint
from ..models.hocbaso_record_package import pdf_record_xml
from .common import HocbasoCase
from .test_transfer import issue_two

CRON = "hocbaso_odoo.ir_cron_hocbaso_export_job"


def small_chunks(size=1):
    return patch.object(HocbasoExportJob, "_chunk_size", size)


@tagged("post_install", "-at_install")
class TestExportJob(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        issue_two(cls)
        cls.Job = cls.env["hocbaso.export.job"]

    # --- helpers ------------------------------------------------------------------------------
    def _queue(self, user=None, **context):
        user = user or self.gvcn
        context = context or {"active_model": "hocbaso.class", "active_ids": self.klass.ids}
        wizard = self.env["hocbaso.record.export"].with_user(user).with_context(
            **context).create({})
        action = wizard.action_export()
        self.assertEqual((action["res_model"], action["res_id"]), (wizard._name, wizard.id))
        return wizard, wizard.job_id

    def _archive(self, job):
        self.assertEqual(job.state, "done", job.error_message)
        archive = zipfile.ZipFile(io.BytesIO(job.attachment_id.raw))
        return archive, json.loads(archive.read("manifest.json"))

    def _expected_entries(self, records):
        """The manifest entries the synchronous export (before issue 19) wrote for these
        records, but for size and sha256 (a package is stamped with its build time)."""
        return [{
            "file": "packages/" + record._package_filename(), "record_id": record.id,
            "record_uuid": record.record_uuid, "version": record.version,
            "student": record.student_id.name, "personal_id": record.student_id.personal_id,
            "class": record.class_id.name, "school_year": record.school_year_id.name,
            "state": record.state,
        } for record in records]

    def _check_zip(self, job, records):
        archive, manifest = self._archive(job)
        self.assertEqual(manifest["format"], "hocbaso-export-1.0")
        self.assertEqual(manifest["package_format"], "hocbaso-package-1.0")
        self.assertEqual(manifest["school"]["name"], self.school.name)
        entries = manifest["packages"]
        self.assertEqual([{k: v for k, v in e.items() if k not in ("size", "sha256")}
                          for e in entries], self._expected_entries(records))
        self.assertEqual(manifest["exported_count"], len(records))
        for entry, record in zip(entries, records, strict=True):
            package = archive.read(entry["file"])
            self.assertEqual(entry["sha256"], hashlib.sha256(package).hexdigest())
            self.assertEqual(entry["size"], len(package))
            inner = zipfile.ZipFile(io.BytesIO(package))
            self.assertEqual(json.loads(inner.read("manifest.json"))["record"]["id"], record.id)
            pdf_name = next(n for n in inner.namelist() if n.endswith(".pdf"))
            pdf = inner.read(pdf_name)
            self.assertTrue(pdf.startswith(b"%PDF"))
            self.assertNotIn(SPLIT_URL.encode(), pdf)
        self.assertEqual(sorted(archive.namelist()),
                         sorted([e["file"] for e in entries] + ["manifest.json"]))
        return archive, manifest

    # --- the journey ----------------------------------------------------------------------------
    def test_queued_then_built_in_chunks(self):
        with small_chunks():
            wizard, job = self._queue()
        self.assertEqual(wizard.state, "queued")
        self.assertIn("queued", wizard.summary)
        self.assertEqual(wizard.action_open_job()["res_id"], job.id)
        # the wizard returned at once: nothing printed yet, the scheduled action is called
        self.assertTrue(self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref(CRON).id)]))
        self.assertEqual((job.state, job.user_id, job.total_count, job.done_count),
                         ("queued", self.gvcn, 2, 0))
        self.assertEqual(len(job.chunk_ids), 2)
        # first chunk: the job is in progress, half done
        job.sudo()._process_step()
        self.assertEqual((job.state, job.done_count), ("running", 1))
        self.assertEqual(job.chunk_ids.mapped("state"), ["done", "todo"])
        self.assertTrue(job.chunk_ids[0].attachment_id)
        # the scheduled action does the rest and tells Odoo how far it is
        with patch.object(type(self.env["ir.cron"]), "_notify_progress") as progress:
            self.Job._cron_process()
        progress.assert_called_once_with(done=2, remaining=0)  # second chunk, then the zip
        self.assertEqual((job.state, job.done_count, job.exported_count, job.skipped_count),
                         ("done", 2, 2, 0))
        self._check_zip(job, self.record | self.record2)
        self.assertTrue(job.export_filename.startswith("hocba_export_6A1_2024-2025"))
        self.assertFalse(job.chunk_ids.attachment_id, "the chunks' files are removed")
        # the owner is told: a message in the inbox, on the job
        message = job.message_ids.filtered(lambda m: self.gvcn.partner_id in m.partner_ids)
        self.assertEqual(len(message), 1)
        self.assertEqual(job.message_ids, message, "only the outcome, in the owner's language")
        self.assertIn(job.name, str(message.body))
        self.assertIn(self.gvcn.partner_id, message.notification_ids.res_partner_id)
        # and downloads it
        download = job.with_user(self.gvcn).action_download()
        self.assertEqual(download["url"], f"/web/content/{job.attachment_id.id}?download=true")
        logs = self.env["hocbaso.access.log"].search([("action", "=", "download_package"),
                                                      ("user_id", "=", self.gvcn.id)])
        self.assertEqual(logs.record_id, self.record | self.record2)

    def test_the_job_says_what_it_covers(self):
        _wizard, job = self._queue()
        self.assertEqual((job.class_id, job.coverage), (self.klass, self.klass.display_name))
        # the whole school, asked from a class's page: no class shown, "Whole school"
        wizard = self.env["hocbaso.record.export"].with_user(self.issuer).with_context(
            active_model="hocbaso.class", active_ids=self.klass.ids).create({"scope": "school"})
        wizard.action_export()
        job = wizard.job_id
        self.assertEqual((job.scope, job.class_id.id, job.coverage),
                         ("school", False, "Whole school"))
        self.load_vietnamese()
        self.assertEqual(job.with_context(lang="vi_VN").coverage, "Toàn trường")
        arch = job.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="coverage"', arch)

    def test_batch_print_split_per_record(self):
        records = self.record | self.record2
        pdfs = records._render_pdfs()
        self.assertEqual(set(pdfs), set(records.ids))
        for record in records:
            single = PdfFileReader(io.BytesIO(record._render_pdf())).getNumPages()
            split = PdfFileReader(io.BytesIO(pdfs[record.id]))
            self.assertEqual(split.getNumPages(), single)
            self.assertNotIn(SPLIT_URL.encode(), pdfs[record.id])
            # as the single print: the PDF carries its record's signed XML (verify page)
            self.assertEqual(pdf_record_xml(pdfs[record.id]), record._get_xml())
        # no wait for JavaScript in the batch print
        Report = self.env["ir.actions.report"].with_context(hocbaso_no_print_delay=True)
        paperformat = self.env.ref("hocbaso_odoo.paperformat_hocbaso_record")
        args = Report._build_wkhtmltopdf_args(paperformat, False)
        self.assertEqual(args[args.index("--javascript-delay") + 1], "0")
        args = self.env["ir.actions.report"]._build_wkhtmltopdf_args(paperformat, False)
        self.assertNotEqual(args[args.index("--javascript-delay") + 1], "0")

    def test_resume_after_a_crash(self):
        with small_chunks():
            _wizard, job = self._queue(user=self.issuer)
        job.sudo()._process_step()
        first = job.chunk_ids[0]
        first_entries, first_file = first.entries, first.attachment_id
        # the server stops in the middle of the second chunk: its attempt was committed,
        # nothing else (the chunk's transaction is lost)
        job.chunk_ids[1].sudo().attempts = 1
        printed = []
        original = type(self.env["hocbaso.record"])._start_pdfs

        def count(records):
            printed.extend(records.ids)
            return original(records)

        with patch.object(type(self.env["hocbaso.record"]), "_start_pdfs", count):
            self.Job._cron_process()
        self.assertEqual(printed, self.record2.ids, "the done chunk is not printed again")
        self.assertEqual(first.entries, first_entries)
        _archive, manifest = self._check_zip(job, self.record | self.record2)
        ids = [e["record_id"] for e in manifest["packages"]]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertFalse(first_file.exists())

    def _count_prints_and_packages(self):
        """A patch recording, in order, each print started and each package built."""
        events = []
        Record = type(self.env["hocbaso.record"])
        start, build = Record._start_pdfs, Record._build_package

        def start_pdfs(records):
            events.append(("print", records.ids))
            return start(records)

        def build_package(record, pdf=None):
            events.append(("package", record.ids))
            return build(record, pdf=pdf)

        patches = (patch.object(Record, "_start_pdfs", start_pdfs),
                   patch.object(Record, "_build_package", build_package))
        return events, patches

    def test_next_chunk_printed_while_this_one_is_packaged(self):
        with small_chunks():
            _wizard, job = self._queue(user=self.issuer)
        events, (print_patch, package_patch) = self._count_prints_and_packages()
        with print_patch, package_patch:
            self.Job._cron_process()
        first, second = self.record.ids, self.record2.ids
        # the second chunk's print is under way before the first chunk is packaged; each
        # record printed once, packaged once
        self.assertEqual(events, [("print", first), ("print", second), ("package", first),
                                  ("package", second)])
        self._check_zip(job, self.record | self.record2)

    def test_stopped_with_the_next_chunk_printing(self):
        with small_chunks():
            _wizard, job = self._queue(user=self.issuer)
        events, (print_patch, package_patch) = self._count_prints_and_packages()
        cancelled = []
        original_cancel = BatchPrint.cancel

        def cancel(batch):
            cancelled.append(batch.records.ids)
            return original_cancel(batch)

        # the time budget runs out after the first chunk, the second one's print started
        clock = patch("odoo.addons.hocbaso_odoo.models.hocbaso_export_job.time")
        with print_patch, package_patch, patch.object(BatchPrint, "cancel", cancel), \
                clock as fake_time:
            fake_time.monotonic.side_effect = [0, 0, 1000]
            self.Job._cron_process()
        self.assertEqual(job.chunk_ids.mapped("state"), ["done", "todo"])
        self.assertIn(self.record2.ids, cancelled, "the print started ahead is stopped")
        # the server stops too: the chunk was only printed ahead, never claimed
        self.assertEqual(job.chunk_ids[1].attempts, 0)
        with print_patch, package_patch:
            self.Job._cron_process()
        self.assertEqual([e for e in events if e[1] == self.record2.ids],
                         [("print", self.record2.ids)] * 2 + [("package", self.record2.ids)])
        _archive, manifest = self._check_zip(job, self.record | self.record2)
        ids = [e["record_id"] for e in manifest["packages"]]
        self.assertEqual(ids, (self.record | self.record2).ids)

    def test_background_print_stopped(self):
        started = (self.record | self.record2)._start_pdfs()
        self.assertTrue(os.path.isdir(started.folder))
        folder = started.folder
        started.cancel()
        self.assertIsNotNone(started.process.returncode, "the child is stopped")
        self.assertFalse(os.path.exists(folder), "its files are removed")

    def test_record_failing_is_skipped_with_reason(self):
        draft = self.other_class_record  # results not locked: no document
        selection = self.record | self.record2 | draft
        action = selection.action_open_export()
        original = type(self.env["hocbaso.record"])._build_package

        def build(record, pdf=None):
            if record == self.record2:
                raise UserError("Chữ ký không đọc được")  # pylint: disable=translation-required
            return original(record, pdf=pdf)

        _wizard, job = self._queue(user=self.school_admin, **action["context"])
        with patch.object(type(self.env["hocbaso.record"]), "_build_package", build):
            self.Job._cron_process()
        _archive, manifest = self._check_zip(job, self.record)
        reasons = {s["record_id"]: s["reason"] for s in manifest["skipped"]}
        self.assertEqual(reasons[self.record2.id], "Chữ ký không đọc được")
        self.assertIn(draft.id, reasons)
        self.assertEqual((job.exported_count, job.skipped_count), (1, 2))
        # nothing exportable at all: said at once, nothing queued
        wizard = self.env["hocbaso.record.export"].with_user(self.school_admin).create(
            {"scope": "selected", "record_ids": [(6, 0, draft.ids)]})
        with self.assertRaisesRegex(UserError, "lock"):
            wizard.action_export()

    def test_failure_is_told_and_retried(self):
        _wizard, job = self._queue(user=self.issuer)
        with patch.object(HocbasoExportJobChunk, "_run", side_effect=RuntimeError("disk full")):
            self.Job._cron_process()
        self.assertEqual(job.state, "failed")
        self.assertIn("disk full", job.error_message)
        self.assertIn("6A1", job.error_message)
        with self.assertRaises(UserError):
            job.with_user(self.issuer).action_download()
        with self.assertRaises(AccessError):
            job.with_user(self.school_admin).action_retry()
        job.with_user(self.issuer).action_retry()
        self.assertEqual(job.state, "queued")
        self.Job._cron_process()
        self._check_zip(job, self.record | self.record2)
        # a chunk that keeps stopping the server fails the job instead of looping
        _wizard, job = self._queue(user=self.issuer)
        job.chunk_ids.sudo().attempts = 3
        self.Job._cron_process()
        self.assertEqual(job.state, "failed")
        self.assertIn("3 times", job.error_message)

    def test_runs_with_the_owners_rights(self):
        _wizard, job = self._queue()  # the homeroom teacher of 6A1
        self.klass.homeroom_teacher_id = self.gvcn_other_class  # then she no longer is
        self.Job._cron_process()
        self.assertEqual(job.state, "done")
        _archive, manifest = self._archive(job)
        self.assertEqual(manifest["packages"], [])
        self.assertEqual({s["reason"] for s in manifest["skipped"]},
                         {"no longer accessible to the exporter"})

    def test_only_the_owner_sees_the_job(self):
        _wizard, job = self._queue(user=self.issuer)
        self.Job._cron_process()
        Job = self.env["hocbaso.export.job"]
        self.assertEqual(Job.with_user(self.issuer).search([]), job)
        for other in (self.school_admin, self.gvcn, self.inspector, self.other_school_admin):
            self.assertFalse(Job.with_user(other).search([("id", "=", job.id)]), other.login)
            with self.assertRaises(AccessError):
                job.with_user(other).read(["name"])
            with self.assertRaises(AccessError):
                job.with_user(other).action_download()
            with self.assertRaises(AccessError):
                job.attachment_id.with_user(other).read(["raw"])
        self.assertTrue(job.attachment_id.with_user(self.issuer).read(["raw"])[0]["raw"])
        # users cannot write a job nor queue one by RPC (only the wizard does, as the server)
        with self.assertRaises(AccessError):
            job.with_user(self.issuer).write({"state": "queued"})
        with self.assertRaises(AccessError):
            Job.with_user(self.issuer).create({"name": "x", "scope": "school"})
        with self.assertRaises(AccessError):
            job.chunk_ids.with_user(self.gvcn).read(["entries"])

    def test_old_exports_are_removed(self):
        _wizard, job = self._queue(user=self.issuer)
        self.Job._cron_process()
        attachment = job.attachment_id
        self.Job._gc_old_exports()
        self.assertTrue(job.exists(), "a recent export stays")
        self.env.cr.execute("UPDATE hocbaso_export_job SET create_date = now() - interval '31 days'"
                            " WHERE id = %s", [job.id])
        job.invalidate_recordset(["create_date"])
        self.Job._gc_old_exports()
        self.assertFalse(job.exists())
        self.assertFalse(attachment.exists())
