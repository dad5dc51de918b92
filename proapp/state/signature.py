"""The customer's half of a signing screen, shared by change orders (R8) and completion (R9).

The pro hands the phone over; the customer reads a large-type summary and the consent
text, types their name and signs on the pad. `SigningForm` holds what the customer
entered; `build_signature_record` binds it to exactly what was signed (DESIGN.md
section 5): the SHA-256 of the canonical content from `proapp.domain.signing`, the
consent text shown, device time, the signing pro and this device. `SignOffState` is the
hand-over mechanics both screens share (read the job, hand over and back, accept).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from proapp.domain.enums import JobStatus
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import Job, SignatureRecord
from proapp.domain.signing import content_sha256
from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.state.screen_support import DraftWriter, RepoWatcher

__all__ = [
    "MAX_POINTS_PER_STROKE",
    "MAX_STROKES",
    "MAX_SIGNER_NAME",
    "Point",
    "SignOffState",
    "SignOffStep",
    "SigningForm",
    "Stroke",
    "build_signature_record",
    "normalise_strokes",
]

Point = tuple[int, int]
Stroke = list[Point]

# Limits of `SignatureRecord.strokes` (domain model): longer strokes are split, so a slow,
# careful signature is never refused; too many strokes is scribbling, and we say so.
MAX_POINTS_PER_STROKE = 5000
MAX_STROKES = 500
MAX_COORDINATE = 100_000
MAX_SIGNER_NAME = 200


def normalise_strokes(strokes: Sequence[Sequence[Sequence[float]]]) -> list[Stroke]:
    """Integer points inside the model's range, empty strokes dropped, long strokes split.

    The pad reports the pad's own coordinates (logical pixels, maybe fractional); the
    record keeps integers so the same signature always hashes and renders the same.
    """
    out: list[Stroke] = []
    for stroke in strokes:
        points: Stroke = []
        for point in stroke:
            x = min(max(round(point[0]), 0), MAX_COORDINATE)
            y = min(max(round(point[1]), 0), MAX_COORDINATE)
            if points and points[-1] == (x, y):
                continue  # a repeated sample adds nothing but bytes
            points.append((x, y))
        while len(points) > MAX_POINTS_PER_STROKE:
            out.append(points[:MAX_POINTS_PER_STROKE])
            # Overlap by one point so the split leaves no gap in the rendered line.
            points = points[MAX_POINTS_PER_STROKE - 1 :]
        if points:
            out.append(points)
    return out


@dataclass
class SigningForm:
    """What the customer entered on the signing panel: typed name and ink."""

    signer_name: str = ""
    strokes: list[Stroke] = field(default_factory=list)

    @property
    def has_ink(self) -> bool:
        """At least one point was drawn."""
        return any(self.strokes)

    @property
    def name_ok(self) -> bool:
        """A name was typed (and it fits the record)."""
        name = self.signer_name.strip()
        return 0 < len(name) <= MAX_SIGNER_NAME

    @property
    def can_accept(self) -> bool:
        """Accept is enabled only with a typed name and some ink."""
        return self.name_ok and self.has_ink

    def missing(self) -> str | None:
        """What still stops "Accept", in plain words, or None."""
        if not self.signer_name.strip():
            return "Type your full name, then sign in the box."
        if len(self.signer_name.strip()) > MAX_SIGNER_NAME:
            return f"The name is too long; use at most {MAX_SIGNER_NAME} characters."
        if not self.has_ink:
            return "Sign in the box with your finger."
        return None

    def clear(self) -> None:
        """Forget name and ink (a new hand-over starts blank)."""
        self.signer_name = ""
        self.strokes = []


def build_signature_record(
    *,
    form: SigningForm,
    png_sha256: str,
    content: Mapping[str, Any],
    consent_text: str,
    pro_user_id: str,
    device_id: str,
    clock: Callable[[], datetime],
) -> SignatureRecord:
    """A `SignatureRecord` for ``content`` (the dict from `proapp.domain.signing`).

    Raises:
        DomainError: ``invalid`` if the name or ink is missing or the ink is too long.
    """
    problem = form.missing()
    if problem is not None:
        raise DomainError(ErrorCode.INVALID, problem)
    strokes = normalise_strokes(form.strokes)
    if len(strokes) > MAX_STROKES:
        raise DomainError(
            ErrorCode.INVALID,
            "The signature has too many strokes. Tap Clear and sign once more.",
            {"strokes": len(strokes)},
        )
    return SignatureRecord(
        signer_name=form.signer_name.strip(),
        strokes=[list(stroke) for stroke in strokes],
        png_sha256=png_sha256,
        device_signed_at=clock(),
        consent_text=consent_text,
        pro_user_id=pro_user_id,
        device_id=device_id,
        content_sha256=content_sha256(content),
    )


class SignOffStep(StrEnum):
    """Which half of a signing screen shows."""

    LOADING = "loading"
    UNAVAILABLE = "unavailable"  # no such job here, or not IN_PROGRESS
    EDIT = "edit"  # the pro fills in the form
    SIGN = "sign"  # the customer verifies and signs


class SignOffState(Observable):
    """The hand-over mechanics shared by the change order (R8) and completion (R9) screens.

    Subclasses build the pro's form and say what the customer signs; this class reads the
    job (``job_id`` route param, IN_PROGRESS only), hands the phone over and back, takes
    name and ink, re-checks that the job did not change under the customer's finger
    (`_basis`), binds the signature and leaves the screen once the command is queued.
    """

    CHANGED_WHILE_SIGNING = "The job changed while the customer was signing."
    """Shown when a sync changed what the customer was about to sign (subclasses word it)."""

    FORM_TITLE = "Sign-off"
    """App bar title while the pro fills in the form."""

    def __init__(
        self,
        ctx: ScreenContext,
        route: Route,
        *,
        draft_key: Callable[[str], str],
        draft_kind: str,
    ) -> None:
        super().__init__()
        self._ctx = ctx
        self.job_id = route.param("job_id")
        # The pro's half of the form is saved on every edit (``draft_key(job_id)``).
        self._drafts = DraftWriter(ctx.repo, draft_key(self.job_id), draft_kind)
        self.step = SignOffStep.LOADING
        self.unavailable_message = ""
        self.job: Job | None = None
        self.error: str | None = None  # one message for the whole form or signing panel
        self.busy = False
        self.signing = SigningForm()
        # What the customer signs against when the phone was handed over; if a sync
        # changes it meanwhile, they must see the new version.
        self._handoff_basis: tuple[Any, ...] | None = None
        self._watcher = RepoWatcher(self._refresh)

    # --- hooks ---------------------------------------------------------------------------
    def _not_in_progress(self, job: Job) -> str:
        """Why this job cannot be signed now (its status is not IN_PROGRESS)."""
        raise NotImplementedError

    def _job_read(self, job: Job) -> None:
        """The job was (re)read and is IN_PROGRESS: update what depends on it."""

    def _basis(self) -> tuple[Any, ...] | None:
        """What must not change between hand-over and accept."""
        raise NotImplementedError

    async def _queue(self, job: Job) -> bool:
        """Bind the signature and perform the command (the job is current)."""
        raise NotImplementedError

    async def hand_to_customer(self) -> bool:
        """Check the pro's form; if it is complete, show the customer's signing panel."""
        raise NotImplementedError

    # --- repository ----------------------------------------------------------------------
    def dispose(self) -> None:
        """Stop listening to the repository."""
        self._watcher.stop()

    async def _refresh(self) -> None:
        before = self.step
        await self._read_job()
        if (
            before is SignOffStep.SIGN
            and self.step is SignOffStep.SIGN
            and self._basis() != self._handoff_basis
        ):
            self._back_to_edit(self.CHANGED_WHILE_SIGNING)
        self._notify()

    async def _read_job(self) -> None:
        record = await self._ctx.repo.job(self.job_id)
        if record is None:
            self.job = None
            self.step = SignOffStep.UNAVAILABLE
            self.unavailable_message = (
                "This job is not on this device any more. Go back and sync, then try again."
            )
            return
        self.job = record.job
        if record.job.status is not JobStatus.IN_PROGRESS:
            self.step = SignOffStep.UNAVAILABLE
            self.unavailable_message = self._not_in_progress(record.job)
            return
        self._job_read(record.job)

    @property
    def title(self) -> str:
        """App bar title."""
        return "Customer sign-off" if self.step is SignOffStep.SIGN else self.FORM_TITLE

    @property
    def job_title(self) -> str:
        """The job's name, or "" before it loaded."""
        return self.job.title if self.job else ""

    # --- hand-over -----------------------------------------------------------------------
    def _start_signing(self) -> None:
        self._handoff_basis = self._basis()
        self.signing.clear()
        self.step = SignOffStep.SIGN

    def _signing_now(self) -> bool:
        # A method, not an inline test: after `_start_signing` mypy still holds the step
        # it narrowed before the call.
        return self.step is SignOffStep.SIGN

    def _back_to_edit(self, message: str | None) -> None:
        self.step = SignOffStep.EDIT
        self._handoff_basis = None
        self.signing.clear()
        self.error = message

    async def hand_back(self) -> None:
        """The customer hands the phone back without signing: back to the form, ink gone."""
        if self.step is SignOffStep.SIGN and not self.busy:
            self._back_to_edit(None)
            self._notify()

    def set_signer_name(self, name: str) -> None:
        """The customer typed their name."""
        self.signing.signer_name = name
        self.error = None
        self._notify()

    def set_strokes(self, strokes: Sequence[Sequence[Sequence[float]]]) -> None:
        """The pad's ink changed (a stroke ended, or Clear)."""
        self.signing.strokes = normalise_strokes(strokes)
        self.error = None
        self._notify()

    # --- accept --------------------------------------------------------------------------
    async def accept(self) -> bool:
        """The customer accepted: bind the signature, queue the command, go back to the
        job. Returns True when it was queued."""
        if self.busy or self.step is not SignOffStep.SIGN:
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
        await self._read_job()
        job = self.job
        if job is None or self.step is not SignOffStep.SIGN:
            return False
        if self._basis() != self._handoff_basis:
            self._back_to_edit(self.CHANGED_WHILE_SIGNING)
            return False
        return await self._queue(job)

    async def _signature(self, content: Mapping[str, Any], consent_text: str) -> SignatureRecord:
        """Render the ink and bind it to ``content`` (raises `DomainError`)."""
        repo = self._ctx.repo
        strokes = normalise_strokes(self.signing.strokes)
        png = await repo.add_signature(strokes)
        self.signing.strokes = strokes
        return build_signature_record(
            form=self.signing,
            png_sha256=png,
            content=content,
            consent_text=consent_text,
            pro_user_id=repo.user.id,
            device_id=repo.device_id,
            clock=self._ctx.clock,
        )

    async def _leave(self, notice: str) -> None:
        """The command is queued: drop the draft, leave, and say what happens next."""
        with contextlib.suppress(Exception):  # queued already; a stale draft is harmless
            await self._drafts.delete()
        self.dispose()
        self._ctx.nav.back()
        self._ctx.nav.notify(notice)

    def cancel(self) -> None:
        """Leave without signing (the form stays as a draft)."""
        self._ctx.nav.back()
