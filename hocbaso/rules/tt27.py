"""Thông tư 27/2020/TT-BGDĐT: assessment of primary students.

Article numbers refer to the regulation issued with TT27: Art. 7 periodic assessment and
tests, Art. 9(2)(a) the four year levels, Art. 11 completion of the class and of primary
school, Art. 13(1)(a) end-of-year awards.
"""

from __future__ import annotations

from hocbaso.errors import InvalidValueError
from hocbaso.record import LEVEL_PRIMARY
from hocbaso.subjects import subjects_for
from hocbaso.validation import (
    COMPETENCY,
    EXEMPT,
    PRIMARY_SUBJECT,
    QUALITY,
    YEAR_LEVEL,
    check_level,
    normalize_code,
    parse_primary_test_score,
)

HTXS, HTT, HT, CHT = "HTXS", "HTT", "HT", "CHT"
LAST_PRIMARY_GRADE = 5

AWARD_EXCELLENT = "Học sinh Xuất sắc"
AWARD_EXEMPLARY = "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện"


def periodic_test_subjects(grade: int) -> set[str]:
    """Subject codes with an end-of-semester-1 and end-of-year test at ``grade`` (Art. 7).

    Grades 4 and 5 also have mid-semester tests in TV and TOAN; those do not enter the year
    level, so they are not listed here.
    """
    return {s.code for s in subjects_for(LEVEL_PRIMARY, grade) if s.has_periodic_test}


def _ratings(kind: str, values: dict, ratings_optional: bool) -> list[str]:
    result = []
    for name, value in values.items():
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            if ratings_optional:
                continue  # cokhuyettatkhongdanhgia: disabled students may be left unrated
            raise InvalidValueError(
                "%(name)s has no rating. Rate it T, Đ or C before computing the year level.",
                name=name,
            )
        result.append(check_level(kind, value))
    return result


def year_level(
    subject_levels: dict,
    test_scores: dict,
    competencies: dict,
    qualities: dict,
    *,
    grade: int | None = None,
    ratings_optional: bool = False,
) -> str:
    """HTXS / HTT / HT / CHT from the end-of-year results (Art. 9(2)(a)).

    * ``subject_levels``: {code: T/H/C/M}; "M" (exempt) subjects are left out, with their tests;
    * ``test_scores``: {code: end-of-year test score 0-10}; None or "M" means no score;
    * ``competencies`` / ``qualities``: {name: T/Đ/C};
    * ``grade``: when given, every assessed subject of :func:`periodic_test_subjects` must
      have a score, so a missing score cannot lift the level;
    * ``ratings_optional``: disabled students (cokhuyettatkhongdanhgia) may have blanks.
    """
    levels = {code: check_level(PRIMARY_SUBJECT, v) for code, v in subject_levels.items()}
    assessed = {code: v for code, v in levels.items() if v != EXEMPT}
    if not assessed:
        raise InvalidValueError(
            "No subject has a rating. Rate the subjects before computing the year level."
        )
    scores = {}
    for code, value in test_scores.items():
        score = parse_primary_test_score(value)
        if score is not None and levels.get(code) != EXEMPT:
            scores[code] = score
    if grade is not None:
        for code in sorted(periodic_test_subjects(grade) & assessed.keys()):
            if code not in scores and normalize_code(test_scores.get(code) or "") != EXEMPT:
                raise InvalidValueError(
                    "Subject %(subject)s has no end-of-year test score; grade %(grade)s "
                    "requires one. Enter the score, or M if the student is exempt.",
                    subject=code,
                    grade=grade,
                )
    ratings = _ratings(COMPETENCY, competencies, ratings_optional) + _ratings(
        QUALITY, qualities, ratings_optional
    )

    subjects_all_t = all(v == "T" for v in assessed.values())
    ratings_all_t = all(v == "T" for v in ratings)

    def tests_at_least(floor: int) -> bool:
        return all(score >= floor for score in scores.values())

    # Hoàn thành xuất sắc: all subjects T, qualities/competencies Tốt, tests >= 9.
    if subjects_all_t and ratings_all_t and tests_at_least(9):
        return HTXS
    # Hoàn thành tốt: same ratings, tests >= 7.
    if subjects_all_t and ratings_all_t and tests_at_least(7):
        return HTT
    # Hoàn thành: subjects T or H, qualities/competencies Tốt or Đạt, tests >= 5.
    if (
        all(v in ("T", "H") for v in assessed.values())
        and all(v in ("T", "Đ") for v in ratings)
        and tests_at_least(5)
    ):
        return HT
    return CHT


def completes_class(level: str) -> bool:
    """HTXS, HTT and HT complete the class programme (Art. 11); CHT does not."""
    return check_level(YEAR_LEVEL, level) in (HTXS, HTT, HT)


def _grade_number(grade_code) -> int:
    # makhoi codes (QĐ 4998/QĐ-BGDĐT) are unknown; "5", "05" and 5 are all read as grade 5.
    text = str(grade_code).strip()
    if not text.isdigit():
        raise InvalidValueError(
            'Grade "%(value)s" is not a grade number. Use 1 to 5 for primary classes.',
            value=grade_code,
        )
    return int(text)


def completes_primary(level: str, grade_code) -> bool:
    """Completion of primary school: a completing level in grade 5 (Art. 11)."""
    return completes_class(level) and _grade_number(grade_code) == LAST_PRIMARY_GRADE


def award_for(level: str) -> str:
    """The end-of-year award the level makes the student eligible for (Art. 13(1)(a)).

    The HTT award also needs an outstanding result in a subject or clear progress in a quality
    or competency, recognised by the class: the homeroom teacher confirms it.
    """
    code = check_level(YEAR_LEVEL, level)
    if code == HTXS:
        return AWARD_EXCELLENT
    if code == HTT:
        return AWARD_EXEMPLARY
    return ""


def completion_text(level: str, grade_code) -> str:
    """The completion line of the record, in Vietnamese as it is printed (Art. 11)."""
    if completes_primary(level, grade_code):
        return "Hoàn thành chương trình tiểu học"
    if completes_class(level):
        return "Hoàn thành chương trình lớp học"
    return "Chưa hoàn thành chương trình lớp học"
