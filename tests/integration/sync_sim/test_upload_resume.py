"""Proof 3: an upload cut at half way resumes and re-sends at most one chunk.

The REAL server (in-process, on a copy of the seeded world) and the REAL device (store,
client, engine). The connection is cut on the chunk that crosses half of the photo,
either before the server gets it or after it stored it (the answer lost), and the app
dies with it; the restarted app asks the server where it is (HEAD) and goes on. A
counting transport sees every byte the server received.
"""

from __future__ import annotations

import asyncio
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image

from marketplace import orm
from proapp.api import MarketplaceClient
from proapp.sync import BlobStore, Outbox, Store, account_paths
from proapp.sync.engine import SyncEngine
from proapp.sync.outbox import MutationState
from tests.integration.server.world import FakeClock, sha
from tests.integration.sync_sim.sim import BASE_URL, FakeSleep, ServerHolder
from tests.integration.sync_sim.world import PASSWORD, START, SeededWorld, copy_world, seeded_uuid
from tests.support.faults import raw_body

CHUNK = 32 * 1024


def _noise_png(rng: random.Random, side: int = 300) -> bytes:
    pixels = bytes(rng.getrandbits(8) for _ in range(side * side * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


class _Killed(Exception):  # noqa: N818 - an event: the app process dies here
    pass


@dataclass
class CuttingTransport(httpx.AsyncBaseTransport):
    """Counts the upload bytes the server received; cuts once at half way."""

    server: ServerHolder
    size: int
    mode: str  # "before": the chunk never arrives; "after": it is stored, answer lost
    cut_done: bool = False
    received: int = 0
    patches: list[tuple[int, int]] = field(default_factory=list)  # (offset, length) sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        patch = request.method == "PATCH"
        offset = int(request.headers.get("Upload-Offset", "0")) if patch else 0
        if patch:
            self.patches.append((offset, len(body)))
        cut = patch and not self.cut_done and offset + len(body) > self.size // 2
        if cut and self.mode == "before":
            self.cut_done = True
            raise _Killed("connection cut before the chunk arrived")
        response = await self.server.current().handle_async_request(
            httpx.Request(request.method, request.url, headers=request.headers, content=body)
        )
        content = await raw_body(response)  # passed on still gzipped, if it was
        if patch and response.status_code == 204:
            self.received += len(body)
        if cut:
            self.cut_done = True
            raise _Killed("connection cut after the server stored the chunk")
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


@pytest.mark.parametrize("mode", ["before", "after"])
def test_upload_cut_at_half_resends_at_most_one_chunk(
    mode: str, sim_world: SeededWorld, scratch: Path
) -> None:
    rng = random.Random(7)
    data = _noise_png(rng)
    assert len(data) > 6 * CHUNK
    database = copy_world(sim_world, scratch / "server.sqlite3")
    server = ServerHolder(sim_world.settings(database), FakeClock(START))
    transport = CuttingTransport(server, len(data), mode)
    clock = FakeClock(START)
    store_path = account_paths(sim_world.tess_id, scratch / "device").database

    async def device_round(session: object | None) -> tuple[object, bool]:
        store = Store(store_path, clock=clock)
        client = MarketplaceClient(BASE_URL, transport=transport, session=session)  # type: ignore[arg-type]
        if session is None:
            await client.login(sim_world.tess_email, PASSWORD)
            blob = BlobStore(store).put(data, "image/png")
            Outbox(store).enqueue(
                None,
                "photo.attach",
                {
                    "photo_id": seeded_uuid(rng),
                    "target_kind": "job",
                    "target_id": sim_world.jobs[0],
                    "blob_hash": blob,
                },
            )
        engine = SyncEngine(
            store,
            client,
            clock=clock,
            sleep=FakeSleep(clock),
            rng=random.Random(1),
            chunk_size=CHUNK,
        )
        killed = False
        try:
            report = await engine.sync_once(force=True)
            assert report.ok, report.error
        except _Killed:
            killed = True  # the app dies mid-upload: nothing runs after this
        finally:
            await client.aclose()
            store.close()
        return client.session, killed

    async def body() -> None:
        session, killed = await device_round(None)
        assert killed, "the cut never happened"
        session, killed = await device_round(session)
        assert not killed

    try:
        asyncio.run(body())
        factory = server.app.state.session_factory
        with factory() as s:
            stored = s.get(orm.Blob, sha(data))
            assert stored is not None and bytes(stored.data) == data
            assert s.query(orm.Photo).filter_by(blob_sha256=sha(data)).count() == 1
        with Store(store_path, clock=clock) as store:
            entry = Outbox(store).get(1)
            assert entry is not None and entry.state is MutationState.APPLIED
    finally:
        server.close()

    offsets = [offset for offset, _n in transport.patches]
    resent = len(offsets) - len(set(offsets))
    # At most one chunk travels twice, and the server received at most one chunk extra.
    assert resent <= 1, transport.patches
    assert transport.received <= len(data) + CHUNK, (transport.received, len(data))
    if mode == "before":
        assert transport.received == len(data)
    # It really resumed: the second run did not start over from offset 0.
    assert offsets.count(0) == 1, transport.patches
