"""The outbox: pro actions queued on this device until the server has answered them.

DESIGN §4. Each row is one mutation with a gap-free per-install sequence number ``mid``
(the server applies mutations of a client strictly in ``mid`` order and remembers the
last one it processed), a ``mutation_id`` UUID, a versioned command ``name``
(``estimate.submit``), JSON ``args`` validated with the shared domain model before they
are queued, the ``base_version`` of what it edits, and the blobs it references.

Life of a mutation::

    pending ──push──> in_flight ──> applied
       ^                  │    └──> rejected ──> needs attention ──> discard | resubmit
       └── schedule_retry ┘                      (kept, with the server's reason)

Why ``mid`` comes from a counter row bumped inside the enqueuing transaction: a rolled
back action rolls its number back too, so the sequence has no holes (a hole would stall
the server's in-order processing forever), and pruning old applied rows never lets a
number be reused (the server would replay an old result instead of applying).

A queued mutation is never deleted before the server answered it, and a rejected one is
never deleted at all by the sync machinery: only the pro's explicit `Outbox.discard`
resolves it (nothing the pro entered is silently dropped).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Literal

from proapp.domain.commands import parse_command_args
from proapp.domain.errors import DomainError, ErrorCode
from proapp.sync.store import Store, Transaction, dumps, from_ms, to_ms

__all__ = [
    "AsyncOutbox",
    "CommandValidator",
    "MutationState",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "Rejection",
    "Resolution",
    "ValidatedCommand",
    "validate_pro_command",
]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MutationState(StrEnum):
    """Where a mutation is in its life (stored as this text)."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    APPLIED = "applied"
    REJECTED = "rejected"


class Resolution(StrEnum):
    """How the pro resolved a rejected mutation."""

    DISCARDED = "discarded"
    RESUBMITTED = "resubmitted"


@dataclass(frozen=True, slots=True)
class Rejection:
    """The server's reason for refusing a mutation (the shared error body)."""

    code: str
    message: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued mutation, as stored."""

    mid: int
    mutation_id: str
    name: str
    args: dict[str, Any]
    base_version: int | None
    blob_hashes: tuple[str, ...]
    state: MutationState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    last_error: str | None
    rejection: Rejection | None
    resolution: Resolution | None
    resolved_at: datetime | None
    replaces_mid: int | None

    @property
    def needs_attention(self) -> bool:
        """Rejected by the server and not yet discarded or resubmitted by the pro."""
        return self.state is MutationState.REJECTED and self.resolution is None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """Counts for the sync badge: pending work, its age, and what needs the pro."""

    pending: int
    in_flight: int
    applied: int
    rejected: int
    needs_attention: int
    oldest_pending_at: datetime | None
    oldest_pending_age: timedelta | None

    @property
    def unsent(self) -> int:
        """Mutations the server has not answered yet (pending + in flight)."""
        return self.pending + self.in_flight


@dataclass(frozen=True, slots=True)
class ValidatedCommand:
    """Command args after validation: JSON-ready (re-validatable by the server) and the
    blob hashes the command references."""

    args: dict[str, Any]
    blob_hashes: tuple[str, ...]


CommandValidator = Callable[[str, Mapping[str, Any]], ValidatedCommand]
"""Validates ``(name, args)``; raises `DomainError` (code ``invalid``) to refuse them."""


def validate_pro_command(name: str, args: Mapping[str, Any]) -> ValidatedCommand:
    """Validate with the shared domain model (`proapp.domain.commands.PRO_COMMANDS`).

    The stored args are the model's JSON round-trip dump (normalised ids and enums, no
    computed fields), checked to validate again, since the server will re-validate
    exactly these bytes with the same model.

    Raises:
        DomainError: ``invalid`` for an unknown command or bad args.
    """
    model = parse_command_args(name, args)
    data = model.model_dump(mode="json", round_trip=True)
    parse_command_args(name, data)
    return ValidatedCommand(args=data, blob_hashes=tuple(model.blob_hashes()))


class _Keep(Enum):
    KEEP = 0


_COLUMNS = (
    "mid, mutation_id, name, args, base_version, blob_hashes, state, attempts, "
    "next_attempt_ms, created_ms, updated_ms, last_error, reject_code, reject_message, "
    "reject_details, resolution, resolved_ms, replaces_mid"
)
_UNSENT = "('pending', 'in_flight')"
_SET_STATE_CHUNK = 500


def _entry(row: Sequence[Any]) -> OutboxEntry:
    rejection = None
    if row[12] is not None:
        rejection = Rejection(code=row[12], message=row[13] or "", details=json.loads(row[14]))
    # A push reads its whole batch through here: a queued row's three times are
    # usually one and the same moment, converted once (datetimes are immutable).
    created_at = from_ms(row[9])
    return OutboxEntry(
        mid=row[0],
        mutation_id=row[1],
        name=row[2],
        args=json.loads(row[3]),
        base_version=row[4],
        blob_hashes=tuple(json.loads(row[5])) if row[5] != "[]" else (),
        state=MutationState(row[6]),
        attempts=row[7],
        next_attempt_at=created_at if row[8] == row[9] else from_ms(row[8]),
        created_at=created_at,
        updated_at=created_at if row[10] is None or row[10] == row[9] else from_ms(row[10]),
        last_error=row[11],
        rejection=rejection,
        resolution=Resolution(row[15]) if row[15] is not None else None,
        resolved_at=from_ms(row[16]) if row[16] is not None else None,
        replaces_mid=row[17],
    )


def _check_hashes(hashes: Iterable[str]) -> tuple[str, ...]:
    result = tuple(sorted(set(hashes)))
    bad = [h for h in result if not _SHA256.fullmatch(h)]
    if bad:
        raise DomainError(
            ErrorCode.INVALID,
            "A photo or signature reference is malformed. Take it again, then save.",
            {"blob_hashes": bad},
        )
    return result


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


class Outbox:
    """The mutation queue of one `Store` (one account on this device).

    ``validate`` defaults to the shared domain commands; tests may pass another
    `CommandValidator`. Methods that write take an optional ``tx`` so the sync engine
    can record a push result together with pulled data in one transaction.
    """

    def __init__(self, store: Store, validate: CommandValidator = validate_pro_command):
        self._store = store
        self._validate = validate

    # --- writing ----------------------------------------------------------------------

    @contextmanager
    def _in_transaction(
        self, conn_or_tx: Transaction | sqlite3.Connection | None
    ) -> Iterator[sqlite3.Connection]:
        if isinstance(conn_or_tx, Transaction):
            conn_or_tx.check_active()
            yield conn_or_tx.connection
        elif isinstance(conn_or_tx, sqlite3.Connection):
            if conn_or_tx.in_transaction:
                yield conn_or_tx
                return
            conn_or_tx.execute("BEGIN IMMEDIATE")
            try:
                yield conn_or_tx
            except BaseException:
                conn_or_tx.execute("ROLLBACK")
                raise
            conn_or_tx.execute("COMMIT")
        else:
            with self._store.transaction() as tx:
                yield tx.connection

    def enqueue(
        self,
        conn_or_tx: Transaction | sqlite3.Connection | None,
        name: str,
        args: Mapping[str, Any],
        base_version: int | None = None,
        blob_hashes: Iterable[str] = (),
    ) -> OutboxEntry:
        """Queue mutation ``name`` in the caller's transaction and return its row.

        Pass the `Transaction` that also holds the optimistic change (one user action =
        one transaction, DESIGN §3); a bare connection in a transaction works too, and
        ``None`` (or a connection outside a transaction) commits the row on its own.
        ``blob_hashes`` are added to those the command's args name; every one must
        already be in the blob store, and the mutation is not `sendable` until all are
        uploaded.

        Raises:
            DomainError: ``invalid`` if the command model refuses ``args`` or a blob is
                missing. Validation runs before anything is written; let the exception
                leave the ``with store.transaction()`` block so the optimistic change
                rolls back as well.
        """
        validated = self._validate(name, args)
        hashes = _check_hashes([*blob_hashes, *validated.blob_hashes])
        with self._in_transaction(conn_or_tx) as conn:
            return self._insert(conn, name, validated.args, base_version, hashes, None)

    def _insert(
        self,
        conn: sqlite3.Connection,
        name: str,
        args: dict[str, Any],
        base_version: int | None,
        hashes: tuple[str, ...],
        replaces_mid: int | None,
    ) -> OutboxEntry:
        if hashes:
            known = {
                row[0]
                for row in conn.execute(
                    f"SELECT hash FROM blobs WHERE hash IN ({_placeholders(len(hashes))})",
                    hashes,
                )
            }
            missing = [h for h in hashes if h not in known]
            if missing:
                raise DomainError(
                    ErrorCode.INVALID,
                    "A photo or signature this change needs is not saved on this device. "
                    "Take it again, then save the change.",
                    {"missing_blobs": missing},
                )
        # The counter bump and the row are in the same transaction: gap-free mids.
        conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'outbox_mid'")
        mid = int(
            conn.execute("SELECT value FROM counters WHERE name = 'outbox_mid'").fetchone()[0]
        )
        now = self._store.now_ms()
        mutation_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO outbox(mid, mutation_id, name, args, base_version, blob_hashes, state, "
            "attempts, next_attempt_ms, created_ms, updated_ms, replaces_mid) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
            (
                mid,
                mutation_id,
                name,
                dumps(args),
                base_version,
                dumps(list(hashes)),
                now,
                now,
                now,
                replaces_mid,
            ),
        )
        conn.executemany(
            "INSERT INTO outbox_blobs(mid, hash) VALUES (?, ?)", [(mid, h) for h in hashes]
        )
        row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE mid = ?", (mid,)).fetchone()
        return _entry(row)

    def mark_in_flight(self, mids: Iterable[int], tx: Transaction | None = None) -> int:
        """Note that ``mids`` were sent and no answer came yet (for the UI: "sending")."""
        return self._set_state(mids, "in_flight", tx)

    def mark_applied(self, mids: Iterable[int], tx: Transaction | None = None) -> int:
        """Record that the server applied ``mids``. Already-answered rows are left as they
        are (a replayed push result is normal). Returns the number of rows changed."""
        return self._set_state(mids, "applied", tx)

    def _set_state(self, mids: Iterable[int], state: str, tx: Transaction | None) -> int:
        # One UPDATE for a whole push's rows (in chunks that stay under SQLite's oldest
        # limit of 999 parameters), not one statement per row.
        mids = list(dict.fromkeys(mids))
        changed = 0
        with self._store.writing(tx) as t:
            now = self._store.now_ms()
            for start in range(0, len(mids), _SET_STATE_CHUNK):
                chunk = mids[start:start + _SET_STATE_CHUNK]
                cur = t.execute(
                    "UPDATE outbox SET state = ?, updated_ms = ?, "
                    "last_error = CASE WHEN ? = 'applied' THEN NULL ELSE last_error END "
                    f"WHERE mid IN ({_placeholders(len(chunk))}) AND state IN {_UNSENT}",
                    (state, now, state, *chunk),
                )
                changed += cur.rowcount
        return changed

    def mark_rejected(
        self,
        mid: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        tx: Transaction | None = None,
    ) -> bool:
        """Record the server's refusal; the mutation now needs the pro's attention.

        The row keeps everything the pro entered. The sync engine drops the mutation's
        optimistic overlay in the same transaction (the entity falls back to the server
        copy; see `proapp.sync.engine`); called alone, this leaves the overlay as it is.
        Returns False if the row had already been answered (a replayed result).
        """
        with self._store.writing(tx) as t:
            cur = t.execute(
                "UPDATE outbox SET state = 'rejected', reject_code = ?, reject_message = ?, "
                "reject_details = ?, last_error = ?, updated_ms = ? "
                f"WHERE mid = ? AND state IN {_UNSENT}",
                (code, message, dumps(dict(details or {})), message, self._store.now_ms(), mid),
            )
            return cur.rowcount > 0

    def schedule_retry(
        self, mid: int, at: datetime, error: str, tx: Transaction | None = None
    ) -> bool:
        """After a failed send (network, 503): back to pending, not before ``at``.

        Counts the failed attempt. Returns False if the row is no longer unsent.
        """
        with self._store.writing(tx) as t:
            cur = t.execute(
                "UPDATE outbox SET state = 'pending', attempts = attempts + 1, "
                "next_attempt_ms = ?, last_error = ?, updated_ms = ? "
                f"WHERE mid = ? AND state IN {_UNSENT}",
                (to_ms(at), error, self._store.now_ms(), mid),
            )
            return cur.rowcount > 0

    def reset_in_flight(self, tx: Transaction | None = None) -> int:
        """On start-up: rows left ``in_flight`` by a crash are pending again (resending is
        safe: the server replays a known ``mid``)."""
        with self._store.writing(tx) as t:
            return t.execute(
                "UPDATE outbox SET state = 'pending' WHERE state = 'in_flight'"
            ).rowcount

    def discard(self, mid: int, tx: Transaction | None = None) -> OutboxEntry:
        """The pro explicitly gives up a rejected change. The row is kept (history) and
        its optimistic overlay is dropped, so the server's copy shows again.

        Raises:
            DomainError: ``invalid_transition`` unless the mutation needs attention (a
                queued mutation cannot be dropped: its ``mid`` is part of the sequence
                the server expects).
        """
        with self._store.writing(tx) as t:
            self._require_attention(t.connection, mid)
            t.execute(
                "UPDATE outbox SET resolution = 'discarded', resolved_ms = ?, updated_ms = ? "
                "WHERE mid = ?",
                (self._store.now_ms(), self._store.now_ms(), mid),
            )
            self._store.cache.drop_overlays(t, [mid])
            return self._get(t.connection, mid)

    def resubmit(
        self,
        mid: int,
        new_args: Mapping[str, Any],
        *,
        base_version: int | None | Literal[_Keep.KEEP] = _Keep.KEEP,
        blob_hashes: Iterable[str] = (),
        tx: Transaction | None = None,
    ) -> OutboxEntry:
        """Queue the pro's edited version of a rejected mutation as a NEW mutation (new
        ``mid`` and ``mutation_id``, ``replaces_mid`` pointing back), and mark the old
        one resubmitted. Both rows are kept. Overlays move to the new mutation.

        ``base_version`` defaults to the old one; after a ``stale_base`` rejection pass
        the version of the server copy the pro edited on top of.

        Raises:
            DomainError: ``invalid`` for bad args (nothing written), or
                ``invalid_transition`` unless the mutation needs attention.
        """
        with self._store.writing(tx) as t:
            old = self._require_attention(t.connection, mid)
            validated = self._validate(old.name, new_args)
            hashes = _check_hashes([*blob_hashes, *validated.blob_hashes])
            base = old.base_version if base_version is _Keep.KEEP else base_version
            new = self._insert(t.connection, old.name, validated.args, base, hashes, mid)
            t.execute(
                "UPDATE outbox SET resolution = 'resubmitted', resolved_ms = ?, updated_ms = ? "
                "WHERE mid = ?",
                (self._store.now_ms(), self._store.now_ms(), mid),
            )
            self._store.cache.move_overlays(t, mid, new.mid)
            return new

    def prune_applied(self, older_than: datetime, tx: Transaction | None = None) -> int:
        """Delete applied rows last changed before ``older_than`` (keeps the file small).
        ``mid`` numbering is unaffected (it comes from the counter)."""
        with self._store.writing(tx) as t:
            return t.execute(
                "DELETE FROM outbox WHERE state = 'applied' AND updated_ms < ?",
                (to_ms(older_than),),
            ).rowcount

    # --- reading ----------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, mid: int) -> OutboxEntry:
        row = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE mid = ?", (mid,)).fetchone()
        if row is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                "That queued change no longer exists. Refresh the list.",
                {"mid": mid},
            )
        return _entry(row)

    def _require_attention(self, conn: sqlite3.Connection, mid: int) -> OutboxEntry:
        entry = self._get(conn, mid)
        if not entry.needs_attention:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                "Only a change the server refused can be discarded or sent again; this one "
                f"is {entry.resolution or entry.state}.",
                {"mid": mid, "state": str(entry.state), "resolution": entry.resolution},
            )
        return entry

    def get(self, mid: int) -> OutboxEntry | None:
        """The row ``mid``, or None."""
        row = (
            self._store.connection()
            .execute(f"SELECT {_COLUMNS} FROM outbox WHERE mid = ?", (mid,))
            .fetchone()
        )
        return None if row is None else _entry(row)

    def pending(self, limit: int = 100) -> list[OutboxEntry]:
        """Up to ``limit`` pending mutations, oldest ``mid`` first."""
        return self._select("state = 'pending'", limit)

    def needs_attention(self, limit: int = 500) -> list[OutboxEntry]:
        """Rejected mutations the pro has not resolved, with full content and reason."""
        return self._select("state = 'rejected' AND resolution IS NULL", limit)

    def _select(self, where: str, limit: int) -> list[OutboxEntry]:
        rows = (
            self._store.connection()
            .execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY mid LIMIT ?", (limit,))
            .fetchall()
        )
        return [_entry(r) for r in rows]

    def sendable(
        self,
        limit: int = 100,
        now: datetime | None = None,
        *,
        blobs_given_up: Iterable[str] = (),
    ) -> list[OutboxEntry]:
        """What to push next: the longest run of unsent mutations from the head of the
        queue (in ``mid`` order, at most ``limit``) whose blobs are all uploaded and whose
        retry time has come.

        It stops at the first mutation that is not ready, even if later ones are: the
        server applies a client's mutations strictly in order, so sending ``mid`` 5 while
        4 waits for its photo would only be refused as out of order. ``in_flight`` rows
        are included (resending is idempotent by ``mid``); run one push at a time.

        ``blobs_given_up`` are hashes the server refused for good (not an image, too
        large, damaged on this device): they no longer hold their mutation back, so the
        server answers it (as rejected, with its reason for the pro) instead of one bad
        photo wedging the whole queue.
        """
        now_ms = to_ms(now if now is not None else self._store.clock())
        given_up = sorted(set(blobs_given_up))
        exclude = f"AND ob.hash NOT IN ({_placeholders(len(given_up))}) " if given_up else ""
        rows = (
            self._store.connection()
            .execute(
                f"SELECT {_COLUMNS}, (SELECT COUNT(*) FROM outbox_blobs ob "
                "LEFT JOIN blobs b ON b.hash = ob.hash WHERE ob.mid = outbox.mid "
                f"AND (b.state IS NULL OR b.state != 'uploaded') {exclude}) "
                f"FROM outbox WHERE state IN {_UNSENT} ORDER BY mid LIMIT ?",
                (*given_up, limit),
            )
            .fetchall()
        )
        ready: list[OutboxEntry] = []
        for row in rows:
            blobs_missing, next_attempt_ms = row[-1], row[8]
            if blobs_missing or next_attempt_ms > now_ms:
                break
            ready.append(_entry(row))
        return ready

    def history(self, mid: int) -> list[OutboxEntry]:
        """The resubmission chain ``mid`` belongs to, oldest first."""
        conn = self._store.connection()
        first = self._get(conn, mid)
        while first.replaces_mid is not None:
            prev = self.get(first.replaces_mid)
            if prev is None:  # pruned
                break
            first = prev
        chain = [first]
        while True:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE replaces_mid = ? ORDER BY mid LIMIT 1",
                (chain[-1].mid,),
            ).fetchone()
            if row is None:
                return chain
            chain.append(_entry(row))

    def status(self) -> OutboxStatus:
        """Counts per state, needs-attention count, and the oldest unsent mutation's age."""
        with self._store.read() as conn:
            counts = {s: 0 for s in MutationState}
            for state, n in conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
                counts[MutationState(state)] = int(n)
            attention = int(
                conn.execute(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'rejected' AND resolution IS NULL"
                ).fetchone()[0]
            )
            oldest = conn.execute(
                f"SELECT MIN(created_ms) FROM outbox WHERE state IN {_UNSENT}"
            ).fetchone()[0]
        oldest_at = from_ms(oldest) if oldest is not None else None
        age = None
        if oldest_at is not None:
            age = max(self._store.clock() - oldest_at, timedelta(0))
        return OutboxStatus(
            pending=counts[MutationState.PENDING],
            in_flight=counts[MutationState.IN_FLIGHT],
            applied=counts[MutationState.APPLIED],
            rejected=counts[MutationState.REJECTED],
            needs_attention=attention,
            oldest_pending_at=oldest_at,
            oldest_pending_age=age,
        )


class AsyncOutbox:
    """`Outbox` for UI coroutines: every call runs on the store's worker thread.

    For an action with an optimistic change, run the whole action (transaction, cache
    write, `Outbox.enqueue`) as one function through `Store.run` instead.
    """

    def __init__(self, outbox: Outbox, store: Store) -> None:
        self._outbox = outbox
        self._store = store

    async def enqueue(
        self,
        name: str,
        args: Mapping[str, Any],
        base_version: int | None = None,
        blob_hashes: Iterable[str] = (),
    ) -> OutboxEntry:
        """`Outbox.enqueue` in a transaction of its own."""
        hashes = tuple(blob_hashes)
        return await self._store.run(self._outbox.enqueue, None, name, args, base_version, hashes)

    async def pending(self, limit: int = 100) -> list[OutboxEntry]:
        """`Outbox.pending`."""
        return await self._store.run(self._outbox.pending, limit)

    async def sendable(self, limit: int = 100) -> list[OutboxEntry]:
        """`Outbox.sendable`."""
        return await self._store.run(self._outbox.sendable, limit)

    async def needs_attention(self) -> list[OutboxEntry]:
        """`Outbox.needs_attention`."""
        return await self._store.run(self._outbox.needs_attention)

    async def discard(self, mid: int) -> OutboxEntry:
        """`Outbox.discard`."""
        return await self._store.run(self._outbox.discard, mid)

    async def resubmit(self, mid: int, new_args: Mapping[str, Any]) -> OutboxEntry:
        """`Outbox.resubmit` keeping the old base version."""
        return await self._store.run(self._outbox.resubmit, mid, new_args)

    async def status(self) -> OutboxStatus:
        """`Outbox.status`."""
        return await self._store.run(self._outbox.status)
