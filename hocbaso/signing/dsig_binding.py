"""Binding each signature to the record it was made for.

The threat: a subject teacher (GVBM) signs only her subject's element (``#mon-<code>``) and her
XAdES SignedProperties, and every signature of a batch shares one signing time; two students
with the same results in that subject therefore get byte-identical references, and a
signature made for student A verifies when copied into student B's record, although the
teacher never attested B's results. The homeroom teacher (GVCN), the leadership (CBQL) and the
issuer cover ``#data`` (DU_LIEU_HOC_BA), whose header holds the record's ID
(MA_DINH_DANH_HOC_BA) and version (PHIEN_BAN): their signatures are already bound.

The fix: every new XAdES signature names its record in its signed properties, and the verifier
compares that with the record's own ID and version: another record is an error; no name at
all (a signature made before this existed, or plain XML-DSig) is a warning for a role whose
references do not reach the record's header, since nothing then shows it was not copied.
Refusing those outright would invalidate every record already signed; the warning keeps them
valid and tells the reader what is unproven. A new signature cannot be stripped of its name:
the name sits in the SignedProperties the signature value covers.

Why xades:CommitmentTypeIndication (ETSI EN 319 132-1, 5.2.3): it states what the signer
commits to when signing, and its qualifiers carry "further information about the commitment"
(any content). "I approve these results (ProofOfApproval, the ETSI URI) as those of record X,
version n" is exactly such a commitment. xades:DataObjectFormat describes a data object's
format (MIME type, encoding) and xades:SignerRole who the signer is; neither says which record
a signature is for. AllSignedDataObjects, rather than an ObjectReference, leaves the
ds:Reference elements as they were (an ObjectReference names a Reference by its Id).

Why not reference the record's header (``#thongtinhocba``) from the GVBM signature too: the
header holds the homeroom teacher's part (conduct, remarks, promotion), so correcting it
before issuance would withdraw every subject teacher's signature as well (hocbaso.signing.
withdraw keeps the signatures of unchanged subjects), and a new reference changes what each
role covers, which the verifier checks to prove the signing order. The ID and version do not
change while a record is sent back and rebuilt (a correction after issuance is a new version,
signed again from the start), so carried-over signatures stay bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..errors import Problem, SigningError
from .dsig_primitives import xades

RECORD_ID_TAG = "MA_DINH_DANH_HOC_BA"
VERSION_TAG = "PHIEN_BAN"
INFO_PATH = "DU_LIEU_HOC_BA/THONG_TIN_HOC_BA"
# ETSI TS 101 903's commitment types; every role approves what it signs
PROOF_OF_APPROVAL = "http://uri.etsi.org/01903/v1.2.2#ProofOfApproval"

_QUALIFIER = xades("CommitmentTypeQualifier")


@dataclass(frozen=True)
class RecordIdentity:
    """Which record, and which version of it, a signature was made for."""

    record_id: str
    version: str


def record_identity(root: etree._Element) -> RecordIdentity | None:
    """The ID and version the record's header holds; None when either is missing."""
    info = root.find(INFO_PATH)
    if info is None:
        return None
    record_id = (info.findtext(RECORD_ID_TAG) or "").strip()
    version = (info.findtext(VERSION_TAG) or "").strip()
    return RecordIdentity(record_id, version) if record_id and version else None


def identity_to_sign(root: etree._Element) -> RecordIdentity:
    """The identity a new signature names; SigningError when the record lacks one."""
    identity = record_identity(root)
    if identity is None:
        raise SigningError(
            "The record has no record ID (MA_DINH_DANH_HOC_BA) or version (PHIEN_BAN), so a "
            "signature could not name the record it is made for. Build the record again from "
            "the school software.")
    return identity


def add_binding(signed_props: etree._Element, identity: RecordIdentity) -> None:
    """xades:SignedDataObjectProperties naming the record, after SignedSignatureProperties."""
    data_props = etree.SubElement(signed_props, xades("SignedDataObjectProperties"))
    commitment = etree.SubElement(data_props, xades("CommitmentTypeIndication"))
    type_id = etree.SubElement(commitment, xades("CommitmentTypeId"))
    etree.SubElement(type_id, xades("Identifier")).text = PROOF_OF_APPROVAL
    etree.SubElement(commitment, xades("AllSignedDataObjects"))
    qualifiers = etree.SubElement(commitment, xades("CommitmentTypeQualifiers"))
    for tag, value in ((RECORD_ID_TAG, identity.record_id), (VERSION_TAG, identity.version)):
        etree.SubElement(qualifiers, _QUALIFIER).text = "%s=%s" % (tag, value)


def read_binding(signed_props: etree._Element | None) -> RecordIdentity | None:
    """The record named in ``signed_props``; None when it names none. SigningError when it
    names several, or only half of one (other software's qualifiers are ignored)."""
    if signed_props is None:
        return None
    found: dict[str, set[str]] = {RECORD_ID_TAG: set(), VERSION_TAG: set()}
    for qualifier in signed_props.iter(_QUALIFIER):
        # its text alone when it has no children (always, as written here): itertext's
        # generator costs more than the rest of this loop
        text = qualifier.text or "" if not len(qualifier) else "".join(qualifier.itertext())
        key, sep, value = text.strip().partition("=")
        if sep and key.strip() in found:
            found[key.strip()].add(value.strip())
    if not any(found.values()):
        return None
    for tag, values in found.items():
        if len(values) != 1:
            raise SigningError(
                "The signature names the record it was made for unclearly: %(count)s values "
                "of %(field)s.", count=len(values), field=tag)
    return RecordIdentity(*(next(iter(found[tag])) for tag in (RECORD_ID_TAG, VERSION_TAG)))


def binding_problems(own: RecordIdentity | None, signature: etree._Element, label: str,
                     covers_record_header: bool) -> tuple[list, list]:
    """(errors, warnings) about the record ``signature`` names, for a verifier's report.

    ``own``: the identity of the record holding ``signature`` (:func:`record_identity`).

    ``covers_record_header``: the signature references the payload (``#data``), whose header
    holds the record's ID and version, so it is bound without a name (a warning is then
    pointless when it has none)."""
    props = next(signature.iter(xades("SignedProperties")), None)  # the one _check_xades reads
    try:
        named = read_binding(props)
    except SigningError as exc:
        return [Problem(exc)], []
    if named is None:
        if covers_record_header:
            return [], []
        return [], [Problem(
            "The %(slot)s's signature does not name the record it was made for (it was made "
            "by an older version of the software), so nothing shows that it was not copied "
            "from another record with the same content.", slot=label)]
    if own != named:
        return [Problem(
            "The %(slot)s's signature was made for record %(made_for)s, version %(made_version)s, "
            "not for this record (%(record)s, version %(version)s): it was copied from another "
            "record.", slot=label, made_for=named.record_id, made_version=named.version,
            record=own.record_id if own else "-", version=own.version if own else "-")], []
    return [], []
