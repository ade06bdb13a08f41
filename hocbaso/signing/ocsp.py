"""OCSP (RFC 6960): asking a responder for a certificate's status and checking its answer.

Requests are built and answers parsed with cryptography's ``x509.ocsp`` module (no
hand-written DER). An answer is accepted only when it is about the certificate asked for (the
serial and the issuer's name and key hashes), carries our nonce (when we asked with one), is
signed by the issuing CA itself or by a responder certificate that CA issued with the extended
key usage OCSPSigning (RFC 6960 4.2.2.2), valid when the answer was produced, and its signature
over the ResponseData holds. The same check is run on a response kept in a record, years
later (without a nonce): the responder's authority comes from the issuing CA, whose own chain
the verifier checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import ValidationDataError
from ..netio import Refusals, ThreadSessions, post_der

MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 20.0
GOOD, REVOKED, UNKNOWN = "good", "revoked", "unknown"
_STATUS = {ocsp.OCSPCertStatus.GOOD: GOOD, ocsp.OCSPCertStatus.REVOKED: REVOKED,
           ocsp.OCSPCertStatus.UNKNOWN: UNKNOWN}


@dataclass(frozen=True)
class OcspStatus:
    """A checked answer about one certificate."""

    status: str  # GOOD, REVOKED or UNKNOWN
    serial_number: int
    produced_at: dt.datetime  # aware UTC
    this_update: dt.datetime
    next_update: dt.datetime | None
    revocation_time: dt.datetime | None
    revocation_reason: x509.ReasonFlags | None
    responder: x509.Certificate
    response: bytes  # DER OCSPResponse, as kept in xades:EncapsulatedOCSPValue

    @property
    def responder_name(self) -> str:
        return _label(self.responder)


def _label(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def make_request(certificate: x509.Certificate, issuer: x509.Certificate,
                 nonce: bytes | None = None) -> tuple[bytes, bytes]:
    """(DER OCSPRequest for ``certificate`` (SHA-1 CertID, as RFC 5019 responders expect),
    its nonce)."""
    nonce = secrets.token_bytes(16) if nonce is None else nonce
    request = (ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
               .add_extension(x509.OCSPNonce(nonce), critical=False).build())
    return request.public_bytes(Encoding.DER), nonce


def _cert_id(certificate_serial: int, issuer: x509.Certificate, algorithm) -> tuple:
    """(serial, issuer name hash, issuer key hash) as a CertID with ``algorithm`` has them."""
    digest = hashes.Hash(algorithm)
    digest.update(issuer.subject.public_bytes())
    name_hash = digest.finalize()
    key_bits = _key_bits(issuer)
    digest = hashes.Hash(algorithm)
    digest.update(key_bits)
    return certificate_serial, name_hash, digest.finalize()


def _key_bits(certificate: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's value (what key hashes are over)."""
    from asn1crypto import keys as asn1_keys

    info = asn1_keys.PublicKeyInfo.load(certificate.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    return info["public_key"].contents[1:]  # without the unused-bits octet


def _same_key(one: x509.Certificate, other: x509.Certificate) -> bool:
    return one.subject == other.subject and _key_bits(one) == _key_bits(other)


def _responder(response, issuer: x509.Certificate) -> x509.Certificate:
    """The certificate that signed ``response``: the issuing CA, or a certificate the response
    carries, named by the ResponderID."""
    candidates = [issuer, *response.certificates]
    for candidate in candidates:
        if response.responder_name is not None and candidate.subject == response.responder_name:
            return candidate
        if response.responder_key_hash is not None and \
                hashlib.sha1(_key_bits(candidate)).digest() == response.responder_key_hash:
            return candidate
    raise ValidationDataError("The OCSP response does not carry the certificate of the "
                              "responder that signed it.")


def _check_authorised(responder: x509.Certificate, issuer: x509.Certificate,
                      produced_at: dt.datetime) -> None:
    if not _same_key(responder, issuer):
        try:
            responder.verify_directly_issued_by(issuer)
            usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            authorised = ExtendedKeyUsageOID.OCSP_SIGNING in usage
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            authorised = False
        if not authorised:
            raise ValidationDataError(
                "The OCSP response is signed by %(responder)s, which the authority %(issuer)s "
                "did not authorise to answer for its certificates.",
                responder=_label(responder), issuer=_label(issuer))
    if not responder.not_valid_before_utc <= produced_at <= responder.not_valid_after_utc:
        raise ValidationDataError(
            "The OCSP response was produced when the responder's certificate (%(responder)s) "
            "was not valid.", responder=_label(responder))


def _check_signature(response, responder: x509.Certificate) -> None:
    key = responder.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(),
                       algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            raise InvalidSignature
    except InvalidSignature:
        raise ValidationDataError("The OCSP response's signature does not match its content "
                                  "(it was changed or forged).") from None


def check_response(der: bytes, certificate_serial: int, issuer: x509.Certificate,
                   nonce: bytes | None = None) -> OcspStatus:
    """Check an OCSP response about the certificate ``certificate_serial`` of ``issuer``;
    ValidationDataError when it is unreadable, unsuccessful, about another certificate, without
    our nonce, signed by someone the issuer did not authorise, or its signature fails."""
    try:
        response = ocsp.load_der_ocsp_response(bytes(der))
        status = response.response_status
    except ValueError:
        raise ValidationDataError("The OCSP response is not a readable RFC 6960 response.") \
            from None
    if status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise ValidationDataError("The OCSP responder answered \"%(status)s\" instead of a "
                                  "status.", status=status.name.lower())
    try:
        single = None
        for candidate in response.responses:
            wanted = _cert_id(certificate_serial, issuer, candidate.hash_algorithm)
            if (candidate.serial_number, candidate.issuer_name_hash,
                    candidate.issuer_key_hash) == wanted:
                single = candidate
                break
        if single is None:
            raise ValidationDataError("The OCSP response is about another certificate than the "
                                      "one asked for.")
        if nonce is not None:
            try:
                found = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            except x509.ExtensionNotFound:
                found = None
            if found != nonce:
                raise ValidationDataError("The OCSP response does not carry the nonce asked for "
                                          "(it may be a replayed answer).")
        produced_at = response.produced_at_utc
        responder = _responder(response, issuer)
        _check_authorised(responder, issuer, produced_at)
        _check_signature(response, responder)
        return OcspStatus(
            status=_STATUS[single.certificate_status], serial_number=certificate_serial,
            produced_at=produced_at, this_update=single.this_update_utc,
            next_update=single.next_update_utc, revocation_time=single.revocation_time_utc,
            revocation_reason=single.revocation_reason, responder=responder,
            response=bytes(der))
    except ValidationDataError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValidationDataError("The OCSP response is not a readable RFC 6960 response.") \
            from None


def response_serials(der: bytes) -> list[int]:
    """The serial numbers a kept response answers for (to find it again); [] if unreadable."""
    try:
        return [single.serial_number for single in
                ocsp.load_der_ocsp_response(bytes(der)).responses]
    except ValueError:
        return []


class OcspClient:
    """An OCSP responder over HTTP (POST, ``application/ocsp-request``), usable from several
    threads at once (netio.ThreadSessions)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None):
        self.url, self.timeout = url, timeout
        self._sessions = ThreadSessions(session)

    @property
    def session(self) -> requests.Session:
        return self._sessions.get()

    def __repr__(self) -> str:
        return "OcspClient(%r)" % self.url

    def status(self, certificate: x509.Certificate, issuer: x509.Certificate) -> OcspStatus:
        """Ask for ``certificate``'s status and check the answer (nonce included)."""
        request, nonce = make_request(certificate, issuer)
        return check_response(self._post(request), certificate.serial_number, issuer, nonce)

    def _post(self, request: bytes) -> bytes:
        return post_der(self.session, self.url, request, "application/ocsp-request",
                        "application/ocsp-response", MAX_RESPONSE_BYTES, _REFUSALS,
                        self.timeout)


_REFUSALS = Refusals(
    ValidationDataError,
    status="The OCSP responder answered with HTTP status %(status)s. Try again later, or "
           "check the responder's address.",
    too_large="The OCSP responder's answer is larger than %(limit)s bytes and was refused.",
    unreachable="The OCSP responder %(url)s could not be reached (%(detail)s). Try again "
                "later.")


def load_response(der: bytes):
    """The parsed OCSPResponse; ValueError when it is not one."""
    return ocsp.load_der_ocsp_response(bytes(der))
