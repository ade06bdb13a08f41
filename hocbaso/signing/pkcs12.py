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


# PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... } (RFC 7292); authSafe's
# contentType is id-data or id-signedData
_VERSION_3 = b"\x02\x01\x03"
_AUTH_SAFE_TYPES = (b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01",
                    b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02")


def _header(data: bytes, offset: int) -> tuple[int, int, int | None]:
    """(tag, where the content starts, its length or None for BER's indefinite length)."""
    if offset + 2 > len(data):
        raise ValueError
    tag, first, start = data[offset], data[offset + 1], offset + 2
    if first < 0x80:
        return tag, start, first
    count = first & 0x7F
    if count == 0:
        return tag, start, None
    if count > 4 or start + count > len(data):
        raise ValueError
    return tag, start + count, int.from_bytes(data[start:start + count], "big")


def check_pkcs12_file(data: bytes) -> None:
    """Refuse (SigningError) a file that is not a PKCS#12 file, or one cut short, from its
    unencrypted outer structure: it is checked without the password, so a damaged or wrong
    file is told apart from a wrong password, and refused when it is uploaded. BER's
    indefinite lengths (some Windows and Java exports) are accepted."""
    data = bytes(data or b"")
    try:
        tag, start, length = _header(data, 0)
        if tag != 0x30:
            raise ValueError
        if length is not None and start + length != len(data):
            raise SigningError(
                "The certificate file (.p12 or .pfx) is incomplete or damaged: it holds "
                "%(size)s bytes where it declares %(declared)s. Download or export it again.",
                size=len(data), declared=start + length)
        if data[start:start + 3] != _VERSION_3:
            raise ValueError
        tag, inner, _length = _header(data, start + 3)
        if tag != 0x30 or not data.startswith(_AUTH_SAFE_TYPES, inner):
            raise ValueError
    except ValueError:
        raise SigningError("The file is not a certificate file with a private key (.p12 or "
                           ".pfx). Export it again from the certificate provider's tool.") from None


class Pkcs12Signer(Signer):
    """The key and certificate of a PKCS#12 file. ``chain`` holds the other certificates in it."""

    def __init__(self, p12_bytes: bytes, password: str | bytes):
        check_pkcs12_file(p12_bytes)
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
