"""Stand-in for VNPT SmartCA (tests and demo): personal accounts (v1, phone approval) and TH
(v2, password + TOTP), strict about the published shapes.

    python -m hocbaso.signing.standins.smartca --port 0 --pki-dir DIR [--auto-confirm]
        [--confirm-delay S] [--ttl S] [--max-batch N] [--callback-url URL]
        [--sp-id ID --sp-password PW --webhook-secret SECRET]

Users are the test PKI's (``pki.json``), by personal ID or tax code; the PKCS#12 password is
also their TH password; their TOTP key is ``providers.totp.standin_key(user_ref)``.
With ``--auto-confirm`` a v1 transaction is approved ``--confirm-delay`` seconds after it is
made; otherwise ``POST /_test/approve/<tranId>`` or ``/_test/reject/<tranId>`` plays the
phone. ``POST /_test/transaction/<tranId>`` tells a transaction's state, its doc_ids and the
callbacks posted. Faults: see ``common.FAULTS``. When a transaction ends and
``--callback-url`` is set, the webhook body is POSTed there with ``X-Hocbaso-Signature``
(HMAC-SHA256 of the body under the webhook secret, by default the SP password).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from ...timeutil import VN_TZ
from ..batch import DOC_ID_RE
from ..providers.smartca import SIGNATURE_HEADER, serial_hex, webhook_signature
from ..providers.totp import check_totp, standin_key
from .common import (
    RESPONSE_FAULTS,
    Faults,
    bound_server,
    JsonHandler,
    b64,
    load_accounts,
    new_id,
    serve,
    sign_batch,
    valid_now,
)

DEFAULT_SP_ID, DEFAULT_SP_PASSWORD = "demo-sp", "demo-sp-password"  # test/demo only
SIGN_FIELDS = {"sp_id": str, "sp_password": str, "user_id": str, "serial_number": str,
               "transaction_id": str, "transaction_desc": str, "time_stamp": str,
               "sign_files": list}
TH_FIELDS = {**SIGN_FIELDS, "password": str, "otp": str}
FILE_FIELDS = {"data_to_be_signed": str, "doc_id": str, "file_type": str, "sign_type": str}
FILE_TYPES = ("xml", "pdf", "office", "json", "other")


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Tran:
    id: str
    sp_ref: str
    user: object
    items: list
    created: float
    expires: float
    fault: dict
    code: str = ""
    status: str = "pending"  # pending | done | rejected | expired
    th: bool = False
    sad: str = ""
    signed: list = field(default_factory=list)
    timestamp: bytes = b""
    callbacks: int = 0
    result_fault_used: bool = False


OPTIONAL = ("transaction_id", "serial_number")


def _check_fields(body: dict, fields: dict, optional=()) -> None:
    for name in body:
        if name not in fields:
            raise BadRequest(400, "Unknown field %s." % name[:40])
    for name, kind in fields.items():
        if name in optional and name not in body:
            continue
        if not isinstance(body.get(name), kind):
            raise BadRequest(400, "Field %s is missing or of a wrong type." % name)


class Service:
    def __init__(self, users, passwords, sp_id, sp_password, webhook_secret, auto_confirm,
                 confirm_delay, ttl, max_batch, callback_url):
        self.users, self.passwords = users, passwords
        self.sp_id, self.sp_password = sp_id, sp_password
        self.webhook_secret = webhook_secret or sp_password
        self.auto_confirm, self.confirm_delay, self.ttl = auto_confirm, confirm_delay, ttl
        self.max_batch, self.callback_url = max_batch, callback_url
        self.faults = Faults()
        self.trans: dict[str, Tran] = {}
        self.sp_refs: set[str] = set()
        self.otps_used: set[tuple[str, str]] = set()
        self.lock = threading.RLock()

    # --- checks -------------------------------------------------------------------------------
    def check_sp(self, body: dict) -> None:
        ok_id = secrets.compare_digest(str(body.get("sp_id", "")).encode(), self.sp_id.encode())
        ok_pw = secrets.compare_digest(str(body.get("sp_password", "")).encode(),
                                       self.sp_password.encode())
        if not (ok_id and ok_pw):
            raise BadRequest(401, "Invalid SP credential.")

    def user(self, body: dict):
        user = self.users.get(body.get("user_id"))
        if user is None:
            raise BadRequest(401, "Invalid user credential.")
        return user

    def new_transaction(self, body: dict, th: bool) -> Tran:
        _check_fields(body, TH_FIELDS if th else SIGN_FIELDS, ("transaction_desc",))
        self.check_sp(body)
        user = self.user(body)
        if th:
            if not secrets.compare_digest(body["password"].encode(),
                                          self.passwords[user.ref].encode()):
                raise BadRequest(401, "Invalid user credential.")
            if not check_totp(standin_key(user.ref), body["otp"]):
                raise BadRequest(400, "Invalid OTP.")
        if body["serial_number"].upper() != serial_hex(user.certificate):
            raise BadRequest(400, "Certificate serial_number not found for this user.")
        if not valid_now(user):
            raise BadRequest(403, "Certificate status invalid.")
        self._check_time_stamp(body["time_stamp"])
        items = self._items(body["sign_files"])
        sp_ref = body["transaction_id"]
        if not 0 < len(sp_ref) <= 64:
            raise BadRequest(400, "transaction_id is required.")
        with self.lock:
            if sp_ref in self.sp_refs:
                raise BadRequest(400, "transaction_id already used.")
            if th:
                if (user.ref, body["otp"]) in self.otps_used:
                    raise BadRequest(400, "OTP already used.")
                self.otps_used.add((user.ref, body["otp"]))
            fault = self.faults.pop()
            if fault.get("kind") == "server_error" and fault.get("at") == "submit":
                raise BadRequest(500, "Internal error (injected).")
            now = time.time()
            tran = Tran(new_id("tr"), sp_ref, user, items, now, now + self.ttl, fault,
                        code="%06d" % secrets.randbelow(10 ** 6), th=th)
            self.sp_refs.add(sp_ref)
            self.trans[tran.id] = tran
        if th:
            tran.sad = secrets.token_urlsafe(24)
            tran.expires = now + (0 if fault.get("kind") == "expired" else 299)
        elif self.auto_confirm:
            delay = self.confirm_delay
            if fault.get("kind") == "slow_approval":
                delay += fault.get("seconds") or 1.5
            timer = threading.Timer(delay, self.decide, (tran.id, True))
            timer.daemon = True
            timer.start()
        if not th:
            timer = threading.Timer(self.ttl, self.expire, (tran.id,))
            timer.daemon = True
            timer.start()
        return tran

    @staticmethod
    def _check_time_stamp(text: str) -> None:
        if not re.fullmatch(r"[0-9]{14}", text):
            raise BadRequest(400, "time_stamp must be YYYYMMddHHmmSS.")
        try:
            moment = dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ)
        except ValueError:
            raise BadRequest(400, "time_stamp is not a date.") from None
        if abs((moment - dt.datetime.now(VN_TZ)).total_seconds()) > 900:
            raise BadRequest(400, "time_stamp is too far from now.")

    def _items(self, files: list) -> list:
        if not files:
            raise BadRequest(400, "sign_files is empty.")
        if len(files) > self.max_batch:
            raise BadRequest(400, "At most %d files per transaction." % self.max_batch)
        items, seen = [], set()
        for entry in files:
            if not isinstance(entry, dict):
                raise BadRequest(400, "sign_files holds something that is not an object.")
            _check_fields(entry, FILE_FIELDS)
            if entry["sign_type"] != "hash" or entry["file_type"] not in FILE_TYPES:
                raise BadRequest(400, "Only sign_type hash of a known file_type is supported.")
            if not DOC_ID_RE.match(entry["doc_id"]) or entry["doc_id"] in seen:
                raise BadRequest(400, "Wrong or repeated doc_id.")
            if not re.fullmatch(r"[0-9a-fA-F]{64}", entry["data_to_be_signed"]):
                raise BadRequest(400, "data_to_be_signed must be the hex of a SHA-256 hash.")
            seen.add(entry["doc_id"])
            items.append((entry["doc_id"], bytes.fromhex(entry["data_to_be_signed"])))
        return items

    # --- life cycle ---------------------------------------------------------------------------
    def get(self, tran_id: str) -> Tran:
        with self.lock:
            tran = self.trans.get(tran_id)
        if tran is None:
            raise BadRequest(404, "Transaction not found.")
        return tran

    def decide(self, tran_id: str, approve: bool) -> Tran:
        with self.lock:
            tran = self.get(tran_id)
            if tran.status != "pending":
                return tran
            kind = tran.fault.get("kind")
            if time.time() >= tran.expires or kind == "expired":
                tran.status = "expired"
            elif not approve or kind == "rejected":
                tran.status = "rejected"
            else:
                self._sign(tran)
        self.call_back(tran)
        return tran

    def expire(self, tran_id: str) -> None:
        with self.lock:
            tran = self.get(tran_id)
            if tran.status != "pending":
                return
            tran.status = "expired"
        self.call_back(tran)

    def _sign(self, tran: Tran) -> None:
        tran.signed = sign_batch(self.users, tran.user, tran.items, tran.fault)
        tran.timestamp = ("hocbaso-standin-timestamp:%s:%s" % (
            tran.id, dt.datetime.now(dt.timezone.utc).isoformat())).encode()
        tran.status = "done"

    def confirm_th(self, body: dict) -> Tran:
        _check_fields(body, {"sp_id": str, "sp_password": str, "user_id": str, "password": str,
                             "transaction_id": str, "sad": str})
        self.check_sp(body)
        user = self.user(body)
        if not secrets.compare_digest(body["password"].encode(),
                                      self.passwords[user.ref].encode()):
            raise BadRequest(401, "Invalid user credential.")
        with self.lock:
            tran = self.get(body["transaction_id"])
            if not tran.th or tran.user is not user or not secrets.compare_digest(
                    body["sad"].encode(), tran.sad.encode()):
                raise BadRequest(400, "Invalid SAD.")
            if tran.status != "pending":
                raise BadRequest(400, "Transaction already confirmed.")
            kind = tran.fault.get("kind")
            if time.time() >= tran.expires:
                tran.status = "expired"
            elif kind == "rejected":
                tran.status = "rejected"
            else:
                if kind == "slow_approval":
                    time.sleep(tran.fault.get("seconds") or 1.5)
                self._sign(tran)
        return tran

    def result(self, tran: Tran, key: str) -> dict:
        message = {"pending": "sig_wait_for_user_confirm", "done": "SUCCESS",
                   "rejected": "sig_rejected", "expired": "sig_expired"}[tran.status]
        data = {"transaction_id": tran.id, "tran_code": tran.code}
        if tran.status == "done":
            data[key] = [{"doc_id": doc, "signature_value": b64(value),
                          "timestamp_signature": b64(tran.timestamp)}
                         for doc, value in tran.signed]
        return {"status_code": 200, "message": message, "data": data}

    def result_fault(self, tran: Tran) -> dict | None:
        """The response fault of this transaction, once, when its results are out."""
        with self.lock:
            if tran.status != "done" or tran.result_fault_used or \
                    tran.fault.get("kind") not in RESPONSE_FAULTS or \
                    tran.fault.get("at") == "submit":
                return None
            tran.result_fault_used = True
            return tran.fault

    def call_back(self, tran: Tran) -> None:
        if not self.callback_url or tran.th:
            return
        result = self.result(tran, "signed_files")
        body = {"sp_id": self.sp_id, "status_code": 200, "message": result["message"],
                "transaction_id": tran.id, "signed_files": result["data"].get("signed_files",
                                                                              [])}
        payload = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: webhook_signature(self.webhook_secret, payload)}
        times = 2 if tran.fault.get("kind") == "duplicate_webhook" else 1

        def post():
            for _ in range(times):
                try:
                    requests.post(self.callback_url, data=payload, headers=headers, timeout=10)
                    tran.callbacks += 1
                except requests.RequestException:
                    pass

        threading.Thread(target=post, daemon=True).start()


class Handler(JsonHandler):
    service: Service

    def error_body(self, status, message):
        return {"status_code": status, "message": message, "data": None}

    def route(self):
        path = self.path
        body = self.body()
        if body is None:
            return
        service = self.service
        try:
            if path == "/v1/credentials/get_certificate":
                return self.certificates(body)
            if path in ("/v1/signatures/sign", "/v2/signatures/sign"):
                tran = service.new_transaction(body, th=path.startswith("/v2"))
                data = {"transaction_id": tran.id, "tran_code": tran.code}
                if tran.th:
                    data.update(sad=tran.sad, expired_in=max(0, int(tran.expires - time.time())))
                else:
                    data["expired_in"] = int(service.ttl)
                return self.send_json(200, {"status_code": 200,
                                            "message": "sig_wait_for_user_confirm",
                                            "data": data})
            if path == "/v2/signatures/confirm":
                tran = service.confirm_th(body)
                return self.send_json(200, service.result(tran, "signatures"),
                                      service.result_fault(tran))
            match = re.fullmatch(r"/v1/signatures/sign/([A-Za-z0-9]+)/status", path)
            if match:
                _check_fields(body, {"sp_id": str, "sp_password": str})
                service.check_sp(body)
                tran = service.get(match.group(1))
                return self.send_json(200, service.result(tran, "signatures"),
                                      service.result_fault(tran))
            match = re.fullmatch(r"/_test/(approve|reject|transaction)/([A-Za-z0-9]+)", path)
            if match:
                return self.control(match.group(1), match.group(2))
            raise BadRequest(404, "No such endpoint.")
        except BadRequest as error:
            self.send_json(error.status, self.error_body(error.status, error.message))

    def certificates(self, body: dict):
        _check_fields(body, {"sp_id": str, "sp_password": str, "user_id": str,
                             "serial_number": str, "transaction_id": str}, OPTIONAL)
        self.service.check_sp(body)
        user = self.service.user(body)
        ca = user.chain[0] if user.chain else None
        root = user.chain[1] if len(user.chain) > 1 else None
        certificate = {
            "service_type": "SMARTCA", "cert_id": "cert-" + user.ref,
            "cert_status": "Đang hoạt động" if valid_now(user) else "Hết hạn",
            "serial_number": serial_hex(user.certificate),
            "cert_subject": user.certificate.subject.rfc4514_string(),
            "cert_valid_from": user.certificate.not_valid_before_utc.isoformat(),
            "cert_valid_to": user.certificate.not_valid_after_utc.isoformat(),
            "cert_data": b64(user.certificate.public_bytes(Encoding.DER)),
            "chain_data": {"ca_cert": b64(ca.public_bytes(Encoding.DER)) if ca else None,
                           "root_cert": b64(root.public_bytes(Encoding.DER)) if root else None},
        }
        serial = body.get("serial_number")
        found = [certificate] if serial in (None, "", certificate["serial_number"]) else []
        self.send_json(200, {"status_code": 200, "message": "SUCCESS",
                             "data": {"user_certificates": found}})

    def control(self, action: str, tran_id: str):
        service = self.service
        if action == "transaction":
            tran = service.get(tran_id)
        else:
            tran = service.decide(tran_id, action == "approve")
        self.send_json(200, {"status": tran.status, "sp_transaction_id": tran.sp_ref,
                             "doc_ids": [doc for doc, _ in tran.items],
                             "callbacks": tran.callbacks, "code": tran.code})


def make_server(pki_dir, port=0, sp_id=DEFAULT_SP_ID, sp_password=DEFAULT_SP_PASSWORD,
                webhook_secret="", auto_confirm=False, confirm_delay=0.0, ttl=300.0,
                max_batch=1000, callback_url="") -> ThreadingHTTPServer:
    users, passwords = load_accounts(pki_dir)
    service = Service(users, passwords, sp_id, sp_password, webhook_secret, auto_confirm,
                      confirm_delay, ttl, max_batch, callback_url)
    return bound_server(Handler, port, service=service, faults=service.faults)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hocbaso.signing.standins.smartca",
                                     description="VNPT SmartCA stand-in (test PKI).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pki-dir", required=True)
    parser.add_argument("--sp-id", default=DEFAULT_SP_ID)
    parser.add_argument("--sp-password", default=DEFAULT_SP_PASSWORD)
    parser.add_argument("--webhook-secret", default="",
                        help="HMAC key of the callbacks (default: the SP password)")
    parser.add_argument("--auto-confirm", action="store_true")
    parser.add_argument("--confirm-delay", type=float, default=0.0)
    parser.add_argument("--ttl", type=float, default=300.0)
    parser.add_argument("--max-batch", type=int, default=1000)
    parser.add_argument("--callback-url", default="")
    args = parser.parse_args(argv)
    server = make_server(args.pki_dir, args.port, args.sp_id, args.sp_password,
                         args.webhook_secret, args.auto_confirm, args.confirm_delay, args.ttl,
                         args.max_batch, args.callback_url)
    return serve(server, "SmartCA v1 + TH v2, %s" % ("auto-confirm" if args.auto_confirm
                                                      else "manual confirm"))


if __name__ == "__main__":
    raise SystemExit(main())
