"""Default subject catalogue (TT32/2018 as amended by TT13/2022)."""

import dataclasses
import re

import pytest

from hocbaso import subjects as s
from hocbaso.record import LEVEL_LOWER_SECONDARY, LEVEL_PRIMARY, LEVEL_UPPER_SECONDARY


def codes(level, grade):
    return [x.code for x in s.subjects_for(level, grade)]


def test_codes_are_short_uppercase_ascii():
    for subject in s.SUBJECTS:
        assert re.fullmatch(r"[A-Z0-9]{2,10}", subject.code), subject.code
        assert subject.name_vi and subject.name_en
        assert subject.requirement in (s.COMPULSORY, s.ELECTIVE, s.OPTIONAL)
        assert subject.assessment in (s.LEVEL_TEST, s.LEVEL_ONLY, s.SCORE, s.COMMENT)
        assert subject.grades <= s.GRADES[subject.level_code]


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.SUBJECTS[0].code = "X"


@pytest.mark.parametrize("level", [LEVEL_PRIMARY, LEVEL_LOWER_SECONDARY, LEVEL_UPPER_SECONDARY])
def test_a_code_appears_once_per_grade(level):
    for grade in s.GRADES[level]:
        found = codes(level, grade)
        assert len(found) == len(set(found)), (level, grade, found)


def test_assessment_kind_matches_level():
    for subject in s.SUBJECTS:
        if subject.level_code == LEVEL_PRIMARY:
            assert subject.assessment in (s.LEVEL_TEST, s.LEVEL_ONLY)
        else:
            assert subject.assessment in (s.SCORE, s.COMMENT)


@pytest.mark.parametrize(
    "grade, expected",
    [
        (1, ["TV", "TOAN", "DAODUC", "NN1", "TNXH", "GDTC", "NGHETHUAT", "HDTN", "TIENGDT"]),
        (3, ["TV", "TOAN", "DAODUC", "NN1", "TNXH", "TINCN", "GDTC", "NGHETHUAT", "HDTN",
             "TIENGDT"]),
        (4, ["TV", "TOAN", "DAODUC", "NN1", "LSDL", "KHOAHOC", "TINCN", "GDTC", "NGHETHUAT",
             "HDTN", "TIENGDT"]),
    ],
)
def test_primary_subjects_per_grade(grade, expected):
    assert codes(LEVEL_PRIMARY, grade) == expected


def test_primary_nn1_optional_in_grades_1_2_and_compulsory_from_3():
    assert s.subject(LEVEL_PRIMARY, 1, "NN1").requirement == s.OPTIONAL
    assert not s.subject(LEVEL_PRIMARY, 2, "NN1").has_periodic_test
    assert s.subject(LEVEL_PRIMARY, 3, "NN1").is_compulsory
    assert s.subject(LEVEL_PRIMARY, 3, "NN1").has_periodic_test
    assert s.subject(LEVEL_PRIMARY, 3, "LSDL") is None
    assert s.subject(LEVEL_PRIMARY, 4, "TNXH") is None


@pytest.mark.parametrize("grade", [6, 7, 8, 9])
def test_lower_secondary(grade):
    by_code = {x.code: x for x in s.subjects_for(LEVEL_LOWER_SECONDARY, grade)}
    compulsory = {c for c, x in by_code.items() if x.is_compulsory}
    assert compulsory == {"NGUVAN", "TOAN", "NN1", "GDCD", "LSDL", "KHTN", "CONGNGHE",
                          "TINHOC", "GDTC", "NGHETHUAT", "HDTNHN", "NDGDDP"}
    comment = {c for c, x in by_code.items() if x.assessment == s.COMMENT}
    assert comment == {"GDTC", "NGHETHUAT", "HDTNHN", "NDGDDP"}
    assert {c for c, x in by_code.items() if x.requirement == s.OPTIONAL} == {"TIENGDT", "NN2"}


@pytest.mark.parametrize("grade", [10, 11, 12])
def test_upper_secondary(grade):
    by_code = {x.code: x for x in s.subjects_for(LEVEL_UPPER_SECONDARY, grade)}
    compulsory = {c for c, x in by_code.items() if x.is_compulsory}
    assert compulsory == {"NGUVAN", "TOAN", "NN1", "LICHSU", "GDTC", "GDQPAN", "HDTNHN",
                          "NDGDDP"}
    electives = {c for c, x in by_code.items() if x.requirement == s.ELECTIVE}
    assert electives == {"DIALI", "GDKTPL", "VATLI", "HOAHOC", "SINHHOC", "CONGNGHE",
                         "TINHOC", "AMNHAC", "MITHUAT"}
    assert len(electives) >= s.THPT_ELECTIVES_TO_CHOOSE
    comment = {c for c, x in by_code.items() if x.assessment == s.COMMENT}
    assert comment == {"GDTC", "HDTNHN", "NDGDDP", "AMNHAC", "MITHUAT"}
    assert by_code["GDQPAN"].assessment == s.SCORE


@pytest.mark.parametrize(
    "level, grade", [(LEVEL_PRIMARY, 6), (LEVEL_LOWER_SECONDARY, 5), (LEVEL_UPPER_SECONDARY, 9),
                     ("01", 1), (LEVEL_PRIMARY, 0)]
)
def test_grade_outside_level_is_an_error(level, grade):
    with pytest.raises(ValueError):
        s.subjects_for(level, grade)


@pytest.mark.parametrize("grade, level", [(1, "02"), (5, "02"), (6, "03"), (9, "03"),
                                          (10, "04"), (12, "04")])
def test_level_of_grade(grade, level):
    assert s.level_of_grade(grade) == level


def test_level_of_grade_refuses_13():
    with pytest.raises(ValueError):
        s.level_of_grade(13)


def test_docstring_says_seed_data_and_unknown_official_codes():
    doc = s.__doc__
    assert "seed data" in doc and "data_dmdc_g03_gd006" in doc
