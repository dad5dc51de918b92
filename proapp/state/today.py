"""State of the Today tab: the pro's appointments by day, in each job's time zone.

Jobs still waiting for an arrival window (R6) are listed first, on every day, with
their confirmation deadline; then the chosen day's appointments in time order, with
the customer, the address and a maps link, the parts to bring, and cancelled jobs
clearly marked (R7). Reads only the device's store: nothing here waits on the network.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from proapp.domain.enums import JobStatus
from proapp.domain.models import Job, TimeWindow
from proapp.domain.rules import format_local, is_window_confirmation_overdue
from proapp.state.formatting import status_label
from proapp.state.ports import JobRecord, Route, ScreenContext
from proapp.state.schedule import (
    CANCELLED_TEXT,
    RepoFollowingState,
    day_label,
    is_cancelled,
    is_own_job,
    job_address_text,
    local_day,
    maps_url,
    parts_to_bring,
    time_range,
)

__all__ = ["STRIP_DAYS", "DayChip", "TodayRow", "TodayState"]

STRIP_DAYS = 7
"""How many days the day strip shows (today and the next six)."""


@dataclass(frozen=True)
class DayChip:
    """One day in the strip: ``count`` live (not cancelled) appointments."""

    day: date
    key: str  # ISO date, for the semantics id ``today-day-<key>``
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class TodayRow:
    """One job on the Today screen, ready to show."""

    job_id: str
    title: str
    status: JobStatus
    status_text: str
    window_text: str
    customer_name: str
    address_text: str
    maps_url: str | None
    parts: tuple[str, ...]
    cancelled: bool
    pending: bool  # changed on this phone, not yet synced
    overdue: bool  # R6: window confirmation is late

    @property
    def semantics_label(self) -> str:
        """Everything a screen reader needs in one sentence."""
        parts = f" Bring: {', '.join(self.parts)}." if self.parts else ""
        sync = " Waiting to sync." if self.pending else ""
        return (
            f"{self.title}. {self.status_text}. {self.window_text}. "
            f"{self.customer_name}. {self.address_text}.{parts}{sync}"
        )


def _home_zone(jobs: list[Job]) -> str:
    # "Today" needs one calendar; a pro's jobs are nearly always in one zone, so take
    # the most common one (each row still shows its own job's zone).
    if not jobs:
        return "UTC"
    return Counter(job.time_zone for job in jobs).most_common(1)[0][0]


def _shown_window(job: Job) -> TimeWindow | None:
    """The window a job sits at on the day list.

    A cancelled job loses its appointment on the server (only live appointments are
    sent), yet the pro must still see it, struck through, where it was: its last known
    appointment if the device still has it, else the customer's earliest preferred
    window (the best guess of the day it was booked for).
    """
    if job.appointment is not None:
        return job.appointment.window
    if is_cancelled(job) and job.preferred_windows:
        return min((pw.window for pw in job.preferred_windows), key=lambda w: w.start)
    return None


def _start(job: Job) -> datetime:
    window = _shown_window(job)
    return window.start if window is not None else datetime.max.replace(tzinfo=UTC)


class TodayState(RepoFollowingState):
    """The Today tab. ``loaded`` is False until the first read finished."""

    title = "Today"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx.repo)
        self._ctx = ctx
        self._route = route
        self._records: list[JobRecord] = []
        self._zone = "UTC"
        self.loaded = False
        self.today: date = ctx.clock().astimezone(UTC).date()
        self.day: date = self.today
        self._day_chosen = False
        self.day_title = "Today"
        self.days: tuple[DayChip, ...] = ()
        self.needs_window: tuple[TodayRow, ...] = ()
        self.rows: tuple[TodayRow, ...] = ()

    # ------------------------------------------------------------------ reading
    async def _read(self) -> None:
        records = await self._ctx.repo.jobs()
        user = self._ctx.repo.user
        self._records = [r for r in records if is_own_job(r.job, user)]
        self._zone = _home_zone([r.job for r in self._records])
        self.today = local_day(self._ctx.clock(), self._zone)
        if not self._day_chosen:
            self.day = self.today
        self._build()
        self.loaded = True

    def _build(self) -> None:
        now = self._ctx.clock()
        on_day: dict[date, list[JobRecord]] = {}
        waiting: list[JobRecord] = []
        for record in self._records:
            job = record.job
            if job.status is JobStatus.PENDING_SCHEDULE:
                waiting.append(record)
                continue
            window = _shown_window(job)
            if window is not None:
                on_day.setdefault(local_day(window.start, job.time_zone), []).append(record)

        waiting.sort(key=lambda r: (r.job.window_confirmation_due_at, r.job.id))
        self.needs_window = tuple(self._waiting_row(r, now) for r in waiting)

        todays = on_day.get(self.day, [])
        # Time order; cancelled jobs sink to the bottom of their day (still shown, marked).
        todays.sort(key=lambda r: (is_cancelled(r.job), _start(r.job), r.job.id))
        self.rows = tuple(self._appointment_row(r) for r in todays)

        first = min(self.today, self.day)
        if (self.day - first).days >= STRIP_DAYS:
            first = self.day - timedelta(days=STRIP_DAYS - 1)
        chips = []
        for offset in range(STRIP_DAYS):
            day = first + timedelta(days=offset)
            live = [r for r in on_day.get(day, []) if not is_cancelled(r.job)]
            chips.append(
                DayChip(
                    day=day,
                    key=day.isoformat(),
                    label=day_label(day, self.today),
                    count=len(live),
                    selected=day == self.day,
                )
            )
        self.days = tuple(chips)
        label = day_label(self.day, self.today)
        dated = day_label(self.day, date.min)  # always the "Thu, Nov 26" form
        self.day_title = dated if label == dated else f"{label} · {dated}"

    def _appointment_row(self, record: JobRecord) -> TodayRow:
        job = record.job
        window = _shown_window(job)
        cancelled = is_cancelled(job)
        return TodayRow(
            job_id=job.id,
            title=job.title,
            status=job.status,
            status_text=CANCELLED_TEXT if cancelled else status_label(job.status),
            window_text=time_range(window, job.time_zone) if window else "No arrival window",
            customer_name=job.customer_name or "Customer",
            address_text=job_address_text(job),
            maps_url=None if cancelled else maps_url(job),
            parts=() if cancelled else parts_to_bring(job),
            cancelled=cancelled,
            pending=record.pending,
            overdue=False,
        )

    def _waiting_row(self, record: JobRecord, now: datetime) -> TodayRow:
        job = record.job
        overdue = is_window_confirmation_overdue(job, now)
        due = format_local(job.window_confirmation_due_at, job.time_zone)
        return TodayRow(
            job_id=job.id,
            title=job.title,
            status=job.status,
            status_text="Confirm a window",
            window_text=(f"Overdue: was due {due}" if overdue else f"Confirm by {due}"),
            customer_name=job.customer_name or "Customer",
            address_text=job_address_text(job),
            maps_url=maps_url(job),
            parts=parts_to_bring(job),
            cancelled=False,
            pending=record.pending,
            overdue=overdue,
        )

    # ------------------------------------------------------------------ actions
    @property
    def is_empty(self) -> bool:
        """Nothing to show on the chosen day and nothing waiting for a window."""
        return self.loaded and not self.rows and not self.needs_window

    @property
    def empty_text(self) -> str:
        """What the empty day says."""
        when = "today" if self.day == self.today else f"on {day_label(self.day, self.today)}"
        return f"No appointments {when}."

    def select_day(self, day: date) -> None:
        """Show ``day``'s appointments."""
        self.day = day
        self._day_chosen = True
        self._build()
        self._notify()

    def previous_day(self) -> None:
        """One day back."""
        self.select_day(self.day - timedelta(days=1))

    def next_day(self) -> None:
        """One day ahead."""
        self.select_day(self.day + timedelta(days=1))

    def go_to_today(self) -> None:
        """Back to today."""
        self.select_day(self.today)

    def open_job(self, job_id: str) -> None:
        """Open the job's detail screen."""
        self._ctx.nav.open(Route("job", {"job_id": job_id}))
