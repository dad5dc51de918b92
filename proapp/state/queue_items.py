"""Queued actions as people read them: titles, states and photo upload progress.

Shared by the sync center (every queued action) and the job screen (the job's own
"waiting to sync" card), so both say the same thing about the same action (issue 4:
each photo's upload shows queued, percent and done on the job and in the sync center).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from proapp.state.ports import ScreenContext
from proapp.sync.connectivity import Connectivity
from proapp.sync.outbox import MutationState, OutboxEntry
from proapp.sync.status import BlobProgress, SyncStatus

__all__ = [
    "QueueItem",
    "TitleCache",
    "UploadRow",
    "describe_age",
    "describe_ago",
    "queue_item",
    "queued_for_job",
]

_TEMPLATES: dict[str, str] = {
    "estimate.submit": "Estimate for {request}",
    "estimate.withdraw": "Withdraw an estimate",
    "visit.propose": "On-site visit offer for {request}",
    "window.confirm": "Confirm the arrival window of {job}",
    "window.propose": "Propose another window for {job}",
    "appointment.reschedule": "Reschedule {job}",
    "job.assign": "Assign technicians to {job}",
    "job.start": "Start job {job}",
    "change_order.create": "Change order for {job}",
    "job.complete": "Complete job {job}",
    "job.report_defective": "Could not perform {job} (product defective)",
    "message.send": "Message about {subject}",
    "photo.attach": "Photo for {subject}",
}
"""How each command is named in lists ({request}, {job}: quoted titles)."""


def describe_age(age: timedelta | None) -> str:
    """``"just now"``, ``"5 min"``, ``"2 h 10 min"``, ``"3 days"``."""
    if age is None:
        return "—"
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = hours // 24
    return f"{days} day{'s' if days != 1 else ''}"


def describe_ago(age: timedelta | None) -> str:
    """``"just now"``, ``"5 min ago"``, ``"3 days ago"``."""
    text = describe_age(age)
    return text if text in ("just now", "—") else f"{text} ago"


@dataclass(frozen=True)
class UploadRow:
    """One photo of a queued action on its way up."""

    blob_hash: str
    text: str  # "Queued", "Uploading 40%", "Uploaded"
    fraction: float | None  # None: not started (an indeterminate-free empty bar)
    done: bool


@dataclass(frozen=True)
class QueueItem:
    """One action waiting to reach the server."""

    mid: int
    title: str
    state_text: str
    detail: str
    uploads: tuple[UploadRow, ...] = ()


def queue_item(
    entry: OutboxEntry,
    title: str,
    uploads: Mapping[str, BlobProgress],
    status: SyncStatus,
    now: datetime,
) -> QueueItem:
    """One pending action as the sync center (and a job's "waiting to sync" card)
    shows it: its state in plain words and each photo's upload (``uploads`` from
    `ProRepository.uploads`: queued, percent, done)."""
    rows: list[UploadRow] = []
    for blob in entry.blob_hashes:
        progress = uploads.get(blob)
        if progress is None or progress.sent <= 0:
            rows.append(UploadRow(blob, "Photo queued", None, False))
        elif progress.sent >= progress.size:
            rows.append(UploadRow(blob, "Photo uploaded", 1.0, True))
        else:
            percent = progress.sent * 100 // max(progress.size, 1)
            rows.append(UploadRow(blob, f"Uploading photo {percent}%", progress.fraction, False))
    waiting_for_photos = any(not u.done for u in rows)
    if entry.state is MutationState.IN_FLIGHT:
        state = "Sending…"
    elif status.connectivity is Connectivity.OFFLINE:
        state = "Waiting for a connection"
    elif waiting_for_photos:
        state = "Waiting for photos to upload"
    else:
        state = "Waiting to send"
    detail = f"Saved {describe_ago(now - entry.created_at)}"
    if entry.attempts and entry.last_error:
        detail += f" · tried {entry.attempts}×: {entry.last_error}"
    return QueueItem(entry.mid, title, state, detail, tuple(rows))


async def queued_for_job(ctx: ScreenContext, job_id: str) -> list[QueueItem]:
    """The actions on ``job_id`` still waiting to reach the server, with their photos'
    upload progress (the job screen's "waiting to sync" card)."""
    entries = [
        e for e in await ctx.repo.queue()
        if e.state in (MutationState.PENDING, MutationState.IN_FLIGHT)
        and e.args.get("job_id") == job_id
    ]
    if not entries:
        return []
    uploads = await ctx.repo.uploads(sorted({h for e in entries for h in e.blob_hashes}))
    titles = TitleCache(ctx)
    status = ctx.repo.sync_status()
    return [
        queue_item(e, await titles.describe(e), uploads, status, ctx.clock()) for e in entries
    ]


class TitleCache:
    """Looks up request and job titles once per load."""

    def __init__(self, ctx: ScreenContext) -> None:
        self._ctx = ctx
        self._requests: dict[str, str] = {}
        self._jobs: dict[str, str] = {}

    async def request(self, request_id: str | None) -> str:
        if not request_id:
            return "a request"
        if request_id not in self._requests:
            record = await self._ctx.repo.request(request_id)
            self._requests[request_id] = (
                f"“{record.request.title}”" if record is not None else "a request"
            )
        return self._requests[request_id]

    async def job(self, job_id: str | None) -> str:
        if not job_id:
            return "a job"
        if job_id not in self._jobs:
            record = await self._ctx.repo.job(job_id)
            self._jobs[job_id] = f"“{record.job.title}”" if record is not None else "a job"
        return self._jobs[job_id]

    async def describe(self, entry: OutboxEntry) -> str:
        args = entry.args
        template = _TEMPLATES.get(entry.name)
        if template is None:
            return entry.name.replace(".", " ").replace("_", " ").capitalize()
        request = await self.request(args.get("request_id"))
        job = await self.job(args.get("job_id"))
        subject = job if args.get("job_id") else request
        if entry.name == "photo.attach":
            kind, target = args.get("target_kind"), args.get("target_id")
            kind_text = str(kind).lower() if kind else ""
            if kind_text == "job":
                subject = await self.job(target)
            elif kind_text == "request":
                subject = await self.request(target)
            else:
                subject = f"an {kind_text}" if kind_text.startswith(("a", "e")) else "a record"
        return template.format(request=request, job=job, subject=subject)
