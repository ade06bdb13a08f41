"""XML-DSig building blocks shared by signing and checking: namespaces, algorithm URIs,
canonicalisation, base64, keys and signature values, the XAdES IssuerSerialV2 and signing time.

Form used by every hocbaso signature: C14N 1.0 (inclusive, without comments), SHA-256 digests,
RSA-SHA256 or ECDSA-SHA256 by key type.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from ..errors import SigningError
from ..safexml import parse_untrusted
from ..timeutil import parse_iso, xml_datetime
from .base import ECDSA_SHA256, RSA_SHA256
from .memo import per_object

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


def first_child(element: etree._Element, tag: str) -> etree._Element | None:
    """``element.find(tag)`` for one plain tag: a verification asks about ten of these per
    signature, and lxml's ElementPath takes about 1.7 µs a call where a loop over the few
    children of a signature's elements takes 0.3 µs (bench machine)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def children_at(element: etree._Element, *tags: str) -> list[etree._Element]:
    """``element.findall("t1/t2/...")`` for plain tags, in the same (document) order; see
    :func:`first_child`."""
    found = [child for child in element if child.tag == tags[0]]
    for tag in tags[1:]:
        found = [child for parent in found for child in parent if child.tag == tag]
    return found


def canonicalize(element: etree._Element, algorithm: str = C14N) -> bytes:
    """C14N of ``element`` in its document (inherited namespaces included for inclusive C14N)."""
    if algorithm not in C14N_METHODS:
        raise SigningError("Unsupported canonicalisation method %(method)s.", method=algorithm)
    exclusive, with_comments = C14N_METHODS[algorithm]
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=with_comments)


def id_index(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Every element carrying an ``Id`` attribute, by Id (a list, to spot duplicates)."""
    index: dict[str, list[etree._Element]] = {}
    for element in _WITH_ID(root):  # in C: only the elements that carry an Id
        index.setdefault(element.get("Id"), []).append(element)
    return index


_WITH_ID = etree.XPath("descendant-or-self::*[@Id]")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | None) -> bytes:
    """Strict base64 (whitespace allowed, as XML-DSig writers wrap lines). binascii's strict
    mode refuses what ``base64.b64decode(validate=True)`` refuses, without its regular
    expression: a verification decodes about 90 values."""
    cleaned = "".join((text or "").split())
    return binascii.a2b_base64(cleaned.encode("ascii"), strict_mode=True)


@per_object(maxsize=256)
def public_key_of(certificate: x509.Certificate):
    """The certificate's public key, one object per certificate: OpenSSL does its per-key
    set-up once per key object, and each signing step re-verifies every earlier signature,
    mostly made by the same few teachers. Certificates hash and compare by their DER, and a key
    is a pure function of it, so the cache cannot return another certificate's key."""
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


@per_object(maxsize=256)
def _key_kind(certificate: x509.Certificate) -> str:
    """RSA_SHA256 or ECDSA_SHA256 as the certificate's key allows, "" for another key: read
    once per certificate, as ``isinstance`` against cryptography's abstract key classes costs
    a few µs each time (twice per signature checked)."""
    key = public_key_of(certificate)
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_SHA256
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ECDSA_SHA256
    return ""


# stateless and immutable: shared by every verification
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(_SHA256)


def check_signature_value(certificate: x509.Certificate, algorithm: str, signed: bytes,
                          value: bytes) -> bool:
    """True when ``value`` (XML-DSig form) is a valid signature of ``signed``."""
    kind = _key_kind(certificate)
    if not kind or algorithm != kind:
        return False
    key = public_key_of(certificate)
    try:
        if kind == RSA_SHA256:
            key.verify(value, signed, _PKCS1V15, _SHA256)
            return True
        size = (key.curve.key_size + 7) // 8
        if len(value) != 2 * size:
            return False
        der = encode_dss_signature(int.from_bytes(value[:size], "big"),
                                   int.from_bytes(value[size:], "big"))
        key.verify(der, signed, _ECDSA_SHA256)
        return True
    except InvalidSignature:
        return False


def issuer_serial_v2(certificate: x509.Certificate) -> bytes:
    """DER IssuerSerial (RFC 5035): SEQUENCE { GeneralNames{directoryName}, serialNumber }."""
    issuer = asn1_x509.Name.load(certificate.issuer.public_bytes())
    return asn1_cms.IssuerSerial({
        "issuer": [asn1_x509.GeneralName(name="directory_name", value=issuer)],
        "serial": certificate.serial_number,
    }).dump()


def format_signing_time(moment: dt.datetime) -> str:
    return xml_datetime(moment)


def parse_signing_time(text: str) -> dt.datetime:
    return parse_iso(text)


def sha256_c14n(element: etree._Element) -> bytes:
    return hashlib.sha256(canonicalize(element)).digest()


def parse_record(xml_bytes: bytes) -> etree._Element:
    """The record's root from its bytes (an element is refused: signing works on bytes)."""
    if isinstance(xml_bytes, etree._Element):
        raise TypeError("prepare_signature() needs the record's bytes, not an element")
    return parse_untrusted(xml_bytes)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
