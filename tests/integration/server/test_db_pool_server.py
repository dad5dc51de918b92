"""SQLite engines pool their connections (marketplace/db.py): a request reuses an open
connection instead of opening one (and checkpointing the WAL when closing it), and
every connection still has the project's pragmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from marketplace.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, read_only


def _pragmas(conn: Any) -> tuple[Any, ...]:
    return tuple(
        conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    )


def test_sqlite_connections_are_reused_and_keep_their_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        with engine.connect() as conn:
            first = conn.connection.dbapi_connection
            assert _pragmas(conn) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS, 2)  # 2 = FULL
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.commit()
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection is first
        # Two at once (readers: two writers in one thread would wait on each other): the
        # second is a new connection with the same pragmas.
        reader = read_only(engine)
        with reader.connect() as a, reader.connect() as b:
            assert a.connection.dbapi_connection is not b.connection.dbapi_connection
            assert _pragmas(a) == _pragmas(b) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS, 2)
    finally:
        engine.dispose()


def test_a_transaction_left_open_is_rolled_back_when_the_connection_returns(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn = engine.connect()
        conn.execute(text("INSERT INTO t VALUES (1)"))  # never committed
        raw: Any = conn.connection.dbapi_connection
        conn.close()
        with engine.connect() as again:
            dbapi: Any = again.connection.dbapi_connection
            assert dbapi is raw
            assert dbapi.in_transaction is False
            assert again.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 0
    finally:
        engine.dispose()
