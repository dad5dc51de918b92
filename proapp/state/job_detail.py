"""State of the job detail screen: what the job is, and what the pro can do next.

The actions offered follow the job's status through the shared state machine
(`proapp.domain.states`), so the phone never offers what the server would refuse:
confirm or propose a window (R6), reschedule with a reason (R7), start, change order
(R8, only while in progress), complete (R9), and "could not perform: product
defective" which ends the job with no trip charge (R5). A cancelled job shows a banner
and no actions. Every action is one local command (`ProRepository.perform`); the
screen never waits on the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import JobReportDefectiveArgs, JobStartArgs
from proapp.domain.enums import ChangeOrderStatus, JobStatus, LineItemKind
from proapp.domain.errors import DomainError
from proapp.domain.models import MAX_PHOTOS, ChangeOrder, Job
from proapp.domain.money import format_cents
from proapp.domain.rules import format_local, is_window_confirmation_overdue
from proapp.domain.states import EntityKind, can_transition
from proapp.state.formatting import format_window, status_label
from proapp.state.ports import JobRecord, PhotoRecord, Route, ScreenContext
from proapp.state.schedule import (
    CANCELLED_TEXT,
    RepoFollowingState,
    job_address_text,
    maps_url,
    parts_to_bring,
    queued_notice,
)
from proapp.state.screen_support import read_photo_bytes

__all__ = [
    "DEFECTIVE_EXPLANATION",
    "ChangeOrderRow",
    "JobAction",
    "JobDetailState",
    "JobLoading",
    "JobMissing",
    "JobReady",
    "LineRow",
    "PhotoRow",
    "defective_draft_key",
]

DEFECTIVE_EXPLANATION = (
    "Use this when the product itself is defective and you cannot do the work. The job "
    "ends as not serviced and the customer is not billed a trip charge (R5)."
)

_KIND_LABELS = {LineItemKind.LABOR: "Labor", LineItemKind.PART: "Part", LineItemKind.FEE: "Fee"}


class JobAction(StrEnum):
    """What the pro can do on the job (each has a button ``job-<value>``)."""

    WINDOWS = "windows"
    RESCHEDULE = "reschedule"
    START = "start"
    CHANGE_ORDER = "change-order"
    COMPLETE = "complete"
    MESSAGES = "messages"
    DEFECTIVE = "defective"


@dataclass(frozen=True)
class LineRow:
    """One priced line of the job."""

    id: str
    kind_text: str
    description: str
    quantity_text: str  # "2 × $12.50"
    total_text: str


@dataclass(frozen=True)
class ChangeOrderRow:
    """A signed (or voided) change order (R8)."""

    id: str
    reason: str
    delta_text: str  # "+$45.00" / "-$20.00"
    totals_text: str  # "$149.00 → $194.00"
    status_text: str
    when_text: str


@dataclass(frozen=True)
class PhotoRow:
    """A photo of the job; ``data`` None while it is not on this device yet."""

    blob_hash: str
    data: bytes | None = field(repr=False)
    caption: str
    pending: bool


@dataclass(frozen=True)
class JobLoading:
    """Reading the job from the device."""


@dataclass(frozen=True)
class JobMissing:
    """This device does not have the job (any more)."""

    message: str = (
        "This job is not on this phone. It may have been reassigned; go back and pull to refresh."
    )


@dataclass(frozen=True)
class JobReady:
    """Everything the detail screen shows, already formatted."""

    job_id: str
    title: str
    status: JobStatus
    status_text: str
    cancelled: bool
    cancelled_text: str
    pending: bool
    scope: str
    whats_included: tuple[str, ...]
    lines: tuple[LineRow, ...]
    total_text: str
    parts: tuple[str, ...]
    customer_name: str
    phone_text: str
    phone_url: str | None
    address_text: str
    maps_url: str | None
    window_text: str
    window_overdue: bool
    actions: tuple[JobAction, ...]
    change_orders: tuple[ChangeOrderRow, ...]
    photos: tuple[PhotoRow, ...] = field(default_factory=tuple)


JobView = JobLoading | JobMissing | JobReady


def defective_draft_key(job_id: str) -> str:
    """Draft key of the "product defective" report (kept if the pro steps away)."""
    return f"job-defective:{job_id}"


def _actions(job: Job) -> tuple[JobAction, ...]:
    if job.status is JobStatus.CANCELLED:
        # A cancelled job takes no more work (R7); its thread stays in the Messages tab.
        return ()
    status = job.status.value
    actions: list[JobAction] = []
    if job.status is JobStatus.PENDING_SCHEDULE:
        actions.append(JobAction.WINDOWS)
    if job.status is JobStatus.SCHEDULED and job.appointment is not None:
        actions.append(JobAction.RESCHEDULE)
    if can_transition(EntityKind.JOB, status, JobStatus.IN_PROGRESS):
        actions.append(JobAction.START)
    if job.status is JobStatus.IN_PROGRESS:
        # The server takes change orders only while the job is in progress (R8).
        actions.append(JobAction.CHANGE_ORDER)
    if can_transition(EntityKind.JOB, status, JobStatus.COMPLETED):
        actions.append(JobAction.COMPLETE)
    actions.append(JobAction.MESSAGES)
    if can_transition(EntityKind.JOB, status, JobStatus.NOT_SERVICED):
        actions.append(JobAction.DEFECTIVE)
    return tuple(actions)


def _line_rows(job: Job) -> tuple[LineRow, ...]:
    return tuple(
        LineRow(
            id=line.id,
            kind_text=_KIND_LABELS.get(line.kind, line.kind.value.title()),
            description=line.description,
            quantity_text=f"{line.quantity} × {format_cents(line.unit_price_cents)}",
            total_text=format_cents(line.total_cents),
        )
        for line in job.line_items
    )


def _change_order_row(order: ChangeOrder, time_zone: str) -> ChangeOrderRow:
    delta = order.delta_cents
    sign = "+" if delta >= 0 else "-"
    return ChangeOrderRow(
        id=order.id,
        reason=order.reason,
        delta_text=f"{sign}{format_cents(abs(delta))}",
        totals_text=(
            f"{format_cents(order.original_total_cents)} → {format_cents(order.new_total_cents)}"
        ),
        status_text="Void" if order.status is ChangeOrderStatus.VOID else "Signed by customer",
        when_text=format_local(order.created_at, time_zone) if order.created_at else "",
    )


class JobDetailState(RepoFollowingState):
    """The job screen (``Route("job", {"job_id"})``).

    ``view`` is a closed set: `JobLoading`, `JobMissing` or `JobReady`. The "could not
    perform" dialog's inputs live here too (``defective_*``), so a refusal never loses
    the note or the photos.
    """

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx.repo)
        self._ctx = ctx
        self.job_id = route.param("job_id")
        self.view: JobView = JobLoading()
        self.title = "Job"
        self.busy = False
        self.error: str | None = None
        # "Could not perform - product defective" dialog (R5).
        self.defective_open = False
        self.defective_note = ""
        self.defective_photos: list[str] = []
        self.defective_thumbs: dict[str, bytes | None] = {}
        self.defective_error: str | None = None
        self.defective_busy = False
        self._record: JobRecord | None = None

    # ------------------------------------------------------------------ reading
    async def _read(self) -> None:
        record = await self._ctx.repo.job(self.job_id)
        self._record = record
        if record is None:
            self.view = JobMissing()
            return
        photos = tuple([await self._photo_row(photo) for photo in record.photos])
        self.view = self._ready(record, photos)
        self.title = record.job.title
        if record.job.status is JobStatus.CANCELLED:
            self.defective_open = False

    async def _photo_row(self, photo: PhotoRecord) -> PhotoRow:
        data = await read_photo_bytes(self._ctx.repo, photo.blob_hash)
        return PhotoRow(photo.blob_hash, data, photo.caption, photo.pending)

    def _ready(self, record: JobRecord, photos: tuple[PhotoRow, ...]) -> JobReady:
        job = record.job
        now = self._ctx.clock()
        cancelled = job.status is JobStatus.CANCELLED
        if cancelled:
            window_text = "No appointment: the customer cancelled."
            overdue = False
        elif job.appointment is not None and job.status is not JobStatus.PENDING_SCHEDULE:
            window_text = format_window(job.appointment.window, job.time_zone, now)
            overdue = False
        else:
            overdue = is_window_confirmation_overdue(job, now)
            due = format_local(job.window_confirmation_due_at, job.time_zone)
            window_text = (
                f"No window yet. Confirmation was due {due}"
                if overdue
                else f"No window yet. Confirm one by {due}"
            )
        phone = job.customer_phone
        return JobReady(
            job_id=job.id,
            title=job.title,
            status=job.status,
            status_text=CANCELLED_TEXT if cancelled else status_label(job.status),
            cancelled=cancelled,
            cancelled_text=(
                "The customer cancelled this job. Do not go; nothing more can be done on it."
            ),
            pending=record.pending,
            scope=job.scope,
            whats_included=tuple(job.whats_included),
            lines=_line_rows(job),
            total_text=format_cents(job.price_cents),
            parts=parts_to_bring(job),
            customer_name=job.customer_name or "Customer",
            # R10: the phone number only if the customer chose to share it.
            phone_text=phone if phone else "Phone not shared: use Messages",
            phone_url=f"tel:{''.join(c for c in phone if c.isdigit() or c == '+')}"
            if phone
            else None,
            address_text=job_address_text(job),
            maps_url=maps_url(job),
            window_text=window_text,
            window_overdue=overdue,
            actions=_actions(job),
            change_orders=tuple(
                _change_order_row(order, job.time_zone) for order in record.change_orders
            ),
            photos=photos,
        )

    # ------------------------------------------------------------------ navigation
    def _open(self, screen: str, **extra: str) -> None:
        self._ctx.nav.open(Route(screen, {"job_id": self.job_id, **extra}))

    def open_windows(self) -> None:
        """Confirm one of the customer's windows or propose another (R6)."""
        self._open("windows")

    def open_reschedule(self) -> None:
        """Move the confirmed appointment, with a reason (R7)."""
        self._open("windows", mode="reschedule")

    def open_change_order(self) -> None:
        """Change scope or price, signed by the customer (R8)."""
        self._open("change_order")

    def open_complete(self) -> None:
        """Completion sign-off (R9)."""
        self._open("complete")

    def open_messages(self) -> None:
        """The job's message thread (R10)."""
        self._open("thread")

    def open_photo(self, blob_hash: str) -> None:
        """Full-screen photo."""
        self._ctx.nav.open(Route("photo", {"blob_hash": blob_hash}))

    # ------------------------------------------------------------------ start
    async def start(self) -> None:
        """The pro arrived: SCHEDULED -> IN_PROGRESS (queued if offline)."""
        if self.busy:
            return
        self.busy = True
        self.error = None
        self._notify()
        try:
            await self._ctx.repo.perform(JobStartArgs(job_id=self.job_id))
        except ValidationError:
            self.error = "This job cannot be started from this phone. Go back and open it again."
        except DomainError as exc:
            self.error = exc.message
        else:
            self._ctx.nav.notify(queued_notice(self._ctx.repo, "Job started."))
            await self._read()
        finally:
            self.busy = False
        self._notify()

    # ------------------------------------------------------------------ defective (R5)
    async def open_defective(self) -> None:
        """Show the "could not perform" dialog with any saved draft."""
        self.defective_error = None
        draft = await self._ctx.repo.load_draft(defective_draft_key(self.job_id))
        if draft is not None and not self.defective_note and not self.defective_photos:
            self.defective_note = str(draft.get("note", ""))
            photos = draft.get("photos", [])
            self.defective_photos = [str(p) for p in photos] if isinstance(photos, list) else []
            for blob_hash in self.defective_photos:
                self.defective_thumbs[blob_hash] = await read_photo_bytes(self._ctx.repo, blob_hash)
        self.defective_open = True
        self._notify()

    async def close_defective(self) -> None:
        """Hide the dialog; what was typed is kept as a draft."""
        self.defective_open = False
        self._notify()
        await self._save_defective_draft()

    def set_defective_note(self, text: str) -> None:
        """The pro typed in the note (no re-render: the field already shows it)."""
        self.defective_note = text
        if self.defective_error and text.strip():
            self.defective_error = None
            self._notify()

    async def add_defective_photo(self, data: bytes) -> None:
        """Prepare a photo of the defect (resized, metadata stripped) and attach it."""
        if len(self.defective_photos) >= MAX_PHOTOS:
            self.defective_error = f"At most {MAX_PHOTOS} photos. Remove one to add another."
            self._notify()
            return
        try:
            blob_hash = await self._ctx.repo.add_photo(data)
        except DomainError as exc:
            self.defective_error = exc.message
        else:
            if blob_hash not in self.defective_photos:
                self.defective_photos.append(blob_hash)
                self.defective_thumbs[blob_hash] = await read_photo_bytes(self._ctx.repo, blob_hash)
            self.defective_error = None
            await self._save_defective_draft()
        self._notify()

    def remove_defective_photo(self, blob_hash: str) -> None:
        """Take a photo off the report."""
        if blob_hash in self.defective_photos:
            self.defective_photos.remove(blob_hash)
            self.defective_thumbs.pop(blob_hash, None)
            self._notify()

    async def submit_defective(self) -> None:
        """Report the product defective: the job ends NOT_SERVICED, no trip charge (R5)."""
        if self.defective_busy:
            return
        note = self.defective_note.strip()
        if not note:
            self.defective_error = (
                'Describe what is defective (for example: "new faucet cracked out of the '
                'box"). The note is required.'
            )
            self._notify()
            return
        self.defective_busy = True
        self.defective_error = None
        self._notify()
        try:
            args = JobReportDefectiveArgs(
                job_id=self.job_id, note=note, photo_hashes=list(self.defective_photos)
            )
            await self._ctx.repo.perform(args)
        except ValidationError as exc:
            self.defective_error = _validation_message(exc)
        except DomainError as exc:
            self.defective_error = exc.message
        else:
            await self._ctx.repo.delete_draft(defective_draft_key(self.job_id))
            self.defective_open = False
            self.defective_note = ""
            self.defective_photos = []
            self.defective_thumbs = {}
            self._ctx.nav.notify(
                queued_notice(
                    self._ctx.repo, "Reported: product defective. No trip charge is billed."
                )
            )
            await self._read()
        finally:
            self.defective_busy = False
        self._notify()

    async def _save_defective_draft(self) -> None:
        data: dict[str, Any] = {"note": self.defective_note, "photos": self.defective_photos}
        if self.defective_note.strip() or self.defective_photos:
            await self._ctx.repo.save_draft(defective_draft_key(self.job_id), "job_defective", data)


def _validation_message(exc: ValidationError) -> str:
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        if where == "note":
            return "The note is too long: keep it under 2,000 characters."
        if where.startswith("photo_hashes"):
            return f"Too many photos: attach at most {MAX_PHOTOS}."
    return "The report could not be saved. Check the note and photos, then try again."
