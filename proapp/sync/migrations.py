"""Versioned schema of the local store: an append-only list of steps and PRAGMA user_version.

Rules (they protect queued work on devices we cannot reach):

* A shipped step is never edited. Change the schema by appending a new step; the test
  suite keeps a hand-written copy of the v1 schema and upgrades it with queued outbox
  rows to prove nothing queued is lost.
* Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with its
  ``PRAGMA user_version`` bump (the version lives in the database header page, so it
  commits or rolls back with the step). A crash mid-upgrade leaves the previous version.
* A file written by a newer app (``user_version`` above `LATEST_VERSION`) is refused,
  never "downgraded": an older app could otherwise drop columns it does not know.
* No step uses SQLite's JSON functions or ``RETURNING``: the phone builds bring their
  own SQLite, and we only rely on features older than 3.24 (UPSERT).

Schema overview (see each step for the column-level why):

* ``meta`` — key/value facts of this install: ``client_id`` (the per-install identity the
  server keys ``last_mid`` by), pull cursor, etc.
* ``counters`` — the gap-free ``mid`` allocator (one row, bumped inside the enqueuing
  transaction; a rolled-back enqueue rolls its number back too).
* ``entities`` — the server cache, ONE generic table ``(kind, id)`` with the JSON body and
  a few indexed columns rather than a table per kind. Why: the server's models evolve
  every release and a generic cache needs no client migration for a new field; list
  screens read one indexed page at a time (``kind, list_key, id`` keyset), so a
  10,000-job cache costs one B-tree walk of ~50 rows per screen, and never loads every
  row into memory. Per-kind SQL columns would only pay off for ad-hoc filters, which the
  screens do not need; the repository computes ``list_key`` (e.g. window start) when it
  writes. Optimistic local changes live in the same row (``overlay_json``) so the server
  copy is kept for rebase and a discarded change can fall back to it.
* ``drafts`` — autosaved, not-yet-sent work (e.g. estimate drafts), never synced.
* ``outbox`` (+ ``outbox_blobs`` since v2) — the mutation queue (DESIGN §4).
* ``blobs`` — metadata of content-addressed files in the blobs folder.
* since v3, ``entities.facet`` / ``owner`` (+ their ``server_`` copies) — a state and an
  owner per row (`proapp.sync.facets`), indexed, so the office desktop's filters ("open
  jobs nobody is assigned to") read an index range instead of parsing 10,000 rows.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from proapp.sync.facets import entity_facets

__all__ = [
    "APPLICATION_ID",
    "LATEST_VERSION",
    "MIGRATIONS",
    "Migration",
    "SchemaTooNewError",
    "migrate",
    "schema_version",
]

APPLICATION_ID = 0x50524F41
"""PRAGMA application_id of our store files ("PROA"), so a stray SQLite file is refused."""

Step = str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: SQL statements and/or Python callables, applied in order."""

    version: int
    description: str
    steps: Sequence[Step]


class SchemaTooNewError(RuntimeError):
    """The store file was written by a newer app version; this app must not touch it."""


def _v1_identity(conn: sqlite3.Connection) -> None:
    # The per-install identity. The server remembers the last mid it processed for this
    # client id, so it must be created exactly once, with the file.
    conn.execute("INSERT INTO meta(key, value) VALUES ('client_id', ?)", (str(uuid.uuid4()),))


_V1: tuple[Step, ...] = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO counters(name, value) VALUES ('outbox_mid', 0)",
    _v1_identity,
    # Server cache. json is the server's copy (NULL while only a local overlay exists,
    # e.g. an estimate created offline); list_key is the effective sort key, and
    # server_list_key the server copy's, restored when an overlay is dropped.
    """CREATE TABLE entities (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER,
        updated_seq INTEGER,
        json TEXT,
        list_key TEXT NOT NULL DEFAULT '',
        server_list_key TEXT NOT NULL DEFAULT '',
        parent_id TEXT,
        overlay_json TEXT,
        overlay_mid INTEGER,
        PRIMARY KEY (kind, id)
    )""",
    "CREATE INDEX entities_by_list_key ON entities(kind, list_key, id)",
    "CREATE INDEX entities_by_parent ON entities(kind, parent_id, list_key, id)"
    " WHERE parent_id IS NOT NULL",
    "CREATE INDEX entities_by_overlay_mid ON entities(overlay_mid) WHERE overlay_mid IS NOT NULL",
    """CREATE TABLE drafts (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        json TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX drafts_by_kind ON drafts(kind, updated_ms)",
    # mid is given explicitly from counters (never rowid/AUTOINCREMENT, which leave gaps
    # on rollback-free deletes and would reuse numbers after pruning).
    """CREATE TABLE outbox (
        mid INTEGER PRIMARY KEY,
        mutation_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        base_version INTEGER,
        blob_hashes TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'in_flight', 'applied', 'rejected')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX outbox_by_state ON outbox(state, mid)",
    """CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'local' CHECK (state IN ('local', 'uploaded')),
        created_ms INTEGER NOT NULL
    )""",
)


def _v2_backfill_outbox_blobs(conn: sqlite3.Connection) -> None:
    # v1 kept blob references only as a JSON list; "is this mutation sendable" needs a
    # join against blob state, so copy them into rows. Done in Python, not json_each():
    # phone SQLite builds are not guaranteed to include JSON1.
    rows = conn.execute("SELECT mid, blob_hashes FROM outbox").fetchall()
    for mid, raw in rows:
        hashes = json.loads(raw) if raw else []
        conn.executemany(
            "INSERT OR IGNORE INTO outbox_blobs(mid, hash) VALUES (?, ?)",
            [(mid, str(h)) for h in hashes],
        )


_V2: tuple[Step, ...] = (
    # What the pro sees in "needs attention" (DESIGN §4): the server's reason, kept with
    # the full mutation, and how the pro resolved it (never silently dropped).
    "ALTER TABLE outbox ADD COLUMN last_error TEXT",
    "ALTER TABLE outbox ADD COLUMN reject_code TEXT",
    "ALTER TABLE outbox ADD COLUMN reject_message TEXT",
    "ALTER TABLE outbox ADD COLUMN reject_details TEXT",
    "ALTER TABLE outbox ADD COLUMN resolution TEXT"
    " CHECK (resolution IS NULL OR resolution IN ('discarded', 'resubmitted'))",
    "ALTER TABLE outbox ADD COLUMN resolved_ms INTEGER",
    "ALTER TABLE outbox ADD COLUMN replaces_mid INTEGER",
    "ALTER TABLE outbox ADD COLUMN updated_ms INTEGER",
    "UPDATE outbox SET updated_ms = created_ms",
    "CREATE INDEX outbox_needs_attention ON outbox(mid)"
    " WHERE state = 'rejected' AND resolution IS NULL",
    """CREATE TABLE outbox_blobs (
        mid INTEGER NOT NULL REFERENCES outbox(mid) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        PRIMARY KEY (mid, hash)
    ) WITHOUT ROWID""",
    "CREATE INDEX outbox_blobs_by_hash ON outbox_blobs(hash, mid)",
    _v2_backfill_outbox_blobs,
    # Resumable (tus-style) upload progress, so an interrupted photo upload continues.
    "ALTER TABLE blobs ADD COLUMN upload_url TEXT",
    "ALTER TABLE blobs ADD COLUMN upload_offset INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE blobs ADD COLUMN uploaded_ms INTEGER",
)


def _v3_backfill_facets(conn: sqlite3.Connection) -> None:
    # Rows cached by an older app get their facets from their JSON, in Python (no JSON1
    # on phones). The server copy and the overlay each get theirs, as writes do now.
    rows = conn.execute("SELECT kind, id, json, overlay_json FROM entities").fetchall()
    updates = []
    for kind, entity_id, server_json, overlay_json in rows:
        server = entity_facets(kind, json.loads(server_json)) if server_json else ("", "")
        shown = entity_facets(kind, json.loads(overlay_json)) if overlay_json else server
        updates.append((shown[0], server[0], shown[1], server[1], kind, entity_id))
    conn.executemany(
        "UPDATE entities SET facet = ?, server_facet = ?, owner = ?, server_owner = ? "
        "WHERE kind = ? AND id = ?",
        updates,
    )


_V3: tuple[Step, ...] = (
    # Office filters over a 10,000-job cache (issue 5) without parsing every row: the
    # entity's state and the person it belongs to (proapp.sync.facets), effective and
    # server copies like list_key / server_list_key (an overlay's are dropped with it).
    "ALTER TABLE entities ADD COLUMN facet TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entities ADD COLUMN server_facet TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entities ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entities ADD COLUMN server_owner TEXT NOT NULL DEFAULT ''",
    _v3_backfill_facets,
    # "open requests", "scheduled jobs of this week" (facet IN (...) AND list_key range)
    "CREATE INDEX entities_by_facet ON entities(kind, facet, list_key, id)",
    # "open jobs nobody is assigned to": partial, so it holds the few ownerless rows and
    # costs a pull of 10,000 assigned jobs nothing.
    "CREATE INDEX entities_unowned ON entities(kind, facet, list_key, id) WHERE owner = ''",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "cache, drafts, outbox, blobs (DESIGN §4 minimum)", _V1),
    Migration(2, "outbox rejection/resolution history, outbox_blobs, upload progress", _V2),
    Migration(3, "entity facet and owner columns for office filters", _V3),
)

LATEST_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's ``PRAGMA user_version`` (0 for a brand-new file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring the database on ``conn`` up to the last of ``migrations``; return its version.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and outside a
    transaction. Each step commits on its own, so a failure leaves the last good version.

    Raises:
        SchemaTooNewError: the file is newer than this app, or is not a ProApp store.
    """
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:  # pragma: no cover - guards edits to the list
            raise AssertionError(f"migration versions must be 1..n, got {migration.version}")
    latest = migrations[-1].version if migrations else 0
    current = schema_version(conn)
    if current > latest:
        raise SchemaTooNewError(
            f"This data was saved by a newer version of ProApp (schema {current}, this app "
            f"knows {latest}). Update the app to open it; nothing was changed."
        )
    if current > 0:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        if app_id != APPLICATION_ID:
            raise SchemaTooNewError("This file is not a ProApp store; it was left untouched.")
    for migration in migrations[current:]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if schema_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for step in migration.steps:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema_version(conn)
