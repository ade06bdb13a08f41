"""Number of regular assessments (ĐĐGtx) per semester by periods a year, TT22 Art. 7(1)(b)."""

import pytest

from hocbaso.rules import tt22


@pytest.mark.parametrize("periods, count", [
    (35, 2), (1, 2), (36, 3), (52, 3), (70, 3), (71, 4), (105, 4), (140, 4), (0, 4), (None, 4),
])
def test_regular_assessment_count(periods, count):
    assert tt22.regular_assessment_count(periods) == count
