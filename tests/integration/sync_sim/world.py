"""The seeded world every simulation starts from, and the checks shared by the sync
simulation tests (server state read straight from the database).

The world is built ONCE into a migrated template SQLite file (business, dispatcher, two
technicians, a customer, jobs with preferred windows, open requests); each seed copies
that file, which costs a millisecond instead of a migration.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import select

from marketplace import orm
from marketplace.config import Settings
from marketplace.db import make_engine, make_session_factory
from marketplace.migrate import upgrade_database
from tests.integration.server import world as server_world
from tests.integration.server.conftest import TEST_SETTINGS
from tests.integration.server.world import PASSWORD, START, FakeClock, World, png_bytes

__all__ = ["PASSWORD", "START", "SeededWorld", "build_template", "copy_world", "seeded_uuid"]


@dataclass(frozen=True)
class SeededWorld:
    """Ids of the template's world (the same in every copy)."""

    template: Path
    business_id: str
    dispatcher_id: str
    dispatcher_email: str
    tess_id: str
    tess_email: str
    marco_id: str
    customer_id: str
    jobs: tuple[str, ...]  # PENDING_SCHEDULE, assigned to Tess
    scheduled_jobs: tuple[str, ...]  # SCHEDULED with an appointment, assigned to Tess
    working_jobs: tuple[str, ...]  # IN_PROGRESS, assigned to Tess
    windows: dict[str, tuple[str, ...]] = field(default_factory=dict)  # job -> window ids
    requests: tuple[str, ...] = ()
    lines: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)  # job -> lines
    prices: dict[str, int] = field(default_factory=dict)  # job -> price_cents

    def settings(self, database: Path) -> Settings:
        return replace(TEST_SETTINGS, database_url=f"sqlite:///{database}")


def build_template(directory: Path) -> SeededWorld:
    """Migrate a template database and seed the world into it."""
    path = directory / "world.sqlite3"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = make_engine(url)
    ids = random.Random(20261116)
    # The world builder draws uuid4s; seeded ids make every process build the same world,
    # so a seed replays identically anywhere (traces name jobs by id).
    patcher = mock.patch.object(server_world, "new_id", lambda: seeded_uuid(ids))
    patcher.start()
    try:
        settings = replace(TEST_SETTINGS, database_url=url)
        world = World(make_session_factory(engine), settings, None, FakeClock())  # type: ignore[arg-type]
        biz = world.business(name="SimFix")
        dispatcher_id, dispatcher_email = world.user("dispatcher", biz, name="Dee Spatch")
        tess_id, tess_email = world.user("technician", biz, name="Tess Rivera")
        marco_id, _ = world.user("technician", biz, name="Marco Chen")
        customer_id, _ = world.user("customer", None, name="Cus Tomer")
        jobs = tuple(world.job(biz, customer_id, technicians=[tess_id]) for _ in range(4))
        scheduled = tuple(
            world.job(biz, customer_id, technicians=[tess_id], status="SCHEDULED") for _ in range(2)
        )
        # Where change orders and completions can succeed (R8, R9).
        working = tuple(
            world.job(biz, customer_id, technicians=[tess_id], status="IN_PROGRESS")
            for _ in range(2)
        )
        requests = tuple(world.request(biz, customer_id) for _ in range(2))
        windows: dict[str, tuple[str, ...]] = {}
        lines: dict[str, tuple[dict[str, Any], ...]] = {}
        prices: dict[str, int] = {}
        with world.session_factory() as s:
            for job in (*jobs, *scheduled, *working):
                row = s.get_one(orm.Job, job)
                lines[job] = tuple(dict(line) for line in row.line_items)
                prices[job] = int(row.price_cents)
                rows = s.scalars(
                    select(orm.PreferredWindow.id)
                    .where(orm.PreferredWindow.job_id == job)
                    .order_by(orm.PreferredWindow.position)
                ).all()
                windows[job] = tuple(rows)
    finally:
        patcher.stop()
        engine.dispose()
    # One file, no WAL sidecar: copies are then complete and independent.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return SeededWorld(
        template=path,
        business_id=biz,
        dispatcher_id=dispatcher_id,
        dispatcher_email=dispatcher_email,
        tess_id=tess_id,
        tess_email=tess_email,
        marco_id=marco_id,
        customer_id=customer_id,
        jobs=jobs,
        scheduled_jobs=scheduled,
        working_jobs=working,
        windows=windows,
        requests=requests,
        lines=lines,
        prices=prices,
    )


def copy_world(world: SeededWorld, target: Path) -> Path:
    """A fresh copy of the template database at ``target``."""
    shutil.copyfile(world.template, target)
    return target


def seeded_uuid(rng: random.Random) -> str:
    """A UUID4 drawn from ``rng`` (ids the device generates, reproducible per seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def window(offset_days: int, hour: int = 17) -> dict[str, str]:
    """A two-hour arrival window ``offset_days`` after the world's start (UTC)."""
    start = START.replace(hour=hour) + timedelta(days=offset_days)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}


def photo(rng: random.Random) -> bytes:
    """A small, distinct PNG."""
    return png_bytes((rng.randrange(256), rng.randrange(256), rng.randrange(256)), size=3)


def line_item(rng: random.Random) -> dict[str, Any]:
    return {
        "id": seeded_uuid(rng),
        "kind": "LABOR",
        "description": "Labour",
        "quantity": 1,
        "unit_price_cents": rng.randrange(1_000, 50_000),
    }
