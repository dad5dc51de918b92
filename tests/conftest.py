"""Shared pytest fixtures: keep tests off the developer's machine state, and gate the
suites that need PostgreSQL or Chromium.

Local runs skip the ``postgres`` and ``ui`` suites when their dependency is missing.
Under CI (env ``CI=true``) a missing dependency FAILS instead: a CI run that silently
skipped the database or browser tests would look green while testing less.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import keyring
import pytest

from tests.support.keyring_memory import BACKEND_PATH, InMemoryKeyring
from tests.support.servers import MarketplaceServer, start_marketplace

POSTGRES_ENV = "PROAPP_TEST_POSTGRES_URL"
CHROMIUM_ENV = "PROAPP_TEST_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def running_in_ci() -> bool:
    """True when env CI says so (GitHub Actions and most CI systems set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _missing(reason: str) -> NoReturn:
    """Skip locally; fail under CI, where every suite must really run."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    """Path of a Chromium binary: $PROAPP_TEST_CHROMIUM, else Debian's `chromium`."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override if Path(override).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


# --- reporting and marker gating ------------------------------------------------------


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"proapp: CI={running_in_ci()} "
        f"postgres={'yes' if os.environ.get(POSTGRES_ENV) else 'no'} "
        f"chromium={find_chromium() or 'no'}"
    ]


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Markers gate even tests that do not request the fixtures themselves.
    if item.get_closest_marker("postgres") and not os.environ.get(POSTGRES_ENV):
        _missing(f"PostgreSQL tests need {POSTGRES_ENV}")
    if item.get_closest_marker("ui") and find_chromium() is None:
        _missing(f"UI tests need Chromium (apt-get install chromium, or set {CHROMIUM_ENV})")
    if item.get_closest_marker("secret_service") and not os.environ.get(
        "DBUS_SESSION_BUS_ADDRESS"
    ):
        _missing(
            "Secret Service tests need a D-Bus session with an unlocked gnome-keyring "
            "(see .ci/run: dbus-run-session and gnome-keyring-daemon --unlock)"
        )


# --- isolation (autouse) -------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point every per-user directory the app or server might use at a fresh temp dir.

    HOME is kept (some tools need it), but platformdirs on Linux resolves data, config,
    cache and state dirs from the XDG variables, and ProApp honours PROAPP_DATA_DIR
    first. Subprocesses started by the test inherit this environment.
    """
    root = tmp_path_factory.mktemp("env")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("PROAPP_DATA_DIR", "proapp-data"),
    ):
        path = root / sub
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    # A developer's own server database must never be the one a test writes to.
    monkeypatch.delenv("MARKETPLACE_DATABASE_URL", raising=False)
    # Subprocesses that reach the keyring library get a throwaway in-memory one.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND_PATH)
    return root


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[InMemoryKeyring]:
    """A fresh in-memory keyring per test, so nothing reaches the real Secret Service."""
    previous = keyring.core._keyring_backend  # None until something first used keyring
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


# --- external services ----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    """The PostgreSQL URL from PROAPP_TEST_POSTGRES_URL (skip locally, fail in CI)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        _missing(f"PostgreSQL tests need {POSTGRES_ENV}")
    return url


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A URL (SQLAlchemy form) to a fresh, empty PostgreSQL database for this test.

    Created next to the database named in PROAPP_TEST_POSTGRES_URL and dropped
    afterwards, so tests never see each other's rows. The role needs CREATEDB.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_base_url)
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"proapp_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            # FORCE ends connections a crashed server subprocess may have left behind.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium binary for UI tests (skip locally, fail in CI)."""
    path = find_chromium()
    if path is None:
        _missing(f"UI tests need Chromium (apt-get install chromium, or set {CHROMIUM_ENV})")
    return path


# --- servers ----------------------------------------------------------------------------


@pytest.fixture
def marketplace_server(tmp_path: Path) -> Iterator[MarketplaceServer]:
    """A demo-seeded marketplace server on SQLite under tmp_path, stopped after the test."""
    with start_marketplace(tmp_path / "marketplace") as server:
        yield server
