"""Adapters of the remote signing providers, behind ``hocbaso.signing.batch.BatchProvider``.

    from hocbaso.signing import providers
    adapter = providers.make("smartca", base_url, sp_id="...", sp_password="...")

Per kind, the account keys ``make`` takes (the school's configuration), besides ``timeout``
(seconds, default 20) and ``max_batch``:

- ``smartca``: ``sp_id``, ``sp_password``, ``webhook_secret`` (default: the SP password)
- ``smartca_th``: the same; the user's password and one-time code come at submit
  (``smartca_th.th_secret(password, otp)``), never stored
- ``csc``: ``username`` and ``password`` (auth/login, HTTP Basic), or ``token`` (bearer)
"""

from __future__ import annotations

from ...errors import RemoteSigningError
from .csc import CscProvider
from .smartca import SmartCA
from .smartca_th import SmartCATH, th_secret

ADAPTERS = {"smartca": SmartCA, "smartca_th": SmartCATH, "csc": CscProvider}

__all__ = ["ADAPTERS", "CscProvider", "SmartCA", "SmartCATH", "make", "th_secret"]


def make(kind: str, base_url: str, **account):
    """The adapter of ``kind`` for one school's account at the provider."""
    adapter = ADAPTERS.get(kind)
    if adapter is None:
        raise RemoteSigningError("Unknown signing provider %(kind)s.", kind=str(kind)[:40])
    try:
        return adapter(base_url, **account)
    except (TypeError, ValueError):
        raise RemoteSigningError("The settings of the signing provider %(kind)s are "
                                 "incomplete or hold unknown keys.", kind=kind) from None
