"""Reference CSDL server: a real HTTP service speaking :mod:`hocbaso.csdl.protocol`.

It stands in for the MOET sector database in tests and demos, so the sync code is exercised
against a real socket, real JSON and real failures. Run it in its own process::

    python -m hocbaso.csdl.server --port 8069x --db /tmp/csdl.sqlite \\
        [--clients clients.json] [--client ID:SECRET:SCHOOLCODE ...] [--host 127.0.0.1] \\
        [--fault-mode MODE --fault-count N --fault-delay SECONDS] [--token-ttl SECONDS]

``--port 0`` picks a free port. Once ready it prints ``listening on http://127.0.0.1:PORT``.

Credentials come from ``--clients`` (a JSON list of ``{"client_id", "client_secret",
"ma_truong"}``, or ``{"clients": [...]}``) and/or ``--client`` flags. With neither, the demo
credentials are used: client ``demo-client``, secret ``demo-secret``, school ``79000001``.

Storage is SQLite (WAL mode, one connection behind a lock): the current state of each record,
its full version history (CANCEL is a soft delete: history is kept) and a delivery log with
every envelope received and its outcome (the idempotency log).

What it checks: credentials, the envelope fields, the school of the token, that the XML is
well-formed (through :func:`hocbaso.safexml.parse_untrusted`) and that its sha256 matches.
It does NOT verify the XML signatures: the real CSDL would; use :mod:`hocbaso.verify` for that.

Admin endpoints (no authentication: the server binds to the loopback interface only)::

    POST /_admin/faults     {"mode": "none"|"http500"|"timeout"|"drop_after_commit"|"slow"|
                             "malformed"|"http429", "count": N, "delay": seconds}
                            The fault applies to the next N record deliveries
                            (POST /api/v1/hocba), then the mode goes back to "none".
                            http500: 500, nothing stored.  http429: 429 with Retry-After =
                            delay (default 1), nothing stored.  timeout: sleeps delay (default
                            10 s, set it above the client's read timeout), then stores and
                            answers to a client that has usually gone.  slow: same sleep, meant
                            to stay under the client's timeout.  drop_after_commit: stores, then
                            closes the socket without answering.  malformed: stores, then
                            answers 200 with invalid JSON.
    GET  /_admin/faults     the current switches
    GET  /_admin/records    every record with its versions and, per (id, version), the count of
                            accepted deliveries (1 = exactly once); ?xml=1 adds each xml_b64
    POST /_admin/reset      forget records, history, deliveries, students and faults
    POST /_admin/students   seed the identity lookup: [{so_dinh_danh, ho_va_ten, ngay_sinh,
                            gioi_tinh}, ...] (or {"students": [...]})
    POST /_admin/expire_tokens   invalidate every issued token (to test token renewal)
"""

from __future__ import annotations

import argparse
import base64
import hmac
import ipaddress
import json
import secrets
import signal
import socket
import sqlite3
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import HocbasoError
from ..safexml import parse_untrusted
from . import protocol
from .protocol import MAX_BATCH, SyncEnvelope

DEMO_CLIENTS = [{"client_id": "demo-client", "client_secret": "demo-secret",
                 "ma_truong": "79000001"}]
FAULT_MODES = ("none", "http500", "timeout", "drop_after_commit", "slow", "malformed", "http429")
MAX_BODY = 64 * 1024 * 1024
DEFAULT_TOKEN_TTL = 3600
SERVICE_NAME = "hocbaso reference CSDL"

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id_ban_ghi TEXT PRIMARY KEY, ma_truong TEXT NOT NULL, nam_hoc TEXT, so_dinh_danh TEXT,
    phien_ban INTEGER NOT NULL, su_kien TEXT NOT NULL, trang_thai TEXT NOT NULL,
    sha256 TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    id_ban_ghi TEXT NOT NULL, phien_ban INTEGER NOT NULL, su_kien TEXT NOT NULL,
    thoi_gian_cap_nhat TEXT, sha256 TEXT NOT NULL, xml BLOB, reason TEXT,
    receipt_id TEXT NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (id_ban_ghi, phien_ban));
CREATE TABLE IF NOT EXISTS deliveries (
    receipt_id TEXT PRIMARY KEY, id_ban_ghi TEXT NOT NULL, phien_ban INTEGER NOT NULL,
    su_kien TEXT NOT NULL, sha256 TEXT NOT NULL, status TEXT NOT NULL, client_id TEXT,
    received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_record ON deliveries (id_ban_ghi, phien_ban);
CREATE TABLE IF NOT EXISTS students (
    so_dinh_danh TEXT PRIMARY KEY, ho_va_ten TEXT, ngay_sinh TEXT, gioi_tinh TEXT);
"""


class Refusal(Exception):
    """An HTTP error answer: status, machine code, English message."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _now() -> str:
    return protocol.format_timestamp(datetime.now())


def check_xml(xml: bytes) -> None:
    """Light check of the record XML: well-formed and safe. Signatures are NOT verified."""
    parse_untrusted(xml)


class Store:
    """Records, history, delivery log and students in SQLite; every call holds the lock."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self):
        with self.lock:
            self.db.close()

    def reset(self):
        with self.lock:
            for table in ("records", "versions", "deliveries", "students"):
                self.db.execute(f"DELETE FROM {table}")

    def deliver(self, envelopes, school, client_id):
        """Apply the version rules to each envelope in one transaction; returns receipts."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                receipts = [self._deliver_one(index, env, school, client_id)
                            for index, env in enumerate(envelopes)]
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        return receipts

    def _deliver_one(self, index, env, school, client_id):
        db = self.db
        now = _now()
        held = db.execute("SELECT * FROM records WHERE id_ban_ghi = ?",
                          (env.id_ban_ghi,)).fetchone()
        if held is not None and held["ma_truong"] != school:
            raise Refusal(409, "record_of_other_school",
                          f"Record {env.id_ban_ghi} belongs to another school.", index=index)
        receipt_id = uuid.uuid4().hex
        if held is not None and env.phien_ban <= held["phien_ban"]:
            status = protocol.STATUS_IGNORED_STALE
            if env.phien_ban == held["phien_ban"] and env.sha256 == held["sha256"]:
                status = protocol.STATUS_DUPLICATE
                receipt_id = db.execute(
                    "SELECT receipt_id FROM versions WHERE id_ban_ghi = ? AND phien_ban = ?",
                    (env.id_ban_ghi, env.phien_ban)).fetchone()["receipt_id"]
        else:
            status = protocol.STATUS_ACCEPTED
            state = (protocol.RECORD_CANCELLED if env.su_kien == protocol.EVENT_CANCEL
                     else protocol.RECORD_ACTIVE)
            db.execute(
                "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (env.id_ban_ghi, env.phien_ban, env.su_kien, env.thoi_gian_cap_nhat,
                 env.sha256, env.xml_bytes(), env.reason, receipt_id, now))
            db.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (env.id_ban_ghi, school, env.nam_hoc, env.so_dinh_danh, env.phien_ban,
                 env.su_kien, state, env.sha256, now))
        db.execute(
            "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uuid.uuid4().hex if status == protocol.STATUS_DUPLICATE else receipt_id,
             env.id_ban_ghi, env.phien_ban, env.su_kien, env.sha256, status, client_id, now))
        return {"id_ban_ghi": env.id_ban_ghi, "phien_ban": env.phien_ban, "status": status,
                "receipt_id": receipt_id, "received_at": now}

    def status(self, record_id, school):
        with self.lock:
            row = self.db.execute(
                "SELECT phien_ban, trang_thai, sha256, received_at FROM records "
                "WHERE id_ban_ghi = ? AND ma_truong = ?", (record_id, school)).fetchone()
        return None if row is None else {"id_ban_ghi": record_id, **dict(row)}

    def student(self, personal_id):
        with self.lock:
            row = self.db.execute("SELECT * FROM students WHERE so_dinh_danh = ?",
                                  (personal_id,)).fetchone()
        return None if row is None else dict(row)

    def seed_students(self, students):
        rows = []
        for item in students:
            if not isinstance(item, dict) or not item.get("so_dinh_danh"):
                raise Refusal(400, "bad_student", "Each student needs a so_dinh_danh.")
            rows.append(tuple(str(item.get(key, "")) for key in
                              ("so_dinh_danh", "ho_va_ten", "ngay_sinh", "gioi_tinh")))
        with self.lock:
            self.db.executemany("INSERT OR REPLACE INTO students VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def dump(self, with_xml=False):
        with self.lock:
            records = [dict(row) for row in self.db.execute(
                "SELECT * FROM records ORDER BY id_ban_ghi")]
            # the documents themselves only when asked for: at district scale they are about
            # 1.4 GB, which the listing read whole only to print their sizes
            versions = self.db.execute(
                "SELECT id_ban_ghi, phien_ban, su_kien, thoi_gian_cap_nhat, sha256, reason, "
                "receipt_id, received_at, length(xml) AS xml_size"
                + (", xml" if with_xml else "")
                + " FROM versions ORDER BY id_ban_ghi, phien_ban").fetchall()
            counts = self.db.execute(
                "SELECT id_ban_ghi, phien_ban, status, COUNT(*) AS n FROM deliveries "
                "GROUP BY id_ban_ghi, phien_ban, status").fetchall()
        per_version, per_record = {}, {}
        for row in counts:
            key = (row["id_ban_ghi"], row["phien_ban"])
            per_version.setdefault(key, {})[row["status"]] = row["n"]
            totals = per_record.setdefault(row["id_ban_ghi"], {})
            totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
        history = {}
        for row in versions:
            key = (row["id_ban_ghi"], row["phien_ban"])
            entry = {
                "phien_ban": row["phien_ban"], "su_kien": row["su_kien"],
                "thoi_gian_cap_nhat": row["thoi_gian_cap_nhat"], "sha256": row["sha256"],
                "reason": row["reason"], "receipt_id": row["receipt_id"],
                "received_at": row["received_at"], "xml_size": row["xml_size"] or 0,
                "accepted_deliveries": per_version.get(key, {}).get("accepted", 0),
                "deliveries": per_version.get(key, {}),
            }
            if with_xml:
                entry["xml_b64"] = base64.b64encode(row["xml"] or b"").decode("ascii")
            history.setdefault(row["id_ban_ghi"], []).append(entry)
        for record in records:
            record["versions"] = history.get(record["id_ban_ghi"], [])
            record["deliveries"] = per_record.get(record["id_ban_ghi"], {})
        return {"records": records}


class Faults:
    """Fault-injection switches shared by the request threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mode, self.count, self.delay = "none", 0, None

    def set(self, mode="none", count=1, delay=None):
        if mode not in FAULT_MODES:
            raise Refusal(400, "bad_fault", f"Unknown fault mode {mode!r}; use one of "
                          + ", ".join(FAULT_MODES) + ".")
        try:
            count = int(count)
            delay = None if delay is None else float(delay)
        except (TypeError, ValueError):
            raise Refusal(400, "bad_fault", "count must be an integer, delay a number.") from None
        with self.lock:
            self.mode, self.count, self.delay = mode, max(count, 0), delay
            if self.count == 0:
                self.mode = "none"
        return self.snapshot()

    def snapshot(self):
        return {"mode": self.mode, "count": self.count, "delay": self.delay}

    def take(self):
        """The fault for this request, counting it down; ("none", None) when off."""
        with self.lock:
            if self.mode == "none" or self.count <= 0:
                return "none", None
            mode, delay = self.mode, self.delay
            self.count -= 1
            if self.count == 0:
                self.mode = "none"
            return mode, delay


class Auth:
    def __init__(self, clients, token_ttl):
        self.clients = {c["client_id"]: c for c in clients}
        self.schools = {c["ma_truong"] for c in clients}
        self.token_ttl = token_ttl
        self.tokens = {}
        self.lock = threading.Lock()

    def issue(self, body):
        client_id = body.get("client_id")
        secret = body.get("client_secret")
        school = body.get("ma_truong")
        if not all(isinstance(v, str) and v for v in (client_id, secret, school)):
            raise Refusal(400, "bad_request", "client_id, client_secret and ma_truong are needed.")
        client = self.clients.get(client_id)
        # Compare even for an unknown id so timing does not tell which ids exist.
        expected = client["client_secret"] if client else secrets.token_hex(16)
        if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
            raise Refusal(401, "invalid_client", "Unknown client id or wrong secret.")
        if school not in self.schools:
            raise Refusal(404, "unknown_school", f"No school with code {school}.")
        if client["ma_truong"] != school:
            raise Refusal(403, "school_not_allowed",
                          f"This client is not registered for school {school}.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (client_id, school, time.monotonic() + self.token_ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def check(self, header):
        if not header or not header.startswith("Bearer "):
            raise Refusal(401, "invalid_token", "A Bearer token is needed.")
        with self.lock:
            entry = self.tokens.get(header[len("Bearer "):].strip())
        if entry is None or entry[2] < time.monotonic():
            raise Refusal(401, "invalid_token", "The token is unknown or expired.")
        return entry[0], entry[1]

    def expire_all(self):
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
        return count


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HocbasoCsdlReference/1"

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, fmt, *args):  # request lines only; secrets travel in bodies
        if not self.server.quiet:
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def _send(self, status, payload=None, raw=None, headers=()):
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout fault)
            self.close_connection = True

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise Refusal(413, "too_large", "The request is larger than 64 MB.")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "bad_json", "The request body is not valid JSON.") from None

    def _handle(self, method):
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            body = self._body() if method == "POST" else None
            route = ROUTES.get((method, "/".join(parts)))
            if route is None and len(parts) == 4:  # /api/v1/<collection>/<id>
                route = ROUTES.get((method, "/".join(parts[:3]) + "/*"))
            if route is None:
                raise Refusal(404, "not_found", f"No endpoint {method} {url.path}.")
            route(self, body=body, parts=parts, query=parse_qs(url.query))
        except Refusal as refusal:
            headers = [("WWW-Authenticate", "Bearer")] if refusal.status == 401 else []
            self._send(refusal.status, {"error": refusal.code, "message": refusal.message,
                                        **refusal.extra}, headers=headers)
        except Exception as exc:  # noqa: BLE001 - a reference server answers, never dies
            self._send(500, {"error": "server_error", "message": str(exc)})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    # -- API ----------------------------------------------------------------------------------
    def health(self, **_):
        self._send(200, {"status": "ok", "service": SERVICE_NAME, "protocol": "1"})

    def token(self, body, **_):
        if not isinstance(body, dict):
            raise Refusal(400, "bad_request", "The body must be a JSON object.")
        self._send(200, self.server.auth.issue(body))

    def post_records(self, body, **_):
        client_id, school = self.server.auth.check(self.headers.get("Authorization"))
        batch = isinstance(body, dict) and "items" in body
        items = body["items"] if batch else [body]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise Refusal(422, "invalid_batch",
                          f"A batch holds between 1 and {MAX_BATCH} envelopes.")
        envelopes = [self._envelope(index, item, school) for index, item in enumerate(items)]
        mode, delay = self.server.faults.take()
        if mode == "http500":
            raise Refusal(500, "server_error", "Injected fault: internal error.")
        if mode == "http429":
            seconds = max(1, int(round(delay if delay is not None else 1)))
            self._send(429, {"error": "rate_limited", "message": "Too many requests."},
                       headers=[("Retry-After", str(seconds))])
            return
        if mode in ("timeout", "slow"):
            time.sleep(delay if delay is not None else 10.0)
        receipts = self.server.store.deliver(envelopes, school, client_id)
        if mode == "drop_after_commit":
            self._drop()
            return
        if mode == "malformed":
            self._send(200, raw=b'{"receipts": [{"id_ban_ghi": "trunc')
            return
        self._send(200, {"receipts": receipts} if batch else receipts[0])

    def _envelope(self, index, item, school):
        try:
            envelope = SyncEnvelope.from_dict(item)
        except HocbasoError as exc:
            raise Refusal(422, "invalid_envelope", exc.message, index=index) from None
        except TypeError:
            raise Refusal(422, "invalid_envelope", "Envelope fields have wrong types.",
                          index=index) from None
        if envelope.ma_truong != school:
            raise Refusal(403, "forbidden_school",
                          f"Record {envelope.id_ban_ghi} is for school {envelope.ma_truong}, "
                          f"but the token is for school {school}.", index=index)
        xml = envelope.xml_bytes()
        if xml:
            try:
                check_xml(xml)
            except HocbasoError as exc:
                raise Refusal(422, "invalid_xml", f"Record {envelope.id_ban_ghi}: {exc.message}",
                              index=index) from None
            except Exception as exc:  # noqa: BLE001 - any parser failure is the XML's fault
                raise Refusal(422, "invalid_xml", f"Record {envelope.id_ban_ghi}: the XML could "
                              f"not be read ({exc}).", index=index) from None
        return envelope

    def get_record(self, parts, **_):
        _, school = self.server.auth.check(self.headers.get("Authorization"))
        found = self.server.store.status(parts[3], school)
        if found is None:
            raise Refusal(404, "record_not_found", f"No record {parts[3]} for this school.")
        self._send(200, found)

    def get_student(self, parts, **_):
        self.server.auth.check(self.headers.get("Authorization"))
        found = self.server.store.student(parts[3])
        if found is None:
            raise Refusal(404, "student_not_found", "No student with this personal ID.")
        self._send(200, found)

    # -- admin --------------------------------------------------------------------------------
    def admin_set_faults(self, body, **_):
        body = body if isinstance(body, dict) else {}
        self._send(200, self.server.faults.set(body.get("mode", "none"), body.get("count", 1),
                                               body.get("delay")))

    def admin_get_faults(self, **_):
        self._send(200, self.server.faults.snapshot())

    def admin_records(self, query, **_):
        self._send(200, self.server.store.dump(with_xml=query.get("xml") == ["1"]))

    def admin_reset(self, **_):
        self.server.store.reset()
        self.server.faults.set("none", 0)
        self._send(200, {"status": "reset"})

    def admin_students(self, body, **_):
        students = body.get("students") if isinstance(body, dict) else body
        if not isinstance(students, list):
            raise Refusal(400, "bad_request", "Send a list of students.")
        self._send(200, {"seeded": self.server.store.seed_students(students)})

    def admin_expire_tokens(self, **_):
        self._send(200, {"expired": self.server.auth.expire_all()})


ROUTES = {
    ("GET", "api/v1/health"): Handler.health,
    ("POST", "api/v1/auth/token"): Handler.token,
    ("POST", "api/v1/hocba"): Handler.post_records,
    ("GET", "api/v1/hocba/*"): Handler.get_record,
    ("GET", "api/v1/hocsinh/*"): Handler.get_student,
    ("POST", "_admin/faults"): Handler.admin_set_faults,
    ("GET", "_admin/faults"): Handler.admin_get_faults,
    ("GET", "_admin/records"): Handler.admin_records,
    ("POST", "_admin/reset"): Handler.admin_reset,
    ("POST", "_admin/students"): Handler.admin_students,
    ("POST", "_admin/expire_tokens"): Handler.admin_expire_tokens,
}


class CsdlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store, auth, faults, quiet=False):
        super().__init__(address, Handler)
        self.store, self.auth, self.faults, self.quiet = store, auth, faults, quiet


def _parse_client(text):
    client_id, _, rest = text.partition(":")
    secret, _, school = rest.rpartition(":")  # the secret may itself contain ':'
    if not (client_id and secret and school):
        raise argparse.ArgumentTypeError("expected ID:SECRET:SCHOOLCODE")
    return {"client_id": client_id, "client_secret": secret, "ma_truong": school}


def _load_clients(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    clients = data.get("clients") if isinstance(data, dict) else data
    for client in clients:
        if not all(client.get(k) for k in ("client_id", "client_secret", "ma_truong")):
            raise SystemExit(f"{path}: each client needs client_id, client_secret, ma_truong")
    return clients


def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback and ":" not in host
    except ValueError:
        return host == "localhost"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Reference CSDL ngành server (tests, demos).")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address only")
    parser.add_argument("--db", required=True, help="SQLite file (created if missing)")
    parser.add_argument("--clients", help="JSON file of {client_id, client_secret, ma_truong}")
    parser.add_argument("--client", action="append", type=_parse_client, default=[],
                        help="ID:SECRET:SCHOOLCODE (repeatable)")
    parser.add_argument("--token-ttl", type=int, default=DEFAULT_TOKEN_TTL)
    parser.add_argument("--fault-mode", choices=FAULT_MODES, default="none")
    parser.add_argument("--fault-count", type=int, default=1)
    parser.add_argument("--fault-delay", type=float)
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args(argv)
    if not _loopback(args.host):
        parser.error("the reference server has unauthenticated admin endpoints: "
                     "it only binds to 127.0.0.1 / localhost")
    clients = (_load_clients(args.clients) if args.clients else []) + args.client
    clients = clients or DEMO_CLIENTS
    faults = Faults()
    if args.fault_mode != "none":
        faults.set(args.fault_mode, args.fault_count, args.fault_delay)
    store = Store(args.db)
    server = CsdlServer((args.host, args.port), store, Auth(clients, args.token_ttl), faults,
                        quiet=args.quiet)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        store.close()


if __name__ == "__main__":
    main()
