"""The token side: list the certificates, and sign a batch of SHA-256 digests in ONE session
after ONE login.

The digests were computed by the server (SHA-256 of a canonical SignedInfo), so the token signs
a pre-computed hash: RSA with CKM_RSA_PKCS over the DER DigestInfo of SHA-256 (exactly what
CKM_SHA256_RSA_PKCS would produce over the original bytes), ECDSA with CKM_ECDSA over the
digest, its raw r||s turned into DER. Every value is checked against the certificate's public
key before anything is returned.

A wrong PIN is never retried: each request logs in once, and the PIN is dropped after the
login call. PKCS#11 login state belongs to the process, so one lock serialises every token
operation of the agent.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from .errors import AgentError

# DER of DigestInfo { AlgorithmIdentifier sha256 NULL, OCTET STRING (32 bytes) } before the hash
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True)
class TokenCertificate:
    token_label: str
    label: str
    object_id: bytes | None
    certificate: x509.Certificate

    @property
    def sha256(self) -> str:
        return fingerprint(self.certificate)

    def as_json(self) -> dict:
        pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        return {"id": self.sha256, "sha256": self.sha256, "label": self.label or _cn(self),
                "token": self.token_label, "pem": pem}


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _cn(item: TokenCertificate) -> str:
    names = item.certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else item.certificate.subject.rfc4514_string()


class TokenAccess:
    """One PKCS#11 module (the token vendor's driver), optionally one token label."""

    def __init__(self, module_path: str, token_label: str | None = None):
        import pkcs11  # noqa: PLC0415 - the driver is loaded here, once per process

        self._pkcs11 = pkcs11
        self.module_path = module_path
        self.token_label = token_label or None
        self.lib = pkcs11.lib(module_path)
        self.lock = threading.Lock()

    # --- tokens and certificates ------------------------------------------------------------
    def _tokens(self):
        pkcs11 = self._pkcs11
        tokens = []
        for slot in self.lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except pkcs11.exceptions.PKCS11Error:
                continue  # a reader without a card, a slot being unplugged
            if self.token_label is None or token.label == self.token_label:
                tokens.append(token)
        if not tokens:
            raise AgentError("no_token")
        return tokens

    def _certificates_of(self, token) -> list[TokenCertificate]:
        """Certificates are public objects: read in a session without login."""
        pkcs11 = self._pkcs11
        Attribute = pkcs11.Attribute
        found = []
        with token.open() as session:
            query = {Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                     Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509}
            for obj in session.get_objects(query):
                try:
                    certificate = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
                except ValueError:
                    continue
                found.append(TokenCertificate(token.label, _attr(obj, Attribute.LABEL) or "",
                                              _attr(obj, Attribute.ID), certificate))
        return found

    def certificates(self) -> list[TokenCertificate]:
        with self.lock:
            try:
                return [cert for token in self._tokens()
                        for cert in self._certificates_of(token)]
            except self._pkcs11.exceptions.PKCS11Error as exc:
                raise AgentError("token_error", detail=type(exc).__name__) from None

    # --- signing ------------------------------------------------------------------------------
    def sign_digests(self, certificate_sha256: str, digests: list[bytes], pin: str) -> list[bytes]:
        """Signatures of ``digests`` (in order) with the key of the certificate whose SHA-256
        fingerprint is ``certificate_sha256``: one login with ``pin``, one session."""
        if not self.lock.acquire(blocking=False):
            raise AgentError("busy")
        try:
            return self._sign_locked(certificate_sha256, digests, pin)
        except self._pkcs11.exceptions.PKCS11Error as exc:
            raise AgentError("token_error", detail=type(exc).__name__) from None
        finally:
            pin = None
            self.lock.release()

    def _sign_locked(self, certificate_sha256, digests, pin):
        token, chosen = self._find(certificate_sha256)
        flags = self._pkcs11.TokenFlag
        if token.flags & flags.USER_PIN_LOCKED:
            raise AgentError("pin_locked")  # do not even try: a login would fail anyway
        session = self._login(token, pin)
        pin = None
        try:
            key = self._key_for(session, chosen)
            signatures = [self._sign_one(key, chosen.certificate, digest) for digest in digests]
        finally:
            session.close()  # ends the login too: the next request asks the PIN again
        return signatures

    def _find(self, certificate_sha256):
        for token in self._tokens():
            for item in self._certificates_of(token):
                if item.sha256 == certificate_sha256:
                    return token, item
        raise AgentError("certificate_not_found")

    def _login(self, token, pin):
        errors, flags = self._pkcs11.exceptions, self._pkcs11.TokenFlag
        try:
            return token.open(user_pin=pin)
        except (errors.PinIncorrect, errors.PinInvalid, errors.PinLenRange):
            now = token.slot.get_token().flags  # what the token says after this failure
            if now & flags.USER_PIN_LOCKED:
                raise AgentError("pin_locked") from None
            if now & flags.USER_PIN_FINAL_TRY:
                raise AgentError("pin_final_try") from None
            raise AgentError("pin_incorrect") from None
        except errors.PinLocked:
            raise AgentError("pin_locked") from None
        except errors.PinExpired:
            raise AgentError("pin_expired") from None
        except (errors.UserAlreadyLoggedIn, errors.AnotherUserAlreadyLoggedIn):
            raise AgentError("busy") from None

    def _key_for(self, session, chosen: TokenCertificate):
        pkcs11 = self._pkcs11
        Attribute = pkcs11.Attribute
        keys = list(session.get_objects({Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}))
        if chosen.object_id:
            for key in keys:
                if _attr(key, Attribute.ID) == chosen.object_id:
                    return key
        public = chosen.certificate.public_key()
        if isinstance(public, rsa.RSAPublicKey):  # no shared CKA_ID: the same modulus
            for key in keys:
                modulus = _attr(key, Attribute.MODULUS)
                if modulus and int.from_bytes(modulus, "big") == public.public_numbers().n:
                    return key
        if len(keys) == 1:
            return keys[0]  # checked against the certificate after signing
        raise AgentError("key_not_found")

    def _sign_one(self, key, certificate: x509.Certificate, digest: bytes) -> bytes:
        Mechanism = self._pkcs11.Mechanism
        public = certificate.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            raw = key.sign(digest, mechanism=Mechanism.ECDSA)
            half = len(raw) // 2
            signature = utils.encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                                   int.from_bytes(raw[half:], "big"))
            check = (signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        else:
            signature = key.sign(SHA256_DIGEST_INFO + digest, mechanism=Mechanism.RSA_PKCS)
            check = (signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        try:
            public.verify(*check)
        except InvalidSignature:
            raise AgentError("key_mismatch") from None
        return signature


def _attr(obj, attribute):
    try:
        return obj[attribute]
    except Exception:  # noqa: BLE001 - absent or unreadable attribute
        return None
