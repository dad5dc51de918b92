"""Start the reference marketplace server as a real subprocess for tests.

Every integration and UI test that needs a backend goes through :func:`start_marketplace`:
it runs ``python -m marketplace serve`` through the same launcher the app uses for its
embedded demo server (`proapp.embedded.start_marketplace_process`), on a loopback port,
and waits for ``GET /v1/health``. Nothing is imported from ``marketplace`` here, so a
test exercises the same process boundary the app does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from proapp.embedded import EmbeddedServer, EmbeddedServerError, free_port
from proapp.embedded import start_marketplace_process as _start

__all__ = [
    "REPO_ROOT",
    "MarketplaceServer",
    "MarketplaceStartError",
    "free_port",
    "start_marketplace",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0

MarketplaceServer = EmbeddedServer
"""A running ``marketplace serve`` subprocess: ``url``, ``port``, ``database_url``,
``output()``, ``stop()``; also a context manager."""

MarketplaceStartError = EmbeddedServerError
"""The server process exited or never became healthy; the message carries its output."""


def start_marketplace(
    tmp_path: Path,
    database_url: str | None = None,
    demo: bool = True,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_S,
    port: int | None = None,
) -> MarketplaceServer:
    """Run ``python -m marketplace serve`` on 127.0.0.1 and wait until healthy.

    ``database_url`` defaults to a fresh SQLite file under ``tmp_path``. ``demo`` adds
    ``--demo`` (seeded demo business and accounts). ``extra_env`` is layered over the
    current environment (which the autouse fixtures in tests/conftest.py already point
    at temporary directories). ``port`` restarts a server where a client expects it
    (None: a free one). Raises :class:`MarketplaceStartError` with the server's output
    if it exits or is not healthy within ``timeout`` seconds.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    return _start(
        database_url=database_url or f"sqlite:///{tmp_path / 'marketplace.sqlite3'}",
        log_path=lambda chosen: tmp_path / f"marketplace-{chosen}.log",
        demo=demo,
        port=port,
        env={**os.environ, **(extra_env or {})},
        cwd=REPO_ROOT,
        timeout=timeout,
    )
