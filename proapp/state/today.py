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
    job_address_text,
    local_day,
    maps_url,
    parts_to_bring,
    time_range,
)

__all__ = ["PAGE_SIZE", "STRIP_DAYS", "DayChip", "TodayRow", "TodayState"]

STRIP_DAYS = 7
"""How many days the day strip shows (today and the next six)."""

PAGE_SIZE = 20
"""Cards built at a time (a phone shows about three; see `TodayState`)."""


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


# Any moment's calendar day, in any time zone, is within this much of its UTC day
# (zone offsets run from -12 h to +14 h): a cheap UTC range check before the exact one.
_ZONE_SLACK = timedelta(hours=14)


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class TodayState(RepoFollowingState):
    """The Today tab. ``loaded`` is False until the first read finished.

    ``needs_window`` and ``rows`` hold the first `limit` rows of the list (both
    together; `PAGE_SIZE` at first): the counts say how many there are in all, and
    `show_more` (the pro scrolled near the end) adds a page. A phone shows about three
    cards, and building a card costs more than all the sorting, so a day with hundreds
    of appointments must not mean hundreds of cards built. Local days are worked out
    only for jobs near the strip's days, not for every job on the phone.
    """

    title = "Today"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx.repo)
        self._ctx = ctx
        self._route = route
        self._waiting: list[JobRecord] = []
        self._placed: list[tuple[datetime, JobRecord]] = []
        self._zone = "UTC"
        self.loaded = False
        self.today: date = ctx.clock().astimezone(UTC).date()
        self.day: date = self.today
        self._day_chosen = False
        self.day_title = "Today"
        self.days: tuple[DayChip, ...] = ()
        self.limit = PAGE_SIZE
        self.needs_window: tuple[TodayRow, ...] = ()
        self.needs_window_count = 0
        self.rows: tuple[TodayRow, ...] = ()
        self.rows_count = 0
        self._day_records: list[JobRecord] = []

    # ------------------------------------------------------------------ reading
    async def _read(self) -> None:
        records = await self._ctx.repo.jobs()
        user = self._ctx.repo.user
        # One pass over every job on the phone (thousands, each touched once): the
        # pro's own (`is_own_job`), counted by zone, split into waiting for a window and
        # placed where `_shown_window` puts them (both rules inlined: no call per job).
        user_id, staff = user.id, user.is_staff
        pending, cancelled = JobStatus.PENDING_SCHEDULE, JobStatus.CANCELLED
        zones: Counter[str] = Counter()
        waiting: list[JobRecord] = []
        placed: list[tuple[datetime, JobRecord]] = []
        for record in records:
            job = record.job
            appointment = job.appointment
            if not (
                staff
                or user_id in job.assigned_technician_ids
                or (appointment is not None and user_id in appointment.assigned_technician_ids)
            ):
                continue
            zones[job.time_zone] += 1
            status = job.status
            if status is pending:
                waiting.append(record)
            elif appointment is not None:
                placed.append((appointment.window.start, record))
            elif status is cancelled and job.preferred_windows:
                placed.append((min(pw.window.start for pw in job.preferred_windows), record))
        # "Today" needs one calendar; a pro's jobs are nearly always in one zone, so take
        # the most common one (each row still shows its own job's zone).
        self._zone = zones.most_common(1)[0][0] if zones else "UTC"
        self.today = local_day(self._ctx.clock(), self._zone)
        if not self._day_chosen:
            self.day = self.today
        waiting.sort(key=lambda r: (r.job.window_confirmation_due_at, r.job.id))
        self._waiting = waiting
        self._placed = placed
        self._build()
        self.loaded = True

    def _build(self) -> None:
        first = min(self.today, self.day)
        if (self.day - first).days >= STRIP_DAYS:
            first = self.day - timedelta(days=STRIP_DAYS - 1)
        last = first + timedelta(days=STRIP_DAYS - 1)
        # The strip's days (the chosen one among them): a cheap UTC range first, the
        # local day in each job's own zone only for the jobs inside it.
        lo = _utc_midnight(first) - _ZONE_SLACK
        hi = _utc_midnight(last + timedelta(days=1)) + _ZONE_SLACK
        near = [
            (local_day(start, record.job.time_zone), start, record)
            for start, record in self._placed
            if lo <= start < hi
        ]
        todays = [(start, record) for day, start, record in near if day == self.day]
        # Time order; cancelled jobs sink to the bottom of their day (still shown, marked).
        todays.sort(key=lambda p: (is_cancelled(p[1].job), p[0], p[1].job.id))
        self._day_records = [record for _, record in todays]
        self.needs_window_count = len(self._waiting)
        self.rows_count = len(todays)
        self._cut()

        live = Counter(day for day, _, record in near if not is_cancelled(record.job))
        chips = []
        for offset in range(STRIP_DAYS):
            day = first + timedelta(days=offset)
            chips.append(
                DayChip(
                    day=day,
                    key=day.isoformat(),
                    label=day_label(day, self.today),
                    count=live[day],
                    selected=day == self.day,
                )
            )
        self.days = tuple(chips)
        label = day_label(self.day, self.today)
        dated = day_label(self.day, date.min)  # always the "Thu, Nov 26" form
        self.day_title = dated if label == dated else f"{label} · {dated}"

    def _cut(self) -> None:
        """Format the first `limit` rows: waiting for a window first, then the day."""
        now = self._ctx.clock()
        self.needs_window = tuple(self._waiting_row(r, now) for r in self._waiting[: self.limit])
        rest = max(0, self.limit - len(self.needs_window))
        self.rows = tuple(self._appointment_row(r) for r in self._day_records[:rest])

    @property
    def hidden_count(self) -> int:
        """Rows not built yet (shown as the pro scrolls, `show_more`)."""
        shown = len(self.needs_window) + len(self.rows)
        return self.needs_window_count + self.rows_count - shown

    def show_more(self) -> bool:
        """Show another `PAGE_SIZE` rows; False (nothing changes) if all are shown."""
        if self.hidden_count <= 0:
            return False
        self.limit += PAGE_SIZE
        self._cut()
        self._notify()
        return True

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
        return self.loaded and not self.rows_count and not self.needs_window_count

    @property
    def empty_text(self) -> str:
        """What the empty day says."""
        when = "today" if self.day == self.today else f"on {day_label(self.day, self.today)}"
        return f"No appointments {when}."

    def select_day(self, day: date) -> None:
        """Show ``day``'s appointments."""
        self.day = day
        self._day_chosen = True
        self.limit = PAGE_SIZE  # a new list: start again at its first page
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
