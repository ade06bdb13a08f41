"""Correction before issuance: take signatures out of a record and carry the ones that still
hold into the document rebuilt from the corrected results.

A subject teacher signs only her subject's element (``mon-<code>``); the homeroom teacher, the
leadership and the issuer sign the whole data and the signatures before theirs. So a corrected
subject withdraws its own signature and every later one, and the other subjects' signatures
stay valid as long as their elements did not change, which :func:`carry_over` checks.
"""

from __future__ import annotations

from ..errors import SigningError
from ..safexml import parse_untrusted
from .dsig_check import signature_crypto_errors
from .dsig_layout import ROLE_GVBM, Layout
from .dsig_primitives import id_index, serialize


def signature_ids_after(xml_bytes: bytes, subject_codes=()) -> list[str]:
    """Ids of the signatures a correction of ``subject_codes`` (none: the homeroom teacher's
    part) withdraws: those subjects' own and every signature past the subject teachers'."""
    layout = Layout.of(parse_untrusted(xml_bytes))
    wanted = set(subject_codes)
    ids = []
    for slot in layout.slots():
        if slot.role == ROLE_GVBM and slot.subject_code not in wanted:
            continue
        ids.extend(signature.get("Id") for signature in slot.signatures)
    return ids


def withdraw(xml_bytes: bytes, signature_ids) -> bytes:
    """The document without the signatures ``signature_ids``; refuses an Id it lacks."""
    root = parse_untrusted(xml_bytes)
    layout = Layout.of(root)
    remaining = set(signature_ids)
    for slot in layout.slots():
        for signature in slot.signatures:
            if signature.get("Id") in remaining:
                remaining.discard(signature.get("Id"))
                slot.element.remove(signature)
    if remaining:
        raise SigningError("The record has no signature %(ids)s to withdraw.",
                           ids=", ".join(sorted(remaining)))
    return serialize(root)


def carry_over(signed_xml: bytes, rebuilt_xml: bytes) -> bytes:
    """``rebuilt_xml`` with every signature of ``signed_xml`` placed in the same slot.

    Each carried signature is checked again on the new document (its references' digests and
    its value): one whose content changed is refused, naming who must sign again, so a
    signature never stands over content it did not sign."""
    old = Layout.of(parse_untrusted(signed_xml))
    root = parse_untrusted(rebuilt_xml)
    new = Layout.of(root)
    carried = []
    for slot in old.slots():
        if not slot.signatures:
            continue
        target = new.slot(slot.role, slot.subject_code or None)
        if target.signatures:
            raise SigningError("The rebuilt record already holds the %(who)s's signature.",
                               who=slot.label)
        for signature in slot.signatures:
            target.element.append(signature)
            carried.append((target, signature))
    index = id_index(root)
    digests = {}
    for target, signature in carried:
        problems = signature_crypto_errors(signature, index, digests)
        if problems:
            raise SigningError(
                "The correction changes what the %(who)s signed (%(detail)s): send that part "
                "back for correction too.", who=target.label, detail=problems[0])
    return serialize(root)
