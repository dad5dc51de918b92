"""The local store: one SQLite file per signed-in account, the UI's single source of truth.

It holds the server cache (`EntityCache`), autosaved drafts (`Drafts`), the outbox
(`proapp.sync.outbox`) and blob metadata (`proapp.sync.blobs`). DESIGN §3: a user action
is ONE local transaction (the optimistic change plus one outbox row), taken with
`Store.transaction()`.

Threading model
    Each thread gets its own connection (SQLite connections must not be shared across
    threads mid-statement). Writers in this process queue on one in-process lock before
    ``BEGIN IMMEDIATE``, so they never spin on SQLite's busy handler against each other;
    another process (a second desktop window) is handled by the busy timeout. In WAL
    mode readers never block the writer and see the last committed state.

    The UI must never block on disk: async code calls `Store.run` (or the ``Async*``
    wrappers) which run the work on ONE dedicated worker thread, so UI coroutines are
    serialised there in arrival order, and the event loop keeps drawing.

One per process and account
    In Flet web mode every browser tab is a page in the same Python process; they must
    share one outbox (DESIGN §3). `StoreRegistry` hands every caller the same `Store`
    for an account; ``app.py`` owns one registry.

Durability
    WAL with ``synchronous=FULL``: a committed transaction is fsynced to the WAL before
    ``COMMIT`` returns, so a queued mutation survives a crash or power loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from proapp.sync.facets import entity_facets
from proapp.sync.migrations import SchemaTooNewError, migrate
from proapp.sync.paths import account_paths, ensure_private_dir, ensure_private_file

__all__ = [
    "CachedEntity",
    "Clock",
    "Draft",
    "Drafts",
    "EntityCache",
    "ServerEntity",
    "Store",
    "StoreError",
    "StoreRegistry",
    "Transaction",
    "from_ms",
    "to_ms",
    "utc_now",
]

P = ParamSpec("P")
T = TypeVar("T")

Clock = Callable[[], datetime]
"""Returns the current UTC-aware time; injected so tests control time."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_now() -> datetime:
    """The real clock (UTC-aware)."""
    return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch of an aware datetime (integer maths, no float)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the store only takes UTC-aware times")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """The UTC-aware datetime for milliseconds since the Unix epoch."""
    return _EPOCH + timedelta(milliseconds=ms)


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class StoreError(Exception):
    """The local store itself failed: closed, corrupt, from a newer app, disk full.

    Not a business error (those are `proapp.domain.errors.DomainError`). ``message`` is
    written for the person using the app.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Transaction:
    """An open ``BEGIN IMMEDIATE`` transaction on this thread's connection.

    Obtained from `Store.transaction()`; valid only inside its ``with`` block and only on
    the thread that opened it. Pass it to every write that belongs to the same user
    action (the optimistic cache change, `Outbox.enqueue`, a draft delete).
    """

    __slots__ = ("_active", "_thread", "connection", "store")

    def __init__(self, store: Store, connection: sqlite3.Connection) -> None:
        self.store = store
        self.connection = connection
        self._thread = threading.get_ident()
        self._active = True

    def check_active(self) -> None:
        """Raise `StoreError` unless this transaction is open and used on its own thread."""
        if not self._active:
            raise StoreError("Internal error: a finished transaction was used. Try again.")
        if threading.get_ident() != self._thread:
            raise StoreError("Internal error: a transaction was used from another thread.")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement inside the transaction."""
        self.check_active()
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """Run one statement for each row of parameters inside the transaction."""
        self.check_active()
        return self.connection.executemany(sql, rows)

    def _close(self) -> None:
        self._active = False


class _ThreadConnection:
    """Holds one thread's connection; closing it when the thread-local dies keeps
    short-lived threads (e.g. asyncio.to_thread) from leaking file handles."""

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class Store:
    """Owns the SQLite file of one account and its connections.

    Create one per process and account (see `StoreRegistry`). ``path`` is created
    owner-only (0600; the folder and its ``blobs`` sibling folder 0700) and migrated to
    the latest schema on open.

    Raises:
        StoreError: the file is from a newer app, not a ProApp store, or unreadable.
    """

    def __init__(self, path: Path, *, clock: Clock = utc_now, busy_timeout_s: float = 15.0):
        self.path = path
        self.clock = clock
        self.blob_dir = ensure_private_dir(path.parent / "blobs")
        ensure_private_dir(path.parent)
        ensure_private_file(path)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        # Weak: a thread's holder (and so its connection) goes away when the thread ends.
        self._holders: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._holders_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proapp-store")
        try:
            migrate(self.connection())
        except SchemaTooNewError as exc:
            self.close()
            raise StoreError(str(exc)) from exc
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(
                "The app's saved data could not be opened. Restart the app; if this keeps "
                "happening, contact support before reinstalling (unsent work is in it)."
            ) from exc
        self.cache = EntityCache(self)
        self.drafts = Drafts(self)

    # --- connections ------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (created on first use, autocommit mode; closed when
        the thread ends or the store closes)."""
        if self._closed:
            raise StoreError("The local store is closed. Sign in again or restart the app.")
        holder: _ThreadConnection | None = getattr(self._local, "holder", None)
        if holder is None:
            holder = _ThreadConnection(self._connect())
            self._local.holder = holder
            with self._holders_lock:
                self._holders.add(holder)
        return holder.conn

    @property
    def open_connections(self) -> int:
        """How many per-thread connections are open (diagnostics and tests)."""
        with self._holders_lock:
            return len(self._holders)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (the stdlib's implicit
        # transactions would begin DEFERRED, which can fail to upgrade to a write lock).
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,  # we confine each connection to its thread ourselves
            timeout=self._busy_timeout_s,
        )
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError("The local store could not switch to WAL mode.")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Finish queued async work, then close every connection. Idempotent."""
        if self._closed:
            return
        self._executor.shutdown(wait=True)
        self._closed = True
        with self._holders_lock:
            holders = list(self._holders)
            self._holders = weakref.WeakSet()
        for holder in holders:
            holder.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic unit of work (``BEGIN IMMEDIATE``): all of it commits, or none.

        An exception inside the block rolls everything back and propagates. Nested use on
        the same thread joins the outer transaction through a SAVEPOINT, so a helper that
        opens its own transaction can also run inside a caller's.
        """
        outer: Transaction | None = getattr(self._local, "tx", None)
        if outer is not None and outer._active:
            yield from self._savepoint(outer)
            return
        conn = self.connection()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(
                    "The app's saved data is busy or unavailable. Wait a moment, then try again."
                ) from exc
            tx = Transaction(self, conn)
            self._local.tx = tx
            try:
                yield tx
            except BaseException as exc:
                tx._close()
                self._local.tx = None
                # Some errors (disk full, I/O) make SQLite roll back by itself already.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(
                        "Saving on this device failed, so nothing was changed. Check that "
                        "the device has free space, then try again."
                    ) from exc
                raise
            tx._close()
            self._local.tx = None
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(
                    "Saving on this device failed (is the storage full?). Nothing was "
                    "changed; free some space and try again."
                ) from exc

    def _savepoint(self, outer: Transaction) -> Generator[Transaction, None, None]:
        depth = getattr(self._local, "depth", 0) + 1
        self._local.depth = depth
        name = f"sp{depth}"
        outer.execute(f"SAVEPOINT {name}")
        try:
            yield outer
        except BaseException:
            if outer.connection.in_transaction:
                outer.execute(f"ROLLBACK TO {name}")
                outer.execute(f"RELEASE {name}")
            raise
        finally:
            self._local.depth = depth - 1
        outer.execute(f"RELEASE {name}")

    @contextmanager
    def writing(self, tx: Transaction | None) -> Iterator[Transaction]:
        """Use ``tx`` if given (the caller's user action), else a transaction of our own."""
        if tx is not None:
            tx.check_active()
            yield tx
        else:
            with self.transaction() as own:
                yield own

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read snapshot for several statements (or the caller's open tx)."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    # --- async ------------------------------------------------------------------------

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` on the store's single worker thread and await it.

        For UI code: the event loop never waits on disk, and all UI-originated store work
        runs one call at a time in the order it was requested.
        """
        if self._closed:
            raise StoreError("The local store is closed. Sign in again or restart the app.")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def run_transaction(
        self, fn: Callable[Concatenate[Transaction, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(tx, *args, **kwargs)`` inside one `transaction` on the worker thread.

        The usual shape of a UI action: the optimistic change and `Outbox.enqueue` in
        ``fn``, all committed together or not at all, without blocking the event loop.
        """

        def in_transaction() -> T:
            with self.transaction() as tx:
                return fn(tx, *args, **kwargs)

        return await self.run(in_transaction)

    # --- small facts ------------------------------------------------------------------

    def now_ms(self) -> int:
        """The injected clock, in epoch milliseconds."""
        return to_ms(self.clock())

    def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` table (e.g. the pull cursor), or None."""
        row = self.connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str, tx: Transaction | None = None) -> None:
        """Set a ``meta`` value (in ``tx`` when the change belongs to a larger unit)."""
        with self.writing(tx) as t:
            t.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def client_id(self) -> str:
        """This install's identity for the sync protocol (created with the file)."""
        value = self.get_meta("client_id")
        if value is None:  # pragma: no cover - migration 1 always writes it
            raise StoreError("The local store has no client id; it is damaged.")
        return value


# --- server cache -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerEntity:
    """One entity as the server sent it (pull), ready for `EntityCache.put_server`.

    ``json`` None means the server deleted it. ``list_key`` is what list screens sort
    by (the repository derives it, e.g. the job's window start as ISO text).
    """

    kind: str
    id: str
    version: int | None
    updated_seq: int | None
    json: str | None
    list_key: str = ""
    parent_id: str | None = None
    facet: str = ""
    """Indexed state for office filters (`proapp.sync.facets`), e.g. a job's status."""
    owner: str = ""
    """Indexed owner for office filters, e.g. a job's first assigned technician."""


@dataclass(frozen=True, slots=True)
class CachedEntity:
    """What the UI sees: the server copy with any local optimistic change on top."""

    kind: str
    id: str
    version: int | None
    json: str
    list_key: str
    parent_id: str | None
    overlay_mid: int | None

    @property
    def has_local_changes(self) -> bool:
        """True while a change made on this device is not yet confirmed by the server."""
        return self.overlay_mid is not None

    def data(self) -> Any:
        """The parsed JSON body (parse lazily: list screens often need only a few rows)."""
        return json.loads(self.json)


_ENTITY_COLUMNS = (
    "kind, id, version, COALESCE(overlay_json, json), list_key, parent_id, overlay_mid"
)


def _entity(row: tuple[Any, ...]) -> CachedEntity:
    return CachedEntity(
        kind=row[0],
        id=row[1],
        version=row[2],
        json=row[3],
        list_key=row[4],
        parent_id=row[5],
        overlay_mid=row[6],
    )


class EntityCache:
    """The server cache with optimistic overlays (one generic table; see migrations).

    Reads are paged by keyset (``kind, list_key, id``), so a screen over a 10,000-job
    cache reads one index range of ``limit`` rows and holds only those in memory.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def put_server(self, tx: Transaction, entities: Iterable[ServerEntity]) -> None:
        """Write pulled server state. Local overlays stay on top until dropped (rebase)."""
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[str, str]] = []
        for e in entities:
            if e.json is None:
                deletes.append((e.kind, e.id))
            else:
                row = (
                    e.kind, e.id, e.version, e.updated_seq, e.json, e.list_key, e.parent_id,
                    e.facet, e.owner,
                )
                upserts.append(row)
        # Like list_key, facet and owner show the overlay's values while one exists.
        tx.executemany(
            "INSERT INTO entities(kind, id, version, updated_seq, json, list_key, "
            "server_list_key, parent_id, facet, server_facet, owner, server_owner) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?8, ?9, ?9) "
            "ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version, "
            "updated_seq = excluded.updated_seq, json = excluded.json, "
            "server_list_key = excluded.server_list_key, "
            "server_facet = excluded.server_facet, server_owner = excluded.server_owner, "
            "list_key = CASE WHEN entities.overlay_json IS NULL "
            "THEN excluded.list_key ELSE entities.list_key END, "
            "facet = CASE WHEN entities.overlay_json IS NULL "
            "THEN excluded.facet ELSE entities.facet END, "
            "owner = CASE WHEN entities.overlay_json IS NULL "
            "THEN excluded.owner ELSE entities.owner END, "
            "parent_id = COALESCE(excluded.parent_id, entities.parent_id)",
            upserts,
        )
        # A deleted entity with a local change keeps the change visible (the pro's work is
        # never silently dropped); the rejected mutation will explain what happened.
        tx.executemany(
            "DELETE FROM entities WHERE kind = ? AND id = ? AND overlay_json IS NULL", deletes
        )
        tx.executemany(
            "UPDATE entities SET json = NULL, version = NULL WHERE kind = ? AND id = ?",
            deletes,
        )
        # The server names only the entity the caller can no longer see (a job reassigned
        # away), not its children: its messages, change orders and photos go with it,
        # and their children too. Local changes stay visible, as above.
        tx.executemany(
            "WITH RECURSIVE doomed(id) AS (SELECT ?1 UNION "
            "SELECT e.id FROM entities e JOIN doomed d ON e.parent_id = d.id) "
            "DELETE FROM entities WHERE overlay_json IS NULL AND id != ?1 "
            "AND id IN (SELECT id FROM doomed)",
            [(entity_id,) for _, entity_id in deletes],
        )

    def put_overlay(
        self,
        tx: Transaction,
        kind: str,
        entity_id: str,
        data: Any,
        mid: int,
        *,
        list_key: str | None = None,
        parent_id: str | None = None,
    ) -> None:
        """Record the optimistic state of an entity changed by outbox mutation ``mid``.

        Call it in the same transaction as `Outbox.enqueue` (DESIGN §3). ``data`` is the
        whole entity as the UI should now see it; its facets (`proapp.sync.facets`)
        are derived from it here, so every caller keeps office filters right.
        """
        facet, owner = entity_facets(kind, data)
        tx.execute(
            "INSERT INTO entities(kind, id, overlay_json, overlay_mid, list_key, parent_id, "
            "facet, owner) VALUES (?1, ?2, ?3, ?4, COALESCE(?5, ''), ?6, ?7, ?8) "
            "ON CONFLICT(kind, id) DO UPDATE SET overlay_json = excluded.overlay_json, "
            "overlay_mid = excluded.overlay_mid, "
            "list_key = COALESCE(?5, entities.list_key), "
            "parent_id = COALESCE(?6, entities.parent_id), "
            "facet = excluded.facet, owner = excluded.owner",
            (kind, entity_id, dumps(data), mid, list_key, parent_id, facet, owner),
        )

    def drop_overlays(self, tx: Transaction, mids: Iterable[int]) -> int:
        """Forget the optimistic state written by mutations ``mids`` (server caught up, or
        the pro discarded the change); the server copy shows again. Returns rows changed.
        """
        changed = 0
        for mid in mids:
            cur = tx.execute(
                "UPDATE entities SET overlay_json = NULL, overlay_mid = NULL, "
                "list_key = server_list_key, facet = server_facet, owner = server_owner "
                "WHERE overlay_mid = ?",
                (mid,),
            )
            changed += cur.rowcount
        tx.execute("DELETE FROM entities WHERE json IS NULL AND overlay_json IS NULL")
        return changed

    def drop_settled_overlays(self, tx: Transaction, server_last_mid: int) -> int:
        """After a pull that reflects the client's mutations up to ``server_last_mid``:
        drop overlays whose mutation the server has answered, since the pulled server
        copy now contains its effect. Overlays of unsent mutations and of rejected ones
        awaiting the pro (DESIGN §4) stay. Returns rows changed."""
        cur = tx.execute(
            "UPDATE entities SET overlay_json = NULL, overlay_mid = NULL, "
            "list_key = server_list_key, facet = server_facet, owner = server_owner "
            "WHERE overlay_mid <= ? AND overlay_mid NOT IN ("
            "SELECT mid FROM outbox WHERE state IN ('pending', 'in_flight') "
            "OR (state = 'rejected' AND resolution IS NULL))",
            (server_last_mid,),
        )
        if cur.rowcount:
            # A row ends up empty only when its overlay is dropped (a deletion keeps the
            # rows that have one), so the sweep, a scan of the whole cache, is needed
            # only after this dropped some; most pulled pages drop none.
            tx.execute("DELETE FROM entities WHERE json IS NULL AND overlay_json IS NULL")
        return cur.rowcount

    def move_overlays(self, tx: Transaction, from_mid: int, to_mid: int) -> None:
        """Re-tie overlays of mutation ``from_mid`` to ``to_mid`` (a resubmission)."""
        tx.execute("UPDATE entities SET overlay_mid = ? WHERE overlay_mid = ?", (to_mid, from_mid))

    def get(self, kind: str, entity_id: str) -> CachedEntity | None:
        """One entity as the UI should show it, or None."""
        row = (
            self._store.connection()
            .execute(
                f"SELECT {_ENTITY_COLUMNS} FROM entities WHERE kind = ? AND id = ? "
                "AND COALESCE(overlay_json, json) IS NOT NULL",
                (kind, entity_id),
            )
            .fetchone()
        )
        return None if row is None else _entity(row)

    def page(
        self,
        kind: str,
        *,
        limit: int = 50,
        after: tuple[str, str] | None = None,
        parent_id: str | None = None,
    ) -> list[CachedEntity]:
        """Up to ``limit`` entities of ``kind`` in ``(list_key, id)`` order after ``after``.

        ``after`` is the ``(list_key, id)`` of the last row of the previous page. With
        ``parent_id`` only that parent's children (e.g. a request's estimates).
        """
        where = ["kind = ?"]
        params: list[Any] = [kind]
        if parent_id is not None:
            where.append("parent_id = ?")
            params.append(parent_id)
        if after is not None:
            where.append("(list_key, id) > (?, ?)")
            params.extend(after)
        params.append(limit)
        sql = (
            f"SELECT {_ENTITY_COLUMNS} FROM entities WHERE {' AND '.join(where)} "
            "ORDER BY list_key, id LIMIT ?"
        )
        rows = self._store.connection().execute(sql, params).fetchall()
        return [_entity(r) for r in rows]

    def count(self, kind: str) -> int:
        """How many entities of ``kind`` are cached (including local-only ones)."""
        row = (
            self._store.connection()
            .execute("SELECT COUNT(*) FROM entities WHERE kind = ?", (kind,))
            .fetchone()
        )
        return int(row[0])


# --- drafts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """Unsent work the pro is editing (autosaved; never synced)."""

    key: str
    kind: str
    data: Any
    updated_at: datetime


class Drafts:
    """Autosaved drafts by key, e.g. ``estimate:<request id>``.

    Submitting a draft is one transaction: enqueue the mutation and `delete` the draft
    with the same ``tx``, so a crash leaves either the draft or the queued mutation.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def save(self, key: str, kind: str, data: Any, tx: Transaction | None = None) -> None:
        """Create or replace a draft."""
        with self._store.writing(tx) as t:
            t.execute(
                "INSERT INTO drafts(key, kind, json, updated_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, json = excluded.json, "
                "updated_ms = excluded.updated_ms",
                (key, kind, dumps(data), self._store.now_ms()),
            )

    def load(self, key: str) -> Draft | None:
        """The draft stored under ``key``, or None."""
        row = (
            self._store.connection()
            .execute("SELECT key, kind, json, updated_ms FROM drafts WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        return Draft(key=row[0], kind=row[1], data=json.loads(row[2]), updated_at=from_ms(row[3]))

    def list(self, kind: str) -> list[Draft]:
        """Drafts of ``kind``, most recently edited first."""
        rows = (
            self._store.connection()
            .execute(
                "SELECT key, kind, json, updated_ms FROM drafts WHERE kind = ? "
                "ORDER BY updated_ms DESC, key",
                (kind,),
            )
            .fetchall()
        )
        return [Draft(r[0], r[1], json.loads(r[2]), from_ms(r[3])) for r in rows]

    def delete(self, key: str, tx: Transaction | None = None) -> bool:
        """Remove a draft; True if there was one."""
        with self._store.writing(tx) as t:
            return t.execute("DELETE FROM drafts WHERE key = ?", (key,)).rowcount > 0


# --- one store per process and account ---------------------------------------------------


class StoreRegistry:
    """Hands out ONE `Store` per account in this process (DESIGN §3: Flet web tabs of
    the same account share one outbox). ``app.py`` owns a single registry.
    """

    def __init__(self, base: Path | None = None, *, clock: Clock = utc_now) -> None:
        self._base = base
        self._clock = clock
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def open(self, account_id: str) -> Store:
        """The store of ``account_id`` (opened and migrated on first request)."""
        with self._lock:
            store = self._stores.get(account_id)
            if store is None:
                paths = account_paths(account_id, self._base)
                store = Store(paths.database, clock=self._clock)
                self._stores[account_id] = store
            return store

    def close(self, account_id: str) -> None:
        """Close an account's store (e.g. the app shuts down). Signing out does NOT
        delete it: queued work waits for the next sign-in (DESIGN §4)."""
        with self._lock:
            store = self._stores.pop(account_id, None)
        if store is not None:
            store.close()

    def close_all(self) -> None:
        """Close every open store."""
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()
