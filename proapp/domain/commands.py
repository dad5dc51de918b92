"""The pro command vocabulary, shared by the client outbox and the server handlers.

Each command has a versioned name (``estimate.submit``) and one pydantic args model. The
client validates args before writing an outbox row; the server validates them again
with the same model before its handler runs. A breaking change to a command's args gets
a new name (``estimate.submit.v2``); the old name keeps working until no client sends it.

Ids of things the client creates (estimate, visit, change order, message, photo) are
generated on the client, so an offline command can be retried without creating twins.

The base version of the edited entity is NOT an argument: it is outbox metadata, sent
alongside the args and compared by the server (``stale_base``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from proapp.domain.enums import (
    PartsSupplier,
    PhotoTargetKind,
    RescheduleReasonCode,
    WaiverTerms,
)
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import (
    MAX_ASSIGNED_TECHNICIANS,
    MAX_PHOTOS,
    Id,
    LineItem,
    NonNegativeCents,
    Sha256Hex,
    SignatureRecord,
    TimeWindow,
)

__all__ = [
    "PRO_COMMANDS",
    "AppointmentRescheduleArgs",
    "ChangeOrderCreateArgs",
    "CommandArgs",
    "EstimateSubmitArgs",
    "EstimateWithdrawArgs",
    "JobAssignArgs",
    "JobCompleteArgs",
    "JobReportDefectiveArgs",
    "JobStartArgs",
    "MessageSendArgs",
    "PhotoAttachArgs",
    "VisitProposeArgs",
    "WindowConfirmArgs",
    "WindowProposeArgs",
    "parse_command_args",
]

_PhotoHashes = Annotated[list[Sha256Hex], Field(max_length=MAX_PHOTOS)]
_Note = Annotated[str, Field(max_length=2000)]


def _no_repeats(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")


class CommandArgs(BaseModel):
    """Base of command args: unknown fields are refused (a typo must not pass silently).

    ``command_name`` is the versioned command name; ``entity_kind`` names the entity
    whose version the outbox records as the base version (``entity_id()`` gives its id).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    command_name: ClassVar[str]
    entity_kind: ClassVar[str]

    def entity_id(self) -> str:
        """Id of the entity this command edits or creates (for base versions and locks)."""
        value = getattr(self, f"{self.entity_kind}_id", None)
        if not isinstance(value, str):  # pragma: no cover - guarded by the class tests
            raise TypeError(f"{type(self).__name__} has no {self.entity_kind}_id")
        return value

    def blob_hashes(self) -> list[str]:
        """Blobs (photos, signature PNGs) that must be uploaded before this command."""
        return []


class EstimateSubmitArgs(CommandArgs):
    """Send an estimate for an OPEN request (R2, R3). Valid for ``valid_days`` days."""

    command_name: ClassVar[str] = "estimate.submit"
    entity_kind: ClassVar[str] = "estimate"

    estimate_id: Id
    request_id: Id
    line_items: Annotated[list[LineItem], Field(min_length=1, max_length=100)]
    parts_supplier: PartsSupplier
    notes: Annotated[str, Field(max_length=4000)] = ""
    photo_hashes: _PhotoHashes = Field(default_factory=list)
    valid_days: Annotated[StrictInt, Field(ge=1, le=60)] = 14

    @model_validator(mode="after")
    def _check(self) -> EstimateSubmitArgs:
        _no_repeats([line.id for line in self.line_items], "line item ids")
        return self

    def blob_hashes(self) -> list[str]:
        """The estimate's photos."""
        return list(self.photo_hashes)


class EstimateWithdrawArgs(CommandArgs):
    """Withdraw a submitted estimate before the customer decides."""

    command_name: ClassVar[str] = "estimate.withdraw"
    entity_kind: ClassVar[str] = "estimate"

    estimate_id: Id


class VisitProposeArgs(CommandArgs):
    """Propose an on-site visit with a stated price (R4); the server checks the state's
    minimum trip charge."""

    command_name: ClassVar[str] = "visit.propose"
    entity_kind: ClassVar[str] = "visit"

    visit_id: Id
    request_id: Id
    price_cents: NonNegativeCents
    waiver_terms: WaiverTerms = WaiverTerms.NONE
    discount_cents: NonNegativeCents = 0
    note: _Note = ""

    @model_validator(mode="after")
    def _check(self) -> VisitProposeArgs:
        if self.discount_cents > self.price_cents:
            raise ValueError("the discount cannot exceed the visit price")
        if self.discount_cents and self.waiver_terms is not WaiverTerms.DISCOUNT_IF_PROCEED:
            raise ValueError("a discount needs waiver_terms DISCOUNT_IF_PROCEED")
        return self


class WindowConfirmArgs(CommandArgs):
    """Confirm one of the customer's preferred arrival windows (R6)."""

    command_name: ClassVar[str] = "window.confirm"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    preferred_window_id: Id


class WindowProposeArgs(CommandArgs):
    """Propose another arrival window and confirm it (R6)."""

    command_name: ClassVar[str] = "window.propose"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    window: TimeWindow
    note: _Note = ""


class AppointmentRescheduleArgs(CommandArgs):
    """A pro moves a confirmed appointment, with a reason (R7)."""

    command_name: ClassVar[str] = "appointment.reschedule"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    window: TimeWindow
    reason_code: RescheduleReasonCode
    note: _Note = ""

    @model_validator(mode="after")
    def _check(self) -> AppointmentRescheduleArgs:
        if self.reason_code is RescheduleReasonCode.OTHER and not self.note.strip():
            raise ValueError("reason OTHER needs a note saying why")
        return self


class JobAssignArgs(CommandArgs):
    """Assign 1 to 5 technicians to a job (staff only; the server checks the role)."""

    command_name: ClassVar[str] = "job.assign"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    technician_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_ASSIGNED_TECHNICIANS)]

    @model_validator(mode="after")
    def _check(self) -> JobAssignArgs:
        _no_repeats(self.technician_ids, "technician ids")
        return self


class JobStartArgs(CommandArgs):
    """The pro arrived and starts work."""

    command_name: ClassVar[str] = "job.start"
    entity_kind: ClassVar[str] = "job"

    job_id: Id


class ChangeOrderCreateArgs(CommandArgs):
    """A change order the customer verified and signed on the pro's device (R8).

    ``signature.content_sha256`` must equal the hash of
    `proapp.domain.signing.change_order_signed_content` for these args and the job's
    current lines; otherwise the server refuses with ``signature_mismatch``.
    """

    command_name: ClassVar[str] = "change_order.create"
    entity_kind: ClassVar[str] = "job"

    change_order_id: Id
    job_id: Id
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    added_lines: Annotated[list[LineItem], Field(max_length=100)] = Field(default_factory=list)
    removed_line_ids: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)
    photo_hashes: _PhotoHashes = Field(default_factory=list)
    signature: SignatureRecord

    @model_validator(mode="after")
    def _check(self) -> ChangeOrderCreateArgs:
        if not self.added_lines and not self.removed_line_ids:
            raise ValueError("a change order must add or remove at least one line")
        _no_repeats([line.id for line in self.added_lines], "added line ids")
        _no_repeats(self.removed_line_ids, "removed line ids")
        return self

    def blob_hashes(self) -> list[str]:
        """Photos plus the rendered signature PNG."""
        return [*self.photo_hashes, self.signature.png_sha256]


class JobCompleteArgs(CommandArgs):
    """The customer signs that the job is complete (R9); only then is the card charged.

    ``signature.content_sha256`` must match
    `proapp.domain.signing.completion_signed_content`.
    """

    command_name: ClassVar[str] = "job.complete"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    summary: Annotated[str, Field(min_length=1, max_length=4000)]
    signature: SignatureRecord

    def blob_hashes(self) -> list[str]:
        """The rendered signature PNG."""
        return [self.signature.png_sha256]


class JobReportDefectiveArgs(CommandArgs):
    """The product is defective, so the service cannot be performed: the job ends
    NOT_SERVICED and no trip charge is billed (R5)."""

    command_name: ClassVar[str] = "job.report_defective"
    entity_kind: ClassVar[str] = "job"

    job_id: Id
    note: Annotated[str, Field(min_length=1, max_length=2000)]
    photo_hashes: _PhotoHashes = Field(default_factory=list)

    def blob_hashes(self) -> list[str]:
        """Photos of the defect."""
        return list(self.photo_hashes)


class MessageSendArgs(CommandArgs):
    """Send a message about exactly one job or one request (R10)."""

    command_name: ClassVar[str] = "message.send"
    entity_kind: ClassVar[str] = "message"

    message_id: Id
    job_id: Id | None = None
    request_id: Id | None = None
    body: Annotated[str, Field(min_length=1, max_length=4000)]

    @model_validator(mode="after")
    def _check(self) -> MessageSendArgs:
        if (self.job_id is None) == (self.request_id is None):
            raise ValueError("give exactly one of job_id or request_id")
        if not self.body.strip():
            raise ValueError("the message is empty")
        return self


class PhotoAttachArgs(CommandArgs):
    """Attach an uploaded photo (by content hash) to a job, request or estimate."""

    command_name: ClassVar[str] = "photo.attach"
    entity_kind: ClassVar[str] = "photo"

    photo_id: Id
    target_kind: PhotoTargetKind
    target_id: Id
    blob_hash: Sha256Hex
    caption: Annotated[str, Field(max_length=500)] = ""

    def blob_hashes(self) -> list[str]:
        """The photo itself."""
        return [self.blob_hash]


_ALL: tuple[type[CommandArgs], ...] = (
    EstimateSubmitArgs,
    EstimateWithdrawArgs,
    VisitProposeArgs,
    WindowConfirmArgs,
    WindowProposeArgs,
    AppointmentRescheduleArgs,
    JobAssignArgs,
    JobStartArgs,
    ChangeOrderCreateArgs,
    JobCompleteArgs,
    JobReportDefectiveArgs,
    MessageSendArgs,
    PhotoAttachArgs,
)

PRO_COMMANDS: Mapping[str, type[CommandArgs]] = MappingProxyType({c.command_name: c for c in _ALL})
"""Every pro command, by versioned name."""


def parse_command_args(name: str, data: Mapping[str, Any]) -> CommandArgs:
    """Validate ``data`` as the args of command ``name``.

    Raises:
        DomainError: code ``invalid`` for an unknown name or bad args; ``details`` has
            ``command`` and, for bad args, ``errors`` (pydantic's list, JSON-friendly).
    """
    model = PRO_COMMANDS.get(name)
    if model is None:
        raise DomainError(
            ErrorCode.INVALID,
            f"'{name}' is not a known command. Update the app, then try again.",
            {"command": name, "known": sorted(PRO_COMMANDS)},
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(first["loc"]) or "args"
        raise DomainError(
            ErrorCode.INVALID,
            f"The {name} request is not valid ({where}: {first['msg']}). "
            "Correct it and send it again.",
            {"command": name, "errors": errors},
        ) from exc
