"""Field validators: personal IDs, scores, level codes, dates, small codes."""

import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from hocbaso import validation as v
from hocbaso.errors import InvalidValueError

TODAY = date(2025, 6, 1)
GOOD_ID = "001213004567"  # Hà Nội, 2000s male, born 2013


def nfd(text):
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------------ personal ID


@pytest.mark.parametrize(
    "value, expected",
    [
        (GOOD_ID, GOOD_ID),
        ("  001213004567 ", GOOD_ID),
        ("001 213 004 567", GOOD_ID),
        ("096315000001", "096315000001"),  # Cà Mau, 2000s female, born 2015
        ("079088000123", "079088000123"),  # Hồ Chí Minh, 1900s male, born 1988
    ],
)
def test_personal_id_accepted_and_normalised(value, expected):
    assert v.check_personal_id(value, today=TODAY) == expected
    assert v.personal_id_problems(value, today=TODAY) == []


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("00121300456", "has 11 digits"),
        ("0012130045678", "has 13 digits"),
        ("00121300456A", "digits only"),
        ("O01213004567", "digits only"),  # letter O for zero
        ("001-213-004-567", "digits only"),
        ("", "empty"),
        (None, "empty"),
        ("003213004567", "003, which is not a province code"),
        ("000213004567", "000, which is not a province code"),
        ("097213004567", "097, which is not a province code"),
        ("001413004567", "birth year of 2113, which is in the future"),
        ("001230004567", "birth year of 2030, which is in the future"),
    ],
)
def test_personal_id_refused(value, fragment):
    with pytest.raises(InvalidValueError) as info:
        v.check_personal_id(value, today=TODAY)
    assert fragment in info.value.message
    assert any(fragment in p for p in v.personal_id_problems(value, today=TODAY))


def test_personal_id_leading_zeros_are_kept_as_text():
    result = v.check_personal_id("001213004567", today=TODAY)
    assert isinstance(result, str) and result.startswith("00")


def test_every_embedded_province_code_is_accepted():
    assert len(v.PROVINCE_CODES) == 63
    assert v.PROVINCE_CODES["079"] == "Hồ Chí Minh"
    for code in v.PROVINCE_CODES:
        assert v.personal_id_problems(code + "213004567", today=TODAY) == []


@pytest.mark.parametrize(
    "birth_date, ok",
    [("2013-05-04", True), ("2013", True), (2013, True), (date(2013, 1, 1), True),
     ("2012-12-31", False), ("2113-01-01", False)],
)
def test_personal_id_birth_year_cross_check(birth_date, ok):
    problems = v.personal_id_problems(GOOD_ID, birth_date=birth_date, today=TODAY)
    assert (problems == []) is ok
    if not ok:
        assert "the date of birth says" in problems[0]


@pytest.mark.parametrize(
    "value, sex, ok",
    [
        ("001213004567", 1, True),  # digit 2: male, 2000s
        ("001213004567", 2, False),
        ("001313004567", 2, True),  # digit 3: female, 2000s
        ("001313004567", 1, False),
        ("001088004567", 2, False),  # digit 0: male, 1900s
        ("001188004567", 2, True),  # digit 1: female, 1900s
        ("001313004567", 0, True),  # sex unknown: no check
        ("001313004567", "2", True),
    ],
)
def test_personal_id_sex_cross_check(value, sex, ok):
    problems = v.personal_id_problems(value, sex=sex, today=TODAY)
    assert (problems == []) is ok
    if not ok:
        assert "coded for a" in problems[0]


def test_personal_id_reports_every_problem_and_raises_the_first():
    problems = v.personal_id_problems("999912004567", birth_date="2013", sex=1, today=TODAY)
    assert len(problems) == 4
    with pytest.raises(InvalidValueError, match="999, which is not a province code"):
        v.check_personal_id("999912004567", birth_date="2013", sex=1, today=TODAY)


def test_personal_id_error_keeps_a_translatable_template():
    with pytest.raises(InvalidValueError) as info:
        v.check_personal_id("12345")
    assert "%(count)s" in info.value.template
    assert info.value.params == {"value": "12345", "count": 5}


# ------------------------------------------------------------------------ scores


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0", Decimal("0")),
        ("10", Decimal("10")),
        ("10.0", Decimal("10")),
        ("7.5", Decimal("7.5")),
        ("7,5", Decimal("7.5")),
        (" 6.4 ", Decimal("6.4")),
        ("07", Decimal("7")),
        ("7.50", Decimal("7.5")),  # trailing zero: still one decimal
        ("9.9", Decimal("9.9")),
    ],
)
def test_parse_score_accepts(text, expected):
    result = v.parse_score(text)
    assert result == expected
    assert result.as_tuple().exponent == -1  # always one decimal


@pytest.mark.parametrize("text", [None, "", "   "])
def test_parse_score_empty_is_none(text):
    assert v.parse_score(text) is None


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("7.25", "more than one decimal"),
        ("10.5", "outside 0–10"),
        ("10.1", "outside 0–10"),
        ("11", "outside 0–10"),
        ("-1", "not a number from 0 to 10"),
        ("-0", "not a number from 0 to 10"),
        ("+5", "not a number from 0 to 10"),
        ("1e1", "not a number from 0 to 10"),
        ("7.", "not a number from 0 to 10"),
        (".5", "not a number from 0 to 10"),
        ("abc", "not a number from 0 to 10"),
        ("Đ", "not a number from 0 to 10"),
        ("\u0667", "not a number from 0 to 10"),  # Arabic-Indic seven
    ],
)
def test_parse_score_refuses(text, fragment):
    with pytest.raises(InvalidValueError) as info:
        v.parse_score(text)
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "value, expected",
    [(Decimal("8"), "8.0"), (Decimal("7.5"), "7.5"), (Decimal("10"), "10.0"), (0, "0.0"),
     ("7,5", "7.5"), (Decimal("6.50"), "6.5")],
)
def test_format_score_always_one_decimal(value, expected):
    assert v.format_score(value) == expected


@pytest.mark.parametrize("value", [Decimal("6.45"), Decimal("-0"), Decimal("10.1"), 11])
def test_format_score_refuses_instead_of_rounding(value):
    with pytest.raises(InvalidValueError):
        v.format_score(value)


def test_floats_are_refused_as_a_programming_error():
    with pytest.raises(TypeError):
        v.to_score(7.5)


@pytest.mark.parametrize(
    "text, expected",
    [("0", "0"), ("10", "10"), ("7", "7"), ("07", "7"), ("M", "M"), ("m", "M"), (" 9 ", "9")],
)
def test_primary_test_score_accepted(text, expected):
    assert v.check_primary_test_score(text) == expected


@pytest.mark.parametrize("text", ["11", "8.0", "7.5", "7,5", "-1", "", "X", "100", "Đ"])
def test_primary_test_score_refused(text):
    with pytest.raises(InvalidValueError, match="whole number from 0 to 10"):
        v.check_primary_test_score(text)


@pytest.mark.parametrize(
    "value, expected", [("9", 9), (9, 9), ("M", None), (None, None), ("", None), ("0", 0)]
)
def test_parse_primary_test_score(value, expected):
    assert v.parse_primary_test_score(value) == expected


# ------------------------------------------------------------------------ level codes


@pytest.mark.parametrize(
    "kind, value, expected",
    [
        (v.PRIMARY_SUBJECT, "T", "T"),
        (v.PRIMARY_SUBJECT, "h", "H"),
        (v.PRIMARY_SUBJECT, "M", "M"),
        (v.COMPETENCY, "Đ", "Đ"),
        (v.COMPETENCY, "đ", "Đ"),
        (v.COMPETENCY, nfd("Đ"), "Đ"),  # Đ has no decomposition, NFD leaves it: still fine
        (v.COMPETENCY, "\u00d0", "Đ"),  # Icelandic Eth look-alike
        (v.QUALITY, "C", "C"),
        (v.COMMENT_SUBJECT, "CĐ", "CĐ"),
        (v.COMMENT_SUBJECT, "cđ", "CĐ"),
        (v.COMMENT_SUBJECT, " Đ ", "Đ"),
        (v.COMMENT_SUBJECT, "M", "M"),
        (v.LEARNING, "K", "K"),
        (v.CONDUCT, "CĐ", "CĐ"),
        (v.YEAR_LEVEL, "htxs", "HTXS"),
        (v.YEAR_LEVEL, "CHT", "CHT"),
    ],
)
def test_check_level_accepts_and_normalises(kind, value, expected):
    assert v.check_level(kind, value) == expected
    assert v.is_level(kind, value)


def test_nfd_vietnamese_text_is_normalised():
    # A combining-mark spelling ("Tiếng Việt" typed on a Mac) comes back NFC.
    assert v.normalize_text(nfd("Tiếng Việt")) == "Tiếng Việt"
    assert nfd("Tiếng Việt") != "Tiếng Việt"


@pytest.mark.parametrize(
    "kind, value, allowed",
    [
        (v.PRIMARY_SUBJECT, "Đ", "T, H, C, M"),
        (v.COMPETENCY, "H", "T, Đ, C"),
        (v.QUALITY, "K", "T, Đ, C"),
        (v.COMMENT_SUBJECT, "D", "Đ, CĐ, M"),  # plain D is not Đ
        (v.COMMENT_SUBJECT, "CD", "Đ, CĐ, M"),
        (v.COMMENT_SUBJECT, "T", "Đ, CĐ, M"),
        (v.LEARNING, "M", "T, K, Đ, CĐ"),
        (v.CONDUCT, "", "T, K, Đ, CĐ"),
        (v.YEAR_LEVEL, "HTXL", "HTXS, HTT, HT, CHT"),
    ],
)
def test_check_level_refuses_with_allowed_list(kind, value, allowed):
    with pytest.raises(InvalidValueError) as info:
        v.check_level(kind, value)
    assert allowed in info.value.message
    assert not v.is_level(kind, value)


def test_unknown_level_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        v.check_level("colour", "T")


@pytest.mark.parametrize(
    "value, assessment, expected",
    [("7,5", "score", "7.5"), ("8", "score", "8.0"), ("m", "score", "M"),
     ("cđ", "comment", "CĐ"), ("M", "comment", "M")],
)
def test_secondary_subject_value(value, assessment, expected):
    assert v.check_secondary_subject_value(value, assessment) == expected


@pytest.mark.parametrize("value, assessment", [("Đ", "score"), ("7.5", "comment")])
def test_secondary_subject_value_refused(value, assessment):
    with pytest.raises(InvalidValueError):
        v.check_secondary_subject_value(value, assessment)


# ------------------------------------------------------------------------ dates, school years


@pytest.mark.parametrize("text", ["2015-09-05", "2016-02-29", "2015-09", "2015", "2000-02-29"])
def test_partial_date_accepted(text):
    assert v.check_partial_date(text) == text


@pytest.mark.parametrize(
    "text",
    ["2015-02-29", "1900-02-29", "2015-13", "2015-00", "2015-09-31", "2015-9-5", "15-09-05",
     "05/09/2015", "0000", "2015-09-05T00:00", "", "20150905"],
)
def test_partial_date_refused(text):
    with pytest.raises(InvalidValueError, match="YYYY-MM-DD, YYYY-MM or YYYY"):
        v.check_partial_date(text)


def test_full_date():
    assert v.check_date("2025-05-31") == "2025-05-31"
    for text in ("2025-05", "2025", "2025-02-30"):
        with pytest.raises(InvalidValueError, match="full date"):
            v.check_date(text)


@pytest.mark.parametrize(
    "text, expected",
    [("2024-2025", "2024-2025"), (" 2024 - 2025 ", "2024-2025"), ("2024–2025", "2024-2025")],
)
def test_school_year_accepted(text, expected):
    assert v.check_school_year(text) == expected


@pytest.mark.parametrize("text", ["2024-2026", "2025-2024", "2024-2024", "2024", "24-25",
                                  "2024/2025", ""])
def test_school_year_refused(text):
    with pytest.raises(InvalidValueError, match="consecutive years"):
        v.check_school_year(text)


# ------------------------------------------------------------------------ small codes


@pytest.mark.parametrize("value, expected", [(0, 0), (1, 1), (2, 2), ("2", 2), (" 1 ", 1)])
def test_sex_accepted(value, expected):
    assert v.check_sex(value) == expected


@pytest.mark.parametrize("value", [3, -1, "M", "", None, True, "1.0"])
def test_sex_refused(value):
    with pytest.raises(InvalidValueError, match="0 \\(not stated\\), 1 \\(male\\) or 2"):
        v.check_sex(value)


@pytest.mark.parametrize("value, ok", [(0, True), (200, True), ("15", True), (201, False),
                                       (-1, False), ("1.5", False), (None, False)])
def test_primary_absences(value, ok):
    if ok:
        assert v.check_primary_absences(value) == int(value)
    else:
        with pytest.raises(InvalidValueError, match="from 0 to 200"):
            v.check_primary_absences(value)


@pytest.mark.parametrize("value, ok", [(0, True), (300, True), (46, True), (301, False),
                                       (-5, False), ("abc", False)])
def test_secondary_absences(value, ok):
    if ok:
        assert v.check_secondary_absences(value) == int(value)
    else:
        with pytest.raises(InvalidValueError, match="from 0 to 300"):
            v.check_secondary_absences(value)


def test_partial_dates_shown_and_typed_day_first():
    assert v.show_partial_date("2013-09-02") == "02/09/2013"
    assert v.show_partial_date("2013-09") == "09/2013"
    assert v.show_partial_date("") == ""
    assert v.parse_shown_date("2/9/2013") == "2013-09-02"
    assert v.parse_shown_date("02.09.2013") == "2013-09-02"
    assert v.parse_shown_date("9/2013") == "2013-09"
    assert v.parse_shown_date("2013-09-02") == "2013-09-02"
    for bad in ("30/02/2013", "13/2013", "2/9/13", "hôm qua"):
        with pytest.raises(InvalidValueError):
            v.parse_shown_date(bad)


def test_personal_ids_masked_in_a_certificate_subject():
    assert (v.mask_personal_ids("UID=CCCD:001175318506,CN=Hoàng Thị Mai,C=VN")
            == "UID=CCCD:••••••••8506,CN=Hoàng Thị Mai,C=VN")
    assert v.mask_personal_ids("CN=Trường THCS A,UID=MST:0101234567") == \
        "CN=Trường THCS A,UID=MST:••••••4567"
    assert v.mask_personal_ids("") == ""


@pytest.mark.parametrize("text, point, shown", [
    ("8.5", ",", "8,5"), ("8.5 9.0 10.0", ",", "8,5 9,0 10,0"), ("8.5", ".", "8.5"),
    ("Đ", ",", "Đ"), ("CĐ", ",", "CĐ"), ("M", ",", "M"), ("", ",", ""), (None, ",", ""),
    ("10", ",", "10"),
])
def test_scores_shown_with_the_readers_decimal_separator(text, point, shown):
    assert v.show_scores(text, point) == shown
