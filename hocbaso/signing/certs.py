"""Reading and checking signing certificates the way Vietnamese public CAs issue them.

VN CAs put the holder's number in the subject, as ``UID`` (0.9.2342.19200300.100.1.1) or
``serialNumber``, with a prefix: ``CCCD:`` (12-digit citizen ID), ``CMND:`` (old 9/12-digit
ID), ``HC:`` (passport) for people; ``MST:`` (tax code) for organisations. ``check_certificate``
refuses a certificate that cannot sign a record at a given moment: dates, chain to a trusted
root (each signature and CA flag checked), revocation (CRLs), key usage and, for the school's
seal, the tax code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from ..errors import CertificateError, CertificatePurposeError
from ..timeutil import as_utc, now_utc, vn_datetime
from ..validation import mask_personal_ids
from .memo import per_object

PURPOSE_PERSONAL = "personal"
PURPOSE_ORGANISATION = "organisation"
PURPOSE_TIMESTAMPING = "timestamping"  # a time-stamping authority's certificate (RFC 3161)
PERSONAL_ID_PREFIXES = ("CCCD", "CMND", "HC", "DDCN")
TAX_CODE_PREFIXES = ("MST", "MNS")
MAX_CHAIN_LENGTH = 8

# Extended key usages that allow signing documents; a certificate whose EKU lists none of
# these (e.g. serverAuth only, a TLS certificate) is refused.
SIGNING_EKUS = {
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # id-kp-documentSigning (RFC 9336)
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
    ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe authentic documents trust
}
EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS server",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS client",
    ExtendedKeyUsageOID.CODE_SIGNING: "code signing",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "e-mail",
    ExtendedKeyUsageOID.TIME_STAMPING: "time stamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP signing",
}
# cryptography attribute -> the name used in CertificateInfo.key_usage
KEY_USAGE_FLAGS = {
    "digital_signature": "digital_signature", "content_commitment": "non_repudiation",
    "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement", "key_cert_sign": "key_cert_sign", "crl_sign": "crl_sign",
}


@dataclass(frozen=True)
class CertificateInfo:
    """What a clerk (and the signing checks) need to know about a certificate."""

    name: str  # subject common name (UTF-8, e.g. "Lê Thị Minh Nguyệt")
    organisation: str
    personal_id: str  # digits after CCCD:/CMND:/HC:, "" if none
    personal_id_kind: str  # "CCCD", "CMND", "HC" or ""
    tax_code: str  # digits after MST:, "" if none
    subject: str  # RFC 4514 string
    issuer: str  # RFC 4514 string
    issuer_name: str  # issuer common name
    serial: str  # lowercase hex
    not_before: dt.datetime  # aware UTC
    not_after: dt.datetime  # aware UTC
    fingerprint_sha256: str  # lowercase hex of the DER
    key_usage: frozenset = field(default_factory=frozenset)  # names from KEY_USAGE_FLAGS
    extended_key_usage: tuple = ()  # dotted OIDs; empty when the extension is absent
    is_ca: bool = False

    @property
    def common_name(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return bool(self.tax_code)

    @property
    def non_repudiation(self) -> bool:
        return "non_repudiation" in self.key_usage

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> "CertificateInfo":
        subject = certificate.subject
        kind = personal_id = tax_code = ""
        for value in (_values(subject, NameOID.USER_ID) + _values(subject, NameOID.SERIAL_NUMBER)):
            prefix, sep, number = value.partition(":")
            prefix, number = prefix.strip().upper(), number.strip()
            if not sep or not number:
                continue
            if prefix in PERSONAL_ID_PREFIXES and not personal_id:
                kind, personal_id = prefix, number
            elif prefix in TAX_CODE_PREFIXES and not tax_code:
                tax_code = number
        usage, ekus, is_ca = frozenset(), (), False
        try:
            ku = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
            usage = frozenset(name for attr, name in KEY_USAGE_FLAGS.items() if getattr(ku, attr))
        except x509.ExtensionNotFound:
            pass
        try:
            ekus = tuple(oid.dotted_string for oid in certificate.extensions
                         .get_extension_for_class(x509.ExtendedKeyUsage).value)
        except x509.ExtensionNotFound:
            pass
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            pass
        return cls(
            name=(_values(subject, NameOID.COMMON_NAME) or [""])[0],
            organisation=(_values(subject, NameOID.ORGANIZATION_NAME) or [""])[0],
            personal_id=personal_id, personal_id_kind=kind, tax_code=tax_code,
            subject=subject.rfc4514_string(), issuer=certificate.issuer.rfc4514_string(),
            issuer_name=(_values(certificate.issuer, NameOID.COMMON_NAME) or [""])[0],
            serial=format(certificate.serial_number, "x"),
            not_before=certificate.not_valid_before_utc, not_after=certificate.not_valid_after_utc,
            fingerprint_sha256=hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
            key_usage=usage, extended_key_usage=ekus, is_ca=is_ca,
        )


def _values(name: x509.Name, oid) -> list[str]:
    return [str(attr.value) for attr in name.get_attributes_for_oid(oid)]


def _when(moment: dt.datetime) -> str:
    return vn_datetime(moment)


def _label(certificate: x509.Certificate) -> str:
    return (_values(certificate.subject, NameOID.COMMON_NAME)
            or [certificate.subject.rfc4514_string()])[0]


def subject_holder(subject: str | None) -> str:
    """The holder a certificate's subject names, from its RFC 4514 text (as a signature log
    keeps it): the common name; the subject with its ID numbers masked when it has none or
    cannot be read."""
    try:
        names = _values(x509.Name.from_rfc4514_string(subject or ""), NameOID.COMMON_NAME)
    except ValueError:
        names = []
    return names[0] if names else mask_personal_ids(subject)


# --- checks ------------------------------------------------------------------------------------
def check_certificate(certificate: x509.Certificate, trusted, intermediates=(), crls=(),
                      at: dt.datetime | None = None,
                      purpose: str = PURPOSE_PERSONAL) -> CertificateInfo:
    """Refuse (CertificateError) a certificate that may not sign at ``at``; else describe it.

    ``trusted``: root certificates (trust anchors). ``intermediates``: untrusted helpers to build
    the path. ``crls``: revocation lists; a list whose issuer is in the path must carry a valid
    signature. A certificate revoked after ``at`` is still good for signatures made before the
    revocation, unless the reason is key compromise.
    """
    return ChainCheck(trusted, intermediates, crls).check(certificate, at, purpose)


@per_object(maxsize=512)
def certificate_info(certificate: x509.Certificate) -> CertificateInfo:
    """CertificateInfo of a certificate, read once per certificate (a certificate is immutable
    and hashes and compares by its DER, so the cache cannot answer for another one)."""
    return CertificateInfo.from_certificate(certificate)


class ChainCheck:
    """:func:`check_certificate` for many certificates against the same trust material (the
    signatures of one document): the same checks, each done once per certificate, CA pair or
    revocation list. Paths and the CRLs' signatures are pure functions of the certificates and
    lists (kept per process, by their DER); dates and revocation times are compared with
    ``at`` on every check."""

    def __init__(self, trusted, intermediates=(), crls=()):
        self.trusted = tuple(trusted)
        self.intermediates = tuple(intermediates)
        self.crls = list(crls)
        self._purposes = {}
        # id(path) -> (path, what the CRLs say of it, in the order the checks meet it): a
        # path is built once per leaf (_cached_path), the CRLs' verdicts are pure; only their
        # dates are compared with ``at``, on every check
        self._path_revocations = {}

    def extended(self, intermediates) -> "ChainCheck":
        """This check with more CAs to build paths from (those a signature carries in its
        KeyInfo): the same trust and lists, and what was already learnt of them."""
        other = ChainCheck(self.trusted, [*self.intermediates, *intermediates], self.crls)
        other._purposes, other._path_revocations = self._purposes, self._path_revocations
        return other

    def check(self, certificate: x509.Certificate, at: dt.datetime | None = None,
              purpose: str = PURPOSE_PERSONAL) -> CertificateInfo:
        at = as_utc(at or now_utc())
        info = certificate_info(certificate)
        _check_dates(certificate, at, "")
        key = (id(certificate), purpose)  # see memo.py: a certificate's hash is slow
        if key not in self._purposes:
            try:
                _check_purpose(certificate, info, purpose)
                self._purposes[key] = (certificate, None)  # kept: its id stays its own
            except CertificateError as err:
                self._purposes[key] = (certificate, err)
        refused = self._purposes[key][1]
        if refused is not None:
            raise type(refused)(refused.template, **refused.params)
        path = _cached_path(certificate, self.trusted, self.intermediates)
        if path is None:
            raise CertificateError(
                "The certificate of %(name)s was not issued by a trusted certificate authority "
                "(issuer: %(issuer)s). Use a certificate from a recognised provider, or ask the "
                "administrator to add that authority to the trusted list.",
                name=_label(certificate), issuer=certificate.issuer.rfc4514_string())
        for cert in path[1:-1]:  # the CAs between the leaf and the anchor
            _check_dates(cert, at, "the certificate authority ")
        self._check_revocation(path, at)
        return info

    def _check_revocation(self, path, at) -> None:
        if not self.crls:
            return
        found = self._path_revocations.get(id(path))
        if found is None:
            found = self._path_revocations[id(path)] = (path, self._revocations(path))
        for cert, issuer, revoked in found[1]:
            if revoked is None:
                raise CertificateError(
                    "The revocation list of %(issuer)s has an invalid signature. Download "
                    "it again from the certificate provider.", issuer=_label(issuer))
            revoked_at, reason = revoked
            if revoked_at <= at or reason == x509.ReasonFlags.key_compromise:
                raise CertificateError(
                    "The certificate of %(name)s (serial %(serial)s) was revoked on "
                    "%(date)s. Ask the certificate provider for a new certificate.",
                    name=_label(cert), serial=format(cert.serial_number, "x"),
                    date=_when(revoked_at))

    def _revocations(self, path) -> list:
        """(certificate, its issuer, (revocation time, reason)) for each entry of the lists
        that revokes a certificate of ``path``, and None in place of the time and reason for
        a list its issuer did not sign; in the order of the path, then of the lists."""
        found = []
        for cert, issuer in zip(path, path[1:]):
            if cert is issuer:
                continue
            issuer_subject = _subject_der(issuer)
            for crl in self.crls:
                crl_issuer, fingerprint = _crl_meta(crl)
                if crl_issuer != issuer_subject:
                    continue
                if not _crl_signed_by(fingerprint, crl, issuer):
                    found.append((cert, issuer, None))
                    continue
                entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if entry is not None:
                    found.append((cert, issuer, (entry.revocation_date_utc, _reason(entry))))
        return found


@per_object(maxsize=1024)
def _subject_der(certificate: x509.Certificate) -> bytes:
    return certificate.subject.public_bytes()


# id(CRL) -> (CRL, (issuer DER, SHA-256)): a verification meets the same lists on every
# record (a fingerprint costs a pass over the list's DER); the list is kept so its id stays its
# own, and keyed by id because a CRL object is not hashable
_CRL_META: dict = {}


def _crl_meta(crl) -> tuple[bytes, bytes]:
    found = _CRL_META.get(id(crl))
    if found is None:
        if len(_CRL_META) >= 256:
            _CRL_META.clear()
        found = _CRL_META[id(crl)] = (crl, (crl.issuer.public_bytes(),
                                             crl.fingerprint(hashes.SHA256())))
    return found[1]


# (CRL SHA-256, id(issuer)) -> (issuer, whether it signed that CRL); the issuer is kept so its
# id stays its own, and keyed by id because hashing a certificate is slow (see memo.py)
_CRL_SIGNATURES: dict = {}


def _crl_signed_by(fingerprint: bytes, crl, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` signed the CRL whose SHA-256 is ``fingerprint`` (the key: a CRL
    object is not hashable; it is read only on a miss)."""
    key = (fingerprint, id(issuer))
    found = _CRL_SIGNATURES.get(key)
    if found is None:
        if len(_CRL_SIGNATURES) >= 256:
            _CRL_SIGNATURES.clear()
        found = _CRL_SIGNATURES[key] = (issuer, crl.is_signature_valid(issuer.public_key()))
    return found[1]


@per_object(maxsize=1024)
def _cached_path(leaf, trusted: tuple, intermediates: tuple):
    """_build_path for these exact certificates (a tuple), or None when there is none."""
    try:
        return tuple(_build_path(leaf, list(trusted), list(intermediates)))
    except CertificateError:
        return None


@per_object(maxsize=1024)
def _validity(certificate: x509.Certificate) -> tuple[dt.datetime, dt.datetime]:
    return certificate.not_valid_before_utc, certificate.not_valid_after_utc


def _check_dates(certificate, at, who) -> None:
    not_before, not_after = _validity(certificate)
    if not_before <= at <= not_after:
        return
    if at > certificate.not_valid_after_utc:
        raise CertificateError(
            "The certificate of %(who)s%(name)s expired on %(date)s (checked at %(at)s). "
            "Renew it with the certificate provider, then sign again.",
            who=who, name=_label(certificate), date=_when(certificate.not_valid_after_utc),
            at=_when(at))
    if at < certificate.not_valid_before_utc:
        raise CertificateError(
            "The certificate of %(who)s%(name)s is valid only from %(date)s (checked at %(at)s). "
            "Check the computer's date and time, or wait until that date.",
            who=who, name=_label(certificate), date=_when(certificate.not_valid_before_utc),
            at=_when(at))


def _check_purpose(certificate, info: CertificateInfo, purpose: str) -> None:
    if purpose == PURPOSE_TIMESTAMPING:
        _check_timestamping(certificate, info)
        return
    if purpose not in (PURPOSE_PERSONAL, PURPOSE_ORGANISATION):
        raise ValueError("unknown certificate purpose %r" % purpose)
    if info.is_ca:
        raise CertificatePurposeError(
            "The certificate of %(name)s belongs to a certificate authority, not to a signer. "
            "Use the signer's own certificate.", name=info.name)
    # An absent KeyUsage places no restriction (RFC 5280); VN CAs always include it.
    if info.key_usage and not info.key_usage & {"digital_signature", "non_repudiation"}:
        raise CertificatePurposeError(
            "The certificate of %(name)s is not meant for signing documents (its key usage is "
            "%(usage)s). Use a signing certificate from your certificate provider.",
            name=info.name, usage=", ".join(sorted(info.key_usage)))
    if info.extended_key_usage:
        ekus = {ObjectIdentifier(oid) for oid in info.extended_key_usage}
        if not ekus & SIGNING_EKUS:
            raise CertificatePurposeError(
                "The certificate of %(name)s is only meant for %(usage)s, not for signing "
                "documents. Use a signing certificate from your certificate provider.",
                name=info.name,
                usage=", ".join(sorted(EKU_NAMES.get(oid, oid.dotted_string) for oid in ekus)))
    if purpose == PURPOSE_ORGANISATION and not info.tax_code:
        raise CertificatePurposeError(
            "The certificate of %(name)s is not an organisation certificate: it has no tax code "
            "(MST). The school's seal must be applied with the school's organisation "
            "certificate.", name=info.name)


def _check_timestamping(certificate, info: CertificateInfo) -> None:
    """RFC 3161 2.3: a TSA certificate has one extended key usage, timeStamping, critical."""
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    if info.is_ca or eku is None or not eku.critical or \
            list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise CertificatePurposeError(
            "The certificate of %(name)s is not a time-stamping authority's certificate (it "
            "must have the critical extended key usage timeStamping only).", name=info.name)


def _build_path(leaf, trusted, intermediates) -> list[x509.Certificate]:
    """[leaf, CA..., anchor]: each link's signature verified and each issuer a CA."""
    anchors = {a.public_bytes(Encoding.DER) for a in trusted}

    def extend(path):
        current = path[-1]
        if len(path) > MAX_CHAIN_LENGTH:
            return None
        for candidate in [*trusted, *intermediates]:
            if candidate in path or not _issued(current, candidate, len(path) - 1):
                continue
            if candidate.public_bytes(Encoding.DER) in anchors:
                return [*path, candidate]
            found = extend([*path, candidate])
            if found:
                return found
        return None

    if leaf.public_bytes(Encoding.DER) in anchors:
        return [leaf, leaf]
    path = extend([leaf])
    if path is None:
        raise CertificateError(
            "The certificate of %(name)s was not issued by a trusted certificate authority "
            "(issuer: %(issuer)s). Use a certificate from a recognised provider, or ask the "
            "administrator to add that authority to the trusted list.",
            name=_label(leaf), issuer=leaf.issuer.rfc4514_string())
    return path


def _issued(cert, issuer, below: int) -> bool:
    """``issuer`` signed ``cert`` and may issue certificates (``below`` CAs under it)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    if not constraints.ca:
        return False
    if constraints.path_length is not None and below > constraints.path_length:
        return False
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.key_cert_sign:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - InvalidSignature, unsupported key...: not this issuer
        return False
    return True


def _reason(entry):
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


# --- loading -----------------------------------------------------------------------------------
def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates from PEM (one or many), DER, or a PKCS#7 bundle (.p7b/.p7c)."""
    data = bytes(data or b"")
    try:
        if b"-----BEGIN PKCS7-----" in data:
            return list(pkcs7.load_pem_pkcs7_certificates(data))
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return list(pkcs7.load_der_pkcs7_certificates(data))
    except ValueError:
        pass
    raise CertificateError("The file is not a certificate. Expected a .pem, .cer/.crt (DER) or "
                           ".p7b file from the certificate provider.")


def load_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """Revocation lists from PEM (one or many) or DER."""
    data = bytes(data or b"")
    try:
        if b"-----BEGIN" not in data:
            return [x509.load_der_x509_crl(data)]
        marker = b"-----BEGIN X509 CRL-----"
        found = [x509.load_pem_x509_crl(marker + chunk) for chunk in data.split(marker)[1:]]
        if found:  # a PEM file of something else (a certificate, a key) holds no CRL
            return found
    except ValueError:
        pass
    raise CertificateError("The file is not a certificate revocation list (CRL). Download "
                           "the .crl file from the certificate provider.")


def check_crls_of(crls, authority: x509.Certificate) -> None:
    """Refuse revocation lists that are not ``authority``'s own: issued by another authority,
    or with a signature its key does not verify. Checked when a CRL is attached to its
    authority, so a wrong or damaged list is refused then, not found at the next signing."""
    for crl in crls:
        if crl.issuer != authority.subject:
            raise CertificateError(
                "The revocation list was issued by %(issuer)s, not by this authority "
                "(%(authority)s). Attach each authority's own CRL.",
                issuer=crl.issuer.rfc4514_string(), authority=_label(authority))
        try:
            valid = crl.is_signature_valid(authority.public_key())
        except (TypeError, ValueError):  # a key type the list cannot be checked with
            valid = False
        if not valid:
            raise CertificateError(
                "The revocation list of %(issuer)s has an invalid signature. Download it "
                "again from the certificate provider.", issuer=_label(authority))
