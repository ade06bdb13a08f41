"""The hocbaso-1.0 profile: this project's record XML until MOET publishes its own schema.

Layout (agreed with the signing code; see schemas/hocbaso-1.0.xsd)::

    HOC_BA[@PhienBanDinhDang]
      DU_LIEU_HOC_BA[@Id=data]            everything that is signed
        THONG_TIN_HOC_BA[@Id=thongtinhocba]  header, school, student, class, signers, year results
        DANH_SACH_DIEM/DIEM_TONG_KET[@Id=mon-CODE]  one per subject, teacher inside (GVBM)
        QUA_TRINH_HOC_TAP/NAM_HOC_QUA     study history
      DANH_SACH_THONG_TIN_KY              signature slots, outside the payload
        DANH_SACH_GVBM/GVBM[@MaMon]  GVCN
      PHAT_HANH_HOC_BA/CBQL, KY_PHAT_HANH

Both directions walk the same field tables, so what is written is exactly what is read back.
Empty optional values are left out and read back as "". Output is compact (no pretty print):
no whitespace text nodes, so canonicalisation and signing see exactly the built bytes.
"""

from __future__ import annotations

import datetime
import pathlib
from dataclasses import dataclass

from lxml import etree

from .. import record as rec
from .. import roles
from ..errors import InvalidValueError, SchemaValidationError
from .base import (
    ROLE_HOMEROOM_TEACHER,
    ROLE_ISSUANCE,
    ROLE_LEADER,
    ROLE_SUBJECT_TEACHER,
    Profile,
)
from .explain import Explainer

VERSION = "hocbaso-1.0"
XSD_PATH = pathlib.Path(__file__).parent / "schemas" / "hocbaso-1.0.xsd"

ROOT_TAG = "HOC_BA"
VERSION_ATTRIBUTE = "PhienBanDinhDang"
ID_ATTRIBUTE = "Id"
PAYLOAD_ID = "data"
INFO_ID = "thongtinhocba"
SUBJECT_ID_PREFIX = "mon-"

TEXT, INT, BOOL = "text", "int", "bool"


@dataclass(frozen=True)
class Leaf:
    """One value element."""

    tag: str
    attr: str
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Group:
    """A container element for a nested dataclass (attr None: fields of the same object).

    Optional groups are left out when all their values are empty.
    """

    tag: str
    attr: str | None
    label: str
    fields: tuple
    cls: type | None = None
    required: bool = False


ADDRESS = (
    Leaf("DIA_CHI", "text", "address"),
    Leaf("MA_XA", "commune_code", "commune code"),
    Leaf("MA_TINH", "province_code", "province code"),
)
PERSON = (
    Leaf("HO_TEN", "name", "name"),
    Leaf("SO_DDCN", "personal_id", "personal ID"),
    Leaf("CHUC_VU", "title", "title"),
)
SCHOOL = (
    Leaf("MA_SO_GD", "department_code", "department (Sở) code"),
    Leaf("TEN_SO_GD", "department_name", "department (Sở) name"),
    Leaf("MA_TRUONG", "code", "school code"),
    Leaf("TEN_TRUONG", "name", "school name"),
    Leaf("MA_XA", "commune_code", "commune code"),
    Leaf("TEN_XA", "commune_name", "commune name"),
    Leaf("MA_TINH", "province_code", "province code"),
    Leaf("TEN_TINH", "province_name", "province name"),
    Leaf("TEN_HUYEN", "district_name", "district name"),
    Leaf("MA_CAP_HOC", "level_code", "education level code"),
)
STUDENT = (
    Leaf("SO_SO_DANG_BO", "register_no", "register number"),
    Leaf("HO_VA_TEN", "full_name", "full name"),
    Leaf("SO_DINH_DANH", "personal_id", "personal ID"),
    Leaf("MA_HOC_SINH", "student_code", "student code"),
    Leaf("GIOI_TINH", "sex", "sex", INT),
    Leaf("NGAY_SINH", "birth_date", "date of birth"),
    Group("NOI_SINH", "birth_place", "birth place", ADDRESS, rec.Address),
    Group("QUE_QUAN", "home_town", "home town", ADDRESS, rec.Address),
    Group("NOI_O_HIEN_NAY", "current_address", "current address", ADDRESS, rec.Address),
    Leaf("DAN_TOC", "ethnicity_code", "ethnicity code"),
    Leaf("QUOC_TICH", "nationality_code", "nationality code"),
    Leaf("DOI_TUONG_CHINH_SACH", "policy_group", "policy group"),
    Leaf("KHUYET_TAT_KHONG_DANH_GIA", "disability_not_assessed",
         "disability, not assessed", BOOL),
    Leaf("HO_TEN_CHA", "father_name", "father's name"),
    Leaf("HO_TEN_ME", "mother_name", "mother's name"),
    Leaf("HO_TEN_NGUOI_GIAM_HO", "guardian_name", "guardian's name"),
    Leaf("NGHE_NGHIEP_CHA", "father_job", "father's occupation"),
    Leaf("NGHE_NGHIEP_ME", "mother_job", "mother's occupation"),
    Leaf("NGHE_NGHIEP_NGUOI_GIAM_HO", "guardian_job", "guardian's occupation"),
)
INFO_HEAD = (
    Leaf("MA_DINH_DANH_HOC_BA", "record_uuid", "record ID"),
    Leaf("PHIEN_BAN", "version", "record version", INT),
    Leaf("TRANG_THAI", "status", "record status", INT),
    Leaf("TRICH_LUC", "is_extract", "digitised from paper", BOOL),
    Leaf("THONG_TU", "circular", "circular"),
    Leaf("NAM_HOC", "school_year", "school year"),
    Leaf("NGAY_TAO", "created_date", "creation date"),
    Leaf("DIA_DANH_PHAT_HANH", "issue_place", "place of issue"),
    Leaf("NGAY_KY_PHAT_HANH", "issue_date", "date of issue"),
    Group("TRUONG", "school", "School", SCHOOL, rec.SchoolInfo, required=True),
    Group("HOC_SINH", "student", "Student", STUDENT, rec.StudentInfo, required=True),
    Group("LOP", None, "Class", (Leaf("MA_KHOI", "grade_code", "grade code"),
                                 Leaf("TEN_LOP", "class_name", "class name")), required=True),
    Group("GVCN", "homeroom_teacher", "Homeroom teacher", PERSON, rec.Person, required=True),
    Group("GIAM_HIEU", "leader", "School leader", PERSON, rec.Person),
)
INFO_TAIL = (Leaf("NHAN_XET_GVCN", "homeroom_comment", "homeroom teacher's comment"),)

COMPETENCY_TAGS = {
    "nangluctuhoc": ("NANG_LUC_TU_HOC", "self-study"),
    "nanglucgiaotiep": ("NANG_LUC_GIAO_TIEP", "communication and cooperation"),
    "nanglucgiaiquyet": ("NANG_LUC_GIAI_QUYET", "problem solving and creativity"),
    "nanglucngonngu": ("NANG_LUC_NGON_NGU", "language"),
    "nangluctinhtoan": ("NANG_LUC_TINH_TOAN", "mathematics"),
    "nangluckhoahoc": ("NANG_LUC_KHOA_HOC", "science"),
    "nangluccongnghe": ("NANG_LUC_CONG_NGHE", "technology"),
    "nangluctinhoc": ("NANG_LUC_TIN_HOC", "informatics"),
    "nanglucthammi": ("NANG_LUC_THAM_MI", "aesthetics"),
    "nanglucthechat": ("NANG_LUC_THE_CHAT", "physical"),
}
QUALITY_TAGS = {
    "phamchatyeunuoc": ("PHAM_CHAT_YEU_NUOC", "patriotism"),
    "phamchatnhanai": ("PHAM_CHAT_NHAN_AI", "kindness"),
    "phamchatchamchi": ("PHAM_CHAT_CHAM_CHI", "diligence"),
    "phamchattrungthuc": ("PHAM_CHAT_TRUNG_THUC", "honesty"),
    "phamchattrachnhiem": ("PHAM_CHAT_TRACH_NHIEM", "responsibility"),
}
PRIMARY_TAIL = (
    Leaf("NHAN_XET_PHAM_CHAT", "quality_comment", "comment on qualities"),
    Leaf("NHAN_XET_NANG_LUC_CHUNG", "general_competency_comment",
         "comment on general competencies"),
    Leaf("NHAN_XET_NANG_LUC_DAC_THU", "specific_competency_comment",
         "comment on specific competencies"),
    Leaf("XEP_LOAI", "year_level", "year level"),
    Leaf("NOI_DUNG_KHEN_THUONG", "award", "award"),
    Leaf("NOI_DUNG_KHEN_THUONG_DOT_XUAT", "special_award", "special award"),
    Leaf("DUOC_LEN_LOP", "promoted", "promoted", BOOL),
    Leaf("DA_HOAN_THANH_CHUONG_TRINH_LOP_HOC", "completed_class", "completed the class", BOOL),
    Leaf("DA_HOAN_THANH_CHUONG_TRINH_TIEU_HOC", "completed_primary",
         "completed primary school", BOOL),
    Leaf("NOI_DUNG_HOAN_THANH", "completion_text", "completion note"),
    Leaf("NGHI_CO_PHEP", "absent_excused", "excused absences", INT),
    Leaf("NGHI_KHONG_PHEP", "absent_unexcused", "unexcused absences", INT),
    Leaf("CAN_NANG", "weight_kg", "weight (kg)"),
    Leaf("CHIEU_CAO", "height_cm", "height (cm)"),
)
CERTIFICATE = (
    Leaf("TEN_CHUNG_CHI", "name", "certificate name"),
    Leaf("LOAI_CHUNG_CHI", "kind", "certificate type"),
)
SECONDARY = (
    Leaf("HOC_TAP_HOC_KY_1", "learning_s1", "learning result, semester 1"),
    Leaf("HOC_TAP_HOC_KY_2", "learning_s2", "learning result, semester 2"),
    Leaf("HOC_TAP_CA_NAM", "learning_year", "learning result, year"),
    Leaf("REN_LUYEN_HOC_KY_1", "conduct_s1", "conduct, semester 1"),
    Leaf("REN_LUYEN_HOC_KY_2", "conduct_s2", "conduct, semester 2"),
    Leaf("REN_LUYEN_CA_NAM", "conduct_year", "conduct, year"),
    Leaf("REN_LUYEN_LAI", "conduct_reassessed", "conduct after re-assessment"),
    Leaf("KET_QUA_HOC_TAP_LAI", "learning_reassessed", "learning result after re-test"),
    Leaf("NOI_DUNG_KET_QUA_REN_LUYEN", "summer_training_note", "summer training note"),
    Leaf("SO_BUOI_NGHI", "absences", "absences (half-days)", INT),
    Leaf("DUOC_LEN_LOP", "promoted", "promoted", BOOL),
    Leaf("NOI_DUNG_DUOC_LEN_LOP", "promotion_text", "promotion note"),
    Leaf("KET_QUA_THAM_GIA_CUOC_THI", "competition_results", "competition results"),
    Leaf("NOI_DUNG_KHEN_THUONG", "award", "award"),
)
SUBJECT = (
    Leaf("MA_MON_HOC", "code", "subject code"),
    Leaf("TEN_MON_HOC", "name", "subject name"),
    Leaf("MUC_DAT_DUOC", "level", "level reached"),
    Leaf("DIEM_KIEM_TRA_DINH_KY", "test_score", "periodic test score"),
    Leaf("DIEM_HOC_KY_1", "semester1", "semester 1 score"),
    Leaf("DIEM_HOC_KY_2", "semester2", "semester 2 score"),
    Leaf("DIEM_CA_NAM", "year", "year score"),
    Leaf("DIEM_KIEM_TRA_LAI", "retest", "re-test score"),
    Leaf("NHAN_XET", "comment", "teacher's comment"),
    Group("GVBM", "teacher", "Subject teacher", PERSON, rec.Person, required=True),
)
HISTORY = (
    Leaf("NAM_HOC", "school_year", "school year"),
    Leaf("TEN_LOP", "class_name", "class name"),
    Leaf("TEN_TRUONG", "school_name", "school name"),
    Leaf("TEN_TINH", "province_name", "province name"),
    Leaf("NGAY_TRANG_THAI_CHUYEN_DEN", "transfer_in_date", "transfer-in date"),
)
PRIMARY_SUBJECT_FIELDS = ("level", "test_score")
SECONDARY_SUBJECT_FIELDS = ("semester1", "semester2", "year", "retest")


# --- writing --------------------------------------------------------------------------------
def _encode(value, kind: str) -> str:
    if kind == BOOL:
        return "1" if value else "0"
    if value is None or value is False:
        return ""
    if kind == INT:
        return str(int(value))
    return str(value)


def _leaf(parent, tag: str, text: str, label: str):
    element = etree.SubElement(parent, tag)
    try:
        element.text = text
    except ValueError:  # control characters or NUL: lxml refuses them
        raise SchemaValidationError(
            "The record does not follow the %(version)s format: %(detail)s",
            errors=["%s (%s): contains control characters that XML cannot hold; "
                    "retype the value" % (label, tag)],
            version=VERSION) from None
    return element


def _write(parent, obj, specs) -> None:
    for spec in specs:
        if isinstance(spec, Group):
            value = obj if spec.attr is None else getattr(obj, spec.attr)
            if value is None or (not spec.required and _is_empty(value, spec.fields)):
                continue
            _write(etree.SubElement(parent, spec.tag), value, spec.fields)
            continue
        text = _encode(getattr(obj, spec.attr), spec.kind)
        if text != "":
            _leaf(parent, spec.tag, text, spec.label)


def _is_empty(obj, specs) -> bool:
    return all(_encode(getattr(obj, s.attr), s.kind) == "" for s in specs
               if isinstance(s, Leaf) and s.kind == TEXT)


def _write_ratings(parent, tag: str, ratings: dict, tags: dict) -> None:
    present = [(code, ratings.get(code)) for code in tags if ratings.get(code)]
    if not present:
        return
    group = etree.SubElement(parent, tag)
    for code, value in present:
        _leaf(group, tags[code][0], str(value), tags[code][1])


# --- reading --------------------------------------------------------------------------------
def _decode(text: str | None, kind: str):
    if kind == BOOL:
        return text == "1"
    if kind == INT:
        return int(text) if text else 0
    return text or ""


def _read(element, specs) -> dict:
    values = {}
    for spec in specs:
        if isinstance(spec, Group):
            child = element.find(spec.tag)
            if spec.attr is None:
                values.update(_read(child, spec.fields) if child is not None else {})
            elif child is None:
                values[spec.attr] = None if spec.cls is None else spec.cls()
            else:
                values[spec.attr] = spec.cls(**_read(child, spec.fields))
            continue
        values[spec.attr] = _decode(element.findtext(spec.tag), spec.kind)
    return values


def _read_ratings(parent, tag: str, tags: dict) -> dict:
    group = parent.find(tag)
    if group is None:
        return {}
    return {code: group.findtext(tags[code][0]) for code in tags
            if group.find(tags[code][0]) is not None}


# --- labels for readable errors --------------------------------------------------------------
def _collect_labels(info_head=INFO_HEAD) -> dict:
    labels = {
        ROOT_TAG: None, "DU_LIEU_HOC_BA": None, "THONG_TIN_HOC_BA": None,
        "DANH_SACH_DIEM": None, "DANH_SACH_GVBM": None,
        "QUA_TRINH_HOC_TAP": None, "DANH_SACH_CHUNG_CHI": None,
        "KET_QUA_TIEU_HOC": "Year results (TT27)", "KET_QUA_THCS_THPT": "Year results (TT22)",
        "NANG_LUC": "Competencies", "PHAM_CHAT": "Qualities",
        "DANH_SACH_THONG_TIN_KY": "Signature slots", "PHAT_HANH_HOC_BA": "Issuance slots",
        "CBQL": "School leader's signature slot", "KY_PHAT_HANH": "Issuance signature slot",
        "DIEM_TONG_KET": "Subject", "NAM_HOC_QUA": "Study history line",
        "CHUNG_CHI": "Certificate",
    }

    def walk(specs):
        for spec in specs:
            labels.setdefault(spec.tag, spec.label)
            if isinstance(spec, Group):
                walk(spec.fields)

    for table in (info_head, INFO_TAIL, PRIMARY_TAIL, SECONDARY, SUBJECT, HISTORY, CERTIFICATE):
        walk(table)
    for tags in (COMPETENCY_TAGS, QUALITY_TAGS):
        labels.update({tag: label for tag, label in tags.values()})
    return labels


def _item_label(element) -> str | None:
    """Names one entry of a repeated element, e.g. 'Subject TOAN' or 'Study history line 2'."""
    tag = element.tag
    parent = element.getparent()
    position = 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == tag)
    if tag == "DIEM_TONG_KET":
        code = element.findtext("MA_MON_HOC")
        return "Subject %s" % code if code else "Subject line %d" % position
    if tag == "GVBM" and parent is not None and parent.tag == "DANH_SACH_GVBM":
        return "Signature slot of subject %s" % (element.get("MaMon") or position)
    if tag == "NAM_HOC_QUA":
        return "Study history line %d" % position
    if tag == "CHUNG_CHI":
        return "Certificate %d" % position
    return None


# messages for the XSD's identity constraints, by constraint name
KEY_MESSAGES = {
    "subjectCode": "Subject %(value)s appears more than once; keep one line per subject",
    "subjectElementId": "Subject element Id %(value)s appears more than once",
    "subjectSlot": "Subject %(value)s has more than one subject-teacher signature slot",
    "subjectSlotRefersToSubject":
        "The subject-teacher signature slot for %(value)s has no matching subject line",
}
EXPLAINER = Explainer(_collect_labels(), _item_label, KEY_MESSAGES, XSD_PATH)

_SLOT_PATHS = {
    ROLE_HOMEROOM_TEACHER: "DANH_SACH_THONG_TIN_KY/GVCN",
    ROLE_LEADER: "PHAT_HANH_HOC_BA/CBQL",
    ROLE_ISSUANCE: "PHAT_HANH_HOC_BA/KY_PHAT_HANH",
}


class HocbasoV1(Profile):
    version = VERSION
    xsd_path = XSD_PATH
    # the tables a later version changes (hocbaso-1.1: the student's identity)
    info_head = INFO_HEAD
    explainer = EXPLAINER

    # --- Record -> tree ----------------------------------------------------------------
    def to_tree(self, record: rec.Record) -> etree._Element:
        root = etree.Element(ROOT_TAG, {VERSION_ATTRIBUTE: self.version})
        payload = etree.SubElement(root, "DU_LIEU_HOC_BA", {ID_ATTRIBUTE: PAYLOAD_ID})

        info = etree.SubElement(payload, "THONG_TIN_HOC_BA", {ID_ATTRIBUTE: INFO_ID})
        _write(info, record, self.info_head)
        if record.primary is not None:
            self._write_primary(info, record.primary)
        elif record.secondary is not None:
            self._write_secondary(info, record.secondary)
        _write(info, record, INFO_TAIL)

        scores = etree.SubElement(payload, "DANH_SACH_DIEM")
        for subject in record.subjects:
            line = etree.SubElement(scores, "DIEM_TONG_KET",
                                    {ID_ATTRIBUTE: self.subject_element_id(subject.code)})
            _write(line, subject, SUBJECT)

        history = etree.SubElement(payload, "QUA_TRINH_HOC_TAP")
        for year in record.history:
            _write(etree.SubElement(history, "NAM_HOC_QUA"), year, HISTORY)

        slots = etree.SubElement(root, "DANH_SACH_THONG_TIN_KY")
        teacher_slots = etree.SubElement(slots, "DANH_SACH_GVBM")
        for subject in record.subjects:
            etree.SubElement(teacher_slots, "GVBM", {"MaMon": str(subject.code or "")})
        etree.SubElement(slots, "GVCN")
        issuance = etree.SubElement(root, "PHAT_HANH_HOC_BA")
        etree.SubElement(issuance, "CBQL")
        etree.SubElement(issuance, "KY_PHAT_HANH")
        return root

    @staticmethod
    def _write_primary(info, result: rec.PrimaryResult) -> None:
        block = etree.SubElement(info, "KET_QUA_TIEU_HOC")
        _write_ratings(block, "NANG_LUC", result.competencies or {}, COMPETENCY_TAGS)
        _write_ratings(block, "PHAM_CHAT", result.qualities or {}, QUALITY_TAGS)
        _write(block, result, PRIMARY_TAIL)

    @staticmethod
    def _write_secondary(info, result: rec.SecondaryResult) -> None:
        block = etree.SubElement(info, "KET_QUA_THCS_THPT")
        _write(block, result, SECONDARY)
        if result.certificates:
            listing = etree.SubElement(block, "DANH_SACH_CHUNG_CHI")
            for certificate in result.certificates:
                _write(etree.SubElement(listing, "CHUNG_CHI"), certificate, CERTIFICATE)

    # --- tree -> Record ----------------------------------------------------------------
    def from_tree(self, root: etree._Element) -> rec.Record:
        payload = root.find("DU_LIEU_HOC_BA")
        info = payload.find("THONG_TIN_HOC_BA")
        values = _read(info, self.info_head)
        values.update(_read(info, INFO_TAIL))

        primary = info.find("KET_QUA_TIEU_HOC")
        if primary is not None:
            values["primary"] = rec.PrimaryResult(
                competencies=_read_ratings(primary, "NANG_LUC", COMPETENCY_TAGS),
                qualities=_read_ratings(primary, "PHAM_CHAT", QUALITY_TAGS),
                **_read(primary, PRIMARY_TAIL))
        secondary = info.find("KET_QUA_THCS_THPT")
        if secondary is not None:
            certificates = [rec.Certificate(**_read(c, CERTIFICATE))
                            for c in secondary.iterfind("DANH_SACH_CHUNG_CHI/CHUNG_CHI")]
            values["secondary"] = rec.SecondaryResult(certificates=certificates,
                                                      **_read(secondary, SECONDARY))

        subjects, wrong_ids = [], []
        for line in payload.iterfind("DANH_SACH_DIEM/DIEM_TONG_KET"):
            subject = rec.SubjectResult(**_read(line, SUBJECT))
            if line.get(ID_ATTRIBUTE) != self.subject_element_id(subject.code):
                wrong_ids.append("Subject %s: element Id is '%s', expected '%s'" % (
                    subject.code, line.get(ID_ATTRIBUTE), self.subject_element_id(subject.code)))
            subjects.append(subject)
        if wrong_ids:
            self._raise_if(wrong_ids)
        values["subjects"] = subjects
        values["history"] = [rec.StudyHistory(**_read(year, HISTORY))
                             for year in payload.iterfind("QUA_TRINH_HOC_TAP/NAM_HOC_QUA")]
        return rec.Record(**values)

    # --- rules the XSD cannot express -----------------------------------------------------
    def check_record(self, record: rec.Record) -> list[str]:
        problems: list[str] = []
        assessed = not record.student.disability_not_assessed
        if record.circular == rec.CIRCULAR_PRIMARY:
            if record.primary is None or record.secondary is not None:
                problems.append("Year results: a TT27 (primary) record needs the primary year "
                                "results (KET_QUA_TIEU_HOC) and no TT22 results")
            own, other = PRIMARY_SUBJECT_FIELDS, SECONDARY_SUBJECT_FIELDS
        elif record.circular == rec.CIRCULAR_SECONDARY:
            if record.secondary is None or record.primary is not None:
                problems.append("Year results: a TT22 record needs the lower/upper secondary "
                                "year results (KET_QUA_THCS_THPT) and no TT27 results")
            own, other = SECONDARY_SUBJECT_FIELDS, PRIMARY_SUBJECT_FIELDS
        else:
            own, other = (), ()  # the XSD reports the unknown circular
        if not record.subjects:
            problems.append("The record has no subject lines; add the subjects' results first")
        tags = {leaf.attr: leaf for leaf in SUBJECT if isinstance(leaf, Leaf)}
        for subject in record.subjects:
            for attr in other:
                if getattr(subject, attr):
                    problems.append("Subject %s › %s (%s): not used in %s records; clear it" % (
                        subject.code, tags[attr].label, tags[attr].tag, record.circular))
            main = own[0] if record.circular == rec.CIRCULAR_PRIMARY else own[2] if own else ""
            if assessed and main and not getattr(subject, main):
                problems.append("Subject %s › %s (%s) is missing" % (
                    subject.code, tags[main].label, tags[main].tag))
        problems += self._check_ratings(record, assessed)
        problems += _check_dates(record)
        return problems

    @staticmethod
    def _check_ratings(record: rec.Record, assessed: bool) -> list[str]:
        problems = []
        if record.primary is not None:
            for name, ratings, tags in (("Competencies", record.primary.competencies,
                                         COMPETENCY_TAGS),
                                        ("Qualities", record.primary.qualities, QUALITY_TAGS)):
                ratings = ratings or {}
                for code in sorted(set(ratings) - set(tags)):
                    problems.append("%s: '%s' is not a TT27 rating name" % (name, code))
                for code, (tag, label) in tags.items():
                    if assessed and not ratings.get(code):
                        problems.append("%s › %s (%s) is missing" % (name, label, tag))
        if record.secondary is not None and assessed:
            for leaf in SECONDARY:
                if leaf.attr in ("learning_year", "conduct_year") and not getattr(
                        record.secondary, leaf.attr):
                    problems.append("Year results (TT22) › %s (%s) is missing" % (
                        leaf.label, leaf.tag))
        return problems

    def explain(self, error_log, root) -> list[str]:
        return self.explainer.explain(error_log, root)

    # --- what the signers need ------------------------------------------------------------
    def payload_element_ids(self, xml) -> list[str]:
        payload = self.root(xml).find("DU_LIEU_HOC_BA")
        if payload is None:
            return []
        return [element.get(ID_ATTRIBUTE) for element in payload.iter()
                if element.get(ID_ATTRIBUTE)]

    def subject_element_id(self, subject_code: str) -> str:
        return SUBJECT_ID_PREFIX + str(subject_code or "")

    @staticmethod
    def signature_id(role: str, subject_code: str = "") -> str:
        """The Id the signature of ``role`` gets: sig-gvbm-TOAN, sig-gvcn, sig-cbql..."""
        return roles.signature_id(role, subject_code)

    def signature_slot(self, xml, role: str, subject_code: str = "") -> etree._Element:
        root = self.root(xml)
        if role == ROLE_SUBJECT_TEACHER:
            found = root.xpath("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon=$code]",
                               code=str(subject_code))
        elif role in _SLOT_PATHS:
            found = root.xpath(_SLOT_PATHS[role])
        else:
            found = []
        if not found:
            raise InvalidValueError(
                "This record file has no signature place for %(role)s %(subject)s. "
                "Rebuild the record XML before signing.",
                role=role, subject=subject_code)
        return found[0]


def _check_dates(record: rec.Record) -> list[str]:
    problems = []
    year = record.school_year or ""
    if len(year) == 9 and year[4] == "-" and year[:4].isdigit() and year[5:].isdigit():
        if int(year[5:]) != int(year[:4]) + 1:
            problems.append("School year (NAM_HOC): '%s' must be two consecutive years, "
                            "e.g. 2024-2025" % year)
    birth = record.student.birth_date or ""
    if len(birth) == 10:
        try:
            datetime.date.fromisoformat(birth)
        except ValueError:
            problems.append("Student › date of birth (NGAY_SINH): '%s' is not a real "
                            "calendar date" % birth)
    return problems


PROFILE = HocbasoV1()
