"""Completion sign-off state (R9): the customer signs that the job is complete.

Only then does the marketplace charge the card on file: the app shows the amount it will
charge and says plainly that the pro never takes payment. The signature is bound to
`proapp.domain.signing.completion_signed_content` for the job's current lines and the
amount the server will charge: the job's price (it already includes signed change
orders) plus the job's ``trip_charge_cents``, which the server computes (R4, R5: billable
only when the customer accepted the visit before the trip). The repository checks the
signature against the same content before queueing, as the server does on arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import JobCompleteArgs
from proapp.domain.enums import JobStatus
from proapp.domain.errors import DomainError
from proapp.domain.models import Job
from proapp.domain.money import format_cents
from proapp.domain.signing import completion_signed_content
from proapp.state._tasks import RepoWatcher
from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.state.signature import SigningForm, build_signature_record, normalise_strokes

__all__ = [
    "CUSTOMER_PAYMENT_NOTE",
    "PAYMENT_NOTE",
    "AmountLine",
    "CompletionState",
    "CompletionStep",
    "completion_draft_key",
]

MAX_SUMMARY = 4000

PAYMENT_NOTE = (
    "The customer pays through the marketplace: their card on file is charged only after "
    "they sign below. Never take cash, cards or transfers for this job yourself."
)
"""R9, for the pro (the form)."""

CUSTOMER_PAYMENT_NOTE = (
    "You pay through the marketplace: your card on file is charged only after you sign. "
    "The pro never takes payment directly."
)
"""R9, for the customer (the signing panel)."""


def completion_draft_key(job_id: str) -> str:
    """Where the work summary is autosaved."""
    return f"complete:{job_id}"


class CompletionStep:
    """Which part shows (plain strings so views can compare cheaply)."""

    LOADING = "loading"
    UNAVAILABLE = "unavailable"
    EDIT = "edit"
    SIGN = "sign"


@dataclass(frozen=True)
class AmountLine:
    """One line of the charge breakdown."""

    label: str
    amount_text: str


class CompletionState(Observable):
    """State of ``complete {job_id}`` (see the module docstring)."""

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        self.job_id = route.param("job_id")
        self.step = CompletionStep.LOADING
        self.unavailable_message = ""
        self.job: Job | None = None
        self.summary = ""
        self.summary_error: str | None = None
        self.error: str | None = None
        self.busy = False
        self.signing = SigningForm()
        self.trip_cents = 0
        self._handoff_basis: tuple[Any, ...] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._watcher = RepoWatcher(self._refresh)
        self._save_lock = asyncio.Lock()

    # --- loading -------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the job (and the visit behind it, for a trip charge) and the draft."""
        if self._unsubscribe is None:
            self._unsubscribe = self._ctx.repo.subscribe(self._repo_changed)
        await self._read()
        if self.step == CompletionStep.EDIT:
            draft = await self._ctx.repo.load_draft(completion_draft_key(self.job_id))
            if draft is not None and isinstance(draft.get("summary"), str):
                self.summary = draft["summary"]
        self._notify()

    def dispose(self) -> None:
        """Stop listening to the repository."""
        self._watcher.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _repo_changed(self) -> None:
        self._watcher.changed()

    async def _refresh(self) -> None:
        before = self.step
        await self._read()
        if (
            before == CompletionStep.SIGN
            and self.step == CompletionStep.SIGN
            and self._basis() != self._handoff_basis
        ):
            self._back_to_edit(
                "The job's amount changed while the customer was signing (an update came "
                "in). Check it and hand the phone over again."
            )
        self._notify()

    async def _read(self) -> None:
        record = await self._ctx.repo.job(self.job_id)
        if record is None:
            self.job = None
            self.step = CompletionStep.UNAVAILABLE
            self.unavailable_message = (
                "This job is not on this device any more. Go back and sync, then try again."
            )
            return
        self.job = record.job
        if record.job.status is not JobStatus.IN_PROGRESS:
            self.step = CompletionStep.UNAVAILABLE
            self.unavailable_message = _why_not(record.job)
            return
        # R5: the server works out whether the visit's trip charge is billable.
        self.trip_cents = record.job.trip_charge_cents
        if self.step in (CompletionStep.LOADING, CompletionStep.UNAVAILABLE):
            self.step = CompletionStep.EDIT

    # --- display values ------------------------------------------------------------------
    @property
    def title(self) -> str:
        """App bar title."""
        return "Customer sign-off" if self.step == CompletionStep.SIGN else "Complete job"

    @property
    def job_title(self) -> str:
        """The job's name, or ""."""
        return self.job.title if self.job else ""

    @property
    def total_cents(self) -> int:
        """What the marketplace charges when the customer signs (R9)."""
        return (self.job.price_cents if self.job else 0) + self.trip_cents

    @property
    def amount_text(self) -> str:
        """The charge, formatted."""
        return format_cents(self.total_cents)

    def breakdown(self) -> list[AmountLine]:
        """The job's lines, the trip charge if any, and nothing else."""
        if self.job is None:
            return []
        rows = [
            AmountLine(
                line.description if line.quantity == 1 else f"{line.quantity} × {line.description}",
                format_cents(line.total_cents),
            )
            for line in self.job.line_items
        ]
        lines_total = sum(line.total_cents for line in self.job.line_items)
        if not rows or lines_total != self.job.price_cents:
            rows = [AmountLine("Job price", format_cents(self.job.price_cents))]
        if self.trip_cents:
            rows.append(
                AmountLine("On-site visit (accepted in advance)", format_cents(self.trip_cents))
            )
        return rows

    @property
    def consent_text(self) -> str:
        """What the customer agrees to by signing."""
        return (
            f'I confirm the work on "{self.job_title}" is complete as described above. I '
            f"authorise the marketplace to charge {self.amount_text} to my card on file. I "
            "have not paid the pro directly and will not be asked to."
        )

    # --- edits ---------------------------------------------------------------------------
    async def set_summary(self, text: str) -> None:
        """The pro's summary of the work done (autosaved)."""
        self.summary = text
        self.summary_error = None
        self._notify()
        async with self._save_lock:
            await self._ctx.repo.save_draft(
                completion_draft_key(self.job_id), "completion", {"summary": text}
            )

    def _basis(self) -> tuple[Any, ...] | None:
        if self.job is None:
            return None
        return (
            self.job.price_cents,
            self.trip_cents,
            tuple(line.model_dump_json() for line in self.job.line_items),
        )

    async def hand_to_customer(self) -> bool:
        """Check the summary; show the customer's signing panel."""
        if self.busy or self.step != CompletionStep.EDIT:
            return False
        text = self.summary.strip()
        self.error = None
        if not text:
            self.summary_error = "Describe the work you did; the customer signs this summary."
        elif len(text) > MAX_SUMMARY:
            self.summary_error = f"Keep the summary under {MAX_SUMMARY:,} characters."
        else:
            self.summary_error = None
            self._handoff_basis = self._basis()
            self.signing.clear()
            self.step = CompletionStep.SIGN
        self._notify()
        return self.step == CompletionStep.SIGN

    def _back_to_edit(self, message: str | None) -> None:
        self.step = CompletionStep.EDIT
        self._handoff_basis = None
        self.signing.clear()
        self.error = message

    async def hand_back(self) -> None:
        """The customer hands the phone back without signing."""
        if self.step == CompletionStep.SIGN and not self.busy:
            self._back_to_edit(None)
            self._notify()

    def set_signer_name(self, name: str) -> None:
        """The customer typed their name."""
        self.signing.signer_name = name
        self.error = None
        self._notify()

    def set_strokes(self, strokes: Sequence[Sequence[Sequence[float]]]) -> None:
        """The pad's ink changed."""
        self.signing.strokes = normalise_strokes(strokes)
        self.error = None
        self._notify()

    def signed_content(self) -> dict[str, Any]:
        """Exactly what the customer signs now (for the record's ``content_sha256``)."""
        if self.job is None:
            raise RuntimeError("no job loaded")
        return completion_signed_content(
            job_id=self.job.id,
            summary=self.summary.strip(),
            total_cents=self.total_cents,
            line_items=self.job.line_items,
        )

    async def accept(self) -> bool:
        """Render and bind the signature, queue ``job.complete``, go back to the job."""
        if self.busy or self.step != CompletionStep.SIGN:
            return False
        problem = self.signing.missing()
        if problem is not None:
            self.error = problem
            self._notify()
            return False
        self.busy = True
        self.error = None
        self._notify()
        try:
            return await self._accept()
        finally:
            self.busy = False
            self._notify()

    async def _accept(self) -> bool:
        repo = self._ctx.repo
        await self._read()
        job = self.job
        if job is None or self.step != CompletionStep.SIGN:
            return False
        if self._basis() != self._handoff_basis:
            self._back_to_edit(
                "The job's amount changed while the customer was signing (an update came "
                "in). Check it and hand the phone over again."
            )
            return False
        try:
            content = self.signed_content()
            strokes = normalise_strokes(self.signing.strokes)
            png = await repo.add_signature(strokes)
            self.signing.strokes = strokes
            record = build_signature_record(
                form=self.signing,
                png_sha256=png,
                content=content,
                consent_text=self.consent_text,
                pro_user_id=repo.user.id,
                device_id=repo.device_id,
                clock=self._ctx.clock,
            )
            await repo.perform(
                JobCompleteArgs(job_id=job.id, summary=self.summary.strip(), signature=record)
            )
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            self.error = f"The sign-off could not be saved ({first['msg']}). Check and try again."
            return False
        except DomainError as exc:
            self.error = exc.message
            return False
        with contextlib.suppress(Exception):  # queued already; a stale draft is harmless
            await repo.delete_draft(completion_draft_key(self.job_id))
        self.dispose()
        self._ctx.nav.back()
        self._ctx.nav.notify(
            f"Job signed off by {record.signer_name}. The marketplace charges "
            f"{format_cents(int(content['total_cents']))} once this reaches it."
        )
        return True

    def cancel(self) -> None:
        """Leave without signing (the summary stays as a draft)."""
        self._ctx.nav.back()


def _why_not(job: Job) -> str:
    if job.status in (JobStatus.PENDING_SCHEDULE, JobStatus.SCHEDULED):
        return "Start the job first. The customer signs off when the work is done (R9)."
    if job.status is JobStatus.COMPLETED:
        return "This job is already complete and signed off; nothing more to sign."
    if job.status is JobStatus.CANCELLED:
        return "The customer cancelled this job. Nothing is signed and nothing is charged."
    return "This job was closed as not serviced. Nothing is signed and nothing is charged."
