"""Messages tab state (R10): one row per job or request thread, unanswered first.

Customers and pros talk only through the marketplace; pros answer within 2 business
days (`proapp.domain.rules.message_reply_due_at`, counted in the job's or request's
time zone). A thread is unanswered while its newest message is the customer's; the
clock starts at the first customer message after the pro's last reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from proapp.domain.enums import MessageAuthorRole
from proapp.domain.models import CustomRequest, Job, Message
from proapp.domain.rules import format_local, message_reply_due_at
from proapp.state.observable import Observable
from proapp.state.ports import ProRepository, Route, ScreenContext
from proapp.state.screen_support import RepoWatcher

__all__ = [
    "FALLBACK_TIME_ZONE",
    "MessagesState",
    "ReplyStatus",
    "ThreadRow",
    "format_age",
    "reply_status",
]

FALLBACK_TIME_ZONE = "America/New_York"
"""Used only for a thread whose job or request is not on this device (rare)."""

PREVIEW_CHARS = 90

ONE_BY_ONE_MAX = 40
"""Up to this many threads' jobs (or requests) are read one by one, not as a list."""


def format_age(age: timedelta) -> str:
    """A waiting time in rough words: ``just now``, ``12 min``, ``3 h``, ``2 days``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


@dataclass(frozen=True)
class ReplyStatus:
    """Where a thread stands against the 2-business-day reply expectation (R10)."""

    unanswered: bool
    waiting_since: datetime | None
    due_at: datetime | None
    overdue: bool
    text: str  # "Unanswered 3 h · reply by Mon Nov 30, 10:00 AM PST"


def reply_status(messages: Sequence[Message], time_zone: str, now: datetime) -> ReplyStatus:
    """R10 for one thread (messages in any order)."""
    ordered = sorted(messages, key=lambda m: (m.sent_at, m.id))
    waiting: Message | None = None
    for message in ordered:
        if message.author_role is MessageAuthorRole.CUSTOMER:
            waiting = waiting or message
        elif message.author_role is MessageAuthorRole.PRO:
            waiting = None  # the pro's reply answers everything before it
        # Support notes neither start nor stop the pro's clock.
    if waiting is None:
        return ReplyStatus(False, None, None, False, "Answered")
    due = message_reply_due_at(waiting.sent_at, time_zone)
    overdue = now > due
    age = format_age(now - waiting.sent_at)
    if overdue:
        text = f"Overdue: unanswered {age}; reply was due {format_local(due, time_zone)}"
    else:
        text = f"Unanswered {age} · reply by {format_local(due, time_zone)}"
    return ReplyStatus(True, waiting.sent_at, due, overdue, text)


@dataclass(frozen=True)
class ThreadRow:
    """One conversation in the list."""

    thread_id: str  # the job id or request id
    kind: str  # "job" | "request"
    title: str
    customer: str
    preview: str  # "Customer: Can you come earlier?"
    time_text: str
    status: ReplyStatus
    route: Route
    latest_at: datetime

    @property
    def label(self) -> str:
        """One sentence for screen readers."""
        return f"{self.title}. {self.status.text}. Latest: {self.preview}. {self.time_text}"


class MessagesState(Observable):
    """State of the ``messages`` tab: ``rows`` in display order, or ``empty``."""

    def __init__(self, ctx: ScreenContext, route: Route) -> None:  # noqa: ARG002 - tab
        super().__init__()
        self._ctx = ctx
        self.loading = True
        self.rows: tuple[ThreadRow, ...] = ()
        self._watcher = RepoWatcher(self.load)

    title = "Messages"

    @property
    def empty(self) -> bool:
        """Loaded, and no conversation yet."""
        return not self.loading and not self.rows

    empty_message = (
        "No messages yet. Customers' questions about your jobs and requests show up here."
    )

    async def load(self) -> None:
        """Read every cached message and group it into threads."""
        self._watcher.watch(self._ctx.repo)
        repo = self._ctx.repo
        messages = await repo.messages()
        now = self._ctx.clock()
        threads: dict[tuple[str, str], list[Message]] = {}
        for message in messages:
            if message.job_id is not None:
                key = ("job", message.job_id)
            elif message.request_id is not None:
                key = ("request", message.request_id)
            else:  # pragma: no cover - the model requires exactly one
                continue
            threads.setdefault(key, []).append(message)
        jobs = await _jobs_by_id(repo, {tid for kind, tid in threads if kind == "job"})
        requests = await _requests_by_id(repo, {tid for kind, tid in threads if kind == "request"})
        rows = []
        me = repo.user.id
        for (kind, thread_id), items in threads.items():
            items.sort(key=lambda m: (m.sent_at, m.id))
            latest = items[-1]
            if kind == "job":
                job = jobs.get(thread_id)
                title = job.title if job else "Job"
                customer = job.customer_name if job else ""
                tz = job.time_zone if job else FALLBACK_TIME_ZONE
            else:
                request = requests.get(thread_id)
                title = request.title if request else "Request"
                customer = ""
                tz = request.time_zone if request else FALLBACK_TIME_ZONE
            rows.append(
                ThreadRow(
                    thread_id=thread_id,
                    kind=kind,
                    title=title,
                    customer=customer,
                    preview=_preview(latest, me),
                    time_text=format_local(latest.sent_at, tz),
                    status=reply_status(items, tz, now),
                    route=Route("thread", {f"{kind}_id": thread_id}),
                    latest_at=latest.sent_at,
                )
            )
        rows.sort(key=_sort_key)
        self.rows = tuple(rows)
        self.loading = False
        self._notify()

    def open(self, row: ThreadRow) -> None:
        """Show the conversation."""
        self._ctx.nav.open(row.route)

    def dispose(self) -> None:
        """Stop listening to the repository."""
        self._watcher.stop()


async def _jobs_by_id(repo: ProRepository, ids: set[str]) -> dict[str, Job]:
    """The jobs of the threads: one by one for a few (a phone holds thousands of jobs
    but talks about a handful), the whole list when that is cheaper."""
    if len(ids) > ONE_BY_ONE_MAX:
        return {r.job.id: r.job for r in await repo.jobs() if r.job.id in ids}
    found = {}
    for job_id in ids:
        record = await repo.job(job_id)
        if record is not None:
            found[job_id] = record.job
    return found


async def _requests_by_id(repo: ProRepository, ids: set[str]) -> dict[str, CustomRequest]:
    """The requests of the threads (like `_jobs_by_id`)."""
    if len(ids) > ONE_BY_ONE_MAX:
        return {r.request.id: r.request for r in await repo.requests() if r.request.id in ids}
    found = {}
    for request_id in ids:
        record = await repo.request(request_id)
        if record is not None:
            found[request_id] = record.request
    return found


def _preview(message: Message, me: str) -> str:
    if message.author_role is MessageAuthorRole.CUSTOMER:
        who = "Customer"
    elif message.author_role is MessageAuthorRole.SUPPORT:
        who = "Support"
    else:
        who = "You" if message.author_id == me else "Your team"
    body = " ".join(message.body.split())
    if len(body) > PREVIEW_CHARS:
        body = body[: PREVIEW_CHARS - 1].rstrip() + "…"
    return f"{who}: {body}"


def _sort_key(row: ThreadRow) -> tuple[int, float, float, str]:
    # Overdue first, then unanswered by due time (the longest wait first when due at the
    # same moment), then answered threads newest first.
    status = row.status
    if status.unanswered and status.due_at is not None and status.waiting_since is not None:
        return (
            0 if status.overdue else 1,
            status.due_at.timestamp(),
            status.waiting_since.timestamp(),
            row.thread_id,
        )
    return (2, -row.latest_at.timestamp(), 0.0, row.thread_id)
