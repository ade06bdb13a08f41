"""Client of the CSDL sync protocol (see :mod:`hocbaso.csdl.protocol`).

Every failure is a :class:`~hocbaso.errors.CsdlError` whose ``transient`` flag tells the caller
(the Odoo cron) whether to retry later (``True``: timeouts, lost connections, 5xx, 429, garbled
answers) or to stop and ask a person (``False``: refused credentials, unknown school, invalid
record). Resending after a transient error is always safe: the receiver ignores a version it
already holds. Extra attributes on the error: ``status_code`` (HTTP status or None),
``retry_after`` (seconds the server asked us to wait, or None), ``error_code`` (the server's
error code such as "invalid_envelope", or None); a refused record also sets ``id_ban_ghi`` (in a
batch, the item the server named) and a failed :meth:`CsdlClient.send_batch` sets ``receipts``.

Secrets are never logged and never put into messages.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests

from ..errors import CsdlError, HocbasoError
from .protocol import MAX_BATCH, Receipt, SyncEnvelope

_logger = logging.getLogger(__name__)

TOKEN_PATH = "/api/v1/auth/token"
TOKEN_RENEW_MARGIN = 30  # seconds: renew a token this long before it expires



def backoff_delay(attempt: int, base: float = 30, cap: float = 3600, jitter: float = 0.1,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = first retry): base·2^(attempt-1).

    Capped at ``cap``; ``jitter`` spreads retries by ±that fraction so that many records
    failing together do not come back together. Never returns more than ``cap``.
    """
    attempt = max(int(attempt), 1)
    delay = min(float(cap), float(base) * 2 ** min(attempt - 1, 62))
    if jitter:
        delay *= 1 + (rng or random).uniform(-jitter, jitter)
    return max(0.0, min(delay, float(cap)))


class CsdlHttpError(CsdlError):
    """A CsdlError with what the exchange told us (see the module docstring)."""

    def __init__(self, template=None, transient=None, status_code=None, retry_after=None,
                 error_code=None, **params):
        super().__init__(template, transient=transient, **params)
        self.status_code, self.retry_after, self.error_code = status_code, retry_after, error_code


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # the HTTP-date form
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class CsdlClient:
    """Talks to one CSDL endpoint on behalf of one school."""

    def __init__(self, base_url, client_id, client_secret, school_code, timeout=(5, 30),
                 session=None):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.school_code = school_code
        self.timeout = timeout
        self.session = session or requests.Session()
        self._token = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def __repr__(self):  # no secret in tracebacks or logs
        return f"CsdlClient({self.base_url!r}, client_id={self.client_id!r}, " \
               f"school={self.school_code!r})"

    # -- public API ---------------------------------------------------------------------------
    def send(self, envelope: SyncEnvelope) -> Receipt:
        """Deliver one envelope; returns the receipt (accepted / ignored_stale / duplicate)."""
        self._check_local(envelope)
        data = self._call("POST", "/api/v1/hocba", json=envelope.to_dict(),
                          record_ids=[envelope.id_ban_ghi])
        receipt = self._receipt(data)
        if (receipt.id_ban_ghi, receipt.phien_ban) != (envelope.id_ban_ghi, envelope.phien_ban):
            raise CsdlHttpError(
                "The CSDL acknowledged another record (%(other)s) than the one sent "
                "(%(record)s); it will be sent again.",
                True, other=receipt.id_ban_ghi, record=envelope.id_ban_ghi
            )
        return receipt

    def send_batch(self, envelopes) -> list[Receipt]:
        """Deliver envelopes in batches of at most 100; receipts come back in the same order.

        A batch is accepted or refused as a whole. If a later chunk fails, the CsdlError raised
        carries ``receipts``: those of the chunks already delivered (resending them is harmless).
        """
        envelopes = list(envelopes)
        for envelope in envelopes:
            self._check_local(envelope)
        receipts = []
        for start in range(0, len(envelopes), MAX_BATCH):
            chunk = envelopes[start:start + MAX_BATCH]
            try:
                receipts.extend(self._send_chunk(chunk))
            except CsdlError as error:
                error.receipts = list(receipts)
                raise
        return receipts

    def _send_chunk(self, chunk):
        data = self._call("POST", "/api/v1/hocba", json={"items": [e.to_dict() for e in chunk]},
                          record_ids=[e.id_ban_ghi for e in chunk])
        items = data.get("receipts") if isinstance(data, dict) else None
        if not isinstance(items, list) or len(items) != len(chunk):
            raise CsdlHttpError(
                "The CSDL sent an incomplete answer to a batch of %(count)s records; they will "
                "be sent again.",
                True, count=len(chunk)
            )
        receipts = [self._receipt(item) for item in items]
        if [r.id_ban_ghi for r in receipts] != [e.id_ban_ghi for e in chunk]:
            raise CsdlHttpError(
                "The CSDL answered a batch with receipts for other records; they will be sent "
                "again.",
                True
            )
        return receipts

    def status(self, id_ban_ghi: str) -> dict | None:
        """What the CSDL holds for a record: {phien_ban, trang_thai, sha256, received_at}."""
        return self._call("GET", "/api/v1/hocba/" + quote(id_ban_ghi, safe=""),
                          not_found_ok=True, record_ids=[id_ban_ghi])

    def lookup_student(self, so_dinh_danh: str) -> dict | None:
        """Identity held by the CSDL for a personal ID, or None when it has no such student."""
        return self._call("GET", "/api/v1/hocsinh/" + quote(so_dinh_danh, safe=""),
                          not_found_ok=True)

    def test_connection(self) -> str:
        """Reach the server and log in; returns a sentence for the admin, raises CsdlError."""
        health = self._call("GET", "/api/v1/health", auth=False)
        self._renew_token()
        service = health.get("service", "CSDL") if isinstance(health, dict) else "CSDL"
        return (f"Connected to {service} at {self.base_url}: the credentials of school "
                f"{self.school_code} were accepted.")

    # -- internals ----------------------------------------------------------------------------
    def _check_local(self, envelope):
        try:
            envelope.validate()
        except HocbasoError as exc:  # our own bug or bad data: retrying will not help
            raise CsdlHttpError(
                "Record %(record)s cannot be sent: %(detail)s",
                False, record=envelope.id_ban_ghi, detail=exc.message
            ) from exc

    def _receipt(self, data):
        try:
            return Receipt.from_dict(data)
        except (HocbasoError, TypeError) as exc:
            raise CsdlHttpError(
                "The CSDL sent an unreadable receipt (%(detail)s); the record will be sent "
                "again.",
                True, detail=getattr(exc, 'message', str(exc))
            ) from exc

    def _bearer(self):
        with self._lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                self._renew_token_locked()
            return self._token

    def _renew_token(self):
        with self._lock:
            self._renew_token_locked()

    def _renew_token_locked(self):
        self._token = None
        body = {"client_id": self.client_id, "client_secret": self._client_secret,
                "ma_truong": self.school_code}
        response = self._request("POST", TOKEN_PATH, json=body)
        if response.status_code in (401, 403):
            raise CsdlHttpError(
                "The CSDL refused the credentials for school %(code)s: check the client id and "
                "secret.",
                False, status_code=response.status_code, error_code=self._error_code(response),
                code=self.school_code
            )
        data = self._json_or_raise(response)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise CsdlHttpError(
                "The CSDL login answer has no token; try again later.",
                True, status_code=response.status_code
            )
        expires_in = data.get("expires_in") or 300
        self._token = token
        self._token_expires = time.monotonic() + max(float(expires_in) - TOKEN_RENEW_MARGIN, 1)
        _logger.info("CSDL token obtained for school %s (client %s)", self.school_code,
                     self.client_id)

    def _call(self, method, path, json=None, auth=True, not_found_ok=False, record_ids=()):
        response = None
        for attempt in range(2):  # the second pass only after a 401: renew the token once
            headers = {"Authorization": "Bearer " + self._bearer()} if auth else {}
            response = self._request(method, path, json=json, headers=headers)
            if response.status_code != 401 or not auth or attempt:
                break
            _logger.info("CSDL token refused for school %s; renewing it", self.school_code)
            with self._lock:
                self._token = None
        if response.status_code in (401, 403) and self._error_code(response) != "forbidden_school":
            raise CsdlHttpError(
                "The CSDL refused the credentials for school %(code)s: check the client id and "
                "secret.",
                False, status_code=response.status_code, error_code=self._error_code(response),
                code=self.school_code
            )
        if response.status_code == 404 and not_found_ok \
                and self._error_code(response) != "unknown_school":
            return None
        return self._json_or_raise(response, record_ids=record_ids)

    def _request(self, method, path, json=None, headers=None):
        url = self.base_url + path
        try:
            return self.session.request(method, url, json=json, headers=headers,
                                        timeout=self.timeout)
        except requests.Timeout as exc:
            raise CsdlHttpError(
                "The CSDL at %(url)s did not answer in time; the record will be sent again "
                "later.",
                True, url=self.base_url
            ) from exc
        except requests.ConnectionError as exc:
            raise CsdlHttpError(
                "Could not reach the CSDL at %(url)s (connection refused or lost); check the "
                "address and the network. Sending will be retried.",
                True, url=self.base_url
            ) from exc
        except requests.RequestException as exc:
            raise CsdlHttpError(
                "The exchange with the CSDL at %(url)s failed (%(detail)s); sending will be "
                "retried.",
                True, url=self.base_url, detail=type(exc).__name__
            ) from exc

    @staticmethod
    def _error_body(response) -> dict:
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _error_code(self, response):
        return self._error_body(response).get("error")

    @staticmethod
    def _server_message(response):
        try:
            data = response.json()
        except ValueError:
            return response.reason or ""
        if isinstance(data, dict):
            return str(data.get("message") or data.get("error") or "")
        return ""

    def _refused_record(self, response, record_ids):
        """The id of the record a 4xx names: by the server's batch index, or the only one."""
        index = self._error_body(response).get("index")
        if isinstance(index, int) and 0 <= index < len(record_ids):
            return record_ids[index]
        return record_ids[0] if len(record_ids) == 1 else None

    def _json_or_raise(self, response, record_ids=()):
        status = response.status_code
        code = self._error_code(response)
        if status == 404 and (code == "unknown_school" or (
                response.request.path_url == TOKEN_PATH and code != "not_found")):
            raise CsdlHttpError(
                "The CSDL does not know school code %(code)s.",
                False, status_code=status, error_code=code, code=self.school_code
            )
        if status == 429:
            retry_after = _retry_after(response)
            raise CsdlHttpError(
                "The CSDL asks us to slow down; sending will resume in %(seconds)s seconds.",
                True, status_code=status, retry_after=retry_after, error_code=code,
                seconds=int(retry_after or 0)
            )
        if status >= 500:
            raise CsdlHttpError(
                "The CSDL had an internal error (HTTP %(status)s); sending will be retried "
                "later.",
                True, status_code=status, error_code=code, retry_after=_retry_after(response),
                status=status
            )
        if status in (400, 403, 409, 413, 422):  # 403 here is always forbidden_school
            record = self._refused_record(response, record_ids)
            detail = self._server_message(response)
            params = dict(status_code=status, error_code=code, record=record, detail=detail,
                          code=self.school_code)
            if status == 403:
                error = CsdlHttpError(
                    "The CSDL refused record %(record)s: it is not for school %(code)s.",
                    False, **params
                )
            elif record:
                error = CsdlHttpError(
                    "The CSDL refused record %(record)s: %(detail)s Correct it and send it "
                    "again.",
                    False, **params
                )
            else:
                error = CsdlHttpError(
                    "The CSDL refused a batch of records: %(detail)s Correct it and send it "
                    "again.",
                    False, **params
                )
            error.id_ban_ghi = record
            raise error
        if status >= 400:
            raise CsdlHttpError(
                "The CSDL answered HTTP %(status)s (%(detail)s); check the CSDL address in the "
                "settings.",
                False, status_code=status, error_code=code, status=status,
                detail=self._server_message(response)
            )
        try:
            return response.json()
        except ValueError as exc:
            # The server may have stored the record before its answer got garbled: resending
            # is safe (versioning) and the only way to get a receipt.
            raise CsdlHttpError(
                "The CSDL sent an unreadable answer; the record will be sent again.",
                True, status_code=status
            ) from exc
