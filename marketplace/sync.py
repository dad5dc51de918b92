"""The sync service: push (outbox mutations, exactly once, in order) and pull (a paged,
consistent, authorization-scoped change feed). The wire contract is docs/SYNC.md.

Push (DESIGN.md section 4):

* One record per (user, ``client_id``) (`orm.SyncClient`) holds ``last_mid``. The
  whole batch runs in ONE database transaction, committed once at its end, that also
  stores every processed mutation's result (`orm.SyncResult`) and the new
  ``last_mid``: effects, results and ``last_mid`` become durable together or not at
  all (a crash before the commit means none of the batch happened; the client resends
  it). The client row is locked first, for the whole batch, so two concurrent pushes of
  the same batch queue and the second one replays. A refused command rolls back only
  its own handler's writes (`execute_command`'s savepoint) and still advances
  ``last_mid``. Change-feed numbering locks the business row (`marketplace.changes`)
  until the commit, so on PostgreSQL other writers of that business wait for the rest
  of the batch (at most `MAX_BATCH` mutations).
* A REST call racing the batch with one of its idempotency keys makes the INSERT of
  the idempotency record fail on the unique key: the batch rolls back and is retried
  (up to 3 times), and the retry replays that call's stored outcome.
* The command runs through `execute_command` (the same handlers and role checks as the
  REST endpoints) with the mutation ``id`` as its idempotency key, so an action sent
  once by REST and once by sync with the same UUID still happens once.
* Infrastructure trouble (the database unavailable, a lock or serialization failure
  that does not clear on retry) raises `SyncUnavailable`: the endpoint answers the
  WHOLE request ``503`` with ``Retry-After``, and the whole batch is rolled back; the
  client resends it.

Pull:

* The cursor is opaque to clients: base64url of a small JSON object. ``{"v":1,"s":N}``
  means "every change of the business up to seq N is delivered"; a snapshot cursor
  ``{"v":1,"p":N,"k":kind,"a":after_id}`` pages a first pull through every kind in id
  order. N (``p``) is the business's ``change_seq`` when the snapshot began, and the
  changes phase then starts from it, so an entity written while the snapshot pages run
  is delivered by the feed even if the page that would have held it was already read.
* Each page is read in one transaction: REPEATABLE READ on PostgreSQL, a deferred
  read transaction (a WAL snapshot) on SQLite. ``last_mid`` is read in it as well.
* Changes are deduplicated per entity, resolved to the CURRENT row and filtered through
  the same visibility rules as the REST reads (`marketplace.authz`). An entity the
  caller cannot see (any more) is sent as ``{"op": "delete"}`` with its kind and id
  only (no data), which is how a technician learns a job was reassigned away. Only jobs
  get deletes: the other kinds are business-wide or belong to a job (messages, photos
  and change orders of a job leave with the job's delete; the client drops them), so
  a technician is never even told the ids of another technician's messages. When a
  job is upserted on a technician's page, its messages, change orders and photos come
  with it (it may have just been assigned to them, with a history they never got).
* Versions: jobs, requests, estimates and visits carry a ``version`` column (the one
  ``base_version`` is checked against); change orders, messages and photos do not, so
  their version is the seq of their latest change in the feed.
* Customers do not sync (403): the app is for pros; customers use the REST API.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import to_json
from sqlalchemy import ColumnElement, Engine, Table, and_, delete, false, func, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.api.schemas import PhotoOut
from marketplace.authz import (
    Actor,
    business_visibility_clause,
    compliance_visibility_clause,
    job_visibility_clause,
    remember_visible_jobs,
    request_visibility_clause,
    review_visibility_clause,
    team_visibility_clause,
)
from marketplace.commands.framework import Clock, CommandBatch, execute_command
from marketplace.config import Settings
from marketplace.db import SessionFactory, read_only
from marketplace.serialize import (
    business_model,
    change_order_models,
    compliance_document_model,
    estimate_model,
    job_documents,
    message_document,
    photo_model,
    request_models,
    review_model,
    team_member_model,
    visit_model,
)
from proapp.domain import DomainError, ErrorCode, PhotoTargetKind

__all__ = [
    "MAX_BATCH",
    "PULL_LIMIT_DEFAULT",
    "PULL_LIMIT_MAX",
    "RESULT_RETENTION",
    "SYNC_KINDS",
    "MutationIn",
    "MutationResultOut",
    "PullOut",
    "PushIn",
    "PushOut",
    "PushStoppedOut",
    "SyncChangeOut",
    "SyncUnavailable",
    "prune_sync_results",
    "pull",
    "pull_json",
    "push",
    "require_pro",
]

MAX_BATCH = 100
"""Most mutations one push may carry."""
PULL_LIMIT_DEFAULT = 500
PULL_LIMIT_MAX = 1000
RESULT_RETENTION = timedelta(days=30)
"""Stored push results are kept at least this long (docs/SYNC.md)."""
RETRY_AFTER_S = 2
"""Retry-After of a 503: long enough for a restarted database, short for a blip."""

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UuidStr = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]


class SyncUnavailable(Exception):
    """The database could not serve the sync request; answer 503 with Retry-After."""

    def __init__(self, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__("database unavailable")
        self.retry_after_s = retry_after_s


# --------------------------------------------------------------------------- wire models


class MutationIn(BaseModel):
    """One outbox mutation (docs/SYNC.md, Push)."""

    mid: int = Field(ge=1, le=2**62, description="Gap-free per install, from 1")
    id: UuidStr = Field(description="The mutation's idempotency identity (a UUID)")
    name: str = Field(min_length=1, max_length=100, description="Versioned command name")
    args: dict[str, Any] = Field(description="The command's args as JSON")
    base_version: int | None = Field(
        default=None, ge=0, le=2**62,
        description="Version of the edited entity the pro saw (stale_base if it moved)",
    )


class PushIn(BaseModel):
    """Body of ``POST /v1/sync/push``: up to 100 mutations in strictly rising ``mid``."""

    mutations: list[MutationIn] = Field(max_length=MAX_BATCH)
    resume_from: int | None = Field(
        default=None, ge=1, le=2**62,
        description="First pending mid, for a server that forgot this install",
    )

    @model_validator(mode="after")
    def _rising_mids(self) -> PushIn:
        mids = [m.mid for m in self.mutations]
        if any(b <= a for a, b in zip(mids, mids[1:], strict=False)):
            raise ValueError("mutations must be in strictly rising mid order")
        return self


class ErrorOut(BaseModel):
    """The one error body, as carried by a rejected mutation."""

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class MutationResultOut(BaseModel):
    """The answer to one mutation: ``applied`` with the handler's result, or
    ``rejected`` with the stable error body. A replayed ``mid`` gets its stored answer."""

    mid: int
    id: str
    status: Literal["applied", "rejected"]
    result: dict[str, Any] | None = None
    error: ErrorOut | None = None


class PushStoppedOut(BaseModel):
    """Why the batch stopped early: ``out_of_order`` with the ``mid`` the server expects."""

    code: Literal["out_of_order"]
    expected_mid: int


class PushOut(BaseModel):
    """Answer of ``POST /v1/sync/push``."""

    last_mid: int
    results: list[MutationResultOut]
    stopped: PushStoppedOut | None = None


class SyncChangeOut(BaseModel):
    """One entity of a pull page: its current state (``upsert``) or ``delete``."""

    kind: str
    id: str
    op: Literal["upsert", "delete"]
    version: int | None = None
    data: dict[str, Any] | None = None


class PullOut(BaseModel):
    """Answer of ``GET /v1/sync/pull``: one consistent page."""

    changes: list[SyncChangeOut]
    cursor: str
    has_more: bool
    last_mid: int


# --------------------------------------------------------------------------- shared


def require_pro(actor: Actor) -> None:
    """Sync is for pros' devices; customers use the REST API (403 ``forbidden``)."""
    if not actor.is_pro or actor.business_id is None:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Sync is available to pro accounts only. Use the marketplace website or API.",
            {"role": actor.role.value},
        )


def _infrastructure(exc: DBAPIError) -> bool:
    # Connection loss, lock timeouts, serialization failures, deadlocks: the database
    # could not do the work now; data errors (integrity, bad values) are something else.
    return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)


# --------------------------------------------------------------------------- push


@dataclass(frozen=True)
class _Done:
    result: dict[str, Any]
    last_mid: int


@dataclass(frozen=True)
class _Stop:
    expected_mid: int
    last_mid: int


def push(
    factory: SessionFactory,
    actor: Actor,
    client_id: str,
    body: PushIn,
    *,
    settings: Settings,
    clock: Clock,
) -> PushOut:
    """Process a push batch (docs/SYNC.md). See the module docstring for the rules.

    Raises:
        DomainError: 403 for customers; 409 ``mid_conflict`` when a ``mid`` the server
            processed carries another mutation id (nothing of the batch changes).
        SyncUnavailable: the database failed; nothing of the batch changed.
    """
    require_pro(actor)
    try:
        for attempt in range(3):
            try:
                out = _push_batch(factory, actor, client_id, body, settings, clock)
                if out is None:
                    # The install's first push: its record is created in a transaction
                    # of its own (a concurrent first push may win that race; fine),
                    # then the batch runs as for any known install.
                    _create_client(factory, actor, client_id, clock)
                    out = _push_batch(factory, actor, client_id, body, settings, clock)
                if out is None:  # pragma: no cover - the record was just created
                    raise AssertionError("the sync client record vanished")
                return out
            except IntegrityError:
                # A REST call with one of the batch's idempotency keys raced us and
                # committed first: the whole batch rolled back, and the retry replays
                # that call's stored outcome.
                if attempt == 2:
                    raise
    except DBAPIError as exc:
        if _infrastructure(exc) or isinstance(exc, IntegrityError):
            raise SyncUnavailable() from exc
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _push_batch(
    factory: SessionFactory, actor: Actor, client_id: str, body: PushIn,
    settings: Settings, clock: Clock,
) -> PushOut | None:
    """The batch in ONE transaction, committed once: every effect, its stored result and
    the new ``last_mid`` become durable together, or (a crash, a 503) none of them.
    None (nothing done) if the install has no record yet.

    ``resume_from`` moves a record that has processed nothing yet (``last_mid ==
    base_mid``) to ``resume_from - 1``; a record with history ignores it.
    """
    with factory() as session, session.begin(), remember_visible_jobs(session):
        # Lock the install's row first, once for the batch: concurrent pushes of one
        # install queue here, so the check of last_mid and its update cannot interleave
        # (exactly once); the second of two identical pushes replays the first.
        record = session.scalars(
            select(orm.SyncClient)
            .where(orm.SyncClient.user_id == actor.user_id,
                   orm.SyncClient.client_id == client_id)
            .with_for_update()
        ).one_or_none()
        if record is None:
            return None
        if body.resume_from is not None and record.last_mid == record.base_mid:
            record.last_mid = record.base_mid = body.resume_from - 1
            record.updated_at = clock()
        client_pk = record.id
        last_mid = record.last_mid
        results: list[MutationResultOut] = []
        stored: list[dict[str, Any]] = []
        stopped: PushStoppedOut | None = None
        # Idempotency records of the mutations that will run, read in one query; their
        # records and change-feed entries are written once, by batch.finish().
        batch = CommandBatch(actor)
        batch.prefetch(session, [m.id for m in body.mutations if m.mid > last_mid])
        for mutation in body.mutations:
            done = _process(session, actor, client_pk, last_mid, mutation,
                            settings=settings, clock=clock, batch=batch)
            if isinstance(done, _Stop):
                stopped = PushStoppedOut(code="out_of_order", expected_mid=done.expected_mid)
                break
            if done.last_mid != last_mid:
                # Processed now (not a replay): its result is stored with the batch.
                last_mid = done.last_mid
                stored.append({
                    "client_pk": client_pk, "mid": mutation.mid, "mutation_id": mutation.id,
                    "status": done.result["status"], "result": done.result,
                    "created_at": clock(),
                })
            results.append(MutationResultOut.model_validate(done.result))
        batch.finish(session)
        if stored:
            # Core executemany, as `batch.finish` does (no per-row ORM bookkeeping).
            session.connection().execute(insert(cast(Table, orm.SyncResult.__table__)), stored)
            record.last_mid = last_mid
            record.updated_at = clock()
    return PushOut(last_mid=last_mid, results=results, stopped=stopped)


def _create_client(factory: SessionFactory, actor: Actor, client_id: str, clock: Clock) -> None:
    """Create the install's record (``last_mid`` 0) unless it exists."""
    try:
        with factory() as session, session.begin():
            now = clock()
            exists = session.scalar(
                select(orm.SyncClient.id)
                .where(orm.SyncClient.user_id == actor.user_id,
                       orm.SyncClient.client_id == client_id)
            )
            if exists is None:
                session.add(orm.SyncClient(
                    user_id=actor.user_id, client_id=client_id, last_mid=0, base_mid=0,
                    created_at=now, updated_at=now,
                ))
    except IntegrityError:
        # A concurrent first push of the same install created the record; use it.
        pass


def _process(
    session: Session, actor: Actor, client_pk: int, last_mid: int, mutation: MutationIn, *,
    settings: Settings, clock: Clock, batch: CommandBatch,
) -> _Done | _Stop:
    """One mutation inside the batch's transaction: replay, stop, or run the command.

    The caller stores the result and advances ``last_mid`` in the same transaction. No
    savepoint of its own: `execute_command` runs the handler in one, so a refusal keeps
    the rest of the batch, and anything else aborts (rolls back) the whole batch.
    """
    if mutation.mid <= last_mid:
        stored = session.get(orm.SyncResult, (client_pk, mutation.mid))
        if stored is None:
            # Processed before the server's record began (resume_from) or pruned after
            # 30 days: the outcome is unknown, so it must not run again.
            return _Done(_rejected(mutation, DomainError(
                ErrorCode.CONFLICT,
                "The server has no record of this change's outcome any more, so it was not "
                "applied again. Check the job and redo the change if it is missing.",
                {"mid": mutation.mid, "reason": "result_unknown"},
            )), last_mid)
        if stored.mutation_id != mutation.id:
            raise DomainError(
                ErrorCode.MID_CONFLICT,
                "This device's change history does not match the server's. Sign out and "
                "in again on this device, then retry.",
                {"mid": mutation.mid, "stored_id": stored.mutation_id, "id": mutation.id},
            )
        return _Done(dict(stored.result), last_mid)
    if mutation.mid > last_mid + 1:
        return _Stop(last_mid + 1, last_mid)

    outcome = execute_command(
        session, actor, mutation.name, mutation.args, mutation.id,
        settings=settings, clock=clock, base_version=mutation.base_version, batch=batch,
    )
    if outcome.applied:
        result: dict[str, Any] = {
            "mid": mutation.mid, "id": mutation.id, "status": "applied",
            "result": outcome.body, "error": None,
        }
    else:
        result = {
            "mid": mutation.mid, "id": mutation.id, "status": "rejected", "result": None,
            "error": {"code": str(outcome.body.get("code", "invalid")),
                      "message": str(outcome.body.get("message", "")),
                      "details": dict(outcome.body.get("details") or {})},
        }
    return _Done(result, mutation.mid)


def _rejected(mutation: MutationIn, error: DomainError) -> dict[str, Any]:
    return {"mid": mutation.mid, "id": mutation.id, "status": "rejected", "result": None,
            "error": error.to_dict()}


def prune_sync_results(session: Session, now: datetime,
                       keep: timedelta = RESULT_RETENTION) -> int:
    """Delete stored push results older than ``keep`` (at least 30 days); the count."""
    result = session.execute(
        delete(orm.SyncResult).where(orm.SyncResult.created_at < now - keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- pull


@dataclass(frozen=True)
class _Kind:
    """How one entity kind is listed, scoped, versioned and serialised for sync."""

    name: str
    model: Any  # an orm class with an ``id`` column
    visible: Callable[[Session, Actor], ColumnElement[bool]]
    serialize: Callable[[Session, Sequence[Any]], Sequence[BaseModel | dict[str, Any]]]
    """Rows of a page (plain column rows of the kind's table) to their validated models
    or, for the kinds a pull carries by the thousand, straight to their JSON-ready
    dicts (`marketplace.serialize.job_documents`); relations loaded for the whole page
    at once."""
    has_version: bool


@dataclass(frozen=True)
class _Change:
    """One entity of a page: ``data`` is its JSON-ready form (None: a delete)."""

    kind: str
    id: str
    op: Literal["upsert", "delete"]
    version: int | None = None
    data: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        """The `SyncChangeOut` JSON object (the same keys, in the same order)."""
        return {"kind": self.kind, "id": self.id, "op": self.op, "version": self.version,
                "data": self.data}


@dataclass(frozen=True)
class _Page:
    changes: list[_Change]
    cursor: str
    has_more: bool
    last_mid: int

    def out(self) -> PullOut:
        return PullOut(changes=[SyncChangeOut(**c.wire()) for c in self.changes],
                       cursor=self.cursor, has_more=self.has_more, last_mid=self.last_mid)

    def json(self) -> bytes:
        # The PullOut wire form, serialised once from plain dicts (each entity was made
        # JSON-ready when the page was read; nothing validates it again here) by
        # pydantic-core's encoder: compact UTF-8 JSON like json.dumps(separators=(",",
        # ":"), ensure_ascii=False), about 2.5x faster on a 1 MB page.
        return to_json({"changes": [c.wire() for c in self.changes], "cursor": self.cursor,
                        "has_more": self.has_more, "last_mid": self.last_mid})


def _visible_job_ids(session: Session, actor: Actor) -> Any:
    return select(orm.Job.id).where(job_visibility_clause(session, actor))


def _visible_request_ids(actor: Actor) -> Any:
    return select(orm.CustomRequest.id).where(request_visibility_clause(actor))


def _business(column: Any, actor: Actor) -> ColumnElement[bool]:
    if actor.business_id is None:  # pragma: no cover - require_pro guarantees one
        return false()
    result: ColumnElement[bool] = column == actor.business_id
    return result


def _message_visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    # The same rule as GET /v1/messages without a filter: threads of jobs and requests
    # the actor may see.
    return and_(
        _business(orm.Message.business_id, actor),
        or_(orm.Message.job_id.in_(_visible_job_ids(session, actor)),
            and_(orm.Message.job_id.is_(None),
                 orm.Message.request_id.in_(_visible_request_ids(actor)))),
    )


def _photo_visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    # The same rule as GET /v1/photos: a photo is visible with the thing it is on.
    return and_(
        _business(orm.Photo.business_id, actor),
        or_(
            and_(orm.Photo.target_kind == PhotoTargetKind.JOB.value,
                 orm.Photo.target_id.in_(_visible_job_ids(session, actor))),
            and_(orm.Photo.target_kind == PhotoTargetKind.REQUEST.value,
                 orm.Photo.target_id.in_(_visible_request_ids(actor))),
            and_(orm.Photo.target_kind == PhotoTargetKind.ESTIMATE.value,
                 orm.Photo.target_id.in_(
                     select(orm.Estimate.id).where(_business(orm.Estimate.business_id, actor))
                 )),
        ),
    )


def _json_ready(data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    dumped: dict[str, Any] = data.model_dump(mode="json")
    return dumped


def _each(serialize: Callable[[Any], BaseModel | dict[str, Any]]
          ) -> Callable[[Session, Sequence[Any]], Sequence[BaseModel | dict[str, Any]]]:
    """A batch serializer for a kind whose rows need nothing else from the database."""
    return lambda _s, rows: [serialize(row) for row in rows]


def _batch(serialize: Callable[[Session, Sequence[Any]],
                               Sequence[BaseModel] | Sequence[dict[str, Any]]]
           ) -> Callable[[Session, Sequence[Any]], Sequence[BaseModel | dict[str, Any]]]:
    return serialize


SYNC_KINDS: tuple[_Kind, ...] = (
    _Kind("request", orm.CustomRequest, lambda _s, a: request_visibility_clause(a),
          _batch(request_models), True),
    _Kind("estimate", orm.Estimate, lambda _s, a: _business(orm.Estimate.business_id, a),
          _each(estimate_model), True),
    _Kind("visit", orm.Visit, lambda _s, a: _business(orm.Visit.business_id, a),
          _each(visit_model), True),
    # Jobs and messages are what a pull carries by the thousand: rendered as JSON
    # without a second validation (their data was validated when it was written).
    _Kind("job", orm.Job, job_visibility_clause, _batch(job_documents), True),
    _Kind("change_order", orm.ChangeOrder,
          lambda s, a: orm.ChangeOrder.job_id.in_(_visible_job_ids(s, a)),
          _batch(change_order_models), False),
    _Kind("message", orm.Message, _message_visible, _each(message_document), False),
    _Kind("photo", orm.Photo, _photo_visible,
          _each(lambda r: PhotoOut.model_validate(photo_model(r))), False),
    # What the office screens need (issue 5). Appended, never inserted: a snapshot
    # cursor names its kind by index. See _upgrade_cursor for devices synced before.
    _Kind("review", orm.Review, lambda _s, a: review_visibility_clause(a),
          _each(review_model), False),
    _Kind("compliance_document", orm.ComplianceDocument,
          lambda _s, a: compliance_visibility_clause(a), _each(compliance_document_model),
          False),
    _Kind("team_member", orm.User, lambda _s, a: team_visibility_clause(a),
          lambda _s, rows: [team_member_model(row) for row in rows], False),
    # The pro's own business: its name for the screens, its time zone for the office
    # board's days. Written only by the seed today (snapshot, like team members).
    _Kind("business", orm.Business, lambda _s, a: business_visibility_clause(a),
          _each(business_model), False),
)
"""What a pro's device syncs, in snapshot order (requests before what hangs off them).

The office kinds (reviews, compliance documents, team members) follow the same rules
as the rest (`marketplace.authz`): staff get their business's; a technician gets only
reviews of jobs assigned to them, their own compliance documents and their own team
row; customers never sync. Reviews are in the change feed (``customer.review.create``
records one). Compliance documents and users are written only by the seed today, so a
device gets them with its snapshot; a future command that edits them must record a
change (``ctx.changed(business_id, "compliance_document" | "team_member", id)``) and
the feed then delivers it like any other kind, with no change here.
"""

_LEGACY_KIND_COUNT = 7
"""How many kinds SYNC_KINDS had before the office kinds: a changes cursor without
``n`` was issued then, and its device never got a snapshot of the later kinds."""

_KIND_BY_NAME = {kind.name: kind for kind in SYNC_KINDS}


def _encode(state: dict[str, Any]) -> str:
    if "s" in state:
        # Changes cursors remember how many kinds their snapshot covered.
        state = {**state, "n": len(SYNC_KINDS)}
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> DomainError:
    return DomainError(
        ErrorCode.INVALID,
        "The sync cursor is not one this server issued. Clear the cursor and pull again "
        "from the start.",
        {"field": "cursor"},
    )


def _decode(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    if not isinstance(state, dict) or state.get("v") != 1:
        raise _bad_cursor()
    ok_changes = isinstance(state.get("s"), int) and state["s"] >= 0
    ok_snapshot = (isinstance(state.get("p"), int) and state["p"] >= 0
                   and isinstance(state.get("k"), int) and 0 <= state["k"] <= len(SYNC_KINDS)
                   and isinstance(state.get("a"), str))
    if not (ok_changes or ok_snapshot):
        raise _bad_cursor()
    if ok_changes and not (isinstance(state.get("n", 0), int)
                           and 0 <= state.get("n", 0) <= len(SYNC_KINDS)):
        raise _bad_cursor()
    return state


def _upgrade_cursor(state: dict[str, Any]) -> dict[str, Any]:
    """A changes cursor from before kinds were appended to SYNC_KINDS resumes as a
    snapshot of only the new kinds, pinned at its own seq: the rows of those kinds that
    existed before are delivered once, then the feed continues where the device was."""
    known = int(state.get("n", _LEGACY_KIND_COUNT))
    if "s" in state and known < len(SYNC_KINDS):
        return {"v": 1, "p": int(state["s"]), "k": known, "a": ""}
    return state


def pull(
    engine: Engine,
    factory: SessionFactory,
    actor: Actor,
    client_id: str,
    cursor: str | None,
    limit: int = PULL_LIMIT_DEFAULT,
) -> PullOut:
    """One page of the caller's feed after ``cursor`` (None: a first pull, a snapshot).

    Raises:
        DomainError: 403 for customers; 422 ``invalid`` for a cursor we did not issue.
        SyncUnavailable: the database failed.
    """
    return _pull(engine, factory, actor, client_id, cursor, limit).out()


def pull_json(
    engine: Engine,
    factory: SessionFactory,
    actor: Actor,
    client_id: str,
    cursor: str | None,
    limit: int = PULL_LIMIT_DEFAULT,
) -> bytes:
    """`pull`, answered as the JSON body of `PullOut` (what the endpoint sends).

    Cheaper than ``pull(...).model_dump_json()``: each entity is made JSON-ready once
    when the page is read (jobs and messages without their models' validators, see
    `marketplace.serialize.job_documents`) and the page is serialised in one call.
    """
    return _pull(engine, factory, actor, client_id, cursor, limit).json()


def _pull(
    engine: Engine,
    factory: SessionFactory,
    actor: Actor,
    client_id: str,
    cursor: str | None,
    limit: int,
) -> _Page:
    require_pro(actor)
    state = _upgrade_cursor(_decode(cursor)) if cursor else None
    limit = max(1, min(limit, PULL_LIMIT_MAX))
    bind = read_only(engine)
    if engine.dialect.name == "postgresql":
        # One snapshot for every statement of the page (READ COMMITTED would take a new
        # snapshot per statement).
        bind = bind.execution_options(isolation_level="REPEATABLE READ")
    try:
        with factory(bind=bind) as session, session.begin():
            return _pull_page(session, actor, client_id, state, limit)
    except DBAPIError as exc:
        if _infrastructure(exc):
            raise SyncUnavailable() from exc
        raise


def _pull_page(
    session: Session, actor: Actor, client_id: str, state: dict[str, Any] | None, limit: int
) -> _Page:
    last_mid = session.scalar(
        select(orm.SyncClient.last_mid).where(
            orm.SyncClient.user_id == actor.user_id, orm.SyncClient.client_id == client_id
        )
    ) or 0
    head = int(session.scalar(
        select(orm.Business.change_seq).where(orm.Business.id == actor.business_id)
    ) or 0)
    seen = state.get("s", state.get("p", 0)) if state else 0
    if state is None or seen > head:
        # A first pull, or a cursor from ahead of this feed (the server's database was
        # replaced): start over with a snapshot.
        state = {"v": 1, "p": head, "k": 0, "a": ""}
    if "p" in state:
        changes, next_state, has_more = _snapshot_page(session, actor, state, head, limit)
    else:
        changes, next_state, has_more = _changes_page(session, actor, int(state["s"]), limit)
    return _Page(changes=changes, cursor=_encode(next_state), has_more=has_more,
                 last_mid=int(last_mid))


def _snapshot_page(
    session: Session, actor: Actor, state: dict[str, Any], head: int, limit: int
) -> tuple[list[_Change], dict[str, Any], bool]:
    snapshot_seq = int(state["p"])
    index, after = int(state["k"]), str(state["a"])
    out: list[_Change] = []
    while index < len(SYNC_KINDS) and len(out) < limit:
        kind = SYNC_KINDS[index]
        want = limit - len(out)
        rows = _rows(session, kind, kind.visible(session, actor), kind.model.id > after,
                     limit=want)
        out += _upserts(session, actor, kind, rows)
        if len(rows) < want:
            index, after = index + 1, ""
        else:
            after = rows[-1].id
    if index >= len(SYNC_KINDS):
        # Snapshot done: continue with what changed since it began.
        return out, {"v": 1, "s": snapshot_seq}, head > snapshot_seq
    return out, {"v": 1, "p": snapshot_seq, "k": index, "a": after}, True


def _changes_page(
    session: Session, actor: Actor, after_seq: int, limit: int
) -> tuple[list[_Change], dict[str, Any], bool]:
    rows = session.execute(
        select(orm.Change.seq, orm.Change.entity, orm.Change.entity_id)
        .where(orm.Change.business_id == actor.business_id, orm.Change.seq > after_seq)
        .order_by(orm.Change.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return [], {"v": 1, "s": after_seq}, False
    # Latest change per entity; entities are emitted in the order of that change.
    latest: dict[tuple[str, str], int] = {}
    for seq, entity, entity_id in rows:
        if entity in _KIND_BY_NAME:
            latest[(entity, entity_id)] = int(seq)
    resolved: dict[tuple[str, str], _Change] = {}
    for kind in SYNC_KINDS:
        ids = [entity_id for (name, entity_id) in latest if name == kind.name]
        if not ids:
            continue
        found = _rows(session, kind, kind.model.id.in_(ids), kind.visible(session, actor))
        for change in _upserts(session, actor, kind, found):
            resolved[(kind.name, change.id)] = change
    out: list[_Change] = []
    for key, _seq in sorted(latest.items(), key=lambda item: item[1]):
        found_change = resolved.get(key)
        if found_change is not None:
            out.append(found_change)
        elif key[0] == "job":
            # Only a job can leave a pro's sight (reassignment). Everything else a pro
            # sees is either business-wide or hangs off a job (messages, photos, change
            # orders), and goes with that job's delete; so an invisible non-job entity
            # is one this device never had, and is not even named to it.
            out.append(_Change(kind=key[0], id=key[1], op="delete"))
    if not actor.is_staff:
        out += _job_dependents(session, actor, out)
    return out, {"v": 1, "s": int(rows[-1][0])}, has_more


def _job_dependents(session: Session, actor: Actor,
                    out: Sequence[_Change]) -> list[_Change]:
    """Messages, change orders and photos of the jobs upserted on a technician's page.

    A technician's job may have just become visible (assigned to them) with a history
    written while it was not: that history is not in the feed after the cursor, so it
    comes with the job. (Staff see the whole business all along and never need this.)
    """
    job_ids = [c.id for c in out if c.kind == "job" and c.op == "upsert"]
    if not job_ids:
        return []
    present = {(c.kind, c.id) for c in out}
    extra: list[_Change] = []
    for name, where in (
        ("change_order", orm.ChangeOrder.job_id.in_(job_ids)),
        ("message", orm.Message.job_id.in_(job_ids)),
        ("photo", and_(orm.Photo.target_kind == PhotoTargetKind.JOB.value,
                       orm.Photo.target_id.in_(job_ids))),
    ):
        kind = _KIND_BY_NAME[name]
        rows = _rows(session, kind, where, kind.visible(session, actor))
        extra += [c for c in _upserts(session, actor, kind, rows)
                  if (c.kind, c.id) not in present]
    return extra


def _upserts(session: Session, actor: Actor, kind: _Kind,
             rows: Sequence[Any]) -> list[_Change]:
    if not rows:
        return []
    seq_versions = {} if kind.has_version else _latest_seqs(
        session, actor, kind.name, (row.id for row in rows)
    )
    return [
        _Change(
            kind=kind.name, id=row.id, op="upsert",
            version=int(row.version) if kind.has_version else seq_versions.get(row.id, 0),
            data=_json_ready(data),
        )
        for row, data in zip(rows, kind.serialize(session, rows), strict=True)
    ]


def _rows(session: Session, kind: _Kind, *where: ColumnElement[bool],
          limit: int | None = None) -> Sequence[Any]:
    """Rows of ``kind``'s table matching ``where``, in id order: plain column rows (read
    by attribute like the ORM objects), since building thousands of identity-mapped
    objects per page cost more than the serialising that follows."""
    statement = select(kind.model.__table__).where(*where).order_by(kind.model.id)
    if limit is not None:
        statement = statement.limit(limit)
    return session.execute(statement).all()


def _latest_seqs(session: Session, actor: Actor, entity: str,
                 ids: Iterable[str]) -> dict[str, int]:
    rows = session.execute(
        select(orm.Change.entity_id, func.max(orm.Change.seq))
        .where(orm.Change.business_id == actor.business_id, orm.Change.entity == entity,
               orm.Change.entity_id.in_(list(ids)))
        .group_by(orm.Change.entity_id)
    ).all()
    return {str(entity_id): int(seq) for entity_id, seq in rows}
