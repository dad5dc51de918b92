"""Fixtures of the server suite: a real database (SQLite file, and PostgreSQL when
PROAPP_TEST_POSTGRES_URL is set), the real app in-process, and a small world builder.

Every test runs on both databases through the parametrised `database_url` fixture.
Migrations run once per session into a template (a SQLite file that is copied, a
PostgreSQL template database that is cloned), so each test still gets a fresh,
migrated database without paying for ``alembic upgrade`` every time.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from marketplace.app import create_app
from marketplace.config import Settings
from marketplace.db import make_engine, make_session_factory
from marketplace.migrate import upgrade_database
from tests.conftest import POSTGRES_ENV, _missing
from tests.integration.server.world import FakeClock, TestClient, World

# Cheap argon2 so hundreds of logins stay fast; production uses the defaults.
TEST_SETTINGS = Settings(
    database_url="sqlite:///unused", argon2_time_cost=1, argon2_memory_cost_kib=8,
    argon2_parallelism=1,
)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        _missing(f"PostgreSQL tests need {POSTGRES_ENV}")
    assert base_url is not None
    base = make_url(base_url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"proapp_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    upgrade_database(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        # Nobody (autovacuum included) may sit in the template while it is cloned.
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    yield name
    _drop_database(admin, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "server.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    from sqlalchemy.engine import make_url

    template_name: str = request.getfixturevalue("_postgres_template")
    base = make_url(os.environ[POSTGRES_ENV])
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"proapp_t_{uuid.uuid4().hex[:12]}"
    _create_from_template(admin, name, template_name)
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        _drop_database(admin, name)


def _create_from_template(admin_dsn: str, name: str, template: str) -> None:
    import psycopg
    from psycopg import errors

    # CREATE DATABASE ... TEMPLATE fails while any session is connected to the template;
    # a background worker can be, for a moment. Retry briefly instead of flaking.
    for attempt in range(20):
        try:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.1)


def _drop_database(admin_dsn: str, name: str) -> None:
    import psycopg
    from psycopg import errors

    # WITH (FORCE) cannot end an autovacuum worker unless the role has
    # pg_signal_backend (CI grants it); such a worker leaves within moments, so retry.
    for attempt in range(50):
        try:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (errors.InsufficientPrivilege, errors.ObjectInUse):
            if attempt == 49:
                raise
            time.sleep(0.1)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings on this test's database."""
    return replace(TEST_SETTINGS, database_url=database_url)


@pytest.fixture
def clock() -> FakeClock:
    """The app's clock: Monday 2026-11-16 15:00 UTC unless a test moves it."""
    return FakeClock()


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """The real app, in-process, on the real database."""
    app = create_app(settings, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def world(settings: Settings, client: TestClient, clock: FakeClock) -> Iterator[World]:
    """Builder of businesses, people, requests and jobs, straight into the database."""
    engine = make_engine(settings.database_url)
    yield World(make_session_factory(engine), settings, client, clock)
    engine.dispose()
