"""The CSDL sync survives a real PostgreSQL restart in the middle of a batch.

A private PostgreSQL cluster (initdb in a temporary directory; run as the postgres OS user
when the suite runs as root) holds a fresh Odoo database with hocbaso_odoo_sync and a school
whose issued records wait in the CSDL outbox. The reference CSDL server runs as its own
process and answers each batch slowly, so a cron run spans several seconds. While the cron is
waiting for the answer to a batch, the cluster is restarted for real (pg_ctl restart -m fast):
the sender loses its database connection and dies with that batch claimed ('sending') but
never concluded. Then the cron runs again, as it would in production, until the outbox is
empty, and the CSDL must hold every record exactly once at its version.

Runs Odoo as subprocesses (odoo-bin, odoo-bin shell): it needs no pytest-odoo.
"""

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest

from hocbaso.csdl.testing import CsdlServerProcess, note_delivery

REPO_ROOT = Path(__file__).resolve().parents[2]
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo-18.0"))
DB_NAME = "hocbaso_pg_restart"
DB_ROLE = "hocbaso"  # Odoo refuses to connect as the postgres superuser
SCHOOL_CODE = "01001777"
CLIENT_ID, CLIENT_SECRET = "hb-restart-client", "s3cret-restart-5e1a"
STUDENTS_PER_CLASS = 10  # the demo school has 4 classes: 40 records
BATCH_SIZE = 5  # 8 batches in one cron run
ANSWER_DELAY = 2.0  # seconds the CSDL takes to answer a batch, until the restart
RESULT_PREFIX = "RESULT "  # the line an odoo-bin shell script prints its findings on
MAX_RECOVERY_RUNS = 5

SEED_SCRIPT = """
import json

from odoo.addons.hocbaso_demo import school

demo = school.build(
    env, code=PARAMS["school_code"], students_per_class=PARAMS["students_per_class"])
records = demo["records"]
records.action_lock()  # stores each record's XML document
# No trusted CA is set up, so the signing addon does not ask for real signatures: walk the
# workflow to 'issued' as superuser, then run the hook a real issue runs (it fills the outbox).
from odoo.addons.hocbaso_odoo.tools import workflow
with workflow(env):  # a fixture: the signing step's own write
    records.line_ids.write({"gvbm_signed": True})
for state in ("gvbm_signed", "gvcn_signed", "leader_signed", "issued"):
    records._set_state(state)
records._on_issued()
env["hocbaso.sync.config"].create({
    "company_id": demo["company"].id, "endpoint_url": PARAMS["endpoint_url"],
    "client_id": PARAMS["client_id"], "client_secret": PARAMS["client_secret"],
    "school_code": PARAMS["school_code"], "mode": "test", "batch_size": PARAMS["batch_size"],
    "timeout": 30,  # seconds: well above the slow answers of the CSDL
})
env.cr.commit()
print("RESULT " + json.dumps({"issued": len(records),
                              "queued": env["hocbaso.sync.entry"].search_count([])}))
"""

SEND_SCRIPT = """
import json

sent = env["hocbaso.sync.entry"]._cron_send_pending()
env.cr.commit()
print("RESULT " + json.dumps({"sent": sent}))
"""

# The cron after the restart, run until the outbox is empty. Between runs it stands in for
# the waiting an operator would do: an entry left 'sending' is taken back only once its claim
# is older than STUCK_AFTER (15 min; it might still be in flight in a live worker), and an
# entry 'retrying' waits for its next attempt time. Both times are moved into the past.
RECOVER_SCRIPT = """
import json
from datetime import timedelta

from odoo import fields
from odoo.addons.hocbaso_odoo_sync.models.hocbaso_sync_entry import STUCK_AFTER

Entry = env["hocbaso.sync.entry"]
runs = []
for _run in range(PARAMS["max_runs"]):
    sent = Entry._cron_send_pending()
    env.cr.commit()
    states = dict(Entry._read_group([], ["state"], ["__count"]))
    runs.append({"sent": sent, "states": states})
    if set(states) == {"acknowledged"}:
        break
    now = fields.Datetime.now()
    Entry.search([("state", "=", "sending")]).write(
        {"sending_since": now - STUCK_AFTER - timedelta(minutes=1)})
    Entry.search([("state", "=", "retrying")]).write({"next_retry_at": now})
    env.cr.commit()
print("RESULT " + json.dumps({"runs": runs}))
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bindir():
    """The newest PostgreSQL server binaries of the machine (Debian layout), else the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda path: int(path.parent.parent.name)
                   if path.parent.parent.name.isdigit() else 0)
    pg_ctl = found[-1] if found else shutil.which("pg_ctl")
    if not pg_ctl or not (Path(pg_ctl).parent / "initdb").exists():
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found under "
                    "/usr/lib/postgresql/*/bin nor on the PATH: apt-get install postgresql")
    return Path(pg_ctl).parent


def _tail(path, size=4000):
    """The end of a log file ("" when there is none)."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")[-size:] if path else ""
    except OSError:
        return ""


def _run(command, what, timeout=120, log=None, **kwargs):
    """Run ``command``; fail the test with its output (and ``log``) when it does not succeed."""
    shown = " ".join(map(str, command))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} did not finish within {timeout}s: {shown}\n{_tail(log)}")
    if done.returncode:
        pytest.fail(f"{what} failed (exit {done.returncode}): {shown}\n"
                    f"{done.stdout[-3000:]}{done.stderr[-3000:]}{_tail(log)}")
    return done


class PrivateCluster:
    """A throw-away PostgreSQL cluster in ``base``, listening on 127.0.0.1 only, trust auth.

    PostgreSQL refuses to run as root: as root it runs as the postgres OS user (runuser).
    """

    def __init__(self, base):
        self.base = base
        self.bindir = _pg_bindir()
        self.pgdata = base / "pgdata"
        self.socket_dir = base  # owned by the server's OS user, who creates the socket
        self.log_path = base / "postgresql.log"
        self.port = _free_port()
        self.as_owner = []
        if os.geteuid() == 0:
            # in /usr/sbin, which a clean environment (CI under env -i) may leave off PATH
            runuser = shutil.which("runuser", path=os.pathsep.join(
                [os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
            if not runuser:
                pytest.fail("runuser not found: it is needed to run PostgreSQL as the postgres "
                            "OS user (PostgreSQL refuses to run as root); install util-linux")
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("no postgres OS user to run the private PostgreSQL cluster as")
            os.chown(base, owner.pw_uid, owner.pw_gid)
            self.as_owner = [runuser, "-u", "postgres", "--"]

    def _tool(self, name, *args):
        return _run(self.as_owner + [str(self.bindir / name), *map(str, args)],
                    f"PostgreSQL {name}", log=self.log_path, cwd=self.base)

    def start(self):
        self._tool("initdb", "-D", self.pgdata, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--locale=C", "--no-sync", "--no-instructions")
        # fsync off: a throw-away cluster; a clean restart does not depend on it
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self._tool("pg_ctl", "start", "-w", "-t", "60", "-D", self.pgdata, "-l", self.log_path,
                   "-o", options)
        self._tool("psql", "-h", self.socket_dir, "-p", self.port, "-U", "postgres", "-d",
                   "postgres", "-v", "ON_ERROR_STOP=1", "-qc",
                   f"CREATE ROLE {DB_ROLE} LOGIN CREATEDB")

    def restart(self):
        """A real restart: sessions are terminated, the server shuts down and starts again."""
        # -l again: else the new server would write to (and keep open) pg_ctl's output pipe
        self._tool("pg_ctl", "restart", "-w", "-t", "60", "-m", "fast", "-D", self.pgdata,
                   "-l", self.log_path)

    def stop(self):
        """Immediate: the cluster is thrown away, nothing needs to be written out."""
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run(self.as_owner + [str(self.bindir / "pg_ctl"), "stop", "-w", "-m",
                                            "immediate", "-D", str(self.pgdata)],
                           cwd=self.base, capture_output=True, timeout=60)

    def postmaster_pid(self):
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def connect(self):
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, dbname=DB_NAME,
                                      user=DB_ROLE)
        connection.autocommit = True
        return connection


@pytest.fixture
def workdir():
    base = Path(tempfile.mkdtemp(prefix="hb-pg-restart-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def cluster(workdir):
    pg = PrivateCluster(workdir)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


@pytest.fixture
def csdl(workdir):
    server = CsdlServerProcess(
        workdir / "csdl", clients=[(CLIENT_ID, CLIENT_SECRET, SCHOOL_CODE)],
        extra_args=["--fault-mode", "slow", "--fault-count", "1000",  # every batch is slow
                    "--fault-delay", str(ANSWER_DELAY), "--quiet"])
    server.start()
    yield server
    server.stop()


class Odoo:
    """odoo-bin against the private cluster, run with the suite's Python (the venv's)."""

    def __init__(self, workdir, port):
        self.workdir = workdir
        self.scripts = []
        self.odoo_bin = ODOO_SRC / "odoo-bin"
        if not self.odoo_bin.exists():
            pytest.fail(f"Odoo 18.0 not found at ODOO_SRC={ODOO_SRC} (no odoo-bin there)")
        self.config = workdir / "odoo.cfg"
        self.config.write_text(f"""[options]
addons_path = {ODOO_SRC / "addons"},{REPO_ROOT}
data_dir = {workdir / "odoo-data"}
db_name = {DB_NAME}
db_user = {DB_ROLE}
db_host = 127.0.0.1
db_port = {port}
db_password = False
http_enable = False
list_db = False
without_demo = all
log_level = warn
""")

    def _command(self, *args):
        return [sys.executable, str(self.odoo_bin), *args, "-c", str(self.config), "-d", DB_NAME]

    def install(self):
        _run(self._command("-i", "hocbaso_odoo_sync", "--stop-after-init", "--without-demo=all"),
             "installing hocbaso_odoo_sync", timeout=600, cwd=self.workdir)

    def shell(self, name, source, params=None):
        """Start ``source`` in `odoo-bin shell` (``PARAMS`` given); its output goes to
        ``name``.log."""
        script = ShellScript(name, self._command("shell"), f"PARAMS = {params or {}!r}\n{source}",
                             self.workdir)
        self.scripts.append(script)
        return script

    def kill_scripts(self):
        for script in self.scripts:
            if script.running():
                script.process.kill()
                script.process.wait()


class ShellScript:
    """An `odoo-bin shell` script running in the background."""

    def __init__(self, name, command, source, workdir):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log,
                                            stderr=subprocess.STDOUT, text=True, cwd=workdir)
        self.process.stdin.write(source)
        self.process.stdin.close()

    def running(self):
        return self.process.poll() is None

    def text(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def output(self):
        return _tail(self.log_path)

    def finish(self, timeout=120, must_succeed=True):
        """Wait for the end; (exit code, the dict printed on the RESULT line or None)."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.name} did not finish within {timeout}s:\n{self.output()}")
        results = [line[len(RESULT_PREFIX):] for line in self.text().splitlines()
                   if line.startswith(RESULT_PREFIX)]
        result = json.loads(results[-1]) if results else None
        if must_succeed and (self.process.returncode or result is None):
            pytest.fail(f"{self.name} failed (exit {self.process.returncode}):\n{self.output()}")
        return self.process.returncode, result


@pytest.fixture
def odoo(workdir, cluster):
    runner = Odoo(workdir, cluster.port)
    yield runner
    runner.kill_scripts()  # a sender left running by a failed test must not outlive it


def _outbox(cluster):
    """The outbox rows, read straight from the database."""
    connection = cluster.connect()
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT id_ban_ghi, phien_ban, xml_sha256, state, attempts, "
                       "receipt_status, sending_since FROM hocbaso_sync_entry ORDER BY id")
            columns = [column.name for column in cr.description]
            return [dict(zip(columns, row)) for row in cr.fetchall()]
    finally:
        connection.close()


def _uuids_in(entries, state):
    return {entry["id_ban_ghi"] for entry in entries if entry["state"] == state}


def _wait_for_batch_in_flight(cluster, sender, timeout=60):
    """Wait until at least one batch is acknowledged and the next one is claimed ('sending');
    return the record ids of that batch."""
    deadline = time.monotonic() + timeout
    connection = cluster.connect()
    try:
        with connection.cursor() as cr:
            while time.monotonic() < deadline and sender.running():
                cr.execute("SELECT state, array_agg(id_ban_ghi) FROM hocbaso_sync_entry "
                           "GROUP BY state")
                states = dict(cr.fetchall())
                if len(states.get("acknowledged", ())) >= BATCH_SIZE and states.get("sending"):
                    return set(states["sending"])
                time.sleep(0.05)
    finally:
        connection.close()
    pytest.fail("the sender never had a batch in flight after a first acknowledged one:\n"
                + sender.output())


def test_sync_survives_postgresql_restart_mid_batch(cluster, csdl, odoo):
    odoo.install()
    _code, seeded = odoo.shell("seed", SEED_SCRIPT, {
        "school_code": SCHOOL_CODE, "students_per_class": STUDENTS_PER_CLASS,
        "endpoint_url": csdl.base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "batch_size": BATCH_SIZE}).finish()
    total = seeded["issued"]
    assert seeded["queued"] == total >= 6 * BATCH_SIZE, f"several batches to send: {seeded}"

    # --- the fault: the database restarts while the cron waits for the CSDL's answer ---------
    sender = odoo.shell("sender", SEND_SCRIPT)
    in_flight = _wait_for_batch_in_flight(cluster, sender)
    time.sleep(ANSWER_DELAY / 4)  # past building and sending the batch, well before the answer
    pid_before = cluster.postmaster_pid()
    cluster.restart()
    assert cluster.postmaster_pid() != pid_before, "PostgreSQL really restarted"
    csdl.set_faults("none", 0)  # the recovery needs no slow answers
    code, _result = sender.finish(must_succeed=False)
    assert code != 0 and "psycopg2.OperationalError" in sender.text(), \
        f"the sender lost its database connection mid-run:\n{sender.output()}"

    after_restart = _outbox(cluster)
    acknowledged_before = _uuids_in(after_restart, "acknowledged")
    interrupted = _uuids_in(after_restart, "sending")
    assert 0 < len(acknowledged_before) < total, "the restart came after some batches, not all"
    assert interrupted == in_flight, "the batch in flight stayed claimed, never concluded"
    assert {record["id_ban_ghi"] for record in csdl.records()} == \
        acknowledged_before | interrupted, \
        "the CSDL stored the batch in flight (Odoo never recorded its answer) and nothing after"

    # --- recovery: the cron runs again until the outbox is empty -------------------------------
    _code, recovery = odoo.shell("recovery", RECOVER_SCRIPT,
                                 {"max_runs": MAX_RECOVERY_RUNS}).finish()
    runs = recovery["runs"]
    assert runs[-1]["states"] == {"acknowledged": total}, f"the outbox converged: {runs}"
    assert runs[0]["sent"] == total - len(acknowledged_before) - len(interrupted), \
        f"the next run sends what was waiting, not the recent claim: {runs}"
    assert runs[0]["states"].get("sending") == len(interrupted), runs

    # --- no record lost, none stored twice, nothing stuck ----------------------------------------
    final = _outbox(cluster)
    held = {record["id_ban_ghi"]: record for record in csdl.records()}
    for entry in final:
        note_delivery(entry["id_ban_ghi"], entry["phien_ban"], held.get(entry["id_ban_ghi"]))
    assert len(final) == total
    assert {(entry["state"], entry["sending_since"]) for entry in final} == \
        {("acknowledged", None)}
    assert set(held) == {entry["id_ban_ghi"] for entry in final}, "the CSDL holds every record"
    for entry in final:
        uuid = entry["id_ban_ghi"]
        record = held[uuid]
        assert (record["phien_ban"], record["sha256"]) == \
            (entry["phien_ban"], entry["xml_sha256"]), f"{uuid} held at its version"
        assert [version["accepted_deliveries"] for version in record["versions"]] == [1], \
            f"{uuid} stored exactly once: {record['versions']}"
        if uuid in interrupted:
            # sent again after the restart: the CSDL recognised the version it already held
            assert (entry["attempts"], entry["receipt_status"]) == (2, "duplicate"), entry
            assert record["deliveries"] == {"accepted": 1, "duplicate": 1}, record
        else:
            assert (entry["attempts"], entry["receipt_status"]) == (1, "accepted"), entry
            assert record["deliveries"] == {"accepted": 1}, f"{uuid} sent once: {record}"
