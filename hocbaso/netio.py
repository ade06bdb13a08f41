"""Reading an untrusted HTTP answer without letting it fill the memory.

Every outside service (signing providers, time-stamping authorities, OCSP responders) is
read through :func:`read_capped` (the OCSP and time-stamping exchanges through :func:`post_der`);
each caller says in its own words why an answer was refused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests

CHUNK = 64 * 1024


def read_capped(response, limit: int) -> bytes | None:
    """The body of a streamed ``requests`` response, or None as soon as it is known to exceed
    ``limit`` bytes (by its Content-Length, or while reading). Errors of the transport are the
    caller's to translate."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


class ThreadSessions:
    """A ``requests.Session`` for each thread (``requests`` does not promise that threads may
    share one; a signing run asks its authority from several, hocbaso.signing.concurrent), or
    the one session the caller gave (tests)."""

    def __init__(self, session: requests.Session | None = None):
        self._given = session
        self._local = threading.local()

    def get(self) -> requests.Session:
        if self._given is not None:
            return self._given
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


@dataclass(frozen=True)
class Refusals:
    """What a service's client says, in its own words, when an answer is refused: templates of
    ``error`` with %(status)s, %(limit)s and %(url)s/%(detail)s."""

    error: type
    status: str
    too_large: str
    unreachable: str


def post_der(session, url: str, body: bytes, content_type: str, accept: str, limit: int,
             refusals: Refusals, timeout: float, auth=None) -> bytes:
    """POST ``body`` to ``url`` and return the answer's bytes (an RFC 3161 or RFC 6960
    exchange), read at most ``limit`` bytes; any other outcome raises ``refusals.error``."""
    try:
        with session.post(url, data=body, timeout=timeout, stream=True, auth=auth,
                          headers={"Content-Type": content_type, "Accept": accept}) as reply:
            if reply.status_code != 200:
                raise refusals.error(refusals.status, status=reply.status_code)
            answer = read_capped(reply, limit)
            if answer is None:
                raise refusals.error(refusals.too_large, limit=limit)
            return answer
    except requests.RequestException as exc:
        raise refusals.error(refusals.unreachable, url=url,
                             detail=type(exc).__name__) from None
