"""Signing many prepared digests in one transaction: one approval on the phone, one PIN on a
token.

The server prepares every signature (``dsig_build.prepare_signature``) and keeps the pending
documents; only the SHA-256 digests of their SignedInfo leave it, each under a ``doc_id`` the
signer sees both in our screen and in the provider's app. Results come back later (polling, a
webhook, or the user's local agent) and are applied by the caller only after each value has been
checked against the certificate and the exact SignedInfo (``dsig_build.complete_signature``).

Every provider adapter implements :class:`BatchProvider`; the reference stand-ins in
``hocbaso.signing.standins`` follow the same published shapes strictly.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from dataclasses import dataclass, field

from cryptography import x509

from ..errors import RemoteSigningError

#: a doc_id is shown on a phone and sent back by the provider: short, printable, ours
DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

PENDING, DONE, REJECTED, EXPIRED, FAILED = "pending", "done", "rejected", "expired", "failed"


@dataclass(frozen=True)
class BatchItem:
    """One digest to sign: ``digest`` is sha256(canonical SignedInfo), 32 bytes."""

    doc_id: str
    digest: bytes
    label: str = ""  # what the signer reads beside the doc_id (student, class, subject)


@dataclass
class Transaction:
    """What the provider said of one transaction. ``signatures`` and ``timestamps`` are keyed
    by doc_id and hold raw bytes (the signature value as the provider returned it; the CA's
    timestamp token, if it gave one). ``code`` is what the phone app shows for the whole
    transaction (SmartCA's tran_code), when the provider has one. ``item_errors`` holds, by
    doc_id, why a value the provider returned was not taken (damaged, given twice): a
    ``hocbaso.errors.Problem``, translatable."""

    ref: str
    status: str = PENDING
    code: str = ""
    expires_at: dt.datetime | None = None
    signatures: dict[str, bytes] = field(default_factory=dict)
    timestamps: dict[str, bytes] = field(default_factory=dict)
    message: str = ""
    item_errors: dict[str, str] = field(default_factory=dict)


class BatchProvider(abc.ABC):
    """One signing provider for one school account. Adapters never log secrets."""

    #: most digests one transaction may carry (several transactions beyond that)
    max_batch: int = 100
    #: "app" (approve on the phone later), "otp" (a one-time code now), "pin" (PIN now)
    approval: str = "app"

    @abc.abstractmethod
    def certificates(self, user_ref: str) -> list[list[x509.Certificate]]:
        """The user's certificates at the provider, each as [leaf, chain...]."""

    @abc.abstractmethod
    def submit(self, user_ref: str, certificate: x509.Certificate, items: list[BatchItem],
               description: str, secret: str = "") -> Transaction:
        """Send ``items`` as one transaction. ``secret`` is the OTP or PIN where the provider
        asks for one now (never kept). Providers that sign at once return a DONE transaction."""

    @abc.abstractmethod
    def poll(self, ref: str) -> Transaction:
        """The transaction's state now; signatures once done."""

    def parse_callback(self, body: bytes, headers: dict) -> Transaction:
        """A webhook call of the provider, as a Transaction (untrusted: the caller checks it
        belongs to a transaction it sent, and every value against its digest)."""
        raise RemoteSigningError("This signing provider does not call back; its results are "
                                 "fetched by polling.")

    def limit_for(self, certificate: x509.Certificate) -> int:
        """Most digests one transaction may carry for this certificate (CSC credentials
        state their own limit; call ``certificates`` first)."""
        return self.max_batch

    def close(self) -> None:
        """Release connections. Safe to call twice."""


def check_items(items: list[BatchItem], max_batch: int) -> None:
    """Refuse a batch our own code built wrong, before it reaches a provider."""
    if not items:
        raise RemoteSigningError("There is nothing to sign in this batch.")
    if len(items) > max_batch:
        raise RemoteSigningError("A batch carries at most %(max)s signatures.", max=max_batch)
    seen = set()
    for item in items:
        if not DOC_ID_RE.match(item.doc_id) or item.doc_id in seen:
            raise RemoteSigningError("The batch holds a wrong or repeated document code "
                                     "%(doc)s.", doc=item.doc_id[:64])
        if len(item.digest) != 32:
            raise RemoteSigningError("Only SHA-256 digests (32 bytes) can be sent for remote "
                                     "signing.")
        seen.add(item.doc_id)


def keep_known(transaction: Transaction, sent: dict[str, bytes]) -> tuple[dict, list[str]]:
    """(signatures for doc_ids we sent, doc_ids the provider added that we never sent).

    The values are not trusted yet: the caller checks each one against its SignedInfo."""
    known = {doc: value for doc, value in transaction.signatures.items() if doc in sent}
    strangers = sorted(doc for doc in transaction.signatures if doc not in sent)
    return known, strangers
