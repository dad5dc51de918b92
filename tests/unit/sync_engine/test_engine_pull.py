"""Pull: paging, cursor persistence, rebase (overlay drop) in the page's transaction."""

from __future__ import annotations

from pathlib import Path

from proapp.sync.engine import META_CURSOR
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, Rule, ScriptedFaultPlan
from tests.unit.sync_engine.harness import enqueue_job_start, make_rig, new_id


def test_pull_pages_until_done_and_persists_the_cursor(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        ids = [new_id() for _ in range(450)]
        for i, job_id in enumerate(ids):
            server.put_entity(
                "job", job_id, {"id": job_id, "ordered_at": f"2026-11-{i % 28 + 1:02d}"}
            )
        rig = await make_rig(tmp_path, server, pull_limit=200)

        report = await rig.engine.sync_once()

        assert report.ok and report.pages == 3 and report.pulled == 450
        assert rig.store.cache.count("job") == 450
        assert rig.store.get_meta(META_CURSOR) == "450"
        first = rig.store.cache.page("job", limit=1)[0]
        assert first.list_key == "2026-11-01"  # sort key derived by the repository mapping
        rig.store.close()

        # Next launch: a new engine continues from the stored cursor.
        server.put_entity("job", ids[0], None)  # deleted (or reassigned away)
        again = await make_rig(tmp_path, server, clock=rig.clock)
        report = await again.engine.sync_once()
        assert report.pulled == 1 and report.pages == 1
        assert again.store.cache.count("job") == 449
        assert again.store.cache.get("job", ids[0]) is None
        again.store.close()

    run(body())


def test_idle_sync_is_one_pull_round_trip(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        assert (await rig.engine.sync_once()).ok
        before = len(rig.server.requests)
        assert (await rig.engine.sync_once()).ok
        assert rig.server.requests[before:] == [("GET", "/v1/sync/pull")]
        rig.store.close()

    run(body())


def test_applied_overlay_is_dropped_when_the_pull_reflects_it(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        job_id = new_id()
        server.put_entity("job", job_id, {"id": job_id, "status": "SCHEDULED"})
        rig = await make_rig(tmp_path, server)
        assert (await rig.engine.sync_once()).ok
        enqueue_job_start(
            rig, job_id, base_version=1, overlay={"id": job_id, "status": "IN_PROGRESS"}
        )

        assert (await rig.engine.sync_once()).ok

        cached = rig.store.cache.get("job", job_id)
        assert cached is not None and not cached.has_local_changes
        assert cached.version == 2
        assert cached.data()["commands"] == ["job.start"]  # the server's copy, with the effect
        rig.store.close()

    run(body())


def test_pending_overlay_stays_on_top_of_pulled_data(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("POST", "/v1/sync/push", Fault.UNAVAILABLE))
        server = FakeSyncServer(plan)
        job_id = new_id()
        server.put_entity("job", job_id, {"id": job_id, "status": "SCHEDULED"})
        rig = await make_rig(tmp_path, server)
        assert (await rig.engine.sync_once()).ok
        mid = enqueue_job_start(rig, job_id, overlay={"id": job_id, "status": "IN_PROGRESS"})
        assert not (await rig.engine.sync_once()).ok  # 503: the mutation waits 5 s
        server.put_entity("job", job_id, {"id": job_id, "status": "SCHEDULED", "note": "office"})

        report = await rig.engine.sync_once()  # not due yet: no push, but a pull

        assert report.ok and report.applied == 0 and report.pulled == 1
        cached = rig.store.cache.get("job", job_id)
        assert cached is not None and cached.overlay_mid == mid
        assert cached.data() == {"id": job_id, "status": "IN_PROGRESS"}  # still the pro's
        assert cached.version == 2  # ...on top of the newer server copy
        rig.clock.advance(seconds=6)
        assert (await rig.engine.sync_once()).ok
        cached = rig.store.cache.get("job", job_id)
        assert cached is not None and cached.overlay_mid is None
        assert cached.data()["note"] == "office" and cached.version == 3
        rig.store.close()

    run(body())
