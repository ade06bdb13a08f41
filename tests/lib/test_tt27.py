"""TT27 rules (primary): year level, completion, awards, periodic tests."""

import unicodedata

import pytest

from hocbaso.errors import InvalidValueError
from hocbaso.record import PRIMARY_COMPETENCIES, PRIMARY_QUALITIES
from hocbaso.rules import tt27


def ratings(names, value="T", **overrides):
    result = {name: value for name in names}
    result.update(overrides)
    return result


COMP_T = ratings(PRIMARY_COMPETENCIES)
QUAL_T = ratings(PRIMARY_QUALITIES)
# Grade 5: subjects and which have end-of-year tests
LEVELS_T = {code: "T" for code in ("TV", "TOAN", "DAODUC", "NN1", "LSDL", "KHOAHOC", "TINCN",
                                   "GDTC", "NGHETHUAT", "HDTN")}
TESTED = ("TV", "TOAN", "NN1", "LSDL", "KHOAHOC", "TINCN")


def scores_of(score=10, **overrides):
    result = {code: score for code in TESTED}
    result.update(overrides)
    return result


@pytest.mark.parametrize(
    "levels, scores, comps, quals, expected",
    [
        (LEVELS_T, scores_of(10), COMP_T, QUAL_T, "HTXS"),
        (LEVELS_T, scores_of(9), COMP_T, QUAL_T, "HTXS"),  # 9 is enough
        (LEVELS_T, scores_of(10, TOAN=8), COMP_T, QUAL_T, "HTT"),  # one test at 8
        (LEVELS_T, scores_of(7), COMP_T, QUAL_T, "HTT"),  # 7 is enough for HTT
        (LEVELS_T, scores_of(10, TV=6), COMP_T, QUAL_T, "HT"),  # one test at 6
        (LEVELS_T, scores_of(5), COMP_T, QUAL_T, "HT"),  # 5 is enough for HT
        (LEVELS_T, scores_of(10, TV=4), COMP_T, QUAL_T, "CHT"),  # one test below 5
        (dict(LEVELS_T, GDTC="H"), scores_of(10), COMP_T, QUAL_T, "HT"),  # one subject H
        (dict(LEVELS_T, GDTC="C"), scores_of(10), COMP_T, QUAL_T, "CHT"),  # one subject C
        (LEVELS_T, scores_of(10), dict(COMP_T, nangluctuhoc="Đ"), QUAL_T, "HT"),
        (LEVELS_T, scores_of(10), COMP_T, dict(QUAL_T, phamchatchamchi="Đ"), "HT"),
        (LEVELS_T, scores_of(10), dict(COMP_T, nanglucthechat="C"), QUAL_T, "CHT"),
        (LEVELS_T, scores_of(10), COMP_T, dict(QUAL_T, phamchatnhanai="C"), "CHT"),
        (LEVELS_T, scores_of(10), ratings(PRIMARY_COMPETENCIES, "Đ"),
         ratings(PRIMARY_QUALITIES, "Đ"), "HT"),
        (dict(LEVELS_T, TV="H"), scores_of(5), COMP_T, QUAL_T, "HT"),
        (LEVELS_T, scores_of("9"), COMP_T, QUAL_T, "HTXS"),  # scores as text
        (LEVELS_T, scores_of(0), COMP_T, QUAL_T, "CHT"),
    ],
)
def test_year_level(levels, scores, comps, quals, expected):
    assert tt27.year_level(levels, scores, comps, quals) == expected


def test_exempt_subject_is_left_out_with_its_test():
    levels = dict(LEVELS_T, NN1="M")
    scores = scores_of(10, NN1=2)  # a stray score for an exempt subject must not count
    assert tt27.year_level(levels, scores, COMP_T, QUAL_T) == "HTXS"
    # an "M" test score counts as no score
    assert tt27.year_level(LEVELS_T, scores_of(10, NN1="M"), COMP_T, QUAL_T) == "HTXS"


def test_nfd_and_lower_case_codes_are_accepted():
    nfd_d = unicodedata.normalize("NFD", "đ")
    comps = dict(COMP_T, nangluctuhoc=nfd_d)
    levels = dict(LEVELS_T, GDTC="h")
    assert tt27.year_level(levels, scores_of(10), comps, QUAL_T) == "HT"


def test_grade_requires_scores_for_tested_subjects():
    scores = scores_of(10)
    del scores["KHOAHOC"]
    # without grade the missing score is simply absent
    assert tt27.year_level(LEVELS_T, scores, COMP_T, QUAL_T) == "HTXS"
    with pytest.raises(InvalidValueError, match="KHOAHOC has no end-of-year test score"):
        tt27.year_level(LEVELS_T, scores, COMP_T, QUAL_T, grade=5)
    # M as the score (exempt from the test) is accepted
    assert tt27.year_level(LEVELS_T, dict(scores, KHOAHOC="M"), COMP_T, QUAL_T,
                           grade=5) == "HTXS"
    # a subject exempt altogether needs no score
    assert tt27.year_level(dict(LEVELS_T, KHOAHOC="M"), scores, COMP_T, QUAL_T,
                           grade=5) == "HTXS"


def test_grade_1_needs_only_tv_and_toan_scores():
    levels = {"TV": "T", "TOAN": "T", "DAODUC": "T", "TNXH": "T", "GDTC": "T",
              "NGHETHUAT": "T", "HDTN": "T"}
    assert tt27.year_level(levels, {"TV": 9, "TOAN": 9}, COMP_T, QUAL_T, grade=1) == "HTXS"
    with pytest.raises(InvalidValueError, match="TOAN"):
        tt27.year_level(levels, {"TV": 9}, COMP_T, QUAL_T, grade=1)


@pytest.mark.parametrize(
    "levels, scores, comps, fragment",
    [
        (dict(LEVELS_T, TV="Đ"), scores_of(10), COMP_T, "not a subject rating"),
        (LEVELS_T, scores_of(10), dict(COMP_T, nangluctuhoc="H"), "not a competency rating"),
        (LEVELS_T, scores_of(10, TV="9.5"), COMP_T, "whole number from 0 to 10"),
        (LEVELS_T, scores_of(10, TV=11), COMP_T, "whole number from 0 to 10"),
        (LEVELS_T, scores_of(10), dict(COMP_T, nangluctuhoc=""), "nangluctuhoc has no rating"),
        ({"TV": "M", "TOAN": "M"}, {}, COMP_T, "No subject has a rating"),
    ],
)
def test_year_level_refuses_bad_input(levels, scores, comps, fragment):
    with pytest.raises(InvalidValueError) as info:
        tt27.year_level(levels, scores, comps, QUAL_T)
    assert fragment in info.value.message


def test_ratings_optional_for_disabled_students():
    comps = dict(COMP_T, nangluctuhoc="")
    assert tt27.year_level(LEVELS_T, scores_of(10), comps, QUAL_T, ratings_optional=True) == "HTXS"


@pytest.mark.parametrize(
    "level, completes", [("HTXS", True), ("HTT", True), ("HT", True), ("CHT", False),
                         ("ht", True)]
)
def test_completes_class(level, completes):
    assert tt27.completes_class(level) is completes


@pytest.mark.parametrize(
    "level, grade, expected",
    [("HT", 5, True), ("HT", "5", True), ("HTXS", "05", True), ("HT", 4, False),
     ("CHT", 5, False), ("HTT", 1, False)],
)
def test_completes_primary(level, grade, expected):
    assert tt27.completes_primary(level, grade) is expected


def test_completes_primary_refuses_non_numeric_grade():
    with pytest.raises(InvalidValueError, match="not a grade number"):
        tt27.completes_primary("HT", "L5")


@pytest.mark.parametrize(
    "level, award",
    [
        ("HTXS", "Học sinh Xuất sắc"),
        ("HTT", "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện"),
        ("HT", ""),
        ("CHT", ""),
    ],
)
def test_award_for(level, award):
    assert tt27.award_for(level) == award


def test_bad_year_level_refused():
    with pytest.raises(InvalidValueError, match="HTXS, HTT, HT, CHT"):
        tt27.award_for("XS")


@pytest.mark.parametrize(
    "grade, expected",
    [
        (1, {"TV", "TOAN"}),
        (2, {"TV", "TOAN"}),
        (3, {"TV", "TOAN", "NN1", "TINCN"}),
        (4, {"TV", "TOAN", "NN1", "LSDL", "KHOAHOC", "TINCN"}),
        (5, {"TV", "TOAN", "NN1", "LSDL", "KHOAHOC", "TINCN"}),
    ],
)
def test_periodic_test_subjects(grade, expected):
    assert tt27.periodic_test_subjects(grade) == expected


def test_periodic_test_subjects_outside_primary_is_an_error():
    with pytest.raises(ValueError):
        tt27.periodic_test_subjects(6)
