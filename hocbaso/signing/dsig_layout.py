"""Where the signatures go in a hocbaso-1.0 record, and who may sign when.

Each signer appends one ds:Signature inside its own slot; the slots sit outside the payload, so
no enveloped transform is needed and every reference is a plain "#Id". Later signers also
reference the earlier signatures (GVBM: its subject's results; GVCN: the payload and every
GVBM signature; CBQL adds GVCN; the issuer adds CBQL), so changing a score or an earlier
signature breaks every signature made after it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from ..errors import Problem, SigningError
from ..safexml import parse_untrusted
from .dsig_binding import RecordIdentity, record_identity
from .dsig_primitives import ds

from ..roles import (  # noqa: F401 - re-exported for the facade
    BY_CODE,
    ROLE_CBQL,
    ROLE_GVBM,
    ROLE_GVCN,
    ROLE_ISSUER,
    SIGNING_ORDER,
    parse_signature_id,
    role_label,
)

ROLE_LABELS = {role.code: role.label for role in BY_CODE.values()}
SIGNATURE_IDS = {role.code: role.signature_id() for role in BY_CODE.values()
                 if role.code != ROLE_GVBM}
DATA_ID = "data"
SUBJECT_ELEMENT_PREFIX = "mon-"
#: a signature's xades:SignedProperties carries the Id of the signature with this prefix
SIGNED_PROPERTIES_PREFIX = "xades-"

_SIGNATURE = ds("Signature")


def subject_signature_id(subject_code: str) -> str:
    return BY_CODE[ROLE_GVBM].signature_id(subject_code)


def subject_element_id(subject_code: str) -> str:
    return SUBJECT_ELEMENT_PREFIX + subject_code


def changed_reference(uri: str) -> Problem:
    """What a reference whose digest no longer matches tells a reader: the part of the record
    it covers, in words, not its XML Id (parents and inspectors read it on the verification
    page, beside the signer's role)."""
    target = uri[1:] if uri.startswith("#") else uri
    if target == DATA_ID:
        return Problem("The record's content was changed after signing.")
    if target.startswith(SUBJECT_ELEMENT_PREFIX):
        return Problem("The results of the subject this teacher signed were changed after "
                       "signing.")
    if target.startswith(SIGNED_PROPERTIES_PREFIX):
        return Problem("This signature's details (signing time and certificate) were changed "
                       "after signing.")
    role, _subject = parse_signature_id(target)
    if role:
        return Problem("The signature of the %(who)s, which this signature covers, was changed "
                       "after signing.", who=BY_CODE[role].label)
    return Problem("The content of %(uri)s was changed after signing (digest mismatch).",
                   uri=uri)


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
            if element_id.startswith(SUBJECT_ELEMENT_PREFIX):
                subjects[element_id[len(SUBJECT_ELEMENT_PREFIX):]] = line
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

    @functools.cached_property
    def identity(self) -> RecordIdentity | None:
        """The record ID and version its header holds (read once: every signature names it)."""
        return record_identity(self.root)

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

