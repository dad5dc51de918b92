"""State of the office messages inbox: every job's and request's thread, the ones
waiting for a pro's answer first, against the 2-business-day expectation (R10).

A thread waits from the first customer message after the pros' last reply; its answer
is due `proapp.domain.rules.message_reply_due_at` (2 business days, in the thread's
job or request time zone) and is overdue after that. Threads are paged: the store
aggregates them (`OfficeRepository.message_threads`), titles only for the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from proapp.domain import rules
from proapp.state.office_common import DEFAULT_PAGE_SIZE, OfficeFollowingState, Paging, waited_text
from proapp.state.office_ports import OfficeContext, ThreadSummary
from proapp.state.ports import Route

__all__ = ["OfficeMessagesState", "ThreadRow"]


@dataclass(frozen=True)
class ThreadRow:
    """One thread of the inbox."""

    parent_id: str
    title: str
    customer_name: str
    kind_text: str
    message_count: int
    last_text: str
    waiting: bool
    waited_text: str  # "Waiting 1 d 4 h" ("" when answered)
    due_text: str  # "Answer by Mon Nov 30, 10:00 AM PST" ("" when answered)
    overdue: bool  # R10: past the 2-business-day expectation
    route: Route

    @property
    def semantics_label(self) -> str:
        """One sentence for screen readers."""
        wait = f" {self.waited_text}. {self.due_text}." if self.waiting else " Answered."
        late = " Overdue." if self.overdue else ""
        return f"{self.kind_text}: {self.title}, {self.customer_name}.{wait}{late}"


def thread_row(thread: ThreadSummary, now: datetime) -> ThreadRow:
    """The row of one thread at ``now``."""
    zone = thread.time_zone or "UTC"
    route = Route("thread", {f"{thread.parent_kind or 'job'}_id": thread.parent_id})
    last = (
        rules.format_local(thread.last_message_at, zone) if thread.last_message_at else ""
    )
    waiting_text, due_text, overdue = "", "", False
    if thread.waiting_since is not None:
        due = rules.message_reply_due_at(thread.waiting_since, zone)  # R10
        waiting_text = f"Waiting {waited_text(thread.waiting_since, now)}"
        due_text = f"Answer by {rules.format_local(due, zone)}"
        overdue = rules.is_overdue(due, now)
    return ThreadRow(
        parent_id=thread.parent_id,
        title=thread.title or "Conversation",
        customer_name=thread.customer_name or "Customer",
        kind_text="Request" if thread.parent_kind == "request" else "Job",
        message_count=thread.message_count,
        last_text=last,
        waiting=thread.waiting_since is not None,
        waited_text=waiting_text,
        due_text=due_text,
        overdue=overdue,
        route=route,
    )


class OfficeMessagesState(OfficeFollowingState):
    """The office inbox. ``waiting_only`` shows only threads that wait for an answer."""

    title = "Messages"

    def __init__(self, ctx: OfficeContext, route: Route, *,
                 page_size: int = DEFAULT_PAGE_SIZE) -> None:
        super().__init__(ctx)
        self.waiting_only = route.params.get("filter") == "waiting"
        self.paging = Paging(0, page_size, 0)
        self.rows: tuple[ThreadRow, ...] = ()
        self.waiting_total = 0
        self.overdue_on_page = 0

    async def _read(self) -> None:
        page = await self._ctx.repo.message_threads(
            waiting_only=self.waiting_only, limit=self.paging.page_size,
            offset=self.paging.start,
        )
        now = self._ctx.clock()
        self.rows = tuple(thread_row(t, now) for t in page.threads)
        self.paging = Paging(self.paging.page, self.paging.page_size, page.total)
        self.waiting_total = page.waiting_total
        self.overdue_on_page = sum(1 for r in self.rows if r.overdue)
        self.loaded = True

    async def set_waiting_only(self, waiting_only: bool) -> None:
        """Show only threads waiting for an answer (or all), from the first page."""
        self.waiting_only = waiting_only
        self.paging = Paging(0, self.paging.page_size, self.paging.total)
        await self._read()
        self._notify()

    async def go_to_page(self, page: int) -> None:
        """Show page ``page`` (0-based, kept within the pages that exist)."""
        self.paging = self.paging.clamped(page)
        await self._read()
        self._notify()

    def open(self, parent_id: str) -> None:
        """Open a thread."""
        row = next((r for r in self.rows if r.parent_id == parent_id), None)
        if row is not None:
            self._ctx.nav.open(row.route)
