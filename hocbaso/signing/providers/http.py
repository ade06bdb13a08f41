"""JSON over HTTP for the provider adapters: bounded time, bounded size, typed reading.

Every answer is untrusted. Whatever goes wrong (no connection, a slow provider, a huge body,
something that is not a JSON object, a field of the wrong type, base64 garbage) comes out as
:class:`RemoteSigningError` with an English template the Odoo layer translates, never as
another exception. Request bodies, headers and answers are never logged: they carry the
school's credentials and the users' PINs and passwords.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlsplit

import requests
from cryptography import x509

from ...errors import RemoteSigningError
from ...netio import read_capped

MAX_RESPONSE = 8 * 1024 * 1024  # bytes read from one answer at most
DEFAULT_TIMEOUT = 20.0  # seconds to connect, and between two reads of an answer


def check_base_url(base_url: str) -> str:
    """The provider's address without a trailing slash; http(s) with a host, nothing else."""
    text = str(base_url or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise RemoteSigningError("The address of the signing provider %(url)s is not a web "
                                 "address (http or https, without user name or query). Check "
                                 "it in the signing settings.", url=text[:200])
    return text


class JsonHttp:
    """One provider's endpoint root; ``post`` returns (HTTP status, JSON object)."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT,
                 max_response: int = MAX_RESPONSE):
        self.base_url = check_base_url(base_url)
        self.timeout = float(timeout)
        self.max_response = int(max_response)
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json",
                                     "User-Agent": "hocbaso-signing/1.0"})

    def post(self, path: str, body: dict | None = None, headers: dict | None = None,
             auth=None) -> tuple[int, dict]:
        url = self.base_url + "/" + path.lstrip("/")
        try:
            response = self.session.post(url, json=body if body is not None else {},
                                         headers=headers, auth=auth, timeout=self.timeout,
                                         stream=True, allow_redirects=False)
        except requests.Timeout:
            raise RemoteSigningError("The signing provider at %(url)s did not answer within "
                                     "%(seconds)s seconds. Try again later; nothing was signed "
                                     "twice.", url=self.base_url,
                                     seconds=int(self.timeout)) from None
        except requests.RequestException:
            raise RemoteSigningError("The signing provider at %(url)s cannot be reached. Check "
                                     "the address in the signing settings and the network, then "
                                     "try again.", url=self.base_url) from None
        try:
            raw = self._read(response)
        finally:
            response.close()
        return response.status_code, self._decode(raw, response.status_code)

    def _read(self, response) -> bytes:
        try:
            raw = read_capped(response, self.max_response)
        except requests.Timeout:
            raise RemoteSigningError("The signing provider at %(url)s did not answer within "
                                     "%(seconds)s seconds. Try again later; nothing was signed "
                                     "twice.", url=self.base_url,
                                     seconds=int(self.timeout)) from None
        except requests.RequestException:
            raise RemoteSigningError("The signing provider at %(url)s cut the answer short. "
                                     "Try again later.", url=self.base_url) from None
        if raw is None:
            self._too_big()
        return raw

    def _too_big(self):
        raise RemoteSigningError("The signing provider at %(url)s answered with more than "
                                 "%(size)s MiB; the answer was refused.", url=self.base_url,
                                 size=self.max_response // (1024 * 1024))

    def _decode(self, raw: bytes, status: int) -> dict:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            raise RemoteSigningError("The signing provider at %(url)s answered with something "
                                     "that is not a JSON object (HTTP %(status)s).",
                                     url=self.base_url, status=status)
        return data

    def close(self) -> None:
        self.session.close()


# --- typed reading of untrusted answers ------------------------------------------------------
def bad_answer(what: str) -> RemoteSigningError:
    return RemoteSigningError("The signing provider gave a wrong or missing %(field)s in its "
                              "answer; nothing from it was used.", field=what)


def get(data: dict, key: str, kind, required: bool = True, what: str = ""):
    """``data[key]`` when it is of type ``kind`` (None when absent and not required)."""
    value = data.get(key) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if kind is int and isinstance(value, bool):
        raise bad_answer(what or key)
    if not isinstance(value, kind):
        raise bad_answer(what or key)
    return value


def b64bytes(text, what: str, max_len: int = 64 * 1024) -> bytes:
    """Strict base64 (standard alphabet, whitespace tolerated), non-empty, bounded."""
    if not isinstance(text, str) or not text or len(text) > max_len * 2:
        raise bad_answer(what)
    try:
        value = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise bad_answer(what) from None
    if not value or len(value) > max_len:
        raise bad_answer(what)
    return value


def der_certificate(text, what: str = "certificate") -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(b64bytes(text, what))
    except ValueError:
        raise bad_answer(what) from None


def header(headers, name: str) -> str:
    """A header's value from any mapping, its name matched without case."""
    for key, value in (headers or {}).items():
        if str(key).lower() == name.lower():
            return str(value)
    return ""
