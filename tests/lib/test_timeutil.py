"""One way to read and show times: UTC in files, Vietnam's time day first for people."""

import datetime as dt

import pytest

from hocbaso import timeutil


def test_vietnam_time_day_first():
    moment = dt.datetime(2025, 5, 31, 20, 30, 5, tzinfo=dt.timezone.utc)
    assert timeutil.vn_datetime(moment) == "01/06/2025 03:30:05"
    assert timeutil.vn_date(moment) == "01/06/2025"
    assert timeutil.vn_datetime(moment, seconds=False) == "01/06/2025 03:30"
    assert timeutil.vn_date(dt.date(2025, 9, 5)) == "05/09/2025"
    naive = dt.datetime(2025, 5, 31, 20, 30, 5)  # naive is UTC
    assert timeutil.vn_datetime(naive) == "01/06/2025 03:30:05"


def test_xml_and_iso_round_trip():
    moment = dt.datetime(2025, 5, 31, 8, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert timeutil.xml_datetime(moment) == "2025-05-31T08:00:00Z"
    assert timeutil.parse_iso("2025-05-31T08:00:00Z") == moment.replace(microsecond=0)
    assert timeutil.parse_iso("2025-05-31T15:00:00+07:00") == moment.replace(microsecond=0)
    assert timeutil.parse_iso("2025-05-31 08:00").tzinfo is not None
    with pytest.raises(ValueError):
        timeutil.parse_iso("yesterday")
