"""Who is asking, and what they may see (DESIGN.md section 6).

Rules, enforced by the scoped loaders below and used by every endpoint and command:

* Staff (dispatcher, owner) see everything of their own business, nothing else.
* A technician sees jobs assigned to them, plus unassigned jobs of their business when
  the business turned ``technicians_see_unassigned`` on. Custom requests addressed to
  their business are visible to all its staff and technicians (someone has to estimate).
* Office records (synced to pro devices for the office desktop): staff see their
  business's reviews, compliance documents and team; a technician sees only reviews of
  jobs assigned to them, their own compliance documents and their own team row.
* A customer sees only their own requests and jobs (and their own reviews).
* Another business's object answers 404 ``not_found`` (its existence is not leaked);
  an object the actor can see but a role may not act on answers 403 ``forbidden``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, event, exists, false, or_, select
from sqlalchemy.orm import ORMExecuteState, Session

from marketplace import orm
from proapp.domain import PRO_ROLES, STAFF_ROLES, DomainError, ErrorCode, Role

RowT = TypeVar("RowT", bound=orm.Base)

__all__ = [
    "Actor",
    "business_visibility_clause",
    "compliance_visibility_clause",
    "job_visibility_clause",
    "load_estimate",
    "load_job",
    "load_request",
    "load_visit",
    "not_found",
    "remember_visible_jobs",
    "require_roles",
    "request_visibility_clause",
    "review_visibility_clause",
    "team_visibility_clause",
]


@dataclass(frozen=True)
class Actor:
    """The signed-in user making a request or sending a command."""

    user_id: str
    role: Role
    business_id: str | None
    name: str = ""

    @property
    def is_staff(self) -> bool:
        """Dispatcher or owner."""
        return self.role in STAFF_ROLES

    @property
    def is_pro(self) -> bool:
        """Technician, dispatcher or owner (always has a business)."""
        return self.role in PRO_ROLES

    @property
    def is_customer(self) -> bool:
        """A marketplace customer."""
        return self.role is Role.CUSTOMER

    @classmethod
    def from_user(cls, user: orm.User) -> Actor:
        """The actor for a user row."""
        return cls(user_id=user.id, role=Role(user.role), business_id=user.business_id,
                   name=user.name)


def not_found(what: str, ident: str) -> DomainError:
    """The 404 used both for missing objects and for objects the actor may not see."""
    return DomainError(
        ErrorCode.NOT_FOUND,
        f"No {what} with id {ident} was found for your account. "
        "Refresh your list; it may have been removed or belong to someone else.",
        {"kind": what, "id": ident},
    )


def require_roles(actor: Actor, roles: frozenset[Role], action: str) -> None:
    """Raise 403 ``forbidden`` unless the actor has one of ``roles``."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"Your role ({actor.role.value}) cannot {action}. Ask a {allowed} to do it.",
            {"role": actor.role.value, "allowed_roles": sorted(r.value for r in roles)},
        )


def job_visibility_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.Job` selecting exactly the jobs ``actor`` may see."""
    if actor.is_customer:
        return orm.Job.customer_id == actor.user_id
    if not actor.is_pro or actor.business_id is None:
        return false()
    same_business = orm.Job.business_id == actor.business_id
    if actor.is_staff:
        return same_business
    assigned_to_me = exists().where(
        orm.JobAssignment.job_id == orm.Job.id, orm.JobAssignment.user_id == actor.user_id
    )
    business = session.get(orm.Business, actor.business_id)
    if business is not None and business.technicians_see_unassigned:
        unassigned = ~exists().where(orm.JobAssignment.job_id == orm.Job.id)
        return and_(same_business, or_(assigned_to_me, unassigned))
    return and_(same_business, assigned_to_me)


def request_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.CustomRequest`: the customer's own, or the business's."""
    if actor.is_customer:
        return orm.CustomRequest.customer_id == actor.user_id
    if actor.is_pro and actor.business_id is not None:
        return orm.CustomRequest.business_id == actor.business_id
    return false()


def review_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.Review` (R11: pros see their reviews). Staff: every review
    of their business. A technician: only reviews of jobs assigned to them (not of the
    unassigned jobs they may see, not a colleague's), so a job reassigned away takes
    its review with it on their device. Customers: their own."""
    if actor.is_customer:
        return orm.Review.customer_id == actor.user_id
    if not actor.is_pro or actor.business_id is None:
        return false()
    same_business = orm.Review.business_id == actor.business_id
    if actor.is_staff:
        return same_business
    mine = select(orm.JobAssignment.job_id).where(orm.JobAssignment.user_id == actor.user_id)
    return and_(same_business, orm.Review.job_id.in_(mine))


def compliance_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.ComplianceDocument` (R13: office staff see what expires).
    Staff: the whole business's documents. A technician: only their own. Nobody else."""
    if not actor.is_pro or actor.business_id is None:
        return false()
    same_business = orm.ComplianceDocument.business_id == actor.business_id
    if actor.is_staff:
        return same_business
    return and_(same_business, orm.ComplianceDocument.user_id == actor.user_id)


def business_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.Business` for what a device syncs: a pro's own business
    (its name, time zone, state and settings); customers none."""
    if not actor.is_pro or actor.business_id is None:
        return false()
    return orm.Business.id == actor.business_id


def team_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on `orm.User` for the team list a device syncs. Staff: every pro of
    their business, deactivated ones included (flagged, so old jobs still show a name).
    A technician: only themselves (least privilege: colleagues' e-mail addresses stay
    off their phone; ``GET /v1/team`` remains for an online look-up). Customers: none."""
    if not actor.is_pro or actor.business_id is None:
        return false()
    same_business = and_(
        orm.User.business_id == actor.business_id,
        orm.User.role.in_(sorted(role.value for role in PRO_ROLES)),
    )
    if actor.is_staff:
        return same_business
    return and_(same_business, orm.User.id == actor.user_id)


def _estimate_visibility_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.is_pro and actor.business_id is not None:
        return orm.Estimate.business_id == actor.business_id
    if actor.is_customer:
        # A customer sees sent estimates for their own requests, never drafts.
        return and_(
            orm.Estimate.request_id.in_(
                select(orm.CustomRequest.id).where(orm.CustomRequest.customer_id == actor.user_id)
            ),
            orm.Estimate.status != "DRAFT",
        )
    return false()


def _load_visible(
    session: Session,
    model: type[RowT],
    ident: str,
    visible: ColumnElement[bool],
    what: str,
    *,
    for_update: bool = False,
) -> RowT:
    """The ``model`` row ``ident`` if the ``visible`` clause admits it, else 404.

    ``for_update`` locks the row (PostgreSQL) so concurrent commands on it queue.
    """
    stmt = select(model).where(model.id == ident, visible)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise not_found(what, ident)
    return row


def load_job(session: Session, actor: Actor, job_id: str, *, for_update: bool = False) -> orm.Job:
    """The job if ``actor`` may see it, else 404 ``not_found``.

    Inside `remember_visible_jobs`, a job this actor was already shown is returned from
    memory (the session's own instance, so it is current) unless ``for_update``.
    """
    cache: dict[tuple[str, str], orm.Job] | None = session.info.get(_VISIBLE_JOBS)
    if cache is not None and not for_update:
        known = cache.get((actor.user_id, job_id))
        if known is not None:
            return known
    job = _load_visible(
        session, orm.Job, job_id, job_visibility_clause(session, actor), "job",
        for_update=for_update,
    )
    if cache is not None:
        cache[(actor.user_id, job_id)] = job
    return job


_VISIBLE_JOBS = "marketplace.authz.visible_jobs"
# Writes after which a remembered "this actor may see this job" may be wrong: who is
# assigned, the business's technicians_see_unassigned, or the job itself going away.
_VISIBILITY_TABLES = frozenset({"job_assignments", "businesses", "jobs"})


@contextmanager
def remember_visible_jobs(session: Session) -> Iterator[None]:
    """Within the block, `load_job` remembers which jobs each actor may see.

    For a batch of commands in one transaction (a sync push: typically many actions on
    the same few jobs), each job's visibility query then runs once instead of once per
    command. What is remembered is forgotten as soon as anything that decides visibility
    is written in the session (an assignment, the business row, a job deleted, by the
    ORM or by a bulk statement) and on any rollback (a refused command's savepoint), so
    a later command sees exactly what a fresh query would.
    """
    session.info[_VISIBLE_JOBS] = {}
    try:
        yield
    finally:
        session.info.pop(_VISIBLE_JOBS, None)


def _forget(session: Session) -> None:
    cache = session.info.get(_VISIBLE_JOBS)
    if cache:
        cache.clear()


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if _VISIBLE_JOBS not in state.session.info or not (
        state.is_insert or state.is_update or state.is_delete
    ):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) in _VISIBILITY_TABLES:
        _forget(state.session)


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not session.info.get(_VISIBLE_JOBS):
        return
    written = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, (orm.JobAssignment, orm.Business)) for obj in written) or any(
        isinstance(obj, orm.Job) for obj in session.deleted
    ):
        _forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, _previous: Any) -> None:
    _forget(session)


def load_request(
    session: Session, actor: Actor, request_id: str, *, for_update: bool = False
) -> orm.CustomRequest:
    """The custom request if ``actor`` may see it, else 404 ``not_found``."""
    return _load_visible(
        session, orm.CustomRequest, request_id, request_visibility_clause(actor), "request",
        for_update=for_update,
    )


def load_estimate(
    session: Session, actor: Actor, estimate_id: str, *, for_update: bool = False
) -> orm.Estimate:
    """The estimate if ``actor`` may see it, else 404 ``not_found``."""
    return _load_visible(
        session, orm.Estimate, estimate_id, _estimate_visibility_clause(actor), "estimate",
        for_update=for_update,
    )


def load_visit(session: Session, actor: Actor, visit_id: str) -> orm.Visit:
    """The visit proposal if ``actor`` may see it, else 404 ``not_found``."""
    if actor.is_pro:
        clause: ColumnElement[bool] = orm.Visit.business_id == (actor.business_id or "")
    elif actor.is_customer:
        clause = orm.Visit.request_id.in_(
            select(orm.CustomRequest.id).where(orm.CustomRequest.customer_id == actor.user_id)
        )
    else:  # pragma: no cover - every role is covered above
        clause = false()
    return _load_visible(session, orm.Visit, visit_id, clause, "visit")
