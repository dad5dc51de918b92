"""Wiring for engine tests: a store, a real MarketplaceClient on the fake server, an
engine with a seeded RNG, a fake clock and a sleep that only advances that clock."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proapp.api import MarketplaceClient
from proapp.sync import BlobStore, Outbox, Store, account_paths
from proapp.sync.engine import SyncEngine
from proapp.sync.store import Transaction
from tests.unit.sync.factories import FakeClock
from tests.unit.sync_engine.fake_server import BASE_URL, PASSWORD, USER, FakeSyncServer


@dataclass
class FakeSleep:
    """Records each wait and moves the fake clock by it; never really sleeps."""

    clock: FakeClock
    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


@dataclass
class Rig:
    server: FakeSyncServer
    store: Store
    outbox: Outbox
    blobs: BlobStore
    clock: FakeClock
    sleep: FakeSleep
    client: MarketplaceClient
    engine: SyncEngine
    rotated: list[str]


def open_store(base: Path, clock: FakeClock) -> Store:
    return Store(account_paths(USER["id"], base).database, clock=clock)


async def make_rig(
    base: Path,
    server: FakeSyncServer | None = None,
    *,
    clock: FakeClock | None = None,
    store: Store | None = None,
    seed: int = 7,
    login: bool = True,
    **engine_kwargs: Any,
) -> Rig:
    server = server or FakeSyncServer()
    clock = clock or FakeClock()
    store = store or open_store(base, clock)
    rotated: list[str] = []

    async def save(token: str) -> None:
        rotated.append(token)

    client = MarketplaceClient(
        BASE_URL, transport=server.transport(), on_refresh_token_rotated=save, clock=clock
    )
    if login:
        await client.login(USER["email"], PASSWORD)
    sleep = FakeSleep(clock)
    engine_kwargs.setdefault("sleep", sleep)
    engine = SyncEngine(store, client, clock=clock, rng=random.Random(seed), **engine_kwargs)
    return Rig(
        server, store, Outbox(store), BlobStore(store), clock, sleep, client, engine, rotated
    )


def new_id() -> str:
    return str(uuid.uuid4())


def enqueue_message(rig: Rig, body: str = "On my way.") -> int:
    entry = rig.outbox.enqueue(
        None, "message.send", {"message_id": new_id(), "job_id": new_id(), "body": body}
    )
    return entry.mid


def enqueue_job_start(
    rig: Rig, job_id: str, base_version: int | None = None, overlay: dict[str, Any] | None = None
) -> int:
    with rig.store.transaction() as tx:
        entry = rig.outbox.enqueue(tx, "job.start", {"job_id": job_id}, base_version)
        if overlay is not None:
            rig.store.cache.put_overlay(tx, "job", job_id, overlay, entry.mid)
    return entry.mid


def enqueue_photo(
    rig: Rig, data: bytes, media_type: str = "image/jpeg", tx: Transaction | None = None
) -> tuple[int, str]:
    blob_hash = rig.blobs.put(data, media_type)
    entry = rig.outbox.enqueue(
        tx,
        "photo.attach",
        {
            "photo_id": new_id(),
            "target_kind": "job",
            "target_id": new_id(),
            "blob_hash": blob_hash,
        },
    )
    return entry.mid, blob_hash
