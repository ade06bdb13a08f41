"""Checking one signature's cryptography: reference digests, certificates in KeyInfo and
the signature value. Used before counter-signing (an earlier signature must still hold) and
by hocbaso.verify; trust in the certificate is checked elsewhere (hocbaso.signing.certs).
"""

from __future__ import annotations

import binascii
import functools
import hashlib
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from ..errors import Problem, SigningError
from .dsig_layout import Layout, changed_reference
from .dsig_primitives import (
    _DIGEST_METHOD,
    _DIGEST_VALUE,
    _REFERENCE,
    _SIGNED_INFO,
    _TRANSFORM,
    _TRANSFORMS,
    C14N,
    C14N_METHODS,
    DIGEST_METHODS,
    SIGNATURE_METHODS,
    b64decode,
    canonicalize,
    check_signature_value,
    children_at,
    ds,
    first_child,
    id_index,
)


_C14N_METHOD = ds("CanonicalizationMethod")
_SIGNATURE_METHOD = ds("SignatureMethod")
_SIGNATURE_VALUE = ds("SignatureValue")


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
    signed_info = first_child(signature, _SIGNED_INFO)
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
        checks.append(ReferenceCheck(uri, targets[0], ok, "" if ok else changed_reference(uri)))
    if not checks:
        checks.append(ReferenceCheck("", None, False, Problem("The signature has no references.")))
    return checks


def signature_certificates(signature: etree._Element) -> list[x509.Certificate]:
    """The certificates in KeyInfo/X509Data, the signer's leaf first."""
    return [_load_certificate_text(element.text or "")
            for element in children_at(signature, *_CERTIFICATE_PATH)]


_CERTIFICATE_PATH = (ds("KeyInfo"), ds("X509Data"), ds("X509Certificate"))


@functools.lru_cache(maxsize=256)
def _load_certificate_text(text: str) -> x509.Certificate:
    """Certificates are immutable: the same base64 text (the same teacher on many records) is
    decoded and parsed once. Keyed by the text itself: equal texts decode to equal DER."""
    return x509.load_der_x509_certificate(b64decode(text))


def signature_value_ok(signature: etree._Element, certificate: x509.Certificate,
                       checked: tuple | None = None) -> tuple[bool, str]:
    """Whether SignatureValue is a valid signature of c14n(SignedInfo) by ``certificate``.

    ``checked``: (SHA-256 of a canonical SignedInfo, value, certificate) already found valid;
    when the signature has exactly those, the answer is the same and is not computed again."""
    signed_info = first_child(signature, _SIGNED_INFO)
    if signed_info is None:
        return False, Problem("The signature has no SignedInfo.")
    c14n_method = first_child(signed_info, _C14N_METHOD)
    c14n_uri = c14n_method.get("Algorithm") if c14n_method is not None else None
    if c14n_uri not in C14N_METHODS:
        return False, Problem("Unsupported canonicalisation method %(method)s.", method=c14n_uri)
    sig_method = first_child(signed_info, _SIGNATURE_METHOD)
    algorithm = sig_method.get("Algorithm") if sig_method is not None else None
    if algorithm not in SIGNATURE_METHODS:
        return False, Problem("Unsupported signature method %(method)s.", method=algorithm)
    value_element = first_child(signature, _SIGNATURE_VALUE)
    try:
        value = b64decode(value_element.text if value_element is not None else None)
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

