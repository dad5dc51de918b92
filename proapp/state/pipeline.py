"""State of the office request pipeline: every open custom request and every order
waiting for a window, with its deadline (R2, R6), in one sortable, filterable table.

Rows:

* an OPEN custom request: "Estimate due" (1 business day, R2) until the business
  answered it (an estimate sent, a visit proposed, a question asked), then "Closes to
  estimates" (3 business days, R2); "Closed to estimates" once that passed;
* a job waiting for a confirmed arrival window (PENDING_SCHEDULE): "Window
  confirmation due" (1 business day from the order, R6). Packaged orders and jobs
  booked from an estimate both need it, so both are listed (``kind_text`` tells them
  apart).

Deadlines come from the server (computed there with `proapp.domain.rules`); whether one
is missed is decided with the same rules. The table is built once per read (hundreds of
rows at most: only open work); sorting, the filter chips, the search box and paging are
then pure in-memory work on precomputed keys, well within the 100 ms budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from proapp.domain import rules
from proapp.domain.enums import JobOrigin, JobStatus, LocationType
from proapp.domain.money import format_cents
from proapp.state.office_common import (
    DEFAULT_PAGE_SIZE,
    OfficeFollowingState,
    Paging,
    member_names,
    names_text,
)
from proapp.state.office_ports import OfficeContext, OfficeJob, OpenRequest
from proapp.state.ports import Route
from proapp.state.schedule import address_text

__all__ = [
    "SHORTCUTS",
    "DeadlineState",
    "PipelineFilter",
    "PipelineRow",
    "PipelineState",
    "SortColumn",
]


class DeadlineState(StrEnum):
    """What the next deadline of a pipeline item is."""

    ESTIMATE_DUE = "estimate_due"
    CLOSES_TO_ESTIMATES = "closes_to_estimates"
    CLOSED_TO_ESTIMATES = "closed_to_estimates"
    WINDOW_CONFIRMATION_DUE = "window_confirmation_due"


DEADLINE_TEXT: dict[DeadlineState, str] = {
    DeadlineState.ESTIMATE_DUE: "Estimate due",
    DeadlineState.CLOSES_TO_ESTIMATES: "Closes to estimates",
    DeadlineState.CLOSED_TO_ESTIMATES: "Closed to estimates",
    DeadlineState.WINDOW_CONFIRMATION_DUE: "Window confirmation due",
}


class PipelineFilter(StrEnum):
    """The filter chips."""

    ALL = "all"
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    ESTIMATE_DUE = "estimate_due"
    WINDOW_CONFIRMATION_DUE = "window_confirmation_due"


FILTER_TEXT: dict[PipelineFilter, str] = {
    PipelineFilter.ALL: "All",
    PipelineFilter.OVERDUE: "Overdue",
    PipelineFilter.DUE_TODAY: "Due today",
    PipelineFilter.ESTIMATE_DUE: "Estimate due",
    PipelineFilter.WINDOW_CONFIRMATION_DUE: "Window confirmation due",
}


class SortColumn(StrEnum):
    """Sortable columns of the table."""

    DUE = "due"
    KIND = "kind"
    TITLE = "title"
    CUSTOMER = "customer"
    STATE = "state"
    OWNER = "owner"
    VALUE = "value"
    RECEIVED = "received"


SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("ArrowDown / J", "Next row (turns the page at the end)"),
    ("ArrowUp / K", "Previous row"),
    ("Enter", "Open the selected request or order"),
    ("PageDown / PageUp", "Next / previous page"),
    ("1–5", "Filter: all, overdue, due today, estimate due, window confirmation due"),
    ("/", "Search (the view focuses the search box)"),
)
"""Key, what it does: for the view's shortcut help."""


@dataclass(frozen=True)
class PipelineRow:
    """One line of the pipeline, ready to show (``overdue`` rows are highlighted)."""

    item_id: str
    kind: str  # "request" or "job"
    kind_text: str
    title: str
    customer: str
    place: str
    deadline: DeadlineState
    deadline_text: str
    due_at: datetime
    due_text: str
    overdue: bool
    due_today: bool
    owner_text: str
    value_cents: int | None
    value_text: str
    received_at: datetime
    received_text: str
    pending: bool
    route: Route
    search_text: str = field(repr=False, compare=False, default="")
    selected: bool = False

    @property
    def semantics_label(self) -> str:
        """One sentence for screen readers."""
        late = " Overdue." if self.overdue else ""
        return (
            f"{self.kind_text}: {self.title}. {self.deadline_text} {self.due_text}.{late} "
            f"{self.owner_text}. {self.value_text}."
        )


def _search_text(*parts: str) -> str:
    return " ".join(p for p in parts if p).casefold()


def _sort_key(row: PipelineRow, column: SortColumn) -> tuple[object, ...]:
    keys: dict[SortColumn, object] = {
        SortColumn.DUE: row.due_at,
        SortColumn.KIND: row.kind_text,
        SortColumn.TITLE: row.title.casefold(),
        SortColumn.CUSTOMER: row.customer.casefold(),
        SortColumn.STATE: (not row.overdue, row.deadline_text),
        SortColumn.OWNER: row.owner_text.casefold(),
        SortColumn.VALUE: -1 if row.value_cents is None else row.value_cents,
        SortColumn.RECEIVED: row.received_at,
    }
    # Ties: soonest deadline, then id, so the order is total and stable across reads.
    return (keys[column], row.due_at, row.item_id)


class PipelineState(OfficeFollowingState):
    """The request pipeline (see the module docstring). ``page_rows`` is what the
    table shows; ``counts`` feeds the filter chips' badges."""

    title = "Pipeline"

    def __init__(self, ctx: OfficeContext, route: Route, *,
                 page_size: int = DEFAULT_PAGE_SIZE) -> None:
        super().__init__(ctx)
        self._route = route
        self.filter = PipelineFilter(route.params.get("filter", PipelineFilter.ALL.value))
        self.sort_column = SortColumn.DUE
        self.sort_ascending = True
        self.query = ""
        self.paging = Paging(0, page_size, 0)
        self.page_rows: tuple[PipelineRow, ...] = ()
        self.counts: dict[PipelineFilter, int] = dict.fromkeys(PipelineFilter, 0)
        self.selected_id: str | None = None
        self._rows: list[PipelineRow] = []
        self._shown: list[PipelineRow] = []

    # ------------------------------------------------------------------ reading
    async def _read(self) -> None:
        repo = self._ctx.repo
        names = member_names(await repo.team())
        requests = await repo.open_requests()
        jobs = await repo.pending_jobs()
        now = self._ctx.clock()
        self._rows = [self._request_row(r, names, now) for r in requests] + [
            self._job_row(j, names, now) for j in jobs
        ]
        self.counts = {
            chip: sum(1 for row in self._rows if self._matches(row, chip))
            for chip in PipelineFilter
        }
        self.loaded = True
        self._apply(keep_page=True)

    def _request_row(self, item: OpenRequest, names: dict[str, str], now: datetime) -> PipelineRow:
        request = item.request
        zone = request.time_zone
        if not rules.is_estimate_window_open(request, now):
            deadline, due = DeadlineState.CLOSED_TO_ESTIMATES, request.closes_at
            overdue = not item.answered  # R2: nobody answered before it closed
        elif not item.answered:
            deadline, due = DeadlineState.ESTIMATE_DUE, request.estimate_due_at
            overdue = rules.is_estimate_overdue(request, now, answered=False)
        else:
            deadline, due, overdue = DeadlineState.CLOSES_TO_ESTIMATES, request.closes_at, False
        place = self._request_place(item)
        owner = names_text(item.technician_ids, names, empty="Not answered")
        value = item.estimate_total_cents
        return PipelineRow(
            item_id=request.id,
            kind="request",
            kind_text="Custom request",
            title=request.title,
            customer=request.customer_name,
            place=place,
            deadline=deadline,
            deadline_text=DEADLINE_TEXT[deadline],
            due_at=due,
            due_text=rules.format_local(due, zone),
            overdue=overdue,
            due_today=self._due_today(due, zone, now, overdue),
            owner_text=owner,
            value_cents=value,
            value_text="No estimate yet" if value is None else format_cents(value),
            received_at=request.submitted_at,
            received_text=rules.format_local(request.submitted_at, zone),
            pending=item.pending,
            route=Route("request", {"request_id": request.id}),
            search_text=_search_text(request.title, request.customer_name,
                                     request.description, place, request.product_info),
        )

    @staticmethod
    def _request_place(item: OpenRequest) -> str:
        request = item.request
        if request.location_type is LocationType.ONLINE:
            return "Online"
        if request.location_type is LocationType.IN_STORE:
            return "In store"
        return address_text(request.address) if request.address else "Address not set"

    def _job_row(self, job: OfficeJob, names: dict[str, str], now: datetime) -> PipelineRow:
        zone = job.time_zone
        due = job.window_confirmation_due_at
        # R6 (rules.is_window_confirmation_overdue): these jobs are all PENDING_SCHEDULE,
        # so the window confirmation is overdue exactly when its deadline passed.
        overdue = job.status is JobStatus.PENDING_SCHEDULE and rules.is_overdue(due, now)
        place = ", ".join(p for p in (job.address_line, job.city, job.postal_code) if p)
        booked = job.origin is JobOrigin.ESTIMATE
        return PipelineRow(
            item_id=job.id,
            kind="job",
            kind_text="Booked estimate" if booked else "Packaged order",
            title=job.title,
            customer=job.customer_name,
            place=place or "No address",
            deadline=DeadlineState.WINDOW_CONFIRMATION_DUE,
            deadline_text=DEADLINE_TEXT[DeadlineState.WINDOW_CONFIRMATION_DUE],
            due_at=due,
            due_text=rules.format_local(due, zone),
            overdue=overdue,
            due_today=self._due_today(due, zone, now, overdue),
            owner_text=names_text(job.technician_ids, names),
            value_cents=job.price_cents,
            value_text=format_cents(job.price_cents),
            received_at=job.ordered_at,
            received_text=rules.format_local(job.ordered_at, zone),
            pending=job.pending,
            route=Route("windows", {"job_id": job.id}),
            search_text=_search_text(job.title, job.customer_name, place, job.scope),
        )

    @staticmethod
    def _due_today(due: datetime, zone: str, now: datetime, overdue: bool) -> bool:
        # Still ahead, and later on today's local date (overdue has its own chip).
        tz = ZoneInfo(zone)
        return not overdue and due >= now and due.astimezone(tz).date() == now.astimezone(tz).date()

    # ------------------------------------------------------------------ the table
    @staticmethod
    def _matches(row: PipelineRow, chip: PipelineFilter) -> bool:
        if chip is PipelineFilter.OVERDUE:
            return row.overdue
        if chip is PipelineFilter.DUE_TODAY:
            return row.due_today
        if chip is PipelineFilter.ESTIMATE_DUE:
            return row.deadline is DeadlineState.ESTIMATE_DUE
        if chip is PipelineFilter.WINDOW_CONFIRMATION_DUE:
            return row.deadline is DeadlineState.WINDOW_CONFIRMATION_DUE
        return True

    def _apply(self, *, keep_page: bool = False) -> None:
        words = self.query.casefold().split()
        shown = [
            row
            for row in self._rows
            if self._matches(row, self.filter) and all(w in row.search_text for w in words)
        ]
        shown.sort(key=lambda r: _sort_key(r, self.sort_column), reverse=not self.sort_ascending)
        self._shown = shown
        page = self.paging.page if keep_page else 0
        self.paging = Paging(0, self.paging.page_size, len(shown)).clamped(page)
        self._page()

    def _page(self) -> None:
        start = self.paging.start
        rows = self._shown[start : start + self.paging.page_size]
        self.page_rows = tuple(
            row if row.item_id != self.selected_id else replace(row, selected=True)
            for row in rows
        )

    @property
    def total(self) -> int:
        """Rows matching the filter and the search (all pages)."""
        return self.paging.total

    def set_filter(self, chip: PipelineFilter) -> None:
        """Show one chip's rows (back to page 1)."""
        self.filter = chip
        self._apply()
        self._notify()

    def set_query(self, text: str) -> None:
        """Search titles, descriptions, customers and addresses (every word must match)."""
        self.query = text
        self._apply()
        self._notify()

    def sort_by(self, column: SortColumn) -> None:
        """Sort by ``column``; the same column again flips the direction."""
        if column is self.sort_column:
            self.sort_ascending = not self.sort_ascending
        else:
            self.sort_column, self.sort_ascending = column, True
        self._apply()
        self._notify()

    def go_to_page(self, page: int) -> None:
        """Show page ``page`` (0-based; kept within the pages that exist)."""
        self.paging = self.paging.clamped(page)
        self._page()
        self._notify()

    def next_page(self) -> None:
        """The next page."""
        self.go_to_page(self.paging.page + 1)

    def previous_page(self) -> None:
        """The previous page."""
        self.go_to_page(self.paging.page - 1)

    # ------------------------------------------------------------------ selection, keys
    def select(self, item_id: str | None) -> None:
        """Highlight a row (keyboard focus)."""
        self.selected_id = item_id
        self._page()
        self._notify()

    def _step(self, delta: int) -> None:
        ids = [r.item_id for r in self.page_rows]
        if not ids:
            return
        if self.selected_id not in ids:
            self.select(ids[0] if delta > 0 else ids[-1])
            return
        index = ids.index(self.selected_id) + delta
        if index >= len(ids) and self.paging.page + 1 < self.paging.page_count:
            self.next_page()
            self.select(self.page_rows[0].item_id)
        elif index < 0 and self.paging.page > 0:
            self.previous_page()
            self.select(self.page_rows[-1].item_id)
        else:
            self.select(ids[max(0, min(index, len(ids) - 1))])

    def open(self, item_id: str | None = None) -> None:
        """Open a row (the selected one by default): a request's detail, or a job's
        window confirmation screen."""
        wanted = item_id or self.selected_id
        row = next((r for r in self._shown if r.item_id == wanted), None)
        if row is not None:
            self._ctx.nav.open(row.route)

    def handle_key(self, key: str) -> bool:
        """Arrow keys / J K move the selection (across pages), Enter opens it, PageDown
        / PageUp turn pages, 1-5 pick a filter chip. True if the key was used. (The view
        focuses the search box on "/".)"""
        name = key.replace(" ", "").casefold()
        chips = list(PipelineFilter)
        if name in ("arrowdown", "j"):
            self._step(1)
        elif name in ("arrowup", "k"):
            self._step(-1)
        elif name == "enter":
            self.open()
        elif name == "pagedown":
            self.next_page()
        elif name == "pageup":
            self.previous_page()
        elif name.isdigit() and 1 <= int(name) <= len(chips):
            self.set_filter(chips[int(name) - 1])
        else:
            return False
        return True
