"""Signing on a PKCS#11 token or HSM (USB tokens of VN CAs, SoftHSM2 in tests).

``python-pkcs11`` is imported lazily: importing this module never loads a driver. The driver
(``C_Initialize``) is loaded once per process and kept (python-pkcs11 caches it per path), so
in Odoo each worker loads it on first use. Each signer opens its own session, logs in with the
PIN (not kept), and ``close()`` ends the session. The key never leaves the token.

Login state in PKCS#11 belongs to the process, not the session: while one signer of this
process is open on a token, a second signer on that token is refused rather than let in
without checking its PIN.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..errors import SigningError
from .base import Signer, sha256

_lock = threading.Lock()


@dataclass(frozen=True)
class TokenInfo:
    label: str
    serial: str
    manufacturer: str
    model: str
    initialized: bool


def _import():
    try:
        import pkcs11  # noqa: PLC0415 - lazy on purpose: loading a driver is per process
    except ImportError:
        raise SigningError("Signing with a token needs the python-pkcs11 package. Ask the "
                           "administrator to install it (pip install python-pkcs11).") from None
    return pkcs11


def _load(module_path: str):
    pkcs11 = _import()
    try:
        with _lock:
            return pkcs11.lib(module_path)
    except Exception as exc:  # noqa: BLE001 - OSError, PKCS11Error: a driver problem
        raise SigningError("The token driver %(module)s could not be loaded (%(detail)s). Check "
                           "that the token software is installed.",
                           module=module_path, detail=type(exc).__name__) from None


def list_tokens(module_path: str) -> list[TokenInfo]:
    """Tokens the driver sees (a slot without a token is left out)."""
    pkcs11 = _import()
    lib = _load(module_path)
    tokens = []
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except pkcs11.exceptions.PKCS11Error:
            continue
        initialized = bool(token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED)
        tokens.append(TokenInfo(label=token.label, serial=_text(token.serial),
                                manufacturer=token.manufacturer_id, model=token.model,
                                initialized=initialized))
    return tokens


def _text(value) -> str:
    return value.decode("ascii", "replace").strip() if isinstance(value, bytes) else str(value)


class Pkcs11Signer(Signer):
    """A private key on a token; the certificate is read from the token or passed in."""

    def __init__(self, module_path: str, token_label: str, pin: str, key_label: str | None = None,
                 cert: x509.Certificate | None = None):
        pkcs11 = _import()
        self._pkcs11 = pkcs11
        self._session = self._key = None
        self.token_label = token_label
        lib = _load(module_path)
        try:
            token = lib.get_token(token_label=token_label)
        except pkcs11.exceptions.NoSuchToken:
            raise SigningError("No token labelled %(label)s was found. Plug the token in and "
                               "check its label.", label=token_label) from None
        except pkcs11.exceptions.MultipleTokensReturned:
            raise SigningError("Several tokens are labelled %(label)s. Unplug the ones you do "
                               "not sign with.", label=token_label) from None
        self._session = self._open(token, pin)
        pin = None
        try:
            self._key, self.certificate = self._find_key(key_label, cert)
            self._mechanisms = token.slot.get_mechanisms()
        except BaseException:
            self.close()
            raise

    def _open(self, token, pin):
        errors = self._pkcs11.exceptions
        try:
            return token.open(user_pin=pin)
        except (errors.PinIncorrect, errors.PinInvalid, errors.PinLenRange):
            raise SigningError("The PIN of the token is wrong.") from None
        except errors.PinLocked:
            raise SigningError("The token is locked after too many wrong PINs. Unlock it with "
                               "the certificate provider's tool (SO PIN), then try "
                               "again.") from None
        except errors.PinExpired:
            raise SigningError("The PIN of the token has expired. Change it with the "
                               "certificate provider's tool, then try again.") from None
        except (errors.UserAlreadyLoggedIn, errors.AnotherUserAlreadyLoggedIn):
            raise SigningError("The token %(label)s is already in use by another signing "
                               "session. Finish that signing first, then try again.",
                               label=token.label) from None
        except errors.PKCS11Error as exc:
            raise SigningError("The token %(label)s could not be opened (%(detail)s).",
                               label=token.label, detail=type(exc).__name__) from None

    def _find_key(self, key_label, cert):
        pkcs11 = self._pkcs11
        Attribute, ObjectClass = pkcs11.Attribute, pkcs11.ObjectClass
        query = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
        if key_label:
            query[Attribute.LABEL] = key_label
        keys = list(self._session.get_objects(query))
        if not keys:
            raise SigningError("No signing key %(key)s was found on the token %(label)s.",
                               key=key_label or "", label=self.token_label)
        on_token = self._token_certificates()
        if cert is None:
            for key in keys:
                for cert_id, cert_label, certificate in on_token:
                    if _attr(key, Attribute.ID) and cert_id == _attr(key, Attribute.ID) or (
                            key_label and cert_label == key_label):
                        return key, certificate
            if len(keys) == 1 and len(on_token) == 1:
                return keys[0], on_token[0][2]
            raise SigningError("The token %(label)s holds no certificate for its signing key. "
                               "Load the certificate file in the signing settings.",
                               label=self.token_label)
        for key in keys:  # the key of the given certificate: same ID on the token, or same key
            if any(cert_id == _attr(key, Attribute.ID) and certificate == cert
                   for cert_id, _label, certificate in on_token) or _matches(key, cert, pkcs11):
                return key, cert
        raise SigningError("The key on the token %(label)s does not match the certificate of "
                           "%(name)s.", label=self.token_label, name=_common_name(cert))

    def _token_certificates(self):
        Attribute = self._pkcs11.Attribute
        found = []
        query = {Attribute.CLASS: self._pkcs11.ObjectClass.CERTIFICATE,
                 Attribute.CERTIFICATE_TYPE: self._pkcs11.CertificateType.X_509}
        for obj in self._session.get_objects(query):
            try:
                certificate = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
            except ValueError:
                continue
            found.append((_attr(obj, Attribute.ID), _attr(obj, Attribute.LABEL), certificate))
        return found

    def sign(self, data: bytes) -> bytes:
        pkcs11 = self._pkcs11
        if self._key is None:
            raise SigningError("The signing session on the token is closed. Enter the PIN again "
                               "to sign.")
        public = self.certificate.public_key()
        try:
            if isinstance(public, ec.EllipticCurvePublicKey):
                if pkcs11.Mechanism.ECDSA_SHA256 in self._mechanisms:
                    raw = self._key.sign(data, mechanism=pkcs11.Mechanism.ECDSA_SHA256)
                else:  # SoftHSM2 2.6 and many tokens: hash here, sign the digest on the token
                    raw = self._key.sign(sha256(data), mechanism=pkcs11.Mechanism.ECDSA)
                signature = pkcs11.util.ec.encode_ecdsa_signature(raw)  # r||s -> DER
            else:
                signature = self._key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)
        except pkcs11.exceptions.PKCS11Error as exc:
            raise SigningError("The token refused to sign (%(detail)s). Check that it is still "
                               "plugged in, then try again.", detail=type(exc).__name__) from None
        _check(public, signature, data, self.token_label)
        return signature

    def close(self) -> None:
        session, self._session, self._key = self._session, None, None
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - token unplugged: nothing left to close
                pass


def _attr(obj, attribute):
    try:
        return obj[attribute]
    except Exception:  # noqa: BLE001 - attribute absent or not readable
        return None


def _matches(key, cert, pkcs11) -> bool:
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        modulus = _attr(key, pkcs11.Attribute.MODULUS)
        return modulus is not None and int.from_bytes(modulus, "big") == public.public_numbers().n
    return False  # EC private keys do not expose their point; match EC keys by ID


def _check(public, signature: bytes, data: bytes, label: str) -> None:
    """A key/certificate mix-up must fail here, not at the verifier's desk."""
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001 - InvalidSignature
        raise SigningError("The key on the token %(label)s does not match the certificate "
                           "chosen for signing.", label=label) from None


def _common_name(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()
