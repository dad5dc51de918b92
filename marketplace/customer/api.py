"""REST endpoints of the customer side, under ``/v1/customer/...``.

Reads list and show the signed-in customer's own things (anything else is 404).
Actions run the customer commands of `marketplace.customer.commands` through the same
`run_command` as the pro side: ``Idempotency-Key`` is required, the same key with the
same body replays the stored answer, the same key with another body answers 422
``idempotency_mismatch``. Every endpoint answers 403 ``forbidden`` to pro roles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy import select

from marketplace import orm
from marketplace.api.commands import IdempotencyKey
from marketplace.api.deps import ActorDep, ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from marketplace.api.paging import paginate
from marketplace.authz import (
    Actor,
    load_estimate,
    load_job,
    load_request,
    load_visit,
    not_found,
    require_roles,
)
from marketplace.commands import run_command
from marketplace.customer.args import MessageCreateArgs, RequestCreateArgs
from marketplace.customer.commands import CUSTOMER_ONLY, review_model
from marketplace.errors import ERROR_RESPONSES
from marketplace.serialize import (
    business_model,
    estimate_model,
    job_model,
    job_models,
    ledger_entry_model,
    message_model,
    request_model,
    service_model,
    visit_model,
)
from proapp.domain import (
    Address,
    CustomRequest,
    Estimate,
    Id,
    Job,
    JobStatus,
    LedgerEntry,
    LocationType,
    Message,
    PackagedService,
    Page,
    Review,
    TimeWindow,
    TimeZoneName,
    VisitProposal,
)
from proapp.domain.models import Business

__all__ = ["router"]

router = APIRouter(prefix="/v1/customer", tags=["customer"], responses=ERROR_RESPONSES)

Limit = Annotated[int | None, Query(ge=1, le=200, description="Page size (default 50)")]
PageToken = Annotated[
    str | None, Query(max_length=500, description="next_page_token of the previous page")
]


def _customer(actor: Actor) -> Actor:
    require_roles(actor, CUSTOMER_ONLY, "use the customer API")
    return actor


def _limit(limit: int | None, settings: SettingsDep) -> int:
    return min(limit or settings.page_size_default, settings.page_size_max)


# --------------------------------------------------------------------------- action bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuyBody(_Body):
    """``POST /v1/customer/services/{service_id}/buy``."""

    job_id: Id | None = None
    share_phone: StrictBool = False
    location_type: LocationType | None = None
    address: Address | None = None
    time_zone: TimeZoneName | None = None
    notes: Annotated[str, Field(max_length=2000)] = ""


class WindowsBody(_Body):
    """Exactly 3 preferred arrival windows (R6)."""

    windows: Annotated[list[TimeWindow], Field(max_length=10)]


class RescheduleBody(WindowsBody):
    """3 new preferred windows and an optional reason (R7)."""

    reason: Annotated[str, Field(max_length=2000)] = ""


class CancelBody(_Body):
    """An optional reason, passed on to the pro as a message (R10)."""

    reason: Annotated[str, Field(max_length=2000)] = ""


class EstimateAcceptBody(_Body):
    """Optionally choose the new job's id and share the phone with the pro (R10)."""

    job_id: Id | None = None
    share_phone: StrictBool = False


class ReviewBody(_Body):
    """A 1-5 rating and a comment (R11)."""

    review_id: Id | None = None
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=4000)] = ""


class ChoiceBody(_Body):
    """No fields (accept/decline needs none); kept so clients may send ``{}``."""


def _run(
    factory: SessionFactoryDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: Actor,
    key: str,
    name: str,
    args: dict[str, Any],
) -> JSONResponse:
    _customer(actor)
    outcome = run_command(factory, actor, name, args, key, settings=settings, clock=clock)
    # Same header as the pro command endpoints (marketplace.api.commands).
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(status_code=outcome.status_code, content=outcome.body, headers=headers)


def _body(model: BaseModel | None, **path: str) -> dict[str, Any]:
    # Only the fields the client sent, so the idempotency fingerprint follows the request.
    sent = {} if model is None else model.model_dump(mode="json", exclude_unset=True)
    return {**sent, **path}


# --------------------------------------------------------------------------- catalogue


@router.get("/services", response_model=Page[PackagedService],
            summary="Packaged services you can buy (R1)")
def list_services(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    business_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[PackagedService]:
    """Every active packaged service of every business, with its "what's included"."""
    _customer(actor)
    stmt = select(orm.PackagedService).where(orm.PackagedService.active.is_(True))
    if business_id is not None:
        stmt = stmt.where(orm.PackagedService.business_id == business_id)
    rows, token = paginate(
        session, stmt, list_name="customer-services", sort_column=orm.PackagedService.created_at,
        id_column=orm.PackagedService.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[PackagedService](items=[service_model(r) for r in rows], next_page_token=token)


@router.get("/businesses", response_model=Page[Business],
            summary="Businesses you can send a custom request to")
def list_businesses(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
) -> Page[Business]:
    """Every pro business of the marketplace (name, time zone, state)."""
    _customer(actor)
    rows, token = paginate(
        session, select(orm.Business), list_name="customer-businesses",
        sort_column=orm.Business.created_at, id_column=orm.Business.id,
        limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Business](items=[business_model(r) for r in rows], next_page_token=token)


@router.post("/services/{service_id}/buy", response_model=Job, status_code=201,
             summary="Buy a packaged service")
def buy_service(
    service_id: str, body: BuyBody, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """A job PENDING_SCHEDULE at the upfront price; choose 3 windows next (R6).
    ``share_phone`` lets the pro see your phone (R10)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.service.buy",
                _body(body, service_id=service_id))


# --------------------------------------------------------------------------- requests


@router.get("/requests", response_model=Page[CustomRequest], summary="My custom requests")
def list_requests(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
) -> Page[CustomRequest]:
    """My custom requests, oldest first."""
    _customer(actor)
    stmt = select(orm.CustomRequest).where(orm.CustomRequest.customer_id == actor.user_id)
    rows, token = paginate(
        session, stmt, list_name="customer-requests", sort_column=orm.CustomRequest.submitted_at,
        id_column=orm.CustomRequest.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[CustomRequest](
        items=[request_model(session, r) for r in rows], next_page_token=token
    )


@router.get("/requests/{request_id}", response_model=CustomRequest, summary="One request")
def get_request(request_id: str, actor: ActorDep, session: SessionDep) -> CustomRequest:
    """One of my requests; 404 for anyone else's."""
    return request_model(session, load_request(session, _customer(actor), request_id))


@router.post("/requests", response_model=CustomRequest, status_code=201,
             summary="Send a custom request to a business")
def create_request(
    body: RequestCreateArgs, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Description, dimensions, product info, location (R12) and site photos (upload
    each first with ``PUT /v1/blobs/{sha256}``). Estimates are due within 1 business
    day and accepted for 3 business days (R2)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.request.create",
                _body(body))


# --------------------------------------------------------------------------- estimates, visits


@router.get("/estimates", response_model=Page[Estimate], summary="Estimates on my requests")
def list_estimates(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    request_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[Estimate]:
    """Sent estimates (never drafts) on my requests, oldest first."""
    _customer(actor)
    mine = select(orm.CustomRequest.id).where(orm.CustomRequest.customer_id == actor.user_id)
    stmt = select(orm.Estimate).where(
        orm.Estimate.request_id.in_(mine), orm.Estimate.submitted_at.is_not(None)
    )
    if request_id is not None:
        stmt = stmt.where(orm.Estimate.request_id == request_id)
    rows, token = paginate(
        session, stmt, list_name="customer-estimates", sort_column=orm.Estimate.submitted_at,
        id_column=orm.Estimate.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Estimate](items=[estimate_model(r) for r in rows], next_page_token=token)


@router.get("/estimates/{estimate_id}", response_model=Estimate, summary="One estimate")
def get_estimate(estimate_id: str, actor: ActorDep, session: SessionDep) -> Estimate:
    """One estimate on my requests; 404 otherwise."""
    return estimate_model(load_estimate(session, _customer(actor), estimate_id))


@router.post("/estimates/{estimate_id}/accept", response_model=Job, status_code=201,
             summary="Accept an estimate and book the pro")
def accept_estimate(
    estimate_id: str, actor: ActorDep, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep, idempotency_key: IdempotencyKey,
    body: EstimateAcceptBody | None = None,
) -> JSONResponse:
    """Creates the job (origin ESTIMATE, the estimate's total); the request becomes
    BOOKED and its other open estimates DECLINED. Choose 3 windows next (R6)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.estimate.accept",
                _body(body, estimate_id=estimate_id))


@router.post("/estimates/{estimate_id}/decline", response_model=Estimate,
             summary="Decline an estimate")
def decline_estimate(
    estimate_id: str, actor: ActorDep, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep, idempotency_key: IdempotencyKey, body: ChoiceBody | None = None,
) -> JSONResponse:
    """No obligation (R3): the estimate becomes DECLINED."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.estimate.decline",
                _body(body, estimate_id=estimate_id))


@router.get("/visits", response_model=Page[VisitProposal],
            summary="Visit proposals on my requests")
def list_visits(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    request_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[VisitProposal]:
    """On-site visit proposals (R4) on my requests, oldest first."""
    _customer(actor)
    mine = select(orm.CustomRequest.id).where(orm.CustomRequest.customer_id == actor.user_id)
    stmt = select(orm.Visit).where(orm.Visit.request_id.in_(mine))
    if request_id is not None:
        stmt = stmt.where(orm.Visit.request_id == request_id)
    rows, token = paginate(
        session, stmt, list_name="customer-visits", sort_column=orm.Visit.proposed_at,
        id_column=orm.Visit.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[VisitProposal](items=[visit_model(r) for r in rows], next_page_token=token)


@router.get("/visits/{visit_id}", response_model=VisitProposal, summary="One visit proposal")
def get_visit(visit_id: str, actor: ActorDep, session: SessionDep) -> VisitProposal:
    """One visit proposal on my requests; 404 otherwise."""
    return visit_model(load_visit(session, _customer(actor), visit_id))


@router.post("/visits/{visit_id}/accept", response_model=VisitProposal,
             summary="Accept an on-site visit and its price")
def accept_visit(
    visit_id: str, actor: ActorDep, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep, idempotency_key: IdempotencyKey, body: ChoiceBody | None = None,
) -> JSONResponse:
    """Accepting in advance is what makes a trip charge billable (R4, R5)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.visit.accept",
                _body(body, visit_id=visit_id))


@router.post("/visits/{visit_id}/decline", response_model=VisitProposal,
             summary="Decline an on-site visit")
def decline_visit(
    visit_id: str, actor: ActorDep, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep, idempotency_key: IdempotencyKey, body: ChoiceBody | None = None,
) -> JSONResponse:
    """No visit, no trip charge (R4)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.visit.decline",
                _body(body, visit_id=visit_id))


# --------------------------------------------------------------------------- jobs


@router.get("/jobs", response_model=Page[Job], summary="My jobs")
def list_jobs(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
) -> Page[Job]:
    """My jobs (packaged purchases and booked estimates), by order time."""
    _customer(actor)
    stmt = select(orm.Job).where(orm.Job.customer_id == actor.user_id)
    if status is not None:
        stmt = stmt.where(orm.Job.status == status.value)
    rows, token = paginate(
        session, stmt, list_name="customer-jobs", sort_column=orm.Job.ordered_at,
        id_column=orm.Job.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Job](items=job_models(session, rows), next_page_token=token)


@router.get("/jobs/{job_id}", response_model=Job, summary="One job")
def get_job(job_id: str, actor: ActorDep, session: SessionDep) -> Job:
    """One of my jobs; 404 for anyone else's."""
    return job_model(session, load_job(session, _customer(actor), job_id))


@router.get("/jobs/{job_id}/charges", response_model=list[LedgerEntry],
            summary="What my card was charged for a job")
def list_charges(job_id: str, actor: ActorDep, session: SessionDep) -> list[LedgerEntry]:
    """Charges recorded after I signed completion (R9), trip charge included when it was
    accepted in advance (R5)."""
    job = load_job(session, _customer(actor), job_id)
    rows = session.scalars(
        select(orm.LedgerEntry).where(orm.LedgerEntry.job_id == job.id)
        .order_by(orm.LedgerEntry.created_at, orm.LedgerEntry.id)
    ).all()
    return [ledger_entry_model(r) for r in rows]


@router.get("/jobs/{job_id}/review", response_model=Review, summary="My review of a job")
def get_review(job_id: str, actor: ActorDep, session: SessionDep) -> Review:
    """My review of a job (R11); 404 if I have not reviewed it."""
    job = load_job(session, _customer(actor), job_id)
    row = session.scalars(select(orm.Review).where(orm.Review.job_id == job.id)).one_or_none()
    if row is None:
        raise not_found("review", job_id)
    return review_model(row)


@router.post("/jobs/{job_id}/windows", response_model=Job,
             summary="Choose 3 preferred arrival windows")
def choose_windows(
    job_id: str, body: WindowsBody, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Exactly 3 windows (R6); the pro confirms one, or proposes another, within 1
    business day of the order."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.windows.choose",
                _body(body, job_id=job_id))


@router.post("/jobs/{job_id}/reschedule", response_model=Job,
             summary="Reschedule with 3 new windows")
def reschedule_job(
    job_id: str, body: RescheduleBody, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Up to 24 h before the window (R7; later: 409 ``cancel_cutoff_passed``, contact
    support). The job goes back to PENDING_SCHEDULE with the new windows."""
    return _run(factory, settings, clock, actor, idempotency_key,
                "customer.appointment.reschedule", _body(body, job_id=job_id))


@router.post("/jobs/{job_id}/cancel", response_model=Job, summary="Cancel a job")
def cancel_job(
    job_id: str, actor: ActorDep, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep, idempotency_key: IdempotencyKey, body: CancelBody | None = None,
) -> JSONResponse:
    """Up to 24 h before the window (R7; later: 409 ``cancel_cutoff_passed``). To change
    providers, cancel and buy or book again."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.job.cancel",
                _body(body, job_id=job_id))


@router.post("/jobs/{job_id}/review", response_model=Review, status_code=201,
             summary="Review a completed job")
def review_job(
    job_id: str, body: ReviewBody, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """One review per completed job, within 90 days of the order (R11; later: 409
    ``review_window_closed``)."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.review.create",
                _body(body, job_id=job_id))


# --------------------------------------------------------------------------- messages


@router.get("/messages", response_model=Page[Message], summary="My message threads")
def list_messages(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    job_id: Annotated[str | None, Query(max_length=45)] = None,
    request_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[Message]:
    """Messages (R10) on one of my jobs or requests, or on all of them; oldest first."""
    _customer(actor)
    stmt = select(orm.Message)
    if job_id is not None:
        stmt = stmt.where(orm.Message.job_id == load_job(session, actor, job_id).id)
    elif request_id is not None:
        stmt = stmt.where(orm.Message.request_id == load_request(session, actor, request_id).id)
    else:
        my_jobs = select(orm.Job.id).where(orm.Job.customer_id == actor.user_id)
        my_requests = select(orm.CustomRequest.id).where(
            orm.CustomRequest.customer_id == actor.user_id
        )
        stmt = stmt.where(
            orm.Message.job_id.in_(my_jobs) | orm.Message.request_id.in_(my_requests)
        )
    rows, token = paginate(
        session, stmt, list_name="customer-messages", sort_column=orm.Message.sent_at,
        id_column=orm.Message.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Message](items=[message_model(r) for r in rows], next_page_token=token)


@router.post("/messages", response_model=Message, status_code=201,
             summary="Message the pro about a job or request")
def send_message(
    body: MessageCreateArgs, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Through the marketplace only (R10); pros answer within 2 business days."""
    return _run(factory, settings, clock, actor, idempotency_key, "customer.message.send",
                _body(body))
