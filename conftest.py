"""Repository-wide pytest hooks: the reliability summary printed at the end of every run.

The reliability suite is not a separate set of tests: it is the tests that attack the product
(concurrent signing, sync under injected faults, hostile files, bad certificates, roles probing
other schools' records). This summary counts, per attack, the cases tried and the failures
found, and the records lost or duplicated at the reference CSDL server, as the sync tests
report them (hocbaso_odoo_sync/tests/common.py: note_delivery).
"""

import json
import os
import tempfile

RELIABILITY = (
    ("two sessions signing the same record",
     ("hocbaso_odoo_sign/tests/test_backends.py::TestConcurrency",)),
    ("sync under injected faults, restarts and bad credentials",
     ("hocbaso_odoo_sync/tests/", "tests/lib/test_csdl_client_server.py",
      "tests/lib/test_csdl_protocol.py")),
    ("PostgreSQL restarted in the middle of a CSDL sync batch",
     ("tests/reliability/test_pg_restart.py",)),
    ("two Odoo servers sending one CSDL outbox at once",
     ("tests/reliability/test_two_nodes.py",)),
    ("corrupted and hostile files at the upload points",
     ("tests/lib/test_safexml.py", "tests/lib/test_verify.py", "tests/lib/test_cli.py",
      "tests/lib/test_xmlprofile.py", "hocbaso_odoo/tests/test_transfer.py",
      "hocbaso_odoo/tests/test_bad_input.py", "hocbaso_odoo_sign/tests/test_hostile_uploads.py",
      "test_portal.py::TestPublicVerify::test_upload_hostile")),
    ("expired, not-yet-valid, revoked and wrong-purpose certificates",
     ("tests/lib/test_pki_certs.py", "tests/lib/test_signers.py",
      "hocbaso_odoo_sign/tests/test_signing.py")),
    ("roles probing other schools' and classes' records",
     ("hocbaso_odoo/tests/test_access_rights.py", "hocbaso_odoo/tests/test_rpc_probing.py",
      "hocbaso_odoo/tests/test_portal.py", "hocbaso_odoo/tests/test_portal_browser.py")),
    ("a backup restored into a fresh database (restore drill)",
     ("tests/reliability/test_restore_drill.py",)),
    ("remote and token batches: forged, replayed and mismatched answers",
     ("hocbaso_odoo_sign/tests/test_sign_batch",)),
    ("signing providers' faults and hostile answers", ("tests/lib/test_providers_",)),
    ("time-stamping authority faults and forged tokens", ("tests/lib/test_timestamp",)),
    ("a signature copied into another record", ("tests/lib/test_binding",)),
    ("kept validation data and archive timestamps, forged or altered", ("tests/lib/test_ltv",)),
    # one test, thousands of generated cases: it reports them itself (note_cases)
    ("writes to signed records and system fields, through every door",
     ("hocbaso_odoo_sync/tests/test_sealed_probe.py",)),
)


def pytest_configure(config):
    if not os.environ.get("HOCBASO_RELIABILITY_LOG"):
        handle, path = tempfile.mkstemp(prefix="hocbaso-reliability-", suffix=".jsonl")
        os.close(handle)
        os.environ["HOCBASO_RELIABILITY_LOG"] = path
        config._hocbaso_reliability_log = path


def _outcomes(terminalreporter):
    """nodeid -> 'failed' or 'passed' (a test counts as failed when any phase failed)."""
    outcomes = {}
    for key in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(key, []):
            nodeid = getattr(report, "nodeid", None)
            if not nodeid:
                continue
            bad = key != "passed"
            if bad or nodeid not in outcomes:
                outcomes[nodeid] = "failed" if bad else outcomes.get(nodeid, "passed")
    return outcomes


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcomes = _outcomes(terminalreporter)
    if not outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability suite")
    entries = []
    path = os.environ.get("HOCBASO_RELIABILITY_LOG")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as log:
            entries = [json.loads(line) for line in log if line.strip()]
    deliveries = [entry for entry in entries if "uuid" in entry]
    reported = [entry for entry in entries if "attack" in entry]
    total_tried = total_failed = 0
    for title, fragments in RELIABILITY:
        cases = [n for n in outcomes if any(f in n for f in fragments)]
        failed = sum(1 for n in cases if outcomes[n] == "failed")
        # a test that generates its cases counts them instead of itself
        own = [entry for entry in reported if entry["attack"] == title]
        tried = len(cases) - len(own) + sum(entry["tried"] for entry in own)
        failed += sum(entry["failed"] for entry in own)
        total_tried += tried
        total_failed += failed
        write(f"{title:66} {tried:4} cases tried, {failed} failures found")
    lost = sum(d["lost"] for d in deliveries)
    duplicated = sum(d["duplicated"] for d in deliveries)
    write(f"{'total':66} {total_tried:4} cases tried, {total_failed} failures found")
    write(f"records checked at the reference CSDL after faults: {len(deliveries)}, "
          f"lost: {lost}, stored twice: {duplicated}")
    own = getattr(config, "_hocbaso_reliability_log", None)
    if own and os.path.exists(own):
        os.unlink(own)
