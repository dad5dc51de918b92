"""Server settings: where the database lives, token lifetimes, upload and login limits.

Everything has a safe default so ``python -m marketplace serve`` works with no setup:
a SQLite file in the platform's per-user data directory. ``MARKETPLACE_DATABASE_URL``
(or ``--database``) points the server at another SQLite file or at PostgreSQL
(``postgresql+psycopg://user:password@host/db``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from platformdirs import user_data_dir

__all__ = ["DATABASE_URL_ENV", "Settings", "default_database_url"]

DATABASE_URL_ENV = "MARKETPLACE_DATABASE_URL"
APP_DIR_NAME = "proapp-marketplace"


def default_database_url() -> str:
    """``$MARKETPLACE_DATABASE_URL``, else a SQLite file in the per-user data directory."""
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    data_dir = Path(user_data_dir(APP_DIR_NAME, appauthor=False))
    return f"sqlite:///{data_dir / 'marketplace.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one server instance (immutable; build a new one to change).

    Attributes:
        database_url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
        access_token_ttl: lifetime of an access token (short: it is a bearer secret).
        refresh_token_ttl: lifetime of a refresh token; each refresh rotates it.
        refresh_reuse_grace: how long a just-rotated refresh token may be presented
            again while its successor is still unused (the answer to the rotation was
            lost on the way to the device); later, or once the successor was used,
            a second use revokes the whole session as theft.
        blob_max_bytes: largest accepted upload (photos and signature PNGs).
        login_max_failures_per_email: failed logins per email inside the window
            before further attempts answer 429 ``rate_limited``.
        login_max_failures_per_ip: the same per client address (higher: offices share
            one address).
        login_failure_window: how far back failed logins count.
        argon2_time_cost / argon2_memory_cost_kib / argon2_parallelism: password hash
            cost (argon2id). Tests lower them; production keeps the defaults.
        page_size_default / page_size_max: list paging.
    """

    database_url: str = field(default_factory=default_database_url)
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    refresh_reuse_grace: timedelta = timedelta(minutes=5)
    blob_max_bytes: int = 10 * 1024 * 1024
    login_max_failures_per_email: int = 5
    login_max_failures_per_ip: int = 20
    login_failure_window: timedelta = timedelta(minutes=5)
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 64 * 1024
    argon2_parallelism: int = 2
    page_size_default: int = 50
    page_size_max: int = 200
    echo_sql: bool = False
