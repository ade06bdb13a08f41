"""The teacher's signing agent (agent/hocbaso_agent) as a real process on a SoftHSM2 token:
the server's prepared digests signed after one PIN, completed, checked by xmlsec1; and every
refusal (wrong PIN, unknown certificate, bad input, foreign origin, too much) in both languages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization

REPO = Path(__file__).resolve().parents[2]
AGENT_DIR = REPO / "agent"
if str(REPO) not in sys.path:  # the top-level security/ package is not installed
    sys.path.insert(0, str(REPO))

from security import softhsm  # noqa: E402
from security.pki import build_test_pki  # noqa: E402

from dsig_fixtures import record_and_xml, xmlsec1_verify  # noqa: E402
from hocbaso.signing import xmldsig  # noqa: E402
from hocbaso.verify import verify_document  # noqa: E402

ORIGIN = "https://school.example"
PIN = "246810"


def start_agent(token, *extra, origin=ORIGIN, log_dir: Path):
    """``python -m hocbaso_agent`` on a free port; (process, base URL, log path)."""
    env = dict(os.environ, PYTHONPATH=str(AGENT_DIR))  # SOFTHSM2_CONF: the test token folder
    log = log_dir / ("agent-%s.log" % len(list(log_dir.iterdir())))
    with open(log, "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hocbaso_agent", "--module", token.module_path,
             "--token-label", token.token_label, "--port", "0", "--allow-origin", origin,
             *extra], cwd=log_dir, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on http://127.0.0.1:"):
        proc.kill()
        pytest.fail("the agent did not start: %r %s" % (line, log.read_text()))
    return proc, line.split()[2], log


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def pki():
    return build_test_pki()


@pytest.fixture(scope="module")
def agents(pki, tmp_path_factory):
    """Two tokens (RSA and ECDSA teachers) and an agent on each; a tight-limits agent too."""
    made = {
        "rsa": softhsm.create_token("hb-agent-rsa", pki.leaf("gvbm").key,
                                    pki.leaf("gvbm").certificate, pin=PIN),
        "ec": softhsm.create_token("hb-agent-ec", pki.leaf("ecdsa").key,
                                   pki.leaf("ecdsa").certificate, pin=PIN),
    }
    logs = tmp_path_factory.mktemp("agent")
    started = {
        "rsa": start_agent(made["rsa"], log_dir=logs),
        "ec": start_agent(made["ec"], log_dir=logs),
        "tight": start_agent(made["rsa"], "--max-items", "3", "--max-body", "2000",
                             log_dir=logs),
        # the teacher forgot her token: the agent runs, no token with its label is plugged in
        "absent": start_agent(made["rsa"]._replace(token_label="hb-agent-unplugged"),
                              log_dir=logs),
    }
    yield {name: url for name, (_proc, url, _log) in started.items()} | {
        "logs": {name: log for name, (_proc, _url, log) in started.items()}}
    for proc, _url, _log in started.values():
        stop(proc)


def post_sign(url, body, origin=ORIGIN, **kwargs):
    headers = {"Content-Type": "application/json", "Origin": origin}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(url + "/v1/sign", data=data, headers=headers, timeout=30, **kwargs)


def fingerprint(certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def assert_refused(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert body["message"] and body["message_vi"] and body["message"] != body["message_vi"]
    return body


# --- what the browser sees ------------------------------------------------------------------
def test_agent_listens_on_loopback_and_says_who_it_is(agents):
    assert agents["rsa"].startswith("http://127.0.0.1:")
    response = requests.get(agents["rsa"] + "/v1/info", headers={"Origin": ORIGIN}, timeout=5)
    assert response.status_code == 200
    assert response.json() == {"name": "hocbaso-agent", "version": "1.0.0"}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Cache-Control"] == "no-store"


def test_help_runs_without_a_token():
    result = subprocess.run([sys.executable, "-m", "hocbaso_agent", "--help"],
                            env=dict(os.environ, PYTHONPATH=str(AGENT_DIR)), cwd=AGENT_DIR,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "--allow-origin" in result.stdout
    assert "--module" in result.stdout and "--token-label" in result.stdout


def test_agent_does_not_import_the_server_library():
    """Installed on teachers' PCs alone: importing every module loads no ``hocbaso``."""
    code = ("import sys, hocbaso_agent.__main__, hocbaso_agent.server, hocbaso_agent.token; "
            "bad = [m for m in sys.modules if m == 'hocbaso' or m.startswith(('hocbaso.', "
            "'odoo'))]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=AGENT_DIR, capture_output=True,
                            env=dict(os.environ, PYTHONPATH=str(AGENT_DIR)), text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_preflight_grants_the_allowed_origin_and_private_network(agents):
    response = requests.options(agents["rsa"] + "/v1/sign", timeout=5, headers={
        "Origin": ORIGIN + "/", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_wrong_origin_is_refused_without_cors(agents, pki):
    for method, path in (("OPTIONS", "/v1/sign"), ("GET", "/v1/certificates"),
                         ("GET", "/v1/info")):
        response = requests.request(method, agents["rsa"] + path, timeout=5, headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true"})
        body = assert_refused(response, 403, "origin_refused")
        assert "https://evil.example" in body["message_vi"]
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Private-Network" not in response.headers
    body = {"certificate_sha256": fingerprint(pki.leaf("gvbm").certificate), "pin": PIN,
            "digests": [{"doc_id": "A1", "digest": b64(bytes(32))}]}
    for origin in ("https://evil.example", "http://school.example", "null",
                   "https://school.example.evil.example"):
        response = post_sign(agents["rsa"], body, origin=origin)
        assert_refused(response, 403, "origin_refused")
        assert "signatures" not in response.text


def test_dns_rebinding_host_is_refused(agents):
    port = agents["rsa"].rsplit(":", 1)[1]
    response = requests.get(agents["rsa"] + "/v1/info", timeout=5,
                            headers={"Host": "evil.example:" + port})
    assert_refused(response, 403, "host_refused")


def test_certificates_lists_the_token_certificate(agents, pki):
    response = requests.get(agents["rsa"] + "/v1/certificates", headers={"Origin": ORIGIN},
                            timeout=10)
    assert response.status_code == 200, response.text
    [item] = response.json()["certificates"]
    certificate = pki.leaf("gvbm").certificate
    assert item["id"] == item["sha256"] == fingerprint(certificate)
    assert item["label"] == "signing" and item["token"] == "hb-agent-rsa"
    assert item["pem"].encode() == certificate.public_bytes(serialization.Encoding.PEM)


# --- the batch: prepared by the server, signed on the token, completed, verified -------------
def _prepare_batch(pki, leaf):
    """Pending signatures of every subject of one record taught by one certificate (as the
    server prepares them for a subject teacher) - here one per subject of the sample record,
    all with this leaf's certificate so that one token signs them all."""
    record, xml = record_and_xml()
    certificate = pki.leaf(leaf).certificate
    pending = []
    for subject in record.subjects[:6]:
        pending.append((subject.code, xmldsig.prepare_signature(
            xml, xmldsig.ROLE_GVBM, certificate, subject.code)))
    return pending


@pytest.mark.parametrize("leaf", ["gvbm", "ecdsa"])
def test_one_pin_signs_the_batch_and_xmlsec1_verifies(agents, pki, leaf, tmp_path):
    url = agents["rsa" if leaf == "gvbm" else "ec"]
    pending = _prepare_batch(pki, leaf)
    log = agents["logs"]["rsa" if leaf == "gvbm" else "ec"]
    posts_before = log.read_text().count('"POST /v1/sign')
    response = post_sign(url, {
        "certificate_sha256": fingerprint(pki.leaf(leaf).certificate).upper(), "pin": PIN,
        "digests": [{"doc_id": "R1-" + code, "digest": b64(p.digest)} for code, p in pending]})
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    signatures = response.json()["signatures"]
    assert [s["doc_id"] for s in signatures] == ["R1-" + code for code, _p in pending]
    assert log.read_text().count('"POST /v1/sign') == posts_before + 1  # one request, one PIN
    assert PIN not in log.read_text()
    for (code, prepared), item in zip(pending, signatures):
        value = base64.b64decode(item["signature"])
        signed = xmldsig.complete_signature(prepared, value)  # checks the value first
        report = verify_document(signed, pki.trusted, pki.intermediates, pki.crls)
        [sig] = [s for s in report.signatures if s.subject_code == code]
        assert sig.signature_ok and sig.digests_ok and sig.chain_ok, sig.errors
    result = xmlsec1_verify(signed, prepared.signature_id, pki, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


# --- refusals ---------------------------------------------------------------------------------
def _one(pki, leaf="gvbm", **over):
    body = {"certificate_sha256": fingerprint(pki.leaf(leaf).certificate), "pin": PIN,
            "digests": [{"doc_id": "R1-TOAN", "digest": b64(hashlib.sha256(b"x").digest())}]}
    body.update(over)
    return body


def test_wrong_pin_is_reported_once_and_the_right_one_still_works(agents, pki):
    log = agents["logs"]["rsa"]
    before = log.read_text().count('"POST /v1/sign')
    body = assert_refused(post_sign(agents["rsa"], _one(pki, pin="000000")), 401,
                          "pin_incorrect")
    assert "PIN" in body["message_vi"] and "Chưa ký" in body["message_vi"]
    assert "signatures" not in body
    assert log.read_text().count('"POST /v1/sign') == before + 1
    assert "000000" not in log.read_text()
    response = post_sign(agents["rsa"], _one(pki))  # not locked, nothing lingers
    assert response.status_code == 200 and len(response.json()["signatures"]) == 1


def test_no_token_plugged_in(agents, pki):
    response = requests.get(agents["absent"] + "/v1/certificates", headers={"Origin": ORIGIN},
                            timeout=10)
    body = assert_refused(response, 503, "no_token")
    assert "Không tìm thấy USB token" in body["message_vi"]
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN  # the page can read why
    assert_refused(post_sign(agents["absent"], _one(pki)), 503, "no_token")


def test_certificate_not_on_the_token(agents, pki):
    assert_refused(post_sign(agents["rsa"], _one(pki, leaf="gvcn")), 404,
                   "certificate_not_found")
    assert_refused(post_sign(agents["rsa"], _one(pki, certificate_sha256="abc")), 400,
                   "bad_certificate_sha256")


def test_bad_digests_and_doc_ids(agents, pki):
    cases = [
        ([{"doc_id": "R1", "digest": "not base64!"}], "bad_digest"),
        ([{"doc_id": "R1", "digest": b64(b"short")}], "bad_digest"),
        ([{"doc_id": "R1", "digest": b64(bytes(48))}], "bad_digest"),
        ([{"doc_id": "R1", "digest": 42}], "bad_digest"),
        ([{"doc_id": "../x", "digest": b64(bytes(32))}], "bad_doc_id"),
        ([{"doc_id": "R1", "digest": b64(bytes(32))}, {"doc_id": "R1", "digest": b64(bytes(32))}],
         "bad_doc_id"),
        (["R1"], "bad_doc_id"),
        ([], "no_digests"),
        ("R1", "bad_request"),
    ]
    for digests, code in cases:
        assert_refused(post_sign(agents["rsa"], _one(pki, digests=digests)), 400, code)
    assert_refused(post_sign(agents["rsa"], _one(pki, pin="")), 400, "pin_missing")
    assert_refused(post_sign(agents["rsa"], b"{not json"), 400, "bad_json")
    assert_refused(post_sign(agents["rsa"], b"[1, 2]"), 400, "bad_request")
    response = requests.post(agents["rsa"] + "/v1/sign", data=json.dumps(_one(pki)),
                             headers={"Origin": ORIGIN, "Content-Type": "text/plain"}, timeout=5)
    assert_refused(response, 415, "unsupported_media_type")


def test_limits_items_and_body(agents, pki):
    digests = [{"doc_id": "R%d" % i, "digest": b64(bytes(32))} for i in range(4)]
    body = assert_refused(post_sign(agents["tight"], _one(pki, digests=digests)), 400,
                          "too_many_items")
    assert "3" in body["message"] and "4" in body["message"]
    big = _one(pki, note="x" * 5000)
    assert_refused(post_sign(agents["tight"], big), 413, "body_too_large")
    # the agent is still there and signs within its limits
    response = post_sign(agents["tight"], _one(pki, digests=digests[:3]))
    assert response.status_code == 200 and len(response.json()["signatures"]) == 3


def test_unknown_path_and_method(agents):
    assert_refused(requests.get(agents["rsa"] + "/v1/nothing", timeout=5), 404, "not_found")
    assert_refused(requests.get(agents["rsa"] + "/v1/sign", timeout=5), 405,
                   "method_not_allowed")
