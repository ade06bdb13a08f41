"""Reference remote-signing server (tests and demo): the protocol of ``hocbaso.signing.remote``.

    python -m hocbaso.signing.remote_server --port 8765 --pki-dir DIR [--auto-confirm]

It loads the users of a test PKI folder (``pki.json`` written by ``python -m security.pki``),
unlocks their PKCS#12 files and signs the digests it is sent. With ``--auto-confirm`` a request
is signed as soon as it is asked for (after ``--confirm-delay`` seconds); otherwise it waits
for ``POST /confirm/<id>`` or ``POST /reject/<id>`` (the signer's phone). It only listens on
127.0.0.1. The first line it prints is ``listening on http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from .base import ECDSA_SHA256, RSA_SHA256

HOST = "127.0.0.1"
DEFAULT_API_KEY = "demo-remote-signing-key"  # test/demo server only
API_KEY_ENV = "HOCBASO_REMOTE_SIGNING_API_KEY"
MAX_BODY = 64 * 1024


@dataclass
class User:
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


@dataclass
class SignatureRequest:
    id: str
    user: User
    digest: bytes
    description: str
    created: float
    expires: float
    status: str = "pending"
    signature: bytes = b""


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


class SigningService:
    """The requests and their life cycle; thread-safe."""

    def __init__(self, users: dict[str, User], auto_confirm=False, confirm_delay=0.0, ttl=300.0):
        self.users = users
        self.auto_confirm = auto_confirm
        self.confirm_delay = confirm_delay
        self.ttl = ttl
        self.requests: dict[str, SignatureRequest] = {}
        self.lock = threading.Lock()

    def create(self, user: User, digest: bytes, description: str) -> SignatureRequest:
        now = time.time()
        request = SignatureRequest(secrets.token_urlsafe(16), user, digest, description[:500],
                                   now, now + self.ttl)
        with self.lock:
            self.requests[request.id] = request
        return request

    def get(self, request_id: str) -> SignatureRequest | None:
        with self.lock:
            request = self.requests.get(request_id)
            if request is not None:
                self._advance(request)
            return request

    def decide(self, request_id: str, confirm: bool) -> SignatureRequest | None:
        with self.lock:
            request = self.requests.get(request_id)
            if request is None:
                return None
            self._advance(request)
            if request.status == "pending":
                if confirm:
                    self._sign(request)
                else:
                    request.status = "rejected"
            return request

    def _advance(self, request: SignatureRequest) -> None:
        if request.status != "pending":
            return
        now = time.time()
        if now >= request.expires:
            request.status = "expired"
        elif self.auto_confirm and now >= request.created + self.confirm_delay:
            self._sign(request)

    @staticmethod
    def _sign(request: SignatureRequest) -> None:
        request.signature = request.user.sign_digest(request.digest)
        request.status = "signed"


def _pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


class Handler(BaseHTTPRequestHandler):
    server_version = "HocbasoRemoteSigner/1.0"
    service: SigningService
    api_key: str

    # --- routing ---
    def do_GET(self):  # noqa: N802 - http.server naming
        if not self._authorised():
            return
        match = re.fullmatch(r"/v1/users/([^/]+)/certificate", self.path)
        if match:
            return self._certificate(_unquote(match.group(1)))
        match = re.fullmatch(r"/v1/signatures/([A-Za-z0-9_-]+)", self.path)
        if match:
            return self._status(self.service.get(match.group(1)))
        self._error(404, "not_found", "No such endpoint.")

    def do_POST(self):  # noqa: N802
        if not self._authorised():
            return
        if self.path == "/v1/signatures":
            return self._create()
        match = re.fullmatch(r"/(confirm|reject)/([A-Za-z0-9_-]+)", self.path)
        if match:
            request = self.service.decide(match.group(2), match.group(1) == "confirm")
            return self._status(request)
        self._error(404, "not_found", "No such endpoint.")

    # --- endpoints ---
    def _certificate(self, ref: str):
        user = self.service.users.get(ref)
        if user is None:
            return self._error(404, "unknown_user", "No account %s." % ref)
        self._send(200, {"user": user.ref, "certificate": _pem(user.certificate),
                         "chain": [_pem(c) for c in user.chain]})

    def _create(self):
        body = self._body()
        if body is None:
            return
        user = self.service.users.get(str(body.get("user", "")))
        if user is None:
            return self._error(404, "unknown_user", "No account %s." % body.get("user"))
        try:
            digest = base64.b64decode(str(body.get("digest", "")), validate=True)
        except ValueError:
            digest = b""
        if body.get("digest_algorithm") != "sha256" or len(digest) != 32:
            return self._error(400, "bad_request", "A base64 SHA-256 digest is required.")
        if body.get("signature_algorithm") != user.algorithm:
            return self._error(400, "algorithm_mismatch",
                               "The key of %s signs with %s." % (user.ref, user.algorithm))
        request = self.service.create(user, digest, str(body.get("description", "")))
        expires = dt.datetime.fromtimestamp(request.expires, dt.timezone.utc)
        self._send(202, {"id": request.id, "status": request.status,
                         "expires_at": expires.isoformat()})

    def _status(self, request: SignatureRequest | None):
        if request is None:
            return self._error(404, "unknown_request", "No such signature request.")
        data = {"id": request.id, "status": request.status}
        if request.status == "signed":
            data["signature"] = base64.b64encode(request.signature).decode("ascii")
        self._send(200, data)

    # --- plumbing ---
    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        if secrets.compare_digest(given.encode(), ("Bearer " + self.api_key).encode()):
            return True
        self._error(401, "unauthorized", "A valid API key is required.")
        return False

    def _body(self) -> dict | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._error(400, "bad_request", "A JSON body of at most 64 KiB is required.")
            return None
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._error(400, "bad_request", "The body is not a JSON object.")
            return None
        return body

    def _error(self, status: int, code: str, message: str):
        self._send(status, {"error": code, "message": message})

    def _send(self, status: int, data: dict):
        payload = json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *args):  # one terse line per request, no headers (API key)
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def make_server(users: dict[str, User], port: int = 0, api_key: str = DEFAULT_API_KEY,
                auto_confirm: bool = False, confirm_delay: float = 0.0,
                ttl: float = 300.0) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:``port`` (0: any free port); call ``serve_forever()``."""
    service = SigningService(users, auto_confirm, confirm_delay, ttl)
    handler = type("BoundHandler", (Handler,), {"service": service, "api_key": api_key})
    server = ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    return server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hocbaso.signing.remote_server",
                                     description="Reference remote-signing server (test PKI).")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--pki-dir", required=True, help="folder written by security.pki")
    parser.add_argument("--api-key", default=os.environ.get(API_KEY_ENV, DEFAULT_API_KEY),
                        help="bearer key clients must send (default: $%s or the demo key)"
                        % API_KEY_ENV)
    parser.add_argument("--auto-confirm", action="store_true",
                        help="sign every request without waiting for /confirm/<id>")
    parser.add_argument("--confirm-delay", type=float, default=0.0,
                        help="with --auto-confirm: seconds a request stays pending")
    parser.add_argument("--ttl", type=float, default=300.0,
                        help="seconds before an unconfirmed request expires")
    args = parser.parse_args(argv)
    users = load_users(args.pki_dir)
    server = make_server(users, args.port, args.api_key, args.auto_confirm, args.confirm_delay,
                         args.ttl)
    mode = "auto-confirm" if args.auto_confirm else "manual confirm"
    print("listening on http://%s:%d (%s, %d accounts)"
          % (HOST, server.server_address[1], mode, len({id(u) for u in users.values()})),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
