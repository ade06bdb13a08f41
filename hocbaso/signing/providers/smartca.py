"""VNPT SmartCA, personal account: one transaction of many hashes, approved once on the phone.

    adapter = SmartCA(base_url, sp_id="...", sp_password="...", webhook_secret="...")
    chains = adapter.certificates("001186004521")          # the teacher's CCCD
    tx = adapter.submit("001186004521", chains[0][0], items, "Học bạ lớp 4A3 - Toán")
    tx.status == "pending"; tx.code is what the phone shows
    ... adapter.poll(tx.ref) or adapter.parse_callback(body, headers) -> DONE with signatures

Shapes (JSON, POST): ``v1/credentials/get_certificate``, ``v1/signatures/sign`` with
``sign_files[]`` (``data_to_be_signed`` = hex of the SHA-256 digest, ``doc_id``, ``file_type``
"xml", ``sign_type`` "hash"), ``v1/signatures/sign/{tranId}/status``. Answers are
``{status_code, message, data}``; the state of a transaction is in ``message``
(``sig_wait_for_user_confirm``, ``SUCCESS``, ``sig_rejected``, ``sig_expired``).

Webhook: the provider POSTs ``{sp_id, status_code, message, transaction_id, signed_files[]}``.
Our side authenticates it with the header ``X-Hocbaso-Signature: sha256=<hex>``, the
HMAC-SHA256 of the exact body under the webhook secret agreed with the provider (by default
the SP password). A call without it, or with another sp_id, is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import uuid

from cryptography import x509

from ...errors import Problem
from ...timeutil import VN_TZ, now_utc
from ..batch import (
    DONE,
    EXPIRED,
    FAILED,
    PENDING,
    REJECTED,
    BatchProvider,
    Transaction,
    check_items,
)
from ...errors import RemoteSigningError
from .http import DEFAULT_TIMEOUT, JsonHttp, b64bytes, bad_answer, der_certificate, get, header

SIGNATURE_HEADER = "X-Hocbaso-Signature"
REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_ITEMS_READ = 5000  # signatures read from one answer at most


def webhook_signature(secret: str, body: bytes) -> str:
    """The value of the X-Hocbaso-Signature header for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def serial_hex(certificate: x509.Certificate) -> str:
    """The serial number as SmartCA writes it: hexadecimal, even length, upper case."""
    text = "%X" % certificate.serial_number
    return text if len(text) % 2 == 0 else "0" + text


def state_of(message, code: int) -> str:
    """A transaction's status from the provider's message and status code."""
    text = str(message or "").lower()
    if code >= 400:
        return FAILED
    if "wait" in text or "pending" in text or "processing" in text:
        return PENDING
    if "reject" in text or "refuse" in text or "cancel" in text or "deny" in text:
        return REJECTED
    if "expire" in text or "timeout" in text:
        return EXPIRED
    if text in ("success", "sig_success", "signed", "done", "completed"):
        return DONE
    return FAILED


def read_signatures(entries, transaction: Transaction, what: str = "signatures") -> None:
    """Fill ``transaction.signatures`` and ``timestamps`` from a provider's list of
    ``{doc_id, signature_value, timestamp_signature}``. A damaged entry fails alone (in
    ``item_errors``); a doc_id given twice keeps neither value."""
    if not isinstance(entries, list) or len(entries) > MAX_ITEMS_READ:
        raise bad_answer(what)
    twice = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_answer(what)
        doc = entry.get("doc_id")
        if not isinstance(doc, str) or not doc.strip():
            raise bad_answer("doc_id")
        doc = doc[:64]
        if doc in transaction.signatures or doc in transaction.item_errors:
            twice.add(doc)
            continue
        try:
            value = b64bytes(entry.get("signature_value"), "signature_value", 4096)
        except RemoteSigningError as error:
            transaction.item_errors[doc] = Problem(error)
            continue
        transaction.signatures[doc] = value
        stamp = entry.get("timestamp_signature")
        if stamp is not None:
            try:
                transaction.timestamps[doc] = b64bytes(stamp, "timestamp_signature")
            except RemoteSigningError as error:
                transaction.item_errors[doc] = Problem(error)
                del transaction.signatures[doc]
    for doc in twice:
        transaction.signatures.pop(doc, None)
        transaction.timestamps.pop(doc, None)
        transaction.item_errors[doc] = Problem(
            "The signing provider returned document %(doc)s twice; neither value was used.",
            doc=doc)


class SmartCA(BatchProvider):
    """VNPT SmartCA personal accounts of one school (its SP account)."""

    kind = "smartca"
    approval = "app"
    file_type = "xml"

    def __init__(self, base_url: str, sp_id: str, sp_password: str, webhook_secret: str = "",
                 timeout: float = DEFAULT_TIMEOUT, max_batch: int = 1000):
        if not sp_id or not sp_password:
            raise RemoteSigningError("The school's account at the signing provider (SP id and "
                                     "password) is not set. Fill it in the signing settings.")
        self.http = JsonHttp(base_url, timeout)
        self.sp_id, self._sp_password = str(sp_id), str(sp_password)
        self._webhook_secret = str(webhook_secret or sp_password)
        self.max_batch = int(max_batch)

    def __repr__(self):  # never the password
        return "<%s %s sp_id=%s>" % (type(self).__name__, self.http.base_url, self.sp_id)

    # --- calls --------------------------------------------------------------------------------
    def _call(self, path: str, body: dict, user: str = "") -> dict:
        status, data = self.http.post(path, {"sp_id": self.sp_id,
                                             "sp_password": self._sp_password, **body})
        code = data.get("status_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = status
        if status >= 400 or code >= 400:
            self._refused(max(status, code), data.get("message"), user)
        return data

    def _refused(self, code: int, message, user: str):
        detail = str(message or "")[:200]
        if code == 401:
            raise RemoteSigningError("The signing provider refused the school's account (SP id "
                                     "and password) or does not know the user %(user)s. Check "
                                     "the signing settings and the signer's account.",
                                     user=user)
        if code == 403:
            raise RemoteSigningError("The signing provider says the certificate of %(user)s "
                                     "cannot sign now (expired, revoked or suspended): "
                                     "%(detail)s.", user=user, detail=detail)
        if code >= 500:
            raise RemoteSigningError("The signing provider had an internal error (HTTP "
                                     "%(status)s). Try again later.", status=code)
        raise RemoteSigningError("The signing provider refused the request (HTTP %(status)s: "
                                 "%(detail)s).", status=code, detail=detail)

    def certificates(self, user_ref: str) -> list[list[x509.Certificate]]:
        data = self._call("v1/credentials/get_certificate",
                          {"user_id": user_ref, "transaction_id": uuid.uuid4().hex},
                          user=user_ref)
        entries = get(get(data, "data", dict), "user_certificates", list)
        chains = []
        for entry in entries[:50]:
            if not isinstance(entry, dict):
                raise bad_answer("user_certificates")
            chain = [der_certificate(entry.get("cert_data"), "cert_data")]
            extra = get(entry, "chain_data", dict, required=False) or {}
            for name in ("ca_cert", "root_cert"):
                if extra.get(name) is not None:
                    chain.append(der_certificate(extra.get(name), name))
            chains.append(chain)
        if not chains:
            raise RemoteSigningError("The signing provider has no certificate for %(user)s.",
                                     user=user_ref)
        return chains

    def _sign_body(self, user_ref: str, certificate: x509.Certificate, items, description):
        check_items(items, self.max_batch)
        return {
            "user_id": user_ref,
            "serial_number": serial_hex(certificate),
            "transaction_id": uuid.uuid4().hex,
            "transaction_desc": str(description or "")[:500],
            "time_stamp": now_utc().astimezone(VN_TZ).strftime("%Y%m%d%H%M%S"),
            "sign_files": [{"data_to_be_signed": item.digest.hex(), "doc_id": item.doc_id,
                            "file_type": self.file_type, "sign_type": "hash"}
                           for item in items],
        }

    def submit(self, user_ref, certificate, items, description, secret=""):
        data = self._call("v1/signatures/sign", self._sign_body(user_ref, certificate, items,
                                                                 description), user=user_ref)
        body = get(data, "data", dict)
        transaction = Transaction(ref=self._ref(get(body, "transaction_id", str)),
                                  code=str(body.get("tran_code") or "")[:64])
        expires = body.get("expired_in")
        if isinstance(expires, int) and not isinstance(expires, bool) and 0 < expires < 86400:
            transaction.expires_at = now_utc() + dt.timedelta(seconds=expires)
        transaction.message = str(data.get("message") or "")[:200]
        return transaction

    @staticmethod
    def _ref(text: str) -> str:
        if not REF_RE.match(text):
            raise bad_answer("transaction_id")
        return text

    def poll(self, ref: str) -> Transaction:
        data = self._call("v1/signatures/sign/%s/status" % self._ref(ref), {})
        return self._transaction(ref, data, get(data, "data", dict, required=False) or {},
                                 "signatures")

    def _transaction(self, ref: str, data: dict, body: dict, key: str) -> Transaction:
        code = data.get("status_code", 200)
        code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        transaction = Transaction(ref=ref, message=str(data.get("message") or "")[:200])
        transaction.status = state_of(data.get("message"), code)
        if transaction.status == DONE:
            read_signatures(body.get(key), transaction, key)
        return transaction

    # --- webhook ------------------------------------------------------------------------------
    def parse_callback(self, body: bytes, headers: dict) -> Transaction:
        body = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
        given = header(headers, SIGNATURE_HEADER)
        if not hmac.compare_digest(given.encode("utf-8", "replace"),
                                   webhook_signature(self._webhook_secret, body).encode()):
            raise RemoteSigningError("A call claiming to come from the signing provider was "
                                     "refused: its signature is missing or wrong.")
        if len(body) > self.http.max_response:
            raise bad_answer("callback")
        try:
            data = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            raise bad_answer("callback")
        if data.get("sp_id") != self.sp_id:
            raise RemoteSigningError("A call of the signing provider names another school's "
                                     "account; it was refused.")
        ref = self._ref(get(data, "transaction_id", str))
        return self._transaction(ref, data, data, "signed_files")

    def close(self) -> None:
        self.http.close()
