"""Push: batches in mid order, applied/rejected, replay after a lost answer, resume."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from proapp.sync import MutationState
from proapp.sync import engine as engine_module
from proapp.sync.engine import COUNTS_REFRESH_S, META_SERVER_LAST_MID
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, Rule, ScriptedFaultPlan
from tests.unit.sync_engine.harness import (
    enqueue_job_start,
    enqueue_message,
    make_rig,
    new_id,
)


def test_push_sends_batches_of_100_in_mid_order(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        mids = [enqueue_message(rig, f"note {i}") for i in range(250)]
        report = await rig.engine.sync_once()
        assert report.ok, report.error
        assert report.applied == 250
        assert rig.server.push_batches == [mids[:100], mids[100:200], mids[200:]]
        assert all(rig.outbox.get(m).state is MutationState.APPLIED for m in mids)  # type: ignore[union-attr]
        assert [mid for _c, mid, _i in rig.server.applied_log] == mids
        assert rig.store.get_meta(META_SERVER_LAST_MID) == "250"
        assert rig.engine.status.value.pending == 0
        rig.store.close()

    run(body())


def test_rejected_mutation_needs_attention_overlay_dropped_queue_continues(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        job_id = new_id()
        server.put_entity("job", job_id, {"id": job_id, "status": "SCHEDULED"})
        rig = await make_rig(tmp_path, server)
        await rig.engine.sync_once()  # the job is cached from the server
        server.reject("job.start", "job_cancelled", "The customer cancelled this job.")
        bad = enqueue_job_start(rig, job_id, overlay={"id": job_id, "status": "IN_PROGRESS"})
        good = enqueue_message(rig)
        cached = rig.store.cache.get("job", job_id)
        assert cached is not None and cached.data()["status"] == "IN_PROGRESS"

        report = await rig.engine.sync_once()

        assert report.ok and report.rejected == 1 and report.applied == 1
        attention = rig.outbox.needs_attention()
        assert [e.mid for e in attention] == [bad]
        entry = attention[0]
        assert entry.args == {"job_id": job_id}  # everything the pro entered is kept
        assert entry.rejection is not None and entry.rejection.code == "job_cancelled"
        assert entry.rejection.message == "The customer cancelled this job."
        assert entry.rejection.details == {"name": "job.start"}
        cached = rig.store.cache.get("job", job_id)
        assert cached is not None and not cached.has_local_changes
        assert cached.data()["status"] == "SCHEDULED"  # back to the server copy
        assert rig.outbox.get(good).state is MutationState.APPLIED  # type: ignore[union-attr]
        assert rig.engine.status.value.needs_attention == 1
        rig.store.close()

    run(body())


def test_lost_response_after_commit_is_replayed_not_applied_twice(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("POST", "/v1/sync/push", Fault.LOST_RESPONSE))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        mids = [enqueue_message(rig) for _ in range(3)]
        ids = [rig.outbox.get(m).mutation_id for m in mids]  # type: ignore[union-attr]

        first = await rig.engine.sync_once()
        assert not first.ok and first.error_code == "network"
        assert len(server.applied_log) == 3  # the server committed
        assert all(rig.outbox.get(m).state is MutationState.PENDING for m in mids)  # type: ignore[union-attr]
        assert all(rig.outbox.get(m).attempts == 1 for m in mids)  # type: ignore[union-attr]

        second = await rig.engine.sync_once(force=True)
        assert second.ok, second.error
        assert second.applied == 3
        assert [(mid, mid_id) for _c, mid, mid_id in server.applied_log] == list(
            zip(mids, ids, strict=True)
        )  # still once each, same identities
        assert server.push_batches == [mids, mids]
        rig.store.close()

    run(body())


def test_lost_request_is_resent_with_the_same_identity(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("POST", "/v1/sync/push", Fault.LOST_REQUEST))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        mid = enqueue_message(rig)
        assert not (await rig.engine.sync_once()).ok
        assert server.applied_log == []
        assert (await rig.engine.sync_once(force=True)).ok
        assert server.applied_log == [(rig.store.client_id, mid, rig.outbox.get(mid).mutation_id)]  # type: ignore[union-attr]
        rig.store.close()

    run(body())


def test_unknown_client_is_answered_with_resume_from(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        for _ in range(3):
            enqueue_message(rig)
        assert (await rig.engine.sync_once()).ok
        server.forget_client(rig.store.client_id)  # e.g. restored from an old backup
        later = [enqueue_message(rig) for _ in range(2)]

        report = await rig.engine.sync_once()

        assert report.ok, report.error
        assert report.applied == 2
        # First try without resume_from: out_of_order expected 1; then resumed at 4.
        assert server.push_batches[-2:] == [later, later]
        assert server.clients[rig.store.client_id].last_mid == 5
        assert all(rig.outbox.get(m).state is MutationState.APPLIED for m in later)  # type: ignore[union-attr]
        rig.store.close()

    run(body())


def test_server_behind_the_device_keeps_the_outbox_and_reports(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        for _ in range(3):
            enqueue_message(rig)
        assert (await rig.engine.sync_once()).ok
        server.clients[rig.store.client_id].last_mid = 1  # lost mids 2..3 (bad restore)
        mid = enqueue_message(rig)

        report = await rig.engine.sync_once()

        assert not report.ok and report.error_code == "sync_protocol"
        assert "kept on this device" in (report.error or "")
        entry = rig.outbox.get(mid)
        assert entry is not None and entry.state is MutationState.PENDING
        assert entry.attempts == 1 and entry.last_error == report.error
        rig.store.close()

    run(body())


def test_out_of_order_mid_batch_resends_from_expected(tmp_path: Path) -> None:
    async def body() -> None:
        # The server forgets the client between the two halves of one round: the
        # first push of the second batch is out of order and is resumed.
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server, push_batch=2)
        mids = [enqueue_message(rig) for _ in range(4)]
        original = server._push

        def forgetful_push(request):  # type: ignore[no-untyped-def]
            if len(server.push_batches) == 1:
                server.forget_client(rig.store.client_id)
            return original(request)

        server._push = forgetful_push  # type: ignore[method-assign]
        report = await rig.engine.sync_once()
        assert report.ok, report.error
        assert server.push_batches == [mids[:2], mids[2:], mids[2:]]
        assert [m for _c, m, _i in server.applied_log] == mids
        rig.store.close()

    run(body())


def test_each_further_push_costs_the_device_one_transaction(tmp_path: Path) -> None:
    # The next batch is taken (marked in flight) in the transaction that records the
    # previous push's answers: one commit, i.e. one fsync of the store, per push.
    async def transactions_for(push_batch: int) -> tuple[int, int]:
        rig = await make_rig(tmp_path / f"batch{push_batch}", push_batch=push_batch)
        for i in range(250):
            enqueue_message(rig, f"note {i}")
        count = 0
        real = rig.store.transaction

        @contextmanager
        def counting() -> Iterator[Any]:
            nonlocal count
            count += 1
            with real() as tx:
                yield tx

        rig.store.transaction = counting  # type: ignore[method-assign]
        report = await rig.engine.sync_once()
        assert report.ok and report.applied == 250, report.error
        pushes = len(rig.server.push_batches)
        rig.store.close()
        return count, pushes

    async def body() -> None:
        few, few_pushes = await transactions_for(100)
        many, many_pushes = await transactions_for(25)
        assert (few_pushes, many_pushes) == (3, 10)
        assert many - few == 7  # was 14: a "mark in flight" commit before every push

    run(body())


def test_a_long_drain_re_reads_the_pending_count_at_most_every_half_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Re-reading the count costs more than a local batch when thousands are queued, so
    # during a drain it is refreshed at most every COUNTS_REFRESH_S (and at the end).
    async def refreshes(seconds_per_reading: float) -> int:
        clock = iter(range(1_000))
        monkeypatch.setattr(engine_module, "time", SimpleNamespace(
            monotonic=lambda: next(clock) * seconds_per_reading))  # fmt: skip
        rig = await make_rig(tmp_path / f"step{seconds_per_reading}", push_batch=25)
        for i in range(250):
            enqueue_message(rig, f"note {i}")
        count = 0
        real = rig.engine._refresh_counts

        async def counting() -> None:
            nonlocal count
            count += 1
            await real()

        rig.engine._refresh_counts = counting  # type: ignore[method-assign]
        report = await rig.engine.sync_once()
        assert report.ok and report.applied == 250, report.error
        assert len(rig.server.push_batches) == 10
        assert rig.engine.status.value.pending == 0  # right at the end of the round
        rig.store.close()
        return count

    async def body() -> None:
        slow = await refreshes(COUNTS_REFRESH_S)  # every push is half a second later
        fast = await refreshes(0.001)  # ten pushes inside one half second
        assert slow - fast == 9  # one refresh before each push, against only the first

    run(body())
