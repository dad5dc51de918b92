"""The command framework: one registry of handlers, one way to execute a command.

Every state-changing action of the marketplace is a *command*: a versioned name
(``estimate.submit``), a pydantic args model, and ONE handler function. REST endpoints
and (later) the sync push call the same `execute_command`, so a rule lives in exactly one
place and an action behaves the same however it arrives.

`execute_command` is deliberately transaction-agnostic: it runs inside the caller's
transaction and never commits. The caller wraps it with whatever else must be atomic
with it (the sync push also stores the client's ``last_mid``) and commits once. Inside,
the handler runs in a SAVEPOINT: a `DomainError` rolls back the handler's half-done
writes but keeps the idempotency record of the refusal, so a replay answers the same
refusal (a rejected mutation never wedges a sync queue, DESIGN.md section 4).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, event, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from marketplace import orm
from marketplace.authz import Actor, require_roles
from marketplace.config import Settings
from marketplace.db import SessionFactory
from marketplace.errors import status_for
from proapp.domain import PRO_COMMANDS, PRO_ROLES, DomainError, ErrorCode, Role
from proapp.domain.wire import strip_defaults

__all__ = [
    "CommandBatch",
    "CommandContext",
    "CommandOutcome",
    "CommandSpec",
    "Handler",
    "command_fingerprint",
    "execute_command",
    "get_command",
    "handler",
    "registered_commands",
    "run_command",
    "validation_details",
]

ArgsT = TypeVar("ArgsT", bound=BaseModel)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real current time, UTC-aware."""
    return datetime.now(UTC)


@dataclass
class CommandContext:
    """What a handler gets besides its args.

    Attributes:
        session: the caller's session, inside its transaction (handlers never commit).
        actor: who sends the command (already authenticated).
        now: the command's time (one clock reading per command, injectable in tests).
        settings: server settings.
        command: the versioned command name being executed.
        base_version: the version of the edited entity the client based its change on,
            when the caller knows it (sync push); handlers check it with
            `ensure_base_version`. REST callers leave it None (no check).
    """

    session: Session
    actor: Actor
    now: datetime
    settings: Settings
    command: str
    base_version: int | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def changed(self, business_id: str, entity: str, entity_id: str) -> None:
        """Note that ``entity`` changed; it enters ``business_id``'s change feed if the
        command succeeds (numbered by `CommandBatch.finish`, before the commit)."""
        change = (business_id, entity, entity_id)
        if change not in self.changes:
            self.changes.append(change)

    def insert_row(self, model: type[orm.Base], values: Mapping[str, Any], *,
                   unless_exists: bool = False) -> bool:
        """INSERT one row of ``model`` now, as a plain statement on the transaction's
        connection: no unit of work (the object is not in the session), which is much
        cheaper for a row the command only creates. Counts as a write for
        ``savepoint=False`` handlers.

        ``unless_exists``: if a row with the same primary key exists, write nothing
        (``ON CONFLICT DO NOTHING``) and return False. One statement instead of a SELECT
        followed by the INSERT, and a row a concurrent transaction committed first is
        found too (PostgreSQL waits for it) instead of failing the whole transaction
        with a duplicate key. Nothing was written then, so a handler may still refuse.
        """
        connection = self.session.connection()
        if unless_exists:
            statement = _insert_unless_exists_statement(model, connection.dialect.name)
        else:
            statement = _insert_statement(model)
        result = connection.execute(statement, dict(values))
        written = not unless_exists or result.rowcount == 1
        if written:
            self.session.info[_WRITES] = self.session.info.get(_WRITES, 0) + 1
        return written

    def ensure_base_version(self, entity: str, current_version: int) -> None:
        """Refuse with ``stale_base`` if the client edited an older copy (sync push)."""
        if self.base_version is not None and self.base_version != current_version:
            raise DomainError(
                ErrorCode.STALE_BASE,
                f"This {entity} changed on the server since you edited it. Review the "
                "current version and make your change again if it still applies.",
                {"entity": entity, "base_version": self.base_version,
                 "current_version": current_version},
            )


Handler = Callable[[CommandContext, Any], dict[str, Any]]


@dataclass(frozen=True)
class CommandSpec(Generic[ArgsT]):
    """A registered command: its args model, handler, allowed roles and success status."""

    name: str
    args_model: type[ArgsT]
    handler: Callable[[CommandContext, ArgsT], dict[str, Any]]
    roles: frozenset[Role]
    success_status: int = 200
    savepoint: bool = True
    """False: the handler refuses (raises `DomainError`) only before its first write
    (or after an ``insert_row(unless_exists=True)`` that wrote nothing), so it needs no
    savepoint of its own (checked on every refusal, see `execute_command`)."""


_REGISTRY: dict[str, CommandSpec[Any]] = {}


def handler(
    name: str,
    *,
    args_model: type[BaseModel] | None = None,
    roles: frozenset[Role] = PRO_ROLES,
    success_status: int = 200,
    savepoint: bool = True,
) -> Callable[[Callable[[CommandContext, Any], dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register the decorated function as THE handler of command ``name``.

    ``args_model`` defaults to the shared domain's ``PRO_COMMANDS[name]``; customer
    commands pass their own model and ``roles=frozenset({Role.CUSTOMER})``. Only actors
    with one of ``roles`` may run it (others get 403 ``forbidden``); finer checks
    (staff only, assigned technician) belong in the handler.

    ``savepoint=False`` is for handlers that check everything before they write
    anything (their only refusals come before the first write, or after an
    ``insert_row(unless_exists=True)`` that found the row and wrote nothing, which does
    not count as a write): they then skip the
    per-command SAVEPOINT, which is a fair share of a small command's cost in a sync
    batch. A refusal after a write is caught and fails the whole transaction (see
    `execute_command`), so a wrong flag can never commit half a command.
    """
    model = args_model if args_model is not None else PRO_COMMANDS.get(name)
    if model is None:
        raise ValueError(f"command {name!r} has no args model (not in PRO_COMMANDS)")

    def register(
        func: Callable[[CommandContext, Any], dict[str, Any]],
    ) -> Callable[[CommandContext, Any], dict[str, Any]]:
        if name in _REGISTRY:
            raise ValueError(f"command {name!r} already has a handler")
        _REGISTRY[name] = CommandSpec(name, model, func, roles, success_status, savepoint)
        return func

    return register


def get_command(name: str) -> CommandSpec[Any] | None:
    """The registered spec of ``name`` (None if unknown)."""
    _load_handlers()
    return _REGISTRY.get(name)


def registered_commands() -> Mapping[str, CommandSpec[Any]]:
    """All registered commands, by name."""
    _load_handlers()
    return dict(_REGISTRY)


_handlers_loaded = False


def _load_handlers() -> None:
    # Importing the handler modules registers them; done lazily so that importing the
    # framework alone never creates an import cycle. Once is enough (a sync push looks
    # up a command for every mutation, and import_module is not free).
    global _handlers_loaded
    if _handlers_loaded:
        return
    importlib.import_module("marketplace.commands.pro")
    try:
        importlib.import_module("marketplace.customer.commands")
    except ModuleNotFoundError as exc:  # the customer side registers itself when present
        if exc.name not in {"marketplace.customer", "marketplace.customer.commands"}:
            raise
    _handlers_loaded = True


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def command_fingerprint(name: str, raw_args: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``{"command": name, "args": raw_args}``, the
    top-level arguments equal to their defaults left out.

    Computed from the args as sent (before validation), so a replay with byte-different
    but equivalent JSON (key order, spacing) still matches; and without the defaults
    (`proapp.domain.wire.strip_defaults`), because a device's push leaves them out
    while a REST client may spell them out, and that is the same action.
    """
    data = _canonical_json({"command": name, "args": strip_defaults(name, raw_args)})
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as JSON-friendly dicts: ``loc``, ``msg``, ``type``."""
    return [
        {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


@dataclass(frozen=True)
class CommandOutcome:
    """The answer to one command: what to send back and whether it changed anything.

    Attributes:
        status_code: HTTP status (2xx applied; 4xx refused with an error body).
        body: the result (applied) or ``{"code", "message", "details"}`` (refused).
        replayed: True if this is a stored answer to an earlier identical command.
        applied: True if the command took effect (now or, for a replay, back then).
    """

    status_code: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def applied(self) -> bool:
        """True for a 2xx outcome."""
        return 200 <= self.status_code < 300

    @property
    def error_code(self) -> str | None:
        """The error code of a refused command."""
        return None if self.applied else str(self.body.get("code"))


@dataclass(frozen=True)
class _StoredOutcome:
    """An idempotency record as the batch knows it (loaded, or written by the batch)."""

    command: str
    fingerprint: str
    status_code: int
    response: dict[str, Any]


@dataclass
class CommandBatch:
    """What the commands of one transaction share, written once at its end (`finish`).

    A sync push runs up to 100 commands in one transaction; per command this saves the
    idempotency lookup (`prefetch` reads every key of the batch in one query), the
    idempotency INSERT (one multi-row INSERT) and the change-feed numbering (one UPDATE
    of each business row and one multi-row INSERT of its entries, instead of one UPDATE
    and one INSERT per change). The REST path is a batch of one command.

    Change-feed entries are numbered in `finish`, in the order the commands ran, so the
    feed stays gap-free and ordered; the business row is updated (locked, on
    PostgreSQL) last, as before: every command still takes its locks in the same order
    (entity rows first, business row last), which rules out deadlocks between commands.
    Nothing in a command reads the feed, so numbering at the end changes no result.
    A refused command contributes no change (its changes are dropped with its
    savepoint) but does contribute its idempotency record (the refusal is replayed).
    """

    actor: Actor
    known: dict[str, _StoredOutcome] = field(default_factory=dict)
    """Idempotency records of this actor by key: prefetched, or written by the batch
    (so a key used twice in one batch replays the first outcome)."""
    fetched: set[str] = field(default_factory=set)
    """Keys already looked up (found or not)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[str, str, str, datetime]] = field(default_factory=list)

    @property
    def scope(self) -> str:
        """The idempotency scope of the batch's actor."""
        return _idempotency_scope(self.actor)

    def prefetch(self, session: Session, keys: Sequence[str]) -> None:
        """Load the stored outcomes of ``keys`` in one query (the rest are unknown)."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self.fetched]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = session.execute(
                select(orm.IdempotencyRecord.key, orm.IdempotencyRecord.command,
                       orm.IdempotencyRecord.fingerprint, orm.IdempotencyRecord.status_code,
                       orm.IdempotencyRecord.response)
                .where(orm.IdempotencyRecord.scope == self.scope,
                       orm.IdempotencyRecord.key.in_(chunk))
            ).all()
            for key, command, fingerprint, status_code, response in rows:
                self.known[key] = _StoredOutcome(command, fingerprint, status_code,
                                                 dict(response))
            self.fetched.update(chunk)

    def lookup(self, session: Session, key: str) -> _StoredOutcome | None:
        """The stored outcome of ``key`` (one query unless prefetched)."""
        if key not in self.fetched:
            self.prefetch(session, [key])
        return self.known.get(key)

    def store(self, key: str, name: str, fingerprint: str, outcome: CommandOutcome,
              now: datetime) -> None:
        """Remember ``outcome`` under ``key``; INSERTed by `finish`."""
        self.known[key] = _StoredOutcome(name, fingerprint, outcome.status_code, outcome.body)
        self.fetched.add(key)
        self.records.append({
            "scope": self.scope, "key": key, "command": name, "fingerprint": fingerprint,
            "status_code": outcome.status_code, "response": outcome.body, "created_at": now,
        })

    def finish(self, session: Session) -> None:
        """Write what the batch's commands left: change-feed entries, then idempotency
        records (a key a concurrent request stored first fails here with
        `IntegrityError`; the caller retries, and the retry replays that outcome)."""
        changes, self.changes = self.changes, []
        by_business: dict[str, list[tuple[str, str, datetime]]] = {}
        for business_id, entity, entity_id, now in changes:
            by_business.setdefault(business_id, []).append((entity, entity_id, now))
        rows: list[dict[str, Any]] = []
        for business_id, entries in by_business.items():
            last = int(session.execute(
                update(orm.Business)
                .where(orm.Business.id == business_id)
                .values(change_seq=orm.Business.change_seq + len(entries))
                .returning(orm.Business.change_seq)
            ).scalar_one())
            first = last - len(entries) + 1
            rows += [
                {"business_id": business_id, "seq": first + i, "entity": entity,
                 "entity_id": entity_id, "changed_at": now}
                for i, (entity, entity_id, now) in enumerate(entries)
            ]
        # Plain multi-row INSERTs on the connection (executemany), like
        # `CommandContext.insert_row`: the ORM's bulk path would inspect every row first.
        connection = session.connection()
        if rows:
            connection.execute(_insert_statement(orm.Change), rows)
        records, self.records = self.records, []
        if records:
            connection.execute(_insert_statement(orm.IdempotencyRecord), records)


def _idempotency_scope(actor: Actor) -> str:
    # Keys are per user: two users picking the same key never collide.
    return f"user:{actor.user_id}"


def execute_command(
    session: Session,
    actor: Actor,
    name: str,
    raw_args: Mapping[str, Any],
    idempotency_key: str,
    *,
    settings: Settings,
    clock: Clock = system_clock,
    base_version: int | None = None,
    batch: CommandBatch | None = None,
) -> CommandOutcome:
    """Run command ``name`` for ``actor`` exactly once per ``idempotency_key``.

    Runs in the caller's transaction and never commits (see the module docstring):

    1. A stored record for (actor, key): same fingerprint -> the stored outcome,
       ``replayed=True``; another fingerprint -> 422 ``idempotency_mismatch`` (nothing
       stored, the original stays authoritative).
    2. Unknown command or invalid args -> 422 ``invalid``; a role not allowed -> 403.
    3. The handler runs in a SAVEPOINT; a `DomainError` rolls its writes back. (A
       handler registered with ``savepoint=False`` refuses only before writing; a
       refusal after a write raises `RuntimeError` instead, failing the transaction.)
    4. The outcome (success or refusal) is stored with the key, in the same transaction.

    With ``batch`` (a sync push: many commands, one transaction), the idempotency
    record and the change-feed entries are written by ``batch.finish()``, which the
    caller must call before committing; without it they are written before returning.

    Any other exception propagates and the caller must roll back: nothing is stored, and
    a retry with the same key runs the command afresh.

    If two requests race with one key, the loser's INSERT raises
    `sqlalchemy.exc.IntegrityError`; `run_command` handles that by retrying (the retry
    replays the winner's outcome).
    """
    own_batch = batch is None
    work = CommandBatch(actor) if batch is None else batch
    if work.actor.user_id != actor.user_id:
        raise ValueError("a command batch serves one actor")
    fingerprint = command_fingerprint(name, raw_args)
    existing = work.lookup(session, idempotency_key)
    if existing is not None:
        if existing.fingerprint == fingerprint and existing.command == name:
            return CommandOutcome(existing.status_code, dict(existing.response), replayed=True)
        error = DomainError(
            ErrorCode.IDEMPOTENCY_MISMATCH,
            "This Idempotency-Key was already used for a different request. Use a new key "
            "for a new action; reuse a key only to retry exactly the same request.",
            {"idempotency_key": idempotency_key, "command": existing.command},
        )
        return CommandOutcome(status_for(error.code), error.to_dict())

    now = clock()
    try:
        spec = get_command(name)
        if spec is None:
            raise DomainError(
                ErrorCode.INVALID,
                f"'{name}' is not a known command. Update the app, then try again.",
                {"command": name},
            )
        require_roles(actor, spec.roles, f"run {name}")
        try:
            args = spec.args_model.model_validate(dict(raw_args))
        except ValidationError as exc:
            errors = validation_details(exc)
            first = errors[0] if errors else {"loc": [], "msg": "invalid"}
            where = ".".join(first["loc"]) or "args"
            raise DomainError(
                ErrorCode.INVALID,
                f"The {name} request is not valid ({where}: {first['msg']}). "
                "Correct it and send it again.",
                {"command": name, "errors": errors},
            ) from exc
        ctx = CommandContext(
            session=session, actor=actor, now=now, settings=settings, command=name,
            base_version=base_version,
        )
        if spec.savepoint:
            with session.begin_nested():
                result = spec.handler(ctx, args)
                # Flushed inside the savepoint, so a write the database refuses surfaces
                # here (and a DomainError above rolls back only this command's writes).
                session.flush()
        else:
            result = _run_without_savepoint(spec, ctx, args)
        work.changes += [(business_id, entity, entity_id, now)
                         for business_id, entity, entity_id in ctx.changes]
        outcome = CommandOutcome(spec.success_status, result)
    except DomainError as exc:
        outcome = CommandOutcome(status_for(exc.code), exc.to_dict())

    work.store(idempotency_key, name, fingerprint, outcome, now)
    if own_batch:
        work.finish(session)
    return outcome


_WRITES = "marketplace.commands.writes"
"""session.info key: writes (statements and flushes) made in the session so far."""


@functools.cache
def _insert_statement(model: type[orm.Base]) -> Any:
    # One statement object per table, so SQLAlchemy compiles it once.
    return model.__table__.insert()  # type: ignore[attr-defined]


@functools.cache
def _insert_unless_exists_statement(model: type[orm.Base], dialect: str) -> Any:
    # INSERT ... ON CONFLICT (primary key) DO NOTHING, in the dialect's own construct
    # (both databases we run on have it); cached like `_insert_statement`. SQLAlchemy
    # reports an INSERT's rowcount (0: nothing written) only when asked to keep it.
    table = cast(Table, model.__table__)
    key = list(table.primary_key.columns)
    statement: Any
    if dialect == "postgresql":
        statement = postgresql_insert(table).on_conflict_do_nothing(index_elements=key)
    elif dialect == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=key)
    else:
        raise NotImplementedError(f"insert_row(unless_exists=True) on {dialect}")
    return statement.execution_options(preserve_rowcount=True)


@event.listens_for(Session, "do_orm_execute")
def _count_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WRITES] = state.session.info.get(_WRITES, 0) + 1


@event.listens_for(Session, "before_flush")
def _count_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Only called when the session has something to write.
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


def _run_without_savepoint(spec: CommandSpec[Any], ctx: CommandContext, args: Any
                           ) -> dict[str, Any]:
    """Run a ``savepoint=False`` handler; a refusal after any write is a bug in its
    registration, and raises `RuntimeError` so the whole transaction rolls back."""
    session = ctx.session
    before = session.info.get(_WRITES, 0)
    try:
        return spec.handler(ctx, args)
    except DomainError:
        if (session.info.get(_WRITES, 0) != before or session.new or session.deleted
                or session.dirty):
            raise RuntimeError(
                f"command {spec.name} refused after writing; it must run in a savepoint "
                "(register it without savepoint=False)"
            ) from None
        raise


def run_command(
    session_factory: SessionFactory,
    actor: Actor,
    name: str,
    raw_args: Mapping[str, Any],
    idempotency_key: str,
    *,
    settings: Settings,
    clock: Clock = system_clock,
) -> CommandOutcome:
    """`execute_command` in its own transaction, committed; for REST endpoints.

    A concurrent request with the same key that commits first makes our insert fail;
    we then start over once, which replays its stored outcome.
    """
    for attempt in range(2):
        with session_factory() as session:
            try:
                with session.begin():
                    return execute_command(
                        session, actor, name, raw_args, idempotency_key,
                        settings=settings, clock=clock,
                    )
            except IntegrityError:
                if attempt == 1:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover
