"""Customer command handlers: the customer's half of the marketplace.

Registered in the SAME registry as the pro commands (`marketplace.commands.handler`),
so they get the same idempotency, transactions and error bodies. Every handler is
allowed for role ``customer`` only and loads objects through `marketplace.authz`, which
scopes a customer to their own requests and jobs (anything else answers 404).

Deadlines and refusals come from the shared domain (`proapp.domain.rules` and
`proapp.domain.states`); nothing here re-implements a rule.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.authz import load_estimate, load_job, load_request, load_visit, not_found
from marketplace.commands import CommandContext, handler
from marketplace.customer.args import (
    EstimateAcceptArgs,
    EstimateDeclineArgs,
    JobCancelArgs,
    JobRescheduleArgs,
    MessageCreateArgs,
    RequestCreateArgs,
    ReviewCreateArgs,
    ServiceBuyArgs,
    VisitDecisionArgs,
    WindowsChooseArgs,
)
from marketplace.serialize import (
    active_appointment,
    assigned_technician_ids,
    estimate_model,
    job_model,
    message_model,
    request_model,
    review_model,
    visit_model,
)
from proapp.domain import (
    AppointmentStatus,
    DomainError,
    ErrorCode,
    EstimateStatus,
    JobOrigin,
    JobStatus,
    LineItemKind,
    LocationType,
    MessageAuthorRole,
    RequestStatus,
    Role,
    TimeWindow,
    VisitStatus,
    ensure_can_review,
    ensure_customer_can_reschedule_or_cancel,
    ensure_preferred_windows,
    estimate_due_at,
    estimate_window_closes_at,
    format_local,
    new_id,
    window_confirmation_due_at,
)
from proapp.domain.states import EntityKind, ensure_transition

__all__ = ["CUSTOMER_ONLY", "review_model"]

CUSTOMER_ONLY: Final = frozenset({Role.CUSTOMER})


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


def _customer(ctx: CommandContext) -> orm.User:
    return ctx.session.get_one(orm.User, ctx.actor.user_id)


def _ensure_new_id(session: Session, table: type[orm.Base], ident: str, what: str) -> None:
    # Client-chosen ids must not collide with an existing row (someone else's or ours).
    if session.get(table, ident) is not None:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"A {what} with id {ident} already exists. Use a new id for a new {what}.",
            {"kind": what, "id": ident},
        )


def _replace_preferred_windows(session: Session, job_id: str, windows: list[TimeWindow]) -> None:
    session.execute(delete(orm.PreferredWindow).where(orm.PreferredWindow.job_id == job_id))
    for position, window in enumerate(sorted(windows, key=lambda w: w.start)):
        session.add(
            orm.PreferredWindow(
                id=new_id(), job_id=job_id, position=position,
                start_at=window.start, end_at=window.end,
            )
        )


def _touch_job(ctx: CommandContext, job: orm.Job) -> None:
    job.version += 1
    job.updated_at = ctx.now
    ctx.changed(job.business_id, "job", job.id)


def _job_result(ctx: CommandContext, job: orm.Job) -> dict[str, Any]:
    ctx.session.flush()
    return _json(job_model(ctx.session, job))


def _address_json(address: Any) -> dict[str, Any] | None:
    return None if address is None else _json(address)


# --------------------------------------------------------------------------- buy, request


@handler("customer.service.buy", args_model=ServiceBuyArgs, roles=CUSTOMER_ONLY,
         success_status=201)
def buy_service(ctx: CommandContext, args: ServiceBuyArgs) -> dict[str, Any]:
    """Buy a packaged service (R1): a job PENDING_SCHEDULE at the upfront price.

    The pro must confirm a window within 1 business day of the order (R6); the phone is
    shared with the pro only if the customer asks (R10).
    """
    service = ctx.session.get(orm.PackagedService, args.service_id)
    if service is None or not service.active:
        raise not_found("service", args.service_id)
    business = ctx.session.get_one(orm.Business, service.business_id)
    # R12: a packaged service is sold for one kind of location (it is in its title).
    location = args.location_type or LocationType(service.location_type)
    if location.value != service.location_type:
        raise DomainError(
            ErrorCode.INVALID,
            f"'{service.title}' takes place {service.location_type.replace('_', ' ').lower()}"
            f", not {location.value.replace('_', ' ').lower()}. Pick the matching service.",
            {"service_location_type": service.location_type},
        )
    if location is LocationType.IN_HOME and args.address is None:
        raise DomainError(
            ErrorCode.INVALID,
            "This service takes place in your home. Add the service address and try again.",
            {"field": "address"},
        )
    job_id = args.job_id or new_id()
    _ensure_new_id(ctx.session, orm.Job, job_id, "job")
    customer = _customer(ctx)
    tz = args.time_zone or business.time_zone
    scope = service.description if not args.notes else f"{service.description}\n\n{args.notes}"
    job = orm.Job(
        id=job_id,
        business_id=business.id,
        customer_id=customer.id,
        origin=JobOrigin.PACKAGED.value,
        service_id=service.id,
        title=service.title,
        scope=scope.strip(),
        whats_included=list(service.whats_included),
        # One line at the upfront price, so a change order (R8) can replace or add to it.
        line_items=[{
            "id": new_id(), "kind": LineItemKind.LABOR.value,
            "description": service.title[:200], "quantity": 1,
            "unit_price_cents": service.price_cents,
        }],
        location_type=location.value,
        address=_address_json(args.address),
        time_zone=tz,
        customer_name=customer.name,
        customer_phone=customer.phone if args.share_phone else None,
        status=JobStatus.PENDING_SCHEDULE.value,
        ordered_at=ctx.now,
        price_cents=service.price_cents,
        window_confirmation_due_at=window_confirmation_due_at(ctx.now, tz),
        version=1,
        updated_at=ctx.now,
    )
    ctx.session.add(job)
    ctx.changed(business.id, "job", job.id)
    return _job_result(ctx, job)


@handler("customer.request.create", args_model=RequestCreateArgs, roles=CUSTOMER_ONLY,
         success_status=201)
def create_request(ctx: CommandContext, args: RequestCreateArgs) -> dict[str, Any]:
    """Send a custom request (R1) to a business; its deadlines come from R2."""
    business = ctx.session.get(orm.Business, args.business_id)
    if business is None:
        raise not_found("business", args.business_id)
    request_id = args.request_id or new_id()
    _ensure_new_id(ctx.session, orm.CustomRequest, request_id, "request")
    for sha in args.site_photo_hashes:
        uploaded = ctx.session.get(orm.BlobUpload, (sha, ctx.actor.user_id))
        if uploaded is None:
            raise DomainError(
                ErrorCode.INVALID,
                f"Photo {sha[:12]}... has not been uploaded. Upload it first "
                "(PUT /v1/blobs/{sha256}), then send the request again.",
                {"missing_blob": sha},
            )
    customer = _customer(ctx)
    tz = args.time_zone or business.time_zone
    row = orm.CustomRequest(
        id=request_id,
        business_id=business.id,
        customer_id=customer.id,
        title=args.title.strip(),
        description=args.description,
        dimensions=args.dimensions,
        product_info=args.product_info,
        location_type=args.location_type.value,
        address=_address_json(args.address),
        time_zone=tz,
        customer_phone=customer.phone if args.share_phone else None,
        status=RequestStatus.OPEN.value,
        submitted_at=ctx.now,
        estimate_due_at=estimate_due_at(ctx.now, tz),
        closes_at=estimate_window_closes_at(ctx.now, tz),
        version=1,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    for position, sha in enumerate(args.site_photo_hashes):
        ctx.session.add(orm.RequestPhoto(request_id=row.id, blob_sha256=sha, position=position))
    ctx.changed(business.id, "request", row.id)
    ctx.session.flush()
    return _json(request_model(ctx.session, row))


# --------------------------------------------------------------------------- windows


@handler("customer.windows.choose", args_model=WindowsChooseArgs, roles=CUSTOMER_ONLY)
def choose_windows(ctx: CommandContext, args: WindowsChooseArgs) -> dict[str, Any]:
    """R6: pick exactly 3 preferred arrival windows while the job waits for scheduling."""
    job = load_job(ctx.session, ctx.actor, args.job_id, for_update=True)
    if job.status == JobStatus.CANCELLED.value:
        raise DomainError(
            ErrorCode.JOB_CANCELLED,
            "This job was cancelled, so it has no arrival windows. Buy or book again.",
            {"job_id": job.id},
        )
    if job.status != JobStatus.PENDING_SCHEDULE.value:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"This job is {job.status}: its arrival window is already set. To move it, "
            "reschedule (up to 24 hours before the window).",
            {"job_id": job.id, "status": job.status},
        )
    ensure_preferred_windows(args.windows, ctx.now)
    _replace_preferred_windows(ctx.session, job.id, args.windows)
    _touch_job(ctx, job)
    return _job_result(ctx, job)


@handler("customer.appointment.reschedule", args_model=JobRescheduleArgs, roles=CUSTOMER_ONLY)
def reschedule(ctx: CommandContext, args: JobRescheduleArgs) -> dict[str, Any]:
    """R7: up to 24 h before the window, give 3 new preferred windows (R6).

    The confirmed appointment is cancelled and the job goes back to PENDING_SCHEDULE;
    the pro confirms a new window within 1 business day of the change.
    """
    job = load_job(ctx.session, ctx.actor, args.job_id, for_update=True)
    appointment = active_appointment(ctx.session, job.id)
    if job.status == JobStatus.CANCELLED.value:
        raise DomainError(
            ErrorCode.JOB_CANCELLED,
            "This job was cancelled and cannot be rescheduled. Buy or book again.",
            {"job_id": job.id},
        )
    if job.status == JobStatus.PENDING_SCHEDULE.value:
        pass  # no window yet: new preferences simply replace the old ones
    else:
        ensure_transition(EntityKind.JOB, job.status, JobStatus.PENDING_SCHEDULE.value)
        if appointment is not None:
            ensure_customer_can_reschedule_or_cancel(appointment.start_at, ctx.now)
    ensure_preferred_windows(args.windows, ctx.now)
    if appointment is not None and appointment.status == AppointmentStatus.ACTIVE.value:
        ensure_transition(EntityKind.APPOINTMENT, appointment.status,
                          AppointmentStatus.CANCELLED.value)
        appointment.status = AppointmentStatus.CANCELLED.value
        appointment.reschedule_reason = "APPOINTMENT_REQUESTED_BY_CUSTOMER"
        appointment.reschedule_note = args.reason
    if job.status != JobStatus.PENDING_SCHEDULE.value:
        # A confirmed window was given up: the pro gets 1 business day from this change
        # to confirm a new one (R6). Before any confirmation the order's deadline stands.
        job.window_confirmation_due_at = window_confirmation_due_at(ctx.now, job.time_zone)
    job.status = JobStatus.PENDING_SCHEDULE.value
    _replace_preferred_windows(ctx.session, job.id, args.windows)
    _touch_job(ctx, job)
    return _job_result(ctx, job)


@handler("customer.job.cancel", args_model=JobCancelArgs, roles=CUSTOMER_ONLY)
def cancel_job(ctx: CommandContext, args: JobCancelArgs) -> dict[str, Any]:
    """R7: cancel up to 24 h before the window (later: support only). After this, pro
    commands on the job answer ``job_cancelled``."""
    job = load_job(ctx.session, ctx.actor, args.job_id, for_update=True)
    ensure_transition(EntityKind.JOB, job.status, JobStatus.CANCELLED.value)
    appointment = active_appointment(ctx.session, job.id)
    if appointment is not None and job.status != JobStatus.PENDING_SCHEDULE.value:
        ensure_customer_can_reschedule_or_cancel(appointment.start_at, ctx.now)
    if appointment is not None and appointment.status == AppointmentStatus.ACTIVE.value:
        appointment.status = AppointmentStatus.CANCELLED.value
        appointment.reschedule_note = args.reason
    job.status = JobStatus.CANCELLED.value
    if args.reason.strip():
        # The pro learns why through the job's message thread (R10).
        _add_message(ctx, job.business_id, f"Cancelled: {args.reason.strip()}", job_id=job.id)
    _touch_job(ctx, job)
    return _job_result(ctx, job)


# --------------------------------------------------------------------------- visits


def _decide_visit(ctx: CommandContext, visit_id: str, to: VisitStatus) -> dict[str, Any]:
    visit = load_visit(ctx.session, ctx.actor, visit_id)
    ensure_transition(EntityKind.VISIT, visit.status, to.value)
    visit.status = to.value
    visit.decided_at = ctx.now
    if to is VisitStatus.ACCEPTED:
        # R4/R5: the trip charge becomes billable only because this happens in advance.
        visit.accepted_at = ctx.now
    visit.version += 1
    ctx.changed(visit.business_id, "visit", visit.id)
    ctx.session.flush()
    return _json(visit_model(visit))


@handler("customer.visit.accept", args_model=VisitDecisionArgs, roles=CUSTOMER_ONLY)
def accept_visit(ctx: CommandContext, args: VisitDecisionArgs) -> dict[str, Any]:
    """R4: accept an on-site visit and its stated price before the trip (R5)."""
    return _decide_visit(ctx, args.visit_id, VisitStatus.ACCEPTED)


@handler("customer.visit.decline", args_model=VisitDecisionArgs, roles=CUSTOMER_ONLY)
def decline_visit(ctx: CommandContext, args: VisitDecisionArgs) -> dict[str, Any]:
    """R4: decline a visit proposal; no visit, no trip charge."""
    return _decide_visit(ctx, args.visit_id, VisitStatus.DECLINED)


# --------------------------------------------------------------------------- estimates


@handler("customer.estimate.accept", args_model=EstimateAcceptArgs, roles=CUSTOMER_ONLY,
         success_status=201)
def accept_estimate(ctx: CommandContext, args: EstimateAcceptArgs) -> dict[str, Any]:
    """Book the pro of an estimate: a job (origin ESTIMATE) at the estimate's total.

    The request becomes BOOKED and every other estimate still open for it DECLINED.
    The customer then chooses 3 windows (R6).
    """
    estimate = load_estimate(ctx.session, ctx.actor, args.estimate_id, for_update=True)
    ensure_transition(EntityKind.ESTIMATE, estimate.status, EstimateStatus.ACCEPTED.value)
    request = load_request(ctx.session, ctx.actor, estimate.request_id, for_update=True)
    if estimate.valid_until is not None and ctx.now > estimate.valid_until:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "This estimate was valid until "
            f"{format_local(estimate.valid_until, request.time_zone)}. Ask the pro for a "
            "new one by message.",
            {"estimate_id": estimate.id, "valid_until": estimate.valid_until.isoformat()},
        )
    # R2: an estimate sent in time may be booked even after the request closed.
    ensure_transition(EntityKind.REQUEST, request.status, RequestStatus.BOOKED.value)
    job_id = args.job_id or new_id()
    _ensure_new_id(ctx.session, orm.Job, job_id, "job")
    customer = _customer(ctx)

    estimate.status = EstimateStatus.ACCEPTED.value
    estimate.decided_at = ctx.now
    estimate.version += 1
    ctx.changed(estimate.business_id, "estimate", estimate.id)
    others = ctx.session.scalars(
        select(orm.Estimate).where(
            orm.Estimate.request_id == request.id,
            orm.Estimate.id != estimate.id,
            orm.Estimate.status == EstimateStatus.SUBMITTED.value,
        )
    ).all()
    for other in others:
        other.status = EstimateStatus.DECLINED.value
        other.decided_at = ctx.now
        other.version += 1
        ctx.changed(other.business_id, "estimate", other.id)
    request.status = RequestStatus.BOOKED.value
    request.version += 1
    request.updated_at = ctx.now
    ctx.changed(request.business_id, "request", request.id)

    tz = request.time_zone
    job = orm.Job(
        id=job_id,
        business_id=estimate.business_id,
        customer_id=customer.id,
        origin=JobOrigin.ESTIMATE.value,
        estimate_id=estimate.id,
        request_id=request.id,
        title=request.title,
        scope="\n\n".join(part for part in (request.description, estimate.notes) if part),
        whats_included=[],
        line_items=list(estimate.line_items),
        location_type=request.location_type,
        address=request.address,
        time_zone=tz,
        customer_name=customer.name,
        customer_phone=customer.phone if args.share_phone else request.customer_phone,
        status=JobStatus.PENDING_SCHEDULE.value,
        ordered_at=ctx.now,
        price_cents=estimate.total_cents,
        window_confirmation_due_at=window_confirmation_due_at(ctx.now, tz),
        version=1,
        updated_at=ctx.now,
    )
    ctx.session.add(job)
    if estimate.technician_id is not None:
        # The pro who estimated is the natural first assignee; staff can change it.
        ctx.session.add(orm.JobAssignment(
            job_id=job.id, user_id=estimate.technician_id, position=0,
            assigned_at=ctx.now, assigned_by=estimate.created_by,
        ))
    ctx.changed(job.business_id, "job", job.id)
    return _job_result(ctx, job)


@handler("customer.estimate.decline", args_model=EstimateDeclineArgs, roles=CUSTOMER_ONLY)
def decline_estimate(ctx: CommandContext, args: EstimateDeclineArgs) -> dict[str, Any]:
    """R3: no obligation; the estimate becomes DECLINED, the request stays as it is."""
    estimate = load_estimate(ctx.session, ctx.actor, args.estimate_id, for_update=True)
    ensure_transition(EntityKind.ESTIMATE, estimate.status, EstimateStatus.DECLINED.value)
    estimate.status = EstimateStatus.DECLINED.value
    estimate.decided_at = ctx.now
    estimate.version += 1
    ctx.changed(estimate.business_id, "estimate", estimate.id)
    ctx.session.flush()
    return _json(estimate_model(estimate))


# --------------------------------------------------------------------------- talk, reviews


def _add_message(
    ctx: CommandContext,
    business_id: str,
    body: str,
    *,
    job_id: str | None = None,
    request_id: str | None = None,
    message_id: str | None = None,
) -> orm.Message:
    message = orm.Message(
        id=message_id or new_id(), business_id=business_id, job_id=job_id,
        request_id=request_id, author_id=ctx.actor.user_id,
        author_role=MessageAuthorRole.CUSTOMER.value, body=body, sent_at=ctx.now,
    )
    ctx.session.add(message)
    ctx.session.flush()
    ctx.changed(business_id, "message", message.id)
    return message


@handler("customer.message.send", args_model=MessageCreateArgs, roles=CUSTOMER_ONLY,
         success_status=201)
def send_message(ctx: CommandContext, args: MessageCreateArgs) -> dict[str, Any]:
    """R10: customer and pro talk only through the marketplace."""
    if args.job_id is not None:
        business_id = load_job(ctx.session, ctx.actor, args.job_id).business_id
    else:
        assert args.request_id is not None  # guaranteed by MessageCreateArgs
        business_id = load_request(ctx.session, ctx.actor, args.request_id).business_id
    message_id = args.message_id or new_id()
    _ensure_new_id(ctx.session, orm.Message, message_id, "message")
    message = _add_message(
        ctx, business_id, args.body.strip(), job_id=args.job_id, request_id=args.request_id,
        message_id=message_id,
    )
    return _json(message_model(message))


@handler("customer.review.create", args_model=ReviewCreateArgs, roles=CUSTOMER_ONLY,
         success_status=201)
def create_review(ctx: CommandContext, args: ReviewCreateArgs) -> dict[str, Any]:
    """R11: one review per COMPLETED job, within 90 days of the order."""
    job = load_job(ctx.session, ctx.actor, args.job_id)
    if job.status != JobStatus.COMPLETED.value:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"This job is {job.status}. You can review it once the work is completed.",
            {"job_id": job.id, "status": job.status},
        )
    ensure_can_review(job.ordered_at, ctx.now)
    existing = ctx.session.scalars(
        select(orm.Review).where(orm.Review.job_id == job.id)
    ).one_or_none()
    if existing is not None:
        raise DomainError(
            ErrorCode.CONFLICT,
            "You already reviewed this job; each job takes one review.",
            {"job_id": job.id, "review_id": existing.id},
        )
    review_id = args.review_id or new_id()
    _ensure_new_id(ctx.session, orm.Review, review_id, "review")
    technicians = assigned_technician_ids(ctx.session, job.id)
    review = orm.Review(
        id=review_id, job_id=job.id, business_id=job.business_id,
        customer_id=ctx.actor.user_id, technician_id=technicians[0] if technicians else None,
        rating=args.rating, comment=args.comment.strip(), created_at=ctx.now,
    )
    ctx.session.add(review)
    ctx.session.flush()
    ctx.changed(job.business_id, "review", review.id)
    return _json(review_model(review))
