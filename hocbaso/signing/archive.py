"""Archive timestamps (XAdES-A style): keeping a record's proofs alive for decades.

A record is kept for a lifetime; the TSA certificates and the algorithms that prove its
signatures age out long before. :func:`archive_timestamp` asks a TSA for an RFC 3161 token
over the record **as it is** (every signature, their timestamps, the kept validation data,
the earlier archive timestamps) and appends it to the issuer signature's unsigned properties,
the one place nothing covers (see :mod:`.ltv`); with a collector, the new token's own
validation data follows it (``xades141:TimeStampValidationData``), so the next archive
timestamp, made before this one's TSA certificate or algorithm ages out
(:func:`archive_due`), covers it too: a renewable chain. Nothing signed changes.

The form: ``hb:RecordArchiveTimeStamp`` (namespace :data:`ARCHIVE_NS`), shaped as XAdES's
XAdESTimeStampType (``ds:CanonicalizationMethod`` + ``xades:EncapsulatedTimeStamp``), over
the SHA-256 of the C14N 1.0 of the whole record with this archive timestamp and everything
after it in the issuer's unsigned properties left out. Not ``xades141:ArchiveTimeStamp``,
whose input (EN 319 132-1, 5.5.2) is one signature's referenced data, SignedInfo,
SignatureValue, KeyInfo and unsigned properties: here the issuer's signature reaches the
subject teachers' and the homeroom teacher's signatures (and their timestamps) only through
the SHA-256 digests of its references and theirs, which is the dependency an archive
timestamp exists to remove; the whole record, in one canonical form, is covered directly and
can be checked with standard tools (C14N, then ``openssl ts -verify -data``). Under the
standard's name a generic XAdES validator would compute its own input and call the token
broken; under our own name (XAdES allows other namespaces among the unsigned signature
properties) it ignores it and still sees a valid XAdES signature with its validation data.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from ..errors import HocbasoError, Problem, TimestampError
from ..timeutil import as_utc, vn_datetime
from . import ltv, timestamp
from .dsig_primitives import C14N, b64, b64decode, canonicalize, ds, parse_record, serialize, \
    xades

ARCHIVE_NS = "urn:hocbaso:xades-archive:1"
ARCHIVE_TAG = "{%s}RecordArchiveTimeStamp" % ARCHIVE_NS
# the end of an algorithm's use for new proofs: RSA below 3072 bits gives 112-bit security,
# acceptable through 2030 (NIST SP 800-57 Part 1 Rev. 5, table 4); EC below 256 bits is not
RSA_3072_FROM = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)
ALREADY_WEAK = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class ArchiveStamp:
    """A checked archive timestamp: when it proves the record existed as it was, and who."""

    gen_time: dt.datetime
    authority: str
    info: timestamp.TimestampInfo


def _stamps(root: etree._Element) -> list[etree._Element]:
    signature = ltv.issuer_signature(root)
    properties = ltv.unsigned_signature_properties(signature) if signature is not None else None
    return [] if properties is None else properties.findall(ARCHIVE_TAG)


def archive_digest(root: etree._Element, index: int | None = None) -> bytes:
    """SHA-256 of the C14N of the record without archive timestamp ``index`` and what
    follows it (``None``: the record as it is, for a new one)."""
    if index is None:
        return hashlib.sha256(canonicalize(root, C14N)).digest()
    clone = copy.deepcopy(root)
    stamp = _stamps(clone)[index]
    parent = stamp.getparent()
    for element in [stamp, *stamp.itersiblings()]:
        parent.remove(element)
    return hashlib.sha256(canonicalize(clone, C14N)).digest()


def archive_timestamp(xml_bytes: bytes, client: timestamp.TimestampClient,
                      collector: ltv.Collector | None = None
                      ) -> tuple[bytes, timestamp.TimestampInfo]:
    """(the issued record with a new archive timestamp over it as it is, the token's info).
    With ``collector``, the new TSA certificate's path and status follow the token
    (xades141:TimeStampValidationData). TimestampError / ValidationDataError: nothing added."""
    root = parse_record(xml_bytes)
    properties = ltv.issued_properties(root)
    info = client.stamp_info(archive_digest(root))
    element = etree.SubElement(properties, ARCHIVE_TAG, nsmap={"hb": ARCHIVE_NS})
    etree.SubElement(element, ds("CanonicalizationMethod"), Algorithm=C14N)
    etree.SubElement(element, xades("EncapsulatedTimeStamp")).text = b64(info.token)
    if collector is not None:
        data = collector.for_certificate(info.tsa_certificate, (), info.gen_time)
        ltv.write_values(etree.SubElement(properties, ltv.xades141("TimeStampValidationData"),
                                          nsmap={"xades141": ltv.XADES141_NS}), data)
    return serialize(root), info


def _token(stamp: etree._Element) -> bytes:
    method = stamp.find(ds("CanonicalizationMethod"))
    if method is not None and method.get("Algorithm") != C14N:
        raise TimestampError("The archive timestamp is not valid: its canonicalisation method "
                             "%(method)s is not accepted.", method=method.get("Algorithm"))
    found = stamp.findall(xades("EncapsulatedTimeStamp"))
    if len(found) != 1:
        raise TimestampError("The archive timestamp is not valid: it must hold exactly one "
                             "encapsulated token.")
    try:
        return b64decode(found[0].text)
    except ValueError:
        # a changed character in the token's text: say so, not how it is encoded
        raise TimestampError("The archive timestamp cannot be read: it was changed or "
                             "damaged.") from None


def archive_timestamps(root: etree._Element, trusted, intermediates=(), crls=()
                       ) -> list[ArchiveStamp]:
    """Every archive timestamp of the record, checked, oldest first; TimestampError on the
    first that does not check (another content, forged, untrusted) or that was renewed after
    the previous one's TSA certificate had expired (the chain is broken there). The
    record's kept certificates and CRLs help build and judge the TSAs' paths."""
    kept, _problems = ltv.kept_validation_data(root)
    intermediates = [*intermediates, *kept.certificates]
    crls = [*crls, *kept.crls]
    found = []
    for index, stamp in enumerate(_stamps(root)):
        try:
            info = timestamp.check_token(_token(stamp), archive_digest(root, index), trusted,
                                         intermediates, crls)
        except TimestampError as exc:
            raise TimestampError("Archive timestamp %(number)s: %(problem)s", number=index + 1,
                                 problem=Problem(exc)) from None
        if found and info.gen_time > found[-1].info.tsa_certificate.not_valid_after_utc:
            raise TimestampError(
                "Archive timestamp %(number)s was added on %(time)s, after the certificate of "
                "the previous one's authority had expired (%(expired)s): the chain of archive "
                "timestamps is broken there.", number=index + 1,
                time=vn_datetime(info.gen_time),
                expired=vn_datetime(found[-1].info.tsa_certificate.not_valid_after_utc))
        found.append(ArchiveStamp(info.gen_time, info.tsa_name, info))
    return found


def report_archive_timestamps(root, report, chains, at: dt.datetime) -> None:
    """Put the archive timestamps' proven times (and problems) into a VerificationReport."""
    try:
        stamps = archive_timestamps(root, chains.trusted, chains.intermediates, chains.crls)
    except HocbasoError as exc:
        report.errors.append(Problem(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a verifier reports, never crashes
        report.errors.append(Problem("The archive timestamps could not be checked "
                                     "(%(detail)s).", detail=str(exc)))
        return
    report.archive_times = [stamp.gen_time for stamp in stamps]
    report.archive_authorities = [stamp.authority for stamp in stamps]
    if stamps and _ages_out(stamps[-1].info.tsa_certificate) <= at:
        report.warnings.append(Problem(
            "The newest archive timestamp (%(time)s) relies on a certificate or an algorithm "
            "that aged out on %(end)s; renew it with a new archive timestamp.",
            time=vn_datetime(stamps[-1].gen_time),
            end=vn_datetime(_ages_out(stamps[-1].info.tsa_certificate))))


def _ages_out(certificate) -> dt.datetime:
    """When proofs by ``certificate`` stop being trustworthy: its expiry, or earlier the end
    of its key's algorithm strength."""
    end = certificate.not_valid_after_utc
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 3072:
        end = min(end, RSA_3072_FROM if key.key_size >= 2048 else ALREADY_WEAK)
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256:
        end = min(end, ALREADY_WEAK)
    return end


def archive_due(xml_bytes: bytes, now: dt.datetime, margin: dt.timedelta) -> bool:
    """Whether the record needs a (new) archive timestamp by ``now + margin``: it has none,
    or the newest one's TSA certificate expires, or its key's algorithm ages out, by then.
    Reads the tokens without checking them (the verifier does)."""
    stamps = _stamps(parse_record(xml_bytes))
    if not stamps:
        return True
    try:
        certificate = timestamp.token_certificate(_token(stamps[-1]))
    except TimestampError:
        certificate = None
    if certificate is None:
        return True
    return as_utc(now) + margin >= _ages_out(certificate)


# --- at issuance and in the daily job ----------------------------------------------------------
def kept_state(xml_bytes: bytes) -> tuple[bool, bool]:
    """(whether the document carries the issuer's signature, whether it already keeps its
    validation data)."""
    signature = ltv.issuer_signature(parse_record(xml_bytes))
    if signature is None:
        return False, False
    properties = ltv.unsigned_signature_properties(signature)
    return True, properties is not None and (
        properties.find(xades("CertificateValues")) is not None
        or properties.find(xades("RevocationValues")) is not None)


@dataclass
class ArchiveWork:
    """What :func:`keep_for_archive` did to one issued document."""

    xml: bytes | None = None  # the document changed, or None
    data_added: bool = False
    data_error: HocbasoError | None = None
    stamp: timestamp.TimestampInfo | None = None
    stamp_error: HocbasoError | None = None


def keep_for_archive(xml: bytes, collector, client) -> ArchiveWork:
    """The validation data (when missing, gathered by ``collector``) and, with ``client``, an
    archive timestamp added to an issued document. Never raises for what the outside answers:
    the errors are in the result. Safe from the threads of hocbaso.signing.concurrent."""
    work = ArchiveWork()
    signed, kept = kept_state(xml) if xml else (False, False)
    if not signed:  # nothing the issuer signed to keep the data in
        return work
    if not kept:
        try:
            xml, _data = ltv.add_validation_data(xml, collector)
        except HocbasoError as error:
            work.data_error = error
            return work
        work.xml, work.data_added = xml, True
    if client is not None:
        try:
            xml, work.stamp = archive_timestamp(xml, client, collector)
        except HocbasoError as error:
            work.stamp_error = error
        else:
            work.xml = xml
    return work
