"""The seam every key backend sits behind.

A signer holds (or reaches) one private key and the certificate that goes with it. It signs raw
bytes: the XML layer gives it the canonicalised SignedInfo and gets the signature value back.
Backends: a PKCS#12 file unlocked for one signing session, a PKCS#11 token or HSM, and a
remote signing service (two-phase: the digest goes out, the signature comes back later).
"""

from __future__ import annotations

import abc
import hashlib

from cryptography import x509

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"


class Signer(abc.ABC):
    """One key and its certificate. Never keeps a PIN or password after ``close()``."""

    #: cryptography x509.Certificate of the key (the leaf only)
    certificate: x509.Certificate

    @property
    def algorithm(self) -> str:
        """XML-DSig SignatureMethod URI for this key: RSA_SHA256 or ECDSA_SHA256."""
        from cryptography.hazmat.primitives.asymmetric import ec

        return (
            ECDSA_SHA256
            if isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey)
            else RSA_SHA256
        )

    @abc.abstractmethod
    def sign(self, data: bytes) -> bytes:
        """Signature over ``data`` with SHA-256: RSA PKCS#1 v1.5, or ECDSA as DER (r, s).

        Raises hocbaso.errors.SigningError with a clear message on failure.
        """

    def close(self) -> None:
        """Forget the unlocked key / session. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
