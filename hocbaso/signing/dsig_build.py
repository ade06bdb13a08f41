"""Building signatures into their slots: in one go (:func:`sign_slots`) when the keys are
at hand, or in two phases (:func:`prepare_signature`, then :func:`complete_signature`) when
the key signs elsewhere: a token driven from the browser or a remote signing service.

XAdES-BES (on by default) adds SignedProperties with SigningTime, SigningCertificateV2 and
the record's ID and version (a CommitmentTypeIndication, see :mod:`.dsig_binding`), which bind
the signature to the record it was made for.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from ..errors import SigningError
from ..safexml import parse_untrusted
from ..timeutil import now_utc
from .base import Signer
from .dsig_binding import RecordIdentity, add_binding, identity_to_sign, read_binding
from .dsig_check import (
    _CERTIFICATE_PATH,
    check_earlier_signatures,
    signature_certificates,
    signature_crypto_errors,
)
from .dsig_layout import (
    SIGNED_PROPERTIES_PREFIX,
    Layout,
    Slot,
    SlotPlan,
    check_order,
    plan_signature,
)
from .dsig_primitives import (
    _REFERENCE,
    _SIGNED_INFO,
    C14N,
    DS_NS,
    SHA256,
    XADES_NS,
    XADES_SIGNED_PROPERTIES_TYPE,
    algorithm_for,
    b64,
    b64decode,
    canonicalize,
    check_signature_value,
    ds,
    format_signing_time,
    id_index,
    issuer_serial_v2,
    parse_record,
    serialize,
    sha256_c14n,
    to_xmldsig_value,
    xades,
)
from .timestamp import TIMESTAMP_PATH, add_timestamp_element, signature_value_digest


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def append_reference(signed_info: etree._Element, uri: str, digest: bytes,
                     ref_type: str | None = None) -> None:
    """A ds:Reference to ``uri`` (C14N transform, SHA-256 ``digest``) at the end of SignedInfo."""
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
                  texts: tuple[str, str, str] | None = None,
                  binding: RecordIdentity | None = None) -> etree._Element:
    _, cert_sha256, issuer_serial = texts or _certificate_texts(certificate)
    obj = _sub(signature, ds("Object"))
    qualifying = etree.SubElement(obj, xades("QualifyingProperties"),
                                  {"Target": "#" + signature_id}, nsmap={"xades": XADES_NS})
    signed_props = _sub(qualifying, xades("SignedProperties"),
                        Id=SIGNED_PROPERTIES_PREFIX + signature_id)
    sig_props = _sub(signed_props, xades("SignedSignatureProperties"))
    _sub(sig_props, xades("SigningTime"), format_signing_time(signing_time))
    cert = _sub(_sub(sig_props, xades("SigningCertificateV2")), xades("Cert"))
    cert_digest = _sub(cert, xades("CertDigest"))
    _sub(cert_digest, ds("DigestMethod"), Algorithm=SHA256)
    _sub(cert_digest, ds("DigestValue"), cert_sha256)
    _sub(cert, xades("IssuerSerialV2"), issuer_serial)
    if binding is not None:
        add_binding(signed_props, binding)
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



def _build_signature(parent: etree._Element | None, signature_id: str,
                     certificate: x509.Certificate | None, algorithm: str,
                     signing_time: dt.datetime, xades_bes: bool, texts: tuple[str, str, str],
                     uris=(), index=None, digest_of=None, binding=None):
    """A ds:Signature (empty SignatureValue) under ``parent`` (None: a detached skeleton) with
    the references ``uris`` (digests from ``digest_of(element_id, element)``), without the
    reference to its SignedProperties; ``binding``: the record its XAdES properties name.
    Returns (signature, SignedInfo, SignatureValue, SignedProperties or None)."""
    attrib, nsmap = {"Id": signature_id}, {"ds": DS_NS}
    signature = etree.Element(ds("Signature"), attrib, nsmap=nsmap) if parent is None else \
        etree.SubElement(parent, ds("Signature"), attrib, nsmap=nsmap)
    signed_info = _sub(signature, ds("SignedInfo"))
    _sub(signed_info, ds("CanonicalizationMethod"), Algorithm=C14N)
    _sub(signed_info, ds("SignatureMethod"), Algorithm=algorithm)
    for uri in uris:
        append_reference(signed_info, uri, digest_of(uri[1:], _only_target(index, uri)))
    value_element = _sub(signature, ds("SignatureValue"), "", Id=signature_id + "-value")
    x509_data = _sub(_sub(signature, ds("KeyInfo")), ds("X509Data"))
    _sub(x509_data, ds("X509Certificate"), texts[0])
    signed_props = None
    if xades_bes:
        signed_props = _xades_object(signature, signature_id, certificate, signing_time, texts,
                                     binding)
    return signature, signed_info, value_element, signed_props


def _only_target(index: dict[str, list[etree._Element]], uri: str) -> etree._Element:
    targets = index.get(uri[1:], [])
    if len(targets) != 1:
        raise SigningError(
            "The record has %(count)s elements with Id %(id)s instead of one; it cannot be "
            "signed. Rebuild the record.", count=len(targets), id=uri[1:])
    return targets[0]


def _plain_digest(_element_id: str, element: etree._Element) -> bytes:
    return sha256_c14n(element)


class _SignatureBuilder:
    """ds:Signature elements of one signing time and form, for any signer.

    With ``skeleton`` (several signatures to make), :func:`_build_signature` builds, once, a
    detached signature with empty Ids, method and certificate fields; each signature is then a
    copy of it with those fields filled in, and its references copied from one template
    Reference. Otherwise (and wherever the record itself binds the ds or XAdES namespace: a
    copy moved there would take the record's prefix), the signature is built in place. Either
    way the bytes are those of the signature built in place.
    """

    def __init__(self, signing_time: dt.datetime, xades_bes: bool, skeleton: bool = False,
                 binding: RecordIdentity | None = None):
        self.signing_time, self.xades_bes, self.binding = signing_time, xades_bes, binding
        self.skeleton = None
        if skeleton:  # one record per builder: the skeleton names it already
            self.skeleton = _build_signature(None, "", None, "", signing_time, xades_bes,
                                             ("", "", ""), binding=binding)[0]
        holder = etree.Element(_SIGNED_INFO, nsmap={"ds": DS_NS})
        append_reference(holder, "", b"")
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
            signed_props.set("Id", SIGNED_PROPERTIES_PREFIX + signature_id)
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
                self.xades_bes, texts, plan.reference_uris, index, digest_of, self.binding)
            add_reference = functools.partial(append_reference, signed_info)
        else:
            if self.skeleton is None:
                signature, signed_info, value_element, signed_props = _build_signature(
                    parent, plan.signature_id, certificate, algorithm, self.signing_time,
                    self.xades_bes, texts, binding=self.binding)
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
            add_reference(uri, sha256_c14n(signed_props), XADES_SIGNED_PROPERTIES_TYPE)
            uris.append(uri)
        return signature, value_element, signed_props, uris


def _check_new_id(index: dict[str, list[etree._Element]], signature_id: str) -> None:
    if signature_id in index or (SIGNED_PROPERTIES_PREFIX + signature_id) in index:
        raise SigningError(
            "The record already holds an element with Id %(id)s; it cannot be signed twice.",
            id=signature_id)


def prepare_signature(xml_bytes: bytes, role: str, certificate: x509.Certificate,
                      subject_code: str | None = None, signing_time: dt.datetime | None = None,
                      xades_bes: bool = True) -> PendingSignature:
    """Phase one: put the signature (without its value) into its slot and say what to sign."""
    root = parse_record(xml_bytes)
    layout = Layout.of(root)
    check_order(layout, role, subject_code)
    index = id_index(root)
    check_earlier_signatures(layout, index)
    plan = plan_signature(layout, role, subject_code)
    algorithm = algorithm_for(certificate)
    if signing_time is None:
        signing_time = now_utc()
    _check_new_id(index, plan.signature_id)
    builder = _SignatureBuilder(signing_time, xades_bes,
                                binding=identity_to_sign(root) if xades_bes else None)
    _, _, _, uris = builder.add(plan, index, certificate, algorithm)

    document = serialize(root)
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
    return serialize(root)


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
    timestamp: bytes = b""  # the RFC 3161 token added over the value (``timestamp=``), if any
    timestamp_digest: bytes = b""  # what that token covers: SHA-256 of c14n(SignatureValue)


def sign_slots(xml_bytes: bytes, steps, signing_time: dt.datetime | None = None,
               xades_bes: bool = True, timestamp=None) -> bytes:
    """:func:`sign_slots_made` without the list of signatures made."""
    return sign_slots_made(xml_bytes, steps, signing_time, xades_bes, timestamp)[0]


def sign_slots_made(xml_bytes: bytes, steps, signing_time: dt.datetime | None = None,
                    xades_bes: bool = True, timestamp=None,
                    ) -> tuple[bytes, list[MadeSignature]]:
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

    ``timestamp``: a callable taking the SHA-256 of a new signature's canonical SignatureValue
    and giving a checked RFC 3161 token (``TimestampClient(...).stamp``); each signature is
    then timestamped (XAdES SignatureTimeStamp) right after its value is written, before the
    next step covers it.

    Returns the signed record and, in order, the signatures made.
    """
    steps = [(role, signer, subject_code) for role, signer, subject_code in steps]
    root = parse_record(xml_bytes)
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
    binding = identity_to_sign(root) if xades_bes else None
    if signing_time is None:
        signing_time = now_utc()

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
            return sha256_c14n(element)
        # an element the earlier signatures' check already canonicalised, unchanged since
        digest = checked.get((element, C14N, hashlib.sha256)) or sha256_c14n(element)
        cache[element_id] = (element, digest)
        return digest

    builder = _SignatureBuilder(signing_time, xades_bes, skeleton=len(steps) > 1,
                                binding=binding)
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
        entry = MadeSignature(role, subject_code, plan.signature_id, certificate,
                              _certificate_texts(certificate)[0], uris,
                              hashlib.sha256(signed).digest(), value)
        if timestamp is not None:
            entry.timestamp_digest = signature_value_digest(signature)
            entry.timestamp = bytes(timestamp(entry.timestamp_digest))
            add_timestamp_element(signature, entry.timestamp)
        made.append(entry)

    document = serialize(root)
    _check_written(document, made, binding)
    return document, made


def _check_written(document: bytes, made: list[MadeSignature],
                   binding: RecordIdentity | None = None) -> None:
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
            written = signature.findtext("/".join(_CERTIFICATE_PATH))
            if written != entry.certificate_text:
                problems.append("its KeyInfo does not hold the signer's certificate")
            if entry.timestamp and (
                    signature_value_digest(signature) != entry.timestamp_digest
                    or b64decode(signature.findtext(
                        TIMESTAMP_PATH + "/" + xades("EncapsulatedTimeStamp"))) != entry.timestamp):
                problems.append("its timestamp does not cover its value")
            if read_binding(next(signature.iter(xades("SignedProperties")), None)) != binding:
                problems.append("it does not name the record it was made for")
        if problems:
            raise SigningError(
                "The record was changed after the %(who)s signed it (%(detail)s), so it "
                "cannot be signed further. Make a new version of the record.",
                who=slot.label, detail=problems[0])


def sign_slot(xml_bytes: bytes, role: str, signer: Signer, subject_code: str | None = None,
              signing_time: dt.datetime | None = None, xades_bes: bool = True,
              timestamp=None) -> bytes:
    """Sign one slot in one go: the same checks and bytes as prepare + sign + complete, with
    the record parsed once (see :func:`sign_slots`)."""
    return sign_slots(xml_bytes, [(role, signer, subject_code)], signing_time,
                      xades_bes=xades_bes, timestamp=timestamp)


