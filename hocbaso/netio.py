"""Reading an untrusted HTTP answer without letting it fill the memory.

Every outside service (signing providers, time-stamping authorities, OCSP responders) is
read through :func:`read_capped`; each caller says in its own words why an answer was refused.
"""

from __future__ import annotations

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
