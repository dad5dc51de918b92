"""Pro command handlers: one function per command of `proapp.domain.PRO_COMMANDS`.

Each handler loads what it edits *scoped to the actor* (another business's objects are
404), checks roles (403), enforces the business rules through `proapp.domain.rules`,
`proapp.domain.states` and `proapp.domain.signing` (never re-implemented here), writes,
bumps versions, records changes for the sync feed, and returns the changed thing as
JSON. The framework (`marketplace.commands.framework`) wraps each call in a savepoint
and stores the outcome under the idempotency key.

The payments ledger is written in exactly one place: `complete_job` (R9).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select

from marketplace import orm
from marketplace.authz import (
    Actor,
    load_estimate,
    load_job,
    load_request,
    not_found,
    require_roles,
)
from marketplace.commands.framework import CommandContext, handler
from marketplace.serialize import (
    active_appointment,
    assigned_technician_ids,
    change_order_model,
    estimate_model,
    job_model,
    ledger_entry_model,
    photo_model,
    request_model,
    trip_charges,
    visit_model,
)
from proapp.domain import (
    STAFF_ROLES,
    AppointmentRescheduleArgs,
    AppointmentStatus,
    ChangeOrderCreateArgs,
    ChangeOrderStatus,
    DomainError,
    ErrorCode,
    EstimateStatus,
    EstimateSubmitArgs,
    EstimateWithdrawArgs,
    Job,
    JobAssignArgs,
    JobCompleteArgs,
    JobReportDefectiveArgs,
    JobStartArgs,
    JobStatus,
    LedgerEntryKind,
    LineItem,
    Message,
    MessageAuthorRole,
    MessageSendArgs,
    PhotoAttachArgs,
    PhotoTargetKind,
    Role,
    SignatureRecord,
    TimeWindow,
    VisitProposeArgs,
    VisitStatus,
    WindowConfirmArgs,
    WindowProposeArgs,
    lines_total,
    rules,
    signing,
)
from proapp.domain.states import EntityKind, ensure_transition

__all__: list[str] = []


# --------------------------------------------------------------------------- helpers


def _conflict_existing(kind: str, ident: str) -> DomainError:
    return DomainError(
        ErrorCode.CONFLICT,
        f"A {kind} with id {ident} already exists. Create new things with a new id; "
        "to retry the same action, resend it with the same Idempotency-Key.",
        {"kind": kind, "id": ident},
    )


def _ensure_blobs_exist(ctx: CommandContext, hashes: list[str]) -> None:
    """Mutations reference blobs by hash; they must be uploaded first (DESIGN.md 4)."""
    if not hashes:
        return
    found = set(
        ctx.session.scalars(select(orm.Blob.sha256).where(orm.Blob.sha256.in_(hashes))).all()
    )
    missing = sorted(set(hashes) - found)
    if missing:
        raise DomainError(
            ErrorCode.INVALID,
            "A photo or signature image has not been uploaded yet. Upload it first "
            "(PUT /v1/blobs/{sha256}), then send this again.",
            {"missing_blobs": missing},
        )


def _job_for_command(ctx: CommandContext, job_id: str) -> tuple[orm.Job, Job]:
    """The job, locked, visible to the actor, not cancelled, at the client's base version.

    Cancellation is checked before the version: a customer's cancellation is what moved
    the version under a pro who worked offline, and ``job_cancelled`` tells them why,
    where ``stale_base`` would only say that something changed.
    """
    job = load_job(ctx.session, ctx.actor, job_id, for_update=True)
    model = job_model(ctx.session, job)
    rules.ensure_job_not_cancelled(model)
    ctx.ensure_base_version("job", job.version)
    return job, model


def _ensure_works_on_job(ctx: CommandContext, job: orm.Job, action: str) -> None:
    """Field work (start, change orders, completion): an assigned technician, or staff
    recording it on the technician's behalf. A technician who merely sees an
    unassigned job (business setting) must be assigned first."""
    actor = ctx.actor
    if actor.is_staff:
        return
    if actor.role is Role.TECHNICIAN and actor.user_id in assigned_technician_ids(
        ctx.session, job.id
    ):
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        f"Only a technician assigned to this job can {action}. Ask your dispatcher to "
        "assign you first.",
        {"job_id": job.id},
    )


def _touch_job(ctx: CommandContext, job: orm.Job) -> dict[str, Any]:
    job.version += 1
    job.updated_at = ctx.now
    ctx.changed(job.business_id, "job", job.id)
    ctx.session.flush()
    return job_model(ctx.session, job).model_dump(mode="json")


def _set_job_status(job: orm.Job, to_status: JobStatus) -> None:
    ensure_transition(EntityKind.JOB, job.status, to_status.value)
    job.status = to_status.value


def _job_lines(job: orm.Job) -> list[LineItem]:
    return [LineItem.model_validate(line) for line in job.line_items]


def _ensure_signer_is_actor(actor: Actor, signature: SignatureRecord) -> None:
    # The record names the pro who took the signature (DESIGN.md 5); it must be the
    # signed-in pro, or the audit trail would lie.
    if signature.pro_user_id != actor.user_id:
        raise DomainError(
            ErrorCode.INVALID,
            "The signature names a different pro than the one signed in. Take the "
            "signature again on this account.",
            {"pro_user_id": signature.pro_user_id},
        )


def _store_signature(
    ctx: CommandContext, job: orm.Job, purpose: str, record: SignatureRecord,
    content: dict[str, Any],
) -> orm.Signature:
    row = orm.Signature(
        id=str(uuid.uuid4()), business_id=job.business_id, job_id=job.id, purpose=purpose,
        signer_name=record.signer_name,
        strokes=[[list(point) for point in stroke] for stroke in record.strokes],
        png_sha256=record.png_sha256, device_signed_at=record.device_signed_at,
        server_received_at=ctx.now, consent_text=record.consent_text,
        pro_user_id=record.pro_user_id, device_id=record.device_id,
        location=record.location.model_dump(mode="json") if record.location else None,
        content=content, content_sha256=signing.content_sha256(content),
    )
    ctx.session.add(row)
    return row


def _new_appointment(
    ctx: CommandContext, job: orm.Job, window: TimeWindow, *,
    reason: str | None = None, note: str = "", previous: str | None = None,
) -> orm.Appointment:
    row = orm.Appointment(
        id=str(uuid.uuid4()), job_id=job.id, start_at=window.start, end_at=window.end,
        status=AppointmentStatus.ACTIVE.value, reschedule_reason=reason, reschedule_note=note,
        previous_appointment_id=previous, created_by=ctx.actor.user_id, created_at=ctx.now,
    )
    ctx.session.add(row)
    return row


def _trip_charge(ctx: CommandContext, job: orm.Job) -> tuple[int, str | None]:
    """R5: the billable trip charge of the visit behind this job's request, if any (the
    same figure the job carries as ``trip_charge_cents``)."""
    return trip_charges(ctx.session, [job]).get(job.id, (0, None))


# --------------------------------------------------------------------------- estimates (R2-R4)


@handler("estimate.submit", success_status=201)
def submit_estimate(ctx: CommandContext, args: EstimateSubmitArgs) -> dict[str, Any]:
    """Send an estimate for an OPEN request of the actor's business (R2, R3)."""
    request = load_request(ctx.session, ctx.actor, args.request_id, for_update=True)
    if ctx.session.get(orm.Estimate, args.estimate_id) is not None:
        raise _conflict_existing("estimate", args.estimate_id)
    rules.ensure_estimate_window_open(request_model(ctx.session, request), ctx.now)
    _ensure_blobs_exist(ctx, args.blob_hashes())
    ensure_transition(EntityKind.ESTIMATE, EstimateStatus.DRAFT, EstimateStatus.SUBMITTED)
    row = orm.Estimate(
        id=args.estimate_id, request_id=request.id, business_id=request.business_id,
        technician_id=ctx.actor.user_id if ctx.actor.role is Role.TECHNICIAN else None,
        created_by=ctx.actor.user_id,
        line_items=[line.model_dump(mode="json") for line in args.line_items],
        total_cents=lines_total(list(args.line_items)),
        parts_supplier=args.parts_supplier.value, notes=args.notes,
        photo_hashes=list(args.photo_hashes),
        valid_until=rules.estimate_valid_until(ctx.now, args.valid_days),
        status=EstimateStatus.SUBMITTED.value, submitted_at=ctx.now, version=1,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.changed(row.business_id, "estimate", row.id)
    return estimate_model(row).model_dump(mode="json")


@handler("estimate.withdraw")
def withdraw_estimate(ctx: CommandContext, args: EstimateWithdrawArgs) -> dict[str, Any]:
    """Withdraw a sent estimate before the customer decides (R3)."""
    row = load_estimate(ctx.session, ctx.actor, args.estimate_id, for_update=True)
    ctx.ensure_base_version("estimate", row.version)
    if ctx.actor.role is Role.TECHNICIAN and row.created_by != ctx.actor.user_id:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Only the technician who sent this estimate, or office staff, can withdraw it.",
            {"estimate_id": row.id},
        )
    ensure_transition(EntityKind.ESTIMATE, row.status, EstimateStatus.WITHDRAWN)
    row.status = EstimateStatus.WITHDRAWN.value
    row.withdrawn_at = ctx.now
    row.version += 1
    ctx.changed(row.business_id, "estimate", row.id)
    return estimate_model(row).model_dump(mode="json")


@handler("visit.propose", success_status=201)
def propose_visit(ctx: CommandContext, args: VisitProposeArgs) -> dict[str, Any]:
    """Propose a paid or free on-site visit before estimating (R4)."""
    request = load_request(ctx.session, ctx.actor, args.request_id, for_update=True)
    if ctx.session.get(orm.Visit, args.visit_id) is not None:
        raise _conflict_existing("visit", args.visit_id)
    rules.ensure_estimate_window_open(request_model(ctx.session, request), ctx.now)
    business = ctx.session.get_one(orm.Business, request.business_id)
    # The minimum trip charge is the one of the state where the work is (R4).
    address_state = (request.address or {}).get("state")
    state = address_state if isinstance(address_state, str) else business.state
    rules.ensure_visit_price_allowed(args.price_cents, state)
    row = orm.Visit(
        id=args.visit_id, request_id=request.id, business_id=request.business_id,
        proposed_by=ctx.actor.user_id, price_cents=args.price_cents,
        minimum_trip_charge_cents=rules.minimum_trip_charge_cents(state),
        waiver_terms=args.waiver_terms.value, discount_cents=args.discount_cents,
        note=args.note, status=VisitStatus.PROPOSED.value, proposed_at=ctx.now, version=1,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.changed(row.business_id, "visit", row.id)
    return visit_model(row).model_dump(mode="json")


# --------------------------------------------------------------------------- scheduling (R6, R7)


def _ensure_schedules_job(ctx: CommandContext, job: orm.Job) -> None:
    # Office staff schedule; a technician may confirm windows of their own jobs.
    if ctx.actor.is_staff or ctx.actor.user_id in assigned_technician_ids(ctx.session, job.id):
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "Only office staff or a technician assigned to this job can schedule it.",
        {"job_id": job.id},
    )


@handler("window.confirm")
def confirm_window(ctx: CommandContext, args: WindowConfirmArgs) -> dict[str, Any]:
    """Confirm one of the customer's preferred arrival windows (R6)."""
    job, model = _job_for_command(ctx, args.job_id)
    _ensure_schedules_job(ctx, job)
    offered = rules.ensure_window_offered(model, args.preferred_window_id)
    _set_job_status(job, JobStatus.SCHEDULED)
    _new_appointment(ctx, job, offered.window)
    return _touch_job(ctx, job)


@handler("window.propose")
def propose_window(ctx: CommandContext, args: WindowProposeArgs) -> dict[str, Any]:
    """Propose another arrival window and confirm it (R6)."""
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_schedules_job(ctx, job)
    _set_job_status(job, JobStatus.SCHEDULED)
    _new_appointment(ctx, job, args.window, note=args.note)
    return _touch_job(ctx, job)


@handler("appointment.reschedule")
def reschedule_appointment(ctx: CommandContext, args: AppointmentRescheduleArgs) -> dict[str, Any]:
    """A pro moves a confirmed appointment, with a reason code (R7)."""
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_schedules_job(ctx, job)
    current = active_appointment(ctx.session, job.id)
    if job.status != JobStatus.SCHEDULED.value or current is None or (
        current.status != AppointmentStatus.ACTIVE.value
    ):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Only a scheduled job can be rescheduled; this one is {job.status}. "
            "Refresh the job to see its current state.",
            {"job_id": job.id, "status": job.status},
        )
    ensure_transition(EntityKind.APPOINTMENT, current.status, AppointmentStatus.CANCELLED)
    current.status = AppointmentStatus.CANCELLED.value
    ctx.session.flush()
    _new_appointment(
        ctx, job, args.window, reason=args.reason_code.value, note=args.note,
        previous=current.id,
    )
    return _touch_job(ctx, job)


@handler("job.assign")
def assign_job(ctx: CommandContext, args: JobAssignArgs) -> dict[str, Any]:
    """Assign 1 to 5 technicians of the business to a job (staff only). Replaces the
    previous assignment."""
    require_roles(ctx.actor, STAFF_ROLES, "assign technicians")
    job, _ = _job_for_command(ctx, args.job_id)
    if job.status in (JobStatus.COMPLETED.value, JobStatus.NOT_SERVICED.value):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"This job is {job.status}; technicians can no longer be assigned.",
            {"job_id": job.id, "status": job.status},
        )
    technicians = ctx.session.scalars(
        select(orm.User.id).where(
            orm.User.id.in_(args.technician_ids),
            orm.User.business_id == job.business_id,
            orm.User.role == Role.TECHNICIAN.value,
            orm.User.active.is_(True),
        )
    ).all()
    unknown = sorted(set(args.technician_ids) - set(technicians))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID,
            "Some of the chosen people are not technicians of your business. Pick "
            "technicians from your team list.",
            {"technician_ids": unknown},
        )
    ctx.session.execute(delete(orm.JobAssignment).where(orm.JobAssignment.job_id == job.id))
    for position, technician_id in enumerate(args.technician_ids):
        ctx.session.add(
            orm.JobAssignment(
                job_id=job.id, user_id=technician_id, position=position,
                assigned_at=ctx.now, assigned_by=ctx.actor.user_id,
            )
        )
    ctx.session.flush()
    return _touch_job(ctx, job)


# ------------------------------------------------------------------ field work (R5, R8, R9)


@handler("job.start")
def start_job(ctx: CommandContext, args: JobStartArgs) -> dict[str, Any]:
    """The assigned technician arrived and starts work (SCHEDULED -> IN_PROGRESS)."""
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_works_on_job(ctx, job, "start it")
    _set_job_status(job, JobStatus.IN_PROGRESS)
    return _touch_job(ctx, job)


@handler("change_order.create", success_status=201)
def create_change_order(ctx: CommandContext, args: ChangeOrderCreateArgs) -> dict[str, Any]:
    """Record a change order the customer verified and signed on the pro's device (R8).

    The server rebuilds the signed content from the job's CURRENT lines and the args;
    if the customer signed anything else, ``signature_mismatch``.
    """
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_works_on_job(ctx, job, "create a change order")
    if ctx.session.get(orm.ChangeOrder, args.change_order_id) is not None:
        raise _conflict_existing("change order", args.change_order_id)
    if job.status != JobStatus.IN_PROGRESS.value:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"Change orders are made while the job is in progress; this job is "
            f"{job.status}. Start the job first.",
            {"job_id": job.id, "status": job.status},
        )
    _ensure_signer_is_actor(ctx.actor, args.signature)
    _ensure_blobs_exist(ctx, args.blob_hashes())
    original = _job_lines(job)
    content = signing.change_order_signed_content(
        change_order_id=args.change_order_id, job_id=job.id, reason=args.reason,
        original_lines=original, added_lines=args.added_lines,
        removed_line_ids=args.removed_line_ids,
    )
    signing.ensure_signature_matches(args.signature, content)
    signature = _store_signature(ctx, job, "change_order", args.signature, content)
    delta = int(content["delta_cents"])
    if job.price_cents + delta < 0:
        raise DomainError(
            ErrorCode.INVALID,
            "This change order would make the job's price negative. Check the lines.",
            {"price_cents": job.price_cents, "delta_cents": delta},
        )
    ctx.session.flush()
    row = orm.ChangeOrder(
        id=args.change_order_id, job_id=job.id, business_id=job.business_id,
        reason=args.reason, added_lines=[line.model_dump(mode="json") for line in args.added_lines],
        removed_line_ids=sorted(set(args.removed_line_ids)),
        original_total_cents=int(content["original_total_cents"]),
        new_total_cents=int(content["new_total_cents"]), photo_hashes=list(args.photo_hashes),
        signature_id=signature.id, status=ChangeOrderStatus.SIGNED.value,
        created_by=ctx.actor.user_id, created_at=ctx.now,
    )
    ctx.session.add(row)
    removed = set(args.removed_line_ids)
    job.line_items = [
        *(line.model_dump(mode="json") for line in original if line.id not in removed),
        *(line.model_dump(mode="json") for line in args.added_lines),
    ]
    job.price_cents += delta
    ctx.session.flush()
    ctx.changed(job.business_id, "change_order", row.id)
    _touch_job(ctx, job)
    return change_order_model(ctx.session, row).model_dump(mode="json")


def completion_total_cents(ctx: CommandContext, job: orm.Job) -> tuple[int, dict[str, Any]]:
    """R9 + R5: what completing ``job`` charges, with its breakdown.

    The job's price already includes every signed change order (each one moves
    ``price_cents`` by its delta); a trip charge is added only when billable (R5).
    """
    trip, visit_id = _trip_charge(ctx, job)
    deltas = sum(
        co.new_total_cents - co.original_total_cents
        for co in ctx.session.scalars(
            select(orm.ChangeOrder).where(
                orm.ChangeOrder.job_id == job.id,
                orm.ChangeOrder.status == ChangeOrderStatus.SIGNED.value,
            )
        ).all()
    )
    total = job.price_cents + trip
    return total, {
        "job_price_cents": job.price_cents - deltas,
        "change_orders_delta_cents": deltas,
        "trip_charge_cents": trip,
        "trip_visit_id": visit_id,
        "total_cents": total,
    }


@handler("job.complete")
def complete_job(ctx: CommandContext, args: JobCompleteArgs) -> dict[str, Any]:
    """The customer signed that the job is complete (R9): verify the signature against
    the server-computed completion content, then record exactly ONE ledger charge.

    This is the only code path that writes `orm.LedgerEntry`.
    """
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_works_on_job(ctx, job, "complete it")
    _set_job_status(job, JobStatus.COMPLETED)
    _ensure_signer_is_actor(ctx.actor, args.signature)
    _ensure_blobs_exist(ctx, args.blob_hashes())
    total, breakdown = completion_total_cents(ctx, job)
    content = signing.completion_signed_content(
        job_id=job.id, summary=args.summary, total_cents=total, line_items=_job_lines(job)
    )
    signing.ensure_signature_matches(args.signature, content)
    signature = _store_signature(ctx, job, "completion", args.signature, content)
    ctx.session.flush()
    charge: orm.LedgerEntry | None = None
    existing = ctx.session.scalars(
        select(orm.LedgerEntry.id).where(
            orm.LedgerEntry.job_id == job.id, orm.LedgerEntry.kind == LedgerEntryKind.CHARGE.value
        )
    ).first()
    if existing is not None:  # pragma: no cover - the state machine already forbids this
        raise DomainError(ErrorCode.CONFLICT, "This job was already charged.", {"job_id": job.id})
    if total > 0:  # a free job charges nothing
        charge = orm.LedgerEntry(
            id=str(uuid.uuid4()), business_id=job.business_id, job_id=job.id,
            kind=LedgerEntryKind.CHARGE.value, amount_cents=total, breakdown=breakdown,
            signature_id=signature.id,
            signature_sha256=signing.signature_record_sha256(args.signature),
            created_at=ctx.now,
        )
        ctx.session.add(charge)
    appointment = active_appointment(ctx.session, job.id)
    if appointment is not None and appointment.status == AppointmentStatus.ACTIVE.value:
        ensure_transition(EntityKind.APPOINTMENT, appointment.status, AppointmentStatus.COMPLETED)
        appointment.status = AppointmentStatus.COMPLETED.value
    job.completed_at = ctx.now
    ctx.session.flush()
    if charge is not None:
        ctx.changed(job.business_id, "ledger_entry", charge.id)
    return {
        "job": _touch_job(ctx, job),
        "charge": ledger_entry_model(charge).model_dump(mode="json") if charge else None,
    }


@handler("job.report_defective")
def report_defective(ctx: CommandContext, args: JobReportDefectiveArgs) -> dict[str, Any]:
    """The product is defective, so the service cannot be performed (R5): the job ends
    NOT_SERVICED, no trip charge is billable and nothing is charged."""
    job, _ = _job_for_command(ctx, args.job_id)
    _ensure_works_on_job(ctx, job, "report it")
    _set_job_status(job, JobStatus.NOT_SERVICED)
    _ensure_blobs_exist(ctx, args.blob_hashes())
    job.outcome_note = args.note
    if job.request_id is not None:
        for visit in ctx.session.scalars(
            select(orm.Visit).where(orm.Visit.request_id == job.request_id)
        ).all():
            visit.product_defective = True
            visit.version += 1
            ctx.changed(visit.business_id, "visit", visit.id)
    for photo_hash in args.photo_hashes:
        ctx.session.add(
            orm.Photo(
                id=str(uuid.uuid4()), business_id=job.business_id,
                target_kind=PhotoTargetKind.JOB.value, target_id=job.id,
                blob_sha256=photo_hash, caption=args.note[:500],
                uploaded_by=ctx.actor.user_id, created_at=ctx.now,
            )
        )
    appointment = active_appointment(ctx.session, job.id)
    if appointment is not None and appointment.status == AppointmentStatus.ACTIVE.value:
        # The pro did go there; the appointment happened even though the work did not.
        appointment.status = AppointmentStatus.COMPLETED.value
    return _touch_job(ctx, job)


# --------------------------------------------------------------------------- talk and photos (R10)


@handler("message.send", success_status=201, savepoint=False)
def send_message(ctx: CommandContext, args: MessageSendArgs) -> dict[str, Any]:
    """Send a message about one job or request through the marketplace (R10).

    No savepoint: the only write is the message row, and the one refusal after it (the
    id is taken) is a write that did not happen (``unless_exists``). The row is written
    with one INSERT statement rather than through the session's unit of work: a sync
    push may carry a hundred of these in one transaction.
    """
    if args.job_id is not None:
        business_id = load_job(ctx.session, ctx.actor, args.job_id).business_id
    else:
        assert args.request_id is not None  # the args model guarantees exactly one
        business_id = load_request(ctx.session, ctx.actor, args.request_id).business_id
    values = {
        "id": args.message_id, "business_id": business_id, "job_id": args.job_id,
        "request_id": args.request_id, "author_id": ctx.actor.user_id,
        "author_role": (
            MessageAuthorRole.CUSTOMER if ctx.actor.is_customer else MessageAuthorRole.PRO
        ).value,
        "body": args.body, "sent_at": ctx.now,
    }
    if not ctx.insert_row(orm.Message, values, unless_exists=True):
        raise _conflict_existing("message", args.message_id)
    ctx.changed(business_id, "message", args.message_id)
    # The answer straight from the values written (what `message_model` makes of the
    # row), without building an ORM object only to read it back.
    message = Message.model_validate({
        key: values[key]
        for key in ("id", "job_id", "request_id", "author_id", "author_role", "body", "sent_at")
    })
    return message.model_dump(mode="json")


@handler("photo.attach", success_status=201)
def attach_photo(ctx: CommandContext, args: PhotoAttachArgs) -> dict[str, Any]:
    """Attach an uploaded photo (by hash) to a job, request or estimate."""
    if ctx.session.get(orm.Photo, args.photo_id) is not None:
        raise _conflict_existing("photo", args.photo_id)
    if args.target_kind is PhotoTargetKind.JOB:
        business_id = load_job(ctx.session, ctx.actor, args.target_id).business_id
    elif args.target_kind is PhotoTargetKind.REQUEST:
        business_id = load_request(ctx.session, ctx.actor, args.target_id).business_id
    elif args.target_kind is PhotoTargetKind.ESTIMATE:
        business_id = load_estimate(ctx.session, ctx.actor, args.target_id).business_id
    else:  # pragma: no cover - the enum is closed
        raise not_found(args.target_kind.value, args.target_id)
    _ensure_blobs_exist(ctx, args.blob_hashes())
    row = orm.Photo(
        id=args.photo_id, business_id=business_id, target_kind=args.target_kind.value,
        target_id=args.target_id, blob_sha256=args.blob_hash, caption=args.caption,
        uploaded_by=ctx.actor.user_id, created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.changed(business_id, "photo", row.id)
    return photo_model(row)
