from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proapp.domain import (
    add_business_days,
    holiday_name,
    is_business_day,
    next_business_day,
    to_local,
)

LA = "America/Los_Angeles"
NY = "America/New_York"
US_ZONES = [
    LA,
    NY,
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Anchorage",
    "Pacific/Honolulu",
]


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(LA))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving (Thursday)
        (date(2026, 11, 27), True),  # the Friday after is a normal business day
        (date(2026, 7, 3), False),  # July 4 2026 is a Saturday: observed Friday
        (date(2026, 7, 4), False),  # Saturday anyway
        (date(2026, 12, 25), False),  # Christmas (Friday)
        (date(2027, 12, 24), False),  # Christmas 2027 is a Saturday: observed Friday
        (date(2027, 12, 31), False),  # New Year 2028 is a Saturday: observed Dec 31
        (date(2026, 6, 19), False),  # Juneteenth
        (date(2026, 1, 19), False),  # MLK day
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 11, 30), True),  # Monday
        (date(2026, 12, 24), True),  # Christmas Eve is not a federal holiday
    ],
)
def test_is_business_day(day: date, expected: bool) -> None:
    assert is_business_day(day) is expected


def test_holiday_name_and_datetime_input() -> None:
    assert holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert holiday_name(date(2026, 11, 27)) is None
    assert "observed" in (holiday_name(date(2026, 7, 3)) or "")
    # a datetime is a date subclass; it must be treated as its date
    assert is_business_day(datetime(2026, 11, 26, 12, tzinfo=UTC)) is False


def test_next_business_day_skips_weekends_and_holidays() -> None:
    assert next_business_day(date(2026, 11, 25)) == date(2026, 11, 27)
    assert next_business_day(date(2026, 7, 2)) == date(2026, 7, 6)
    assert next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_one_business_day_same_wall_clock() -> None:
    # Friday 10:00 in LA -> Monday 10:00 in LA
    assert add_business_days(la(2026, 11, 20, 10), 1, LA) == la(2026, 11, 23, 10)
    assert add_business_days(la(2026, 11, 20, 10), 1, LA).tzinfo is UTC


def test_friday_late_evening_in_la_is_saturday_in_utc_but_counts_as_friday() -> None:
    start = la(2026, 11, 20, 23, 30)
    assert start.astimezone(UTC).weekday() == 5  # Saturday in UTC
    assert add_business_days(start, 1, LA) == la(2026, 11, 23, 23, 30)
    # The same instant counted in UTC would be a Saturday submission: Tuesday 00:00 UTC.
    assert add_business_days(start, 1, "UTC") == datetime(2026, 11, 24, tzinfo=UTC)


def test_weekend_start_counts_from_next_business_day_midnight() -> None:
    assert add_business_days(la(2026, 11, 21, 15), 1, LA) == la(2026, 11, 24, 0, 0)
    assert add_business_days(la(2026, 11, 21, 15), 0, LA) == la(2026, 11, 23, 0, 0)


def test_zero_days_on_a_business_day_is_the_start() -> None:
    start = la(2026, 11, 23, 9, 15)
    assert add_business_days(start, 0, LA) == start


def test_thanksgiving_is_skipped() -> None:
    # Wednesday before Thanksgiving -> Friday (Thursday 2026-11-26 is a holiday)
    assert add_business_days(la(2026, 11, 25, 14), 1, LA) == la(2026, 11, 27, 14)
    # 3 business days (R2): Wed -> Fri, Mon, Tue
    assert add_business_days(la(2026, 11, 25, 14), 3, LA) == la(2026, 12, 1, 14)
    # Submitted on Thanksgiving itself: counting starts Friday 00:00
    assert add_business_days(la(2026, 11, 26, 11), 1, LA) == la(2026, 11, 30, 0)


def test_july_fourth_observed_is_skipped() -> None:
    assert add_business_days(la(2026, 7, 2, 9), 1, LA) == la(2026, 7, 6, 9)


def test_dst_spring_forward_keeps_wall_clock() -> None:
    start = la(2026, 3, 6, 10)  # Friday, PST (UTC-8); DST starts Sunday 2026-03-08
    result = add_business_days(start, 1, LA)
    assert result == datetime(2026, 3, 9, 17, tzinfo=UTC)  # Monday 10:00 PDT (UTC-7)
    assert result - start == timedelta(hours=71)


def test_dst_fall_back_keeps_wall_clock() -> None:
    start = la(2026, 10, 30, 10)  # Friday, PDT; DST ends Sunday 2026-11-01
    result = add_business_days(start, 1, LA)
    assert result == datetime(2026, 11, 2, 18, tzinfo=UTC)  # Monday 10:00 PST
    assert result - start == timedelta(hours=73)


def test_wall_clock_in_a_dst_gap_moves_forward() -> None:
    # Cairo changes clocks at 00:00 on a Friday (2026-04-24): 00:30 does not exist then.
    cairo = ZoneInfo("Africa/Cairo")
    start = datetime(2026, 4, 23, 0, 30, tzinfo=cairo)
    result = add_business_days(start, 1, "Africa/Cairo")
    assert to_local(result, "Africa/Cairo").replace(tzinfo=None) == datetime(2026, 4, 24, 1, 30)


def test_ambiguous_wall_clock_uses_the_earlier_instant() -> None:
    # Cairo falls back at 24:00 on Thursday 2026-10-29: 23:30 happens twice.
    cairo = ZoneInfo("Africa/Cairo")
    start = datetime(2026, 10, 28, 23, 30, tzinfo=cairo)
    assert add_business_days(start, 1, "Africa/Cairo") == datetime(2026, 10, 29, 20, 30, tzinfo=UTC)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        add_business_days(datetime(2026, 1, 5, 9), 1, LA)
    with pytest.raises(ValueError):
        add_business_days(la(2026, 1, 5, 9), -1, LA)
    with pytest.raises(TypeError):
        add_business_days(la(2026, 1, 5, 9), 1.0, LA)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo raises its own error type
        add_business_days(la(2026, 1, 5, 9), 1, "Nowhere/Special")


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from(US_ZONES)
day_counts = st.integers(min_value=0, max_value=15)


@settings(max_examples=150, deadline=None)
@given(start=moments, days=day_counts, tz=zones)
def test_deadline_is_a_business_day_not_before_start(start: datetime, days: int, tz: str) -> None:
    result = add_business_days(start, days, tz)
    assert result.tzinfo is UTC
    assert result >= start
    assert is_business_day(to_local(result, tz).date())
    if days > 0:
        assert result > start


@settings(max_examples=150, deadline=None)
@given(start=moments, days=st.integers(min_value=1, max_value=15), tz=zones)
def test_exactly_n_business_days_are_skipped(start: datetime, days: int, tz: str) -> None:
    result = add_business_days(start, days, tz)
    local_start = to_local(start, tz).date()
    local_end = to_local(result, tz).date()
    counted = sum(
        1
        for offset in range(1, (local_end - local_start).days + 1)
        if is_business_day(local_start + timedelta(days=offset))
    )
    # From a business day, n steps land on the n-th business day after it; from a
    # non-business day, counting starts at the next business day (which is step 0).
    assert counted == (days if is_business_day(local_start) else days + 1)


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, days=day_counts, tz=zones)
def test_monotonic_in_start(a: datetime, b: datetime, days: int, tz: str) -> None:
    early, late = sorted((a, b))
    assert add_business_days(early, days, tz) <= add_business_days(late, days, tz)


@settings(max_examples=100, deadline=None)
@given(start=moments, days=st.integers(min_value=0, max_value=10), tz=zones)
def test_more_days_means_a_later_deadline(start: datetime, days: int, tz: str) -> None:
    assert add_business_days(start, days + 1, tz) > add_business_days(start, days, tz)
