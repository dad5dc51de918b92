"""Schema migrations: upgrading an old file keeps queued work; bad files are refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from proapp.sync import LATEST_VERSION, MIGRATIONS, BlobStore, Outbox, Store, StoreError
from proapp.sync.migrations import APPLICATION_ID, Migration, migrate, schema_version
from proapp.sync.outbox import MutationState
from tests.unit.sync.factories import FakeClock, fake_hash, message_args

# A verbatim copy of what schema v1 was when it shipped. Never edit it to follow the
# code: it stands for files already on devices. (test_v1_copy_matches_migration_1 fails
# if someone edits migration 1 in place instead of appending a new step.)
V1_SCHEMA = """
PRAGMA application_id = 1347571521;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE entities (
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
    );
CREATE INDEX entities_by_list_key ON entities(kind, list_key, id);
CREATE INDEX entities_by_parent ON entities(kind, parent_id, list_key, id)
    WHERE parent_id IS NOT NULL;
CREATE INDEX entities_by_overlay_mid ON entities(overlay_mid) WHERE overlay_mid IS NOT NULL;
CREATE TABLE drafts (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        json TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
CREATE INDEX drafts_by_kind ON drafts(kind, updated_ms);
CREATE TABLE outbox (
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
    );
CREATE INDEX outbox_by_state ON outbox(state, mid);
CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'local' CHECK (state IN ('local', 'uploaded')),
        created_ms INTEGER NOT NULL
    );
PRAGMA user_version = 1;
"""

CLIENT_ID = "2f1d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
PHOTO = fake_hash("photo-1")
T0 = 1_764_147_600_000  # 2025-11-26T09:00:00Z in ms


def write_v1_file(path: Path) -> list[dict[str, object]]:
    """A v1 store as an older app left it: 4 mutations (pending with a photo, in flight,
    rejected, applied), a cached job with a local overlay, a draft. Returns the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_SCHEMA)
    conn.execute("PRAGMA journal_mode = WAL")
    queued = [
        {"mid": 1, "name": "estimate.submit", "state": "pending", "blobs": [PHOTO], "base": None},
        {"mid": 2, "name": "message.send", "state": "in_flight", "blobs": [], "base": 3},
        {"mid": 3, "name": "message.send", "state": "rejected", "blobs": [], "base": 4},
        {"mid": 4, "name": "message.send", "state": "applied", "blobs": [], "base": 5},
    ]
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('client_id', ?)", (CLIENT_ID,))
    conn.execute("INSERT INTO counters VALUES ('outbox_mid', 4)")
    for q in queued:
        args = {"body": f"queued {q['mid']}"}
        q["args"] = args
        conn.execute(
            "INSERT INTO outbox(mid, mutation_id, name, args, base_version, blob_hashes, state, "
            "attempts, next_attempt_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                q["mid"],
                f"00000000-0000-4000-8000-00000000000{q['mid']}",
                q["name"],
                json.dumps(args),
                q["base"],
                json.dumps(q["blobs"]),
                q["state"],
                int(str(q["mid"])) - 1,
                T0,
                T0 + int(str(q["mid"])),
            ),
        )
    conn.execute(
        "INSERT INTO blobs(hash, size, media_type, state, created_ms) "
        "VALUES (?, 10, 'image/jpeg', 'local', ?)",
        (PHOTO, T0),
    )
    conn.execute(
        "INSERT INTO entities(kind, id, version, updated_seq, json, list_key, server_list_key, "
        "overlay_json, overlay_mid) VALUES ('job', 'j1', 3, 10, '{\"status\":\"SCHEDULED\"}', "
        "'2025-11-27', '2025-11-27', '{\"status\":\"IN_PROGRESS\"}', 2)"
    )
    conn.execute(
        "INSERT INTO drafts VALUES ('estimate:r1', 'estimate', '{\"notes\":\"half typed\"}', ?)",
        (T0,),
    )
    conn.execute("COMMIT")
    conn.close()
    return queued


def test_new_store_is_at_latest_version_with_identity(store: Store) -> None:
    conn = store.connection()
    assert schema_version(conn) == LATEST_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert len(store.client_id) == 36
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_upgrade_v1_file_keeps_queued_work(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old" / "store.sqlite3"
    queued = write_v1_file(path)

    store = Store(path, clock=clock)
    try:
        assert schema_version(store.connection()) == LATEST_VERSION
        assert store.client_id == CLIENT_ID  # the server knows this install by it
        outbox = Outbox(store)
        for q in queued:
            entry = outbox.get(int(str(q["mid"])))
            assert entry is not None
            assert entry.name == q["name"]
            assert entry.args == q["args"]
            assert entry.state == MutationState(str(q["state"]))
            assert entry.base_version == q["base"]
            assert entry.blob_hashes == tuple(q["blobs"])  # type: ignore[arg-type]
            assert entry.attempts == int(str(q["mid"])) - 1
            assert entry.mutation_id.endswith(f"{q['mid']}")
            assert entry.updated_at == entry.created_at  # backfilled
            assert entry.rejection is None and entry.resolution is None

        # The v1 blob reference was normalised: the photo gates mutation 1.
        assert outbox.sendable() == []
        blobs = BlobStore(store)
        assert [b.hash for b in blobs.pending_uploads()] == [PHOTO]
        blobs.mark_uploaded(PHOTO)
        assert [e.mid for e in outbox.sendable()] == [1, 2]

        # The counter continues: no mid is ever reused after an upgrade.
        assert outbox.enqueue(None, "message.send", message_args()).mid == 5

        # Cache overlay and drafts survived.
        job = store.cache.get("job", "j1")
        assert job is not None and job.data() == {"status": "IN_PROGRESS"}
        assert job.overlay_mid == 2
        draft = store.drafts.load("estimate:r1")
        assert draft is not None and draft.data == {"notes": "half typed"}

        # v2 features work on upgraded rows.
        outbox.mark_rejected(3, "job_cancelled", "The customer cancelled.", {"job": "j1"})
        assert [e.mid for e in outbox.needs_attention()] == [3]
    finally:
        store.close()

    # Re-opening an up-to-date file is a no-op.
    again = Store(path, clock=clock)
    assert Outbox(again).status().unsent == 3  # mids 1, 2 and 5
    again.close()


def test_v1_copy_matches_migration_1(tmp_path: Path) -> None:
    def schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        return [(t, n, " ".join(s.split())) for t, n, s in rows]

    hand = tmp_path / "hand.sqlite3"
    conn = sqlite3.connect(hand, isolation_level=None)
    conn.executescript(V1_SCHEMA)
    expected = schema(conn)
    conn.close()

    real = sqlite3.connect(tmp_path / "real.sqlite3", isolation_level=None)
    assert migrate(real, MIGRATIONS[:1]) == 1
    assert schema(real) == expected
    real.close()


def test_file_from_newer_app_is_refused_and_untouched(db_path: Path, clock: FakeClock) -> None:
    Store(db_path, clock=clock).close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(StoreError, match="newer version"):
        Store(db_path, clock=clock)
    assert db_path.read_bytes() == before


def test_foreign_sqlite_file_is_refused(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(StoreError, match="not a ProApp store"):
        Store(db_path, clock=clock)


def test_failing_step_rolls_back_to_previous_version(tmp_path: Path) -> None:
    def boom(_conn: sqlite3.Connection) -> None:
        raise RuntimeError("disk gone")

    broken = (
        *MIGRATIONS,
        Migration(
            LATEST_VERSION + 1,
            "half-done step",
            ("CREATE TABLE half_done (x INTEGER)", boom),
        ),
    )
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    with pytest.raises(RuntimeError, match="disk gone"):
        migrate(conn, broken)
    assert schema_version(conn) == LATEST_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in tables
    conn.close()
