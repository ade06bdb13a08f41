"""Odoo stages of the benchmark: a district of schools in a fresh database, on real Odoo 18 and
PostgreSQL, through the addons' own code paths.

    python -m bench --odoo [--students 30000]

1. A fresh database ``hocbaso_bench_<timestamp>`` with its own config file and data folder
   (under a temporary folder) and its own HTTP port (8479, or $HOCBASO_BENCH_HTTP_PORT; no
   server is started: every stage runs in this process): odoo-bin installs hocbaso_odoo,
   hocbaso_odoo_sign and hocbaso_odoo_sync (and Vietnamese).
2. The district, built in this process by hocbaso_demo's generator, the one that builds the
   demo school (hocbaso_demo/district.py, odoo_setup.generate_district): primary schools
   (TT27) whose first school has 2,000 students (or all of them when fewer) and the others
   about 1,200; classes of up to 35; one homeroom teacher per class, four specialist
   teachers (foreign language, informatics, PE, arts), the principal, the seal holder, the
   school administrator; every record filled with subject results and ratings; a test PKI
   (security/pki.py) with a PKCS#12 certificate for every signer and the school's seal.
3. Timed, each in its own transactions as a user would run them. Export and signing run in
   a pool of Odoo worker processes (``--workers``, default 2: one per core, as a server with
   two Odoo workers serves a district), each with its own registry; the first school's classes
   are split between the workers so both work on it at once, then each takes a whole school.
   Throughput (records/s, the school and district times) is wall-clock over all workers;
   the ratio of signing to the raw RSA limit is per worker, since that limit is one core's:
   export      the school administrator locks the results (``action_lock``: computed results,
               state, chatter, XML build + XSD validation, stored document), batches of
               up to 1,000 records;
   signing     the sign wizard (``hocbaso.sign.wizard.action_sign``: PKCS#12 opened, every
               server-side check, XML-DSig, stored document, signature log, chatter, state)
               as each signer uses it, every record waiting for her selected at once (up to
               1,000 per run): each specialist teacher across her classes, each homeroom
               teacher for her class (her subjects and GVCN in one step), the principal, then
               the seal holder across the school (issuance also queues the record in the CSDL
               outbox);
   token       one class's homeroom signature on a SoftHSM2 token (same wizard, PKCS#11);
   queue       the outbox entries of issued records made again (``_on_issued``), at two batch
               sizes, with the SQL query count per record (an N+1 shows as a count that grows);
   open        the principal opens issued records' forms (odoo_pages.py): first open,
               later opens, and the form without its verification fields; then the list of
               the school's records, first page and grouped by class;
   verify      ``_verify_report`` on a sample of issued records;
   pdf         the printed record (hocbaso_odoo/report) on a sample, one record per
               wkhtmltopdf call (the page is self-contained);
   export job  the first school exported with its PDFs through the background job
               (odoo_export.py), as issued (the certified PDFs kept) and printed anew,
               beside wkhtmltopdf alone on the same HTML;
   sync        the outbox cron (``_cron_send_pending``) to the reference CSDL server
               (``python -m hocbaso.csdl.server``) until every record is acknowledged.
   nodes       with ``--nodes N`` instead of the stages after queueing: the sync job of N
               ``odoo-bin`` servers on the same database (odoo_nodes.py).
   Raw limits measured in the same run: RSA-2048 signatures/s of ``cryptography`` on one
   core, lxml parse+serialize/s of the exported documents.
4. The database is dropped at the end unless $HOCBASO_BENCH_KEEP_DB is set.

Progress goes to stderr; ``run`` prints the targets with PASS/MISS and returns the rows
(report.py). The worker processes' side of export and signing is odoo_pipeline.py; the
database and the district, odoo_setup.py; meters and query counts, measure.py.
"""

import collections
import contextlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from . import odoo_pipeline
from .measure import Meter, QueryProfile, log, process_peak_rss_mb
from .odoo_export import Exports
from .odoo_nodes import Nodes
from .odoo_pages import Pages
from .odoo_pipeline import counted_sizes
from .odoo_setup import (ADDONS, HTTP_PORT, OdooSession, drop_database, generate_district,
                         install_database, register_token_certificate, write_config)
from .report import DISTRICT, Report

WORKERS = 2  # Odoo worker processes for export and signing: one per core of this machine
VERIFY_SAMPLE = 200
PDF_SAMPLE = 50
SYNC_BATCH = 100  # records per request (the protocol's maximum)


class Bench(OdooSession, Pages, Exports, Nodes, Report):
    """One run: the database, the district, each stage timed; the rows and the summary."""

    sync_batch = SYNC_BATCH

    def __init__(self, students, keep_db=False, workers=WORKERS):
        self.students = students
        self.keep_db = keep_db
        self.db = f"hocbaso_bench_{time.strftime('%Y%m%d_%H%M%S')}"
        self.workdir = Path(tempfile.mkdtemp(prefix="hocbaso-bench-"))
        self.config = self.workdir / "odoo-bench.cfg"
        self.registry = None
        self.csdl = None
        self.rows = []
        self.summary = []
        self.meters = collections.defaultdict(Meter)
        self.token_error = None
        self.csdl_peak_mb = 0.0
        self.queries = {}
        self.counts = collections.Counter()
        self.workers = workers
        self.pool = None
        self.worker_peak_mb = {}
        self.token = (None, None)
        self.open_times = {}  # stage -> ms of each form opened (odoo_pages.py)
        self.list_sizes = {}  # stage -> (rows shown, records listed) (odoo_pages.py)
        self.open_field_counts = {}
        self.c14n_seconds = {}  # label -> seconds of one C14N pass over such a document
        self.rsa_samples = []  # raw RSA rates, before the district and after signing
        self.rsa_row = {"stage": "raw RSA-2048 sign (cryptography, 1 core)",
                        "unit": "signatures/s"}

    # --- Odoo ----------------------------------------------------------------------------
    def setup(self):
        write_config(self.config, self.workdir / "data", HTTP_PORT)
        if not os.environ.get("XDG_RUNTIME_DIR"):  # wkhtmltopdf (Qt) warns on every call
            runtime = self.workdir / "xdg"
            runtime.mkdir(mode=0o700)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        log(f"installing {ADDONS} (and vi_VN) into a fresh database {self.db} "
            f"(config {self.config})")
        start = time.perf_counter()
        install_database(self.config, self.db, self.workdir / "odoo-install.log")
        log(f"database ready in {time.perf_counter() - start:.0f}s")
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-c", str(self.config), "--log-level=warn"])
        logging.getLogger("hocbaso").setLevel(logging.WARNING)  # one line per CSDL login
        self.registry = Registry(self.db)

    def cleanup(self):
        with contextlib.suppress(Exception):
            self._stop_csdl()
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None
        if self.registry is not None:
            from odoo import sql_db
            from odoo.modules.registry import Registry

            Registry.delete(self.db)
            sql_db.close_db(self.db)
            self.registry = None
        if self.keep_db:
            log(f"kept the database {self.db} (config {self.config})")
            return
        with contextlib.suppress(Exception):
            drop_database(self.db)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_csdl(self):
        if self.csdl:
            self.csdl.stop()
            self.csdl = None

    # --- stages --------------------------------------------------------------------------
    def generate(self):
        start = time.perf_counter()
        self.schools, self.certs = generate_district(self, self.students)
        self.generation_seconds = time.perf_counter() - start
        self.record_count = sum(len(s["records"]) for s in self.schools)

    def _register_token_certificate(self, school):
        """The SoftHSM2 token's certificate id and PIN, or (None, None) with the reason kept:
        the token stage is then skipped."""
        try:
            return register_token_certificate(self, self.certs, school)
        except Exception as err:  # noqa: BLE001 - the stage is skipped, with its reason
            log(f"no SoftHSM2 token: {err}")
            self.token_error = str(err)
            return None, None

    def raw_limits(self):
        """One core's RSA-2048 rate, measured before the district is built and again after
        signing: a CPU's rate drifts over a long run (clock, neighbours on a shared host), so
        the signing stages are compared with the mean of the two."""
        from .plain import raw_rsa_signer, timed

        if not self.rsa_samples:
            self.rows.append(self.rsa_row)
        self.rsa_samples.append(timed(raw_rsa_signer(), 1000)[0])
        self.rsa_rate = sum(self.rsa_samples) / len(self.rsa_samples)
        self.rsa_row["rate"] = self.rsa_rate
        if len(self.rsa_samples) > 1:
            self.rsa_row["note"] = ("mean of " + " (before) and ".join(
                f"{rate:.0f}" for rate in self.rsa_samples) + " (after signing)")

    def lxml_limit(self, documents, label):
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        count, start = max(1000, 20 * len(documents)), time.perf_counter()
        for i in range(count):
            etree.tostring(etree.fromstring(documents[i % len(documents)], parser))
        rate = count / (time.perf_counter() - start)
        # one C14N pass over a parsed document: with an RSA signature, a signing step's floor
        roots = [etree.fromstring(document, parser) for document in documents]
        count, start = max(200, 4 * len(roots)), time.perf_counter()
        for i in range(count):
            etree.tostring(roots[i % len(roots)], method="c14n")
        self.c14n_seconds[label] = (time.perf_counter() - start) / count
        size = sum(len(d) for d in documents) / len(documents)
        self.rows.append({"stage": f"raw lxml parse+serialize ({label})", "rate": rate,
                          "unit": "documents/s", "note": f"{size / 1024:.1f} KB per document"})
        return rate

    def documents(self, ids):
        with self.env() as env:
            return [r._get_xml() for r in env["hocbaso.record"].browse(ids)]

    # the worker pool ------------------------------------------------------------------------
    def start_workers(self):
        """``self.workers`` Odoo worker processes, each with its own registry on the bench's
        database (a fresh interpreter each: no connection is shared across a fork)."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.pool = context.Pool(self.workers, initializer=odoo_pipeline.worker_init,
                                 initargs=(str(self.config), self.db))
        pids = set(self.pool.map(odoo_pipeline.worker_ready, range(self.workers), chunksize=1))
        if len(pids) != self.workers:
            log(f"only {len(pids)} of {self.workers} workers answered the warm-up")
        log(f"{self.workers} Odoo worker process(es) ready: {sorted(pids)}")

    def stop_workers(self):
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    def units(self):
        """The first school split between the workers (alternate classes), then one unit per
        school; the pool hands them out in this order as workers come free."""
        units = []
        for school in self.schools:
            parts = self.workers if school["index"] == 0 else 1
            for part in range(parts):
                classes = school["classes"][part::parts]
                if classes:
                    units.append({"school": school, "part": part, "classes": classes,
                                  "records": [r for k in classes for r in k["records"]]})
        return units

    def run_stage(self, stage, extra=None):
        """Run ``stage`` on every unit in the pool; adds the workers' meters, query profiles
        and counts to the bench's, and returns the stage's wall-clock seconds and the wall
        time the first school took in it."""
        tasks = [dict(unit, stage=stage, **(extra(unit) if extra else {}))
                 for unit in self.units()]
        start = time.perf_counter()
        school0_end, done = start, 0
        for result in self.pool.imap_unordered(odoo_pipeline.worker_run, tasks, chunksize=1):
            for name, (seconds, items, extra_counts) in result["meters"].items():
                meter = self.meters[name]
                meter.seconds += seconds
                meter.items += items
                meter.extra.update(extra_counts)
            for key, (total, shapes) in result["queries"].items():
                profile = QueryProfile()
                profile.total, profile.shapes = total, collections.Counter(shapes)
                self.queries[key] = profile
            self.counts.update(result["counts"])
            self.worker_peak_mb[result["pid"]] = max(self.worker_peak_mb.get(result["pid"], 0),
                                                    result["peak_mb"])
            if result["school"] == 0:
                school0_end = max(school0_end, result["end"])
            done += result["records"]
            log(f"{stage}: school {result['school'] + 1} part {result['part'] + 1} done "
                f"({done}/{self.record_count} records, {time.perf_counter() - start:.0f}s)")
        wall = time.perf_counter() - start
        self.meters[f"{stage}_wall"].seconds += wall
        self.meters[f"{stage}_wall"].items += self.record_count
        self.meters["school0"].seconds += school0_end - start
        return wall

    # export --------------------------------------------------------------------------------
    def export(self):
        self.run_stage("export", lambda unit: {
            "counted": unit["school"]["index"] == 0 and unit["part"] == 0})
        states = self.count_states()
        assert states.get("locked") == self.record_count, states

    def count_states(self):
        with self.env() as env:
            env.cr.execute("SELECT state, count(*) FROM hocbaso_record GROUP BY state")
            return dict(env.cr.fetchall())

    # signing -------------------------------------------------------------------------------
    def sign(self):
        token_cert, pin = self.token
        self.run_stage("sign", lambda unit: {
            "token": (token_cert, pin) if token_cert and unit["school"]["index"] == 0
            and unit["part"] == 0 else None})
        self.meters["sign"].items = self.record_count
        states = self.count_states()
        assert states.get("issued") == self.record_count, states

    # queue ---------------------------------------------------------------------------------
    def queue(self):
        """Make the outbox entries of issued records again, at two batch sizes."""
        ids = self.schools[0]["records"]
        small, large = counted_sizes(len(ids))
        meter = self.meters["queue"]
        for batch in [b for b in (ids[:small], ids[small:small + large]) if b]:
            with self.env() as env:
                env["hocbaso.sync.entry"].search([("record_id", "in", batch)]).unlink()
            profile = QueryProfile()
            with profile.active(), meter.measure(len(batch)), self.env() as env:
                env["hocbaso.record"].browse(batch).sudo()._on_issued()
            self.queries[("queue", len(batch))] = profile
        with self.env() as env:
            count = env["hocbaso.sync.entry"].search_count([("state", "=", "pending")])
        assert count == self.record_count, (count, self.record_count)

    # verification --------------------------------------------------------------------------
    def verify(self):
        meter = self.meters["verify"]
        sample = [rid for school in self.schools for rid in school["records"]][:VERIFY_SAMPLE]
        signatures = 0
        with meter.measure(len(sample)), self.env() as env:
            for record in env["hocbaso.record"].browse(sample):
                report = record._verify_report()
                if not report.valid:
                    raise RuntimeError(f"record {record.id} does not verify: "
                                       f"{report.errors or report.to_dict()}")
                signatures += len(report.signatures)
        meter.extra["signatures"] = signatures

    # pdf -----------------------------------------------------------------------------------
    def pdf(self):
        """One record per call, as the form's Print button and the record package do: the
        report's page is self-contained (no HTTP fetch). Then a whole class in one call, as
        printing a selection does (one HTML input, a page break per record).

        Odoo makes wkhtmltopdf wait ``report.print_delay`` (default 1,000 ms) for JavaScript
        on every call; a smaller sample is rendered again with 0 to show what that costs."""
        sample = self.schools[0]["records"][:PDF_SAMPLE]
        self._render_pdfs(self.meters["pdf"], sample)
        klass = self.schools[0]["classes"][0]["records"]
        with self.meters["pdf_class"].measure(len(klass)), self.env() as env:
            pdf, kind = env["ir.actions.report"]._render_qweb_pdf(
                "hocbaso_odoo.report_hocbaso_record", res_ids=klass)
        if kind != "pdf" or not pdf.startswith(b"%PDF"):
            raise RuntimeError("the class report is not a PDF")
        self.meters["pdf_class"].extra["bytes"] += len(pdf)
        with self.env() as env:
            env["ir.config_parameter"].set_param("report.print_delay", "0")
        try:
            self._render_pdfs(self.meters["pdf0"], sample[:PDF_SAMPLE // 5])
        finally:
            with self.env() as env:
                env["ir.config_parameter"].set_param("report.print_delay", False)

    def _render_pdfs(self, meter, ids):
        for record_id in ids:
            with meter.measure(1), self.env() as env:
                pdf, kind = env["ir.actions.report"]._render_qweb_pdf(
                    "hocbaso_odoo.report_hocbaso_record", res_ids=[record_id])
            if kind != "pdf" or not pdf.startswith(b"%PDF"):
                raise RuntimeError(f"the report of record {record_id} is not a PDF")
            meter.extra["bytes"] += len(pdf)

    # sync ----------------------------------------------------------------------------------
    def start_csdl(self):
        """The reference CSDL server, and every school's connection to it."""
        from hocbaso.csdl.testing import CsdlServerProcess

        clients = [(f"bench-{s['code']}", "bench-secret", s["code"]) for s in self.schools]
        self.csdl = CsdlServerProcess(self.workdir / "csdl", clients=clients,
                                      extra_args=["--quiet"])
        self.csdl.start()
        with self.env() as env:
            env["hocbaso.sync.config"].create([{
                "company_id": s["company"], "endpoint_url": self.csdl.base_url,
                "client_id": f"bench-{s['code']}", "client_secret": "bench-secret",
                "school_code": s["code"], "mode": "test", "batch_size": self.sync_batch,
            } for s in self.schools])

    def sync(self):
        meter = self.meters["sync"]
        self.start_csdl()
        with meter.measure(self.record_count):
            while True:
                with self.env() as env:
                    done = env["hocbaso.sync.entry"]._cron_send_pending()
                if not done:
                    break
        self.log_meter("sync")  # before the checks below
        with self.env() as env:
            env.cr.execute("SELECT state, count(*) FROM hocbaso_sync_entry GROUP BY state")
            states = dict(env.cr.fetchall())
        if states.get("acknowledged") != self.record_count:
            raise RuntimeError(f"sync: outbox states {states}, expected {self.record_count} "
                               "acknowledged")
        held = len(self.csdl.records())
        if held != self.record_count:
            raise RuntimeError(f"sync: the CSDL server holds {held} records, expected "
                               f"{self.record_count}")
        self.csdl_peak_mb = process_peak_rss_mb(self.csdl.process.pid)
        self._stop_csdl()

    # --- the whole run -------------------------------------------------------------------
    def run(self):
        self.setup()
        self.raw_limits()
        self.generate()
        log(f"district generated in {self.generation_seconds:.0f}s: {self.record_count} records")
        # the token before the workers: they inherit SoftHSM2's configuration from this process
        self.token = self._register_token_certificate(self.schools[0])
        self.start_workers()
        self.export()
        self.log_meter("export_wall")
        sample = self.schools[0]["records"][:50]
        self.export_limit = self.lxml_limit(self.documents(sample), "exported documents")
        self.sign()
        self.log_meter("sign_wall")
        self.stop_workers()
        self.raw_limits()  # again, right after signing: the ratios use the mean
        self.signed_limit = self.lxml_limit(self.documents(sample), "signed documents")
        self.queue()
        self.log_meter("queue")
        self.open_forms()
        self.open_lists()
        self.verify()
        self.log_meter("verify")
        self.pdf()
        for name in ("pdf", "pdf_class", "pdf0"):
            self.log_meter(name)
        self.export_school()
        self.sync()  # logs its figure before its checks
        self.report()
        return self.rows

    def log_meter(self, name):
        """A stage's figure in the log as soon as it is measured: a run that fails at a later
        stage (after half an hour at district scale) still leaves it."""
        meter = self.meters[name]
        log(f"{name}: {meter.items} records in {meter.seconds:.1f}s ({meter.rate:.1f} records/s)")


def run(students=DISTRICT, keep_db=None, workers=WORKERS, nodes=0):
    """Build a district of ``students`` in a fresh database, time every stage; the rows.
    With ``nodes``, only export, signing and queueing, then the sync by that many odoo-bin
    servers (odoo_nodes.py)."""
    if keep_db is None:
        keep_db = bool(os.environ.get("HOCBASO_BENCH_KEEP_DB"))
    bench = Bench(students, keep_db=keep_db, workers=workers)
    try:
        if nodes:
            rows = bench.run_nodes(nodes)
            for line in bench.summary:
                print(line)
            return rows
        return bench.run()
    finally:
        bench.cleanup()
