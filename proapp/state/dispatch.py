"""State of the office dispatch board: one lane per technician, appointments as blocks.

A day (or a Monday-to-Sunday week) of the business, in the business's time zone: each
active technician gets a lane; each job with an appointment in the period is a block
at its arrival window (R6: windows, not appointment times), in every lane of the
technicians assigned to it. Blocks of one technician that overlap in time are flagged.
Beside the board, the open jobs nobody is assigned to, with their window confirmation
deadline (R6).

Assigning is the staff command ``job.assign`` (`JobAssignArgs`): the block moves lanes
at once (optimistic), the action is queued like any pro action, and the board re-reads
the store when the repository says it changed; a refusal puts the block back and says
why. Everything is reachable from the keyboard (`SHORTCUTS`, `handle_key`).

Reads are one indexed day or week of jobs (`OfficeRepository.board_jobs`), never the
whole cache, so opening the board and switching days stay cheap with 10,000 jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from proapp.domain import rules
from proapp.domain.commands import JobAssignArgs
from proapp.domain.enums import JobStatus
from proapp.domain.errors import DomainError
from proapp.state.formatting import status_label
from proapp.state.office_common import (
    OfficeFollowingState,
    clock_range,
    local_today,
    member_names,
    names_text,
    technicians,
)
from proapp.state.office_ports import OfficeContext, OfficeJob, TeamMember
from proapp.state.ports import Route
from proapp.state.schedule import day_label, queued_notice

__all__ = [
    "SHORTCUTS",
    "Block",
    "BoardMode",
    "DispatchState",
    "Lane",
    "UnassignedRow",
    "overlapping_ids",
]

logger = logging.getLogger(__name__)

DAY_MINUTES = 24 * 60
DEFAULT_HOURS = (7, 19)
"""The board's visible hours when no block lies outside them (local time)."""


class BoardMode(StrEnum):
    """One day, or the Monday-to-Sunday week around the chosen day."""

    DAY = "day"
    WEEK = "week"


SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("ArrowRight / L", "Next appointment in the lane"),
    ("ArrowLeft / H", "Previous appointment in the lane"),
    ("ArrowDown / J", "Same time, next technician"),
    ("ArrowUp / K", "Same time, previous technician"),
    ("U", "First unassigned job"),
    ("1–9", "Assign the selected job to the technician of that lane"),
    ("Enter", "Open the selected job"),
    ("] / [", "Next / previous day (or week)"),
    ("T", "Today"),
    ("D / W", "Day view / week view"),
    ("Escape", "Clear the selection"),
)
"""Key, what it does: for the view's shortcut help and tooltips."""


@dataclass(frozen=True)
class Block:
    """A job at its arrival window in one lane.

    ``day_index`` is the column (0 in day view, 0-6 Monday-Sunday in week view);
    ``start_minute``/``end_minute`` are minutes after local midnight of that day,
    clamped to the day (a window running past midnight is cut at the day's end).
    """

    job_id: str
    title: str
    customer_name: str
    place: str
    status: JobStatus
    status_text: str
    time_text: str
    day_index: int
    start_minute: int
    end_minute: int
    overlaps: bool
    pending: bool
    selected: bool
    technician_ids: tuple[str, ...]

    @property
    def semantics_label(self) -> str:
        """One sentence for screen readers."""
        warn = " Overlaps another appointment of this technician." if self.overlaps else ""
        sync = " Waiting to sync." if self.pending else ""
        return (
            f"{self.title}, {self.customer_name}, {self.time_text}, {self.place}. "
            f"{self.status_text}.{warn}{sync}"
        )


@dataclass(frozen=True)
class Lane:
    """One technician's row of the board."""

    technician_id: str
    name: str
    shortcut: str  # "1".."9" for the first nine lanes, else ""
    blocks: tuple[Block, ...]
    overlap_count: int
    active: bool = True

    @property
    def job_count(self) -> int:
        """How many distinct jobs the lane holds in the period."""
        return len({b.job_id for b in self.blocks})


@dataclass(frozen=True)
class UnassignedRow:
    """An open job nobody is assigned to."""

    job_id: str
    title: str
    customer_name: str
    place: str
    status_text: str
    when_text: str
    overdue: bool  # R6: the window confirmation deadline passed
    pending: bool
    selected: bool


def overlapping_ids(spans: list[tuple[datetime, datetime, str]]) -> set[str]:
    """Ids of the spans (start, end, id) that share time with another one (touching ends
    do not overlap)."""
    ordered = sorted(spans)
    hit: set[str] = set()
    for i, (start, end, ident) in enumerate(ordered):
        for other_start, _other_end, other in ordered[i + 1 :]:
            if other_start >= end:
                break
            if other != ident and start < end:
                hit.update((ident, other))
    return hit


def _place(job: OfficeJob) -> str:
    if job.address_line and job.city:
        return f"{job.address_line}, {job.city}"
    return job.address_line or job.city or "No address"


class DispatchState(OfficeFollowingState):
    """The dispatch board (see the module docstring).

    Route params (optional): ``day`` (ISO date), ``mode`` ("day" or "week").
    """

    title = "Dispatch"

    def __init__(self, ctx: OfficeContext, route: Route) -> None:
        super().__init__(ctx)
        self._route = route
        mode = route.params.get("mode", BoardMode.DAY.value)
        self.mode = BoardMode.WEEK if mode == BoardMode.WEEK.value else BoardMode.DAY
        self.time_zone = "UTC"
        chosen: date | None = None
        try:
            chosen = date.fromisoformat(route.params.get("day", ""))
        except ValueError:  # no day (or a malformed link): today, once the zone is known
            chosen = None
        self._day_chosen = chosen is not None
        self.day: date = chosen or ctx.clock().astimezone(UTC).date()
        self.today: date = self.day
        self.days: tuple[date, ...] = (self.day,)
        self.period_title = ""
        self.hours: tuple[int, int] = DEFAULT_HOURS
        self.lanes: tuple[Lane, ...] = ()
        self.unassigned: tuple[UnassignedRow, ...] = ()
        self.selected_job_id: str | None = None
        self.busy = False
        self._team: list[TeamMember] = []
        self._names: dict[str, str] = {}
        self._jobs: list[OfficeJob] = []
        self._unassigned_jobs: list[OfficeJob] = []
        # Optimistic assignments not yet visible in what the repository returns.
        self._moved: dict[str, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ reading
    def _period(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.time_zone)
        first, last = self.days[0], self.days[-1] + timedelta(days=1)
        start = datetime.combine(first, time.min, zone).astimezone(UTC)
        end = datetime.combine(last, time.min, zone).astimezone(UTC)
        return start, end

    def _set_days(self) -> None:
        if self.mode is BoardMode.WEEK:
            monday = self.day - timedelta(days=self.day.weekday())
            self.days = tuple(monday + timedelta(days=i) for i in range(7))
        else:
            self.days = (self.day,)

    async def _read(self) -> None:
        repo = self._ctx.repo
        if not self.loaded:
            self.time_zone = await repo.business_time_zone() or "UTC"
            self.today = local_today(self._ctx.clock(), self.time_zone)
            if not self._day_chosen:
                self.day = self.today
        self._team = await repo.team()
        self._names = member_names(self._team)
        await self._read_period()
        self._unassigned_jobs = await repo.unassigned_jobs()
        # An optimistic move is done once the repository shows it (its own overlay).
        shown = {j.id: j.technician_ids for j in (*self._jobs, *self._unassigned_jobs)}
        self._moved = {k: v for k, v in self._moved.items() if shown.get(k) != v}
        self.loaded = True
        self._build()

    async def _read_period(self) -> None:
        self._set_days()
        start, end = self._period()
        self._jobs = await self._ctx.repo.board_jobs(start, end)

    # ------------------------------------------------------------------ building
    def _job_ids(self, job: OfficeJob) -> tuple[str, ...]:
        return self._moved.get(job.id, job.technician_ids)

    def _build(self) -> None:
        zone = ZoneInfo(self.time_zone)
        lane_people = technicians(self._team)
        known = {m.id for m in lane_people}
        # Someone no longer active (or not on this device) who still holds jobs keeps a
        # lane, so no assigned work disappears from the board.
        extra = sorted(
            {t for job in self._jobs for t in self._job_ids(job)} - known,
            key=lambda t: (self._names.get(t, "~"), t),
        )
        by_lane: dict[str, list[Block]] = {m.id: [] for m in lane_people}
        by_lane.update({t: [] for t in extra})
        spans: dict[str, list[tuple[datetime, datetime, str]]] = {t: [] for t in by_lane}
        earliest, latest = DEFAULT_HOURS[0] * 60, DEFAULT_HOURS[1] * 60
        period_start = self._period()[0]
        for job in self._jobs:
            if job.window_start is None or job.window_end is None:
                continue
            local_start = job.window_start.astimezone(zone)
            local_end = job.window_end.astimezone(zone)
            day = local_start.date()
            if day < self.days[0]:  # began the day before the period: starts at midnight
                day, start_minute = self.days[0], 0
            else:
                start_minute = local_start.hour * 60 + local_start.minute
            if day > self.days[-1]:
                continue
            shown_from = max(job.window_start, period_start)
            minutes = (job.window_end - shown_from) // timedelta(minutes=1)
            end_minute = min(start_minute + max(minutes, 1), DAY_MINUTES)
            earliest = min(earliest, start_minute)
            latest = max(latest, end_minute)
            for technician in self._job_ids(job):
                spans[technician].append((job.window_start, job.window_end, job.id))
                by_lane[technician].append(
                    Block(
                        job_id=job.id,
                        title=job.title,
                        customer_name=job.customer_name or "Customer",
                        place=_place(job),
                        status=job.status,
                        status_text=status_label(job.status),
                        time_text=clock_range(local_start, local_end, self.time_zone),
                        day_index=(day - self.days[0]).days,
                        start_minute=start_minute,
                        end_minute=end_minute,
                        overlaps=False,
                        pending=job.pending or job.id in self._moved,
                        selected=job.id == self.selected_job_id,
                        technician_ids=self._job_ids(job),
                    )
                )
        lanes = []
        for position, technician in enumerate([*(m.id for m in lane_people), *extra]):
            clashes = overlapping_ids(spans[technician])
            blocks = tuple(
                sorted(
                    (replace(b, overlaps=b.job_id in clashes) for b in by_lane[technician]),
                    key=lambda b: (b.day_index, b.start_minute, b.job_id),
                )
            )
            lanes.append(
                Lane(
                    technician_id=technician,
                    name=self._names.get(technician, "Former team member"),
                    shortcut=str(position + 1) if position < 9 else "",
                    blocks=blocks,
                    overlap_count=len(clashes),
                    active=technician in known,
                )
            )
        self.lanes = tuple(lanes)
        self.hours = (earliest // 60, min(-(-latest // 60), 24))
        now = self._ctx.clock()
        self.unassigned = tuple(
            self._unassigned_row(job, now)
            for job in self._unassigned_jobs
            if not self._job_ids(job)
        )
        if self.mode is BoardMode.WEEK:
            self.period_title = (
                f"{day_label(self.days[0], date.min)} – {day_label(self.days[-1], date.min)}"
            )
        else:
            label = day_label(self.day, self.today)
            dated = day_label(self.day, date.min)
            self.period_title = dated if label == dated else f"{label} · {dated}"

    def _unassigned_row(self, job: OfficeJob, now: datetime) -> UnassignedRow:
        if job.window_start is not None and job.window_end is not None:
            day = day_label(job.window_start.astimezone(ZoneInfo(job.time_zone)).date(),
                            local_today(now, job.time_zone))
            when = f"{day}, {clock_range(job.window_start, job.window_end, job.time_zone)}"
            overdue = False
        else:
            due = job.window_confirmation_due_at
            when = f"Confirm a window by {rules.format_local(due, job.time_zone)}"
            # R6: waiting for a window past window_confirmation_due_at (the query only
            # returns open jobs; only PENDING_SCHEDULE ones wait for a window).
            overdue = job.status is JobStatus.PENDING_SCHEDULE and rules.is_overdue(due, now)
        return UnassignedRow(
            job_id=job.id,
            title=job.title,
            customer_name=job.customer_name or "Customer",
            place=_place(job),
            status_text=status_label(job.status),
            when_text=when,
            overdue=overdue,
            pending=job.pending,
            selected=job.id == self.selected_job_id,
        )

    # ------------------------------------------------------------------ navigation
    async def _show(self) -> None:
        self.busy = True
        self._notify()
        try:
            await self._read_period()
            self._build()
        finally:
            self.busy = False
        self._notify()

    async def show_day(self, day: date) -> None:
        """Show ``day`` (in week view: its week)."""
        self.day = day
        self._day_chosen = True
        await self._show()

    async def next_period(self) -> None:
        """The next day (or week)."""
        await self.show_day(self.day + timedelta(days=7 if self.mode is BoardMode.WEEK else 1))

    async def previous_period(self) -> None:
        """The previous day (or week)."""
        await self.show_day(self.day - timedelta(days=7 if self.mode is BoardMode.WEEK else 1))

    async def show_today(self) -> None:
        """Back to today."""
        self.today = local_today(self._ctx.clock(), self.time_zone)
        await self.show_day(self.today)

    async def set_mode(self, mode: BoardMode) -> None:
        """Switch between the day and the week view (keeps the chosen day)."""
        if mode is not self.mode:
            self.mode = mode
            await self._show()

    # ------------------------------------------------------------------ selection
    def _lane_index(self) -> int | None:
        for index, lane in enumerate(self.lanes):
            if any(b.job_id == self.selected_job_id for b in lane.blocks):
                return index
        return None

    def select(self, job_id: str | None) -> None:
        """Select a block or an unassigned job (None clears the selection)."""
        self.selected_job_id = job_id
        self._build()
        self._notify()

    def _step(self, delta: int) -> None:
        lane_index = self._lane_index()
        if lane_index is None:
            first = next((lane for lane in self.lanes if lane.blocks), None)
            if first is not None:
                self.select(first.blocks[0 if delta > 0 else -1].job_id)
            return
        blocks = self.lanes[lane_index].blocks
        index = next(i for i, b in enumerate(blocks) if b.job_id == self.selected_job_id)
        self.select(blocks[max(0, min(index + delta, len(blocks) - 1))].job_id)

    def select_next(self) -> None:
        """The next appointment in the selected block's lane."""
        self._step(1)

    def select_previous(self) -> None:
        """The previous appointment in the selected block's lane."""
        self._step(-1)

    def select_lane(self, delta: int) -> None:
        """The appointment nearest in time in the next lane with appointments
        (``delta`` +1 down, -1 up)."""
        lane_index = self._lane_index()
        if lane_index is None:
            self._step(1)
            return
        current = next(b for b in self.lanes[lane_index].blocks if b.job_id == self.selected_job_id)
        at = current.day_index * DAY_MINUTES + current.start_minute
        index = lane_index + delta
        while 0 <= index < len(self.lanes):
            blocks = self.lanes[index].blocks
            if blocks:
                nearest = min(
                    blocks,
                    key=lambda b: (abs(b.day_index * DAY_MINUTES + b.start_minute - at), b.job_id),
                )
                self.select(nearest.job_id)
                return
            index += delta

    def select_first_unassigned(self) -> None:
        """Select the first job of the unassigned list."""
        if self.unassigned:
            self.select(self.unassigned[0].job_id)

    def open_selected(self) -> None:
        """Open the selected job's detail screen."""
        if self.selected_job_id is not None:
            self._ctx.nav.open(Route("job", {"job_id": self.selected_job_id}))

    # ------------------------------------------------------------------ assigning
    def _current_ids(self, job_id: str) -> tuple[str, ...] | None:
        for job in (*self._jobs, *self._unassigned_jobs):
            if job.id == job_id:
                return self._job_ids(job)
        return None

    async def assign(self, job_id: str, technician_ids: list[str]) -> bool:
        """Assign ``technician_ids`` (replacing the previous assignment) with
        ``job.assign``; the job moves at once and the action syncs when it can.
        Returns False (and says why) if the job cannot be assigned."""
        previous = self._moved.get(job_id)
        try:
            command = JobAssignArgs(job_id=job_id, technician_ids=technician_ids)
        except ValidationError:
            self._ctx.nav.notify("Pick one to five different technicians, then try again.")
            return False
        self._moved[job_id] = tuple(command.technician_ids)
        self._build()
        self._notify()
        try:
            await self._ctx.repo.perform(command)
        except DomainError as exc:
            if previous is None:
                self._moved.pop(job_id, None)
            else:
                self._moved[job_id] = previous
            self._build()
            self._notify()
            self._ctx.nav.notify(exc.message)
            return False
        names = names_text(command.technician_ids, self._names)
        self._ctx.nav.notify(queued_notice(self._ctx.repo, f"Assigned to {names}."))
        return True

    async def move(self, job_id: str, from_technician: str | None, to_technician: str) -> bool:
        """Move a job from one lane to another (drag and drop, or a number key): the
        other technicians assigned to it stay. ``from_technician`` None adds
        ``to_technician`` (an unassigned job, or a second pair of hands)."""
        current = self._current_ids(job_id)
        if current is None:
            self._ctx.nav.notify("That job is not on the board any more. It may have changed.")
            return False
        if to_technician in current:
            self._ctx.nav.notify(f"{self._names.get(to_technician, 'They')} already has it.")
            return False
        if from_technician is None or from_technician not in current:
            wanted = [*current, to_technician]
        else:
            wanted = [to_technician if t == from_technician else t for t in current]
        return await self.assign(job_id, wanted)

    async def assign_selected(self, lane_number: int) -> bool:
        """Give the selected job to the technician of lane ``lane_number`` (1-based):
        moved from its current lane, or assigned if nobody had it."""
        if self.selected_job_id is None:
            self._ctx.nav.notify("Select a job first (arrow keys or U), then press a number.")
            return False
        if not 1 <= lane_number <= len(self.lanes):
            return False
        lane_index = self._lane_index()
        source = self.lanes[lane_index].technician_id if lane_index is not None else None
        target = self.lanes[lane_number - 1].technician_id
        return await self.move(self.selected_job_id, source, target)

    # ------------------------------------------------------------------ keyboard
    async def handle_key(self, key: str) -> bool:
        """Act on a key press (names as Flet's keyboard events give them, e.g.
        "Arrow Right", "J", "1"); True if the key meant something here."""
        name = key.replace(" ", "").casefold()
        moves = {
            "arrowright": self.select_next,
            "l": self.select_next,
            "arrowleft": self.select_previous,
            "h": self.select_previous,
            "u": self.select_first_unassigned,
            "enter": self.open_selected,
        }
        if name in moves:
            moves[name]()
            return True
        if name in ("arrowdown", "j", "arrowup", "k"):
            self.select_lane(1 if name in ("arrowdown", "j") else -1)
            return True
        if name == "escape":
            self.select(None)
            return True
        if name.isdigit() and name != "0":
            await self.assign_selected(int(name))
            return True
        periods = {
            "]": self.next_period,
            "[": self.previous_period,
            "t": self.show_today,
        }
        if name in periods:
            await periods[name]()
            return True
        if name in ("d", "w"):
            await self.set_mode(BoardMode.DAY if name == "d" else BoardMode.WEEK)
            return True
        return False
