"""Check every signature of a hocbaso-1.0 record and say, in plain words, what holds.

For each ds:Signature in the slots: are the signed parts unchanged (reference digests), does the
signature value match the certificate, is the certificate trusted and valid at the signing time,
does XAdES bind that certificate, and does the signature cover exactly what its role must cover
(which is how the signing order is proven). Never raises on a bad document: problems become
report lines. Input goes through hocbaso.safexml.parse_untrusted.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import io
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .errors import HocbasoError, Problem
from .roles import ROLE_CBQL, ROLE_GVBM, ROLE_GVCN, ROLE_ISSUER, role_rank
from .safexml import DEFAULT_MAX_BYTES, UnsafeXmlError, parse_untrusted
from .signing import archive, certs, ltv, timestamp
from .signing.certs import PURPOSE_ORGANISATION, PURPOSE_PERSONAL
from .signing.dsig_binding import binding_problems
from .signing.dsig_check import reference_checks, signature_certificates, signature_value_ok
from .signing.dsig_layout import DATA_ID, Layout, plan_signature
from .signing.memo import per_object
from .signing.dsig_primitives import (
    _DIGEST_METHOD,
    _DIGEST_VALUE,
    DIGEST_METHODS,
    b64decode,
    children_at,
    ds,
    id_index,
    parse_signing_time,
    xades,
)
from .timeutil import as_utc, now_utc, vn_datetime
from .verify_report import SignatureReport, VerificationReport

# Clocks of different school machines drift; signing times closer than this are not reordered.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
MAX_ZIP_ENTRIES = 1000
UNPROVEN_TIME = Problem("The signing time cannot be proven: the signature carries no trusted "
                        "timestamp, so the certificate was checked at the time the signer claims.")
MAX_ZIP_READ_BYTES = 4 * DEFAULT_MAX_BYTES  # decompressed, per package


def verify_document(xml_bytes: bytes, trusted_roots: list[x509.Certificate], intermediates=(),
                    crls=(), at: dt.datetime | None = None) -> VerificationReport:
    """Verify every signature of a record file; never raises on a bad document."""
    report = VerificationReport()
    try:
        root = parse_untrusted(xml_bytes)
        layout = Layout.of(root)
    except HocbasoError as exc:
        report.errors.append(Problem(exc))
        return report
    except Exception as exc:  # noqa: BLE001 - a verifier must report, not crash
        report.errors.append(Problem("The file could not be read as a record: %(detail)s",
                                     detail=str(exc)))
        return report

    at = as_utc(at) if at else now_utc()
    index = id_index(root)
    # one document, one pass of each kind: an element several signatures reference is
    # canonicalised and digested once; each certificate's chain and each CRL checked once
    digests: dict = {}
    kept = ltv.read_for_report(root, report)  # the kept chains and CRLs help, never trust
    chains = certs.ChainCheck(trusted_roots, [*intermediates, *kept.certificates],
                              [*crls, *kept.crls])
    _check_format(root, report)
    _check_document(layout, index, report)
    all_digests_ok = True
    order_ok = True
    for slot in layout.slots():
        signatures = slot.signatures
        if not signatures:
            report.missing.append(slot.label)
            continue
        report.signed_roles.append(
            "%s:%s" % (slot.role, slot.subject_code) if slot.role == ROLE_GVBM else slot.role)
        if len(signatures) > 1:
            report.errors.append(Problem(
                "The slot of the %(slot)s holds %(count)s signatures instead of one.",
                slot=slot.label, count=len(signatures)))
            order_ok = False
        for signature in signatures:
            entry = _verify_signature(layout, slot, signature, index, chains, digests, at,
                                      kept)
            report.signatures.append(entry)
            all_digests_ok = all_digests_ok and entry.digests_ok
            order_ok = order_ok and entry.coverage_ok
    order_ok = _check_role_sequence(layout, report) and order_ok
    _check_named_signers(layout, report)
    _check_time_sequence(report)
    outside = [sig for sig in root.iter(ds("Signature"))
               if sig.getparent() not in [slot.element for slot in layout.slots()]]
    if outside:
        report.errors.append(Problem("%(count)s signature(s) sit outside the signature slots "
                                     "and are not accepted.", count=len(outside)))
    if not report.signatures:
        report.errors.append(Problem("The record carries no signature."))
    archive.report_archive_timestamps(root, report, chains, at)
    report.intact = bool(report.signatures) and all_digests_ok
    report.order_ok = order_ok
    return report


def verify_package(zip_bytes: bytes, trusted_roots: list[x509.Certificate], intermediates=(),
                   crls=(), at: dt.datetime | None = None) -> VerificationReport:
    """Verify the record XML inside a record package (zip); tolerant of the package's layout."""
    try:
        name, xml_bytes = find_record_in_zip(zip_bytes)
    except HocbasoError as exc:
        report = VerificationReport()
        report.errors.append(Problem(exc))
        return report
    # The package's certificates (signers and their issuing CAs) help build the chains; they
    # are never trusted by themselves: every chain must still end at one of trusted_roots.
    carried = package_certificates(zip_bytes)
    report = verify_document(xml_bytes, trusted_roots, list(intermediates) + carried, crls, at)
    report.source = name
    return report


def package_certificates(zip_bytes: bytes) -> list[x509.Certificate]:
    """The certificates under certificates/ in a package (DER or PEM); unreadable ones skipped."""
    found = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        members = archive.infolist()[:MAX_ZIP_ENTRIES]
    except (zipfile.BadZipFile, ValueError, OSError):
        return found
    for member in members:
        name = member.filename.lower()
        if not name.startswith("certificates/") or member.is_dir() or member.file_size > 65536:
            continue
        try:
            with archive.open(member) as handle:
                data = handle.read(65537)
            found.extend(certs.load_certificates(data))
        except (HocbasoError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            continue
    return found


def is_record_file(data: bytes, is_package: bool) -> bool:
    """False when an upload is plainly no school record: not XML, a zip without a record XML
    (a spreadsheet, a document), or XML whose root element is not HOC_BA. XML that is unsafe or
    broken counts as a record: the verifier then says what is wrong with it."""
    if is_package:
        try:
            data = find_record_in_zip(data)[1]
        except HocbasoError:
            return False
    if not data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return False
    try:
        root = parse_untrusted(data)
    except UnsafeXmlError:
        return True
    return isinstance(root.tag, str) and root.tag.rsplit("}", 1)[-1] == "HOC_BA"


def find_record_in_zip(zip_bytes: bytes) -> tuple[str, bytes]:
    """(name, bytes) of the record XML at the top level of a package; size-limited reads."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise HocbasoError("The package is not a readable zip file (%(detail)s). Ask the sender "
                           "for the file again.", detail=str(exc)) from None
    if len(members) > MAX_ZIP_ENTRIES:
        raise HocbasoError("The package holds %(count)s files, more than %(limit)s allowed.",
                           count=len(members), limit=MAX_ZIP_ENTRIES)
    candidates = [m for m in members
                  if "/" not in m.filename.strip("/") and m.filename.lower().endswith(".xml")
                  and not m.is_dir()]
    # At most two documents are held (the first record found, else the first XML file), and
    # reading stops after MAX_ZIP_READ_BYTES in all: each member's size is capped, but a
    # package of many highly compressed members could otherwise expand to gigabytes.
    fallback, budget = None, MAX_ZIP_READ_BYTES
    for member in candidates:
        if member.file_size > DEFAULT_MAX_BYTES:
            continue
        if budget <= 0:
            break
        try:
            with archive.open(member) as handle:
                data = handle.read(DEFAULT_MAX_BYTES + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            continue
        budget -= len(data)
        if len(data) > DEFAULT_MAX_BYTES:
            continue
        if b"<HOC_BA" in data:
            return member.filename, data
        if fallback is None:
            fallback = (member.filename, data)
    if fallback is not None:
        return fallback
    raise HocbasoError("The package has no record XML file at its top level. Ask the sender "
                       "for a complete record package.")


# --- one signature ---------------------------------------------------------------------------
def _verify_signature(layout, slot, signature, index, chains, digests, at, kept=None):
    entry = SignatureReport(role=slot.role, slot=slot.path, signature_id=signature.get("Id", ""),
                            subject_code=slot.subject_code)
    if entry.signature_id != slot.signature_id:
        entry.errors.append(Problem(
            "The signature's Id is \"%(found)s\"; the %(slot)s's signature must have Id "
            "\"%(expected)s\".", found=entry.signature_id, slot=slot.label,
            expected=slot.signature_id))

    checks = reference_checks(signature, index, digests)
    entry.references = [check.uri for check in checks]
    entry.digests_ok = all(check.digest_ok for check in checks)
    entry.errors.extend(check.error for check in checks if not check.digest_ok)

    try:
        certificates = signature_certificates(signature)
    except (ValueError, binascii.Error):
        certificates = []
    if not certificates:
        entry.errors.append(Problem("The signature carries no readable signer certificate "
                                    "(KeyInfo)."))
        return entry
    leaf = certificates[0]
    _describe_certificate(entry, leaf)

    entry.signature_ok, problem = signature_value_ok(signature, leaf)
    if problem:
        entry.errors.append(problem)
    _check_xades(entry, signature, leaf, checks)
    _check_coverage(entry, layout, slot, signature, checks)
    _check_binding(entry, layout, slot, signature)

    moment = _proven_time(entry, signature, chains.trusted,
                          [*chains.intermediates, *certificates[1:]], chains.crls, at) \
        or entry.signing_time or at
    if entry.signing_time and entry.signing_time > at + CLOCK_TOLERANCE:
        entry.errors.append(Problem(
            "The signing time %(signed)s is later than the verification time %(at)s.",
            signed=vn_datetime(entry.signing_time), at=vn_datetime(at)))
    purpose = PURPOSE_ORGANISATION if slot.role == ROLE_ISSUER else PURPOSE_PERSONAL
    if certificates[1:]:  # CAs carried in KeyInfo help build this signature's path
        chains = chains.extended(certificates[1:])
    entry.chain_ok, entry.chain_result = _check_chain(leaf, chains, moment, purpose)
    if not entry.chain_ok:
        entry.errors.append(Problem("Certificate: %(problem)s", problem=entry.chain_result))
    elif kept:
        ltv.judge_signature(entry, signature, leaf, chains, moment, kept)
    return entry


def _proven_time(entry, signature, trusted, intermediates, crls, at) -> dt.datetime | None:
    """The time a valid SignatureTimeStamp proves (the certificate is judged then); None, and
    a warning, when the signature has none; None and an error when it has one that fails."""
    try:
        info = timestamp.signature_timestamp(signature, list(trusted), intermediates, list(crls))
    except HocbasoError as exc:
        entry.errors.append(Problem(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - report, never crash
        entry.errors.append(Problem("The timestamp could not be checked (%(detail)s).",
                                    detail=str(exc)))
        return None
    if info is None:
        entry.warnings.append(UNPROVEN_TIME)
        return None
    if info.gen_time > at + CLOCK_TOLERANCE:
        entry.errors.append(Problem(
            "The timestamp's time %(proven)s is later than the verification time %(at)s.",
            proven=vn_datetime(info.gen_time), at=vn_datetime(at)))
        return None
    if entry.signing_time and entry.signing_time > info.gen_time + CLOCK_TOLERANCE:
        entry.warnings.append(Problem(
            "The signer claims to have signed at %(claimed)s, after the time the timestamp "
            "proves (%(proven)s).", claimed=vn_datetime(entry.signing_time),
            proven=vn_datetime(info.gen_time)))
    entry.timestamp_time, entry.timestamp_proven = info.gen_time, True
    entry.timestamp_authority = info.tsa_name
    return info.gen_time


def _describe_certificate(entry: SignatureReport, certificate: x509.Certificate) -> None:
    info = signer_identity(certificate)
    entry.certificate_subject = info["subject"]
    entry.certificate_issuer = info["issuer"]
    entry.certificate_serial = format(certificate.serial_number, "x")
    entry.signer_name = info["name"]
    entry.personal_id = info["personal_id"]
    entry.tax_code = info["tax_code"]


def signer_identity(certificate: x509.Certificate) -> dict[str, str]:
    """Name, personal ID and tax code as Vietnamese CAs write them (UID "CCCD:...", "MST:..."),
    and the subject and issuer as RFC 4514 text."""
    try:
        info = certs.certificate_info(certificate)
    except Exception:  # noqa: BLE001 - a malformed extension: the checks below report it
        return {"name": "", "personal_id": "", "tax_code": "",
                "subject": certificate.subject.rfc4514_string(),
                "issuer": certificate.issuer.rfc4514_string()}
    return {"name": info.name or "", "personal_id": info.personal_id or "",
            "tax_code": info.tax_code or "", "subject": info.subject, "issuer": info.issuer}


_SIGNED_PROPERTIES = xades("SignedProperties")
_SIGNING_TIME = xades("SigningTime")
_CERT = xades("Cert")
_CERT_DIGEST = xades("CertDigest")


def _check_xades(entry, signature, leaf, checks) -> None:
    signed_props = next(signature.iter(_SIGNED_PROPERTIES), None)  # as find(".//"), in C
    if signed_props is None:
        entry.xades_ok = True  # plain XML-DSig is allowed; it just has no signing time
        return
    prop_id = signed_props.get("Id", "")
    covered = any(check.target is signed_props and check.digest_ok for check in checks)
    if not covered:
        entry.errors.append(Problem(
            "The XAdES signed properties (%(id)s) are not covered by the signature.",
            id=prop_id or "-"))
    time_element = next(signed_props.iter(_SIGNING_TIME), None)
    time_text = time_element.text if time_element is not None else None
    if time_text:
        try:
            entry.signing_time = parse_signing_time(time_text)
        except ValueError:
            entry.errors.append(Problem(
                "The XAdES signing time \"%(time)s\" is not a date and time.", time=time_text))
    cert_ok = False
    for cert in signed_props.iter(_CERT):
        methods = children_at(cert, _CERT_DIGEST, _DIGEST_METHOD)
        values = children_at(cert, _CERT_DIGEST, _DIGEST_VALUE)
        hasher = DIGEST_METHODS.get(methods[0].get("Algorithm") if methods else None)
        digest_text = (values[0].text or "") if values else None
        if hasher is None or not digest_text:
            continue
        try:
            expected = b64decode(digest_text)
        except (binascii.Error, ValueError):
            continue
        if expected == _certificate_digest(leaf, hasher):
            cert_ok = True
    if not cert_ok:
        entry.errors.append(Problem("The certificate in KeyInfo is not the one named in the "
                                    "XAdES signing certificate (it may have been swapped)."))
    entry.xades_ok = covered and cert_ok and entry.signing_time is not None


@per_object(maxsize=512)
def _certificate_digest(certificate: x509.Certificate, hasher) -> bytes:
    return hasher(certificate.public_bytes(serialization.Encoding.DER)).digest()


def _check_coverage(entry, layout, slot, signature, checks) -> None:
    """The signature must cover exactly what its role covers (this proves the signing order)."""
    actual = [c.uri for c in checks if c.target is None or not _inside(c.target, signature)]
    try:
        expected = plan_signature(layout, slot.role, slot.subject_code).reference_uris
    except HocbasoError as exc:
        entry.errors.append(Problem(exc))
        return
    missing = [uri for uri in expected if uri not in actual]
    extra = [uri for uri in actual if uri not in expected]
    if missing:
        entry.errors.append(Problem(
            "The signature does not cover %(missing)s, which the %(slot)s must sign (was it "
            "made out of order?).", missing=", ".join(missing), slot=slot.label))
    if extra:
        entry.errors.append(Problem("The signature covers %(extra)s, which the %(slot)s must "
                                    "not sign.", extra=", ".join(extra), slot=slot.label))
    entry.coverage_ok = not missing and not extra


def _check_binding(entry, layout, slot, signature) -> None:
    """The record the signature names must be this one (hocbaso.signing.dsig_binding)."""
    errors, warnings = binding_problems(layout.identity, signature, slot.label,
                                        "#" + DATA_ID in entry.references)
    entry.errors.extend(errors)
    entry.warnings.extend(warnings)


def _inside(element, ancestor) -> bool:
    """Whether ``element`` is ``ancestor`` or lies within it."""
    while element is not None:
        if element is ancestor:
            return True
        element = element.getparent()
    return False


def _check_chain(leaf, chains, moment, purpose) -> tuple[bool, str]:
    if not chains.trusted:
        return False, Problem("not checked: no trusted root certificate was given")
    try:
        chains.check(leaf, at=moment, purpose=purpose)
    except HocbasoError as exc:
        return False, Problem(exc)
    except Exception as exc:  # noqa: BLE001 - report, never crash
        return False, Problem("could not be checked (%(detail)s)", detail=str(exc))
    return True, Problem("trusted, valid at %(moment)s", moment=vn_datetime(moment))


# --- document-level checks ---------------------------------------------------------------------
def _check_format(root, report) -> None:
    """The whole file must follow its profile's XSD: nothing unsigned may hide beside the slots."""
    try:
        from .xmlprofile import detect_profile

        profile = detect_profile(root)
        problems = profile.schema_errors(root)
    except HocbasoError as exc:
        report.errors.append(Problem(exc))
        return
    except Exception as exc:  # noqa: BLE001 - report, never crash
        report.errors.append(Problem("The record format could not be checked: %(detail)s",
                                     detail=str(exc)))
        return
    if problems:
        report.errors.append(Problem("The record does not follow the %(profile)s format: "
                                     "%(problems)s", profile=profile.version,
                                     problems="; ".join(problems[:5])))


def _check_document(layout, index, report) -> None:
    for slot in layout.slots():
        strangers = [child.tag for child in slot.element
                     if isinstance(child.tag, str) and child.tag != ds("Signature")]
        if strangers:
            report.errors.append(Problem(
                "The slot of the %(slot)s holds elements other than a signature.",
                slot=slot.label))
    duplicates = sorted(key for key, elements in index.items() if len(elements) > 1)
    if duplicates:
        report.errors.append(Problem("Several elements share the Id %(ids)s; a record must "
                                     "not repeat an Id.", ids=", ".join(duplicates)))
    data = index.get(DATA_ID, [])
    if len(data) == 1 and data[0] is not layout.data:
        report.errors.append(Problem(
            "The element with Id \"data\" is not the record's DU_LIEU_HOC_BA."))
    for code, line in layout.subjects.items():
        declared = line.findtext("MA_MON_HOC")
        if declared is not None and declared.strip() != code:
            report.errors.append(Problem("The subject element %(element)s holds subject "
                                         "%(subject)s.", element=line.get("Id"),
                                         subject=declared))
    slot_codes = [slot.subject_code for slot in layout.subject_slots]
    unslotted = [code for code in layout.subjects if code not in slot_codes]
    if unslotted:
        report.errors.append(Problem("Subject %(subject)s has no signature slot.",
                                     subject=", ".join(unslotted)))


def _check_role_sequence(layout, report) -> bool:
    ok = True
    unsigned = [s.subject_code for s in layout.subject_slots if not s.signatures]
    if layout.gvcn.signatures and unsigned:
        report.errors.append(Problem("The homeroom teacher signed although subject "
                                     "%(subject)s has no subject teacher signature.",
                                     subject=", ".join(unsigned)))
        ok = False
    if layout.cbql.signatures and not layout.gvcn.signatures:
        report.errors.append(Problem("The school leader signed before the homeroom teacher."))
        ok = False
    if layout.issuer.signatures and not layout.cbql.signatures:
        report.errors.append(Problem("The record was issued before the school leader signed."))
        ok = False
    return ok


def _check_named_signers(layout, report) -> None:
    """Warn when a certificate's personal ID is not the one the record names for that role."""
    info = layout.data.find("THONG_TIN_HOC_BA")
    for sig in report.signatures:
        if sig.role == ROLE_GVBM and sig.subject_code in layout.subjects:
            named = children_at(layout.subjects[sig.subject_code], "GVBM", "SO_DDCN")
        elif sig.role == ROLE_GVCN and info is not None:
            named = children_at(info, "GVCN", "SO_DDCN")
        elif sig.role == ROLE_CBQL and info is not None:
            named = children_at(info, "GIAM_HIEU", "SO_DDCN")
        else:
            continue
        named = (named[0].text or "").strip() if named else ""
        if named and sig.personal_id and named != sig.personal_id:
            report.warnings.append(Problem(
                "The %(role)s signed with the certificate of personal ID %(found)s, but the "
                "record names %(named)s.", role=sig.role_label, found=sig.personal_id,
                named=named))


def _check_time_sequence(report) -> None:
    """Claimed signing times should follow the order; only a warning (clocks differ)."""
    timed = [(role_rank(s.role), s) for s in report.signatures if s.signing_time]
    for earlier_rank, earlier in timed:
        for later_rank, later in timed:
            if later_rank > earlier_rank and \
                    later.signing_time + CLOCK_TOLERANCE < earlier.signing_time:
                report.warnings.append(Problem(
                    "The %(later)s's signing time (%(later_time)s) is before the "
                    "%(earlier)s's (%(earlier_time)s).", later=later.role_label,
                    later_time=vn_datetime(later.signing_time), earlier=earlier.role_label,
                    earlier_time=vn_datetime(earlier.signing_time)))


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
