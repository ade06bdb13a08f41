"""HTTP+JSON on 127.0.0.1 for the school's Odoo pages, and only for them.

Why plain HTTP is acceptable here: the socket is bound to the loopback interface, so the bytes
never leave the PC; a TLS certificate for 127.0.0.1 would need a private CA installed in every
browser, which protects nothing that loopback does not. Browsers treat http://127.0.0.1 as a
secure context, so an https:// Odoo page may call it (no mixed-content block).

What keeps other web sites out:

* CORS with an allow-list: a request whose ``Origin`` is not one of ``--allow-origin`` is
  refused before anything else, and no CORS header is sent to it, so its page cannot read any
  answer. ``POST`` needs ``Content-Type: application/json``, so a browser always sends a
  preflight first (no "simple" cross-site form post reaches the token).
* Chrome's Private Network Access: a public https page calling 127.0.0.1 sends a preflight
  with ``Access-Control-Request-Private-Network: true``; the agent answers
  ``Access-Control-Allow-Private-Network: true`` to allowed origins only.
* DNS rebinding: the ``Host`` header must be 127.0.0.1 or localhost with our port.

The PIN travels from the page to this process only; it is never logged nor kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import NAME, __version__
from .errors import AgentError

#: a doc_id is ours (the server made it): short and printable
DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHA256_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_MAX_ITEMS = 500
DEFAULT_MAX_BODY = 1024 * 1024
MAX_PIN = 64


def normalise_origin(value: str) -> str:
    """``https://School.example/`` -> ``https://school.example``; ValueError if not an origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or \
            parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError("not an origin: %r (expected scheme://host[:port])" % value)
    host = parts.hostname.lower()
    if ":" in host:
        host = "[%s]" % host
    default = {"http": 80, "https": 443}[parts.scheme]
    port = "" if parts.port in (None, default) else ":%d" % parts.port
    return "%s://%s%s" % (parts.scheme, host, port)


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, tokens, allow_origins, max_items=DEFAULT_MAX_ITEMS,
                 max_body=DEFAULT_MAX_BODY):
        # 127.0.0.1 only, on purpose: not configurable
        super().__init__(("127.0.0.1", port), AgentHandler)
        self.tokens = tokens
        self.allow_origins = frozenset(normalise_origin(origin) for origin in allow_origins)
        self.max_items = max_items
        self.max_body = max_body

    @property
    def port(self) -> int:
        return self.server_address[1]


class AgentHandler(BaseHTTPRequestHandler):
    server: AgentServer
    server_version = "%s/%s" % (NAME, __version__)
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 120  # a request that stalls mid-body frees its thread

    # --- plumbing ---------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        # the request line only (no body, hence never a PIN)
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))

    def _origin(self) -> str | None:
        origin = self.headers.get("Origin")
        if origin is None:
            return None  # not a browser page (curl, the admin's check): no CORS to grant
        try:
            origin = normalise_origin(origin)
        except ValueError:
            raise AgentError("origin_refused", origin=origin[:100]) from None
        if origin not in self.server.allow_origins:
            raise AgentError("origin_refused", origin=origin[:100])
        return origin

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").lower()
        if host not in ("127.0.0.1:%d" % self.server.port, "localhost:%d" % self.server.port):
            raise AgentError("host_refused")

    def _send(self, status: int, body: dict | None, origin: str | None, extra=None) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Vary", "Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self, route) -> None:
        origin = None
        try:
            self._check_host()
            origin = self._origin()
            status, body, extra = route(origin)
        except AgentError as err:
            if err.code in ("origin_refused", "host_refused"):
                origin = None  # no CORS header: the refused page cannot even read why
            self.close_connection = True  # an unread body must not become a next request
            self._send(err.status, err.body(), origin, {"Connection": "close"})
            return
        except Exception:  # noqa: BLE001 - never a traceback (nor a PIN) to the page
            self.log_error("unexpected error in %s %s", self.command, self.path)
            self.close_connection = True
            self._send(500, AgentError("internal_error").body(), origin, {"Connection": "close"})
            return
        self._send(status, body, origin, extra)

    # --- HTTP methods -------------------------------------------------------------------------
    def do_OPTIONS(self):  # noqa: N802 - http.server's naming
        def preflight(origin):
            if self.path not in ROUTES:
                raise AgentError("not_found")
            if origin is None:
                raise AgentError("origin_refused", origin="-")
            extra = {"Access-Control-Allow-Methods": "GET, POST",
                     "Access-Control-Allow-Headers": "Content-Type",
                     "Access-Control-Max-Age": "600"}
            if (self.headers.get("Access-Control-Request-Private-Network") or "").lower() \
                    == "true":
                extra["Access-Control-Allow-Private-Network"] = "true"
            return 204, None, extra
        self._handle(preflight)

    def do_GET(self):  # noqa: N802
        self._handle(lambda origin: self._route("GET"))

    def do_POST(self):  # noqa: N802
        self._handle(lambda origin: self._route("POST"))

    def _route(self, method):
        if self.path not in ROUTES:
            raise AgentError("not_found")
        wanted, name = ROUTES[self.path]
        if method != wanted:
            raise AgentError("method_not_allowed")
        return 200, getattr(self, name)(), None

    # --- endpoints ----------------------------------------------------------------------------
    def info(self) -> dict:
        return {"name": NAME, "version": __version__}

    def certificates(self) -> dict:
        return {"certificates": [item.as_json() for item in self.server.tokens.certificates()]}

    def sign(self) -> dict:
        request = self._read_json()
        fingerprint, digests, pin = self._check_sign_request(request)
        request.clear()
        signatures = self.server.tokens.sign_digests(fingerprint, [d for _i, d in digests], pin)
        pin = None
        return {"signatures": [{"doc_id": doc_id, "signature": base64.b64encode(value).decode()}
                               for (doc_id, _digest), value in zip(digests, signatures)]}

    # --- the request, checked before the token is touched -------------------------------------
    def _read_json(self) -> dict:
        if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != \
                "application/json":
            raise AgentError("unsupported_media_type")
        if self.headers.get("Transfer-Encoding"):
            raise AgentError("length_required")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise AgentError("length_required") from None
        if length < 0:
            raise AgentError("length_required")
        if length > self.server.max_body:
            raise AgentError("body_too_large", max=self.server.max_body)
        raw = self.rfile.read(length)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise AgentError("bad_json") from None
        if not isinstance(data, dict):
            raise AgentError("bad_request", detail="a JSON object is expected")
        return data

    def _check_sign_request(self, data: dict):
        fingerprint = data.get("certificate_sha256")
        if not isinstance(fingerprint, str):
            raise AgentError("bad_certificate_sha256")
        fingerprint = fingerprint.replace(":", "").strip().lower()
        if not SHA256_HEX_RE.match(fingerprint):
            raise AgentError("bad_certificate_sha256")
        items = data.get("digests")
        if not isinstance(items, list):
            raise AgentError("bad_request", detail="digests must be a list")
        if not items:
            raise AgentError("no_digests")
        if len(items) > self.server.max_items:
            raise AgentError("too_many_items", max=self.server.max_items, count=len(items))
        digests, seen = [], set()
        for index, item in enumerate(items, 1):
            doc_id = item.get("doc_id") if isinstance(item, dict) else None
            if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id) or doc_id in seen:
                raise AgentError("bad_doc_id", index=index)
            seen.add(doc_id)
            digests.append((doc_id, _digest(item.get("digest"), index)))
        pin = data.get("pin")
        if not isinstance(pin, str) or not pin or len(pin) > MAX_PIN:
            raise AgentError("pin_missing")
        return fingerprint, digests, pin


def _digest(value, index: int) -> bytes:
    if not isinstance(value, str) or len(value) > 64:
        raise AgentError("bad_digest", index=index)
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AgentError("bad_digest", index=index) from None
    if len(digest) != 32:
        raise AgentError("bad_digest", index=index)
    return digest


#: path -> (method, handler method)
ROUTES = {
    "/v1/info": ("GET", "info"),
    "/v1/certificates": ("GET", "certificates"),
    "/v1/sign": ("POST", "sign"),
}
