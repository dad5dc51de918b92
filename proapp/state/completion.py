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

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import JobCompleteArgs
from proapp.domain.enums import JobStatus
from proapp.domain.errors import DomainError
from proapp.domain.models import Job
from proapp.domain.money import format_cents
from proapp.domain.signing import completion_signed_content
from proapp.state.formatting import line_item_text
from proapp.state.ports import Route, ScreenContext
from proapp.state.signature import SignOffState, SignOffStep

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


CompletionStep = SignOffStep
"""Which part shows (the shared signing-screen steps)."""


@dataclass(frozen=True)
class AmountLine:
    """One line of the charge breakdown."""

    label: str
    amount_text: str


class CompletionState(SignOffState):
    """State of ``complete {job_id}`` (see the module docstring)."""

    CHANGED_WHILE_SIGNING = (
        "The job's amount changed while the customer was signing (an update came "
        "in). Check it and hand the phone over again."
    )
    FORM_TITLE = "Complete job"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx, route, draft_key=completion_draft_key, draft_kind="completion")
        self.summary = ""
        self.summary_error: str | None = None
        self.trip_cents = 0

    # --- loading -------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the job (and the visit behind it, for a trip charge) and the draft."""
        self._watcher.watch(self._ctx.repo)
        await self._read_job()
        if self.step == CompletionStep.EDIT:
            draft = await self._drafts.load()
            if draft is not None and isinstance(draft.get("summary"), str):
                self.summary = draft["summary"]
        self._notify()

    def _not_in_progress(self, job: Job) -> str:
        return _why_not(job)

    def _job_read(self, job: Job) -> None:
        # R5: the server works out whether the visit's trip charge is billable.
        self.trip_cents = job.trip_charge_cents
        if self.step in (CompletionStep.LOADING, CompletionStep.UNAVAILABLE):
            self.step = CompletionStep.EDIT

    # --- display values ------------------------------------------------------------------
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
            AmountLine(line_item_text(line), format_cents(line.total_cents))
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
        await self._drafts.save({"summary": text})

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
            self._start_signing()
        self._notify()
        return self._signing_now()

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

    async def _queue(self, job: Job) -> bool:
        try:
            content = self.signed_content()
            record = await self._signature(content, self.consent_text)
            await self._ctx.repo.perform(
                JobCompleteArgs(job_id=job.id, summary=self.summary.strip(), signature=record)
            )
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            self.error = f"The sign-off could not be saved ({first['msg']}). Check and try again."
            return False
        except DomainError as exc:
            self.error = exc.message
            return False
        await self._leave(
            f"Job signed off by {record.signer_name}. The marketplace charges "
            f"{format_cents(int(content['total_cents']))} once this reaches it.",
        )
        return True


def _why_not(job: Job) -> str:
    if job.status in (JobStatus.PENDING_SCHEDULE, JobStatus.SCHEDULED):
        return "Start the job first. The customer signs off when the work is done (R9)."
    if job.status is JobStatus.COMPLETED:
        return "This job is already complete and signed off; nothing more to sign."
    if job.status is JobStatus.CANCELLED:
        return "The customer cancelled this job. Nothing is signed and nothing is charged."
    return "This job was closed as not serviced. Nothing is signed and nothing is charged."
