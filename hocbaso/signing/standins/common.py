"""What the provider stand-ins share: the users of a test PKI folder, a strict JSON handler,
the faults a test injects, and the signing of a batch (with its faults).

Faults: ``POST /_test/fault {"kind": K, "seconds": S, "at": "submit"}`` queues K for the next
transaction (several calls queue several faults, one per transaction); ``POST /_test/reset``
empties the queue. The kinds are in :data:`FAULTS`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from ..base import ECDSA_SHA256, RSA_SHA256


HOST = "127.0.0.1"
MAX_BODY = 4 * 1024 * 1024
HUGE = 9 * 1024 * 1024

FAULTS = {
    "rejected": "the signer refuses the transaction",
    "expired": "the transaction (or its SAD) expires before it is approved or used",
    "server_error": "HTTP 500 where the results are fetched (or at submit with at=submit)",
    "timeout": "the results come after `seconds` (default 3), beyond a short client timeout",
    "partial": "the last document's signature is left out of the results",
    "wrong_signature": "the first document gets the signature of another hash",
    "other_certificate": "every hash is signed by another user's key",
    "slow_approval": "approval (or authorisation) waits `seconds` (default 1.5) more",
    "duplicate_webhook": "the completion callback is posted twice",
    "malformed_json": "the results are not JSON",
    "unknown_doc": "a signature for a document never sent is added",
    "huge": "the results are a 9 MiB answer, without Content-Length",
}
RESPONSE_FAULTS = ("server_error", "timeout", "malformed_json", "huge")


@dataclass
class User:
    """A user of a test PKI folder, with the key a provider would hold for her."""

    ref: str
    key: object
    certificate: x509.Certificate
    chain: list = field(default_factory=list)

    @property
    def algorithm(self) -> str:
        return ECDSA_SHA256 if isinstance(self.key, ec.EllipticCurvePrivateKey) else RSA_SHA256

    def sign_digest(self, digest: bytes) -> bytes:
        prehashed = utils.Prehashed(hashes.SHA256())
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(digest, ec.ECDSA(prehashed))
        return self.key.sign(digest, padding.PKCS1v15(), prehashed)


def load_users(pki_dir) -> dict[str, User]:
    """Users of a test PKI folder, by personal ID / tax code and by short name ("gvcn")."""
    folder = Path(pki_dir)
    manifest = json.loads((folder / "pki.json").read_text(encoding="utf-8"))
    users = {}
    for entry in manifest["users"]:
        key, cert, chain = pkcs12.load_key_and_certificates(
            (folder / entry["p12"]).read_bytes(), entry["password"].encode())
        user = User(ref=entry["user_ref"], key=key, certificate=cert, chain=list(chain or []))
        users[entry["user_ref"]] = user
        users[entry["name"]] = user
    return users


class Faults:
    def __init__(self):
        self.queue: deque = deque()
        self.lock = threading.Lock()

    def push(self, fault: dict) -> int:
        with self.lock:
            self.queue.append(fault)
            return len(self.queue)

    def pop(self) -> dict:
        with self.lock:
            return self.queue.popleft() if self.queue else {}

    def reset(self) -> None:
        with self.lock:
            self.queue.clear()


def read_fault(body) -> dict | None:
    """A fault of ``POST /_test/fault`` once checked; None when it is wrong."""
    if not isinstance(body, dict) or body.get("kind") not in FAULTS:
        return None
    seconds = body.get("seconds", 0)
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or \
            not 0 <= seconds <= 60:
        return None
    if body.get("at", "result") not in ("result", "submit"):
        return None
    return {"kind": body["kind"], "seconds": float(seconds), "at": body.get("at", "result")}


def load_accounts(pki_dir) -> tuple[dict[str, User], dict[str, str]]:
    """(users by personal ID or tax code, their passwords) of a test PKI folder. The password
    of the PKCS#12 file doubles as the account's password (TH) and PIN (CSC)."""
    manifest = json.loads((Path(pki_dir) / "pki.json").read_text(encoding="utf-8"))
    every = load_users(pki_dir)
    users = {entry["user_ref"]: every[entry["user_ref"]] for entry in manifest["users"]}
    passwords = {entry["user_ref"]: entry["password"] for entry in manifest["users"]}
    return users, passwords


def valid_now(user: User) -> bool:
    now = dt.datetime.now(dt.timezone.utc)
    return user.certificate.not_valid_before_utc <= now <= user.certificate.not_valid_after_utc


def other_user(users: dict[str, User], user: User) -> User:
    for candidate in users.values():
        if candidate is not user and type(candidate.key) is type(user.key):
            return candidate
    return next(c for c in users.values() if c is not user)


def sign_batch(users: dict[str, User], user: User, items: list[tuple[str, bytes]],
               fault: dict) -> list[tuple[str, bytes]]:
    """(doc_id, signature) for each item, as the fault has it."""
    kind = fault.get("kind")
    key_user = other_user(users, user) if kind == "other_certificate" else user
    signed = []
    for index, (doc_id, digest) in enumerate(items):
        if kind == "wrong_signature" and index == 0:
            digest = hashlib.sha256(b"another document" + digest).digest()
        signed.append((doc_id, key_user.sign_digest(digest)))
    if kind == "partial" and signed:
        signed.pop()
    if kind == "unknown_doc":
        signed.append(("NOT-SENT-1", key_user.sign_digest(b"\x00" * 32)))
    return signed


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


class JsonHandler(BaseHTTPRequestHandler):
    """POST-only JSON endpoints; subclasses map paths in ``route``."""

    server_version = "HocbasoStandIn/1.0"
    faults: Faults

    def do_GET(self):  # noqa: N802 - http.server naming
        self.send_json(405, self.error_body(405, "Only POST is served."))

    def do_POST(self):  # noqa: N802
        if self.path == "/_test/fault":
            fault = read_fault(self.body())
            if fault is None:
                return self.send_json(400, {"error": "bad fault", "kinds": sorted(FAULTS)})
            return self.send_json(200, {"queued": self.faults.push(fault)})
        if self.path == "/_test/reset":
            self.faults.reset()
            return self.send_json(200, {"queued": 0})
        self.route()

    def route(self):
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict:
        raise NotImplementedError

    def body(self) -> dict | None:
        """The JSON object of the request; None (and the error already sent) otherwise."""
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self.send_json(400, self.error_body(400, "A JSON body of at most 4 MiB is "
                                                     "required."))
            return None
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.send_json(400, self.error_body(400, "The body is not a JSON object."))
            return None
        return data

    def send_json(self, status: int, data: dict, fault: dict | None = None):
        kind = (fault or {}).get("kind")
        if kind == "timeout":
            time.sleep(fault.get("seconds") or 3.0)
        if kind == "server_error":
            status, data = 500, self.error_body(500, "Internal error (injected).")
        if kind == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"pad": "')
            for _ in range(HUGE // (1024 * 1024)):
                self.wfile.write(b"x" * (1024 * 1024))
            self.wfile.write(b'"}')
            self.close_connection = True
            return
        payload = b'{"status_code": 200, "data": {"signatures": [' if kind == "malformed_json" \
            else json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout fault)
            pass

    def log_message(self, fmt, *args):  # one terse line per request: no body, no header
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


class DerHandler(BaseHTTPRequestHandler):
    """A stand-in answering one DER request type at any path (the RFC 3161 authority, the
    OCSP responder), with the test endpoints both share: ``POST /_test/fault {"kind": K}``
    (one of ``known_faults``, for the next request), ``POST /_test/reset`` and
    ``GET /_test/stats``. Subclasses say the content types, the body limit and ``answer``."""

    request_type = reply_type = ""
    max_request = 64 * 1024
    known_faults: frozenset = frozenset()
    faults: Faults

    def answer(self, body: bytes, fault: dict) -> bytes:
        raise NotImplementedError

    def stats(self) -> dict:
        raise NotImplementedError

    def do_GET(self):  # noqa: N802 - http.server naming
        if self.path == "/_test/stats":
            return self.send(200, json.dumps(self.stats()).encode(), "application/json")
        self.send(405, b"Only POST is served.", "text/plain")

    def do_POST(self):  # noqa: N802
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 < length <= self.max_request:
            return self.send(400, b"A body of at most %d KiB is required."
                             % (self.max_request // 1024), "text/plain")
        body = self.rfile.read(length)
        if self.path == "/_test/fault":
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if not isinstance(data, dict) or data.get("kind") not in self.known_faults:
                return self.send(400, json.dumps({"error": "bad fault",
                                                  "kinds": sorted(self.known_faults)}).encode(),
                                 "application/json")
            queued = self.faults.push({"kind": data["kind"]})
            return self.send(200, json.dumps({"queued": queued}).encode(), "application/json")
        if self.path == "/_test/reset":
            self.faults.reset()
            return self.send(200, b'{"queued": 0}', "application/json")
        if self.headers.get("Content-Type", "").split(";")[0].strip() != self.request_type:
            return self.send(415, b"Content-Type must be %s." % self.request_type.encode(),
                             "text/plain")
        fault = self.faults.pop()
        kind = fault.get("kind")
        if kind == "unreachable":
            self.close_connection = True
            return None
        if kind == "huge":
            return self.send_huge()
        if kind == "malformed":
            return self.send(200, b"\x30\x82\xff\xffnot DER at all", self.reply_type)
        return self.send(200, self.answer(body, fault), self.reply_type)

    def send_huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.reply_type)
        self.end_headers()
        self.close_connection = True
        try:
            for _ in range(HUGE // (1024 * 1024)):
                self.wfile.write(b"\x00" * (1024 * 1024))
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
            pass

    def send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, fmt, *args):  # one terse line per request
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


def bound_server(handler: type, port: int, **state) -> ThreadingHTTPServer:
    """A threaded loopback server whose requests see ``state`` (the service and its fault
    queue) as attributes of ``handler``: each stand-in process serves one service."""
    server = ThreadingHTTPServer((HOST, port), type("BoundHandler", (handler,), state))
    server.daemon_threads = True
    return server


def launch(module: str, *args: str, stderr=subprocess.DEVNULL, cwd=None):
    """(process, base URL) of a stand-in run as its own process (``python -m module args``):
    what the tests and the demo do. The process prints ``listening on <url>`` first; when it
    does not, it is stopped and RuntimeError says what it printed."""
    proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on http://%s:" % HOST):
        stop(proc)
        raise RuntimeError("the stand-in %s did not start: %r" % (module, line))
    return proc, line.split()[2]


def stop(proc) -> None:
    """Stop a launched stand-in (killed when it does not end within 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def serve(server: ThreadingHTTPServer, what: str) -> int:
    print("listening on http://%s:%d (%s)" % (HOST, server.server_address[1], what), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
