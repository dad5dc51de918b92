"""Optimistic effects of pro commands: what the UI shows before the server answers.

DESIGN.md section 3: a pro action is one local transaction, the optimistic change to the
cache plus one outbox row. This module computes that change. For each command of
`proapp.domain.commands.PRO_COMMANDS` one pure function takes the command args, the
cached entities it touches (through a ``lookup``), ``now`` and the signed-in user, and
returns the entity JSON the UI should now see (`Effect`), in the same shape the server
sends on pull, so an overlay and the pulled copy that replaces it read alike.

Before computing anything each function checks what the device can already know with
the shared domain rules and state machines (a cancelled job, a closed estimate window
(R2), a window the customer did not offer (R6), an illegal status change, a signature
made for other content (R8)) and raises `DomainError` with the server's stable code, so
a plainly illegal action is refused before it is queued. The server stays the authority:
what the device cannot know (another pro's change, a customer's cancellation it has not
pulled yet) is refused there and lands in "needs attention".

Effects mirror the server's handlers (``marketplace/commands/pro.py``), including the
job ``version`` bump of every job command: the next queued command on the same job
then carries the version the server will have reached as its base version, so a chain
of offline actions (confirm, start, change order, complete) is not refused as stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from proapp.domain import rules, signing
from proapp.domain.commands import (
    PRO_COMMANDS,
    AppointmentRescheduleArgs,
    ChangeOrderCreateArgs,
    CommandArgs,
    EstimateSubmitArgs,
    EstimateWithdrawArgs,
    JobAssignArgs,
    JobCompleteArgs,
    JobReportDefectiveArgs,
    JobStartArgs,
    MessageSendArgs,
    PhotoAttachArgs,
    VisitProposeArgs,
    WindowConfirmArgs,
    WindowProposeArgs,
)
from proapp.domain.enums import (
    AppointmentStatus,
    ChangeOrderStatus,
    EstimateStatus,
    JobStatus,
    MessageAuthorRole,
    PhotoTargetKind,
    Role,
    VisitStatus,
)
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import (
    Appointment,
    ChangeOrder,
    CustomRequest,
    Estimate,
    Job,
    LineItem,
    Message,
    TimeWindow,
    User,
    VisitProposal,
    format_utc,
)
from proapp.domain.states import EntityKind, ensure_transition

__all__ = [
    "EFFECTS",
    "ENTITY_MODELS",
    "Effect",
    "Lookup",
    "Context",
    "Plan",
    "optimistic_effects",
    "plan_command",
]

M = TypeVar("M", bound=BaseModel)

Lookup = Callable[[str, str], Mapping[str, Any] | None]
"""``(kind, id)`` -> the entity's JSON as the UI sees it now (overlay or server), or None."""

ENTITY_MODELS: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        "request": CustomRequest,
        "estimate": Estimate,
        "visit": VisitProposal,
        "job": Job,
        "change_order": ChangeOrder,
        "message": Message,
    }
)
"""The shared domain model of each synced kind ("photo" has none: plain JSON)."""

# Ids of things the server creates as a side effect (a new appointment, the photos of a
# defect report) are unknown until the pull; the overlay uses stable stand-ins derived
# from the command so re-computing an effect gives the same rows.
_LOCAL_NS = uuid.UUID("5b0f3c1e-8d2a-4e6b-9c7d-0a1b2c3d4e5f")


def _local_id(*parts: str) -> str:
    return str(uuid.uuid5(_LOCAL_NS, "/".join(parts)))


@dataclass(frozen=True, slots=True)
class Effect:
    """One entity as the UI should see it after the command: ``data`` is its whole JSON
    (the pulled shape). ``parent_id`` names the parent (a request, a job, a photo's
    target) for child lists."""

    kind: str
    id: str
    data: dict[str, Any]
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What performing a command writes locally: the overlays and the outbox row's
    ``base_version`` (the version of the edited entity as the pro sees it)."""

    effects: tuple[Effect, ...] = field(default_factory=tuple)
    base_version: int | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What an effect function may consult besides its args."""

    lookup: Lookup
    now: datetime
    user: User


# --------------------------------------------------------------------------- helpers


def _missing(kind: str, entity_id: str) -> DomainError:
    return DomainError(
        ErrorCode.NOT_FOUND,
        f"This {kind.replace('_', ' ')} is not on this device any more. Sync, then try "
        "again from its current screen.",
        {"kind": kind, "id": entity_id},
    )


def _load(lookup: Lookup, kind: str, entity_id: str, model: type[M]) -> M:
    data = lookup(kind, entity_id)
    if data is None:
        raise _missing(kind, entity_id)
    return model.model_validate(data)


def _dump(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


def _build(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate an overlay with the shared model; a failure is the pro's input (plain
    words, code ``invalid``), e.g. a visit price under the state's minimum (R4)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise DomainError(
            ErrorCode.INVALID,
            f"This cannot be saved: {first['msg']}. Correct it and try again.",
            {"errors": [str(e["msg"]) for e in exc.errors(include_url=False)]},
        ) from exc


def _ensure_not_already(lookup: Lookup, kind: str, entity_id: str) -> None:
    if lookup(kind, entity_id) is not None:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"A {kind.replace('_', ' ')} with this id already exists on this device. "
            "Start a new one.",
            {"kind": kind, "id": entity_id},
        )


def _job_for_work(lookup: Lookup, job_id: str) -> Job:
    job = _load(lookup, "job", job_id, Job)
    rules.ensure_job_not_cancelled(job)
    return job


def _ensure_works_on(job: Job, user: User, action: str) -> None:
    # Same rule as the server: an assigned technician, or staff on their behalf.
    if user.is_staff or user.id in job.assigned_technician_ids:
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        f"Only a technician assigned to this job can {action}. Ask your dispatcher to "
        "assign you first.",
        {"job_id": job.id},
    )


def _touched(job: Job, **changes: Any) -> dict[str, Any]:
    """The job JSON after a server-side ``_touch_job``: changes applied, version + 1."""
    data = _dump(job)
    data.update(changes)
    data["version"] = job.version + 1
    return _dump(_build(Job, data))


def _job_effect(job: Job, **changes: Any) -> Effect:
    return Effect("job", job.id, _touched(job, **changes))


def _appointment(job: Job, window: TimeWindow, salt: str, **extra: Any) -> dict[str, Any]:
    return _dump(
        Appointment(
            id=_local_id("appointment", job.id, salt, format_utc(window.start)),
            job_id=job.id,
            window=window,
            assigned_technician_ids=list(job.assigned_technician_ids),
            **extra,
        )
    )


def _ended_appointment(job: Job) -> dict[str, Any] | None:
    if job.appointment is None:
        return None
    if job.appointment.status is not AppointmentStatus.ACTIVE:
        return _dump(job.appointment)
    return _dump(job.appointment.model_copy(update={"status": AppointmentStatus.COMPLETED}))


# --------------------------------------------------------------------------- per command


def _estimate_submit(args: EstimateSubmitArgs, ctx: Context) -> list[Effect]:
    request = _load(ctx.lookup, "request", args.request_id, CustomRequest)
    _ensure_not_already(ctx.lookup, "estimate", args.estimate_id)
    rules.ensure_estimate_window_open(request, ctx.now)  # R2
    ensure_transition(EntityKind.ESTIMATE, EstimateStatus.DRAFT, EstimateStatus.SUBMITTED)
    estimate = _build(
        Estimate,
        {
            "id": args.estimate_id,
            "request_id": request.id,
            "business_id": request.business_id,
            "technician_id": ctx.user.id if ctx.user.role is Role.TECHNICIAN else None,
            "line_items": [_dump(line) for line in args.line_items],
            "parts_supplier": args.parts_supplier,
            "notes": args.notes,
            "photo_hashes": list(args.photo_hashes),
            "valid_until": rules.estimate_valid_until(ctx.now, args.valid_days),  # R3
            "status": EstimateStatus.SUBMITTED,
            "submitted_at": ctx.now,
        },
    )
    return [Effect("estimate", estimate.id, _dump(estimate), request.id)]


def _estimate_withdraw(args: EstimateWithdrawArgs, ctx: Context) -> list[Effect]:
    estimate = _load(ctx.lookup, "estimate", args.estimate_id, Estimate)
    ensure_transition(EntityKind.ESTIMATE, estimate.status, EstimateStatus.WITHDRAWN)
    data = _dump(estimate)
    data["status"] = EstimateStatus.WITHDRAWN.value
    return [Effect("estimate", estimate.id, _dump(_build(Estimate, data)), estimate.request_id)]


def _visit_propose(args: VisitProposeArgs, ctx: Context) -> list[Effect]:
    request = _load(ctx.lookup, "request", args.request_id, CustomRequest)
    _ensure_not_already(ctx.lookup, "visit", args.visit_id)
    rules.ensure_estimate_window_open(request, ctx.now)  # R2 applies to visits too
    # R4: the minimum trip charge of the state where the work is. Without an address the
    # server uses the business's state, which this device does not hold: it decides.
    minimum = 0
    if request.address is not None:
        rules.ensure_visit_price_allowed(args.price_cents, request.address.state)
        minimum = rules.minimum_trip_charge_cents(request.address.state)
    visit = _build(
        VisitProposal,
        {
            "id": args.visit_id,
            "request_id": request.id,
            "business_id": request.business_id,
            "price_cents": args.price_cents,
            "minimum_trip_charge_cents": minimum,
            "waiver_terms": args.waiver_terms,
            "discount_cents": args.discount_cents,
            "note": args.note,
            "status": VisitStatus.PROPOSED,
            "proposed_at": ctx.now,
        },
    )
    return [Effect("visit", visit.id, _dump(visit), request.id)]


def _ensure_schedules(job: Job, user: User) -> None:
    if user.is_staff or user.id in job.assigned_technician_ids:
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "Only office staff or a technician assigned to this job can schedule it.",
        {"job_id": job.id},
    )


def _window_confirm(args: WindowConfirmArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_schedules(job, ctx.user)
    offered = rules.ensure_window_offered(job, args.preferred_window_id)  # R6
    ensure_transition(EntityKind.JOB, job.status, JobStatus.SCHEDULED)
    appointment = _appointment(job, offered.window, "confirm")
    return [_job_effect(job, status=JobStatus.SCHEDULED.value, appointment=appointment)]


def _window_propose(args: WindowProposeArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_schedules(job, ctx.user)
    ensure_transition(EntityKind.JOB, job.status, JobStatus.SCHEDULED)  # R6
    appointment = _appointment(job, args.window, "propose")
    return [_job_effect(job, status=JobStatus.SCHEDULED.value, appointment=appointment)]


def _appointment_reschedule(args: AppointmentRescheduleArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_schedules(job, ctx.user)
    current = job.appointment
    if (
        job.status is not JobStatus.SCHEDULED
        or current is None
        or current.status is not AppointmentStatus.ACTIVE
    ):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Only a scheduled job can be rescheduled; this one is {job.status.value}. "
            "Refresh the job to see its current state.",
            {"job_id": job.id, "status": job.status.value},
        )
    appointment = _appointment(
        job, args.window, f"reschedule/{current.id}", reschedule_reason=args.reason_code
    )  # R7
    return [_job_effect(job, appointment=appointment)]


def _job_assign(args: JobAssignArgs, ctx: Context) -> list[Effect]:
    if not ctx.user.is_staff:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Only office staff can assign technicians.",
            {"role": ctx.user.role.value},
        )
    job = _job_for_work(ctx.lookup, args.job_id)
    if job.status in (JobStatus.COMPLETED, JobStatus.NOT_SERVICED):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"This job is {job.status.value}; technicians can no longer be assigned.",
            {"job_id": job.id, "status": job.status.value},
        )
    technicians = list(args.technician_ids)
    appointment = None
    if job.appointment is not None:
        appointment = _dump(
            job.appointment.model_copy(update={"assigned_technician_ids": technicians})
        )
    return [_job_effect(job, assigned_technician_ids=technicians, appointment=appointment)]


def _job_start(args: JobStartArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_works_on(job, ctx.user, "start it")
    ensure_transition(EntityKind.JOB, job.status, JobStatus.IN_PROGRESS)
    return [_job_effect(job, status=JobStatus.IN_PROGRESS.value)]


def _ensure_signer(user: User, pro_user_id: str) -> None:
    # DESIGN.md section 5: the record names the pro who took the signature.
    if pro_user_id != user.id:
        raise DomainError(
            ErrorCode.INVALID,
            "The signature names a different pro than the one signed in. Take the "
            "signature again on this account.",
            {"pro_user_id": pro_user_id},
        )


def _change_order_create(args: ChangeOrderCreateArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_works_on(job, ctx.user, "create a change order")
    _ensure_not_already(ctx.lookup, "change_order", args.change_order_id)
    if job.status is not JobStatus.IN_PROGRESS:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Change orders are made while the job is in progress; this job is "
            f"{job.status.value}. Start the job first.",
            {"job_id": job.id, "status": job.status.value},
        )
    _ensure_signer(ctx.user, args.signature.pro_user_id)
    # R8: the customer signed exactly these lines and totals, over the job's lines as
    # this device shows them (which is what the server will hold once earlier queued
    # actions are applied).
    content = signing.change_order_signed_content(
        change_order_id=args.change_order_id,
        job_id=job.id,
        reason=args.reason,
        original_lines=job.line_items,
        added_lines=args.added_lines,
        removed_line_ids=args.removed_line_ids,
    )
    signing.ensure_signature_matches(args.signature, content)
    delta = int(content["delta_cents"])
    if job.price_cents + delta < 0:
        raise DomainError(
            ErrorCode.INVALID,
            "This change order would make the job's price negative. Check the lines.",
            {"price_cents": job.price_cents, "delta_cents": delta},
        )
    order = _build(
        ChangeOrder,
        {
            "id": args.change_order_id,
            "job_id": job.id,
            "reason": args.reason,
            "added_lines": [_dump(line) for line in args.added_lines],
            "removed_line_ids": sorted(set(args.removed_line_ids)),
            "original_total_cents": int(content["original_total_cents"]),
            "new_total_cents": int(content["new_total_cents"]),
            "photo_hashes": list(args.photo_hashes),
            "signature": _dump(args.signature),
            "status": ChangeOrderStatus.SIGNED,
            "created_at": ctx.now,
        },
    )
    removed = set(args.removed_line_ids)
    lines: list[LineItem] = [
        *(line for line in job.line_items if line.id not in removed),
        *args.added_lines,
    ]
    job_effect = _job_effect(
        job, line_items=[_dump(line) for line in lines], price_cents=job.price_cents + delta
    )
    return [Effect("change_order", order.id, _dump(order), job.id), job_effect]


def _job_complete(args: JobCompleteArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_works_on(job, ctx.user, "complete it")
    ensure_transition(EntityKind.JOB, job.status, JobStatus.COMPLETED)  # R9
    _ensure_signer(ctx.user, args.signature.pro_user_id)
    # R9: the customer signed exactly the amount the server will charge: the price
    # (signed change orders included) plus the trip charge the server reported (R5).
    content = signing.completion_signed_content(
        job_id=job.id,
        summary=args.summary,
        total_cents=job.price_cents + job.trip_charge_cents,
        line_items=job.line_items,
    )
    signing.ensure_signature_matches(args.signature, content)
    return [_job_effect(job, status=JobStatus.COMPLETED.value, appointment=_ended_appointment(job))]


def _job_report_defective(args: JobReportDefectiveArgs, ctx: Context) -> list[Effect]:
    job = _job_for_work(ctx.lookup, args.job_id)
    _ensure_works_on(job, ctx.user, "report it")
    ensure_transition(EntityKind.JOB, job.status, JobStatus.NOT_SERVICED)  # R5
    photos = [
        Effect(
            "photo",
            _local_id("defect-photo", job.id, blob_hash),
            _photo_json(
                _local_id("defect-photo", job.id, blob_hash),
                PhotoTargetKind.JOB,
                job.id,
                blob_hash,
                args.note[:500],
                ctx.user,
                ctx.now,
            ),
            job.id,
        )
        for blob_hash in args.photo_hashes
    ]
    job_effect = _job_effect(
        job, status=JobStatus.NOT_SERVICED.value, appointment=_ended_appointment(job)
    )
    return [job_effect, *photos]


def _message_send(args: MessageSendArgs, ctx: Context) -> list[Effect]:
    _ensure_not_already(ctx.lookup, "message", args.message_id)
    if args.job_id is not None:
        _load(ctx.lookup, "job", args.job_id, Job)
        parent = args.job_id
    else:
        assert args.request_id is not None  # the args model guarantees exactly one
        _load(ctx.lookup, "request", args.request_id, CustomRequest)
        parent = args.request_id
    message = _build(
        Message,
        {
            "id": args.message_id,
            "job_id": args.job_id,
            "request_id": args.request_id,
            "author_id": ctx.user.id,
            "author_role": MessageAuthorRole.PRO,
            "body": args.body,
            "sent_at": ctx.now,
        },
    )
    return [Effect("message", message.id, _dump(message), parent)]


def _photo_json(
    photo_id: str,
    target_kind: PhotoTargetKind,
    target_id: str,
    blob_hash: str,
    caption: str,
    user: User,
    now: datetime,
) -> dict[str, Any]:
    # The pulled shape of a photo (the server has no shared model for it).
    return {
        "id": photo_id,
        "target_kind": target_kind.value,
        "target_id": target_id,
        "blob_hash": blob_hash,
        "caption": caption,
        "uploaded_by": user.id,
        "created_at": format_utc(now),
    }


def _photo_attach(args: PhotoAttachArgs, ctx: Context) -> list[Effect]:
    _ensure_not_already(ctx.lookup, "photo", args.photo_id)
    if ctx.lookup(args.target_kind.value, args.target_id) is None:
        raise _missing(args.target_kind.value, args.target_id)
    data = _photo_json(
        args.photo_id,
        args.target_kind,
        args.target_id,
        args.blob_hash,
        args.caption,
        ctx.user,
        ctx.now,
    )
    return [Effect("photo", args.photo_id, data, args.target_id)]


# --------------------------------------------------------------------------- the table

_EffectFn = Callable[[Any, Context], list[Effect]]

EFFECTS: Mapping[str, _EffectFn] = MappingProxyType(
    {
        EstimateSubmitArgs.command_name: _estimate_submit,
        EstimateWithdrawArgs.command_name: _estimate_withdraw,
        VisitProposeArgs.command_name: _visit_propose,
        WindowConfirmArgs.command_name: _window_confirm,
        WindowProposeArgs.command_name: _window_propose,
        AppointmentRescheduleArgs.command_name: _appointment_reschedule,
        JobAssignArgs.command_name: _job_assign,
        JobStartArgs.command_name: _job_start,
        ChangeOrderCreateArgs.command_name: _change_order_create,
        JobCompleteArgs.command_name: _job_complete,
        JobReportDefectiveArgs.command_name: _job_report_defective,
        MessageSendArgs.command_name: _message_send,
        PhotoAttachArgs.command_name: _photo_attach,
    }
)
"""Command name -> its effect function; covers every name of ``PRO_COMMANDS``."""

_missing_names = set(PRO_COMMANDS) - set(EFFECTS)
if _missing_names:  # pragma: no cover - import-time guard
    raise AssertionError(f"commands without an optimistic effect: {sorted(_missing_names)}")


def optimistic_effects(
    command: CommandArgs, lookup: Lookup, *, now: datetime, user: User
) -> list[Effect]:
    """The entities the UI should see after ``command``.

    Raises:
        DomainError: the action is refused locally (stable codes as the server's:
            ``job_cancelled``, ``estimate_window_closed``, ``invalid_transition``,
            ``window_not_offered``, ``signature_mismatch``, ``forbidden``, ``not_found``,
            ``conflict``, ``invalid``); nothing should be written.
    """
    effect = EFFECTS.get(command.command_name)
    if effect is None:
        raise DomainError(
            ErrorCode.INVALID,
            f"'{command.command_name}' is not a known command. Update the app.",
            {"command": command.command_name},
        )
    return effect(command, Context(lookup, now, user))


def plan_command(command: CommandArgs, lookup: Lookup, *, now: datetime, user: User) -> Plan:
    """`optimistic_effects` plus the outbox ``base_version``: the ``version`` of the
    edited entity as the UI sees it (None for things the command creates)."""
    edited = lookup(command.entity_kind, command.entity_id())
    version = None if edited is None else edited.get("version")
    base = version if isinstance(version, int) and not isinstance(version, bool) else None
    effects = optimistic_effects(command, lookup, now=now, user=user)
    return Plan(tuple(effects), base)
