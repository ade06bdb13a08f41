"""Thông tư 22/2021/TT-BGDĐT: assessment of lower and upper secondary students.

Scores are Decimal throughout; averages are rounded to one decimal half-up, the way
Vietnamese schools round (6.45 -> 6.5, 6.44 -> 6.4). Article numbers refer to the regulation
issued with TT22; the formulas and thresholds follow the project brief §2.3 [S24][S25][S26][S27],
and the learning result is then adjusted under Art. 9 (3) (one subject alone pulling it two
levels down).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hocbaso.errors import InvalidValueError
from hocbaso.subjects import COMMENT, SCORE
from hocbaso.validation import (
    COMMENT_SUBJECT,
    CONDUCT,
    EXEMPT,
    LEARNING,
    check_level,
    check_secondary_absences,
    normalize_code,
    to_score,
)

ONE_DECIMAL = Decimal("0.1")

# Learning and conduct results, best first.
GOOD, FAIR, PASS, FAIL = "T", "K", "Đ", "CĐ"  # Tốt, Khá, Đạt, Chưa đạt
RESULT_ORDER = {GOOD: 4, FAIR: 3, PASS: 2, FAIL: 1}

MAX_ABSENCES = 45  # half-days, with or without leave (Art. 12)
PASS_SCORE = Decimal("5.0")  # below it a subject is re-tested (Art. 12)
MIN_SUBJECTS_AT_THRESHOLD = 6  # "at least 6 subjects" in the learning-result table (Art. 9)
LAST_LOWER_SECONDARY_GRADE = 9  # its promotion completes the THCS programme


def round_one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def regular_assessment_count(periods_per_year) -> int:
    """Number of regular assessments (ĐĐGtx) per semester of a subject scored on 10 points
    (Art. 7(1)(b)): 2 for at most 35 periods a year, 3 for more than 35 up to 70, 4 above 70.
    Unknown periods (0 or None) give the largest count, so that no assessment is left out."""
    if not periods_per_year:
        return 4
    if periods_per_year <= 35:
        return 2
    return 3 if periods_per_year <= 70 else 4


def semester_average(regular_scores, midterm, final) -> Decimal:
    """ĐTBmhk = (TĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (number of ĐĐGtx + 5), one decimal, half-up.

    The number of regular assessments (2, 3 or 4 by periods per year, Art. 7) is not enforced
    here; the school's gradebook is.
    """
    regular = [to_score(v) for v in regular_scores]
    total = sum(regular, Decimal(0)) + 2 * to_score(midterm) + 3 * to_score(final)
    return round_one_decimal(total / (len(regular) + 5))


def year_average(semester1, semester2) -> Decimal:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, one decimal, half-up."""
    return round_one_decimal((to_score(semester1) + 2 * to_score(semester2)) / 3)


def _is_exempt(value) -> bool:
    return isinstance(value, str) and normalize_code(value) == EXEMPT


def year_result_for_subject(subject_kind: str, semester1, semester2):
    """The year value of one subject: Decimal for "score" subjects, "Đ"/"CĐ" for "comment".

    Comment-only subjects take the semester 2 result. "M" (exempt) in both semesters gives
    "M". Inference, not in the brief: exempt in one semester only -> the other semester's
    result stands for the year.
    """
    exempt1, exempt2 = _is_exempt(semester1), _is_exempt(semester2)
    if exempt1 and exempt2:
        return EXEMPT
    if subject_kind == COMMENT:
        return check_level(COMMENT_SUBJECT, semester1 if exempt2 else semester2)
    if subject_kind != SCORE:
        raise ValueError("unknown subject kind %r" % subject_kind)
    if exempt1:
        return to_score(semester2)
    if exempt2:
        return to_score(semester1)
    return year_average(semester1, semester2)


def table_level(scored, commented) -> str:
    """T / K / Đ / CĐ straight from the table of Art. 9 (2), before the adjustment of Art. 9 (3).

    ``scored``: averages of the scored subjects; ``commented``: Đ/CĐ of comment-only subjects.
    "M" (exempt) entries in either list are left out.

    The text is followed literally: the "at least 6 subjects" clauses count scored subjects,
    so a student with fewer than 6 scored subjects (after exemptions) can reach neither Tốt,
    Khá nor Đạt and gets CĐ. The school must then decide by hand (e.g. for students exempted
    under the disability rules).
    """
    scores, comments = _checked(scored, commented)
    return _level(list(scores.values()), list(comments.values()))


def _items(results):
    """(key, value) pairs of a {subject: value} mapping, or of a list by position."""
    return results.items() if isinstance(results, Mapping) else enumerate(results)


def _checked(scored, commented) -> tuple[dict, dict]:
    """{key: Decimal} of the scores (exempt ones left out) and {key: Đ/CĐ} of the comments,
    refused if invalid; the keys are those of :func:`_items`."""
    return ({key: to_score(v) for key, v in _items(scored) if not _is_exempt(v)},
            {key: check_level(COMMENT_SUBJECT, v) for key, v in _items(commented)})


def _level(scores: list[Decimal], comments: list[str]) -> str:
    failed_comments = sum(1 for c in comments if c == FAIL)

    def at_or_above(threshold: str) -> int:
        return sum(1 for s in scores if s >= Decimal(threshold))

    if (
        failed_comments == 0
        and all(s >= Decimal("6.5") for s in scores)
        and at_or_above("8.0") >= MIN_SUBJECTS_AT_THRESHOLD
    ):
        return GOOD
    if (
        failed_comments == 0
        and all(s >= Decimal("5.0") for s in scores)
        and at_or_above("6.5") >= MIN_SUBJECTS_AT_THRESHOLD
    ):
        return FAIR
    if (
        failed_comments <= 1
        and at_or_above("5.0") >= MIN_SUBJECTS_AT_THRESHOLD
        and all(s >= Decimal("3.5") for s in scores)
    ):
        return PASS
    return FAIL


_ONE_LEVEL_UP = {FAIL: PASS, PASS: FAIR, FAIR: GOOD}


@dataclass(frozen=True)
class LearningExplanation:
    """How a learning result was reached: ``table_level`` by the table of Art. 9 (2), ``level``
    after the adjustment of Art. 9 (3) and, when that adjustment raised it, ``subject``: the key
    (e.g. the code) of the one subject that pulled it down; None otherwise."""

    level: str
    table_level: str
    subject: object = None

    @property
    def adjusted(self) -> bool:
        return self.level != self.table_level


def learning_result_explained(scored, commented) -> LearningExplanation:
    """:func:`learning_result`, with the level of the table and the subject that alone pulled
    it down when the adjustment of Art. 9 (3) applies.

    ``scored`` and ``commented`` map a key naming each subject (its code, say) to its result,
    as for :func:`learning_result`; plain lists are taken too, a subject's key being then its
    position in its list (so the two lists' keys can clash: pass mappings to name it).
    """
    scores, comments = _checked(scored, commented)
    level = _level(list(scores.values()), list(comments.values()))
    if RESULT_ORDER[level] > RESULT_ORDER[PASS]:
        return LearningExplanation(level, level)  # Tốt or Khá: nothing to adjust
    # the best level the other subjects reach on their own, leaving out one subject at a time
    others = [(key, [s for k, s in scores.items() if k != key], list(comments.values()))
              for key in scores]
    others += [(key, list(scores.values()), [c for k, c in comments.items() if k != key])
               for key in comments]
    best, subject = 0, None
    for key, other_scores, other_comments in others:
        reached = RESULT_ORDER[_level(other_scores, other_comments)]
        if reached > best:
            best, subject = reached, key
    # the subject is unique: were two subjects each enough to leave out, every subject would
    # meet the better level's clauses and the table itself would give it
    if best >= RESULT_ORDER[FAIR] and best - RESULT_ORDER[level] >= 2:
        return LearningExplanation(_ONE_LEVEL_UP[level], level, subject)
    return LearningExplanation(level, level)


def learning_result(scored, commented) -> str:
    """T / K / Đ / CĐ from the semester or year results of every subject (Art. 9).

    The level of the table (:func:`table_level`), then the adjustment of Art. 9 (3): when the
    result of one single subject pulls the level two or more steps below Tốt or Khá, the level
    is raised by one step. "Only because of one subject" is read as: the other subjects on
    their own meet Tốt (or Khá). For example, Tốt results everywhere except one comment subject
    at CĐ give Đạt by the table and Khá after the adjustment; Tốt results except one score of
    3.0 give CĐ, adjusted to Đạt. A subject whose result fails a level's "every subject"
    clause never counts towards that level's "at least 6 subjects", so leaving it out is the
    same as not letting it pull the level down. :func:`learning_result_explained` tells which
    subject it was.
    """
    return learning_result_explained(scored, commented).level


def _split(subject_results: dict):
    """{code: value} -> ({code: Decimal}, {code: "Đ"/"CĐ"}); exempt subjects dropped."""
    scored, commented = {}, {}
    for code, value in subject_results.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidValueError(
                "Subject %(subject)s has no year result. Enter it before deciding promotion.",
                subject=code,
            )
        if _is_exempt(value):
            continue
        if isinstance(value, str) and normalize_code(value) in (PASS, FAIL):
            commented[code] = normalize_code(value)
        else:
            scored[code] = to_score(value)
    return scored, commented


def learning_result_for_subjects(subject_results: dict) -> str:
    """:func:`learning_result` for {subject code: year value (score, Đ, CĐ or M)}."""
    scored, commented = _split(subject_results)
    return learning_result(list(scored.values()), list(commented.values()))


def retest_subjects(subject_results: dict) -> list[str]:
    """Codes to re-test: comment subjects at CĐ and scored subjects below 5.0 (Art. 12).

    ``subject_results`` maps a subject code to its year value; order is kept.
    """
    scored, commented = _split(subject_results)
    return [
        code
        for code in subject_results
        if commented.get(code) == FAIL or (code in scored and scored[code] < PASS_SCORE)
    ]


def at_least(value: str, floor: str) -> bool:
    """Whether a T/K/Đ/CĐ result is at ``floor`` or better."""
    return RESULT_ORDER[check_level(LEARNING, value)] >= RESULT_ORDER[check_level(LEARNING, floor)]


@dataclass
class PromotionDecision:
    promoted: bool
    needs_retest: bool = False
    retest_subjects: list[str] = field(default_factory=list)
    needs_summer_training: bool = False
    reasons: list[str] = field(default_factory=list)
    learning_result: str = ""  # the recomputed result, set by after_retest()


def promotion(
    learning_year, conduct_year, absences_half_days, *, subject_results: dict | None = None
) -> PromotionDecision:
    """End-of-year decision (lên lớp) under Art. 12.

    * promoted: learning ≥ Đạt, conduct ≥ Đạt and at most 45 half-days absent;
    * more than 45 half-days: kept back (ở lại lớp), no re-test and no summer training;
    * conduct CĐ: summer training (rèn luyện trong kỳ nghỉ hè), then re-assessment;
    * learning CĐ with conduct ≥ Đạt: re-test in the subjects from :func:`retest_subjects`
      (filled in when ``subject_results`` is given). With conduct CĐ as well the brief's
      rule gives summer training only, no re-test.
    """
    learning = check_level(LEARNING, learning_year)
    conduct = check_level(CONDUCT, conduct_year)
    absences = check_secondary_absences(absences_half_days)
    if absences > MAX_ABSENCES:
        return PromotionDecision(
            promoted=False,
            reasons=[
                "Absent %d half-days, more than the %d allowed: kept back (ở lại lớp) "
                "without re-test." % (absences, MAX_ABSENCES)
            ],
        )
    learning_ok, conduct_ok = at_least(learning, PASS), at_least(conduct, PASS)
    if learning_ok and conduct_ok:
        return PromotionDecision(
            promoted=True,
            reasons=[
                "Learning %s and conduct %s are at least Đạt and absences (%d half-days) are "
                "within %d." % (learning, conduct, absences, MAX_ABSENCES)
            ],
        )
    decision = PromotionDecision(promoted=False)
    if not conduct_ok:
        decision.needs_summer_training = True
        decision.reasons.append("Conduct is CĐ: summer training, then conduct is re-assessed.")
    if not learning_ok:
        if conduct_ok:
            decision.needs_retest = True
            if subject_results is not None:
                decision.retest_subjects = retest_subjects(subject_results)
            decision.reasons.append(
                "Learning result is CĐ: re-test in subjects at CĐ or with a year average "
                "below 5.0."
            )
        else:
            decision.reasons.append(
                "Learning result is CĐ and conduct is CĐ: no re-test; summer training only."
            )
    return decision


def after_retest(
    subject_results: dict, retest_results: dict, conduct, absences_half_days
) -> PromotionDecision:
    """Decision after the summer re-test (and summer training, if any).

    Each re-test value replaces the year value of its subject (a score for scored subjects,
    Đ/CĐ for comment subjects); the learning result is recomputed and the student is promoted
    when it and ``conduct`` (the re-assessed conduct after summer training, otherwise the year
    conduct) are at least Đạt. Otherwise the student is kept back; there is no second re-test.
    Re-test values for subjects that were not due for a re-test are refused.
    """
    due = retest_subjects(subject_results)
    updated = dict(subject_results)
    for code, value in retest_results.items():
        if code not in due:
            raise InvalidValueError(
                "A re-test result was entered for %(subject)s, which was not due for a re-test. "
                "Only subjects at CĐ or with a year average below 5.0 are re-tested.",
                subject=code,
            )
        was_comment = normalize_code(subject_results[code]) == FAIL
        updated[code] = check_level(COMMENT_SUBJECT, value) if was_comment else to_score(value)
    learning = learning_result_for_subjects(updated)
    conduct = check_level(CONDUCT, conduct)
    absences = check_secondary_absences(absences_half_days)
    promoted = at_least(learning, PASS) and at_least(conduct, PASS) and absences <= MAX_ABSENCES
    if promoted:
        reason = "After the re-test the learning result is %s and conduct is %s: promoted." % (
            learning,
            conduct,
        )
    else:
        reason = (
            "After the re-test the learning result is %s, conduct %s, absences %d half-days: "
            "kept back (ở lại lớp)." % (learning, conduct, absences)
        )
    return PromotionDecision(promoted=promoted, reasons=[reason], learning_result=learning)


def completes_lower_secondary(promoted: bool, grade) -> bool:
    """Whether the record confirms the completion of the lower secondary programme (hoàn thành
    chương trình trung học cơ sở), as the draft diploma rules have it, the way TT27 confirms
    primary completion: a grade-9 student promoted ("được lên lớp") has completed it, whether
    at the end of the year, after the re-test or after the summer training (``promoted`` is
    the last :class:`PromotionDecision`'s). ``grade``: the grade number (9, "9" or "09").
    """
    text = str(grade).strip()
    if not text.isdigit():
        raise InvalidValueError(
            'Grade "%(value)s" is not a grade number. Use 6 to 12 for secondary classes.',
            value=grade,
        )
    return bool(promoted) and int(text) == LAST_LOWER_SECONDARY_GRADE


def promotion_text(decision: PromotionDecision, retested: bool = False,
                   trained: bool = False) -> str:
    """The promotion line of the record (ndungduoclenlop), in Vietnamese as it is printed:
    promoted (after the re-test or the summer training, when one was needed), kept back, or
    what the student still has to do (Art. 12)."""
    if decision.promoted:
        if retested:
            return "Được lên lớp sau khi kiểm tra lại"
        if trained:
            return "Được lên lớp sau khi rèn luyện trong kỳ nghỉ hè"
        return "Được lên lớp"
    if retested or (trained and not decision.needs_retest):
        return "Ở lại lớp"  # there is no second re-test or training
    parts = []
    if decision.needs_retest:
        subjects = ", ".join(decision.retest_subjects)
        parts.append(f"Kiểm tra lại: {subjects}" if subjects else "Kiểm tra lại")
    if decision.needs_summer_training:
        parts.append("Rèn luyện trong kỳ nghỉ hè")
    return "; ".join(parts) or "Ở lại lớp"
