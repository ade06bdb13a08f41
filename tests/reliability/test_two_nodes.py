"""Two Odoo servers on one PostgreSQL send one CSDL outbox: nothing twice, nothing lost.

A throw-away database on the suite's PostgreSQL holds hocbaso_odoo_sync and a school whose
issued records wait in the outbox, in small batches. Two real ``odoo-bin`` servers run on it,
each in prefork mode with ``--workers 2 --max-cron-threads 1`` and its own ports, as two
machines would (bench/odoo_nodes.py starts them). Odoo runs one scheduled job on one node at a
time, so the sync job has a copy (what an admin makes in *Scheduled Actions* to send from two
nodes at once): both nodes' cron workers are woken together and send the same outbox at the
same time, kept apart only by the entries' claim (FOR UPDATE SKIP LOCKED). The reference CSDL
runs as its own process and answers each batch slowly, so the two runs overlap.

Then: every entry acknowledged after one claim, by a process of one of the two servers, both
servers having sent some; what each server's log says it sent agrees; the CSDL holds every
record once, each delivered once.

Runs Odoo as subprocesses: it needs no pytest-odoo.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest

from bench.odoo_nodes import OdooNode
from bench.odoo_setup import DB_HOST, DB_USER, ODOO_SRC, write_config
from hocbaso.csdl.testing import CsdlServerProcess, note_delivery

SCHOOL_CODE = "01001888"
CLIENT_ID, CLIENT_SECRET = "hb-nodes-client", "s3cret-nodes-7c2d"
STUDENTS_PER_CLASS = 10  # the demo school has 4 classes: 40 records
BATCH_SIZE = 2  # 20 batches
ANSWER_DELAY = 0.3  # seconds the CSDL takes to answer a batch: about 6 s of sending in all
RESULT_PREFIX = "RESULT "

SEED_SCRIPT = """
import json
from datetime import timedelta

from odoo import fields
from odoo.addons.hocbaso_demo import school
from odoo.addons.hocbaso_odoo.tools import workflow

demo = school.build(
    env, code=PARAMS["school_code"], students_per_class=PARAMS["students_per_class"])
records = demo["records"]
records.action_lock()  # stores each record's XML document
# No trusted CA is set up, so the signing addon does not ask for real signatures: walk the
# workflow to 'issued' as superuser, then run the hook a real issue runs (it fills the outbox).
with workflow(env):
    records.line_ids.write({"gvbm_signed": True})
for state in ("gvbm_signed", "gvcn_signed", "leader_signed", "issued"):
    records._set_state(state)
records._on_issued()
env["hocbaso.sync.config"].create({
    "company_id": demo["company"].id, "endpoint_url": PARAMS["endpoint_url"],
    "client_id": PARAMS["client_id"], "client_secret": PARAMS["client_secret"],
    "school_code": PARAMS["school_code"], "mode": "test", "batch_size": PARAMS["batch_size"],
    "timeout": 30,
})
# the sync job and its copy, every minute, not due while the servers start
cron = env.ref("hocbaso_odoo_sync.ir_cron_hocbaso_sync_send")
jobs = cron | cron.copy({"name": cron.name + " (2)"})
jobs.write({"interval_number": 1, "interval_type": "minutes", "active": True,
            "nextcall": fields.Datetime.now() + timedelta(days=1)})
env.cr.commit()
print("RESULT " + json.dumps({"queued": env["hocbaso.sync.entry"].search_count([]),
                              "jobs": jobs.ids}))
"""


def _connect(dbname):
    connection = psycopg2.connect(dbname=dbname, user=DB_USER, host=DB_HOST)
    connection.autocommit = True
    return connection


def _odoo(config, db, *args, stdin=None, timeout=600):
    command = [sys.executable, str(ODOO_SRC / "odoo-bin"), *args, "-c", str(config), "-d", db,
               "--log-level=warn"]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"odoo-bin {' '.join(args)} did not finish within {timeout}s")
    if done.returncode:
        pytest.fail(f"odoo-bin {' '.join(args)} failed ({done.returncode}):\n"
                    f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture
def workdir():
    base = Path(tempfile.mkdtemp(prefix="hb-two-nodes-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def csdl(workdir):
    server = CsdlServerProcess(
        workdir / "csdl", clients=[(CLIENT_ID, CLIENT_SECRET, SCHOOL_CODE)],
        extra_args=["--fault-mode", "slow", "--fault-count", "100000",
                    "--fault-delay", str(ANSWER_DELAY), "--quiet"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database(workdir):
    if not (ODOO_SRC / "odoo-bin").exists():
        pytest.fail(f"Odoo 18.0 not found at ODOO_SRC={ODOO_SRC} (no odoo-bin there)")
    db = f"hb_two_nodes_{os.getpid()}"
    config = workdir / "odoo.cfg"
    write_config(config, workdir / "odoo-data", 0)
    yield config, db
    connection = _connect("postgres")
    try:
        with connection.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        connection.close()


def _outbox(db):
    connection = _connect(db)
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT id_ban_ghi, phien_ban, xml_sha256, state, attempts, sent_by "
                       "FROM hocbaso_sync_entry ORDER BY id")
            columns = [column.name for column in cr.description]
            return [dict(zip(columns, row)) for row in cr.fetchall()]
    finally:
        connection.close()


def _wake(db, job_ids):
    """The jobs due now, and the cron workers woken as Odoo's ``_trigger`` wakes them."""
    connection = _connect(db)
    try:
        with connection.cursor() as cr:
            cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id IN %s",
                       (tuple(job_ids),))
    finally:
        connection.close()
    _notify(db)


def _notify(db):
    connection = _connect("postgres")
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT pg_notify('cron_trigger', %s)", (db,))
    finally:
        connection.close()


def _wait_sent(db, servers, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {entry["state"] for entry in _outbox(db)}
        if not states & {"pending", "retrying", "sending"}:
            return
        # /web/health answers before a node's cron worker listens for triggers: one that
        # missed the first notification would sleep its 60 s poll while the other node
        # sends everything (seen once in the gate), so the trigger is repeated, as further
        # _trigger calls would
        _notify(db)
        for server in servers:
            if server.process.poll() is not None:
                pytest.fail(f"node {server.index} stopped; see {server.logfile}")
        time.sleep(0.3)
    pytest.fail(f"the outbox was not sent within {timeout}s: {states}")


def test_two_servers_send_one_outbox_once(workdir, csdl, database):
    config, db = database
    _odoo(config, db, "-i", "hocbaso_odoo_sync", "--stop-after-init", "--without-demo=all")
    params = {"school_code": SCHOOL_CODE, "students_per_class": STUDENTS_PER_CLASS,
              "endpoint_url": csdl.base_url, "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET, "batch_size": BATCH_SIZE}
    out = _odoo(config, db, "shell", stdin=f"PARAMS = {params!r}\n{SEED_SCRIPT}")
    seeded = json.loads([line for line in out.splitlines()
                         if line.startswith(RESULT_PREFIX)][-1][len(RESULT_PREFIX):])
    total = seeded["queued"]
    assert total >= 10 * BATCH_SIZE, seeded

    servers = [OdooNode(n, config, db, workdir / f"node-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        _wake(db, seeded["jobs"])
        _wait_sent(db, servers)
        time.sleep(1.0)  # the cron workers' last log lines
        pids = {server.index: server.pids() for server in servers}
        logged = {server.index: server.job_runs(set(seeded["jobs"]), 0)[0]
                  for server in servers}
    finally:
        for server in servers:
            server.stop()

    final = _outbox(db)
    held = {record["id_ban_ghi"]: record for record in csdl.records()}
    for entry in final:
        note_delivery(entry["id_ban_ghi"], entry["phien_ban"], held.get(entry["id_ban_ghi"]))
    assert len(final) == total
    host = socket.gethostname()
    owner = {f"{host}:{pid}": index for index, node_pids in pids.items() for pid in node_pids}
    sent = {1: 0, 2: 0}
    for entry in final:
        assert (entry["state"], entry["attempts"]) == ("acknowledged", 1), \
            f"{entry['id_ban_ghi']} claimed once and acknowledged: {entry}"
        assert entry["sent_by"] in owner, f"sent by a process of a node: {entry} {pids}"
        sent[owner[entry["sent_by"]]] += 1
    assert sent[1] and sent[2], f"both servers sent part of the outbox: {sent}"
    assert logged == sent, f"each server's log agrees with the outbox: {logged} {sent}"
    assert set(held) == {entry["id_ban_ghi"] for entry in final}, "the CSDL holds every record"
    for entry in final:
        record = held[entry["id_ban_ghi"]]
        assert (record["phien_ban"], record["sha256"]) == \
            (entry["phien_ban"], entry["xml_sha256"]), f"{entry['id_ban_ghi']} at its version"
        assert record["deliveries"] == {"accepted": 1}, \
            f"{entry['id_ban_ghi']} delivered once: {record}"
        assert [version["accepted_deliveries"] for version in record["versions"]] == [1], \
            f"{entry['id_ban_ghi']} stored once: {record['versions']}"
