"""Default subject catalogue per level and grade (TT32/2018 as amended by TT13/2022).

This is seed data: Odoo loads it once and schools may edit codes and names there. The codes
are MOET-like short ASCII codes chosen here; the official code lists (data_dmdc_g03_gd006 for
primary, data_green_g03_gddt020/021/022 for secondary) were not available, so the codes must be
mapped to the official ones once they are known. Note that the unofficial catalogue gives
``mamonhoc`` as varchar(3), shorter than several codes here.

Assessment kinds:

* "level_test": TT27 rating (T/H/C) plus an end-of-semester/end-of-year periodic test;
* "level": TT27 rating only;
* "score": TT22 comment plus a 10-point score (one decimal);
* "comment": TT22 comment only, result Đ/CĐ.
"""

from __future__ import annotations

from dataclasses import dataclass

from hocbaso.record import LEVEL_LOWER_SECONDARY, LEVEL_PRIMARY, LEVEL_UPPER_SECONDARY

LEVEL_TEST = "level_test"
LEVEL_ONLY = "level"
SCORE = "score"
COMMENT = "comment"

COMPULSORY = "compulsory"
ELECTIVE = "elective"  # THPT: the student chooses 4 of the elective group
OPTIONAL = "optional"  # môn học tự chọn

GRADES = {
    LEVEL_PRIMARY: frozenset(range(1, 6)),
    LEVEL_LOWER_SECONDARY: frozenset(range(6, 10)),
    LEVEL_UPPER_SECONDARY: frozenset(range(10, 13)),
}
THPT_ELECTIVES_TO_CHOOSE = 4


@dataclass(frozen=True)
class Subject:
    level_code: str  # macaphoc: 02 primary, 03 lower secondary, 04 upper secondary
    code: str  # default mamonhoc, uppercase ASCII, at most 10 characters
    name_vi: str
    name_en: str
    grades: frozenset[int]
    requirement: str  # COMPULSORY, ELECTIVE or OPTIONAL
    assessment: str  # LEVEL_TEST, LEVEL_ONLY, SCORE or COMMENT

    @property
    def is_compulsory(self) -> bool:
        return self.requirement == COMPULSORY

    @property
    def has_periodic_test(self) -> bool:
        return self.assessment == LEVEL_TEST


def _g(first: int, last: int) -> frozenset[int]:
    return frozenset(range(first, last + 1))


_TH, _THCS, _THPT = LEVEL_PRIMARY, LEVEL_LOWER_SECONDARY, LEVEL_UPPER_SECONDARY

# Primary periodic tests (TT27 Art. 7): Tiếng Việt, Toán, Ngoại ngữ 1, Lịch sử và Địa lí,
# Khoa học, Tin học và Công nghệ: the compulsory ones only, so NN1 in grades 1-2 (optional)
# has no test. Khoa học is missing from the English translation we saw [S19]: verify.
SUBJECTS: tuple[Subject, ...] = (
    # Primary (TH)
    Subject(_TH, "TV", "Tiếng Việt", "Vietnamese", _g(1, 5), COMPULSORY, LEVEL_TEST),
    Subject(_TH, "TOAN", "Toán", "Mathematics", _g(1, 5), COMPULSORY, LEVEL_TEST),
    Subject(_TH, "DAODUC", "Đạo đức", "Ethics", _g(1, 5), COMPULSORY, LEVEL_ONLY),
    Subject(_TH, "NN1", "Ngoại ngữ 1", "Foreign language 1", _g(1, 2), OPTIONAL, LEVEL_ONLY),
    Subject(_TH, "NN1", "Ngoại ngữ 1", "Foreign language 1", _g(3, 5), COMPULSORY, LEVEL_TEST),
    Subject(_TH, "TNXH", "Tự nhiên và Xã hội", "Nature and society", _g(1, 3), COMPULSORY,
            LEVEL_ONLY),
    Subject(_TH, "LSDL", "Lịch sử và Địa lí", "History and geography", _g(4, 5), COMPULSORY,
            LEVEL_TEST),
    Subject(_TH, "KHOAHOC", "Khoa học", "Science", _g(4, 5), COMPULSORY, LEVEL_TEST),
    Subject(_TH, "TINCN", "Tin học và Công nghệ", "Informatics and technology", _g(3, 5),
            COMPULSORY, LEVEL_TEST),
    Subject(_TH, "GDTC", "Giáo dục thể chất", "Physical education", _g(1, 5), COMPULSORY,
            LEVEL_ONLY),
    Subject(_TH, "NGHETHUAT", "Nghệ thuật", "Arts", _g(1, 5), COMPULSORY, LEVEL_ONLY),
    Subject(_TH, "HDTN", "Hoạt động trải nghiệm", "Experiential activities", _g(1, 5),
            COMPULSORY, LEVEL_ONLY),
    Subject(_TH, "TIENGDT", "Tiếng dân tộc thiểu số", "Ethnic minority language", _g(1, 5),
            OPTIONAL, LEVEL_ONLY),
    # Lower secondary (THCS)
    Subject(_THCS, "NGUVAN", "Ngữ văn", "Literature", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "TOAN", "Toán", "Mathematics", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "NN1", "Ngoại ngữ 1", "Foreign language 1", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "GDCD", "Giáo dục công dân", "Civic education", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "LSDL", "Lịch sử và Địa lí", "History and geography", _g(6, 9), COMPULSORY,
            SCORE),
    Subject(_THCS, "KHTN", "Khoa học tự nhiên", "Natural sciences", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "CONGNGHE", "Công nghệ", "Technology", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "TINHOC", "Tin học", "Informatics", _g(6, 9), COMPULSORY, SCORE),
    Subject(_THCS, "GDTC", "Giáo dục thể chất", "Physical education", _g(6, 9), COMPULSORY,
            COMMENT),
    Subject(_THCS, "NGHETHUAT", "Nghệ thuật", "Arts", _g(6, 9), COMPULSORY, COMMENT),
    Subject(_THCS, "HDTNHN", "Hoạt động trải nghiệm, hướng nghiệp",
            "Experiential and career guidance activities", _g(6, 9), COMPULSORY, COMMENT),
    Subject(_THCS, "NDGDDP", "Nội dung giáo dục của địa phương", "Local education content",
            _g(6, 9), COMPULSORY, COMMENT),
    Subject(_THCS, "TIENGDT", "Tiếng dân tộc thiểu số", "Ethnic minority language", _g(6, 9),
            OPTIONAL, SCORE),
    Subject(_THCS, "NN2", "Ngoại ngữ 2", "Foreign language 2", _g(6, 9), OPTIONAL, SCORE),
    # Upper secondary (THPT)
    Subject(_THPT, "NGUVAN", "Ngữ văn", "Literature", _g(10, 12), COMPULSORY, SCORE),
    Subject(_THPT, "TOAN", "Toán", "Mathematics", _g(10, 12), COMPULSORY, SCORE),
    Subject(_THPT, "NN1", "Ngoại ngữ 1", "Foreign language 1", _g(10, 12), COMPULSORY, SCORE),
    Subject(_THPT, "LICHSU", "Lịch sử", "History", _g(10, 12), COMPULSORY, SCORE),
    Subject(_THPT, "GDTC", "Giáo dục thể chất", "Physical education", _g(10, 12), COMPULSORY,
            COMMENT),
    Subject(_THPT, "GDQPAN", "Giáo dục quốc phòng và an ninh", "National defence and security",
            _g(10, 12), COMPULSORY, SCORE),
    Subject(_THPT, "HDTNHN", "Hoạt động trải nghiệm, hướng nghiệp",
            "Experiential and career guidance activities", _g(10, 12), COMPULSORY, COMMENT),
    Subject(_THPT, "NDGDDP", "Nội dung giáo dục của địa phương", "Local education content",
            _g(10, 12), COMPULSORY, COMMENT),
    Subject(_THPT, "DIALI", "Địa lí", "Geography", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "GDKTPL", "Giáo dục kinh tế và pháp luật", "Economic and legal education",
            _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "VATLI", "Vật lí", "Physics", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "HOAHOC", "Hóa học", "Chemistry", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "SINHHOC", "Sinh học", "Biology", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "CONGNGHE", "Công nghệ", "Technology", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "TINHOC", "Tin học", "Informatics", _g(10, 12), ELECTIVE, SCORE),
    Subject(_THPT, "AMNHAC", "Âm nhạc", "Music", _g(10, 12), ELECTIVE, COMMENT),
    Subject(_THPT, "MITHUAT", "Mĩ thuật", "Fine arts", _g(10, 12), ELECTIVE, COMMENT),
    Subject(_THPT, "TIENGDT", "Tiếng dân tộc thiểu số", "Ethnic minority language", _g(10, 12),
            OPTIONAL, SCORE),
    Subject(_THPT, "NN2", "Ngoại ngữ 2", "Foreign language 2", _g(10, 12), OPTIONAL, SCORE),
)


def subjects_for(level_code: str, grade: int) -> tuple[Subject, ...]:
    """The subjects taught at ``grade`` of ``level_code`` (macaphoc), in catalogue order.

    Raises ValueError for a grade outside the level (a programming error, not a clerk's).
    """
    if grade not in GRADES.get(level_code, ()):
        raise ValueError("grade %r is not part of level %r" % (grade, level_code))
    return tuple(s for s in SUBJECTS if s.level_code == level_code and grade in s.grades)


def subject(level_code: str, grade: int, code: str) -> Subject | None:
    """The catalogue entry for ``code`` at that level and grade, or None."""
    for entry in subjects_for(level_code, grade):
        if entry.code == code:
            return entry
    return None


def level_of_grade(grade: int) -> str:
    """macaphoc of a grade 1-12."""
    for level_code, grades in GRADES.items():
        if grade in grades:
            return level_code
    raise ValueError("grade %r is not between 1 and 12" % (grade,))
