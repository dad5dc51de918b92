"""Read endpoints for pros (and customers where it makes sense): jobs, requests,
estimates, visits, messages, the services catalogue, the team.

Every query goes through the visibility clauses of `marketplace.authz`, so a list
never shows, and a GET never finds, another business's data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import false, or_, select

from marketplace import orm
from marketplace.api.deps import ActorDep, SessionDep, SettingsDep
from marketplace.api.paging import paginate
from marketplace.api.schemas import PhotoOut
from marketplace.authz import (
    job_visibility_clause,
    load_estimate,
    load_job,
    load_request,
    load_visit,
    request_visibility_clause,
    require_roles,
)
from marketplace.errors import ERROR_RESPONSES
from marketplace.serialize import (
    change_order_model,
    estimate_model,
    job_model,
    job_models,
    message_model,
    photo_model,
    request_model,
    service_model,
    user_model,
    visit_model,
)
from proapp.domain import (
    PRO_ROLES,
    ChangeOrder,
    CustomRequest,
    Estimate,
    Job,
    JobStatus,
    Message,
    PackagedService,
    Page,
    PhotoTargetKind,
    User,
    VisitProposal,
)

router = APIRouter(responses=ERROR_RESPONSES)

Limit = Annotated[int | None, Query(ge=1, le=200, description="Page size (default 50)")]
PageToken = Annotated[
    str | None, Query(max_length=500, description="next_page_token of the previous page")
]


def _limit(limit: int | None, settings: SettingsDep) -> int:
    return min(limit or settings.page_size_default, settings.page_size_max)


# --------------------------------------------------------------------------- jobs


@router.get("/v1/jobs", response_model=Page[Job], tags=["jobs"], summary="Jobs I may see")
def list_jobs(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
) -> Page[Job]:
    """Technician: jobs assigned to me (plus unassigned ones if my business allows);
    staff: every job of my business; customer: my own jobs. Ordered by order time."""
    stmt = select(orm.Job).where(job_visibility_clause(session, actor))
    if status is not None:
        stmt = stmt.where(orm.Job.status == status.value)
    rows, token = paginate(
        session, stmt, list_name="jobs", sort_column=orm.Job.ordered_at, id_column=orm.Job.id,
        limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Job](items=job_models(session, rows), next_page_token=token)


@router.get("/v1/jobs/{job_id}", response_model=Job, tags=["jobs"], summary="One job")
def get_job(job_id: str, actor: ActorDep, session: SessionDep) -> Job:
    """A job I may see; 404 otherwise (other businesses' jobs are never revealed)."""
    return job_model(session, load_job(session, actor, job_id))


@router.get("/v1/jobs/{job_id}/change-orders", response_model=list[ChangeOrder], tags=["jobs"],
            summary="Signed change orders of a job")
def list_change_orders(job_id: str, actor: ActorDep, session: SessionDep) -> list[ChangeOrder]:
    """The job's change orders, oldest first (R8)."""
    job = load_job(session, actor, job_id)
    rows = session.scalars(
        select(orm.ChangeOrder).where(orm.ChangeOrder.job_id == job.id)
        .order_by(orm.ChangeOrder.created_at, orm.ChangeOrder.id)
    ).all()
    return [change_order_model(session, row) for row in rows]


# --------------------------------------------------------------------------- requests


@router.get("/v1/requests", response_model=Page[CustomRequest], tags=["requests"],
            summary="Custom requests sent to my business")
def list_requests(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
) -> Page[CustomRequest]:
    """Pros: requests addressed to their business; customers: their own."""
    stmt = select(orm.CustomRequest).where(request_visibility_clause(actor))
    rows, token = paginate(
        session, stmt, list_name="requests", sort_column=orm.CustomRequest.submitted_at,
        id_column=orm.CustomRequest.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[CustomRequest](
        items=[request_model(session, row) for row in rows], next_page_token=token
    )


@router.get("/v1/requests/{request_id}", response_model=CustomRequest, tags=["requests"],
            summary="One custom request")
def get_request(request_id: str, actor: ActorDep, session: SessionDep) -> CustomRequest:
    """A request I may see; 404 otherwise."""
    return request_model(session, load_request(session, actor, request_id))


# --------------------------------------------------------------------------- estimates, visits


@router.get("/v1/estimates", response_model=Page[Estimate], tags=["estimates"],
            summary="Estimates of my business")
def list_estimates(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    request_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[Estimate]:
    """Pros: their business's estimates; customers: sent estimates on their requests."""
    if actor.is_pro:
        clause = orm.Estimate.business_id == (actor.business_id or "")
    elif actor.is_customer:
        clause = orm.Estimate.request_id.in_(
            select(orm.CustomRequest.id).where(orm.CustomRequest.customer_id == actor.user_id)
        ) & (orm.Estimate.status != "DRAFT")
    else:  # pragma: no cover
        clause = false()
    stmt = select(orm.Estimate).where(clause)
    if request_id is not None:
        stmt = stmt.where(orm.Estimate.request_id == request_id)
    rows, token = paginate(
        session, stmt, list_name="estimates", sort_column=orm.Estimate.submitted_at,
        id_column=orm.Estimate.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Estimate](items=[estimate_model(row) for row in rows], next_page_token=token)


@router.get("/v1/estimates/{estimate_id}", response_model=Estimate, tags=["estimates"],
            summary="One estimate")
def get_estimate(estimate_id: str, actor: ActorDep, session: SessionDep) -> Estimate:
    """An estimate I may see; 404 otherwise."""
    return estimate_model(load_estimate(session, actor, estimate_id))


@router.get("/v1/requests/{request_id}/visits", response_model=list[VisitProposal],
            tags=["requests"], summary="Visit proposals on a request")
def list_visits(request_id: str, actor: ActorDep, session: SessionDep) -> list[VisitProposal]:
    """Visit proposals (R4) on a request I may see."""
    request = load_request(session, actor, request_id)
    rows = session.scalars(
        select(orm.Visit).where(
            orm.Visit.request_id == request.id, orm.Visit.business_id == request.business_id
        )
        .order_by(orm.Visit.proposed_at, orm.Visit.id)
    ).all()
    return [visit_model(row) for row in rows]


@router.get("/v1/visits/{visit_id}", response_model=VisitProposal, tags=["requests"],
            summary="One visit proposal")
def get_visit(visit_id: str, actor: ActorDep, session: SessionDep) -> VisitProposal:
    """A visit proposal I may see; 404 otherwise."""
    return visit_model(load_visit(session, actor, visit_id))


# --------------------------------------------------------------------------- messages, photos


@router.get("/v1/messages", response_model=Page[Message], tags=["messages"],
            summary="Messages of a job or request")
def list_messages(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
    job_id: Annotated[str | None, Query(max_length=45)] = None,
    request_id: Annotated[str | None, Query(max_length=45)] = None,
) -> Page[Message]:
    """Messages (R10), oldest first. Without a filter: every thread I may see."""
    stmt = select(orm.Message)
    if job_id is not None:
        stmt = stmt.where(orm.Message.job_id == load_job(session, actor, job_id).id)
    elif request_id is not None:
        stmt = stmt.where(
            orm.Message.request_id == load_request(session, actor, request_id).id
        )
    else:
        stmt = stmt.where(
            or_(
                orm.Message.job_id.in_(
                    select(orm.Job.id).where(job_visibility_clause(session, actor))
                ),
                orm.Message.request_id.in_(
                    select(orm.CustomRequest.id).where(request_visibility_clause(actor))
                ),
            )
        )
    rows, token = paginate(
        session, stmt, list_name="messages", sort_column=orm.Message.sent_at,
        id_column=orm.Message.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[Message](items=[message_model(row) for row in rows], next_page_token=token)


@router.get("/v1/photos", response_model=list[PhotoOut], tags=["photos"],
            summary="Photos attached to a job, request or estimate")
def list_photos(
    actor: ActorDep, session: SessionDep, target_kind: PhotoTargetKind,
    target_id: Annotated[str, Query(max_length=45)],
) -> list[PhotoOut]:
    """Photos attached to one thing I may see."""
    if target_kind is PhotoTargetKind.JOB:
        load_job(session, actor, target_id)
    elif target_kind is PhotoTargetKind.REQUEST:
        load_request(session, actor, target_id)
    else:
        load_estimate(session, actor, target_id)
    rows = session.scalars(
        select(orm.Photo).where(
            orm.Photo.target_kind == target_kind.value, orm.Photo.target_id == target_id
        ).order_by(orm.Photo.created_at, orm.Photo.id)
    ).all()
    return [PhotoOut.model_validate(photo_model(row)) for row in rows]


# --------------------------------------------------------------------------- catalogue, team


@router.get("/v1/services", response_model=Page[PackagedService], tags=["services"],
            summary="Packaged services catalogue")
def list_services(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, limit: Limit = None,
    page_token: PageToken = None,
) -> Page[PackagedService]:
    """Pros: their business's active services; customers: every active service (R1)."""
    stmt = select(orm.PackagedService).where(orm.PackagedService.active.is_(True))
    if actor.is_pro:
        stmt = stmt.where(orm.PackagedService.business_id == actor.business_id)
    rows, token = paginate(
        session, stmt, list_name="services", sort_column=orm.PackagedService.created_at,
        id_column=orm.PackagedService.id, limit=_limit(limit, settings), page_token=page_token,
    )
    return Page[PackagedService](items=[service_model(r) for r in rows], next_page_token=token)


@router.get("/v1/team", response_model=list[User], tags=["me"],
            summary="People of my business")
def list_team(actor: ActorDep, session: SessionDep) -> list[User]:
    """Everyone of my business (staff pick technicians to assign from this list)."""
    require_roles(actor, PRO_ROLES, "see the team")
    rows = session.scalars(
        select(orm.User).where(orm.User.business_id == actor.business_id,
                               orm.User.active.is_(True))
        .order_by(orm.User.name, orm.User.id)
    ).all()
    return [user_model(row) for row in rows]
