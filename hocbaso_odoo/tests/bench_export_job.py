"""Measure the whole-school export (issue 19): before (every record printed on its own, as the
synchronous export did in one request) and after (the background job, a class per print), with
wkhtmltopdf's own rate on the same HTML beside them. Prints figures, asserts no timing.

Not in the standard run (minutes of printing): its file name keeps pytest from collecting it
and its tags keep Odoo's runner from running it unless asked; HOCBASO_EXPORT_BENCH_N sets the
number of records (100 by default):
    HOCBASO_EXPORT_BENCH_N=100 bin/test-odoo hocbaso_bench/hocbaso_odoo:TestExportJobBench \
        hocbaso_odoo
"""

import cProfile
import io
import json
import os
import pstats
import subprocess
import tempfile
import time
import tracemalloc
import zipfile

from odoo.tests import tagged
from odoo.tools.misc import find_in_path

from ..models.hocbaso_record_batch_pdf import BATCH_TEMPLATE, SPLIT_URL
from .common import HocbasoCase
from .test_transfer import TestPki, make_issued

CLASS_SIZE = 20


def measure(function, savepoint):
    """(result, seconds, peak Python memory in MiB) of function(): timed once as it is, then
    run again under tracemalloc (which slows Python down) for the memory, rolled back between."""
    with savepoint():
        start = time.perf_counter()
        if os.environ.get("HOCBASO_EXPORT_BENCH_PROFILE"):
            profile = cProfile.Profile()
            result = profile.runcall(function)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        else:
            result = function()
        seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        with savepoint():
            function()
        return result, seconds, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@tagged("post_install", "-at_install", "-standard", "hocbaso_bench")
class TestExportJobBench(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        count = int(os.environ.get("HOCBASO_EXPORT_BENCH_N", "100"))
        cls.pki = TestPki()
        env = cls.env
        Student, Class = env["hocbaso.student"], env["hocbaso.class"]
        students = Student
        for index in range(count):
            number = index // CLASS_SIZE
            klass = Class.search([("name", "=", f"6B{number + 1}")]) or Class.create({
                "name": f"6B{number + 1}", "company_id": cls.school.id,
                "school_year_id": cls.year.id, "grade_id": cls.klass.grade_id.id,
                "homeroom_teacher_id": cls.gvcn.id})
            if not klass.assignment_ids:
                env["hocbaso.teaching.assignment"].create([
                    {"class_id": klass.id, "subject_id": subject.id, "teacher_id": teacher.id}
                    for subject, teacher in ((cls.subj_math, cls.gvbm_math),
                                             (cls.subj_lit, cls.gvbm_lit),
                                             (cls.subj_pe, cls.gvbm_lit))])
            students |= Student.create({
                "name": f"Học Sinh {index + 1:04d}",
                "personal_id": f"001{2 + index % 2}13{index + 10:06d}",
                "sex": str(1 + index % 2), "birth_date": "2013-09",
                "company_id": cls.school.id, "class_id": klass.id,
                "student_code": f"B{index:05d}", "birth_place": "Hà Nội"})
        cls.bench_records = env["hocbaso.record"].concat(
            *(klass._generate_records() for klass in students.class_id))
        start = time.perf_counter()
        for record in cls.bench_records:
            make_issued(cls, record, cls.pki)
        # pylint: disable-next=print-used
        print(f"\nEXPORT BENCH: {len(cls.bench_records)} issued records in "
              f"{len(students.class_id)} classes (set up in {time.perf_counter() - start:.0f} s)")

    def _before(self, records):
        """What the synchronous export did: one print per record (report.print_delay waited
        each time), each package written to a zip on disk."""
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for record in records:
                    archive.writestr("packages/" + record._package_filename(),
                                     record._build_package())
                    self.env.invalidate_all()
            return handle.tell()

    def _after(self):
        wizard = self.env["hocbaso.record.export"].with_user(self.issuer).create(
            {"scope": "school", "school_year_id": self.year.id})
        wizard.action_export()
        job = wizard.job_id
        while job.state in ("queued", "running"):
            self.env["hocbaso.export.job"]._cron_process()
        return job

    def _check_after(self):
        job = self._after()
        self.assertEqual((job.state, job.exported_count), ("done", len(self.bench_records)),
                         job.error_message)
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(job.attachment_id.raw)).read(
            "manifest.json"))
        self.assertEqual(len(manifest["packages"]), len(self.bench_records))
        return {"size": job.attachment_id.file_size}

    def _wkhtmltopdf(self, records):
        """wkhtmltopdf alone on the HTML of the same records (no Odoo around it)."""
        html = str(self.env["ir.qweb"]._render(BATCH_TEMPLATE, {
            "docs": records, "split_url": SPLIT_URL}))
        Report = self.env["ir.actions.report"].with_context(hocbaso_no_print_delay=True)
        report = self.env.ref("hocbaso_odoo.report_hocbaso_record")
        args = Report._build_wkhtmltopdf_args(report.get_paperformat(), False)
        with tempfile.TemporaryDirectory() as folder:
            source, target = os.path.join(folder, "in.html"), os.path.join(folder, "out.pdf")
            with open(source, "w", encoding="utf-8") as handle:
                handle.write(html)
            start = time.perf_counter()
            subprocess.run([find_in_path("wkhtmltopdf"), *args, source, target], check=True,
                           capture_output=True)
            return time.perf_counter() - start, os.path.getsize(target)

    def test_bench_whole_school_export(self):
        records = self.bench_records
        count = len(records)
        job, after_s, after_mib = measure(self._check_after, self.env.cr.savepoint)
        before_size, before_s, before_mib = measure(lambda: self._before(records),
                                                    self.env.cr.savepoint)
        self.assertGreater(before_size, 0)
        first_class = records.filtered(lambda r: r.class_id == records[0].class_id)
        wk_s, _pdf_size = self._wkhtmltopdf(first_class)
        lines = [
            f"EXPORT BENCH: N={count} records ({len(records.class_id)} classes of at most "
            f"{CLASS_SIZE}), zip {job['size'] / 2**20:.1f} MiB",
            f"  before (one request, a print per record): {before_s:7.1f} s "
            f"{count / before_s:6.2f} records/s, peak Python memory {before_mib:6.1f} MiB",
            f"  after (background job, a print per class): {after_s:7.1f} s "
            f"{count / after_s:6.2f} records/s, peak Python memory {after_mib:6.1f} MiB",
            f"  wkhtmltopdf alone, one class ({len(first_class)} records) in one call: "
            f"{wk_s:5.2f} s {len(first_class) / wk_s:6.2f} records/s",
        ]
        print("\n".join(lines))  # pylint: disable=print-used
