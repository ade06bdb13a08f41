"""The hocbaso-1.1 profile: hocbaso-1.0 with two additions to the student.

- A student without a personal ID (a foreign student with a passport, or a Vietnamese child
  whose parents have not obtained the ID yet) is identified by an identity document
  (GIAY_TO_TUY_THAN: its type and number) beside the nationality (QUOC_TICH), instead of
  SO_DINH_DANH: the XSD takes one or the other.
- The lifelong learning record code (MA_HOC_TAP_SUOT_DOI) that the 2026 rules describe, where
  the learner has one. Its official definition is not published: it lives here and in the XSD
  only, so that the official profile can replace it without touching anything else.

The layout, the signature slots and every other element are those of hocbaso-1.0, so the
signing and verification code serves both; a 1.0 record stays readable and verifiable.
"""

from __future__ import annotations

import pathlib

from .. import record as rec
from .explain import Explainer
from .v1_0 import (
    INFO_HEAD,
    KEY_MESSAGES,
    STUDENT,
    Group,
    HocbasoV1,
    Leaf,
    _collect_labels,
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


class HocbasoV1_1(HocbasoV1):
    version = VERSION
    xsd_path = XSD_PATH
    info_head = INFO_HEAD_1_1
    explainer = Explainer(_collect_labels(INFO_HEAD_1_1), _item_label, KEY_MESSAGES)

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
        return problems


PROFILE = HocbasoV1_1()
