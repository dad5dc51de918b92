"""The business calendar (R2, R6, R10): weekends and US federal holidays are not
business days.

Holidays come from the maintained `holidays` package (US federal calendar, observed
days included: when July 4 falls on a Saturday, Friday July 3 is the day off), never
from a hand-written list. Deadlines are counted in the local time zone of the job or
request, because "Friday 23:30 in Los Angeles" is already Saturday in UTC.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "add_business_days",
    "holiday_name",
    "is_business_day",
    "next_business_day",
    "to_local",
]

_COUNTRY = "US"


@functools.lru_cache(maxsize=64)
def _federal_holidays(year: int) -> dict[date, str]:
    # One plain dict per year, built once: the holidays object itself grows lazily on
    # lookup, which is not something to share between server threads.
    calendar = holidays.country_holidays(_COUNTRY, years=year, observed=True)
    return {day: str(name) for day, name in calendar.items() if day.year == year}


def holiday_name(day: date) -> str | None:
    """The US federal holiday on ``day`` (e.g. "Thanksgiving Day"), or None."""
    return _federal_holidays(day.year).get(_as_date(day))


def is_business_day(day: date) -> bool:
    """True for Monday to Friday that is not a US federal holiday (observed day counts)."""
    day = _as_date(day)
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    candidate = _as_date(day) + timedelta(days=1)
    while not is_business_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def to_local(moment: datetime, tz: str) -> datetime:
    """``moment`` (aware) as wall-clock time in the IANA zone ``tz``.

    Raises:
        ValueError: for a naive datetime.
    """
    _require_aware(moment)
    return moment.astimezone(ZoneInfo(tz))


def add_business_days(start: datetime, days: int, tz: str) -> datetime:
    """The deadline ``days`` business days after ``start``, counted in zone ``tz``.

    Exact semantics:

    1. ``start`` (must be aware) is converted to local wall-clock time in ``tz``.
    2. If that local date is a business day, the anchor is ``start`` itself. Otherwise
       (weekend or holiday) the anchor is 00:00 local on the next business day: time
       spent on a non-business day does not count.
    3. The deadline is the anchor's local wall-clock time on the business day reached
       by stepping forward ``days`` business days from the anchor's date. ``days == 0``
       returns the anchor.
    4. The result is returned in UTC. Across a DST change the wall-clock time is kept
       (so the elapsed hours differ by one). If that wall-clock time does not exist on
       the target day it moves forward by the gap; if it is ambiguous, the earlier
       instant is used. (US changes happen on Sundays, so this is only for other zones.)

    Example: submitted Friday 2026-11-27 10:00 in Los Angeles, 1 business day ->
    Monday 2026-11-30 10:00 PST = 18:00 UTC.

    Raises:
        ValueError: for a naive ``start``, a negative ``days``, or an unknown ``tz``.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an int")
    if days < 0:
        raise ValueError("days must be zero or more")
    local = to_local(start, tz)
    zone = ZoneInfo(tz)
    if is_business_day(local.date()):
        anchor_date, anchor_time = local.date(), local.timetz().replace(tzinfo=None)
        anchor_fold = local.fold
    else:
        anchor_date, anchor_time, anchor_fold = next_business_day(local.date()), time(0), 0
    target = anchor_date
    for _ in range(days):
        target = next_business_day(target)
    if target == anchor_date and anchor_date == local.date():
        # Zero days on a business day: the start itself, exactly (keeps the fold).
        return start.astimezone(UTC)
    wall = datetime.combine(target, anchor_time, tzinfo=zone).replace(fold=anchor_fold)
    # Round-tripping through UTC resolves a wall time that falls in a DST gap.
    result = wall.astimezone(UTC)
    return result if result >= start else start.astimezone(UTC)


def _as_date(value: date) -> date:
    # A datetime is a date subclass; comparing it with dict keys of type date fails.
    return value.date() if isinstance(value, datetime) else value


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: business-day arithmetic needs an aware datetime")
