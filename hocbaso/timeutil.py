"""Times, one way everywhere: stored and signed in UTC, shown in Vietnam's time as dd/mm/yyyy.

XML and the wire carry UTC (``2025-05-31T08:00:00Z``); anything a person reads (messages, the
command line, printed records) shows Asia/Ho_Chi_Minh time, day first. A naive datetime is UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M:%S"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC datetime (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def signing_now() -> dt.datetime:
    """Now in UTC to the second, as a signature's SigningTime records it (so a signing log
    written with it equals the time in the signed document)."""
    return now_utc().replace(microsecond=0)


def parse_iso(text: str) -> dt.datetime:
    """An ISO 8601 date and time (``Z`` allowed) as an aware datetime; no offset means UTC.
    ValueError when it is not one."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def xml_datetime(moment: dt.datetime) -> str:
    """UTC, to the second, as XML and XAdES write it: 2025-05-31T08:00:00Z."""
    return as_utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_vn(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Vietnam's time (aware)."""
    return as_utc(moment).astimezone(VN_TZ)


def vn_datetime(moment: dt.datetime, seconds: bool = True) -> str:
    """For people: 31/05/2025 15:00:00 (Vietnam time); without seconds as the printed record
    writes it: 31/05/2025 15:00."""
    return to_vn(moment).strftime(DATETIME_FORMAT if seconds else DATETIME_FORMAT[:-3])


def vn_date(value: dt.date | dt.datetime) -> str:
    """For people: 31/05/2025; a datetime is first taken to Vietnam's time."""
    if isinstance(value, dt.datetime):
        value = to_vn(value)
    return value.strftime(DATE_FORMAT)
