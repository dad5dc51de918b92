"""The Alembic migrations create exactly the schema of the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from marketplace.db import make_engine
from marketplace.migrate import upgrade_database
from marketplace.orm import Base


def test_migrated_database_equals_orm_metadata(database_url: str) -> None:
    # database_url was migrated from empty to head (via the session template).
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"migrations and orm.py disagree: {diff}"
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'fresh.sqlite3'}"
    upgrade_database(url)  # creates the directory and the schema
    upgrade_database(url)  # second run: nothing to do, no error
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()
    assert version == "0003"


def test_0003_pages_a_business_by_index_and_downgrades(tmp_path: Path) -> None:
    # Migration 0003: a page of one business's jobs in id order is an index walk (no
    # sort of every job of the business), and the migration goes down and up again.
    from alembic import command

    from marketplace.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    upgrade_database(url)
    page = (
        "SELECT id FROM jobs WHERE business_id = 'b' AND id > 'a' ORDER BY id LIMIT 200"
    )

    def plan() -> str:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + page).all()
        finally:
            engine.dispose()
        return " | ".join(str(row[-1]) for row in rows)

    assert "ix_jobs_business_id_id" in plan()
    assert "TEMP B-TREE" not in plan()

    def run(step: str, revision: str) -> None:
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                config = alembic_config(url)
                config.attributes["connection"] = connection
                getattr(command, step)(config, revision)
        finally:
            engine.dispose()

    run("downgrade", "0002")
    assert "TEMP B-TREE" in plan()  # the old single-column index sorts the page
    run("upgrade", "head")
    assert "TEMP B-TREE" not in plan()
