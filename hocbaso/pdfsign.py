"""The printed record as a signed PDF (PAdES), and its check.

The school's organisation key certifies the PDF after the signed record XML has been embedded
in it: the signature is an incremental update, so the attachment and every byte before it stay
as they were, and a PDF reader shows "certified by <school>" with the attached XML. The raw
signature goes through the project's key seam (:class:`hocbaso.signing.base.Signer`), so a
PKCS#12 file, a PKCS#11 token or a remote provider signs the PDF as it signs a record.

    signed = sign_pdf(pdf, signer, chain=[intermediate, root], tsa_url=None)
    report = verify_pdf(signed, trusted_roots, intermediates, crls)
    report.ok, report.signatures[0].signer_name, report.record_xml

Made with pyHanko (signing, CMS, the difference analysis of later updates) and
pyhanko-certvalidator (the path to a trusted root, CRLs); no network access while verifying.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from asn1crypto.algos import SignedDigestAlgorithm
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID

from .errors import Problem, SigningError, VerificationError
from .signing.base import Signer

# what a reader of the PDF sees as the signature's field name, and the record XML's limit
FIELD_NAME = "HocBaSo"
MAX_XML_BYTES = 16 * 1024 * 1024
MAX_EMBEDDED_FILES = 20
MAX_PDF_BYTES = 64 * 1024 * 1024


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _crypto(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def _seam_signer_class():
    """pyHanko's Signer subclass, built on first use (pyHanko is imported only when a PDF is
    signed or checked: the rest of the library does not need it)."""
    from pyhanko.sign.signers.pdf_cms import Signer as CmsSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class SeamSigner(CmsSigner):
        """pyHanko asks for the raw signature of the CMS signed attributes; our Signer makes it
        (SHA-256 with RSA PKCS#1 v1.5, or ECDSA as DER) and the answer is checked against the
        certificate before it goes into the PDF: a provider's answer is untrusted."""

        def __init__(self, signer: Signer, chain=()):
            public = signer.certificate.public_key()
            self._ec = isinstance(public, ec.EllipticCurvePublicKey)
            mechanism = "sha256_ecdsa" if self._ec else "sha256_rsa"
            super().__init__(
                signing_cert=_asn1(signer.certificate),
                cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
                signature_mechanism=SignedDigestAlgorithm({"algorithm": mechanism}),
                embed_roots=True,
            )
            self._seam = signer
            # the longest value the key can give: RSA's modulus, ECDSA's DER (r, s)
            size = (public.key_size + 7) // 8
            self._placeholder = bytes(2 * (size + 3) + 3 if self._ec else size)

        async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                                 dry_run=False) -> bytes:
            if digest_algorithm != "sha256":
                raise SigningError("The PDF asks for a %(algorithm)s signature; only SHA-256 "
                                   "is supported.", algorithm=digest_algorithm)
            if dry_run:  # pyHanko sizes the signature box first; the key is not used for that
                return self._placeholder
            value = self._seam.sign(data)
            public = self._seam.certificate.public_key()
            try:
                if self._ec:
                    public.verify(value, data, ec.ECDSA(hashes.SHA256()))
                else:
                    public.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
            except (InvalidSignature, ValueError, TypeError):
                raise SigningError("The signature made for the PDF does not match the "
                                   "certificate %(subject)s: nothing was signed.",
                                   subject=_common_name(self._seam.certificate)) from None
            return value

    return SeamSigner


# room for a timestamp token in the signature (DER bytes): a token with its TSA's certificate
# and chain is 2-6 KiB; a larger one makes sign_pdf size the signature from a trial run
TOKEN_ROOM = 16 * 1024


def _reserved(signer: Signer, chain, timestamped: bool = False) -> int:
    """Room for the CMS signature in the PDF (hex digits, twice its DER size): the certificates
    it carries, the signature value and the signed attributes, with a margin, and a timestamp
    token's room when one is asked."""
    der = sum(len(c.public_bytes(serialization.Encoding.DER))
              for c in [signer.certificate, *chain])
    der += (signer.certificate.public_key().key_size + 7) // 8 + 4096
    der += TOKEN_ROOM if timestamped else 0
    return 2 * (der + der // 4)


def certification_metadata(field_name: str, reason: str, location: str, contact: str):
    """pyHanko's metadata of the school's signature: a PAdES certification that allows no
    change afterwards (DocMDP level 1), SHA-256; the same whether the key is here or elsewhere
    (:mod:`hocbaso.pdfsign_deferred`)."""
    from pyhanko.sign import fields, signers

    return signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason or None, location=location or None, contact_info=contact or None,
        use_pades_lta=False)


def sign_pdf(pdf: bytes, signer: Signer, chain=(), *, tsa_url: str | None = None,
             reason: str = "", location: str = "", contact: str = "",
             field_name: str = FIELD_NAME, timeout: int = 20) -> bytes:
    """``pdf`` certified (PAdES baseline B; B-T with ``tsa_url``) by ``signer``'s key.

    ``chain``: the CA certificates between the signer and its root (x509 certificates), put in
    the signature so a reader can build the path offline. The signature is a certification
    with no changes allowed afterwards (DocMDP level 1): a later update (another attachment, an
    edited page) makes readers, and :func:`verify_pdf`, flag the document; a document timestamp
    or validation data added later stay allowed. Raises SigningError."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    if not pdf or pdf[:5] != b"%PDF-":
        raise SigningError("The file to sign is not a PDF.")
    meta = certification_metadata(field_name, reason, location, contact)
    timestamper = HTTPTimeStamper(tsa_url, timeout=timeout) if tsa_url else None
    pdf_signer = signers.PdfSigner(meta, signer=_seam_signer_class()(signer, chain),
                                   timestamper=timestamper)
    def attempt(reserved):
        output = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(pdf)), strict=False)
        pdf_signer.sign_pdf(writer, output=output, bytes_reserved=reserved)
        return output

    try:
        # the signature's size is known from the certificates (and a token's usual size):
        # pyHanko's own estimate builds a whole CMS first, which took half of the signing time
        # and, with a timestamp, asked the authority twice per PDF
        try:
            output = attempt(_reserved(signer, chain, timestamped=bool(tsa_url)))
        except PyHankoSigningError as err:
            if "larger than expected" not in str(err):
                raise
            output = attempt(None)  # an unusually large token: sized by a trial run
    except SigningError:
        raise
    except (TimestampRequestError, ConnectionError) as err:
        raise SigningError("The time-stamping authority %(url)s did not give a timestamp: "
                           "%(detail)s. Nothing was signed.", url=tsa_url,
                           detail=str(err)) from None
    except (PyHankoSigningError, OSError) as err:
        raise SigningError("The PDF could not be signed: %(detail)s", detail=str(err)) from None
    except Exception as err:  # noqa: BLE001 - pyHanko's reader on a damaged PDF
        raise SigningError("The PDF could not be signed: %(detail)s",
                           detail=f"{type(err).__name__}: {err}") from None
    return output.getvalue()


# --- checking -----------------------------------------------------------------------------------
@dataclass
class PdfSignatureCheck:
    """One signature of a PDF, as checked."""

    field_name: str = ""
    signer_name: str = ""
    certificate: x509.Certificate | None = None
    signing_time: dt.datetime | None = None  # what the signer claims
    timestamp_time: dt.datetime | None = None  # what a time-stamping authority proves
    intact: bool = False  # the signed bytes and the signature value match
    trusted: bool = False  # the certificate chains to a trusted root, not revoked
    covers_document: bool = False  # nothing changed after it (later timestamps aside)
    timestamp_ok: bool | None = None  # None: no timestamp
    certification: bool = False  # the document's certification (DocMDP) signature
    long_term: bool = False  # judged at its proven time with the data the PDF keeps (B-LT)
    problems: list = field(default_factory=list)  # Problem

    @property
    def ok(self) -> bool:
        return (self.intact and self.trusted and self.covers_document
                and self.timestamp_ok is not False)


@dataclass
class PdfReport:
    """What :func:`verify_pdf` found: the signatures, and the record XML the first signature
    covers (or, in an unsigned PDF, the one attached to it)."""

    signatures: list = field(default_factory=list)  # PdfSignatureCheck
    record_xml: bytes | None = None
    problems: list = field(default_factory=list)  # Problem: the file as a whole

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def ok(self) -> bool:
        return self.signed and not self.problems and all(s.ok for s in self.signatures)


def _validation_context(trusted_roots, intermediates, crls, leaf=None):
    """pyhanko-certvalidator's context: nothing fetched. The signer's certificate is checked
    against a CRL whenever the trust list holds one of its issuer (and must then be current);
    a CA the trust list keeps no CRL of is checked only if it names one (soft)."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import (CertRevTrustPolicy, RevocationCheckingPolicy,
                                                   RevocationCheckingRule)

    crl_issuers = {crl.issuer for crl in crls}
    soft = RevocationCheckingRule.CHECK_IF_DECLARED_SOFT
    leaf_rule = (RevocationCheckingRule.CRL_REQUIRED
                 if leaf is not None and leaf.issuer in crl_issuers else soft)
    return ValidationContext(
        trust_roots=[_asn1(c) for c in trusted_roots],
        other_certs=[_asn1(c) for c in intermediates],
        crls=[c.public_bytes(serialization.Encoding.DER) for c in crls],
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(
            ee_certificate_rule=leaf_rule, intermediate_ca_cert_rule=soft)),
    )


def _aware(moment):
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _validate(embedded, trusted_roots, intermediates, crls, leaf, long_term: bool):
    """pyHanko's status of one signature. A timestamped signature of a PDF that keeps its
    validation data (DSS, :mod:`hocbaso.pdfltv`) is judged at the time its timestamp proves,
    with the kept paths and revocation status (PAdES B-LT): years later, after the school's
    certificate expired, it still checks. Otherwise it is judged now, with ``crls``."""
    from pyhanko.sign.validation import validate_pdf_ltv_signature, validate_pdf_signature
    from pyhanko.sign.validation.ltv import RevocationInfoValidationType
    from pyhanko_certvalidator.policy_decl import (CertRevTrustPolicy, RevocationCheckingPolicy,
                                                   RevocationCheckingRule)

    if long_term and embedded.attached_timestamp_data is not None:
        # as a PDF reader does: the status of each certificate that names where to ask for
        # it must be among the kept data (a kept answer that does not check counts as none)
        required = RevocationCheckingRule.CHECK_IF_DECLARED
        return validate_pdf_ltv_signature(
            embedded, RevocationInfoValidationType.PADES_LT,
            validation_context_kwargs={
                "trust_roots": [_asn1(c) for c in trusted_roots],
                "other_certs": [_asn1(c) for c in intermediates],
                "crls": [c.public_bytes(serialization.Encoding.DER) for c in crls],
                "allow_fetching": False,
                "revinfo_policy": CertRevTrustPolicy(
                    RevocationCheckingPolicy(ee_certificate_rule=required,
                                             intermediate_ca_cert_rule=required),
                    # the status was asked after signing: "good" then means not revoked when
                    # the timestamp was made (a revocation before it shows in the answer)
                    retroactive_revinfo=True),
            },
            # the timestamp itself is first judged now, as a timestamp of a PDF without kept
            # data is; then again at its own time with the kept data, as the signature
            bootstrap_validation_context=_validation_context(trusted_roots, intermediates, crls))
    return validate_pdf_signature(
        embedded, _validation_context(trusted_roots, intermediates, crls, leaf),
        # the time-stamping authority's certificate: its CRL is checked if it names one
        ts_validation_context=_validation_context(trusted_roots, intermediates, crls))


def _check_signature(embedded, trusted_roots, intermediates, crls,
                     long_term=False) -> PdfSignatureCheck:
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko.sign.diff_analysis import ModificationLevel

    check = PdfSignatureCheck(field_name=str(embedded.field_name or ""))
    try:
        check.certificate = _crypto(embedded.signer_cert)
        check.signer_name = _common_name(check.certificate)
    except Exception:  # noqa: BLE001 - an untrusted file
        check.problems.append(Problem("The PDF signature carries no readable certificate."))
        return check
    check.certification = embedded.docmdp_level is not None
    try:
        status = _validate(embedded, trusted_roots, intermediates, crls, check.certificate,
                           long_term)
    except Exception as err:  # noqa: BLE001 - a damaged or hostile signature
        check.problems.append(Problem("The PDF signature could not be checked: %(detail)s",
                                      detail=f"{type(err).__name__}: {err}"))
        return check
    check.signing_time = _aware(status.signer_reported_dt)
    check.long_term = long_term and embedded.attached_timestamp_data is not None
    check.intact = bool(status.intact and status.valid)
    check.trusted = bool(status.trusted)
    level = status.modification_level
    check.covers_document = (
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        or (status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)))
    if status.timestamp_validity is not None:
        stamp = status.timestamp_validity
        check.timestamp_time = _aware(stamp.timestamp)
        check.timestamp_ok = bool(stamp.intact and stamp.valid and stamp.trusted)
    if not check.intact:
        check.problems.append(Problem(
            "The PDF was changed after %(signer)s signed it: its signature no longer matches "
            "its content.", signer=check.signer_name))
    # a signature whose bytes no longer match fails the trust check too; the school's
    # certificate is not to blame for that, so only the change is reported
    if check.intact and not check.trusted:
        indication = getattr(status.trust_problem_indic, "name", "")
        if status.revocation_details is not None or indication.startswith("REVOKED"):
            check.problems.append(Problem(
                "The certificate of %(signer)s was revoked.", signer=check.signer_name))
        elif indication == "TRY_LATER":
            check.problems.append(Problem(
                "The revocation list of the authority that issued the certificate of "
                "%(signer)s is out of date: the administrator should load a current one.",
                signer=check.signer_name))
        else:
            check.problems.append(Problem(
                "The certificate of %(signer)s is not issued by a trusted certificate "
                "authority, or is not valid now.", signer=check.signer_name))
    if check.intact and not check.covers_document:
        check.problems.append(Problem(
            "The PDF was changed after %(signer)s signed it (a later update to the file): the "
            "signature covers an earlier version only.", signer=check.signer_name))
    if check.timestamp_ok is False:
        check.problems.append(Problem("The timestamp of the PDF signature does not verify."))
    return check


def verify_pdf(pdf: bytes, trusted_roots, intermediates=(), crls=()) -> PdfReport:
    """Check every signature of ``pdf`` against ``trusted_roots`` (x509 certificates), with
    the given ``intermediates`` and ``crls``; nothing is fetched. The PDF is untrusted: a file
    that cannot be read gives a report with a problem, never an exception."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    report = PdfReport()
    data = bytes(pdf or b"")
    if data[:5] != b"%PDF-" or len(data) > MAX_PDF_BYTES:
        report.problems.append(Problem("The file is not a PDF, or is too large."))
        return report
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # noqa: BLE001 - a damaged or hostile file
        report.problems.append(Problem("The PDF cannot be read: it is damaged or not a PDF."))
        return report
    long_term = "/DSS" in reader.root
    for signature in embedded:
        report.signatures.append(_check_signature(signature, trusted_roots, intermediates, crls,
                                                  long_term))
    covered = data
    if embedded:
        byte_range = list(embedded[0].byte_range)
        if len(byte_range) == 4:
            covered = data[:int(byte_range[2]) + int(byte_range[3])]
    report.record_xml = record_xml(covered)
    return report


# --- the attached record ------------------------------------------------------------------------
def _get(dictionary, key):
    """``dictionary[key]`` resolved, or None (pyHanko's dict.get gives indirect references)."""
    try:
        return dictionary[key] if key in dictionary else None
    except (KeyError, TypeError, AttributeError):
        return None


def _bounded_data(stream, limit: int) -> bytes | None:
    """The bytes of a PDF stream, inflated to at most ``limit`` (a flate bomb is refused,
    not inflated); None for any filter but Flate."""
    raw = bytes(stream.encoded_data)
    filters = _get(stream, "/Filter")
    if filters is None:
        filters = []
    elif not isinstance(filters, list):
        filters = [filters]
    if not filters:
        return raw if len(raw) <= limit else None
    if [str(f) for f in filters] != ["/FlateDecode"] or _get(stream, "/DecodeParms"):
        return None
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, limit + 1)
    return data if len(data) <= limit else None


def embedded_files(pdf: bytes, limit: int = MAX_XML_BYTES) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the files attached to ``pdf`` (the document's EmbeddedFiles),
    at most MAX_EMBEDDED_FILES, each at most ``limit`` bytes inflated (larger ones skipped).
    An untrusted PDF: anything unreadable is left out. Raises VerificationError for a file
    that is not a readable PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        names = _get(reader.root, "/Names")
        tree = _get(names, "/EmbeddedFiles") if names is not None else None
    except Exception:  # noqa: BLE001 - a damaged or hostile file
        raise VerificationError("The PDF cannot be read: it is damaged or not a PDF.") from None
    found = []
    for name, spec in _name_tree_pairs(tree):
        if len(found) >= MAX_EMBEDDED_FILES:
            break
        try:
            spec = spec.get_object()
            data = _bounded_data(spec["/EF"]["/F"], limit)
            filename = str(_get(spec, "/UF") or _get(spec, "/F") or name)
        except Exception:  # noqa: BLE001
            continue
        if data is not None:
            found.append((filename, data))
    return found


def _name_tree_pairs(tree, depth: int = 0):
    """(key, value) of a PDF name tree: /Names pairs, then /Kids (a few levels deep)."""
    if tree is None or depth > 4:
        return
    try:
        tree = tree.get_object()
        pairs = list(_get(tree, "/Names") or [])
        kids = [kid.get_object() for kid in list(_get(tree, "/Kids") or [])]
    except Exception:  # noqa: BLE001
        return
    for index in range(0, min(len(pairs), 2 * MAX_EMBEDDED_FILES) - 1, 2):
        yield str(pairs[index]), pairs[index + 1]
    for kid in kids[:MAX_EMBEDDED_FILES]:
        yield from _name_tree_pairs(kid, depth + 1)


def record_xml(pdf: bytes, limit: int = MAX_XML_BYTES) -> bytes | None:
    """The record XML attached to ``pdf`` (its first .xml file, at most ``limit`` bytes), or
    None: an untrusted PDF that cannot be read simply has no XML inside."""
    try:
        files = embedded_files(pdf, limit)
    except VerificationError:
        return None
    for name, data in files:
        if name.lower().endswith(".xml"):
            return data
    return None
