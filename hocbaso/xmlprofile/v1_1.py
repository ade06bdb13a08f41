"""The hocbaso-1.1 profile: hocbaso-1.0 with two additions to the student and one to the
lower/upper secondary year results.

- A student without a personal ID (a foreign student with a passport, or a Vietnamese child
  whose parents have not obtained the ID yet) is identified by an identity document
  (GIAY_TO_TUY_THAN: its type and number) beside the nationality (QUOC_TICH), instead of
  SO_DINH_DANH: the XSD takes one or the other.
- The lifelong learning record code (MA_HOC_TAP_SUOT_DOI) that the 2026 rules describe, where
  the learner has one. Its official definition is not published: it lives here and in the XSD
  only, so that the official profile can replace it without touching anything else.
- In grade 9, the completion of the lower secondary programme (DA_HOAN_THANH_CHUONG_TRINH_THCS)
  that the draft diploma rules have confirmed in the record, as TT27 records confirm primary
  completion. Written only when confirmed: a record without it has not completed it (any
  other grade, or a grade-9 student not promoted).

The layout, the signature slots and every other element are those of hocbaso-1.0, so the
signing and verification code serves both; a 1.0 record stays readable and verifiable.
"""

from __future__ import annotations

import pathlib

from lxml import etree

from .. import record as rec
from .explain import Explainer
from .v1_0 import (
    BOOL,
    INFO_HEAD,
    KEY_MESSAGES,
    SECONDARY,
    STUDENT,
    Group,
    HocbasoV1,
    Leaf,
    _collect_labels,
    _decode,
    _encode,
    _item_label,
)

VERSION = "hocbaso-1.1"
XSD_PATH = pathlib.Path(__file__).parent / "schemas" / "hocbaso-1.1.xsd"

# identity document types (LOAI_GIAY_TO) -> label
DOCUMENT_TYPES = {
    "HO_CHIEU": "passport",
    "GIAY_KHAI_SINH": "birth certificate",
    "KHAC": "other identity document",
}

IDENTITY_DOCUMENT = Group("GIAY_TO_TUY_THAN", None, "identity document", (
    Leaf("LOAI_GIAY_TO", "id_document_type", "identity document type"),
    Leaf("SO_GIAY_TO", "id_document_number", "identity document number"),
))
LIFELONG_CODE = Leaf("MA_HOC_TAP_SUOT_DOI", "lifelong_code", "lifelong learning record code")


def _student_1_1():
    """hocbaso-1.0's student, with the identity document and the lifelong code after
    SO_DINH_DANH (the XSD's order)."""
    fields = []
    for spec in STUDENT:
        fields.append(spec)
        if spec.tag == "SO_DINH_DANH":
            fields += [IDENTITY_DOCUMENT, LIFELONG_CODE]
    return tuple(fields)


INFO_HEAD_1_1 = tuple(
    Group(spec.tag, spec.attr, spec.label, _student_1_1(), spec.cls, spec.required)
    if spec.tag == "HOC_SINH" else spec for spec in INFO_HEAD)

SECONDARY_BLOCK = "KET_QUA_THCS_THPT"
LOWER_SECONDARY_COMPLETION = Leaf("DA_HOAN_THANH_CHUONG_TRINH_THCS", "completed_lower_secondary",
                                  "completed lower secondary school", BOOL)


def _secondary_1_1():
    """hocbaso-1.0's secondary results, with the completion after the promotion note (the
    XSD's order: completing grade 9 is what being promoted there means)."""
    fields = []
    for spec in SECONDARY:
        fields.append(spec)
        if spec.tag == "NOI_DUNG_DUOC_LEN_LOP":
            fields.append(LOWER_SECONDARY_COMPLETION)
    return tuple(fields)


SECONDARY_1_1 = _secondary_1_1()
# the 1.0 elements written before the completion, whatever optional ones are left out
_BEFORE_COMPLETION = frozenset(
    spec.tag for spec in SECONDARY_1_1[:SECONDARY_1_1.index(LOWER_SECONDARY_COMPLETION)])


class HocbasoV1_1(HocbasoV1):
    version = VERSION
    xsd_path = XSD_PATH
    info_head = INFO_HEAD_1_1
    explainer = Explainer(
        dict(_collect_labels(INFO_HEAD_1_1),
             **{LOWER_SECONDARY_COMPLETION.tag: LOWER_SECONDARY_COMPLETION.label}),
        _item_label, KEY_MESSAGES, XSD_PATH)

    # hocbaso-1.0 writes and reads its own secondary table; the completion is added here so
    # that a 1.0 document stays byte for byte what it was
    @staticmethod
    def _write_secondary(info, result: rec.SecondaryResult) -> None:
        HocbasoV1._write_secondary(info, result)
        if not result.completed_lower_secondary:
            return  # only a confirmed completion is written (see the module's docstring)
        block = info.find(SECONDARY_BLOCK)
        element = etree.Element(LOWER_SECONDARY_COMPLETION.tag)
        element.text = _encode(True, BOOL)
        block.insert(sum(1 for child in block if child.tag in _BEFORE_COMPLETION), element)

    def from_tree(self, root: etree._Element) -> rec.Record:
        record = super().from_tree(root)
        if record.secondary is not None:
            block = root.find("DU_LIEU_HOC_BA/THONG_TIN_HOC_BA/" + SECONDARY_BLOCK)
            record.secondary.completed_lower_secondary = _decode(
                block.findtext(LOWER_SECONDARY_COMPLETION.tag), BOOL)
        return record

    def check_record(self, record: rec.Record) -> list[str]:
        problems = super().check_record(record)
        student = record.student
        if student.personal_id and (student.id_document_type or student.id_document_number):
            problems.append("Student: give the personal ID (SO_DINH_DANH) or an identity "
                            "document (GIAY_TO_TUY_THAN), not both")
        elif not student.personal_id and not (student.id_document_type
                                              and student.id_document_number):
            problems.append("Student: the personal ID (SO_DINH_DANH) is missing; without one, "
                            "give the type and number of an identity document")
        secondary = record.secondary
        if secondary is not None and secondary.completed_lower_secondary:
            if str(record.grade_code).strip().lstrip("0") != "9":
                problems.append("Year results (TT22): the completion of lower secondary school "
                                "(DA_HOAN_THANH_CHUONG_TRINH_THCS) is confirmed in grade 9 only")
            elif not secondary.promoted:
                problems.append("Year results (TT22): a student who is not promoted "
                                "(DUOC_LEN_LOP) has not completed lower secondary school "
                                "(DA_HOAN_THANH_CHUONG_TRINH_THCS)")
        return problems


PROFILE = HocbasoV1_1()
