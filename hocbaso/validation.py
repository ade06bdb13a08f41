"""Field validators shared by the Odoo constraints and the XML readers.

Each ``check_*`` function returns the normalised value or raises
:class:`~hocbaso.errors.InvalidValueError` with an English template a school clerk can act on.
Vietnamese input is accepted in NFC or NFD form; everything returned is NFC.
The messages name the value, not the field: callers that know the subject or student add
that context themselves.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from hocbaso.errors import InvalidValueError

# --------------------------------------------------------------------------------------------
# Text normalisation


def normalize_text(value) -> str:
    """NFC, outer whitespace removed. ``None`` becomes ""."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).strip()
    # Keyboards and fonts mix up Đ (U+0110) with the look-alike Icelandic Eth Ð (U+00D0).
    return text.replace("\u00d0", "\u0110")


def normalize_code(value) -> str:
    """A level code as the catalogue writes it: NFC, upper case ("đ" -> "Đ", "cđ" -> "CĐ")."""
    return normalize_text(value).upper()


# --------------------------------------------------------------------------------------------
# Personal ID (số định danh cá nhân, 12 digits)

# Province of birth registration, first three digits of the personal ID: Appendix 1 of
# Circular 07/2016/TT-BCA (detailing Decree 137/2015/NĐ-CP). The 2025 province mergers did not
# renumber existing IDs, so the 63 historical codes stay valid.
PROVINCE_CODES = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

PERSONAL_ID_LENGTH = 12


def _birth_year_of(birth_date) -> int | None:
    if birth_date in (None, ""):
        return None
    if isinstance(birth_date, int):
        return birth_date
    if isinstance(birth_date, date):
        return birth_date.year
    return int(check_partial_date(birth_date)[:4])


def _personal_id_problems(value, birth_date=None, sex=None, today=None):
    """(normalised ID, [(template, params), ...])."""
    digits = normalize_text(value).replace(" ", "")
    if not digits:
        return digits, [(
            "The personal ID is empty. Enter the %(length)s-digit personal ID.",
            {"length": PERSONAL_ID_LENGTH},
        )]
    if not re.fullmatch(r"[0-9]+", digits):
        return digits, [(
            'Personal ID "%(value)s" may contain digits only. Remove letters and other signs.',
            {"value": digits},
        )]
    if len(digits) != PERSONAL_ID_LENGTH:
        return digits, [(
            "Personal ID %(value)s has %(count)s digits; it must have exactly 12. "
            "Copy it again from the ID card or birth certificate.",
            {"value": digits, "count": len(digits)},
        )]
    problems = []
    if digits[:3] not in PROVINCE_CODES:
        problems.append((
            "Personal ID %(value)s starts with %(code)s, which is not a province code. "
            "The first three digits are the province where the birth was registered; "
            "check the ID card.",
            {"value": digits, "code": digits[:3]},
        ))
    # 4th digit: century and sex (0/1 = 1900s male/female, 2/3 = 2000s, ...).
    code = int(digits[3])
    id_year = 1900 + (code // 2) * 100 + int(digits[4:6])
    this_year = (today or date.today()).year
    if id_year > this_year:
        problems.append((
            "Personal ID %(value)s gives a birth year of %(year)s, which is in the future. "
            "Check digits 4 to 6 against the ID card.",
            {"value": digits, "year": id_year},
        ))
    birth_year = _birth_year_of(birth_date)
    if birth_year is not None and birth_year != id_year:
        problems.append((
            "Personal ID %(value)s gives birth year %(id_year)s but the date of birth says "
            "%(birth_year)s. Check the ID or the date of birth.",
            {"value": digits, "id_year": id_year, "birth_year": birth_year},
        ))
    if sex is not None and str(sex) in ("1", "2"):
        id_female = code % 2 == 1
        if id_female and str(sex) == "1":
            problems.append((
                "Personal ID %(value)s is coded for a female (4th digit %(digit)s) but the "
                "sex recorded is male. Check the ID or the sex.",
                {"value": digits, "digit": code},
            ))
        elif not id_female and str(sex) == "2":
            problems.append((
                "Personal ID %(value)s is coded for a male (4th digit %(digit)s) but the "
                "sex recorded is female. Check the ID or the sex.",
                {"value": digits, "digit": code},
            ))
    return digits, problems


def personal_id_problems(value, *, birth_date=None, sex=None, today=None) -> list[str]:
    """Every problem found in a personal ID, as English sentences; [] when it looks right.

    ``birth_date`` (YYYY[-MM[-DD]], a year or a date) and ``sex`` (QCVN 109 code) are
    optional cross-checks against digits 4-6. ``today`` is for tests.
    """
    _, problems = _personal_id_problems(value, birth_date, sex, today)
    return [template % params for template, params in problems]


def check_personal_id(value, *, birth_date=None, sex=None, today=None) -> str:
    """The 12-digit ID (spaces removed, leading zeros kept) or InvalidValueError (first problem)."""
    digits, problems = _personal_id_problems(value, birth_date, sex, today)
    if problems:
        template, params = problems[0]
        raise InvalidValueError(template, **params)
    return digits


# --------------------------------------------------------------------------------------------
# Scores

SCORE_MIN = Decimal("0")
SCORE_MAX = Decimal("10")
_SCORE_RE = re.compile(r"[0-9]{1,2}(?:[.,][0-9]+)?")
EXEMPT = "M"  # miễn: the student is exempt from the subject


ONE_DECIMAL = Decimal("0.1")


def _check_score_decimal(number: Decimal, shown) -> Decimal:
    """The score quantized to one decimal (7 -> 7.0), or InvalidValueError."""
    if number.is_signed() or not SCORE_MIN <= number <= SCORE_MAX:
        raise InvalidValueError(
            "Score %(value)s is outside 0–10. Enter a score from 0 to 10.", value=shown
        )
    if number != number.quantize(ONE_DECIMAL):
        raise InvalidValueError(
            "Score %(value)s has more than one decimal. Scores are written with at most one "
            "decimal, for example 7.5.",
            value=shown,
        )
    return number.quantize(ONE_DECIMAL)


def parse_score(text) -> Decimal | None:
    """A 10-point score "0".."10" with at most one decimal; "7,5" is read as 7.5.

    Empty input gives ``None``. Signs ("-0", "+5"), exponents and more than one decimal are
    refused rather than guessed at.
    """
    shown = normalize_text(text)
    if not shown:
        return None
    if not _SCORE_RE.fullmatch(shown):
        raise InvalidValueError(
            'Score "%(value)s" is not a number from 0 to 10 (for example 7 or 7.5). '
            "Correct the score.",
            value=shown,
        )
    return _check_score_decimal(Decimal(shown.replace(",", ".")), shown)


def to_score(value) -> Decimal:
    """A score given as Decimal, int or text, checked as :func:`parse_score` does.

    Floats are refused: binary fractions would break the half-up rounding of averages.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("scores must be Decimal, int or str, not %s" % type(value).__name__)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError(
                'Score "%(value)s" is not a number from 0 to 10 (for example 7 or 7.5). '
                "Correct the score.",
                value=value,
            )
        return _check_score_decimal(value, value)
    if isinstance(value, int):
        return _check_score_decimal(Decimal(value), value)
    number = parse_score(value)
    if number is None:
        raise InvalidValueError("A score is missing. Enter a score from 0 to 10.")
    return number


def format_score(value) -> str:
    """A TT22 score or average as the record stores it: always one decimal ("8.0", "10.0")."""
    return str(to_score(value))


def check_primary_test_score(text) -> str:
    """A TT27 periodic test score: a whole number "0".."10" or "M" (exempt).

    TT27 Art. 7 marks these tests on a 10-point scale without decimals, so "8.0" is refused.
    Leading zeros are dropped ("07" -> "7").
    """
    shown = normalize_code(text)
    if shown == EXEMPT:
        return EXEMPT
    if not re.fullmatch(r"[0-9]{1,2}", shown) or int(shown) > 10:
        raise InvalidValueError(
            'Test score "%(value)s" is not allowed. Primary periodic tests are marked with a '
            "whole number from 0 to 10, or M when the student is exempt.",
            value=shown,
        )
    return str(int(shown))


def parse_primary_test_score(value) -> int | None:
    """A TT27 test score as int; ``None`` for "M", empty or None (no score counts)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    checked = check_primary_test_score(value)
    return None if checked == EXEMPT else int(checked)


# --------------------------------------------------------------------------------------------
# Level codes

PRIMARY_SUBJECT = "primary_subject"  # TT27 subject rating (mucdatduoc)
COMPETENCY = "competency"  # TT27 competency
QUALITY = "quality"  # TT27 quality
COMMENT_SUBJECT = "comment_subject"  # TT22 subject assessed by comment only
LEARNING = "learning"  # TT22 learning result (hocky1/hocky2/canam)
CONDUCT = "conduct"  # TT22 conduct result (renluyen...)
YEAR_LEVEL = "year_level"  # TT27 year level (xeploai)

LEVEL_CODES = {
    PRIMARY_SUBJECT: ("T", "H", "C", "M"),
    COMPETENCY: ("T", "Đ", "C"),
    QUALITY: ("T", "Đ", "C"),
    COMMENT_SUBJECT: ("Đ", "CĐ", "M"),
    LEARNING: ("T", "K", "Đ", "CĐ"),
    CONDUCT: ("T", "K", "Đ", "CĐ"),
    YEAR_LEVEL: ("HTXS", "HTT", "HT", "CHT"),
}

# One literal template per kind so that each translates as a whole sentence.
_LEVEL_TEMPLATES = {
    PRIMARY_SUBJECT: '"%(value)s" is not a subject rating. Use one of: %(allowed)s '
    "(T = Hoàn thành tốt, H = Hoàn thành, C = Chưa hoàn thành, M = exempt).",
    COMPETENCY: '"%(value)s" is not a competency rating. Use one of: %(allowed)s '
    "(T = Tốt, Đ = Đạt, C = Cần cố gắng).",
    QUALITY: '"%(value)s" is not a quality rating. Use one of: %(allowed)s '
    "(T = Tốt, Đ = Đạt, C = Cần cố gắng).",
    COMMENT_SUBJECT: '"%(value)s" is not a result for a subject assessed by comment. '
    "Use one of: %(allowed)s (Đ = Đạt, CĐ = Chưa đạt, M = exempt).",
    LEARNING: '"%(value)s" is not a learning result. Use one of: %(allowed)s '
    "(T = Tốt, K = Khá, Đ = Đạt, CĐ = Chưa đạt).",
    CONDUCT: '"%(value)s" is not a conduct result. Use one of: %(allowed)s '
    "(T = Tốt, K = Khá, Đ = Đạt, CĐ = Chưa đạt).",
    YEAR_LEVEL: '"%(value)s" is not a year level. Use one of: %(allowed)s.',
}


def allowed_levels(kind: str) -> tuple[str, ...]:
    """The codes allowed for ``kind`` (one of the kind constants above)."""
    try:
        return LEVEL_CODES[kind]
    except KeyError:
        raise ValueError("unknown level kind %r" % kind) from None


def is_level(kind: str, value) -> bool:
    return normalize_code(value) in allowed_levels(kind)


def check_level(kind: str, value) -> str:
    """The NFC, upper-case code, or InvalidValueError listing the allowed codes."""
    allowed = allowed_levels(kind)
    code = normalize_code(value)
    if code not in allowed:
        raise InvalidValueError(
            _LEVEL_TEMPLATES[kind], value=normalize_text(value), allowed=", ".join(allowed)
        )
    return code


def check_secondary_subject_value(value, assessment: str) -> str:
    """A TT22 subject cell (diemhocky1/2, diemcanam, diemkttralai) as the record stores it.

    ``assessment`` is "score" (10-point, one decimal, or M) or "comment" (Đ / CĐ / M).
    """
    if assessment == "comment":
        return check_level(COMMENT_SUBJECT, value)
    if assessment != "score":
        raise ValueError("unknown assessment %r" % assessment)
    if normalize_code(value) == EXEMPT:
        return EXEMPT
    return format_score(value)


# --------------------------------------------------------------------------------------------
# Dates and school years

_PARTIAL_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def check_partial_date(text) -> str:
    """YYYY-MM-DD, YYYY-MM or YYYY naming a real calendar day, month or year."""
    shown = normalize_text(text)
    match = _PARTIAL_DATE_RE.fullmatch(shown)
    valid = False
    if match:
        year, month, day = match.groups()
        try:
            date(int(year), int(month or 1), int(day or 1))
            valid = True
        except ValueError:
            pass
    if not valid:
        raise InvalidValueError(
            'Date "%(value)s" is not valid. Write YYYY-MM-DD, YYYY-MM or YYYY '
            "(for example 2015-09-05, 2015-09 or 2015).",
            value=shown,
        )
    return shown


_LONG_NUMBER_RE = re.compile(r"[0-9]{9,}")


def mask_personal_ids(text) -> str:
    """A certificate subject for people who need not know the holder's ID numbers:
    UID=CCCD:001175318506,CN=Hoàng Thị Mai -> UID=CCCD:••••••••8506,CN=Hoàng Thị Mai (a CCCD,
    a CMND or a tax code keeps only its last four digits)."""
    return _LONG_NUMBER_RE.sub(lambda match: "•" * (len(match.group(0)) - 4)
                               + match.group(0)[-4:], text or "")


def show_scores(text, point: str = ",") -> str:
    """Scores as a reader writes them, with her language's decimal separator: "8.5 9.0" ->
    "8,5 9,0" (Vietnamese, and the printed record); codes such as Đ, CĐ, M as they are."""
    text = text or ""
    return text if point == "." else _SCORE_DECIMAL_RE.sub(rf"\1{point}\2", text)


_SCORE_DECIMAL_RE = re.compile(r"(\d)\.(\d)")


def show_partial_date(text) -> str:
    """2013-09-01 -> 01/09/2013, 2013-09 -> 09/2013, 2013 -> 2013: how people read it."""
    return "/".join(reversed(normalize_text(text or "").split("-")))


_SHOWN_DATE_RE = re.compile(r"(?:([0-9]{1,2})[/.-])?(?:([0-9]{1,2})[/.-])?([0-9]{4})")


def parse_shown_date(text) -> str:
    """What a person types (02/09/2015, 2/9/2015, 09/2015, 2015, or 2015-09-02) as the
    record stores it (YYYY-MM-DD, YYYY-MM or YYYY); refused when it names no real day."""
    shown = normalize_text(text)
    match = _SHOWN_DATE_RE.fullmatch(shown)
    if not match:
        return check_partial_date(shown)
    first, second, year = match.groups()
    day, month = (first, second) if second else (None, first)
    iso = year + (f"-{int(month):02d}" if month else "") + (f"-{int(day):02d}" if day else "")
    try:
        return check_partial_date(iso)
    except InvalidValueError:
        return check_partial_date(shown)


def check_date(text) -> str:
    """A full calendar date YYYY-MM-DD."""
    shown = normalize_text(text)
    if len(shown) != 10:
        raise InvalidValueError(
            'Date "%(value)s" is not valid. Write the full date as YYYY-MM-DD '
            "(for example 2025-05-31).",
            value=shown,
        )
    try:
        return check_partial_date(shown)
    except InvalidValueError:
        raise InvalidValueError(
            'Date "%(value)s" is not valid. Write the full date as YYYY-MM-DD '
            "(for example 2025-05-31).",
            value=shown,
        ) from None


def check_school_year(text) -> str:
    """"YYYY-YYYY" with the second year one after the first; "2024 – 2025" becomes "2024-2025"."""
    shown = normalize_text(text)
    match = re.fullmatch(r"([0-9]{4})\s*[-\u2013\u2014]\s*([0-9]{4})", shown)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise InvalidValueError(
            'School year "%(value)s" is not valid. Write two consecutive years as YYYY-YYYY, '
            "for example 2024-2025.",
            value=shown,
        )
    return "%s-%s" % match.groups()


# --------------------------------------------------------------------------------------------
# Small integer codes

SEX_UNKNOWN, SEX_MALE, SEX_FEMALE = 0, 1, 2  # QCVN 109:2017
PRIMARY_ABSENCE_MAX = 200  # nghicophep / nghikhongphep, sessions
SECONDARY_ABSENCE_MAX = 300  # sobuoinghi, half-days


def _whole_number(value):
    """int from an int or a digit string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = normalize_text(value)
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None


def check_sex(value) -> int:
    number = _whole_number(value)
    if number not in (SEX_UNKNOWN, SEX_MALE, SEX_FEMALE):
        raise InvalidValueError(
            'Sex code "%(value)s" is not allowed. Use 0 (not stated), 1 (male) or 2 (female).',
            value=value,
        )
    return number


def _check_count(value, maximum: int, template: str) -> int:
    number = _whole_number(value)
    if number is None or not 0 <= number <= maximum:
        raise InvalidValueError(template, value=value, max=maximum)
    return number


def check_primary_absences(value) -> int:
    """Primary absences with or without leave: 0–200 sessions."""
    return _check_count(
        value,
        PRIMARY_ABSENCE_MAX,
        'Absences "%(value)s" must be a whole number of sessions from 0 to %(max)s.',
    )


def check_secondary_absences(value) -> int:
    """Secondary absences (sobuoinghi): 0–300 half-days."""
    return _check_count(
        value,
        SECONDARY_ABSENCE_MAX,
        'Absences "%(value)s" must be a whole number of half-days from 0 to %(max)s.',
    )


__all__ = [
    "COMMENT_SUBJECT",
    "COMPETENCY",
    "CONDUCT",
    "EXEMPT",
    "LEARNING",
    "LEVEL_CODES",
    "PRIMARY_SUBJECT",
    "PROVINCE_CODES",
    "QUALITY",
    "YEAR_LEVEL",
    "allowed_levels",
    "check_date",
    "check_level",
    "check_partial_date",
    "check_personal_id",
    "check_primary_absences",
    "check_primary_test_score",
    "check_school_year",
    "check_secondary_absences",
    "check_secondary_subject_value",
    "check_sex",
    "format_score",
    "is_level",
    "normalize_code",
    "normalize_text",
    "parse_primary_test_score",
    "parse_score",
    "personal_id_problems",
    "to_score",
]
