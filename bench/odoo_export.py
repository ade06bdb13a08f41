"""The export users wait for (issue 19): a class of issued records exported with their PDFs
through the background job, as the seal holder queues it and the scheduled action builds it.

The wizard queues the job (``hocbaso.record.export.action_export``); the job's cron step
(``hocbaso.export.job._cron_process``) is then called, each call in a transaction of its own as
Odoo's cron runs it, until the job is done. Each package holds the signed XML, the PDF (a
class per wkhtmltopdf call) and the certificate chain. Timed: the wizard's answer, the whole
export, per record; the limit is the issue's target, a school of 2,000 in 120 s. Beside it,
wkhtmltopdf alone on the same class's HTML (no Odoo around it).
"""

import io
import json
import os
import subprocess
import tempfile
import time
import zipfile

from .measure import log

SCHOOL_RECORDS = 2000
SCHOOL_LIMIT_S = 120.0  # issue 19: a whole school of 2,000 with XML, PDF and chain


class Exports:
    """Mixed into odoo_stages.Bench: one class of the first school exported in the background."""

    def export_class(self):
        school = self.schools[0]
        klass = school["classes"][0]
        context = {"allowed_company_ids": [school["company"]]}
        start = time.perf_counter()
        with self.env(school["issuer"], context) as env:
            wizard = env["hocbaso.record.export"].create({"scope": "class",
                                                         "class_id": klass["id"]})
            wizard.action_export()
            job_id = wizard.job_id.id
        queued = time.perf_counter() - start
        steps = 0
        while True:
            with self.env() as env:
                job = env["hocbaso.export.job"].browse(job_id)
                if job.state not in ("queued", "running"):
                    break
                env["hocbaso.export.job"]._cron_process()
                steps += 1
        seconds = time.perf_counter() - start
        with self.env() as env:
            job = env["hocbaso.export.job"].browse(job_id)
            if job.state != "done" or job.exported_count != len(klass["records"]):
                raise RuntimeError(f"export job {job_id}: {job.state}, {job.exported_count} of "
                                   f"{len(klass['records'])} exported: {job.error_message}")
            archive = zipfile.ZipFile(io.BytesIO(job.attachment_id.raw))
            manifest = json.loads(archive.read("manifest.json"))
            pdfs = self._pdfs_in_packages(archive)
            size = job.attachment_id.file_size
            wk_seconds = self._wkhtmltopdf_alone(env, klass["records"])
        if len(manifest["packages"]) != len(klass["records"]) or pdfs != len(klass["records"]):
            raise RuntimeError(f"export job {job_id}: {len(manifest['packages'])} packages, "
                               f"{pdfs} PDFs for {len(klass['records'])} records")
        self.export_job = {"records": len(klass["records"]), "seconds": seconds,
                           "queued": queued, "steps": steps, "size": size,
                           "wkhtmltopdf": wk_seconds}
        log(f"export job: {len(klass['records'])} records in {seconds:.1f}s "
            f"({len(klass['records']) / seconds:.1f} records/s), wizard {queued * 1000:.0f} ms")

    @staticmethod
    def _pdfs_in_packages(archive):
        """How many packages in the export hold a PDF (each package is a zip of its own)."""
        count = 0
        for name in archive.namelist():
            if not name.endswith(".zip"):
                continue
            package = zipfile.ZipFile(io.BytesIO(archive.read(name)))
            count += any(member.endswith(".pdf") and package.read(member).startswith(b"%PDF")
                         for member in package.namelist())
        return count

    @staticmethod
    def _wkhtmltopdf_alone(env, record_ids):
        """Seconds of one wkhtmltopdf run on the class's batch HTML, as the job renders it."""
        from odoo.addons.hocbaso_odoo.models.hocbaso_record_batch_pdf import (BATCH_TEMPLATE,
                                                                              SPLIT_URL)
        from odoo.tools.misc import find_in_path

        records = env["hocbaso.record"].browse(record_ids)
        html = str(env["ir.qweb"]._render(BATCH_TEMPLATE, {"docs": records,
                                                           "split_url": SPLIT_URL}))
        report = env.ref("hocbaso_odoo.report_hocbaso_record")
        args = env["ir.actions.report"]._build_wkhtmltopdf_args(report.get_paperformat(), False)
        with tempfile.TemporaryDirectory() as folder:
            source, target = os.path.join(folder, "in.html"), os.path.join(folder, "out.pdf")
            with open(source, "w", encoding="utf-8") as handle:
                handle.write(html)
            start = time.perf_counter()
            subprocess.run([find_in_path("wkhtmltopdf"), *args, source, target], check=True,
                           capture_output=True)
            return time.perf_counter() - start

    def export_rows(self):
        job = self.export_job
        rate = job["records"] / job["seconds"]
        limit = SCHOOL_RECORDS / SCHOOL_LIMIT_S
        return [{
            "stage": "export a class with PDFs (background job)", "rate": rate,
            "unit": "records/s", "limit": limit,
            "note": f"{job['records']} records in {job['seconds']:.1f} s, "
                    f"{job['seconds'] / job['records'] * 1000:.0f} ms per record, the wizard "
                    f"answered in {job['queued'] * 1000:.0f} ms, {job['steps']} cron call(s), "
                    f"zip {job['size'] / 2**20:.1f} MiB (XML, PDF, chain per package); limit: "
                    f"{SCHOOL_RECORDS:,} records in {SCHOOL_LIMIT_S:.0f} s ({limit:.1f}/s), a "
                    f"school at this rate: {SCHOOL_RECORDS / rate:.0f} s"}, {
            "stage": "  wkhtmltopdf alone on the same class's HTML",
            "rate": job["records"] / job["wkhtmltopdf"], "unit": "records/s",
            "note": f"{job['wkhtmltopdf']:.1f} s for {job['records']} records, one call"}]
