"""Turning domain values into the short texts the screens show (no Flet import).

Times are UTC inside and shown in the job's own time zone (DESIGN.md section 3), with
the zone's abbreviation so a pro who travels is never misled.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from proapp.domain.enums import JobStatus, LocationType
from proapp.domain.models import Job, LineItem, TimeWindow

__all__ = [
    "STATUS_LABELS",
    "format_clock",
    "format_window",
    "job_place",
    "line_item_text",
    "status_label",
]

STATUS_LABELS: dict[JobStatus, str] = {
    JobStatus.PENDING_SCHEDULE: "Needs scheduling",
    JobStatus.SCHEDULED: "Scheduled",
    JobStatus.IN_PROGRESS: "In progress",
    JobStatus.COMPLETED: "Completed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.NOT_SERVICED: "Not serviced",
}


def status_label(status: JobStatus) -> str:
    """A job status in plain words."""
    return STATUS_LABELS.get(status, status.value.replace("_", " ").capitalize())


def format_clock(moment: datetime) -> str:
    """``9:00 AM`` style, without a leading zero (strftime's ``%-I`` is not portable)."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _day(moment: datetime, today: date) -> str:
    day = moment.date()
    if day == today:
        return "Today"
    if (day - today).days == 1:
        return "Tomorrow"
    if (day - today).days == -1:
        return "Yesterday"
    # Built from parts: %a/%b follow the process locale, and the app's words are English.
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[day.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
        day.month - 1
    ]
    return f"{weekday}, {month} {day.day}"


def format_window(window: TimeWindow, time_zone: str, now: datetime) -> str:
    """An arrival window in the job's local time, e.g. ``Today, 9:00 AM – 11:00 AM PST``.

    ``now`` (aware) decides "Today"/"Tomorrow", counted in the job's time zone.
    """
    zone = ZoneInfo(time_zone)
    start = window.start.astimezone(zone)
    end = window.end.astimezone(zone)
    today = now.astimezone(zone).date()
    text = f"{_day(start, today)}, {format_clock(start)} – "
    if end.date() != start.date():
        text += f"{_day(end, today)}, "
    return f"{text}{format_clock(end)} {end.tzname() or ''}".rstrip()


def job_place(job: Job) -> str:
    """Where the work is (R12): the address's city, or "In store" / "Online"."""
    if job.location_type is LocationType.ONLINE:
        return "Online"
    if job.location_type is LocationType.IN_STORE:
        return "In store"
    if job.address is not None:
        return f"{job.address.city}, {job.address.state}"
    return "Address not set"


def line_item_text(line: LineItem) -> str:
    """A priced line as people say it: ``Valve``, or ``2 × Valve`` for more than one."""
    return line.description if line.quantity == 1 else f"{line.quantity} × {line.description}"
