"""The promotion and completion lines the record prints (tt22.promotion_text,
tt27.completion_text): Vietnamese, as the forms of TT22 and TT27 write them."""

import pytest

from hocbaso.rules import tt22, tt27
from hocbaso.rules.tt22 import PromotionDecision


@pytest.mark.parametrize("decision, retested, trained, text", [
    (PromotionDecision(promoted=True), False, False, "Được lên lớp"),
    (PromotionDecision(promoted=True), True, False, "Được lên lớp sau khi kiểm tra lại"),
    (PromotionDecision(promoted=True), False, True,
     "Được lên lớp sau khi rèn luyện trong kỳ nghỉ hè"),
    (PromotionDecision(promoted=False, needs_retest=True, retest_subjects=["Toán", "Ngữ văn"]),
     False, False, "Kiểm tra lại: Toán, Ngữ văn"),
    (PromotionDecision(promoted=False, needs_retest=True, needs_summer_training=True),
     False, False, "Kiểm tra lại; Rèn luyện trong kỳ nghỉ hè"),
    (PromotionDecision(promoted=False, needs_summer_training=True), False, False,
     "Rèn luyện trong kỳ nghỉ hè"),
    # a second re-test or training does not exist: kept back
    (PromotionDecision(promoted=False, needs_retest=True), True, False, "Ở lại lớp"),
    (PromotionDecision(promoted=False), False, True, "Ở lại lớp"),
    (PromotionDecision(promoted=False), False, False, "Ở lại lớp"),
])
def test_promotion_text(decision, retested, trained, text):
    assert tt22.promotion_text(decision, retested, trained) == text


@pytest.mark.parametrize("level, grade, text", [
    (tt27.HTXS, "05", "Hoàn thành chương trình tiểu học"),
    (tt27.HT, 5, "Hoàn thành chương trình tiểu học"),
    (tt27.HTT, "3", "Hoàn thành chương trình lớp học"),
    (tt27.CHT, "5", "Chưa hoàn thành chương trình lớp học"),
    (tt27.CHT, "2", "Chưa hoàn thành chương trình lớp học"),
])
def test_completion_text(level, grade, text):
    assert tt27.completion_text(level, grade) == text
