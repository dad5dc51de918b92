"""State of the inbox tab: what waits for the pro, most urgent first.

Two kinds of items need an answer from the business (DESIGN.md section 2):

* new custom requests, with live countdowns to "estimate due" (1 business day) and
  "closes to estimates" (3 business days) (R2);
* orders (packaged purchases and booked estimates) still waiting for the pro to confirm
  an arrival window, with its deadline (R6).

Overdue items come first, then the soonest deadline. Requests the business already
answered (an estimate went out) or that no longer take estimates are listed after them,
marked as such. Everything is read from the device (`ProRepository`), re-read when the
repository reports a change, and the countdowns tick every `InboxState.TICK_SECONDS`
while the screen exists.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from proapp.domain.enums import (
    EstimateStatus,
    JobOrigin,
    JobStatus,
    LocationType,
    RequestStatus,
    VisitStatus,
)
from proapp.domain.models import CustomRequest
from proapp.domain.money import format_cents
from proapp.domain.rules import format_local, is_estimate_window_open
from proapp.state.formatting import job_place
from proapp.state.observable import Observable
from proapp.state.ports import JobRecord, RequestRecord, Route, ScreenContext
from proapp.state.screen_support import RepoWatcher, Ticker, format_countdown

__all__ = [
    "ANSWERED_ESTIMATE_STATUSES",
    "Empty",
    "Failed",
    "InboxRow",
    "InboxState",
    "InboxViewState",
    "Loading",
    "OrderRow",
    "PAGE_SIZE",
    "Cut",
    "InboxIndex",
    "Ready",
    "RequestRow",
    "inbox_rows",
    "is_answered",
    "request_place",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 30
"""Rows formatted and built at a time: a phone shows about five, so the first page
covers several screens of scrolling; the next page comes before the pro reaches the end."""

ANSWERED_ESTIMATE_STATUSES = frozenset(
    {
        EstimateStatus.SUBMITTED,
        EstimateStatus.ACCEPTED,
        EstimateStatus.DECLINED,
        EstimateStatus.EXPIRED,
    }
)
"""An estimate in one of these states answered the request (R2); a withdrawn one did not."""


@dataclass(frozen=True)
class RequestRow:
    """A custom request in the inbox, ready to show."""

    request_id: str
    title: str
    place: str
    status_text: str  # "New", "Estimate overdue", "Estimate sent", "Closed to estimates"
    due_text: str  # "Estimate due in 5 h 20 min" / "Estimate overdue by 2 h" / "Estimate sent"
    closes_text: str  # "Closes to estimates in 2 d 4 h" / "Closed to estimates Mon Nov 30, ..."
    note: str  # "Visit proposed, waiting for the customer" or ""
    overdue: bool
    answered: bool
    closed: bool
    pending: bool  # the pro's changes to it have not reached the server yet

    @property
    def label(self) -> str:
        """One sentence for screen readers."""
        parts = [f"Request: {self.title}", self.status_text, self.due_text, self.closes_text]
        parts += [self.place, self.note, "Not synced yet" if self.pending else ""]
        return ". ".join(part for part in parts if part)


@dataclass(frozen=True)
class OrderRow:
    """An order waiting for the pro to confirm an arrival window (R6)."""

    job_id: str
    title: str
    kind_text: str  # "Packaged order" / "Booked estimate"
    place: str
    price_text: str
    due_text: str  # "Confirm a window in 5 h" / "Window confirmation overdue by 2 h"
    deadline_text: str  # "By Fri Nov 27, 10:00 AM PST"
    windows_text: str  # "Customer offered 3 windows"
    overdue: bool
    pending: bool

    @property
    def label(self) -> str:
        """One sentence for screen readers."""
        parts = [f"{self.kind_text}: {self.title}", self.due_text, self.deadline_text]
        parts += [self.windows_text, self.place, self.price_text]
        parts.append("Not synced yet" if self.pending else "")
        return ". ".join(part for part in parts if part)


InboxRow = RequestRow | OrderRow


@dataclass(frozen=True)
class Loading:
    """Reading the device's data."""


@dataclass(frozen=True)
class Ready:
    """``rows`` need the pro (overdue first, then soonest deadline); ``answered`` are
    requests already answered or closed to estimates (newest first).

    Only the first rows are here (`InboxState.limit` of them, both lists together): the
    screen shows more as the pro scrolls (`InboxState.show_more`). The counts are of
    everything.
    """

    rows: tuple[InboxRow, ...]
    answered: tuple[RequestRow, ...]
    waiting_count: int  # everything that needs the pro, shown or not
    overdue_count: int
    answered_count: int

    @property
    def hidden_count(self) -> int:
        """How many rows are not in ``rows`` or ``answered`` yet (shown on scrolling)."""
        shown = len(self.rows) + len(self.answered)
        return self.waiting_count + self.answered_count - shown


@dataclass(frozen=True)
class Empty:
    """Nothing in the inbox."""

    message: str = (
        "Nothing waiting for you. New customer requests and orders that need an "
        "arrival window show up here."
    )


@dataclass(frozen=True)
class Failed:
    """The device's data could not be read."""

    message: str


InboxViewState = Loading | Ready | Empty | Failed


def is_answered(record: RequestRecord) -> bool:
    """R2: the business answered the request with an estimate (a withdrawn one does not
    count; a visit proposal is not an answer either, the estimate still follows, R4)."""
    return any(e.status in ANSWERED_ESTIMATE_STATUSES for e in record.estimates)


def request_place(request: CustomRequest) -> str:
    """Where the work is (R12): the city for in-home work, else "In store" / "Online"."""
    if request.location_type is LocationType.IN_STORE:
        return "In store"
    if request.location_type is LocationType.ONLINE:
        return "Online"
    if request.address is not None:
        return f"In home · {request.address.city}, {request.address.state}"
    return "In home · address not set"


def _visit_note(record: RequestRecord) -> str:
    statuses = {visit.status for visit in record.visits}
    if VisitStatus.SCHEDULED in statuses:
        return "Visit scheduled"
    if VisitStatus.ACCEPTED in statuses:
        return "Visit accepted by the customer"
    if VisitStatus.PROPOSED in statuses:
        return "Visit proposed, waiting for the customer"
    return ""


def _request_row(record: RequestRecord, now: datetime) -> RequestRow:
    request = record.request
    answered = is_answered(record)
    is_open = is_estimate_window_open(request, now)
    overdue = is_open and not answered and now > request.estimate_due_at
    if answered:
        status_text = "Estimate sent"
        due_text = "Estimate sent"
    elif not is_open:
        status_text = "Closed to estimates"
        due_text = "No estimate was sent"
    elif overdue:
        status_text = "Estimate overdue"
        due_text = f"Estimate {format_countdown(request.estimate_due_at, now)}"
    else:
        status_text = "New"
        due_text = f"Estimate due {format_countdown(request.estimate_due_at, now)}"
    if is_open:
        closes_text = f"Closes to estimates {format_countdown(request.closes_at, now)}"
    else:
        closes_text = f"Closed to estimates {format_local(request.closes_at, request.time_zone)}"
    return RequestRow(
        request_id=request.id,
        title=request.title,
        place=request_place(request),
        status_text=status_text,
        due_text=due_text,
        closes_text=closes_text,
        note=_visit_note(record),
        overdue=overdue,
        answered=answered,
        closed=not is_open,
        pending=record.pending,
    )


def _order_row(record: JobRecord, now: datetime) -> OrderRow:
    job = record.job
    due = job.window_confirmation_due_at
    overdue = now > due
    countdown = format_countdown(due, now)
    due_text = f"Window confirmation {countdown}" if overdue else f"Confirm a window {countdown}"
    count = len(job.preferred_windows)
    if count == 0:
        windows_text = "Customer has not picked windows yet"
    else:
        windows_text = f"Customer offered {count} window{'s' if count != 1 else ''}"
    return OrderRow(
        job_id=job.id,
        title=job.title,
        kind_text="Packaged order" if job.origin is JobOrigin.PACKAGED else "Booked estimate",
        place=job_place(job),
        price_text=format_cents(job.price_cents),
        due_text=due_text,
        deadline_text=f"By {format_local(due, job.time_zone)}",
        windows_text=windows_text,
        overdue=overdue,
        pending=record.pending,
    )


_Waiting = tuple[datetime, str, str, "RequestRecord | JobRecord"]
"""An item that needs the pro, before it is formatted: (deadline, casefolded title, id,
record), so sorting the tuples is the display order."""

_Answered = tuple[datetime, str, RequestRecord, bool]
"""An OPEN request: (submitted_at, id, record, answered). Unanswered ones are listed
here once they close to estimates; ``answered`` does not depend on the time."""


class InboxIndex:
    """The inbox's items sorted once per repository read; cheap to re-cut at any time.

    Needing the pro: open unanswered requests (deadline ``estimate_due_at``, R2) and
    orders waiting for a window (deadline ``window_confirmation_due_at``, R6), overdue
    first, then soonest deadline, then title and id so the order never flickers. An item
    is overdue exactly when its deadline has passed, so "overdue first, then soonest"
    is simply "soonest deadline first": the order does not depend on the time and is
    sorted once here; a tick only re-checks which requests closed to estimates (R2).
    Requests that are no longer OPEN (booked or closed on the server) are left out.
    Only the rows a screen shows are formatted (`Cut.rows`), so a tick or a re-read
    costs the same with 10 or 10,000 items.
    """

    def __init__(self, requests: Sequence[RequestRecord], jobs: Sequence[JobRecord]) -> None:
        waiting: list[_Waiting] = []
        answered: list[_Answered] = []
        for record in requests:
            request = record.request
            if request.status is not RequestStatus.OPEN:
                continue
            done = is_answered(record)
            answered.append((request.submitted_at, request.id, record, done))
            if not done:
                waiting.append(
                    (request.estimate_due_at, request.title.casefold(), request.id, record)
                )
        # Every job on the phone passes here: plain attribute tests, nothing built for
        # the ones that do not wait for a window (PENDING_SCHEDULE, no appointment: R6).
        pending = JobStatus.PENDING_SCHEDULE
        waiting += [
            (r.job.window_confirmation_due_at, r.job.title.casefold(), r.job.id, r)
            for r in jobs
            if r.job.status is pending and r.job.appointment is None
        ]
        waiting.sort(key=_waiting_key)
        answered.sort(key=_answered_key, reverse=True)
        self._waiting = waiting
        self._answered = answered

    def cut(self, now: datetime) -> Cut:
        """Which items need the pro and which are answered or closed, at ``now``."""
        # A request closes to estimates at ``closes_at`` (R2): then it moves from the
        # list that needs the pro to the answered-or-closed list.
        waiting = [
            item
            for item in self._waiting
            if not isinstance(item[3], RequestRecord)
            or is_estimate_window_open(item[3].request, now)
        ]
        answered = [
            record
            for _, _, record, done in self._answered
            if done or not is_estimate_window_open(record.request, now)
        ]
        # Sorted by deadline: the overdue ones (deadline strictly before now) lead.
        overdue = bisect_left(waiting, now, key=_due)
        return Cut(waiting, answered, overdue, now)


def _waiting_key(item: _Waiting) -> tuple[datetime, str, str]:
    return item[0], item[1], item[2]


def _answered_key(item: _Answered) -> tuple[datetime, str]:
    return item[0], item[1]


def _due(item: _Waiting) -> datetime:
    return item[0]


class Cut:
    """`InboxIndex` at one moment: counts of everything, rows made on demand."""

    def __init__(
        self,
        waiting: list[_Waiting],
        answered: list[RequestRecord],
        overdue_count: int,
        now: datetime,
    ) -> None:
        self._waiting = waiting
        self._answered = answered
        self.overdue_count = overdue_count
        self._now = now

    @property
    def waiting_count(self) -> int:
        """How many items need the pro."""
        return len(self._waiting)

    @property
    def answered_count(self) -> int:
        """How many requests are answered or closed to estimates."""
        return len(self._answered)

    def rows(self, limit: int | None = None) -> tuple[tuple[InboxRow, ...], tuple[RequestRow, ...]]:
        """The first ``limit`` rows (all with None) in display order, formatted: those
        that need the pro, then the answered or closed ones."""
        now = self._now
        waiting = self._waiting if limit is None else self._waiting[:limit]
        rows: list[InboxRow] = [
            _request_row(record, now)
            if isinstance(record, RequestRecord)
            else _order_row(record, now)
            for _, _, _, record in waiting
        ]
        rest = None if limit is None else max(0, limit - len(rows))
        answered = self._answered if rest is None else self._answered[:rest]
        return tuple(rows), tuple(_request_row(record, now) for record in answered)


def inbox_rows(
    requests: Sequence[RequestRecord], jobs: Sequence[JobRecord], now: datetime
) -> tuple[tuple[InboxRow, ...], tuple[RequestRow, ...]]:
    """(rows that need the pro, answered or closed requests), both in display order and
    all of them (see `InboxIndex`; the screen formats only the rows it shows)."""
    return InboxIndex(requests, jobs).cut(now).rows()


class InboxState(Observable):
    """The inbox tab. `load` reads the device; `view` is what to show.

    Countdowns stay live: every `TICK_SECONDS` the shown rows are rebuilt from the
    records already read (no repository call) and listeners hear about it only if a text
    changed. `dispose` stops the ticker and the repository subscription.

    The view holds the first `limit` rows (`PAGE_SIZE` at first): a phone shows five
    or so, and building a row costs more than everything else on the screen together,
    so a thousand requests must not mean a thousand rows built. `show_more` (the pro
    scrolled near the end, or tapped "Show more") adds a page.
    """

    TICK_SECONDS: float = 30.0

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        self.route = route
        self.title = "Inbox"
        self.view: InboxViewState = Loading()
        self.limit = PAGE_SIZE
        self._index = InboxIndex((), ())
        self._watcher = RepoWatcher(self._read)
        self._ticker = Ticker(self._watcher.tasks, self.TICK_SECONDS, self.tick)
        self._disposed = False

    @property
    def ticking(self) -> bool:
        """True while the countdowns refresh themselves."""
        return self._ticker.active

    async def load(self) -> None:
        """Read requests and jobs, then keep the screen current (repository changes and
        the countdown ticker) until `dispose`."""
        if self._disposed:
            return
        self._watcher.watch(self._ctx.repo)
        await self._read()
        if not self._disposed:
            self._ticker.start()

    async def _read(self) -> None:
        try:
            requests = await self._ctx.repo.requests()
            jobs = await self._ctx.repo.jobs()
        except Exception:
            logger.exception("inbox: reading the local store failed")
            if not self._disposed:
                self.view = Failed(
                    "The inbox could not be read from this phone's storage. "
                    "Close and reopen the app; if it keeps happening, contact support."
                )
                self._notify()
            return
        if self._disposed:
            return
        # Keep only what the inbox lists (not every job of the business): memory stays
        # flat however many scheduled jobs the phone holds.
        self._index = InboxIndex(requests, jobs)
        self._rebuild(force=True)

    def tick(self) -> None:
        """Recompute the countdowns with the current time (the ticker calls this)."""
        if not self._disposed and not isinstance(self.view, Loading | Failed):
            self._rebuild(force=False)

    def show_more(self) -> bool:
        """Show another `PAGE_SIZE` rows; False (and nothing changes) when every row is
        shown already."""
        view = self.view
        if self._disposed or not isinstance(view, Ready) or view.hidden_count <= 0:
            return False
        self.limit += PAGE_SIZE
        self._rebuild(force=True)
        return True

    def _rebuild(self, *, force: bool) -> None:
        cut = self._index.cut(self._ctx.clock())
        rows, answered = cut.rows(self.limit)
        new: InboxViewState = (
            Ready(rows, answered, cut.waiting_count, cut.overdue_count, cut.answered_count)
            if rows or answered
            else Empty()
        )
        if force or new != self.view:
            self.view = new
            self._notify()

    def open_request(self, request_id: str) -> None:
        """Show a request's details."""
        self._ctx.nav.open(Route("request", {"request_id": request_id}))

    def open_order(self, job_id: str) -> None:
        """Show an order's arrival windows, to confirm one or propose another (R6)."""
        self._ctx.nav.open(Route("windows", {"job_id": job_id}))

    def refresh(self) -> None:
        """Ask the sync engine for news (pull-to-refresh); the screen re-reads on change."""
        self._ctx.repo.sync_now()

    def dispose(self) -> None:
        """Stop ticking and listening (the screen is gone)."""
        self._disposed = True
        self._ticker.stop()
        self._watcher.stop()
