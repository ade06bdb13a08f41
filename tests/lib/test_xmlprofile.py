"""hocbaso-1.0: build → two independent XSD validators → parse back → identical record and bytes."""

import copy
import dataclasses
import shutil
import subprocess

import pytest
import xmlschema
from lxml import etree

from hocbaso import record as rec
from hocbaso.errors import InvalidValueError, SchemaValidationError, UnsafeXmlError
from hocbaso.samples import sample_primary_record, sample_secondary_record
from hocbaso.xmlprofile import (
    DEFAULT_PROFILE,
    PROFILES,
    ROLE_HOMEROOM_TEACHER,
    ROLE_ISSUANCE,
    ROLE_LEADER,
    ROLE_SUBJECT_TEACHER,
    detect_profile,
    get_profile,
)

DS = "http://www.w3.org/2000/09/xmldsig#"
SAMPLES = {"primary": sample_primary_record, "secondary": sample_secondary_record}


@pytest.fixture(scope="module")
def profile():
    return get_profile()


@pytest.fixture(scope="module")
def xsd(profile):
    return xmlschema.XMLSchema(str(profile.xsd_path))


def xmllint(profile, path):
    """Validate with libxml2's command-line tool, a second implementation next to xmlschema."""
    tool = shutil.which("xmllint")
    if tool is None:
        pytest.fail("xmllint is missing: install the Debian package libxml2-utils")
    return subprocess.run([tool, "--noout", "--schema", str(profile.xsd_path), str(path)],
                          capture_output=True, text=True, timeout=30)


def assert_valid_everywhere(profile, xsd, xml: bytes, tmp_path):
    xsd.validate(xml.decode("utf-8").split("\n", 1)[1])  # xmlschema wants text without decl.
    path = tmp_path / "record.xml"
    path.write_bytes(xml)
    result = xmllint(profile, path)
    assert result.returncode == 0 and "validates" in result.stderr, result.stderr


@pytest.mark.parametrize("kind", SAMPLES)
def test_build_validate_parse_round_trip(kind, profile, xsd, tmp_path):
    record = SAMPLES[kind]()
    xml = profile.build(record)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<HOC_BA ")
    assert_valid_everywhere(profile, xsd, xml, tmp_path)
    back = profile.parse(xml)
    assert back == record
    assert profile.build(back) == xml
    assert profile.build(SAMPLES[kind]()) == xml  # a fresh sample gives the same bytes


def test_samples_are_fully_filled_and_realistic():
    primary, secondary = sample_primary_record(), sample_secondary_record()
    assert primary.is_primary and primary.secondary is None
    assert secondary.circular == rec.CIRCULAR_SECONDARY and secondary.primary is None
    assert "Nguyễn Thị Ánh Dương" == primary.student.full_name
    assert primary.student.birth_date == "2015" and secondary.student.birth_date == "2010-09"
    assert any(s.level == "M" for s in primary.subjects)
    assert any(s.retest for s in secondary.subjects)
    assert secondary.secondary.certificates and primary.history and secondary.history
    assert set(primary.primary.competencies) == set(rec.PRIMARY_COMPETENCIES)
    teacher_ids = {s.teacher.personal_id for r in (primary, secondary) for s in r.subjects}
    assert all(len(i) == 12 and i.isdigit() for i in teacher_ids)
    assert sample_primary_record() == primary and sample_primary_record() is not primary


def test_primary_and_secondary_shapes(profile):
    primary = etree.fromstring(profile.build(sample_primary_record()))
    secondary = etree.fromstring(profile.build(sample_secondary_record()))
    info = "DU_LIEU_HOC_BA/THONG_TIN_HOC_BA/"
    assert primary.find(info + "KET_QUA_TIEU_HOC") is not None
    assert primary.find(info + "KET_QUA_THCS_THPT") is None
    assert primary.findtext(info + "KET_QUA_TIEU_HOC/NANG_LUC/NANG_LUC_TU_HOC") == "T"
    gdtc = primary.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-GDTC']")
    assert gdtc.findtext("MUC_DAT_DUOC") == "M" and gdtc.find("DIEM_HOC_KY_1") is None
    assert secondary.find(info + "KET_QUA_THCS_THPT/DANH_SACH_CHUNG_CHI/CHUNG_CHI") is not None
    toan = secondary.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-TOAN']")
    assert [toan.findtext(t) for t in ("DIEM_HOC_KY_1", "DIEM_CA_NAM", "DIEM_KIEM_TRA_LAI")] \
        == ["3.0", "3.3", "6.0"]
    assert toan.findtext("GVBM/SO_DDCN") == "079082003344"
    assert toan.find("MUC_DAT_DUOC") is None
    # the guardian is empty in the samples: the element is left out, not written empty
    assert primary.find(info + "HOC_SINH/HO_TEN_NGUOI_GIAM_HO") is None
    assert primary.findtext(info + "HOC_SINH/KHUYET_TAT_KHONG_DANH_GIA") == "0"
    assert primary.findtext(info + "HOC_SINH/GIOI_TINH") == "2"


def test_output_is_compact_and_deterministic(profile):
    xml = profile.build(sample_secondary_record())
    assert xml.count(b"\n") == 1  # only after the declaration: no pretty-print whitespace
    assert "Trần Minh Đức".encode("utf-8") in xml  # UTF-8, no character references
    assert b"&#" not in xml


@pytest.mark.parametrize("birth_date", ["2015", "2015-09", "2015-09-30"])
def test_partial_birth_dates_round_trip(birth_date, profile, xsd, tmp_path):
    record = sample_primary_record()
    record.student.birth_date = birth_date
    xml = profile.build(record)
    assert_valid_everywhere(profile, xsd, xml, tmp_path)
    assert profile.parse(xml).student.birth_date == birth_date


def test_awkward_text_and_empty_optionals_round_trip(profile):
    record = sample_secondary_record()
    record.homeroom_comment = 'Dòng 1 <b>&amp; "trích dẫn"\nDòng 2 — kết thúc  '
    record.student.policy_group = ""
    record.leader = rec.Person()
    record.history = []
    record.secondary.certificates = []
    record.subjects[0].comment = ""
    xml = profile.build(record)
    root = etree.fromstring(xml)
    assert root.find("DU_LIEU_HOC_BA/THONG_TIN_HOC_BA/GIAM_HIEU") is None
    assert len(root.find("DU_LIEU_HOC_BA/QUA_TRINH_HOC_TAP")) == 0
    assert profile.parse(xml) == record


def test_student_without_assessment_may_leave_ratings_out(profile):
    record = sample_primary_record()
    record.student.disability_not_assessed = True
    record.primary.competencies = {}
    record.primary.qualities = {"phamchatnhanai": "T"}
    record.subjects[0].level, record.subjects[0].test_score = "", ""
    assert profile.parse(profile.build(record)) == record
    record.student.disability_not_assessed = False
    with pytest.raises(SchemaValidationError) as info:
        profile.build(record)
    assert any("NANG_LUC_TU_HOC" in line and "missing" in line for line in info.value.errors)


def _build_errors(profile, change) -> list[str]:
    record = sample_secondary_record() if "secondary" in change.__name__ \
        else sample_primary_record()
    change(record)
    with pytest.raises(SchemaValidationError) as info:
        profile.build(record)
    assert info.value.errors and info.value.message.startswith(
        "The record does not follow the hocbaso-1.0 format")
    for line in info.value.errors:  # no XSD jargon reaches the clerk
        assert "facet" not in line and "Element '" not in line and "xs:" not in line
    return info.value.errors


def test_eleven_digit_personal_id_is_explained(profile):
    def change_primary(r):
        r.student.personal_id = "00131501234"
    errors = _build_errors(profile, change_primary)
    assert errors == ["Student › personal ID (SO_DINH_DANH): '00131501234' must be 12 digits"]


def test_score_with_two_decimals_is_explained(profile):
    def change_secondary(r):
        r.subjects[2].semester2 = "7.25"
    (line,) = _build_errors(profile, change_secondary)
    assert line.startswith("Subject NN1 › semester 2 score (DIEM_HOC_KY_2): '7.25' must be")
    assert "one decimal" in line


def test_unknown_level_is_explained(profile):
    def change_primary(r):
        r.subjects[1].level = "X"
    (line,) = _build_errors(profile, change_primary)
    assert line.startswith("Subject TOAN › level reached (MUC_DAT_DUOC): 'X' is not allowed")
    assert "T (completed well)" in line and "M (exempt)" in line


def test_several_problems_are_all_listed(profile):
    def change_secondary(r):
        r.school_year = "2024-2026"
        r.student.birth_date = "2010-02-30"
        r.subjects[0].level = "T"  # a TT27 field on a TT22 record
        r.secondary.absences = 301
        r.class_name = "Lớp 9A2 chuyên Anh"
        r.created_date = "2025-13-01"
    errors = "\n".join(_build_errors(profile, change_secondary))
    for expected in ("School year (NAM_HOC): '2024-2026' must be two consecutive years",
                     "NGAY_SINH): '2010-02-30' is not a real calendar date",
                     "Subject NGUVAN › level reached (MUC_DAT_DUOC): not used in TT22",
                     "(SO_BUOI_NGHI): '301' is too large; at most 300",
                     "Class › class name (TEN_LOP): 18 characters, at most 10 allowed",
                     "creation date (NGAY_TAO): '2025-13-01' must be a real calendar date"):
        assert expected in errors


def test_missing_and_duplicate_values_are_explained(profile):
    def change_primary(r):
        r.homeroom_comment = ""
        r.subjects[2].code = "TOAN"
    errors = _build_errors(profile, change_primary)
    assert "Record: homeroom teacher's comment (NHAN_XET_GVCN) is missing" in errors
    assert "Subject TOAN appears more than once; keep one line per subject" in errors


def test_wrong_results_block_for_the_circular(profile):
    def change_primary(r):
        r.secondary, r.primary = sample_secondary_record().secondary, None
    errors = _build_errors(profile, change_primary)
    assert any("TT27 (primary) record needs the primary year results" in e for e in errors)


def test_independent_validator_agrees_on_invalid_values(profile, xsd, tmp_path):
    """What the profile refuses, xmllint and xmlschema refuse too (the XSD holds the rules)."""
    for change in (lambda r: setattr(r.student, "personal_id", "12345678901"),
                   lambda r: setattr(r.subjects[1], "semester1", "7.25"),
                   lambda r: setattr(r.subjects[1], "year", "X")):
        record = sample_secondary_record()
        change(record)
        xml = etree.tostring(profile.to_tree(record), xml_declaration=True, encoding="UTF-8")
        path = tmp_path / "bad.xml"
        path.write_bytes(xml)
        assert xmllint(profile, path).returncode != 0
        assert not xsd.is_valid(xml.decode("utf-8").split("\n", 1)[1])
        with pytest.raises(SchemaValidationError):
            profile.validate(xml)


def test_parse_validates_received_files(profile):
    xml = profile.build(sample_primary_record()).replace(b"<GIOI_TINH>2<", b"<GIOI_TINH>7<")
    with pytest.raises(SchemaValidationError) as info:
        profile.parse(xml)
    assert info.value.errors == [
        "Student › sex (GIOI_TINH): '7' is not allowed; use 0 (unknown), 1 (male) or 2 (female)"]
    with pytest.raises(UnsafeXmlError):
        profile.parse(b"<!DOCTYPE HOC_BA><HOC_BA/>")


def test_parse_refuses_subject_element_id_not_matching_code(profile):
    xml = profile.build(sample_primary_record()).replace(b'Id="mon-TOAN"', b'Id="mon-TOANX"')
    with pytest.raises(SchemaValidationError) as info:
        profile.parse(xml)
    assert "Subject TOAN: element Id is 'mon-TOANX', expected 'mon-TOAN'" in info.value.errors


def test_detect_profile(profile):
    assert DEFAULT_PROFILE == "hocbaso-1.0" and PROFILES[DEFAULT_PROFILE] is profile
    xml = profile.build(sample_secondary_record())
    assert detect_profile(xml) is profile
    assert detect_profile(etree.fromstring(xml)) is profile
    with pytest.raises(InvalidValueError) as info:
        detect_profile(xml.replace(b'PhienBanDinhDang="hocbaso-1.0"',
                                   b'PhienBanDinhDang="moet-2.0"'))
    assert "moet-2.0" in info.value.message and "hocbaso-1.0" in info.value.message
    with pytest.raises(InvalidValueError) as info:
        detect_profile(b"<HOADON/>")
    assert "PhienBanDinhDang" in info.value.message
    with pytest.raises(UnsafeXmlError):
        detect_profile(b'<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>')
    with pytest.raises(InvalidValueError):
        get_profile("hocbaso-0.9")


def test_signature_slots_exist_outside_the_payload(profile):
    record = sample_secondary_record()
    root = etree.fromstring(profile.build(record))
    payload = root.find("DU_LIEU_HOC_BA")
    codes = [s.code for s in record.subjects]
    slots = root.findall("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM")
    assert [s.get("MaMon") for s in slots] == codes
    for role, code in [(ROLE_SUBJECT_TEACHER, c) for c in codes] + [
            (ROLE_HOMEROOM_TEACHER, ""), (ROLE_LEADER, ""), (ROLE_ISSUANCE, "")]:
        slot = profile.signature_slot(root, role, code)
        assert len(slot) == 0 and not slot.text
        assert payload not in slot.iterancestors()
    assert profile.signature_slot(root, ROLE_LEADER).tag == "CBQL"
    assert profile.signature_slot(root, ROLE_ISSUANCE).getparent().tag == "PHAT_HANH_HOC_BA"
    assert profile.signature_slot(root, ROLE_HOMEROOM_TEACHER).getparent().tag \
        == "DANH_SACH_THONG_TIN_KY"
    with pytest.raises(InvalidValueError):
        profile.signature_slot(root, ROLE_SUBJECT_TEACHER, "VATLY")
    assert profile.payload_element_ids(root) == \
        ["data", "thongtinhocba"] + ["mon-" + c for c in codes]
    assert profile.subject_element_id("TOAN") == "mon-TOAN"
    assert profile.signature_id(ROLE_SUBJECT_TEACHER, "TOAN") == "sig-gvbm-TOAN"
    assert profile.signature_id(ROLE_ISSUANCE) == "sig-phathanh"
    for element_id in profile.payload_element_ids(root):  # every Id is unique in the file
        assert len(root.xpath("//*[@Id=$i]", i=element_id)) == 1


def test_signatures_in_slots_are_accepted_and_ignored(profile, xsd, tmp_path):
    record = sample_primary_record()
    root = etree.fromstring(profile.build(record))
    for role, code in ((ROLE_SUBJECT_TEACHER, "TOAN"), (ROLE_SUBJECT_TEACHER, "TOAN"),
                       (ROLE_HOMEROOM_TEACHER, ""), (ROLE_LEADER, ""), (ROLE_ISSUANCE, "")):
        signature = etree.SubElement(profile.signature_slot(root, role, code),
                                     "{%s}Signature" % DS, nsmap={"ds": DS},
                                     Id=profile.signature_id(role, code))
        etree.SubElement(signature, "{%s}SignatureValue" % DS).text = "AAAA"
    signed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert_valid_everywhere(profile, xsd, signed, tmp_path)
    assert profile.parse(signed) == record
    # anything else in a slot is refused
    profile.signature_slot(root, ROLE_LEADER).append(etree.Element("CHU_KY"))
    with pytest.raises(SchemaValidationError) as info:
        profile.validate(root)
    (line,) = info.value.errors
    assert line.startswith("Issuance slots › School leader's signature slot › CHU_KY: "
                           "not allowed here")
    empty_slot = etree.fromstring(profile.build(record))
    profile.signature_slot(empty_slot, ROLE_ISSUANCE).append(etree.Element("CHU_KY"))
    with pytest.raises(SchemaValidationError) as info:
        profile.validate(empty_slot)
    assert info.value.errors == ["Issuance slots › Issuance signature slot › CHU_KY: not allowed "
                                 "here; only digital signatures (ds:Signature) go in a "
                                 "signature slot"]


def test_slot_for_a_subject_that_does_not_exist_is_refused(profile):
    root = etree.fromstring(profile.build(sample_primary_record()))
    slots = root.find("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM")
    etree.SubElement(slots, "GVBM", MaMon="VATLY")
    with pytest.raises(SchemaValidationError) as info:
        profile.validate(root)
    assert "signature slot for VATLY has no matching subject line" in info.value.message


def test_build_does_not_change_the_record(profile):
    record = sample_secondary_record()
    before = copy.deepcopy(record)
    profile.build(record)
    assert dataclasses.asdict(record) == dataclasses.asdict(before)
