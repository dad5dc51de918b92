"""State of the windows screen: confirm an arrival window, propose one, or reschedule.

R6: after an order the customer picks 3 preferred arrival windows; the pro confirms
one, or proposes another (which confirms it), within 1 business day of the order. Each
window is shown beside the pro's own appointments that day, with overlaps flagged.
R7: a pro may move a confirmed appointment, with a reason code (a note is required
for "other"). All times are picked and shown in the job's time zone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from operator import itemgetter
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from proapp.domain.commands import (
    AppointmentRescheduleArgs,
    CommandArgs,
    WindowConfirmArgs,
    WindowProposeArgs,
)
from proapp.domain.enums import JobStatus, RescheduleReasonCode
from proapp.domain.errors import DomainError
from proapp.domain.models import Job, TimeWindow
from proapp.domain.rules import format_local, is_window_confirmation_overdue
from proapp.state.ports import JobRecord, Route, ScreenContext
from proapp.state.schedule import (
    RepoFollowingState,
    active_window,
    day_label,
    is_cancelled,
    local_day,
    own_jobs,
    queued_notice,
    time_range,
    windows_overlap,
)

__all__ = [
    "AGENDA_SHOWN",
    "DATE_CHOICES",
    "REASON_LABELS",
    "AgendaItem",
    "Choice",
    "WindowOption",
    "WindowsMode",
    "WindowsState",
    "time_choices",
]

DATE_CHOICES = 21
"""How many days ahead the proposal's date selector offers (today included)."""

AGENDA_SHOWN = 8
"""Other appointments listed beside a window; more are counted ("and 5 more")."""

# Zone offsets run from -12 h to +14 h: a local day lies within this much of its UTC day.
_ZONE_SLACK = timedelta(hours=14)

FIRST_SLOT = time(6, 0)
LAST_SLOT = time(22, 0)
SLOT_MINUTES = 30

REASON_LABELS: dict[RescheduleReasonCode, str] = {
    RescheduleReasonCode.APPOINTMENT_REQUESTED_BY_CUSTOMER: "The customer asked to move it",
    RescheduleReasonCode.TECHNICIAN_ISSUE: "I cannot make it (technician issue)",
    RescheduleReasonCode.WEATHER: "Weather",
    RescheduleReasonCode.PARTS_DELAYED: "Parts are delayed",
    RescheduleReasonCode.OTHER: "Other reason (say why in the note)",
}


class WindowsMode(StrEnum):
    """Which job the screen works on: one waiting for a window, or a confirmed one."""

    CONFIRM = "confirm"  # R6: confirm a preferred window or propose another
    RESCHEDULE = "reschedule"  # R7: move the confirmed appointment, with a reason
    CLOSED = "closed"  # nothing to schedule (cancelled, finished, or not on this phone)


@dataclass(frozen=True)
class Choice:
    """One option of a selector: ``key`` is what the state stores, ``label`` is shown."""

    key: str
    label: str


@dataclass(frozen=True)
class AgendaItem:
    """One of the pro's other appointments on a day; ``overlaps`` the window beside it."""

    job_id: str
    text: str
    overlaps: bool


@dataclass(frozen=True)
class WindowOption:
    """A customer's preferred window (R6) with the pro's appointments that day."""

    preferred_window_id: str
    day_text: str
    time_text: str
    agenda: tuple[AgendaItem, ...]  # at most AGENDA_SHOWN, every clash first
    has_overlap: bool
    started: bool  # already begun or past: cannot be confirmed any more
    hidden_count: int = 0  # other appointments that day not in ``agenda``
    overlap_count: int = 0  # appointments that day this window overlaps (all of them)

    @property
    def summary(self) -> str:
        """One line for screen readers."""
        clash = f" Overlaps {self.overlap_count} of your appointments." if self.has_overlap else ""
        total = len(self.agenda) + self.hidden_count
        busy = f" You have {total} other appointments that day." if total else ""
        past = " Already started." if self.started else ""
        return f"{self.day_text}, {self.time_text}.{clash or busy}{past}"


@dataclass(frozen=True)
class _Agenda:
    items: tuple[AgendaItem, ...]
    hidden_count: int
    overlap_count: int


def _clock_label(moment: time) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def time_choices() -> tuple[Choice, ...]:
    """Every half hour from 6:00 AM to 10:00 PM (keys ``HH:MM``)."""
    choices = []
    minutes = FIRST_SLOT.hour * 60 + FIRST_SLOT.minute
    last = LAST_SLOT.hour * 60 + LAST_SLOT.minute
    while minutes <= last:
        slot = time(minutes // 60, minutes % 60)
        choices.append(Choice(slot.strftime("%H:%M"), _clock_label(slot)))
        minutes += SLOT_MINUTES
    return tuple(choices)


_TIMES = time_choices()
_TIME_KEYS = frozenset(choice.key for choice in _TIMES)


def _local(day: date, key: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in key.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


class WindowsState(RepoFollowingState):
    """The windows screen (``Route("windows", {"job_id"[, "mode": "reschedule"]})``).

    The mode follows the job: PENDING_SCHEDULE confirms or proposes (R6); SCHEDULED
    reschedules (R7). Inputs (``proposed_*``, ``reason``, ``note``) survive refusals.
    """

    title = "Arrival window"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx.repo)
        self._ctx = ctx
        self.job_id = route.param("job_id")
        self.loaded = False
        self.mode = WindowsMode.CLOSED
        self.closed_text = ""
        self.job_title = ""
        self.customer_name = ""
        self.zone_text = ""
        self.deadline_text = ""
        self.deadline_overdue = False
        self.current_window_text = ""
        self.options: tuple[WindowOption, ...] = ()
        self.date_choices: tuple[Choice, ...] = ()
        self.time_choices: tuple[Choice, ...] = _TIMES
        self.reason_choices: tuple[Choice, ...] = tuple(
            Choice(code.value, label) for code, label in REASON_LABELS.items()
        )
        # Inputs: kept across re-reads and refusals.
        self.proposed_date: str | None = None
        self.proposed_start: str | None = "09:00"
        self.proposed_end: str | None = "11:00"
        self.propose_note = ""
        self.reason: str | None = None
        self.note = ""
        # Outcome of the last try.
        self.error: str | None = None
        self.date_error: str | None = None
        self.start_error: str | None = None
        self.end_error: str | None = None
        self.reason_error: str | None = None
        self.note_error: str | None = None
        self.proposed_agenda: tuple[AgendaItem, ...] = ()
        self.proposed_agenda_hidden = 0
        self.busy = False
        self._prefilled = False
        self._job: Job | None = None
        self._booked: list[tuple[datetime, TimeWindow, JobRecord]] = []
        self._booked_starts: list[datetime] = []

    # ------------------------------------------------------------------ reading
    async def _read(self) -> None:
        record = await self._ctx.repo.job(self.job_id)
        others = await self._ctx.repo.jobs()
        user = self._ctx.repo.user
        # The pro's other live appointments, sorted by start once per read: an agenda
        # then looks at the few near its day (bisect), not at every job on the phone.
        booked = [
            (window.start, window, r)
            for r in own_jobs(others, user)
            if (window := active_window(r.job)) is not None
            and r.job.id != self.job_id
            and not is_cancelled(r.job)
        ]
        booked.sort(key=itemgetter(0))
        self._booked = booked
        self._booked_starts = [start for start, _, _ in booked]
        self.loaded = True
        if record is None:
            self._job = None
            self.mode = WindowsMode.CLOSED
            self.closed_text = "This job is not on this phone any more. Go back to Today."
            return
        job = record.job
        self._job = job
        self.job_title = job.title
        self.customer_name = job.customer_name or "the customer"
        now = self._ctx.clock()
        zone = ZoneInfo(job.time_zone)
        self.zone_text = f"Times in {now.astimezone(zone).tzname()} ({job.time_zone})"
        if job.status is JobStatus.PENDING_SCHEDULE:
            self.mode = WindowsMode.CONFIRM
            self.title = "Confirm a window"
        elif job.status is JobStatus.SCHEDULED and active_window(job) is not None:
            self.mode = WindowsMode.RESCHEDULE
            self.title = "Reschedule"
        else:
            self.mode = WindowsMode.CLOSED
            self.title = "Arrival window"
            self.closed_text = (
                "The customer cancelled this job, so it cannot be scheduled."
                if is_cancelled(job)
                else "This job is no longer waiting for a window."
            )
        due = format_local(job.window_confirmation_due_at, job.time_zone)
        self.deadline_overdue = is_window_confirmation_overdue(job, now)
        self.deadline_text = (
            f"Confirmation was due {due}. Confirm a window now."
            if self.deadline_overdue
            else f"Confirm a window by {due} (1 business day after the order)."
        )
        current = active_window(job)
        self.current_window_text = (
            f"{day_label(local_day(current.start, job.time_zone), now.astimezone(zone).date())}, "
            f"{time_range(current, job.time_zone)}"
            if current is not None
            else ""
        )
        self.options = tuple(
            self._option(job, pw.id, pw.window, now) for pw in job.preferred_windows
        )
        today = now.astimezone(zone).date()
        self.date_choices = tuple(
            Choice(day.isoformat(), day_label(day, today))
            for day in (today + timedelta(days=offset) for offset in range(DATE_CHOICES))
        )
        if not self._prefilled:
            self._prefilled = True
            self._prefill(job, current, zone)
        if self.proposed_date is None or self.proposed_date not in {
            c.key for c in self.date_choices
        }:
            self.proposed_date = (today + timedelta(days=1)).isoformat()
        self._update_proposed_agenda()

    def _prefill(self, job: Job, current: TimeWindow | None, zone: ZoneInfo) -> None:
        # Rescheduling usually moves an appointment a little: start from the current
        # window (on the half-hour grid) rather than from tomorrow morning.
        if current is None or job.status is not JobStatus.SCHEDULED:
            return
        start = current.start.astimezone(zone)
        end = current.end.astimezone(zone)
        if start.date() != end.date():
            return
        start_key, end_key = f"{start:%H:%M}", f"{end:%H:%M}"
        if start_key in _TIME_KEYS and end_key in _TIME_KEYS:
            self.proposed_date = start.date().isoformat()
            self.proposed_start, self.proposed_end = start_key, end_key

    def _agenda(self, job: Job, day: date, window: TimeWindow | None) -> _Agenda:
        # Any zone's calendar day lies within 14 h of the same UTC day: a cheap range
        # first, the exact local day (in the job's zone) only for what is in it.
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        lo = bisect_left(self._booked_starts, midnight - _ZONE_SLACK)
        hi = bisect_left(self._booked_starts, midnight + timedelta(days=1) + _ZONE_SLACK)
        same_day = [
            (other, record)
            for start, other, record in self._booked[lo:hi]
            if local_day(start, job.time_zone) == day
        ]
        same_day.sort(key=lambda pair: (pair[0].start, pair[1].job.id))
        overlapping = {
            i
            for i, (other, _) in enumerate(same_day)
            if window is not None and windows_overlap(window, other)
        }
        # A day rarely holds more than a handful; when it does, list every clash first
        # (up to AGENDA_SHOWN) and count the rest. Still in time order.
        clashes = sorted(overlapping)[:AGENDA_SHOWN]
        calm = [i for i in range(len(same_day)) if i not in overlapping]
        shown = sorted(clashes + calm[: AGENDA_SHOWN - len(clashes)])
        items = []
        for i in shown:
            other, record = same_day[i]
            who = record.job.customer_name or "customer"
            items.append(
                AgendaItem(
                    job_id=record.job.id,
                    text=f"{time_range(other, job.time_zone)} · {record.job.title} ({who})",
                    overlaps=i in overlapping,
                )
            )
        return _Agenda(tuple(items), len(same_day) - len(items), len(overlapping))

    def _option(self, job: Job, pw_id: str, window: TimeWindow, now: datetime) -> WindowOption:
        day = local_day(window.start, job.time_zone)
        today = local_day(now, job.time_zone)
        agenda = self._agenda(job, day, window)
        return WindowOption(
            preferred_window_id=pw_id,
            day_text=day_label(day, today),
            time_text=time_range(window, job.time_zone),
            agenda=agenda.items,
            has_overlap=agenda.overlap_count > 0,
            started=window.start <= now,
            hidden_count=agenda.hidden_count,
            overlap_count=agenda.overlap_count,
        )

    def _proposed_window(self) -> TimeWindow | None:
        job = self._job
        if job is None or not self.proposed_date or not self.proposed_start:
            return None
        if not self.proposed_end:
            return None
        zone = ZoneInfo(job.time_zone)
        day = date.fromisoformat(self.proposed_date)
        start = _local(day, self.proposed_start, zone)
        end = _local(day, self.proposed_end, zone)
        if end <= start:
            return None
        return TimeWindow(start=start, end=end)

    def _update_proposed_agenda(self) -> None:
        job = self._job
        if job is None or not self.proposed_date:
            self.proposed_agenda = ()
            self.proposed_agenda_hidden = 0
            return
        agenda = self._agenda(job, date.fromisoformat(self.proposed_date), self._proposed_window())
        self.proposed_agenda = agenda.items
        self.proposed_agenda_hidden = agenda.hidden_count

    @property
    def proposed_overlaps(self) -> bool:
        """The window being proposed clashes with one of the pro's appointments."""
        return any(item.overlaps for item in self.proposed_agenda)

    # ------------------------------------------------------------------ inputs
    def set_date(self, key: str | None) -> None:
        """The proposal's day (ISO date)."""
        self.proposed_date = key if key in {c.key for c in self.date_choices} else None
        self.date_error = None
        self._update_proposed_agenda()
        self._notify()

    def set_start(self, key: str | None) -> None:
        """The proposal's start (``HH:MM`` in the job's zone)."""
        self.proposed_start = key if key in _TIME_KEYS else None
        self.start_error = None
        # Keep a sensible end: two hours later if the old end no longer fits.
        if self.proposed_start and (
            not self.proposed_end or self.proposed_end <= self.proposed_start
        ):
            later = _shift(self.proposed_start, 120)
            self.proposed_end = later if later in _TIME_KEYS else None
        self.end_error = None
        self._update_proposed_agenda()
        self._notify()

    def set_end(self, key: str | None) -> None:
        """The proposal's end (``HH:MM`` in the job's zone)."""
        self.proposed_end = key if key in _TIME_KEYS else None
        self.end_error = None
        self._update_proposed_agenda()
        self._notify()

    def set_propose_note(self, text: str) -> None:
        """Optional note to the customer with a proposed window."""
        self.propose_note = text

    def set_reason(self, key: str | None) -> None:
        """Reschedule reason code (R7)."""
        self.reason = key if key in {c.key for c in self.reason_choices} else None
        self.reason_error = None
        self._notify()

    def set_note(self, text: str) -> None:
        """Reschedule note (required for "other", R7). No re-render while typing."""
        self.note = text
        if self.note_error and text.strip():
            self.note_error = None
            self._notify()

    @property
    def note_required(self) -> bool:
        """R7: reason OTHER needs a note saying why."""
        return self.reason == RescheduleReasonCode.OTHER.value

    # ------------------------------------------------------------------ checks
    def _clear_errors(self) -> None:
        self.error = self.date_error = self.start_error = self.end_error = None
        self.reason_error = self.note_error = None

    def _checked_window(self) -> TimeWindow | None:
        """The proposed window, or None with field errors set (inputs untouched)."""
        if not self.proposed_date:
            self.date_error = "Pick a day."
        if not self.proposed_start:
            self.start_error = "Pick a start time."
        if not self.proposed_end:
            self.end_error = "Pick an end time."
        if self.date_error or self.start_error or self.end_error:
            self.error = "Pick the day, start and end of the window."
            return None
        assert self.proposed_start is not None and self.proposed_end is not None
        if self.proposed_end <= self.proposed_start:
            self.end_error = "Must be after the start."
            self.error = "The window must end after it starts. Pick a later end time."
            return None
        window = self._proposed_window()
        if window is None:  # pragma: no cover - covered by the checks above
            self.error = "Pick the day, start and end of the window."
            return None
        if window.start <= self._ctx.clock():
            self.start_error = "Already past."
            self.error = "That window has already started. Pick a time that is still ahead."
            return None
        return window

    # ------------------------------------------------------------------ actions
    async def confirm(self, preferred_window_id: str) -> None:
        """Confirm one of the customer's preferred windows (R6)."""
        self._clear_errors()
        option = next(
            (o for o in self.options if o.preferred_window_id == preferred_window_id), None
        )
        if option is not None and option.started:
            self.error = "That window has already started. Propose a new window below instead."
            self._notify()
            return
        await self._perform(
            lambda: WindowConfirmArgs(job_id=self.job_id, preferred_window_id=preferred_window_id),
            f"Window confirmed: {option.day_text}, {option.time_text}."
            if option
            else "Window confirmed.",
        )

    async def propose(self) -> None:
        """Propose another window, which confirms it (R6)."""
        self._clear_errors()
        window = self._checked_window()
        if window is None:
            self._notify()
            return
        note = self.propose_note.strip()
        await self._perform(
            lambda: WindowProposeArgs(job_id=self.job_id, window=window, note=note),
            f"New window set: {self._window_words(window)}. The customer is told.",
        )

    async def reschedule(self) -> None:
        """Move the confirmed appointment with a reason (R7)."""
        self._clear_errors()
        window = self._checked_window()
        if not self.reason:
            self.reason_error = "Pick a reason."
        elif self.note_required and not self.note.strip():
            self.note_error = 'Say why (required for "Other").'
        current = active_window(self._job) if self._job is not None else None
        if (
            window is not None
            and current is not None
            and (window.start == current.start and window.end == current.end)
        ):
            self.start_error = "Same as now."
            self.error = "That is the current window. Pick a different day or time."
            window = None
        if window is None or self.reason_error or self.note_error:
            if not self.error:
                self.error = self.reason_error or self.note_error
            self._notify()
            return
        reason = RescheduleReasonCode(self.reason or RescheduleReasonCode.OTHER)
        note = self.note.strip()
        await self._perform(
            lambda: AppointmentRescheduleArgs(
                job_id=self.job_id, window=window, reason_code=reason, note=note
            ),
            f"Appointment moved to {self._window_words(window)}. The customer is told.",
        )

    def _window_words(self, window: TimeWindow) -> str:
        assert self._job is not None
        today = local_day(self._ctx.clock(), self._job.time_zone)
        day = day_label(local_day(window.start, self._job.time_zone), today)
        return f"{day}, {time_range(window, self._job.time_zone)}"

    async def _perform(self, build: Callable[[], CommandArgs], done: str) -> None:
        if self.busy:
            return
        self.busy = True
        self._notify()
        try:
            await self._ctx.repo.perform(build())
        except ValidationError as exc:
            self.error = _validation_message(exc)
        except DomainError as exc:
            self.error = exc.message
        else:
            self._ctx.nav.notify(queued_notice(self._ctx.repo, done))
            self._ctx.nav.back()
        finally:
            self.busy = False
        self._notify()


def _shift(key: str, minutes: int) -> str:
    hours, mins = (int(part) for part in key.split(":"))
    total = hours * 60 + mins + minutes
    return f"{total // 60:02d}:{total % 60:02d}"


def _validation_message(exc: ValidationError) -> str:
    for error in exc.errors(include_url=False):
        message = str(error.get("msg", ""))
        if "OTHER needs a note" in message:
            return 'Say why in the note: it is required for "Other".'
        if "end after it starts" in message:
            return "The window must end after it starts. Pick a later end time."
        if error["loc"] and error["loc"][0] == "note":
            return "The note is too long: keep it under 2,000 characters."
    return "The window could not be saved. Check the day and times, then try again."
