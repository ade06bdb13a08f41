"""Several Odoo nodes on one PostgreSQL: the district's outbox sent by the sync job of real
``odoo-bin`` servers, as two machines would run it.

    python -m bench --odoo --students 1200 --nodes 2

After the district is exported, signed and queued (the stages of odoo_stages.py), ``--nodes N``
starts N ``odoo-bin`` servers on the bench's database, each with ``--workers 2
--max-cron-threads 1`` and its own HTTP and gevent ports. They share the bench's config, so
the same data_dir: one filestore, as an NFS mount shared by several machines would be.

Odoo runs one scheduled job on one node at a time: a cron worker locks the job's row
(``ir.cron._acquire_one_job``, FOR NO KEY UPDATE SKIP LOCKED) for the whole run. So the outbox
is sent twice over: once with the addon's one sync job, which the nodes race for, and once
with that job plus N-1 copies of it (an admin's duplicate in *Scheduled Actions*), which the
nodes run at the same time against the same outbox, kept apart by the entries' claim
(FOR UPDATE SKIP LOCKED). Between the two, the reference CSDL forgets what it holds and the
outbox entries are made again. Each phase: the jobs run every minute but are not due while
the nodes start; once every node answers ``/web/health`` the jobs are triggered and the clock
starts; it stops when no entry is due or being sent.

Checked after each phase: every entry acknowledged after exactly one claim (``attempts`` = 1),
claimed by a process of one of the nodes (``sent_by``: host name and PID, the field an IT admin
reads on the entry); the CSDL holds every record, each delivered once.
"""

import contextlib
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta

from .measure import log
from .odoo_setup import ODOO_SRC

SYNC_CRON = "hocbaso_odoo_sync.ir_cron_hocbaso_sync_send"
DUE = ("pending", "retrying", "sending")
PHASE_TIMEOUT = 900.0  # seconds


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooNode:
    """One ``odoo-bin`` server in prefork mode, as on its own machine."""

    def __init__(self, index, config, db, logfile, workers=2, cron_threads=1):
        self.index = index
        self.http_port = free_port()
        self.logfile = logfile
        self.command = [sys.executable, str(ODOO_SRC / "odoo-bin"), "-c", str(config), "-d", db,
                        "--workers", str(workers), "--max-cron-threads", str(cron_threads),
                        "--http-port", str(self.http_port), "--gevent-port", str(free_port()),
                        "--logfile", str(logfile), "--log-level", "warn",
                        "--log-handler", "odoo.addons.base.models.ir_cron:INFO"]
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout=180.0):
        """Until /web/health answers: the registry is loaded and the workers forked."""
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.index} exited ({self.process.returncode}); "
                                   f"see {self.logfile}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.http_port}/web/health",
                                timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"node {self.index} did not answer within {timeout:.0f}s")

    def pids(self):
        import psutil

        master = psutil.Process(self.process.pid)
        return {master.pid} | {child.pid for child in master.children(recursive=True)}

    def pss_mb(self):
        """The node's memory, its processes' PSS summed (pages shared after the fork are
        counted once, not once per worker as RSS would)."""
        import psutil

        total = 0
        for pid in self.pids():
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_full_info().pss
        return total / 2**20

    def log_size(self):
        return self.logfile.stat().st_size if self.logfile.exists() else 0

    def job_runs(self, job_ids, offset):
        """(records, seconds) of the sync jobs' runs in the log since ``offset``, as the cron
        worker wrote them: each call's 'done in Xs' and 'processed N records'."""
        pattern = re.compile(r"Job '.*' \((\d+)\) (?:done in ([\d.]+)s|processed (\d+) records)")
        records, seconds = 0, 0.0
        with open(self.logfile, encoding="utf-8", errors="replace") as log_file:
            log_file.seek(offset)
            for match in map(pattern.search, log_file):
                if match and int(match.group(1)) in job_ids:
                    seconds += float(match.group(2) or 0)
                    records += int(match.group(3) or 0)
        return records, seconds

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prepare_jobs(env, count):
    """The sync job, every minute but not due for a day, and ``count`` - 1 copies of it (made
    once, kept between phases); their ids."""
    from odoo import fields

    cron = env.ref(SYNC_CRON)
    later = fields.Datetime.now() + timedelta(days=1)
    jobs = cron | env["ir.cron"].with_context(active_test=False).search(
        [("id", "!=", cron.id), ("code", "=", cron.code)], order="id")
    for number in range(len(jobs) + 1, count + 1):
        jobs |= cron.copy({"name": f"{cron.name} ({number})"})
    jobs = jobs[:count]
    jobs.write({"interval_number": 1, "interval_type": "minutes", "nextcall": later,
                "active": True})
    (env["ir.cron"].with_context(active_test=False).search(
        [("code", "=", cron.code)]) - jobs).write({"active": False})
    env["ir.cron.trigger"].search([("cron_id", "in", jobs.ids)]).unlink()
    return jobs.ids


def wait_idle(cr, timeout=120.0):
    """Until no scheduled job is due: the jobs a fresh database has due at the nodes' start
    (Odoo's own clean-ups) would otherwise run inside the measured time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cr.execute("SELECT count(*) FROM ir_cron WHERE active AND (nextcall <= now() AT TIME "
                   "ZONE 'UTC' OR id IN (SELECT cron_id FROM ir_cron_trigger WHERE call_at <= "
                   "now() AT TIME ZONE 'UTC'))")
        if not cr.fetchone()[0]:
            return
        time.sleep(0.5)
    raise RuntimeError(f"scheduled jobs still due after {timeout:.0f}s")


def trigger_jobs(env, ids):
    """Due now; the cron workers are woken when the transaction commits."""
    from odoo import fields

    jobs = env["ir.cron"].browse(ids)
    jobs.write({"nextcall": fields.Datetime.now()})
    for job in jobs:
        job._trigger()


def outbox_by_node(cr, nodes):
    """({node index, or the sent_by of a process of no node: entries}, the outbox's problems:
    entries not acknowledged, claimed more than once, without a sender)."""
    cr.execute("SELECT sent_by, count(*) FROM hocbaso_sync_entry GROUP BY sent_by")
    rows = cr.fetchall()
    cr.execute("SELECT count(*) FILTER (WHERE state != 'acknowledged'), "
               "count(*) FILTER (WHERE attempts != 1), count(*) FILTER (WHERE sent_by IS NULL) "
               "FROM hocbaso_sync_entry")
    not_acknowledged, claimed_again, no_sender = cr.fetchone()
    owner = {f"{socket.gethostname()}:{pid}": node.index for node in nodes for pid in node.pids()}
    by_node = {}
    for sent_by, count in rows:
        key = owner.get(sent_by, sent_by)
        by_node[key] = by_node.get(key, 0) + count
    return by_node, {"not acknowledged": not_acknowledged, "claimed more than once":
                     claimed_again, "no sender": no_sender}


class Nodes:
    """Mixed into odoo_stages.Bench: the district's sync by ``nodes`` odoo-bin servers."""

    def run_nodes(self, nodes):
        self.setup()
        self.raw_limits()
        self.generate()
        log(f"district generated in {self.generation_seconds:.0f}s: {self.record_count} records")
        self.start_workers()
        self.export()
        self.log_meter("export_wall")
        self.sign()
        self.log_meter("sign_wall")
        self.stop_workers()
        self.queue()
        self.start_csdl()
        with self.env() as env:
            prepare_jobs(env, 1)  # not due while the nodes start
        servers = [OdooNode(i + 1, self.config, self.db, self.workdir / f"node-{i + 1}.log")
                   for i in range(nodes)]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
            log(f"{nodes} Odoo nodes ready: " + ", ".join(
                f"node {s.index} pids {sorted(s.pids())}" for s in servers))
            for jobs in sorted({1, nodes}):
                if jobs > 1:
                    self.requeue()
                self.nodes_phase(servers, jobs)
        finally:
            for server in servers:
                server.stop()
        self.rows.insert(0, {"stage": f"export ({self.workers} workers), for the record",
                             "rate": self.meters["export_wall"].rate, "unit": "records/s"})
        self._stop_csdl()
        self.storage_rows()
        return self.rows

    def storage_rows(self):
        """What an issued record takes in PostgreSQL and in the filestore, for sizing."""
        with self.env() as env:
            sizes = {}
            for table in ("hocbaso_record", "hocbaso_record_signature", "hocbaso_sync_entry",
                          "ir_attachment", "mail_message"):
                env.cr.execute("SELECT pg_total_relation_size(%s)", (table,))
                sizes[table] = env.cr.fetchone()[0]
            env.cr.execute("SELECT pg_database_size(current_database())")
            database = env.cr.fetchone()[0]
            # the files the attachments refer to (the first phase's outbox copies, deleted
            # with their entries, stay on disk until Odoo's file clean-up)
            env.cr.execute("SELECT res_model, sum(file_size) FROM ir_attachment WHERE "
                           "store_fname IS NOT NULL GROUP BY res_model ORDER BY 2 DESC")
            files = env.cr.fetchall()
        n = self.record_count
        self.rows.append({
            "stage": "storage per issued record: database", "rate": database / n / 1024,
            "unit": "KB", "note": f"whole database {database / 2**20:.0f} MB for {n} records; "
            + ", ".join(f"{table} {size / n / 1024:.1f} KB" for table, size in sizes.items())})
        self.rows.append({
            "stage": "storage per issued record: filestore",
            "rate": sum(size for _model, size in files) / n / 1024, "unit": "KB",
            "note": ", ".join(f"{model} {size / n / 1024:.1f} KB" for model, size in files[:4])})

    def requeue(self):
        """The CSDL forgets what it holds; the outbox's entries are made again, all pending."""
        self.csdl.reset()
        ids = [record for school in self.schools for record in school["records"]]
        with self.env() as env:
            env["hocbaso.sync.entry"].search([]).unlink()
            env["hocbaso.record"].browse(ids).sudo()._on_issued()

    def nodes_phase(self, servers, jobs):
        import psycopg2

        from .odoo_setup import DB_HOST, DB_USER

        with self.env() as env:
            ids = prepare_jobs(env, jobs)
        connection = psycopg2.connect(dbname=self.db, user=DB_USER, host=DB_HOST)
        connection.autocommit = True
        try:
            with connection.cursor() as cr:
                wait_idle(cr)
                offsets = {server.index: server.log_size() for server in servers}
                with self.env() as env:
                    trigger_jobs(env, ids)
                start = time.perf_counter()
                peak_connections, peak_pss, sampled = 0, {}, 0.0
                while True:
                    cr.execute("SELECT count(*) FROM hocbaso_sync_entry WHERE state IN %s",
                               (DUE,))
                    waiting = cr.fetchone()[0]
                    if not waiting:
                        break
                    if time.perf_counter() - start > PHASE_TIMEOUT:
                        raise RuntimeError(f"nodes: {waiting} entries still waiting after "
                                           f"{PHASE_TIMEOUT:.0f}s")
                    cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                               (self.db,))
                    peak_connections = max(peak_connections, cr.fetchone()[0])
                    if time.perf_counter() - sampled > 1.0:
                        sampled = time.perf_counter()
                        for server in servers:
                            peak_pss[server.index] = max(peak_pss.get(server.index, 0.0),
                                                         server.pss_mb())
                    time.sleep(0.2)
                wall = time.perf_counter() - start
                by_node, problems = outbox_by_node(cr, servers)
        finally:
            connection.close()
        self.check_nodes_phase(jobs, by_node, problems)
        label = f"{len(servers)} nodes, {jobs} sync job{'s' if jobs > 1 else ''}"
        self.rows.append({
            "stage": f"sync by {label} (wall clock)", "rate": self.record_count / wall,
            "unit": "records/s",
            "note": f"{self.record_count} records in {wall:.1f}s, batches of "
                    f"{self.sync_batch}; peak {peak_connections} connections to the database"})
        time.sleep(1.0)  # the cron workers' last log lines
        for server in servers:
            count = by_node.get(server.index, 0)
            logged, busy = server.job_runs(set(ids), offsets[server.index])
            if logged != count:
                raise RuntimeError(f"node {server.index}: its log says {logged} records sent, "
                                   f"the outbox {count}")
            self.rows.append({
                "stage": f"  node {server.index} ({label})", "rate": count / wall,
                "unit": "records/s",
                "note": f"{count} records ({count / self.record_count:.0%}); its sync job ran "
                        f"{busy:.2f}s" + (f" ({count / busy:.0f} records/s busy)" if busy else "")
                        + f"; its {len(server.pids())} processes: peak "
                        f"{peak_pss.get(server.index, 0.0):.0f} MB PSS"})
        log(f"nodes: {label}: {self.record_count} records in {wall:.1f}s; per node "
            + ", ".join(f"{key}: {value}" for key, value in by_node.items()))

    def check_nodes_phase(self, jobs, by_node, problems):
        strangers = [key for key in by_node if not isinstance(key, int)]
        if any(problems.values()) or strangers:
            raise RuntimeError(f"nodes ({jobs} jobs): {problems}; senders not of a node: "
                               f"{strangers}")
        held = self.csdl.records()
        twice = [record["id_ban_ghi"] for record in held
                 if record["deliveries"] != {"accepted": 1}
                 or [v["accepted_deliveries"] for v in record["versions"]] != [1]]
        if len(held) != self.record_count or twice:
            raise RuntimeError(f"nodes ({jobs} jobs): the CSDL holds {len(held)} records of "
                               f"{self.record_count}; delivered more than once: {twice[:5]}")
        self.summary.append(f"{jobs} sync job(s): {len(held)} records held once each at the "
                            "CSDL, every entry claimed once")
