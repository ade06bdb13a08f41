"""Signing with a PKCS#12 file (.p12/.pfx), unlocked in memory for one signing session.

The file stays encrypted by its own password wherever it is stored; the password is asked at
signing time, used once to unlock, and never kept, logged or put in an error message.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import SigningError
from .base import Signer


class Pkcs12Signer(Signer):
    """The key and certificate of a PKCS#12 file. ``chain`` holds the other certificates in it."""

    def __init__(self, p12_bytes: bytes, password: str | bytes):
        if not p12_bytes or bytes(p12_bytes[:1]) != b"\x30":  # DER SEQUENCE
            raise SigningError("The file is not a certificate file with a private key "
                               "(.p12 or .pfx). Export it again from the certificate provider's "
                               "tool.")
        secret = password.encode("utf-8") if isinstance(password, str) else password
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(bytes(p12_bytes),
                                                                       secret or None)
        except (ValueError, TypeError):
            # cryptography cannot tell a wrong password from a damaged file; wrong is far likelier
            raise SigningError("The password of the certificate file is wrong.") from None
        finally:
            secret = None
        if key is None or certificate is None:
            raise SigningError("The certificate file holds no private key or no certificate. "
                               "Export it again with its private key.")
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise SigningError("The key in the certificate file is neither RSA nor ECDSA; it "
                               "cannot sign records.")
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():
            raise SigningError("The private key in the certificate file does not match its "
                               "certificate. Export the file again from the provider's tool.")
        self._key = key
        self.certificate = certificate
        self.chain = list(chain or [])

    def sign(self, data: bytes) -> bytes:
        key = self._key
        if key is None:
            raise SigningError("The signing session is closed. Unlock the certificate file "
                               "again to sign.")
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256()))
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def close(self) -> None:
        self._key = None
