"""Database engines and sessions for SQLite (default) and PostgreSQL (psycopg 3).

SQLite is tuned for a small multi-threaded server: WAL (readers never block the
writer), ``foreign_keys=ON`` (SQLite leaves them off by default), a busy timeout, and
``BEGIN IMMEDIATE`` for every transaction so that two writers queue on the lock up
front instead of one failing with "database is locked" when it upgrades a read
transaction to a write. Its connections are pooled (see `make_engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

__all__ = [
    "SessionFactory", "is_sqlite", "make_engine", "make_session_factory", "read_only",
]

SessionFactory = sessionmaker[Session]

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Idle SQLite connections kept open for reuse. More than the connections busy at once
# on a small server; beyond it a burst opens extra connections (there is no upper
# limit, so a checkout never waits on the pool) and closes them when they come back.
SQLITE_POOL_SIZE = 8
READ_ONLY_OPTION = "proapp_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine (same pool) for work that only reads.

    On SQLite its transactions start with a deferred ``BEGIN`` instead of
    ``BEGIN IMMEDIATE``, so readers do not queue behind writers; elsewhere it changes
    nothing.
    """
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def is_sqlite(url: str) -> bool:
    """True for ``sqlite://`` URLs (any driver)."""
    return make_url(url).get_backend_name() == "sqlite"


def _normalise_url(url: str) -> str:
    parsed = make_url(url)
    # A plain "postgresql://" URL would pick psycopg2, which we do not ship.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _json_loads(text: str | bytes) -> Any:
    # JSON columns (line items, addresses, stored results) are read by the thousand on a
    # sync pull; pydantic-core's parser is about twice as fast as the json module's.
    return from_json(text)


def _json_dumps(value: Any) -> str:
    # JSON columns are written by the hundred in one sync push (each command's stored
    # answer, twice: its idempotency record and its push result); pydantic-core's
    # serialiser is several times faster than the json module's. The text differs
    # only in form (non-ASCII characters are kept as UTF-8 rather than escaped).
    return to_json(value).decode()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the project's connection settings.

    For a SQLite file the parent directory is created if missing.
    """
    url = _normalise_url(url)
    if not is_sqlite(url):
        # hide_parameters: error messages (which reach logs) never carry row values,
        # such as emails or message bodies.
        return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True,
                             json_deserializer=_json_loads,
                             json_serializer=_json_dumps)

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 10}}
    if not database or database == ":memory:":
        raise ValueError("use a SQLite file, not an in-memory database (threads need one file)")
    # A pool, not a connection per request: opening one costs the pragmas below, and
    # closing the last open connection checkpoints the WAL into the database file and
    # fsyncs it, which made every request pay a checkpoint on an idle server. A pooled
    # connection is used by one thread at a time (check_same_thread=False only lets it
    # move between the server's worker threads), and the pool rolls back whatever a
    # request left open when the connection comes back. SQLite still checkpoints on
    # its own every 1,000 WAL pages; `Engine.dispose` closes the idle connections.
    engine = create_engine(
        url, echo=echo, poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1,
        hide_parameters=True, json_deserializer=_json_loads, json_serializer=_json_dumps,
        **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that the "begin"
        # hook below decides how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-only work (see `read_only`) starts a plain deferred transaction: in WAL
        # mode it never waits for the writer, and it sees one consistent snapshot.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> SessionFactory:
    """A session factory whose objects stay readable after commit (we return them)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
