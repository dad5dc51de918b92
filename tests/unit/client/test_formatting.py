"""Texts the screens show: clock times, arrival windows in the job's zone, places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from proapp.domain.enums import JobStatus
from proapp.domain.models import TimeWindow
from proapp.state.formatting import format_clock, format_window, status_label

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # Thu 8:00 AM PST


@pytest.mark.parametrize(
    ("hour", "minute", "text"),
    [(0, 5, "12:05 AM"), (9, 0, "9:00 AM"), (12, 0, "12:00 PM"), (23, 59, "11:59 PM")],
)
def test_format_clock(hour: int, minute: int, text: str) -> None:
    assert format_clock(datetime(2026, 1, 1, hour, minute)) == text


def window(start: datetime, hours: float = 2) -> TimeWindow:
    return TimeWindow(start=start, end=start + timedelta(hours=hours))


def test_a_window_across_midnight_names_both_days() -> None:
    start = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # Thu 11:00 PM PST
    assert (
        format_window(window(start), "America/Los_Angeles", NOW)
        == "Today, 11:00 PM – Tomorrow, 1:00 AM PST"
    )


def test_later_dates_are_written_out_and_summer_time_is_named() -> None:
    later = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert format_window(window(later), "America/Los_Angeles", NOW) == (
        "Thu, Dec 3, 9:00 AM – 11:00 AM PST"
    )
    summer = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert format_window(window(summer), "America/Los_Angeles", NOW).endswith("PDT")


def test_today_is_counted_in_the_jobs_zone_not_utc() -> None:
    # 03:00 UTC on Nov 27 is still Nov 26 (7:00 PM) in Los Angeles.
    start = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert format_window(window(start), "America/Los_Angeles", NOW).startswith("Today, 7:00 PM")
    assert format_window(window(start), "Europe/Berlin", NOW).startswith("Tomorrow, 4:00 AM")


def test_every_status_has_plain_words() -> None:
    for status in JobStatus:
        assert "_" not in status_label(status)
