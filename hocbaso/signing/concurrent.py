"""Signing the records of one run side by side while their timestamps are on the way.

Each signature waits for its RFC 3161 token before the next step may cover it, so a run over
a class waits for one round trip to the time-stamping authority per signature: 40 records at
100 ms are 4 s of waiting for the network alone. The records themselves do not depend on each
other, so their signing runs in a few threads: the key is used by one thread at a time
(:class:`SerialSigner`: a PKCS#11 session is not shared), the waits overlap. The CPU work stays
where it was (lxml and OpenSSL release the GIL for most of theirs).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from .base import Signer

#: records signed at once: at a 100 ms round trip a class of 40 waits about 0.5 s for its
#: tokens instead of 4 s (bench/RESULTS.md), and an authority sees at most 8 requests of one
#: run at a time
AT_ONCE = 8


class SerialSigner(Signer):
    """``signer`` used by one thread at a time (the signatures themselves take well under a
    millisecond each; only the waits around them run side by side)."""

    def __init__(self, signer: Signer):
        self._signer = signer
        self._lock = threading.Lock()

    @property
    def certificate(self):
        return self._signer.certificate

    @property
    def algorithm(self) -> str:
        return self._signer.algorithm

    def sign(self, data: bytes) -> bytes:
        with self._lock:
            return self._signer.sign(data)

    def close(self) -> None:
        self._signer.close()


def each(jobs: list, work, at_once: int = AT_ONCE) -> list:
    """``[work(job) for job in jobs]``, up to ``at_once`` running together; a job whose
    ``work`` raised an Exception gives that exception in its place (the caller tells which
    ones it expects). ``work`` must not touch what is not safe across threads (an Odoo
    environment, a database cursor)."""
    if at_once <= 1 or len(jobs) <= 1:
        return [outcome(work, job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(at_once, len(jobs)),
                            thread_name_prefix="hocbaso-sign") as pool:
        return list(pool.map(lambda job: outcome(work, job), jobs))


def outcome(work, job):
    """``work(job)``, or the Exception it raised, as :func:`each` gives each job's."""
    try:
        return work(job)
    except Exception as error:  # noqa: BLE001 - handed back, in its place, to the caller
        return error
