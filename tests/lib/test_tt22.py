"""TT22 rules (secondary): averages, learning result, promotion, re-test."""

from decimal import Decimal as D

import pytest

from hocbaso.errors import InvalidValueError
from hocbaso.rules import tt22

# ------------------------------------------------------------------------ averages


@pytest.mark.parametrize(
    "regular, midterm, final, expected",
    [
        # (35 + 10 + 19.5) / 10 = 6.45 -> 6.5 (half-up)
        (["7", "7", "7", "7", "7"], "5", "6.5", D("6.5")),
        # (34.9 + 10 + 19.5) / 10 = 6.44 -> 6.4
        (["7", "7", "7", "7", "6.9"], "5", "6.5", D("6.4")),
        # (35 + 8 + 19.5) / 10 = 6.25 -> 6.3 (banker's rounding would give 6.2)
        (["7", "7", "7", "7", "7"], "4", "6.5", D("6.3")),
        # (6 + 7 + 12 + 19.5) / 7 = 6.357... -> 6.4
        (["6", "7"], "6", "6.5", D("6.4")),
        # no regular score: (12 + 19.5) / 5 = 6.3
        ([], "6", "6.5", D("6.3")),
        ([D("10")] * 4, D("10"), D("10"), D("10.0")),
        (["0", "0"], "0", "0", D("0.0")),
        (["7,5", "8"], "9", "8.5", D("8.4")),  # (15.5 + 18 + 25.5) / 7 = 8.428... -> 8.4
    ],
)
def test_semester_average(regular, midterm, final, expected):
    result = tt22.semester_average(regular, midterm, final)
    assert result == expected
    assert result.as_tuple().exponent == -1


@pytest.mark.parametrize(
    "s1, s2, expected",
    [
        ("6.4", "6.5", D("6.5")),  # 19.4 / 3 = 6.4667
        ("6.0", "6.1", D("6.1")),  # 18.2 / 3 = 6.0667
        ("6.2", "6.0", D("6.1")),  # 18.2 / 3
        ("6.1", "6.0", D("6.0")),  # 18.1 / 3 = 6.0333
        ("10", "10", D("10.0")),
        ("4.9", "5.0", D("5.0")),  # 14.9 / 3 = 4.9667
        ("5.0", "4.9", D("4.9")),  # 14.8 / 3 = 4.9333
    ],
)
def test_year_average(s1, s2, expected):
    assert tt22.year_average(s1, s2) == expected


@pytest.mark.parametrize("bad", ["7.25", "10.5", "-1", "abc"])
def test_averages_refuse_bad_scores(bad):
    with pytest.raises(InvalidValueError):
        tt22.semester_average([bad], "5", "5")
    with pytest.raises(InvalidValueError):
        tt22.year_average(bad, "5")


def test_averages_refuse_floats():
    with pytest.raises(TypeError):
        tt22.semester_average([6.45], "5", "5")


@pytest.mark.parametrize(
    "kind, s1, s2, expected",
    [
        ("comment", "CĐ", "Đ", "Đ"),  # semester 2 decides
        ("comment", "Đ", "CĐ", "CĐ"),
        ("comment", "đ", "cđ", "CĐ"),
        ("comment", "M", "M", "M"),
        ("comment", "Đ", "M", "Đ"),  # exempt in semester 2 only: semester 1 stands
        ("comment", "M", "CĐ", "CĐ"),
        ("score", "6.4", "6.5", D("6.5")),
        ("score", "M", "M", "M"),
        ("score", "M", "7.0", D("7.0")),
        ("score", "8.0", "M", D("8.0")),
    ],
)
def test_year_result_for_subject(kind, s1, s2, expected):
    assert tt22.year_result_for_subject(kind, s1, s2) == expected


def test_year_result_for_subject_refuses_score_in_comment_subject():
    with pytest.raises(InvalidValueError, match="Đ, CĐ, M"):
        tt22.year_result_for_subject("comment", "Đ", "7.5")


# ------------------------------------------------------------------------ learning result


def scores(*values):
    return [D(v) for v in values]


GOOD_COMMENTS = ["Đ", "Đ", "Đ", "Đ"]


@pytest.mark.parametrize(
    "scored, commented, expected",
    [
        # Tốt: all >= 6.5, six >= 8.0, all comments Đ
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5", "6.5"), GOOD_COMMENTS, "T"),
        # only five >= 8.0 -> Khá
        (scores("8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5", "6.5"), GOOD_COMMENTS, "K"),
        # one subject 6.4 breaks "all >= 6.5" -> Khá
        (scores("9", "9", "9", "9", "9", "9", "6.4", "6.5"), GOOD_COMMENTS, "K"),
        # Khá: all >= 5.0 (exactly 5.0 counts), six >= 6.5
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "5.0"), GOOD_COMMENTS, "K"),
        # 4.9 breaks "all >= 5.0" -> Đạt
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "4.9", "5.0"), GOOD_COMMENTS, "Đ"),
        # only five >= 6.5 -> Đạt
        (scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0", "5.0"), GOOD_COMMENTS, "Đ"),
        # one CĐ comment: Tốt scores, Đạt by the table, Khá after Art. 9 (3) (see below)
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), ["Đ", "CĐ", "Đ"], "K"),
        # two CĐ comments -> Chưa đạt
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), ["CĐ", "CĐ", "Đ"], "CĐ"),
        # 3.5 boundary: exactly 3.5 is allowed for Đạt
        (scores("5", "5", "5", "5", "5", "5", "3.5"), GOOD_COMMENTS, "Đ"),
        (scores("5", "5", "5", "5", "5", "5", "3.4"), GOOD_COMMENTS, "CĐ"),
        # six subjects >= 5.0 needed for Đạt: five is not enough
        (scores("5", "5", "5", "5", "5", "4.9", "4.9"), GOOD_COMMENTS, "CĐ"),
        (scores("5", "5", "5", "5", "5", "5", "4.9"), GOOD_COMMENTS, "Đ"),
        # fewer than six scored subjects: the text read literally gives CĐ
        (scores("10", "10", "10", "10", "10"), GOOD_COMMENTS, "CĐ"),
        (scores("10", "10", "10", "10", "10", "10"), GOOD_COMMENTS, "T"),
    ],
)
def test_learning_result(scored, commented, expected):
    assert tt22.learning_result(scored, commented) == expected


@pytest.mark.parametrize(
    "scored, commented, table, adjusted",
    [
        # Tốt everywhere but one comment subject at CĐ: Đạt by the table, two levels below
        # Tốt only because of that subject -> raised one level to Khá
        (scores("9", "9", "9", "9", "9", "9", "9", "9"), ["Đ", "CĐ", "Đ"], "Đ", "K"),
        # Tốt everywhere but one score below 3.5: CĐ -> Đạt
        (scores("9", "9", "9", "9", "9", "9", "9", "3.0"), GOOD_COMMENTS, "CĐ", "Đ"),
        # Tốt everywhere but one score at 4.0 (below Khá's 5.0): Đạt -> Khá
        (scores("8", "8", "8", "8", "8", "8", "4.0"), GOOD_COMMENTS, "Đ", "K"),
        # Khá everywhere but one score below 3.5: CĐ, two below Khá -> Đạt
        (scores("7", "7", "7", "7", "7", "7", "3.4"), GOOD_COMMENTS, "CĐ", "Đ"),
        # Tốt everywhere but one score at 6.0: Khá, only one level down -> unchanged
        (scores("9", "9", "9", "9", "9", "9", "6.0"), GOOD_COMMENTS, "K", "K"),
        # Đạt everywhere but one score below 3.5: Đạt is not a level the adjustment
        # protects (Art. 9 (3) names points a and b only) -> unchanged
        (scores("5", "5", "5", "5", "5", "5", "3.4"), GOOD_COMMENTS, "CĐ", "CĐ"),
        # two subjects pull the level down: no adjustment
        (scores("9", "9", "9", "9", "9", "9", "3.0", "3.0"), GOOD_COMMENTS, "CĐ", "CĐ"),
        (scores("9", "9", "9", "9", "9", "9", "3.0"), ["CĐ", "Đ"], "CĐ", "CĐ"),
        # one subject below 3.5 but only five other subjects at 8.0 or more and nothing at
        # Khá on its own: the other subjects must meet the level without it
        (scores("8", "8", "8", "8", "8", "3.0"), GOOD_COMMENTS, "CĐ", "CĐ"),
    ],
)
def test_learning_result_adjusted_when_one_subject_pulls_it_two_levels_down(
        scored, commented, table, adjusted):
    assert tt22.table_level(scored, commented) == table
    assert tt22.learning_result(scored, commented) == adjusted


def test_adjustment_also_applies_after_retest():
    # Tốt results, one comment subject at CĐ re-tested and still CĐ: Đạt by the table,
    # Khá after the adjustment -> promoted
    results = {"TOAN": "9", "NGUVAN": "9", "NN1": "9", "GDCD": "9", "LSDL": "9",
               "KHTN": "9", "TINHOC": "9", "GDTC": "CĐ", "HDTNHN": "Đ"}
    decision = tt22.after_retest(results, {"GDTC": "CĐ"}, "T", 0)
    assert decision.learning_result == "K"
    assert decision.promoted


def test_learning_result_leaves_exempt_subjects_out():
    base = scores("8", "8", "8", "8", "8", "8")
    assert tt22.learning_result(base + ["M"], GOOD_COMMENTS + ["M"]) == "T"
    # an exempt scored subject does not count towards the six
    five = scores("8", "8", "8", "8", "8")
    assert tt22.learning_result(five + ["M"], GOOD_COMMENTS) == "CĐ"


def test_learning_result_accepts_text_and_nfd_comments():
    import unicodedata

    nfd_cd = unicodedata.normalize("NFD", "CĐ")
    result = tt22.table_level(["8,0"] * 6, ["Đ", nfd_cd.lower(), "Đ"])
    assert result == "Đ"


def test_learning_result_refuses_bad_comment():
    with pytest.raises(InvalidValueError, match="Đ, CĐ, M"):
        tt22.learning_result(scores("8", "8", "8", "8", "8", "8"), ["K"])


def test_learning_result_for_subjects_splits_kinds():
    results = {"TOAN": D("8.0"), "NGUVAN": "8.0", "NN1": "8", "KHTN": D("8"),
               "LSDL": "8.0", "GDCD": "8.0", "GDTC": "Đ", "NGHETHUAT": "đ", "TINHOC": "M"}
    assert tt22.learning_result_for_subjects(results) == "T"


# ------------------------------------------------------------------------ order helper


@pytest.mark.parametrize(
    "value, floor, expected",
    [("T", "Đ", True), ("K", "Đ", True), ("Đ", "Đ", True), ("CĐ", "Đ", False),
     ("K", "T", False), ("đ", "Đ", True), ("cđ", "CĐ", True)],
)
def test_at_least(value, floor, expected):
    assert tt22.at_least(value, floor) is expected
    assert tt22.RESULT_ORDER == {"T": 4, "K": 3, "Đ": 2, "CĐ": 1}


# ------------------------------------------------------------------------ promotion


@pytest.mark.parametrize(
    "learning, conduct, absences, promoted",
    [
        ("T", "T", 0, True),
        ("Đ", "Đ", 45, True),  # 45 half-days is still allowed
        ("Đ", "Đ", 46, False),
        ("K", "K", "45", True),
        ("T", "T", 46, False),
    ],
)
def test_promotion_basic(learning, conduct, absences, promoted):
    decision = tt22.promotion(learning, conduct, absences)
    assert decision.promoted is promoted
    assert decision.reasons


def test_absences_over_45_keep_back_without_retest_or_training():
    decision = tt22.promotion("CĐ", "CĐ", 46, subject_results={"TOAN": "4.0"})
    assert not decision.promoted
    assert not decision.needs_retest and decision.retest_subjects == []
    assert not decision.needs_summer_training
    assert "46" in decision.reasons[0] and "kept back" in decision.reasons[0]


def test_conduct_cd_means_summer_training():
    decision = tt22.promotion("T", "CĐ", 3)
    assert not decision.promoted
    assert decision.needs_summer_training
    assert not decision.needs_retest


def test_learning_cd_with_good_conduct_means_retest():
    results = {"TOAN": D("4.9"), "NGUVAN": D("5.0"), "NN1": "3.0", "GDTC": "CĐ",
               "NGHETHUAT": "Đ", "TINHOC": "M"}
    decision = tt22.promotion("CĐ", "K", 10, subject_results=results)
    assert not decision.promoted
    assert decision.needs_retest
    assert decision.retest_subjects == ["TOAN", "NN1", "GDTC"]
    assert not decision.needs_summer_training


def test_learning_and_conduct_cd_gives_training_but_no_retest():
    decision = tt22.promotion("CĐ", "CĐ", 0, subject_results={"TOAN": "4.0"})
    assert decision.needs_summer_training
    assert not decision.needs_retest and decision.retest_subjects == []


@pytest.mark.parametrize(
    "learning, conduct, absences", [("X", "T", 0), ("T", "Tốt", 0), ("T", "T", 301),
                                    ("T", "T", -1)]
)
def test_promotion_refuses_bad_input(learning, conduct, absences):
    with pytest.raises(InvalidValueError):
        tt22.promotion(learning, conduct, absences)


@pytest.mark.parametrize(
    "results, expected",
    [
        ({"TOAN": D("5.0"), "NN1": D("4.9")}, ["NN1"]),
        ({"TOAN": "5", "GDTC": "Đ"}, []),
        ({"GDTC": "cđ", "TOAN": "0"}, ["GDTC", "TOAN"]),
        ({"TOAN": "M", "GDTC": "M"}, []),
    ],
)
def test_retest_subjects(results, expected):
    assert tt22.retest_subjects(results) == expected


def test_retest_subjects_refuses_missing_result():
    with pytest.raises(InvalidValueError, match="TOAN has no year result"):
        tt22.retest_subjects({"TOAN": ""})


# ------------------------------------------------------------------------ after re-test

SIX_GOOD = {"NGUVAN": "6.5", "NN1": "6.5", "GDCD": "6.5", "LSDL": "6.5", "KHTN": "6.5",
            "TINHOC": "6.5", "GDTC": "Đ", "HDTNHN": "Đ"}


def test_after_retest_replaces_year_value_and_promotes():
    results = dict(SIX_GOOD, TOAN="3.0", NGHETHUAT="CĐ", NDGDDP="CĐ")
    assert tt22.learning_result_for_subjects(results) == "CĐ"
    decision = tt22.after_retest(results, {"TOAN": "5.0", "NGHETHUAT": "Đ"}, "Đ", 12)
    assert decision.learning_result == "Đ"  # one CĐ comment left, all scores >= 3.5
    assert decision.promoted
    assert not decision.needs_retest


def test_after_retest_still_failing_keeps_back():
    # two subjects below the bar (one alone would be adjusted under Art. 9 (3))
    results = dict(SIX_GOOD, TOAN="3.0", NGHETHUAT="CĐ")
    decision = tt22.after_retest(results, {"TOAN": "3.4", "NGHETHUAT": "CĐ"}, "Đ", 0)
    assert decision.learning_result == "CĐ"
    assert not decision.promoted
    assert "kept back" in decision.reasons[0]


def test_after_retest_needs_conduct_at_least_dat():
    results = dict(SIX_GOOD, TOAN="3.0")
    assert not tt22.after_retest(results, {"TOAN": "7.0"}, "CĐ", 0).promoted
    assert tt22.after_retest(results, {"TOAN": "7.0"}, "Đ", 0).promoted


def test_after_retest_refuses_subject_not_due():
    results = dict(SIX_GOOD, TOAN="3.0")
    with pytest.raises(InvalidValueError, match="NN1, which was not due for a re-test"):
        tt22.after_retest(results, {"NN1": "9.0"}, "Đ", 0)


def test_after_retest_checks_value_kind():
    results = dict(SIX_GOOD, GDTC="CĐ", NGHETHUAT="CĐ")
    with pytest.raises(InvalidValueError):
        tt22.after_retest(results, {"GDTC": "8.0"}, "Đ", 0)
    assert tt22.after_retest(results, {"GDTC": "đ"}, "Đ", 0).learning_result == "Đ"


def test_sample_secondary_record_follows_the_rules():
    """The sample record (demo, CLI, tests) is what TT22 gives for its own subject results:
    CĐ in semester 1 and for the year, re-test in Toán only, Đạt after the re-test."""
    from hocbaso import samples

    record = samples.sample_secondary_record()
    semester1 = {subject.code: subject.semester1 for subject in record.subjects}
    semester2 = {subject.code: subject.semester2 for subject in record.subjects}
    assert tt22.learning_result_for_subjects(semester1) == record.secondary.learning_s1 == "CĐ"
    assert tt22.learning_result_for_subjects(semester2) == record.secondary.learning_s2 == "Đ"
    year = {subject.code: subject.year for subject in record.subjects}
    assert tt22.learning_result_for_subjects(year) == record.secondary.learning_year == "CĐ"
    assert tt22.retest_subjects(year) == ["TOAN"]
    retest = {subject.code: subject.retest for subject in record.subjects if subject.retest}
    decision = tt22.after_retest(year, retest, record.secondary.conduct_year,
                                 record.secondary.absences)
    assert decision.learning_result == record.secondary.learning_reassessed
    assert decision.promoted == record.secondary.promoted
    for subject in record.subjects:
        if subject.year not in ("Đ", "CĐ", "M"):
            assert tt22.year_average(subject.semester1, subject.semester2) == \
                tt22.to_score(subject.year), subject.code


# ------------------------------------------------------------------------ adjustment explained

# seven scored subjects at Tốt and three comment subjects at Đ, by code
GOOD_SCORES = {"TOAN": "9.0", "NGUVAN": "8.5", "NN1": "8.0", "GDCD": "8.0", "LSDL": "8.5",
               "KHTN": "9.0", "TINHOC": "8.0"}
GOOD_COMMENTS_BY_CODE = {"GDTC": "Đ", "NGHETHUAT": "Đ", "HDTNHN": "Đ"}


@pytest.mark.parametrize(
    "scored, commented, level, table, subject",
    [
        # one comment subject at CĐ: Đạt by the table, two levels below Tốt -> Khá, GDTC named
        (GOOD_SCORES, dict(GOOD_COMMENTS_BY_CODE, GDTC="CĐ"), "K", "Đ", "GDTC"),
        # one score below 3.5: CĐ by the table, three levels below -> Đạt, TOAN named
        (dict(GOOD_SCORES, TOAN="3.0"), GOOD_COMMENTS_BY_CODE, "Đ", "CĐ", "TOAN"),
        # one score at 4.9 (below Khá's 5.0): Đạt, two below Tốt -> Khá
        (dict(GOOD_SCORES, KHTN="4.9"), GOOD_COMMENTS_BY_CODE, "K", "Đ", "KHTN"),
        # one level below only (6.4 breaks Tốt's "all >= 6.5"): Khá, no adjustment
        (dict(GOOD_SCORES, TOAN="6.4"), GOOD_COMMENTS_BY_CODE, "K", "K", None),
        # 5.0 keeps Khá: one level below Tốt, no adjustment
        (dict(GOOD_SCORES, TOAN="5.0"), GOOD_COMMENTS_BY_CODE, "K", "K", None),
        # two subjects pull it down: no adjustment, no subject named
        (dict(GOOD_SCORES, TOAN="3.0", NN1="3.0"), GOOD_COMMENTS_BY_CODE, "CĐ", "CĐ", None),
        (dict(GOOD_SCORES, TOAN="3.0"), dict(GOOD_COMMENTS_BY_CODE, GDTC="CĐ"), "CĐ", "CĐ",
         None),
        (GOOD_SCORES, dict(GOOD_COMMENTS_BY_CODE, GDTC="CĐ", NGHETHUAT="CĐ"), "CĐ", "CĐ",
         None),
        # nothing to adjust
        (GOOD_SCORES, GOOD_COMMENTS_BY_CODE, "T", "T", None),
    ],
)
def test_learning_result_explained_names_the_subject(scored, commented, level, table, subject):
    explained = tt22.learning_result_explained(scored, commented)
    assert (explained.level, explained.table_level, explained.subject) == (level, table, subject)
    assert explained.adjusted is (subject is not None)
    # the same rule as learning_result, which only gives the level
    assert tt22.learning_result(list(scored.values()), list(commented.values())) == level
    assert tt22.table_level(scored, commented) == table


def test_semester_and_year_explained_apart():
    """Toán at 3.0 in semester 1 only pulls semester 1 down (adjusted), semester 2 is Tốt, and
    the year average (3.0 + 2 x 8.0) / 3 = 6.3 is one level below Tốt (not adjusted); Toán at
    3.0 in semester 2 pulls the year down too: 4.7, Đạt by the table, Khá after Art. 9 (3)."""
    def explain(semester1, semester2):
        kinds = {code: "score" for code in GOOD_SCORES} | {
            code: "comment" for code in GOOD_COMMENTS_BY_CODE}
        year = {code: tt22.year_result_for_subject(kind, semester1[code], semester2[code])
                for code, kind in kinds.items()}
        return [tt22.learning_result_explained(
            {c: v for c, v in values.items() if kinds[c] == "score"},
            {c: v for c, v in values.items() if kinds[c] == "comment"})
            for values in (semester1, semester2, year)]

    good = GOOD_SCORES | GOOD_COMMENTS_BY_CODE
    s1, s2, year = explain(dict(good, TOAN="3.0"), dict(good, TOAN="8.0"))
    assert (s1.level, s1.table_level, s1.subject) == ("Đ", "CĐ", "TOAN")
    assert (s2.level, s2.adjusted) == ("T", False)
    assert (year.level, year.table_level, year.subject) == ("K", "K", None)

    s1, s2, year = explain(dict(good, TOAN="8.0"), dict(good, TOAN="3.0"))
    assert (s1.level, s1.adjusted) == ("T", False)
    assert (s2.level, s2.table_level, s2.subject) == ("Đ", "CĐ", "TOAN")
    assert (year.level, year.table_level, year.subject) == ("K", "Đ", "TOAN")


def test_learning_result_explained_takes_lists_and_leaves_exempt_out():
    explained = tt22.learning_result_explained(scores("9", "9", "9", "9", "9", "9", "3.0") + ["M"],
                                               ["Đ", "M"])
    assert (explained.level, explained.table_level, explained.subject) == ("Đ", "CĐ", 6)
    with pytest.raises(InvalidValueError):
        tt22.learning_result_explained({"TOAN": "11"}, {})


# ------------------------------------------------------------------------ THCS completion


@pytest.mark.parametrize(
    "promoted, grade, expected",
    [(True, 9, True), (True, "09", True), (True, "9", True), (False, 9, False),
     (True, 8, False), (True, "06", False), (True, 12, False)],
)
def test_completes_lower_secondary_in_grade_9_when_promoted(promoted, grade, expected):
    assert tt22.completes_lower_secondary(promoted, grade) is expected


def test_completion_after_retest_or_summer_training():
    """Promoted after the re-test, or after the summer training: completed too."""
    results = dict(SIX_GOOD, TOAN="3.0", NGHETHUAT="CĐ")
    assert not tt22.completes_lower_secondary(tt22.promotion("CĐ", "T", 0).promoted, 9)
    retested = tt22.after_retest(results, {"TOAN": "6.0", "NGHETHUAT": "Đ"}, "T", 0)
    assert tt22.completes_lower_secondary(retested.promoted, 9)
    trained = tt22.promotion("K", "Đ", 0)  # conduct re-assessed at Đạt after the training
    assert tt22.completes_lower_secondary(trained.promoted, "09")
    kept_back = tt22.after_retest(results, {"TOAN": "3.0", "NGHETHUAT": "CĐ"}, "T", 0)
    assert not tt22.completes_lower_secondary(kept_back.promoted, 9)


def test_completes_lower_secondary_refuses_a_grade_that_is_no_number():
    with pytest.raises(InvalidValueError, match="not a grade number"):
        tt22.completes_lower_secondary(True, "9A")
