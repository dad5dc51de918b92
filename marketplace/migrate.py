"""Run Alembic migrations programmatically (no alembic.ini needed).

``serve`` and ``seed`` call `upgrade_database` before touching the database, so a new
SQLite file or an empty PostgreSQL database is brought to the current schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from marketplace.db import make_engine

__all__ = ["MIGRATIONS_DIR", "alembic_config", "upgrade_database"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # "%" must be escaped for configparser interpolation (passwords may contain it).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, engine: Engine | None = None) -> None:
    """Migrate the database at ``url`` to the latest revision (``alembic upgrade head``).

    An ``engine`` may be passed to reuse its connection settings (SQLite pragmas).
    """
    config = alembic_config(url)
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if own_engine:
            engine.dispose()
