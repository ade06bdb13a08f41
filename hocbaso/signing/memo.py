"""Caches for pure functions of certificates, keyed by the objects' identity first.

`cryptography` hashes an ``x509.Certificate`` by walking its parsed fields: about 3 µs a
certificate on the bench machine (an ``id`` takes 0.05 µs), paid on every ``functools.lru_cache``
lookup. Verifying a record with 15 signatures looks certificates up 180 times (path, CRL issuer,
validity, key, description, XAdES digest): about half a millisecond of a 6 ms verification. The
certificates of one document, and of the same teacher across documents, are the same objects
(``dsig_check._load_certificate_text`` keeps one object per base64 text), so the identity layer
answers almost every lookup.

An identity key is safe because each entry keeps its arguments alive: an ``id`` cannot be reused
while the entry holding that object exists. A miss falls through to the equality-keyed
``lru_cache``, so equal certificates loaded twice still share one computation.
"""

from __future__ import annotations

import functools

_MISSING = object()


def _identity(value):
    if isinstance(value, tuple):
        return tuple(map(id, value))
    return id(value)


def per_object(maxsize: int = 1024):
    """Like ``functools.lru_cache(maxsize)`` for a pure function of immutable objects (or
    tuples of them), with an identity-keyed layer in front. Positional arguments only."""

    def decorate(function):
        by_equality = functools.lru_cache(maxsize=maxsize)(function)
        by_identity: dict = {}

        @functools.wraps(function)
        def cached(*args):
            key = tuple(map(_identity, args))
            entry = by_identity.get(key, _MISSING)
            if entry is not _MISSING:
                return entry[1]
            value = by_equality(*args)
            if len(by_identity) >= maxsize:
                by_identity.clear()  # rare: a process seeing over maxsize distinct objects
            by_identity[key] = (args, value)  # args kept alive: their ids stay theirs
            return value

        def cache_clear():
            by_identity.clear()
            by_equality.cache_clear()

        cached.cache_clear = cache_clear
        return cached

    return decorate
