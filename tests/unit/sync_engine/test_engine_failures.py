"""Failures: 503 + Retry-After, backoff with jitter, 401 refresh, signed out, status."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from proapp.sync import MutationState
from proapp.sync.backoff import Backoff
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncPhase, SyncStatus
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, Rule, ScriptedFaultPlan
from tests.unit.sync_engine.harness import enqueue_message, make_rig


def test_backoff_grows_exponentially_within_full_jitter_bounds() -> None:
    policy = Backoff(base_s=1.0, factor=2.0, max_s=60.0)
    rng = random.Random(1)
    assert [policy.ceiling(n) for n in range(9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    for failures in range(1, 12):
        draws = [policy.delay(failures, rng) for _ in range(200)]
        assert all(0.0 <= d <= policy.ceiling(failures) for d in draws)
        # Full jitter: spread over the whole window, not clustered at the top.
        assert min(draws) < policy.ceiling(failures) * 0.1
        assert max(draws) > policy.ceiling(failures) * 0.9
    assert policy.ceiling(10_000) == 60.0  # no overflow on a long outage
    again = [Backoff().delay(3, random.Random(5)) for _ in range(2)]
    assert again[0] == again[1]  # seeded: reproducible


def test_retry_after_is_a_floor_and_capped() -> None:
    policy = Backoff(base_s=1.0, max_s=10.0, max_retry_after_s=120.0)
    rng = random.Random(0)
    assert all(policy.delay(1, rng, retry_after=30) == 30 for _ in range(20))
    assert policy.delay(1, rng, retry_after=10**9) == 120.0
    with pytest.raises(ValueError):
        Backoff(base_s=0)


def test_503_with_retry_after_is_honoured(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("POST", "/v1/sync/push", Fault.UNAVAILABLE), retry_after_s=7)
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        mid = enqueue_message(rig)
        start = rig.clock()

        report = await rig.engine.sync_once()

        assert not report.ok and report.error_code == "unavailable"
        assert report.retry_at is not None and report.retry_at >= start + timedelta(seconds=7)
        entry = rig.outbox.get(mid)
        assert entry is not None and entry.state is MutationState.PENDING
        assert entry.next_attempt_at >= start + timedelta(seconds=7)
        assert server.applied_log == []  # 503 changed nothing
        rig.clock.advance(seconds=3)
        await rig.engine.sync_once()
        assert server.push_batches == []  # still inside Retry-After: not sent
        rig.clock.advance(seconds=5)
        assert (await rig.engine.sync_once()).ok
        assert rig.outbox.get(mid).state is MutationState.APPLIED  # type: ignore[union-attr]
        rig.store.close()

    run(body())


def test_consecutive_network_failures_back_off_with_jitter(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("GET", "/v1/sync/pull", Fault.LOST_REQUEST, times=6))
        server = FakeSyncServer(plan)
        policy = Backoff(base_s=2.0, factor=2.0, max_s=20.0)
        rig = await make_rig(tmp_path, server, backoff=policy)
        delays = []
        for failures in range(1, 7):
            now = rig.clock()
            report = await rig.engine.sync_once(force=True)
            assert not report.ok and report.retry_at is not None
            delay = (report.retry_at - now).total_seconds()
            assert 0 <= delay <= policy.ceiling(failures)
            delays.append(delay)
            assert rig.engine.status.value.connectivity is Connectivity.OFFLINE
        expected_rng = random.Random(7)  # the rig's seed: the same jitter sequence
        expected = [policy.delay(n, expected_rng) for n in range(1, 7)]
        assert delays == pytest.approx(expected, abs=1e-3)
        assert (await rig.engine.sync_once()).ok
        assert rig.engine.status.value.connectivity is Connectivity.ONLINE
        assert rig.engine.status.value.last_error is None
        rig.store.close()

    run(body())


def test_expired_access_token_is_refreshed_once(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        enqueue_message(rig)
        server.expire_access_tokens()
        report = await rig.engine.sync_once()
        assert report.ok, report.error
        assert server.refreshes == 1
        assert len(rig.rotated) == 1  # the rotated refresh token was handed over to save
        rig.store.close()

    run(body())


def test_refused_refresh_means_signed_out_with_the_outbox_intact(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        mids = [enqueue_message(rig) for _ in range(3)]
        server.revoke_all()

        report = await rig.engine.sync_once()

        assert not report.ok and report.signed_out
        status = rig.engine.status.value
        assert status.signed_out and status.phase is SyncPhase.SIGNED_OUT
        assert status.pending == 3
        assert "Sign in again" in (status.last_error or "")
        for mid in mids:
            entry = rig.outbox.get(mid)
            assert entry is not None and entry.state is MutationState.PENDING
        # Signed out: no traffic at all until the pro signs in again.
        before = len(server.requests)
        assert (await rig.engine.sync_once()).signed_out
        assert len(server.requests) == before
        await rig.client.login("tess@brightfix.example", "demo-tech-pass")
        assert (await rig.engine.sync_once()).ok
        assert rig.engine.status.value.pending == 0
        assert not rig.engine.status.value.signed_out
        rig.store.close()

    run(body())


def test_status_reports_pending_age_success_and_errors(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("POST", "/v1/sync/push", Fault.LOST_REQUEST))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        seen: list[SyncStatus] = []
        rig.engine.status.subscribe(seen.append)
        assert seen == [SyncStatus()]  # replayed at once
        enqueue_message(rig)
        rig.clock.advance(minutes=5)
        enqueue_message(rig)
        status = await rig.engine.refresh_status()
        assert status.pending == 2 and status.oldest_pending_age == timedelta(minutes=5)

        failed = await rig.engine.sync_once()
        status = rig.engine.status.value
        assert status.connectivity is Connectivity.OFFLINE
        assert status.phase is SyncPhase.WAITING_RETRY
        assert status.last_error is not None and "connection" in status.last_error.lower()
        assert status.next_attempt_at == failed.retry_at
        assert status.pending == 2 and status.last_success_at is None

        rig.clock.advance(minutes=1)
        assert (await rig.engine.sync_once(force=True)).ok
        status = rig.engine.status.value
        assert status.pending == 0 and status.oldest_pending_age is None
        assert status.last_success_at == rig.clock()
        assert status.last_error is None and status.next_attempt_at is None
        assert status.phase is SyncPhase.IDLE
        phases = [s.phase for s in seen]
        assert SyncPhase.PUSHING in phases and SyncPhase.PULLING in phases
        rig.engine.status.unsubscribe(seen.append)
        count = len(seen)
        enqueue_message(rig)
        await rig.engine.refresh_status()
        assert len(seen) == count
        rig.store.close()

    run(body())


def test_a_crash_while_in_flight_resends_after_restart(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        mid = enqueue_message(rig)
        rig.outbox.mark_in_flight([mid])
        rig.store.close()  # killed mid-push
        again = await make_rig(tmp_path, server, clock=rig.clock)
        assert again.outbox.get(mid).state is MutationState.IN_FLIGHT  # type: ignore[union-attr]
        assert (await again.engine.sync_once()).ok
        assert again.outbox.get(mid).state is MutationState.APPLIED  # type: ignore[union-attr]
        again.store.close()

    run(body())
