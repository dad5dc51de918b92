"""Shared pieces of the schedule screens (today, job detail, windows); no Flet import.

Everything here turns domain values into display text in the job's own time zone
(DESIGN.md section 3: UTC inside, local at the edge) or answers a small question about
a job, so the three screens agree on words like "Today" and on what counts as an
overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from proapp.domain.enums import AppointmentStatus, JobStatus, LineItemKind, LocationType
from proapp.domain.models import Address, Job, TimeWindow, User
from proapp.state.formatting import format_clock
from proapp.state.observable import Observable
from proapp.state.ports import JobRecord, ProRepository
from proapp.state.screen_support import RepoWatcher
from proapp.sync.connectivity import Connectivity

__all__ = [
    "CANCELLED_TEXT",
    "RepoFollowingState",
    "active_window",
    "address_text",
    "day_label",
    "is_cancelled",
    "is_own_job",
    "job_address_text",
    "local_day",
    "maps_url",
    "own_jobs",
    "parts_to_bring",
    "queued_notice",
    "time_range",
    "windows_overlap",
]

logger = logging.getLogger(__name__)

CANCELLED_TEXT = "Cancelled by customer"
"""What a cancelled job says everywhere (only the customer or support cancel, R7)."""

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day of ``moment`` (aware) in ``time_zone``."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def day_label(day: date, today: date) -> str:
    """``Today`` / ``Tomorrow`` / ``Yesterday``, else ``Fri, Nov 27`` (English words
    built from parts: ``%a`` follows the process locale)."""
    delta = (day - today).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Tomorrow"
    if delta == -1:
        return "Yesterday"
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def time_range(window: TimeWindow, time_zone: str) -> str:
    """``9:00 AM – 11:00 AM PST``: the window's clock times in the job's zone."""
    zone = ZoneInfo(time_zone)
    start = window.start.astimezone(zone)
    end = window.end.astimezone(zone)
    return f"{format_clock(start)} – {format_clock(end)} {end.tzname() or ''}".rstrip()


def windows_overlap(a: TimeWindow, b: TimeWindow) -> bool:
    """True if the two windows share any moment (touching ends do not overlap)."""
    return a.start < b.end and b.start < a.end


def address_text(address: Address) -> str:
    """One line: ``12 Main St, Apt 3, Seattle, WA 98101``."""
    street = ", ".join(part for part in (address.line1, address.line2) if part)
    return f"{street}, {address.city}, {address.state} {address.postal_code}"


def job_address_text(job: Job) -> str:
    """Where the work is (R12): the street address, or "In store" / "Online"."""
    if job.location_type is LocationType.ONLINE:
        return "Online (video call)"
    if job.location_type is LocationType.IN_STORE:
        return "In store"
    if job.address is not None:
        return address_text(job.address)
    return "Address not set"


def maps_url(job: Job) -> str | None:
    """A Google Maps search link for the job's address (None for in-store/online work)."""
    if job.location_type is not LocationType.IN_HOME or job.address is None:
        return None
    return "https://www.google.com/maps/search/?api=1&query=" + quote_plus(
        address_text(job.address)
    )


def parts_to_bring(job: Job) -> tuple[str, ...]:
    """The job's part lines (after signed change orders, which the server folds into
    ``line_items``), e.g. ``2 × Braided supply line``."""
    return tuple(
        f"{line.quantity} × {line.description}"
        for line in job.line_items
        if line.kind is LineItemKind.PART
    )


def is_cancelled(job: Job) -> bool:
    """The customer (or support) cancelled the job (R7)."""
    return job.status is JobStatus.CANCELLED


def active_window(job: Job) -> TimeWindow | None:
    """The confirmed arrival window, if the job has a live (not cancelled) appointment."""
    appointment = job.appointment
    if appointment is None or appointment.status is AppointmentStatus.CANCELLED:
        return None
    return appointment.window


def is_own_job(job: Job, user: User) -> bool:
    """Whether ``job`` belongs on this pro's schedule: office staff see every job of the
    business; a technician sees the jobs assigned to them (an unassigned job they can
    merely see is the dispatcher's to hand out)."""
    if user.is_staff:
        return True
    appointment = job.appointment
    return user.id in job.assigned_technician_ids or (
        appointment is not None and user.id in appointment.assigned_technician_ids
    )


def own_jobs(records: Iterable[JobRecord], user: User) -> list[JobRecord]:
    """The records `is_own_job` keeps, in order. Screens filter every job on the phone
    on each read: the role is checked once here, not once per job."""
    if user.is_staff:
        return list(records)
    user_id = user.id
    return [
        record
        for record in records
        if user_id in record.job.assigned_technician_ids
        or (
            (appointment := record.job.appointment) is not None
            and user_id in appointment.assigned_technician_ids
        )
    ]


def queued_notice(repo: ProRepository, done: str) -> str:
    """``done`` plus when it reaches the server: a pro in a basement must know the
    action is saved on the phone and goes out later (DESIGN.md section 4)."""
    if repo.sync_status().connectivity is Connectivity.ONLINE:
        return f"{done} Sending it now."
    return f"{done} Saved on this phone; it will sync when you are online."


class RepoFollowingState(Observable):
    """Base of the schedule screens' states: re-reads the repository after every local
    action or sync (``ProRepository.subscribe``), one reload at a time (`RepoWatcher`).

    Subclasses implement `_read` (read the repo, set display values; no notify).
    """

    def __init__(self, repo: ProRepository) -> None:
        super().__init__()
        self._repo = repo
        self._watcher = RepoWatcher(self._reload)
        self._disposed = False

    async def _read(self) -> None:
        raise NotImplementedError

    async def load(self) -> None:
        """Read what the device holds and start following changes."""
        if not self._disposed:
            self._watcher.watch(self._repo)
        await self._read()
        self._notify()

    async def _reload(self) -> None:
        try:
            await self._read()
        except Exception:
            logger.exception("re-reading the schedule failed")
            return
        if not self._disposed:
            self._notify()

    async def settle(self) -> None:
        """Wait for a pending re-read (tests, and callers that need fresh values)."""
        await self._watcher.settle()

    def dispose(self) -> None:
        """Stop following the repository (the screen is gone)."""
        self._disposed = True
        self._watcher.stop()
