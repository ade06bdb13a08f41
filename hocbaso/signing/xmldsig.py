"""XML-DSig (XAdES-BES) signatures placed in the signature slots of a hocbaso-1.0 record.

Each signer appends one ds:Signature inside its own slot; the slots sit outside the payload, so
no enveloped transform is needed and every reference is a plain "#Id". Later signers also
reference the earlier signatures, so changing a score or an earlier signature breaks every
signature made after it. SignedInfo is built here with lxml (not signxml) because the
signatures are multi-reference, live in fixed slots and are made in two phases (the key may be
on a token driven from a browser or behind a remote service). When the keys are at hand,
:func:`sign_slots` makes several signatures in order with one parse of the record.

Form: C14N 1.0 (inclusive, without comments) everywhere, SHA-256 digests, RSA-SHA256 or
ECDSA-SHA256 by key type, KeyInfo with the leaf certificate, and (XAdES-BES, on by default)
SignedProperties with SigningTime and SigningCertificateV2.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from ..errors import Problem, SigningError
from ..safexml import parse_untrusted
from .base import ECDSA_SHA256, RSA_SHA256, Signer

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
XADES_SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_WITH_COMMENTS = C14N + "#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_WITH_COMMENTS = EXC_C14N + "WithComments"
# algorithm URI -> (exclusive, with_comments); the only transforms a reference may use
C14N_METHODS = {
    C14N: (False, False),
    C14N_WITH_COMMENTS: (False, True),
    EXC_C14N: (True, False),
    EXC_C14N_WITH_COMMENTS: (True, True),
}
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGEST_METHODS = {
    SHA256: hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}
SIGNATURE_METHODS = (RSA_SHA256, ECDSA_SHA256)

# Roles, in signing order (same strings as hocbaso.xmlprofile.base).
ROLE_GVBM = "gvbm"
ROLE_GVCN = "gvcn"
ROLE_CBQL = "cbql"
ROLE_ISSUER = "phathanh"
SIGNING_ORDER = (ROLE_GVBM, ROLE_GVCN, ROLE_CBQL, ROLE_ISSUER)

# Problems, not plain text: the labels go into messages that the Odoo layer translates
ROLE_LABELS = {
    ROLE_GVBM: Problem("subject teacher (GVBM)"),
    ROLE_GVCN: Problem("homeroom teacher (GVCN)"),
    ROLE_CBQL: Problem("school leader (CBQL)"),
    ROLE_ISSUER: Problem("issuing school (KY_PHAT_HANH)"),
}


def role_label(role: str, subject_code: str = "") -> str:
    """Who signs a slot, for messages: "subject teacher (GVBM) of TOAN", "school leader"..."""
    if role == ROLE_GVBM and subject_code:
        return Problem("subject teacher (GVBM) of %(subject)s", subject=subject_code)
    return ROLE_LABELS.get(role, role)
SIGNATURE_IDS = {ROLE_GVCN: "sig-gvcn", ROLE_CBQL: "sig-cbql", ROLE_ISSUER: "sig-phathanh"}
DATA_ID = "data"

_DS = "{%s}" % DS_NS
_XADES = "{%s}" % XADES_NS


def ds(name: str) -> str:
    return _DS + name


def xades(name: str) -> str:
    return _XADES + name


_SIGNATURE = ds("Signature")
_SIGNED_INFO = ds("SignedInfo")
_REFERENCE = ds("Reference")
_TRANSFORMS = ds("Transforms")
_TRANSFORM = ds("Transform")
_DIGEST_METHOD = ds("DigestMethod")
_DIGEST_VALUE = ds("DigestValue")


def subject_signature_id(subject_code: str) -> str:
    return "sig-gvbm-" + subject_code


def subject_element_id(subject_code: str) -> str:
    return "mon-" + subject_code


# --- the document's layout ---------------------------------------------------------------------
@dataclass
class Slot:
    role: str
    element: etree._Element
    signature_id: str
    subject_code: str = ""

    @property
    def signatures(self) -> list[etree._Element]:
        return [child for child in self.element if child.tag == _SIGNATURE]

    @property
    def label(self) -> str:
        return role_label(self.role, self.subject_code or "?")

    @property
    def path(self) -> str:
        """Where the slot is, for reports."""
        tree = self.element.getroottree()
        return tree.getpath(self.element)


@dataclass
class Layout:
    """The parts of a hocbaso-1.0 document the signatures care about."""

    root: etree._Element
    data: etree._Element
    subjects: dict[str, etree._Element]  # subject code -> DIEM_TONG_KET
    subject_slots: list[Slot]
    gvcn: Slot
    cbql: Slot
    issuer: Slot

    @classmethod
    def of(cls, root: etree._Element) -> "Layout":
        def need(path: str) -> etree._Element:
            element = root.find(path)
            if element is None:
                raise SigningError(
                    "The document has no %(element)s element, so it is not a hocbaso-1.0 "
                    "record. Build the record again from the school software.", element=path)
            return element

        if root.tag != "HOC_BA":
            raise SigningError(
                "The document's root element is %(tag)s, not HOC_BA: it is not a hocbaso-1.0 "
                "record. Choose the record file.", tag=root.tag)
        data = need("DU_LIEU_HOC_BA")
        subjects = {}
        for line in data.findall("DANH_SACH_DIEM/DIEM_TONG_KET"):
            element_id = line.get("Id") or ""
            if element_id.startswith("mon-"):
                subjects[element_id[len("mon-"):]] = line
        subject_slots = []
        for slot in need("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM").findall("GVBM"):
            code = slot.get("MaMon", "")
            subject_slots.append(Slot(ROLE_GVBM, slot, subject_signature_id(code), code))
        return cls(
            root=root,
            data=data,
            subjects=subjects,
            subject_slots=subject_slots,
            gvcn=Slot(ROLE_GVCN, need("DANH_SACH_THONG_TIN_KY/GVCN"), SIGNATURE_IDS[ROLE_GVCN]),
            cbql=Slot(ROLE_CBQL, need("PHAT_HANH_HOC_BA/CBQL"), SIGNATURE_IDS[ROLE_CBQL]),
            issuer=Slot(ROLE_ISSUER, need("PHAT_HANH_HOC_BA/KY_PHAT_HANH"),
                        SIGNATURE_IDS[ROLE_ISSUER]),
        )

    def slots(self) -> list[Slot]:
        """Every slot, in signing order."""
        return [*self.subject_slots, self.gvcn, self.cbql, self.issuer]

    def slot(self, role: str, subject_code: str | None = None) -> Slot:
        if role == ROLE_GVBM:
            if not subject_code:
                raise SigningError("Choose the subject the subject teacher (GVBM) signs for.")
            for slot in self.subject_slots:
                if slot.subject_code == subject_code:
                    return slot
            raise SigningError(
                "The record has no signature slot for subject %(subject)s. Check the subject "
                "code, or rebuild the record.", subject=subject_code)
        slots = {ROLE_GVCN: self.gvcn, ROLE_CBQL: self.cbql, ROLE_ISSUER: self.issuer}
        if role not in slots:
            raise SigningError("Unknown signing role %(role)s.", role=role)
        return slots[role]

    def signed_subject_ids(self) -> list[str]:
        """Ids of the subject teachers' signatures present, in document order."""
        return [slot.signature_id for slot in self.subject_slots if slot.signatures]


@dataclass
class SlotPlan:
    """What one signature covers: its slot, its Id and its references (in order)."""

    slot: Slot
    signature_id: str
    reference_uris: list[str]


def plan_signature(layout: Layout, role: str, subject_code: str | None = None) -> SlotPlan:
    """Slot, signature Id and reference URIs for ``role`` given the signatures present now."""
    slot = layout.slot(role, subject_code)
    if role == ROLE_GVBM:
        if subject_code not in layout.subjects:
            raise SigningError(
                "The record has no results for subject %(subject)s (no element "
                "Id=\"%(element)s\"), so its teacher cannot sign it.",
                subject=subject_code, element=subject_element_id(subject_code))
        uris = ["#" + subject_element_id(subject_code)]
    else:
        uris = ["#" + DATA_ID] + ["#" + sig_id for sig_id in layout.signed_subject_ids()]
        if role in (ROLE_CBQL, ROLE_ISSUER):
            uris.append("#" + SIGNATURE_IDS[ROLE_GVCN])
        if role == ROLE_ISSUER:
            uris.append("#" + SIGNATURE_IDS[ROLE_CBQL])
    return SlotPlan(slot, slot.signature_id, uris)


def signature_plan(xml, role: str, subject_code: str | None = None) -> SlotPlan:
    """Public form of :func:`plan_signature` for bytes or an element; also checks the order."""
    root = xml if isinstance(xml, etree._Element) else parse_untrusted(xml)
    layout = Layout.of(root)
    check_order(layout, role, subject_code)
    return plan_signature(layout, role, subject_code)


def check_order(layout: Layout, role: str, subject_code: str | None = None,
                planned: tuple | list = ()) -> None:
    """Raise SigningError unless ``role`` may sign now (all GVBM -> GVCN -> CBQL -> issuer).

    ``planned``: slots (of ``layout``) that earlier steps of the same call will sign, counted
    as signed; lets :func:`sign_slots` check a whole sequence before any key is used.
    """
    def signed(candidate: Slot) -> bool:
        return bool(candidate.signatures) or any(candidate is p for p in planned)

    slot = layout.slot(role, subject_code)
    if signed(slot):
        raise SigningError(
            "The %(who)s has already signed this record; a signature cannot be made twice. "
            "If the record must change, make a new version of it.", who=slot.label)
    if role == ROLE_GVBM:
        if signed(layout.gvcn):
            raise SigningError(
                "The homeroom teacher has already signed, so subject teachers can no longer "
                "sign this record. Make a new version of the record to change subject %(subject)s.",
                subject=subject_code)
        return
    if role == ROLE_GVCN:
        missing = [s.subject_code for s in layout.subject_slots if not signed(s)]
        if missing:
            raise SigningError(
                "The homeroom teacher can sign only after every subject teacher has signed: "
                "missing %(missing)s.", missing=", ".join(missing))
        return
    previous = layout.gvcn if role == ROLE_CBQL else layout.cbql
    if not signed(previous):
        raise SigningError(
            "The %(who)s can sign only after the %(previous)s has signed.",
            who=slot.label, previous=previous.label)


# --- canonicalisation, digests, keys ---------------------------------------------------------
def canonicalize(element: etree._Element, algorithm: str = C14N) -> bytes:
    """C14N of ``element`` in its document (inherited namespaces included for inclusive C14N)."""
    if algorithm not in C14N_METHODS:
        raise SigningError("Unsupported canonicalisation method %(method)s.", method=algorithm)
    exclusive, with_comments = C14N_METHODS[algorithm]
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=with_comments)


def id_index(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Every element carrying an ``Id`` attribute, by Id (a list, to spot duplicates)."""
    index: dict[str, list[etree._Element]] = {}
    for element in root.iter(etree.Element):
        value = element.get("Id")
        if value is not None:
            index.setdefault(value, []).append(element)
    return index


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | None) -> bytes:
    """Strict base64 (whitespace allowed, as XML-DSig writers wrap lines)."""
    cleaned = "".join((text or "").split())
    return base64.b64decode(cleaned, validate=True)


@functools.lru_cache(maxsize=256)
def public_key_of(certificate: x509.Certificate):
    """The certificate's public key, one object per certificate: each new key object makes
    OpenSSL redo its per-key set-up on first use, which nearly doubled the cost of an RSA
    verification (a step re-verifies every earlier signature, mostly by the same teachers).
    Certificates hash and compare by their DER, and a key is a pure function of it."""
    return certificate.public_key()


def algorithm_for(certificate: x509.Certificate) -> str:
    key = public_key_of(certificate)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ECDSA_SHA256
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_SHA256
    raise SigningError(
        "The certificate's key type (%(kind)s) cannot sign records; use an RSA or EC key.",
        kind=type(key).__name__)


def to_xmldsig_value(certificate: x509.Certificate, value: bytes) -> bytes:
    """The SignatureValue bytes: RSA as is, ECDSA as r||s (XML-DSig) from DER or r||s."""
    key = public_key_of(certificate)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return value
    size = (key.curve.key_size + 7) // 8
    try:
        r, s = decode_dss_signature(value)
    except ValueError:
        if len(value) != 2 * size:
            raise SigningError("The ECDSA signature value has a wrong length.") from None
        return value
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def check_signature_value(certificate: x509.Certificate, algorithm: str, signed: bytes,
                          value: bytes) -> bool:
    """True when ``value`` (XML-DSig form) is a valid signature of ``signed``."""
    key = public_key_of(certificate)
    try:
        if algorithm == RSA_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, signed, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm == ECDSA_SHA256 and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(value) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(value[:size], "big"),
                                       int.from_bytes(value[size:], "big"))
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    return False


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def issuer_serial_v2(certificate: x509.Certificate) -> bytes:
    """DER IssuerSerial (RFC 5035): SEQUENCE { GeneralNames{directoryName}, serialNumber }."""
    name = certificate.issuer.public_bytes()
    general_names = _der(0x30, _der(0xA4, name))  # [4] EXPLICIT Name
    serial = certificate.serial_number
    serial_bytes = serial.to_bytes(serial.bit_length() // 8 + 1, "big")  # sign bit kept clear
    return _der(0x30, general_names + _der(0x02, serial_bytes))


def format_signing_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_signing_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


# --- building a signature ----------------------------------------------------------------------
def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _reference(signed_info: etree._Element, uri: str, digest: bytes, ref_type: str | None = None):
    ref = _sub(signed_info, ds("Reference"), URI=uri, Type=ref_type)
    transforms = _sub(ref, ds("Transforms"))
    _sub(transforms, ds("Transform"), Algorithm=C14N)
    _sub(ref, ds("DigestMethod"), Algorithm=SHA256)
    _sub(ref, ds("DigestValue"), b64(digest))


@functools.lru_cache(maxsize=64)
def _certificate_texts(certificate: x509.Certificate) -> tuple[str, str, str]:
    """base64 of the certificate's DER, of its SHA-256 and of its IssuerSerialV2."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return b64(der), b64(hashlib.sha256(der).digest()), b64(issuer_serial_v2(certificate))


def _xades_object(signature: etree._Element, signature_id: str,
                  certificate: x509.Certificate | None, signing_time: dt.datetime,
                  texts: tuple[str, str, str] | None = None) -> etree._Element:
    _, cert_sha256, issuer_serial = texts or _certificate_texts(certificate)
    obj = _sub(signature, ds("Object"))
    qualifying = etree.SubElement(obj, xades("QualifyingProperties"),
                                  {"Target": "#" + signature_id}, nsmap={"xades": XADES_NS})
    signed_props = _sub(qualifying, xades("SignedProperties"), Id="xades-" + signature_id)
    sig_props = _sub(signed_props, xades("SignedSignatureProperties"))
    _sub(sig_props, xades("SigningTime"), format_signing_time(signing_time))
    cert = _sub(_sub(sig_props, xades("SigningCertificateV2")), xades("Cert"))
    cert_digest = _sub(cert, xades("CertDigest"))
    _sub(cert_digest, ds("DigestMethod"), Algorithm=SHA256)
    _sub(cert_digest, ds("DigestValue"), cert_sha256)
    _sub(cert, xades("IssuerSerialV2"), issuer_serial)
    return signed_props


@dataclass
class PendingSignature:
    """A signature waiting for its value: the key must sign exactly ``signed_info_c14n``."""

    document: bytes  # the record with the ds:Signature in its slot and an empty SignatureValue
    signed_info_c14n: bytes
    digest: bytes  # sha256(signed_info_c14n), for signers that take a pre-computed hash
    signature_id: str
    role: str
    subject_code: str | None
    certificate: x509.Certificate
    algorithm: str
    reference_uris: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data (base64 / PEM strings) to keep between the two phases, e.g. in a database."""
        return {
            "document": b64(self.document),
            "signed_info_c14n": b64(self.signed_info_c14n),
            "signature_id": self.signature_id,
            "role": self.role,
            "subject_code": self.subject_code,
            "certificate": self.certificate.public_bytes(serialization.Encoding.PEM).decode(),
            "algorithm": self.algorithm,
            "reference_uris": list(self.reference_uris),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "PendingSignature":
        signed_info_c14n = b64decode(data["signed_info_c14n"])
        return cls(
            document=b64decode(data["document"]),
            signed_info_c14n=signed_info_c14n,
            digest=hashlib.sha256(signed_info_c14n).digest(),
            signature_id=data["signature_id"],
            role=data["role"],
            subject_code=data.get("subject_code"),
            certificate=x509.load_pem_x509_certificate(data["certificate"].encode()),
            algorithm=data["algorithm"],
            reference_uris=list(data.get("reference_uris", [])),
        )


def _parse_own(xml_bytes: bytes) -> etree._Element:
    if isinstance(xml_bytes, etree._Element):
        raise TypeError("prepare_signature() needs the record's bytes, not an element")
    return parse_untrusted(xml_bytes)


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def check_earlier_signatures(layout: Layout,
                             index: dict[str, list[etree._Element]] | None = None,
                             digests: dict | None = None) -> None:
    """Refuse to sign over earlier signatures that no longer match the document.

    ``digests``: see :func:`reference_checks`; filled with the digests computed here."""
    if index is None:
        index = id_index(layout.root)
    if digests is None:
        digests = {}  # one pass over an unchanged tree: each target is canonicalised once
    for slot in layout.slots():
        for signature in slot.signatures:
            problems = signature_crypto_errors(signature, index, digests)
            if problems:
                raise SigningError(
                    "The record was changed after the %(who)s signed it (%(detail)s), so it "
                    "cannot be signed further. Make a new version of the record.",
                    who=slot.label, detail=problems[0])


def _sha256_c14n(element: etree._Element) -> bytes:
    return hashlib.sha256(canonicalize(element)).digest()


def _build_signature(parent: etree._Element | None, signature_id: str,
                     certificate: x509.Certificate | None, algorithm: str,
                     signing_time: dt.datetime, xades_bes: bool, texts: tuple[str, str, str],
                     uris=(), index=None, digest_of=None):
    """A ds:Signature (empty SignatureValue) under ``parent`` (None: a detached skeleton) with
    the references ``uris`` (digests from ``digest_of(element_id, element)``), without the
    reference to its SignedProperties. Returns (signature, SignedInfo, SignatureValue,
    SignedProperties or None)."""
    attrib, nsmap = {"Id": signature_id}, {"ds": DS_NS}
    signature = etree.Element(ds("Signature"), attrib, nsmap=nsmap) if parent is None else \
        etree.SubElement(parent, ds("Signature"), attrib, nsmap=nsmap)
    signed_info = _sub(signature, ds("SignedInfo"))
    _sub(signed_info, ds("CanonicalizationMethod"), Algorithm=C14N)
    _sub(signed_info, ds("SignatureMethod"), Algorithm=algorithm)
    for uri in uris:
        _reference(signed_info, uri, digest_of(uri[1:], _only_target(index, uri)))
    value_element = _sub(signature, ds("SignatureValue"), "", Id=signature_id + "-value")
    x509_data = _sub(_sub(signature, ds("KeyInfo")), ds("X509Data"))
    _sub(x509_data, ds("X509Certificate"), texts[0])
    signed_props = None
    if xades_bes:
        signed_props = _xades_object(signature, signature_id, certificate, signing_time, texts)
    return signature, signed_info, value_element, signed_props


def _only_target(index: dict[str, list[etree._Element]], uri: str) -> etree._Element:
    targets = index.get(uri[1:], [])
    if len(targets) != 1:
        raise SigningError(
            "The record has %(count)s elements with Id %(id)s instead of one; it cannot be "
            "signed. Rebuild the record.", count=len(targets), id=uri[1:])
    return targets[0]


def _plain_digest(_element_id: str, element: etree._Element) -> bytes:
    return _sha256_c14n(element)


class _SignatureBuilder:
    """ds:Signature elements of one signing time and form, for any signer.

    With ``skeleton`` (several signatures to make), :func:`_build_signature` builds, once, a
    detached signature with empty Ids, method and certificate fields; each signature is then a
    copy of it with those fields filled in, and its references copied from one template
    Reference. Otherwise (and wherever the record itself binds the ds or XAdES namespace: a
    copy moved there would take the record's prefix), the signature is built in place. Either
    way the bytes are those of the signature built in place.
    """

    def __init__(self, signing_time: dt.datetime, xades_bes: bool, skeleton: bool = False):
        self.signing_time, self.xades_bes = signing_time, xades_bes
        self.skeleton = None
        if skeleton:
            self.skeleton = _build_signature(None, "", None, "", signing_time, xades_bes,
                                             ("", "", ""))[0]
        holder = etree.Element(_SIGNED_INFO, nsmap={"ds": DS_NS})
        _reference(holder, "", b"")
        self.reference = holder[0]

    def _add_reference(self, signed_info: etree._Element, uri: str, digest: bytes,
                       ref_type: str | None = None) -> None:
        ref = self.reference.__deepcopy__(None)
        ref.set("URI", uri)
        if ref_type is not None:
            ref.set("Type", ref_type)
        ref[-1].text = b64(digest)  # DigestValue
        signed_info.append(ref)

    def _from_skeleton(self, signature_id: str, algorithm: str,
                       texts: tuple[str, str, str]) -> tuple:
        """A copy of the skeleton with this signature's fields (positions as built by
        _build_signature and _xades_object)."""
        signature = self.skeleton.__deepcopy__(None)
        signature.set("Id", signature_id)
        signed_info, value_element, key_info = signature[0], signature[1], signature[2]
        signed_info[1].set("Algorithm", algorithm)  # SignatureMethod
        value_element.set("Id", signature_id + "-value")
        key_info[0][0].text = texts[0]  # X509Data/X509Certificate
        signed_props = None
        if self.xades_bes:
            qualifying = signature[3][0]  # Object/QualifyingProperties
            qualifying.set("Target", "#" + signature_id)
            signed_props = qualifying[0]
            signed_props.set("Id", "xades-" + signature_id)
            cert = signed_props[0][1][0]  # SignedSignatureProperties/SigningCertificateV2/Cert
            cert[0][1].text = texts[1]  # CertDigest/DigestValue
            cert[1].text = texts[2]  # IssuerSerialV2
        return signature, signed_info, value_element, signed_props

    def add(self, plan: SlotPlan, index: dict[str, list[etree._Element]],
            certificate: x509.Certificate, algorithm: str, digest_of=None,
            ) -> tuple[etree._Element, etree._Element, etree._Element | None, list[str]]:
        """Put the ds:Signature of ``plan`` (empty SignatureValue) into its slot.

        ``digest_of(element_id, element)`` gives a reference's SHA-256 over C14N (default:
        computed now). Returns the signature, its SignatureValue, its SignedProperties (or
        None) and the reference URIs in order.
        """
        digest_of = digest_of or _plain_digest
        texts = _certificate_texts(certificate)
        parent = plan.slot.element
        in_scope = parent.nsmap.values()
        if DS_NS in in_scope or XADES_NS in in_scope:
            signature, signed_info, value_element, signed_props = _build_signature(
                parent, plan.signature_id, certificate, algorithm, self.signing_time,
                self.xades_bes, texts, plan.reference_uris, index, digest_of)
            add_reference = functools.partial(_reference, signed_info)
        else:
            if self.skeleton is None:
                signature, signed_info, value_element, signed_props = _build_signature(
                    parent, plan.signature_id, certificate, algorithm, self.signing_time,
                    self.xades_bes, texts)
            else:
                signature, signed_info, value_element, signed_props = self._from_skeleton(
                    plan.signature_id, algorithm, texts)
                parent.append(signature)
            add_reference = functools.partial(self._add_reference, signed_info)
            for uri in plan.reference_uris:
                add_reference(uri, digest_of(uri[1:], _only_target(index, uri)))
        uris = list(plan.reference_uris)
        if signed_props is not None:
            uri = "#" + signed_props.get("Id")
            add_reference(uri, _sha256_c14n(signed_props), XADES_SIGNED_PROPERTIES_TYPE)
            uris.append(uri)
        return signature, value_element, signed_props, uris


def _check_new_id(index: dict[str, list[etree._Element]], signature_id: str) -> None:
    if signature_id in index or ("xades-" + signature_id) in index:
        raise SigningError(
            "The record already holds an element with Id %(id)s; it cannot be signed twice.",
            id=signature_id)


def prepare_signature(xml_bytes: bytes, role: str, certificate: x509.Certificate,
                      subject_code: str | None = None, signing_time: dt.datetime | None = None,
                      xades_bes: bool = True) -> PendingSignature:
    """Phase one: put the signature (without its value) into its slot and say what to sign."""
    root = _parse_own(xml_bytes)
    layout = Layout.of(root)
    check_order(layout, role, subject_code)
    index = id_index(root)
    check_earlier_signatures(layout, index)
    plan = plan_signature(layout, role, subject_code)
    algorithm = algorithm_for(certificate)
    if signing_time is None:
        signing_time = dt.datetime.now(dt.timezone.utc)
    _check_new_id(index, plan.signature_id)
    builder = _SignatureBuilder(signing_time, xades_bes)
    _, _, _, uris = builder.add(plan, index, certificate, algorithm)

    document = _serialize(root)
    # Canonicalise from the serialised bytes, exactly as a verifier will see them: the key may
    # sign much later, elsewhere, and only this document is kept.
    reread = parse_untrusted(document)
    signed_info = _find_signature(reread, plan.signature_id).find(ds("SignedInfo"))
    signed_info_c14n = canonicalize(signed_info)
    return PendingSignature(
        document=document,
        signed_info_c14n=signed_info_c14n,
        digest=hashlib.sha256(signed_info_c14n).digest(),
        signature_id=plan.signature_id,
        role=role,
        subject_code=subject_code,
        certificate=certificate,
        algorithm=algorithm,
        reference_uris=uris,
    )


def _find_signature(root: etree._Element, signature_id: str) -> etree._Element:
    for signature in root.iter(ds("Signature")):
        if signature.get("Id") == signature_id:
            return signature
    raise SigningError(
        "The pending document has no signature %(id)s. Start the signing again.", id=signature_id)


def _checked_value(certificate: x509.Certificate, algorithm: str, signed: bytes,
                   signature_value: bytes) -> bytes:
    """``signature_value`` in XML-DSig form once it is known to be a valid signature of
    ``signed`` by ``certificate``; SigningError otherwise."""
    try:
        value = to_xmldsig_value(certificate, bytes(signature_value))
    except SigningError:
        value = b""
    if not check_signature_value(certificate, algorithm, signed, value):
        raise SigningError(
            "The signature value returned by the key does not match the certificate %(subject)s. "
            "Check that the right token or certificate was used, then sign again.",
            subject=certificate.subject.rfc4514_string())
    return value


def complete_signature(pending: PendingSignature, signature_value: bytes) -> bytes:
    """Phase two: write the value into the pending signature after checking it is valid."""
    root = parse_untrusted(pending.document)
    signature = _find_signature(root, pending.signature_id)
    value_element = signature.find(ds("SignatureValue"))
    if value_element is None or (value_element.text or "").strip():
        raise SigningError(
            "Signature %(id)s already has a value. Start the signing again.",
            id=pending.signature_id)
    in_document = signature_certificates(signature)
    if canonicalize(signature.find(ds("SignedInfo"))) != pending.signed_info_c14n or \
            not in_document or in_document[0] != pending.certificate:
        raise SigningError(
            "The pending document was changed while waiting for the signature. "
            "Start the signing again.")
    value = _checked_value(pending.certificate, pending.algorithm, pending.signed_info_c14n,
                           signature_value)
    value_element.text = b64(value)
    return _serialize(root)


@dataclass
class MadeSignature:
    """A signature made by :func:`sign_slots_made`: what a signing log keeps of it, and what
    the safety net re-checks."""

    role: str
    subject_code: str | None
    signature_id: str
    certificate: x509.Certificate
    certificate_text: str  # base64 DER, as written in KeyInfo
    reference_uris: list[str]
    digest: bytes  # SHA-256 of the canonical SignedInfo the key signed
    value: bytes = b""  # the SignatureValue written, checked against the certificate


def sign_slots(xml_bytes: bytes, steps, signing_time: dt.datetime | None = None,
               xades_bes: bool = True) -> bytes:
    """:func:`sign_slots_made` without the list of signatures made."""
    return sign_slots_made(xml_bytes, steps, signing_time, xades_bes)[0]


def sign_slots_made(xml_bytes: bytes, steps, signing_time: dt.datetime | None = None,
                    xades_bes: bool = True) -> tuple[bytes, list[MadeSignature]]:
    """Sign several slots in one go: ``steps`` is a sequence of (role, signer, subject_code or
    None), applied in order (e.g. every GVBM, then GVCN, CBQL and the issuer).

    The result is the same as calling :func:`sign_slot` once per step (same signatures, same
    references; later signatures cover the values of the earlier ones), but the record is
    parsed and serialised once: the order of every step and the signatures already in the
    record are checked before any key is used, digests of elements that do not change between
    steps (the payload, the finished signatures) are computed once, and each value is checked
    against its certificate before it is written. As a safety net the written record is parsed
    again and every new signature is verified as a verifier would (its digests recomputed, its
    value verified again unless the canonical SignedInfo, the value and the certificate are
    byte for byte those already verified); any difference raises SigningError and nothing is
    returned. No steps: ``xml_bytes`` unchanged.

    Returns the signed record and, in order, the signatures made.
    """
    steps = [(role, signer, subject_code) for role, signer, subject_code in steps]
    root = _parse_own(xml_bytes)
    if not steps:
        return bytes(xml_bytes), []
    layout = Layout.of(root)
    index = id_index(root)
    # Every step's order and slot, before any key is used (same errors as sign_slot's).
    planned: list[Slot] = []
    for role, _signer, subject_code in steps:
        check_order(layout, role, subject_code, planned)
        planned.append(layout.slot(role, subject_code))
    checked: dict = {}  # (element, c14n method, hash) -> digest, from the earlier signatures
    check_earlier_signatures(layout, index, checked)
    for role, signer, subject_code in steps:
        plan = plan_signature(layout, role, subject_code)
        algorithm_for(signer.certificate)  # a key type that cannot sign records is refused now
        _check_new_id(index, plan.signature_id)
    if signing_time is None:
        signing_time = dt.datetime.now(dt.timezone.utc)

    # Only the slots and their ancestors change between steps; any other reference target
    # (the payload, a subject's results, a finished signature) is canonicalised once.
    changing = set()
    for slot in planned:
        changing.add(slot.element)
        changing.update(slot.element.iterancestors())
    cache: dict[str, tuple[etree._Element, bytes]] = {}

    def digest_of(element_id: str, element: etree._Element) -> bytes:
        hit = cache.get(element_id)
        if hit is not None and hit[0] is element:
            return hit[1]
        if element in changing:
            return _sha256_c14n(element)
        # an element the earlier signatures' check already canonicalised, unchanged since
        digest = checked.get((element, C14N, hashlib.sha256)) or _sha256_c14n(element)
        cache[element_id] = (element, digest)
        return digest

    builder = _SignatureBuilder(signing_time, xades_bes, skeleton=len(steps) > 1)
    made: list[MadeSignature] = []
    for role, signer, subject_code in steps:
        check_order(layout, role, subject_code)  # now with the earlier steps in the tree
        plan = plan_signature(layout, role, subject_code)
        certificate = signer.certificate
        algorithm = algorithm_for(certificate)
        signature, value_element, signed_props, uris = builder.add(plan, index, certificate,
                                                                   algorithm, digest_of)
        for element in (signature, value_element, signed_props):
            if element is not None:
                index.setdefault(element.get("Id"), []).append(element)
        signed = canonicalize(signature[0])  # SignedInfo
        value = _checked_value(certificate, algorithm, signed, signer.sign(signed))
        value_element.text = b64(value)
        made.append(MadeSignature(role, subject_code, plan.signature_id, certificate,
                                  _certificate_texts(certificate)[0], uris,
                                  hashlib.sha256(signed).digest(), value))

    document = _serialize(root)
    _check_written(document, made)
    return document, made


def _check_written(document: bytes, made: list[MadeSignature]) -> None:
    """Parse ``document`` again and verify each new signature as a verifier would."""
    root = parse_untrusted(document)
    layout = Layout.of(root)
    index = id_index(root)
    digests: dict = {}
    for entry in made:
        slot = layout.slot(entry.role, entry.subject_code)
        signatures = slot.signatures
        problems = []
        if len(signatures) != 1 or signatures[0].get("Id") != entry.signature_id:
            problems.append("its slot does not hold exactly the new signature")
        else:
            signature = signatures[0]
            # every digest is computed again on the parsed bytes; the RSA/ECDSA check of the
            # value is not repeated when the canonical SignedInfo, the value and the
            # certificate are the very ones checked before the value was written
            problems = signature_crypto_errors(signature, index, digests,
                                               checked=(entry.digest, entry.value,
                                                        entry.certificate))
            uris = [ref.get("URI") for ref in signature.find(_SIGNED_INFO)
                    if ref.tag == _REFERENCE]
            if uris != entry.reference_uris:
                problems.append("its references are not the planned ones")
            written = signature.findtext("/".join(
                (ds("KeyInfo"), ds("X509Data"), ds("X509Certificate"))))
            if written != entry.certificate_text:
                problems.append("its KeyInfo does not hold the signer's certificate")
        if problems:
            raise SigningError(
                "The record was changed after the %(who)s signed it (%(detail)s), so it "
                "cannot be signed further. Make a new version of the record.",
                who=slot.label, detail=problems[0])


def sign_slot(xml_bytes: bytes, role: str, signer: Signer, subject_code: str | None = None,
              signing_time: dt.datetime | None = None, xades_bes: bool = True) -> bytes:
    """Sign one slot in one go: the same checks and bytes as prepare + sign + complete, with
    the record parsed once (see :func:`sign_slots`)."""
    return sign_slots(xml_bytes, [(role, signer, subject_code)], signing_time,
                      xades_bes=xades_bes)


# --- checking one signature's cryptography (used before counter-signing and by verify) -------
@dataclass
class ReferenceCheck:
    uri: str
    target: etree._Element | None
    digest_ok: bool
    error: str = ""


def reference_checks(signature: etree._Element, index: dict[str, list[etree._Element]],
                     digests: dict | None = None) -> list[ReferenceCheck]:
    """Recompute every reference digest of ``signature``; errors are clerk-readable strings.

    ``digests``: a dict kept across calls over the same, unchanged tree, so an element that
    several signatures reference is canonicalised and hashed once.
    """
    checks = []
    signed_info = signature.find(_SIGNED_INFO)
    if signed_info is None:
        return [ReferenceCheck("", None, False, Problem("The signature has no SignedInfo."))]
    for ref in signed_info:  # plain iteration: much cheaper in lxml than a tag filter
        if ref.tag != _REFERENCE:
            continue
        uri = ref.get("URI")
        if uri is None or not uri.startswith("#") or len(uri) < 2:
            checks.append(ReferenceCheck(uri or "", None, False, Problem(
                "Reference \"%(uri)s\" is not a same-document #Id reference.", uri=uri or "")))
            continue
        targets = index.get(uri[1:], [])
        if len(targets) != 1:
            checks.append(ReferenceCheck(uri, None, False, Problem(
                "Reference %(uri)s matches %(count)s elements instead of one.", uri=uri,
                count=len(targets))))
            continue
        # One pass over the Reference's children: every Transforms/Transform, the first
        # DigestMethod and the first DigestValue (as findall / find / findtext would give).
        algorithm = C14N
        bad_transform = None
        method = digest_text = None
        for child in ref:
            tag = child.tag
            if tag == _TRANSFORMS:
                for transform in child:
                    if transform.tag != _TRANSFORM:
                        continue
                    transform_method = transform.get("Algorithm")
                    if transform_method in C14N_METHODS:
                        algorithm = transform_method
                    else:
                        bad_transform = transform_method
            elif tag == _DIGEST_METHOD:
                if method is None:
                    method = child
            elif tag == _DIGEST_VALUE and digest_text is None:
                digest_text = child.text or ""
        if bad_transform is not None:
            checks.append(ReferenceCheck(uri, targets[0], False, Problem(
                "Reference %(uri)s uses the transform %(transform)s, which is not accepted.",
                uri=uri, transform=bad_transform)))
            continue
        hasher = DIGEST_METHODS.get(method.get("Algorithm") if method is not None else None)
        if hasher is None:
            checks.append(ReferenceCheck(uri, targets[0], False, Problem(
                "Reference %(uri)s uses an unsupported digest method.", uri=uri)))
            continue
        try:
            expected = b64decode(digest_text)
        except (binascii.Error, ValueError):
            expected = b""
        memo_key = (targets[0], algorithm, hasher)
        actual = digests.get(memo_key) if digests is not None else None
        if actual is None:
            actual = hasher(canonicalize(targets[0], algorithm)).digest()
            if digests is not None:
                digests[memo_key] = actual
        ok = expected == actual
        checks.append(ReferenceCheck(uri, targets[0], ok,
                                     "" if ok else Problem(
                                         "The content of %(uri)s was changed after signing "
                                         "(digest mismatch).", uri=uri)))
    if not checks:
        checks.append(ReferenceCheck("", None, False, Problem("The signature has no references.")))
    return checks


def signature_certificates(signature: etree._Element) -> list[x509.Certificate]:
    """The certificates in KeyInfo/X509Data, the signer's leaf first."""
    certificates = []
    path = "/".join((ds("KeyInfo"), ds("X509Data"), ds("X509Certificate")))
    for text in signature.findall(path):
        certificates.append(_load_der_certificate(b64decode(text.text)))
    return certificates


@functools.lru_cache(maxsize=256)
def _load_der_certificate(der: bytes) -> x509.Certificate:
    """Certificates are immutable: the same DER (the same teacher on many records) is parsed
    once."""
    return x509.load_der_x509_certificate(der)


def signature_value_ok(signature: etree._Element, certificate: x509.Certificate,
                       checked: tuple | None = None) -> tuple[bool, str]:
    """Whether SignatureValue is a valid signature of c14n(SignedInfo) by ``certificate``.

    ``checked``: (SHA-256 of a canonical SignedInfo, value, certificate) already found valid;
    when the signature has exactly those, the answer is the same and is not computed again."""
    signed_info = signature.find(ds("SignedInfo"))
    if signed_info is None:
        return False, Problem("The signature has no SignedInfo.")
    c14n_method = signed_info.find(ds("CanonicalizationMethod"))
    c14n_uri = c14n_method.get("Algorithm") if c14n_method is not None else None
    if c14n_uri not in C14N_METHODS:
        return False, Problem("Unsupported canonicalisation method %(method)s.", method=c14n_uri)
    sig_method = signed_info.find(ds("SignatureMethod"))
    algorithm = sig_method.get("Algorithm") if sig_method is not None else None
    if algorithm not in SIGNATURE_METHODS:
        return False, Problem("Unsupported signature method %(method)s.", method=algorithm)
    try:
        value = b64decode(signature.findtext(ds("SignatureValue")))
    except (binascii.Error, ValueError):
        return False, Problem("The signature value is not valid base64.")
    if not value:
        return False, Problem("The signature has no value (signing was not completed).")
    signed = canonicalize(signed_info, c14n_uri)
    if checked is not None and checked == (hashlib.sha256(signed).digest(), value, certificate):
        return True, ""
    if not check_signature_value(certificate, algorithm, signed, value):
        return False, Problem("The signature value does not match the signed content and "
                              "certificate.")
    return True, ""


def signature_crypto_errors(signature: etree._Element, index: dict[str, list[etree._Element]],
                            digests: dict | None = None, checked: tuple | None = None
                            ) -> list[str]:
    """Digest and signature-value problems of one signature (no trust checks); empty if fine.

    ``digests``: see :func:`reference_checks`; ``checked``: see :func:`signature_value_ok`."""
    errors = [check.error for check in reference_checks(signature, index, digests)
              if not check.digest_ok]
    try:
        certificates = signature_certificates(signature)
    except (ValueError, binascii.Error):
        certificates = []
    if not certificates:
        return errors + [Problem("The signature carries no readable signer certificate.")]
    ok, problem = signature_value_ok(signature, certificates[0], checked)
    if not ok:
        errors.append(problem)
    return errors
