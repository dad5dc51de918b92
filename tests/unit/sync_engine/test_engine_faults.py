"""Seeded random faults (the seed of the fault-simulation harness): whatever is lost,
duplicated or refused, every mutation is applied exactly once, in mid order."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, RandomFaultPlan
from tests.unit.sync_engine.harness import enqueue_message, enqueue_photo, make_rig

RATES = {
    Fault.LOST_REQUEST: 0.12,
    Fault.LOST_RESPONSE: 0.12,
    Fault.UNAVAILABLE: 0.08,
    Fault.DUPLICATE: 0.08,
    Fault.DELAYED: 0.06,
}


@pytest.mark.parametrize("seed", range(1, 11))
def test_exactly_once_in_order_under_random_faults(tmp_path: Path, seed: int) -> None:
    async def body() -> None:
        server = FakeSyncServer(RandomFaultPlan(seed, RATES))
        server.fault_plan.retry_after_s = 1
        chaos = random.Random(seed)
        rig = await make_rig(tmp_path, server, seed=seed, push_batch=7, chunk_size=4096)
        clock = rig.clock
        mids: list[int] = []
        for _round in range(60):
            for _ in range(chaos.randint(0, 4)):
                if chaos.random() < 0.2:
                    mids.append(enqueue_photo(rig, os.urandom(chaos.randint(100, 20_000)))[0])
                else:
                    mids.append(enqueue_message(rig))
            await rig.engine.sync_once(force=chaos.random() < 0.5)
            clock.advance(seconds=chaos.randint(1, 120))
            if chaos.random() < 0.1:  # the app is killed and restarted
                rig.store.close()
                rig = await make_rig(
                    tmp_path,
                    server,
                    clock=clock,
                    seed=chaos.randint(0, 99),
                    push_batch=7,
                    chunk_size=4096,
                )
        server.fault_plan = type(server.fault_plan)(seed, {})  # the network heals
        for _ in range(5):
            clock.advance(seconds=600)
            if (await rig.engine.sync_once(force=True)).ok and not rig.outbox.pending():
                break
        applied = [mid for _c, mid, _id in server.applied_log]
        assert applied == mids  # each exactly once, in order
        assert rig.engine.status.value.pending == 0
        rig.store.close()

    run(body())
