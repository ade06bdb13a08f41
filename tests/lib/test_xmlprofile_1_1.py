"""hocbaso-1.1: a student identified by an identity document, the lifelong learning code."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest
from dsig_fixtures import sign_all, xmlsec1_verify

from hocbaso import samples
from hocbaso.errors import SchemaValidationError
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import detect_profile, get_profile
from hocbaso.xmlprofile.v1_1 import XSD_PATH

V10, V11 = get_profile("hocbaso-1.0"), get_profile("hocbaso-1.1")


def _student(**changes):
    record = samples.sample_foreign_student_record()
    return dataclasses.replace(record, student=dataclasses.replace(record.student, **changes))


def test_foreign_student_round_trips_and_follows_the_xsd(tmp_path):
    record = samples.sample_foreign_student_record()
    xml = V11.build(record)
    assert detect_profile(xml) is V11
    assert V11.parse(xml) == record
    assert b"<LOAI_GIAY_TO>HO_CHIEU</LOAI_GIAY_TO><SO_GIAY_TO>C03005988</SO_GIAY_TO>" in xml
    assert b"<MA_HOC_TAP_SUOT_DOI>HTSD-79-2025-000731</MA_HOC_TAP_SUOT_DOI>" in xml
    assert b"SO_DINH_DANH" not in xml
    path = tmp_path / "r.xml"
    path.write_bytes(xml)
    check = subprocess.run(["xmllint", "--noout", "--schema", str(XSD_PATH), str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_personal_id_or_document_never_both_nor_neither():
    with pytest.raises(SchemaValidationError, match="not both"):
        V11.build(_student(personal_id="079213000123"))
    with pytest.raises(SchemaValidationError, match="identity document"):
        V11.build(_student(id_document_type="", id_document_number=""))
    with pytest.raises(SchemaValidationError, match="identity document"):
        V11.build(_student(id_document_type="THE_XANH"))  # not a known document type


def test_a_student_with_a_personal_id_is_the_same_in_both_versions():
    record = samples.sample_secondary_record()
    assert V11.parse(V11.build(record)) == V10.parse(V10.build(record)) == record


def test_version_1_0_refuses_a_student_without_personal_id():
    with pytest.raises(SchemaValidationError, match="SO_DINH_DANH"):
        V10.build(samples.sample_foreign_student_record())


def test_a_1_1_record_signs_and_verifies_like_1_0(pki, tmp_path):
    record = samples.sample_foreign_student_record()
    # the sample's people sign with the test PKI's teachers' keys
    signed = sign_all(V11.build(record), record, pki)
    report = verify_document(signed, [pki.root], [pki.intermediate])
    assert report.valid and report.complete, report
    for node_id in ("sig-gvcn", "sig-phathanh",
                    X.subject_signature_id(record.subjects[0].code)):
        result = xmlsec1_verify(signed, node_id, pki, tmp_path)
        assert result.returncode == 0, result.stderr
