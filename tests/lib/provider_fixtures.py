"""Shared by the provider tests: the stand-in processes, real pending signatures of sample
records, a webhook receiver, and the caller's side of a batch (keep known doc_ids, complete
each value, verify what was written with xmlsec1)."""

from __future__ import annotations

import copy
import dataclasses
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from dsig_fixtures import xmlsec1_verify

from hocbaso.errors import SigningError
from hocbaso.signing import xmldsig
from hocbaso.signing.batch import BatchItem, keep_known
from hocbaso.signing.standins.common import launch
from hocbaso.signing.standins.common import stop as stop_standin

REPO = Path(__file__).resolve().parents[2]
SP_ID, SP_PASSWORD, WEBHOOK_SECRET = "sp-test", "sp-test-password", "webhook-test-secret"
CSC_USER, CSC_PASSWORD = "school-test", "csc-test-password"
GVBM, GVBM_SUBJECT = "001089007732", "NN1"  # Phạm Quốc Việt teaches NN1 (RSA key)
ECDSA, ECDSA_SUBJECT = "034090001287", "TINCN"  # Đỗ Thanh Tùng teaches TINCN (EC key)


def start(module: str, pki_dir: Path, *extra: str):
    """(process, base URL, log) of a stand-in started as its own process."""
    log = open(pki_dir.parent / ("%s-%d.log" % (module.rsplit(".", 1)[-1],
                                                time.monotonic_ns())), "w")
    try:
        proc, url = launch(module, "--port", "0", "--pki-dir", str(pki_dir), *extra,
                           stderr=log, cwd=REPO)
    except RuntimeError as exc:
        log.close()
        pytest.fail("%s %s" % (exc, Path(log.name).read_text()))
    return proc, url, log


def stop(started) -> None:
    for proc, _url, log in started:
        stop_standin(proc)
        log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fault(url: str, kind: str, **params) -> None:
    reply = requests.post(url + "/_test/fault", json={"kind": kind, **params}, timeout=5)
    assert reply.status_code == 200, reply.text


_XML_CACHE: dict[int, list[bytes]] = {}


def record_documents(count: int) -> list[bytes]:
    """Unsigned XML of ``count`` distinct records (other IDs and names) of the sample."""
    from hocbaso.samples import sample_primary_record
    from hocbaso.xmlprofile import get_profile

    made = _XML_CACHE.setdefault(0, [])
    base = sample_primary_record()
    while len(made) < count:
        record = copy.deepcopy(base)
        record.record_uuid = "00000000-0000-4000-8000-%012d" % len(made)
        record.student = dataclasses.replace(record.student,
                                             full_name="Học sinh %d" % len(made))
        made.append(get_profile().build(record))
    return made[:count]


def pending_batch(certificate, subject: str, count: int, prefix: str = "HB"):
    """({doc_id: PendingSignature}, [BatchItem]) for one teacher's slot in ``count`` records."""
    pendings = {}
    for index, xml in enumerate(record_documents(count)):
        pendings["%s-%04d" % (prefix, index)] = xmldsig.prepare_signature(
            xml, xmldsig.ROLE_GVBM, certificate, subject)
    items = [BatchItem(doc, pending.digest, "Học sinh %s" % doc) for doc, pending in
             pendings.items()]
    return pendings, items


@dataclasses.dataclass
class Outcome:
    written: dict  # doc_id -> signed XML
    refused: dict  # doc_id -> SigningError message
    strangers: list
    missing: list


def apply(transaction, pendings: dict) -> Outcome:
    """What the Odoo side does with a finished transaction: keep the doc_ids it sent, write
    only values that check against the exact SignedInfo."""
    sent = {doc: pending.digest for doc, pending in pendings.items()}
    known, strangers = keep_known(transaction, sent)
    written, refused = {}, {}
    for doc, value in known.items():
        try:
            written[doc] = xmldsig.complete_signature(pendings[doc], value)
        except SigningError as error:
            refused[doc] = error.message
    missing = sorted(doc for doc in pendings if doc not in known)
    return Outcome(written, refused, strangers, missing)


def assert_xmlsec1(outcome: Outcome, pendings: dict, pki, tmp_path, limit: int = 3) -> None:
    """The first ``limit`` written records verify with the real xmlsec1."""
    assert outcome.written
    for doc in sorted(outcome.written)[:limit]:
        result = xmlsec1_verify(outcome.written[doc], pendings[doc].signature_id, pki, tmp_path)
        assert result.returncode == 0, result.stderr


class Receiver:
    """A real HTTP server taking the provider's callbacks (body and headers kept)."""

    def __init__(self):
        self.calls: list[tuple[bytes, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.calls.append((body, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/callback" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, seconds: float = 10) -> list:
        deadline = time.monotonic() + seconds
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.calls)

    def for_transaction(self, ref: str) -> list:
        return [(body, headers) for body, headers in self.calls
                if json.loads(body).get("transaction_id") == ref]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_done(adapter, ref: str, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while True:
        transaction = adapter.poll(ref)
        if transaction.status != "pending" or time.monotonic() > deadline:
            return transaction
        time.sleep(0.1)
