"""run_forever: start, timer, backoff, debounced local changes, connectivity return."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from proapp.sync.backoff import Backoff
from proapp.sync.connectivity import Connectivity, RequestConnectivityMonitor
from proapp.sync.status import SyncPhase
from tests.unit.sync.factories import FakeClock
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, Rule, ScriptedFaultPlan
from tests.unit.sync_engine.harness import enqueue_message, make_rig


class StoppingSleep:
    """Returns at once (moving the fake clock) and stops the engine after ``n`` waits."""

    def __init__(self, clock: FakeClock, n: int) -> None:
        self.clock = clock
        self.n = n
        self.calls: list[float] = []
        self.stop: Callable[[], None] = lambda: None

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)
        if len(self.calls) >= self.n:
            self.stop()
        await asyncio.sleep(0)


class BlockingSleep:
    """Long waits never end by themselves (only a trigger ends them); short ones
    (the debounce) return at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if seconds >= 1.0:
            await asyncio.Event().wait()


async def until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Let the loop and the store's worker thread run until ``condition`` holds.

    A generous deadline, not a count of polls: on a loaded machine the store's worker
    thread can take seconds to get a turn, and this is a correctness test, not a timing
    one (the engine's waits go through the fake sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


def test_loop_runs_at_start_and_on_the_timer(tmp_path: Path) -> None:
    async def body() -> None:
        clock = FakeClock()
        sleep = StoppingSleep(clock, 3)
        rig = await make_rig(tmp_path, clock=clock, sleep=sleep, interval_s=30.0)
        sleep.stop = rig.engine.stop
        await rig.engine.run_forever()
        assert sleep.calls == [30.0, 30.0, 30.0]
        assert rig.server.requests.count(("GET", "/v1/sync/pull")) == 3
        assert rig.engine.status.value.phase is SyncPhase.STOPPED
        rig.store.close()

    run(body())


def test_loop_backs_off_while_failing(tmp_path: Path) -> None:
    async def body() -> None:
        clock = FakeClock()
        sleep = StoppingSleep(clock, 5)
        server = FakeSyncServer(
            ScriptedFaultPlan(Rule("GET", "/v1/sync/pull", Fault.LOST_REQUEST, times=100))
        )
        rig = await make_rig(tmp_path, server, clock=clock, sleep=sleep)
        sleep.stop = rig.engine.stop
        await rig.engine.run_forever()
        ceilings = [1, 2, 4, 8, 16]
        assert all(0 <= d <= c for d, c in zip(sleep.calls, ceilings, strict=True))
        assert 30.0 not in sleep.calls
        rig.store.close()

    run(body())


def test_local_change_is_pushed_after_a_debounce(tmp_path: Path) -> None:
    async def body() -> None:
        sleep = BlockingSleep()
        rig = await make_rig(tmp_path, sleep=sleep)
        task = asyncio.create_task(rig.engine.run_forever())
        await until(lambda: rig.engine.status.value.last_success_at is not None)
        mids = [enqueue_message(rig) for _ in range(3)]
        for _ in mids:
            rig.engine.notify_local_change()  # a burst of taps
        await until(lambda: bool(rig.server.push_batches))
        assert rig.server.push_batches == [mids]  # one push for the burst
        assert 0.3 in sleep.calls  # the debounce
        rig.engine.stop()
        await task
        rig.store.close()

    run(body())


def test_connectivity_return_triggers_sync_but_retry_after_wins(tmp_path: Path) -> None:
    async def body() -> None:
        sleep = BlockingSleep()
        plan = ScriptedFaultPlan(Rule("GET", "/v1/sync/pull", Fault.LOST_REQUEST))
        server = FakeSyncServer(plan)
        monitor = RequestConnectivityMonitor()
        rig = await make_rig(
            tmp_path,
            server,
            sleep=sleep,
            connectivity=monitor,
            backoff=Backoff(base_s=5.0, max_s=50.0),
        )
        task = asyncio.create_task(rig.engine.run_forever())
        await until(lambda: monitor.state is Connectivity.OFFLINE)
        pulls = server.requests.count(("GET", "/v1/sync/pull"))
        monitor.set_online(True)  # the platform says the network is back
        await until(lambda: rig.engine.status.value.last_success_at is not None)
        assert server.requests.count(("GET", "/v1/sync/pull")) == pulls + 1

        # Now the server asks for 60 s: neither a local change nor "online" overrides.
        plan.rules.append(Rule("POST", "/v1/sync/push", Fault.UNAVAILABLE))
        plan.retry_after_s = 60
        enqueue_message(rig)
        rig.engine.notify_local_change()
        await until(lambda: rig.engine.status.value.phase is SyncPhase.WAITING_RETRY)
        count = len(server.requests)
        enqueue_message(rig)
        rig.engine.notify_local_change()
        rig.engine.sync_soon()
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert len(server.requests) == count
        rig.engine.stop()
        await task
        rig.store.close()

    run(body())


def test_signed_out_loop_waits_for_sign_in(tmp_path: Path) -> None:
    async def body() -> None:
        sleep = BlockingSleep()
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server, sleep=sleep)
        enqueue_message(rig)
        server.revoke_all()
        task = asyncio.create_task(rig.engine.run_forever())
        await until(lambda: rig.engine.status.value.signed_out)
        assert sleep.calls == []  # no timer while signed out
        await rig.client.login("tess@brightfix.example", "demo-tech-pass")
        rig.engine.notify_signed_in()
        await until(lambda: rig.engine.status.value.pending == 0)
        rig.engine.stop()
        await task
        rig.store.close()

    run(body())
