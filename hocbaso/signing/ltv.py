"""Validation data kept with the record (XAdES-LT style): chains and revocation status.

At issuance, :class:`Collector` gathers, for every signer's certificate and every TSA
certificate of the record's signature timestamps, the certificate path to a trusted root and
the revocation status of each certificate on it (an OCSP response, or the issuing CA's CRL
when no responder answers for that CA); :func:`add_validation_data` writes them as
``xades:CertificateValues`` (EncapsulatedX509Certificate) and ``xades:RevocationValues``
(CRLValues/EncapsulatedCRLValue, OCSPValues/EncapsulatedOCSPValue) into the unsigned
signature properties of the **issuer's signature**.

Why there: later signatures reference the earlier ds:Signature elements whole (GVCN covers
each GVBM signature, CBQL covers GVCN, the issuer covers GVCN and CBQL), so nothing may be
added to any signature but the issuer's, the last one, which nothing covers. XAdES (EN 319
132-1, 5.4) places CertificateValues and RevocationValues in the unsigned properties of the
signature they serve; the issuer's signature covers every earlier signature through its
references, so validating it means validating them too, and its unsigned properties are the
one place a XAdES reader looks that breaks no signature. The record's format (XSD) allows
nothing beside the signatures in the slots.

A verifier (:func:`check_kept_status`, called by :mod:`hocbaso.verify`) then judges each
signature at its proven time with the kept chain and status, without the CA's CRL endpoint and
after the signer's certificate expired; a kept OCSP response or CRL is trusted only when its
own signature checks (the response by the CA or its authorised responder, the CRL by the CA).

Why not ``pyhanko-certvalidator``: its validation context fetches and judges revocation data
itself and reports refusals as English exception text, while every refusal here must be a
translatable template that a Vietnamese school can read (the Odoo layer translates the
library's templates); the paths, dates and CRLs already go through :mod:`.certs`
(``ChainCheck``, cached per certificate for the bench's 2,000-record runs), so adding OCSP
here is one function (:mod:`.ocsp`) instead of a second path-validation engine with its
own rules to keep in step.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from ..errors import CertificateError, HocbasoError, Problem, ValidationDataError
from ..roles import ROLE_ISSUER
from ..timeutil import now_utc, vn_datetime
from . import certs, ocsp, timestamp
from .dsig_check import signature_certificates
from .dsig_layout import SIGNATURE_IDS
from .dsig_primitives import b64, b64decode, ds, parse_record, parse_signing_time, serialize, \
    xades

XADES141_NS = "http://uri.etsi.org/01903/v1.4.1#"
UNSIGNED_PATH = "/".join((ds("Object"), xades("QualifyingProperties"),
                          xades("UnsignedProperties"), xades("UnsignedSignatureProperties")))
# revocation data issued this long before the moment it must prove still counts (clocks)
FRESHNESS_TOLERANCE = dt.timedelta(minutes=5)


def xades141(name: str) -> str:
    return "{%s}%s" % (XADES141_NS, name)


@dataclass
class ValidationData:
    """Certificates, CRLs and OCSP responses (DER), each once."""

    certificates: list = field(default_factory=list)
    crls: list = field(default_factory=list)
    ocsp_responses: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.certificates or self.crls or self.ocsp_responses)

    def add_certificate(self, certificate: x509.Certificate) -> None:
        if certificate not in self.certificates:
            self.certificates.append(certificate)

    def add_crl(self, crl) -> None:
        if all(crl.fingerprint(hashes.SHA256()) != kept.fingerprint(hashes.SHA256())
               for kept in self.crls):
            self.crls.append(crl)

    def add_ocsp(self, der: bytes) -> None:
        if der not in self.ocsp_responses:
            self.ocsp_responses.append(der)

    def extend(self, other: "ValidationData") -> None:
        for certificate in other.certificates:
            self.add_certificate(certificate)
        for crl in other.crls:
            self.add_crl(crl)
        for der in other.ocsp_responses:
            self.add_ocsp(der)


# --- where the data sits ---------------------------------------------------------------------
def issuer_signature(root: etree._Element) -> etree._Element | None:
    wanted = SIGNATURE_IDS[ROLE_ISSUER]
    found = [sig for sig in root.iter(ds("Signature")) if sig.get("Id") == wanted]
    return found[0] if len(found) == 1 else None


def unsigned_signature_properties(signature: etree._Element,
                                  create: bool = False) -> etree._Element | None:
    """The signature's xades:UnsignedSignatureProperties (made when ``create``)."""
    found = signature.find(UNSIGNED_PATH)
    if found is not None or not create:
        return found
    qualifying = signature.find(ds("Object") + "/" + xades("QualifyingProperties"))
    if qualifying is None or qualifying.find(xades("SignedProperties")) is None:
        raise ValidationDataError("The issuer's signature has no XAdES properties, so it cannot "
                                  "keep validation data.")
    unsigned = qualifying.find(xades("UnsignedProperties"))
    if unsigned is None:
        unsigned = etree.SubElement(qualifying, xades("UnsignedProperties"))
    return etree.SubElement(unsigned, xades("UnsignedSignatureProperties"))


def issued_properties(root: etree._Element) -> etree._Element:
    """The issuer signature's unsigned properties, made if needed; ValidationDataError when
    the record is not issued."""
    signature = issuer_signature(root)
    if signature is None or not (signature.findtext(ds("SignatureValue")) or "").strip():
        raise ValidationDataError("The record is not issued yet: validation data and archive "
                                  "timestamps are kept in the issuer's signature, added last.")
    return unsigned_signature_properties(signature, create=True)


def write_values(parent: etree._Element, data: ValidationData) -> None:
    """Append xades:CertificateValues and xades:RevocationValues holding ``data``."""
    if data.certificates:
        values = etree.SubElement(parent, xades("CertificateValues"))
        for certificate in data.certificates:
            etree.SubElement(values, xades("EncapsulatedX509Certificate")).text = \
                b64(certificate.public_bytes(Encoding.DER))
    if data.crls or data.ocsp_responses:
        revocation = etree.SubElement(parent, xades("RevocationValues"))
        if data.crls:
            crls = etree.SubElement(revocation, xades("CRLValues"))
            for crl in data.crls:
                etree.SubElement(crls, xades("EncapsulatedCRLValue")).text = \
                    b64(crl.public_bytes(Encoding.DER))
        if data.ocsp_responses:
            responses = etree.SubElement(revocation, xades("OCSPValues"))
            for der in data.ocsp_responses:
                etree.SubElement(responses, xades("EncapsulatedOCSPValue")).text = b64(der)


def keep_validation_data(xml_bytes: bytes, data: ValidationData) -> bytes:
    """The record with ``data`` in the issuer signature's unsigned properties; refused when
    it already holds some, or an archive timestamp (which would no longer match)."""
    root = parse_record(xml_bytes)
    properties = issued_properties(root)
    if properties.find(xades("CertificateValues")) is not None or \
            properties.find(xades("RevocationValues")) is not None:
        raise ValidationDataError("The record already keeps its validation data.")
    if any(child.tag != xades("SignatureTimeStamp") for child in properties
           if isinstance(child.tag, str)):
        raise ValidationDataError("The record already carries archive timestamps: validation "
                                  "data can no longer be added before them.")
    write_values(properties, data)
    return serialize(root)


def add_validation_data(xml_bytes: bytes, collector: "Collector") -> tuple[bytes, ValidationData]:
    """(the issued record with the validation data of all its signatures and their
    timestamps, that data). Nothing signed changes; ValidationDataError (nothing added) when
    a status cannot be had or says a certificate was revoked or is unknown."""
    data = collector.collect(xml_bytes)
    return keep_validation_data(xml_bytes, data), data


# --- gathering -------------------------------------------------------------------------------
class Collector:
    """Gathers paths and revocation status at issuance.

    ``trusted``/``intermediates``: the trust store (signers' and TSAs' roots); ``crls``: the
    CAs' current CRLs the school holds (used for a CA no responder answers for);
    ``ocsp_client``: an :class:`~hocbaso.signing.ocsp.OcspClient` asked first for every
    certificate, or None (CRLs only)."""

    def __init__(self, trusted, intermediates=(), crls=(), ocsp_client=None):
        self.trusted, self.intermediates = list(trusted), list(intermediates)
        self.crls = list(crls)
        self.ocsp_client = ocsp_client
        self._status: dict = {}  # certificate -> ("ocsp", OcspStatus) | ("crl", CRL)
        self._asking = threading.Lock()  # one question per certificate, even from threads

    def collect(self, xml_bytes: bytes) -> ValidationData:
        root = parse_record(xml_bytes)
        data = ValidationData()
        for signature in root.iter(ds("Signature")):
            try:
                carried = signature_certificates(signature)
            except ValueError:
                carried = []
            if not carried:
                raise ValidationDataError("The signature %(id)s carries no readable signer "
                                          "certificate.", id=signature.get("Id") or "?")
            info = timestamp.signature_timestamp(signature, self.trusted,
                                                 [*self.intermediates, *carried[1:]], self.crls)
            moment = info.gen_time if info else _claimed_time(signature)
            data.extend(self.for_certificate(carried[0], carried[1:], moment))
            if info is not None:
                data.extend(self.for_certificate(info.tsa_certificate, (), info.gen_time))
        return data

    def for_certificate(self, certificate: x509.Certificate, extra=(),
                        moment: dt.datetime | None = None) -> ValidationData:
        """The path of ``certificate`` and the status of each certificate on it, checked for
        a signature made at ``moment`` (default now)."""
        moment = moment or now_utc()
        try:
            path = certs._build_path(certificate, self.trusted, [*self.intermediates, *extra])
        except CertificateError as exc:
            raise ValidationDataError("The validation data cannot be gathered: %(problem)s",
                                      problem=Problem(exc)) from None
        data = ValidationData()
        for cert in path:
            data.add_certificate(cert)
        for cert, issuer in zip(path, path[1:]):
            if cert is issuer:
                continue
            kind, evidence = self._status_of(cert, issuer)
            if kind == "ocsp":
                _refuse_revoked(cert, evidence.revocation_time, evidence.revocation_reason,
                                moment)
                data.add_ocsp(evidence.response)
            else:
                entry = evidence.get_revoked_certificate_by_serial_number(cert.serial_number)
                if entry is not None:
                    _refuse_revoked(cert, entry.revocation_date_utc, certs._reason(entry),
                                    moment)
                data.add_crl(evidence)
        return data

    def _status_of(self, cert, issuer):
        with self._asking:  # held over the question: the few certificates are asked once each
            if cert not in self._status:
                self._status[cert] = self._ask(cert, issuer)
            return self._status[cert]

    def _ask(self, cert, issuer):
        if self.ocsp_client is not None:
            try:
                status = self.ocsp_client.status(cert, issuer)
            except ValidationDataError as exc:
                if exc.params.get("status") != "unauthorized":  # it does not serve that CA
                    raise
            else:
                if status.status == ocsp.UNKNOWN:
                    raise ValidationDataError(
                        "The OCSP responder does not know the certificate of %(name)s (serial "
                        "%(serial)s).", name=certs._label(cert),
                        serial=format(cert.serial_number, "x"))
                return "ocsp", status
        now = now_utc()
        for crl in self.crls:
            if crl.issuer != issuer.subject or \
                    not crl.last_update_utc <= now <= (crl.next_update_utc or now):
                continue
            try:
                certs.check_crls_of([crl], issuer)
            except CertificateError:
                continue
            return "crl", crl
        raise ValidationDataError(
            "No revocation status was found for the certificate of %(name)s: no OCSP responder "
            "answers for %(issuer)s and no current revocation list of it was given.",
            name=certs._label(cert), issuer=certs._label(issuer))


def _refuse_revoked(cert, revoked_at, reason, moment) -> None:
    if revoked_at is None:
        return
    if revoked_at <= moment or reason == x509.ReasonFlags.key_compromise:
        raise ValidationDataError(
            "The certificate of %(name)s (serial %(serial)s) was revoked on %(date)s, before "
            "the signature it serves; the record cannot keep it as valid.",
            name=certs._label(cert), serial=format(cert.serial_number, "x"),
            date=vn_datetime(revoked_at))


def _claimed_time(signature) -> dt.datetime:
    text = next(signature.iter(xades("SigningTime")), None)
    try:
        return parse_signing_time(text.text) if text is not None else now_utc()
    except ValueError:
        return now_utc()


# --- reading and judging what is kept --------------------------------------------------------
def kept_validation_data(root: etree._Element) -> tuple[ValidationData, list]:
    """(what the issuer's signature keeps, Problems for what cannot be read)."""
    data, problems = ValidationData(), []
    signature = issuer_signature(root)
    properties = unsigned_signature_properties(signature) if signature is not None else None
    if properties is None:
        return data, problems
    readers = ((xades("EncapsulatedX509Certificate"), x509.load_der_x509_certificate,
                data.add_certificate, Problem("A kept certificate cannot be read (it was "
                                              "damaged or changed).")),
               (xades("EncapsulatedCRLValue"), x509.load_der_x509_crl, data.add_crl,
                Problem("A kept revocation list cannot be read (it was damaged or changed).")),
               (xades("EncapsulatedOCSPValue"), _ocsp_der, data.add_ocsp,
                Problem("A kept OCSP response cannot be read (it was damaged or changed).")))
    for tag, load, add, problem in readers:
        for element in properties.iter(tag):
            try:
                add(load(b64decode(element.text)))
            except ValueError:
                problems.append(problem)
    return data, problems


def _ocsp_der(der: bytes) -> bytes:
    ocsp.load_response(der)
    return der


@dataclass
class KeptStatus:
    """What :func:`check_kept_status` found for one signature."""

    sources: list = field(default_factory=list)  # Problems: which data proved each status
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _covers(this_update, next_update, moment) -> bool:
    """Revocation data issued at or after ``moment`` (give or take the clocks), or current at
    it (its thisUpdate..nextUpdate span holds it), tells the status at ``moment``."""
    if this_update >= moment - FRESHNESS_TOLERANCE:
        return True
    return this_update <= moment and (next_update is None or moment <= next_update)


def status_at(certificate, chains: certs.ChainCheck, moment: dt.datetime, kept: ValidationData,
              result: KeptStatus) -> None:
    """Judge each certificate of ``certificate``'s path at ``moment`` with the kept OCSP
    responses and the CRLs (kept or given; the CRLs' signatures and entries are
    ``ChainCheck``'s)."""
    path = certs._cached_path(certificate, chains.trusted, chains.intermediates)
    if path is None:
        return
    for cert, issuer in zip(path, path[1:]):
        if cert is issuer:
            continue
        covered = None
        for der in kept.ocsp_responses:
            if cert.serial_number not in ocsp.response_serials(der):
                continue
            try:
                status = ocsp.check_response(der, cert.serial_number, issuer)
            except HocbasoError as exc:
                if "another certificate" in exc.template:  # the same serial at another CA
                    continue
                result.errors.append(Problem(
                    "The kept OCSP response about %(name)s is not valid: %(problem)s",
                    name=certs._label(cert), problem=Problem(exc)))
                continue
            if status.status == ocsp.UNKNOWN:
                result.errors.append(Problem("The kept OCSP response does not know the "
                                             "certificate of %(name)s.", name=certs._label(cert)))
            elif status.status == ocsp.REVOKED and (
                    status.revocation_time <= moment or
                    status.revocation_reason == x509.ReasonFlags.key_compromise):
                result.errors.append(Problem(
                    "The certificate of %(name)s (serial %(serial)s) was revoked on %(date)s. "
                    "Ask the certificate provider for a new certificate.",
                    name=certs._label(cert), serial=format(cert.serial_number, "x"),
                    date=vn_datetime(status.revocation_time)))
            elif _covers(status.this_update, status.next_update, moment):
                covered = Problem("%(name)s: OCSP of %(responder)s, %(time)s",
                                  name=certs._label(cert), responder=status.responder_name,
                                  time=vn_datetime(status.this_update))
        if covered is None:
            for crl in chains.crls:
                if crl.issuer == issuer.subject and \
                        _covers(crl.last_update_utc, crl.next_update_utc, moment):
                    covered = Problem("%(name)s: CRL of %(issuer)s, %(time)s",
                                      name=certs._label(cert), issuer=certs._label(issuer),
                                      time=vn_datetime(crl.last_update_utc))
                    break
        if covered is None:
            result.warnings.append(Problem(
                "The kept validation data holds no revocation status of %(name)s at %(moment)s.",
                name=certs._label(cert), moment=vn_datetime(moment)))
        else:
            result.sources.append(covered)


def check_kept_status(signature, leaf, chains: certs.ChainCheck, moment: dt.datetime,
                      kept: ValidationData, timestamp_time: dt.datetime | None) -> KeptStatus:
    """The kept status of a signature's certificate path at ``moment`` and, when it is
    timestamped, of its TSA's at ``timestamp_time``."""
    result = KeptStatus()
    status_at(leaf, chains, moment, kept, result)
    if timestamp_time is not None:
        tsa = timestamp.token_signer(signature)
        if tsa is not None:
            status_at(tsa, chains, timestamp_time, kept, result)
    return result


# --- the verifier's two call sites -----------------------------------------------------------
def read_for_report(root: etree._Element, report) -> ValidationData:
    """The record's kept data, counted in the VerificationReport (unreadable parts are
    errors)."""
    data, problems = kept_validation_data(root)
    report.errors.extend(problems)
    report.kept_certificates = len(data.certificates)
    report.kept_crls = len(data.crls)
    report.kept_ocsp = len(data.ocsp_responses)
    return data


def judge_signature(entry, signature, leaf, chains: certs.ChainCheck, moment: dt.datetime,
                    kept: ValidationData) -> None:
    """After a signature's chain check: its (and its TSA's) status from the kept data at the
    proven time; a revoked, unknown or forged status makes the signature invalid."""
    if not kept or not entry.chain_ok:
        return
    try:
        result = check_kept_status(signature, leaf, chains, moment, kept,
                                   entry.timestamp_time if entry.timestamp_proven else None)
    except Exception as exc:  # noqa: BLE001 - a verifier reports, never crashes
        entry.errors.append(Problem("The kept validation data could not be checked "
                                    "(%(detail)s).", detail=str(exc)))
        return
    entry.revocation_sources = result.sources
    entry.warnings.extend(result.warnings)
    if result.errors:
        entry.errors.extend(result.errors)
        entry.chain_ok, entry.chain_result = False, result.errors[0]
