"""bin/restore-drill on the demo school: a backup restores, verifies and resumes its outbox;
a damaged one is caught.

A throw-away demo database is built the way bin/demo builds it (odoo-bin -i $ADDONS, then
bin/demo_school.py through odoo-bin shell), with its own name, its own HOCBASO_VAR (Odoo
config, filestore, backups) and its own reference CSDL server. Before the backup, part of the
outbox is sent by the real cron (acknowledged), one entry reached the CSDL although the backup
still shows it 'sending' (the answer was not committed yet), the rest waits. The drill must
pass, the pending entries must arrive and nothing be stored twice. Then one issued record's
document is altered in the database (its stored hash kept) and two filestore files are damaged:
the second drill must fail and name them.

Runs everything as subprocesses: it needs no pytest-odoo.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

from hocbaso.csdl.testing import CsdlServerProcess, note_delivery

REPO_ROOT = Path(__file__).resolve().parents[2]
DB_ROLE = os.environ.get("HOCBASO_DB_USER", "hocbaso")  # as bin/_common.sh
# the credentials bin/demo_school.py gives the demo school's CSDL connection (demo only)
DEMO_CLIENT = ("demo-school", "demo-secret", "01001999")
SENT_BEFORE_BACKUP = 5  # one cron batch of 5
RESULT_PREFIX = "RESULT "

# bin/demo's steps, with its variables: install the addons, build the demo school
BUILD_DEMO = """
source bin/_common.sh
write_odoo_config "$CFG" "$DB" 0
"$PY" "$ODOO_SRC/odoo-bin" -c "$CFG" -d "$DB" -i "$ADDONS" --load-language=vi_VN \\
    --stop-after-init --log-level=warn
HOCBASO_DEMO_DIR="$DEMO_DIR" HOCBASO_CSDL_URL="$CSDL_URL" \\
    "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CFG" -d "$DB" --log-level=warn \\
    < "$REPO_ROOT/bin/demo_school.py"
"""

SHELL = """
source bin/_common.sh
"$PY" "$ODOO_SRC/odoo-bin" shell -c "$CFG" -d "$DB" --log-level=warn
"""

# The school at backup time: the cron sent a first batch; the next batch reached the CSDL but
# Odoo had not recorded the answer when the dump was taken, so the backup shows it 'sending'.
PREPARE_OUTBOX = """
import json

Entry = env["hocbaso.sync.entry"].sudo()
config = env["hocbaso.sync.config"].sudo().search([])
config.ensure_one()
config.batch_size = %(batch)d
env.cr.commit()
Entry._cron_send_pending(max_batches=1)
env.cr.commit()
in_flight = Entry.search([("state", "=", "pending")], order="id", limit=1)
in_flight._send_now()
in_flight.write({"state": "sending", "sending_since": in_flight.last_attempt_at,
                 "receipt_id": False, "receipt_status": False, "receipt_time": False,
                 "acknowledged_at": False})
env.cr.commit()
print("RESULT " + json.dumps({"states": dict(Entry._read_group([], ["state"], ["__count"])),
                              "in_flight": in_flight.id_ban_ghi}))
"""


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started, nothing else
    except ProcessLookupError:
        pass


def _run(script, env, what, timeout=600, stdin=None, check=True):
    """Run a bash ``script`` in the repository in its own process group, so that a timeout
    also stops what it started (odoo-bin, the drill's CSDL server)."""
    process = subprocess.Popen(["bash", "-c", script], cwd=REPO_ROOT, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate()
        pytest.fail(f"{what} did not finish within {timeout}s:\n{out[-3000:]}{err[-3000:]}")
    if check and process.returncode:
        pytest.fail(f"{what} failed (exit {process.returncode}):\n{out[-3000:]}{err[-3000:]}")
    return process.returncode, out, err


def _result(out):
    lines = [line for line in out.splitlines() if line.startswith(RESULT_PREFIX)]
    assert lines, f"no {RESULT_PREFIX.strip()} line in:\n{out[-3000:]}"
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def _connect(dbname="postgres"):
    connection = psycopg2.connect(dbname=dbname, user=DB_ROLE, host="127.0.0.1")
    connection.autocommit = True
    return connection


def _databases(pattern):
    connection = _connect()
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,))
            return [row[0] for row in cr.fetchall()]
    finally:
        connection.close()


def _drop(names):
    connection = _connect()
    try:
        with connection.cursor() as cr:
            for name in names:
                cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


class DemoSchool:
    """The throw-away demo database, its HOCBASO_VAR and the CSDL it syncs with."""

    def __init__(self, base, csdl):
        self.base = base
        self.var = base / "var"
        self.db = f"hb_drill_{os.getpid()}"
        self.csdl = csdl
        self.env = {**os.environ, "HOCBASO_VAR": str(self.var), "DB": self.db,
                    "CFG": str(self.var / "odoo-demo.cfg"), "DEMO_DIR": str(self.var / "demo"),
                    "CSDL_URL": csdl.base_url}
        self.env.pop("HOCBASO_DEMO_DB", None)
        if sys.prefix != sys.base_prefix:  # the drill runs with this suite's virtualenv
            self.env["HOCBASO_VENV"] = sys.prefix

    @property
    def filestore(self):
        return self.var / "filestore" / "filestore" / self.db

    def build(self):
        _run(BUILD_DEMO, self.env, "building the demo school as bin/demo does")

    def shell(self, source, what):
        return _result(_run(SHELL, self.env, what, stdin=source)[1])

    def drill(self, *args):
        report = self.base / f"drill-{len(list(self.base.glob('drill-*.json')))}.json"
        command = shlex.join(["bin/restore-drill", "--db", self.db, "--report", str(report),
                              *args])
        code, out, err = _run(command, self.env, "bin/restore-drill", check=False)
        data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        return code, out, err, data

    def outbox_states(self):
        connection = _connect(self.db)
        try:
            with connection.cursor() as cr:
                cr.execute("SELECT state, count(*) FROM hocbaso_sync_entry GROUP BY state")
                return dict(cr.fetchall())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def school():
    base = Path(tempfile.mkdtemp(prefix="hb-restore-drill-"))
    csdl = CsdlServerProcess(base / "csdl", clients=[DEMO_CLIENT], extra_args=["--quiet"])
    demo = None
    try:
        csdl.start()
        demo = DemoSchool(base, csdl)
        demo.build()
        demo.prepared = demo.shell(PREPARE_OUTBOX % {"batch": SENT_BEFORE_BACKUP},
                                   "sending part of the outbox")
        yield demo
    finally:
        csdl.stop()
        if demo is not None:
            _drop(_databases(f"{demo.db}_restore_%") + [demo.db])
        shutil.rmtree(base, ignore_errors=True)


def _figure(out, label):
    match = re.search(rf"^  {label} +(\d+)", out, re.MULTILINE)
    assert match, f"no '{label}' line in the drill's summary:\n{out}"
    return int(match.group(1))


def test_drill_restores_verifies_and_resumes(school):
    states = school.prepared["states"]
    total = sum(states.values())
    assert states == {"acknowledged": SENT_BEFORE_BACKUP, "sending": 1,
                      "pending": total - SENT_BEFORE_BACKUP - 1}, states
    held_before = {r["id_ban_ghi"]: r for r in school.csdl.records()}
    assert len(held_before) == SENT_BEFORE_BACKUP + 1

    code, out, err, report = school.drill("--csdl-db", str(school.csdl.db_path))
    assert code == 0, f"the drill failed:\n{out}\n{err[-3000:]}"
    figures = report["figures"]
    # the summary an admin reads says what the report says
    assert _figure(out, "records checked") == figures["records"] > 0
    assert _figure(out, "signatures verified") == figures["signatures_valid"] > 0
    assert _figure(out, "entries sent") == figures["sent"]
    assert _figure(out, "duplicates") == figures["duplicates"] == 0
    assert figures["hashes_match"] == figures["records"]
    assert figures["signatures_valid"] == figures["signatures"] == figures["xmlsec_valid"] \
        == figures["xmlsec_checked"], "every signature checked by both verifiers"
    assert figures["files"] == figures["files_intact"] > 0
    assert figures["outbox_documents"] == figures["outbox_documents_intact"] > 0
    assert (figures["outbox_acknowledged"], figures["outbox_sending"]) == \
        (SENT_BEFORE_BACKUP, 1)
    # the waiting entries and the interrupted one went, the interrupted one was held already
    assert figures["sent"] == figures["arrived"] == total - SENT_BEFORE_BACKUP
    assert figures["already_held"] == 1
    assert (figures["stored_twice"], figures["sent_again"]) == (0, 0)
    assert {entry["state"] for entry in report["outbox"]} == {"acknowledged"}
    in_flight = [e for e in report["outbox"] if e["id_ban_ghi"] == school.prepared["in_flight"]]
    assert [e["receipt_status"] for e in in_flight] == ["duplicate"]
    latest = {}
    for entry in report["outbox"]:
        latest[entry["id_ban_ghi"]] = max(entry["phien_ban"], latest.get(entry["id_ban_ghi"], 0))
    for uuid, version in latest.items():
        note_delivery(uuid, version, report["csdl"].get(uuid))
        held = report["csdl"][uuid]
        assert held["phien_ban"] == version, f"{uuid} held at its latest version"
        assert all(v["accepted_deliveries"] == 1 for v in held["versions"]), held

    # the backup is complete, the copy is gone, the school and its CSDL were not touched
    backups = list((school.var / "backups").glob(f"{school.db}-*"))
    assert len(backups) == 1
    assert {path.name for path in backups[0].iterdir()} == {
        f"{school.db}.dump", "filestore.tar.gz", "csdl-snapshot.sqlite", "SHA256SUMS"}
    assert _databases(f"{school.db}_restore_%") == []
    assert [path.name for path in (school.var / "filestore" / "filestore").iterdir()] == \
        [school.db]
    assert school.outbox_states() == states
    assert {r["id_ban_ghi"]: r["deliveries"] for r in school.csdl.records()} == \
        {uuid: record["deliveries"] for uuid, record in held_before.items()}


def test_drill_catches_a_damaged_backup(school):
    connection = _connect(school.db)
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT id, xml_document FROM hocbaso_record WHERE state = 'issued' "
                       "AND xml_document IS NOT NULL ORDER BY id LIMIT 1")
            record_id, document = cr.fetchone()
            # the record is not an extract; the altered document says it is (hash kept)
            document = bytes(document)
            assert document.count(b"<TRICH_LUC>0</TRICH_LUC>") == 1
            cr.execute("UPDATE hocbaso_record SET xml_document = %s WHERE id = %s", (
                document.replace(b"<TRICH_LUC>0</TRICH_LUC>", b"<TRICH_LUC>1</TRICH_LUC>"),
                record_id))
            # two files outside the outbox: the resume itself must still work
            cr.execute("SELECT id, store_fname FROM ir_attachment WHERE store_fname IS NOT NULL "
                       "AND res_field IS NOT NULL AND res_model <> 'hocbaso.sync.entry' "
                       "ORDER BY id LIMIT 2")
            (missing_id, missing), (altered_id, altered) = cr.fetchall()
    finally:
        connection.close()
    (school.filestore / missing).unlink()
    data = bytearray((school.filestore / altered).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (school.filestore / altered).write_bytes(bytes(data))

    # without --csdl-db: the drill's CSDL starts from the acknowledged entries of the backup
    code, out, err, report = school.drill()
    assert code == 1, f"the drill passed a damaged backup:\n{out}"
    assert "restore drill FAILED" in err
    failures = report["failures"]
    assert any(f.startswith(f"record {record_id} (") and "SHA-256" in f for f in failures)
    assert any(f.startswith(f"record {record_id} (") and "does not verify" in f
               for f in failures)
    assert any(f.startswith(f"record {record_id}: xmlsec1 refuses") for f in failures)
    assert all(f.startswith("filestore:") or f.startswith(f"record {record_id}")
               for f in failures), failures
    assert any(f"attachment {missing_id} " in f and "missing" in f for f in failures)
    assert any(f"attachment {altered_id} " in f and "checksum" in f for f in failures)
    figures = report["figures"]
    assert figures["hashes_match"] == figures["records"] - 1
    assert 0 < figures["signatures"] - figures["signatures_valid"] == \
        figures["xmlsec_checked"] - figures["xmlsec_valid"]
    # the outbox part passed on its own, from a CSDL seeded with the acknowledged entries
    assert figures["csdl_seeded"] == SENT_BEFORE_BACKUP
    assert figures["sent"] == figures["arrived"] == figures["outbox_pending"] + 1
    assert figures["duplicates"] == 0
    assert _databases(f"{school.db}_restore_%") == []
