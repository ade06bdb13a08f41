"""TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), for the SmartCA TH stand-in and for
tests. A school never keeps a user's TOTP key: the user types the code shown on their phone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp(key: bytes, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


def check_totp(key: bytes, code: str, at: float | None = None, window: int = 1) -> bool:
    """``code`` is the TOTP of ``key`` now, or up to ``window`` steps before or after."""
    now = time.time() if at is None else at
    code = str(code or "")
    return any(hmac.compare_digest(totp(key, now + shift * 30), code)
               for shift in range(-window, window + 1))


def standin_key(user_ref: str) -> bytes:
    """The TOTP key of a user of the test PKI at the stand-in (fixed, derived from the ID)."""
    return hashlib.sha256(b"hocbaso-test-totp:" + user_ref.encode("utf-8")).digest()[:20]


def standin_key_base32(user_ref: str) -> str:
    """The same key as an authenticator app takes it."""
    return base64.b32encode(standin_key(user_ref)).decode("ascii")
