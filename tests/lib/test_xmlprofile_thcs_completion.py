"""hocbaso-1.1: the completion of lower secondary school (grade 9) confirmed in the record."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess

import pytest

from hocbaso import samples
from hocbaso.errors import SchemaValidationError
from hocbaso.xmlprofile import detect_profile, get_profile
from hocbaso.xmlprofile.v1_1 import XSD_PATH

V10, V11 = get_profile("hocbaso-1.0"), get_profile("hocbaso-1.1")
SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "data" / "samples"
ELEMENT = b"<DA_HOAN_THANH_CHUONG_TRINH_THCS>1</DA_HOAN_THANH_CHUONG_TRINH_THCS>"


def _grade_9(completed=True, **record_changes):
    """The grade-9 sample (promoted after its re-test), completion confirmed or not."""
    record = samples.sample_secondary_record()
    secondary = dataclasses.replace(record.secondary, completed_lower_secondary=completed)
    return dataclasses.replace(record, secondary=secondary, **record_changes)


def _xmllint(xml: bytes, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "record.xml"
    path.write_bytes(xml)
    return subprocess.run(["xmllint", "--noout", "--schema", str(XSD_PATH), str(path)],
                          capture_output=True, text=True, check=False)


def test_completion_round_trips_and_follows_the_xsd(tmp_path):
    record = _grade_9()
    xml = V11.build(record)
    assert detect_profile(xml) is V11
    assert V11.parse(xml) == record
    # after the promotion note, where the XSD puts it
    assert b"</NOI_DUNG_DUOC_LEN_LOP>" + ELEMENT + b"<KET_QUA_THAM_GIA_CUOC_THI>" in xml
    check = _xmllint(xml, tmp_path)
    assert check.returncode == 0, check.stderr


def test_completion_placed_right_when_optional_results_are_left_out(tmp_path):
    record = _grade_9()
    record.secondary.competition_results = ""
    record.secondary.award = ""
    record.secondary.certificates = []
    xml = V11.build(record)
    assert xml.count(ELEMENT) == 1
    assert ELEMENT + b"</KET_QUA_THCS_THPT>" in xml
    assert V11.parse(xml) == record
    assert _xmllint(xml, tmp_path).returncode == 0


def test_no_completion_no_element():
    """Not confirmed (another grade, or not promoted): the element is left out, read back as
    not completed, and the 1.1 sample stays as it was."""
    record = _grade_9(completed=False)
    xml = V11.build(record)
    assert b"DA_HOAN_THANH_CHUONG_TRINH_THCS" not in xml
    assert V11.parse(xml).secondary.completed_lower_secondary is False
    foreign = samples.sample_foreign_student_record()
    assert V11.build(foreign) == (SAMPLES / "hocbaso-1.1-foreign-student.xml").read_bytes()


def test_version_1_0_is_unchanged():
    """hocbaso-1.0 has no such element: a 1.0 document is the same bytes as before."""
    xml = V10.build(_grade_9())
    assert xml == V10.build(_grade_9(completed=False))
    assert xml == (SAMPLES / "hocbaso-1.0-secondary.xml").read_bytes()
    assert V10.parse(xml).secondary.completed_lower_secondary is False
    assert b"DA_HOAN_THANH_CHUONG_TRINH_THCS" not in V10.xsd_path.read_bytes()


def test_the_xsd_takes_0_or_1_only(tmp_path):
    xml = V11.build(_grade_9()).replace(ELEMENT, ELEMENT.replace(b">1<", b">2<"))
    check = _xmllint(xml, tmp_path)
    assert check.returncode != 0 and "DA_HOAN_THANH_CHUONG_TRINH_THCS" in check.stderr


@pytest.mark.parametrize("grade", ["8", "6", "12"])
def test_completion_only_in_grade_9(grade):
    with pytest.raises(SchemaValidationError, match="grade 9 only"):
        V11.build(_grade_9(grade_code=grade))
    assert V11.build(_grade_9(grade_code="09"))


def test_completion_needs_the_promotion():
    record = _grade_9()
    record.secondary.promoted = False
    with pytest.raises(SchemaValidationError, match="not promoted"):
        V11.build(record)
