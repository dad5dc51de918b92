"""LocalRepository on a real store and a real engine talking to the in-memory server:
reads join children, actions are one transaction (overlay + outbox row), refusals write
nothing, sync replaces overlays with the server copy, and images download for offline."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from proapp.domain.commands import (
    EstimateSubmitArgs,
    JobStartArgs,
    MessageSendArgs,
    PhotoAttachArgs,
    WindowConfirmArgs,
)
from proapp.domain.enums import EstimateStatus, JobStatus, PartsSupplier, PhotoTargetKind
from proapp.domain.errors import DomainError
from proapp.domain.models import Business, CustomRequest, Estimate, Job, User, VisitProposal
from proapp.state.ports import ProRepository
from proapp.sync.blobs import BlobState
from proapp.sync.engine import DOWNLOAD_RETRY_S
from proapp.sync.outbox import MutationState
from proapp.sync.repository import LocalRepository
from proapp.sync.session import pending_work_summary
from tests.support.fake_repo import make_job, make_line, make_request, make_user
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import USER, FakeSyncServer
from tests.unit.sync_engine.harness import Rig, make_rig


def tess() -> User:
    return make_user(user_id=USER["id"], business_id=USER["business_id"])


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return out.getvalue()


def put(server: FakeSyncServer, kind: str, model: Any) -> None:
    server.put_entity(kind, model.id, model.model_dump(mode="json"))


def seeded_job(rig: Rig, **kw: Any) -> Job:
    job = make_job(rig.clock(), assigned_technician_ids=[USER["id"]], **kw)
    put(rig.server, "job", job)
    return job


async def setup(tmp_path: Path, **engine_kwargs: Any) -> tuple[Rig, LocalRepository, list[int]]:
    rig = await make_rig(tmp_path, **engine_kwargs)
    repo = LocalRepository(rig.store, rig.engine, tess(), clock=rig.clock)
    calls: list[int] = []
    repo.subscribe(lambda: calls.append(1))
    port: ProRepository = repo  # LocalRepository satisfies the screens' port
    assert port is repo
    return rig, repo, calls


def test_reads_join_children_and_mark_nothing_pending(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, _ = await setup(tmp_path)
        now = rig.clock()
        request = make_request(now)
        older = make_request(now, submitted_ago=timedelta(hours=5))
        estimate = Estimate(
            id=str(uuid.uuid4()),
            request_id=request.id,
            business_id=request.business_id,
            line_items=[make_line()],
            parts_supplier=PartsSupplier.PRO,
            status=EstimateStatus.SUBMITTED,
            submitted_at=now,
        )
        visit = VisitProposal(
            id=str(uuid.uuid4()),
            request_id=request.id,
            business_id=request.business_id,
            price_cents=5_000,
        )
        photo = {
            "id": str(uuid.uuid4()),
            "target_kind": "estimate",
            "target_id": estimate.id,
            "blob_hash": "c" * 64,
            "caption": "Before",
            "uploaded_by": USER["id"],
            "created_at": "2026-11-26T08:00:00Z",
        }
        for kind, model in (
            ("request", request),
            ("request", older),
            ("estimate", estimate),
            ("visit", visit),
        ):
            put(rig.server, kind, model)
        rig.server.put_entity("photo", photo["id"], photo)
        job = seeded_job(rig)
        assert (await rig.engine.sync_once()).ok

        records = await repo.requests()
        assert [r.request.id for r in records] == [request.id, older.id]  # newest first
        first = records[0]
        assert first.estimates == (estimate,) and first.visits == (visit,)
        assert [p.caption for p in first.photos] == ["Before"] and not first.pending
        single = await repo.request(request.id)
        assert single == first
        assert await repo.request(str(uuid.uuid4())) is None
        (job_record,) = await repo.jobs()
        assert job_record.job == job and not job_record.pending
        assert await repo.job(job.id) == job_record
        assert await repo.business() is None  # not synced yet
        business = Business(id=USER["business_id"], name="BrightFix Home Services",
                            time_zone="America/Los_Angeles", state="WA")
        put(rig.server, "business", business)
        assert (await rig.engine.sync_once()).ok
        assert await repo.business() == business
        rig.store.close()

    run(body())


def test_perform_is_local_first_and_one_transaction(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, calls = await setup(tmp_path)
        job = seeded_job(rig, version=3)
        await rig.engine.sync_once()
        calls.clear()

        window = job.preferred_windows[1]
        entry = await repo.perform(WindowConfirmArgs(job_id=job.id, preferred_window_id=window.id))
        assert entry.state is MutationState.PENDING and entry.base_version == 3
        record = await repo.job(job.id)
        assert record is not None and record.pending
        assert record.job.status is JobStatus.SCHEDULED
        assert record.job.appointment is not None
        assert record.job.appointment.window == window.window
        message = MessageSendArgs(message_id=str(uuid.uuid4()), job_id=job.id, body="Hi!")
        await repo.perform(message)
        (sent,) = await repo.messages(job_id=job.id)
        assert sent.body == "Hi!" and sent.author_id == USER["id"]
        assert [e.name for e in await repo.queue()] == ["window.confirm", "message.send"]
        assert repo.sync_status().pending == 2
        assert calls == [1, 1]  # once per action, not once per status field

        # A refused action changes nothing.
        with pytest.raises(DomainError) as caught:
            await repo.perform(JobStartArgs(job_id=str(uuid.uuid4())))
        assert caught.value.code == "not_found"
        with pytest.raises(DomainError) as caught:
            await repo.perform(WindowConfirmArgs(job_id=job.id, preferred_window_id=window.id))
        assert caught.value.code == "invalid_transition"  # already SCHEDULED locally
        assert len(await repo.queue()) == 2 and calls == [1, 1]
        rig.store.close()

    run(body())


def _server_job_start(rig: Rig) -> None:
    def handler(name: str, args: dict[str, Any], base: int | None) -> dict[str, Any]:
        row = rig.server.entities[("job", args["job_id"])]
        data = dict(row["data"])
        data["status"] = "IN_PROGRESS"
        data["version"] = row["version"] + 1
        version = rig.server.put_entity("job", args["job_id"], data)
        return {"version": version}

    rig.server.handlers["job.start"] = handler


def test_sync_replaces_the_overlay_with_the_server_copy(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, calls = await setup(tmp_path)
        job = seeded_job(rig, status=JobStatus.SCHEDULED, version=1)
        await rig.engine.sync_once()
        _server_job_start(rig)

        await repo.perform(JobStartArgs(job_id=job.id))
        calls.clear()
        report = await rig.engine.sync_once()
        assert report.ok and report.applied == 1
        cached = rig.store.cache.get("job", job.id)
        assert cached is not None and not cached.has_local_changes
        record = await repo.job(job.id)
        assert record is not None and not record.pending
        assert record.job.status is JobStatus.IN_PROGRESS
        assert cached.data() == rig.server.entities[("job", job.id)]["data"]
        assert await repo.queue() == [] and calls  # subscribers heard about the sync
        rig.store.close()

    run(body())


def test_refused_action_needs_attention_then_resubmit_or_discard(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, _ = await setup(tmp_path)
        request = make_request(rig.clock())
        put(rig.server, "request", request)
        await rig.engine.sync_once()
        rig.server.reject("message.send", "forbidden", "You cannot message this customer.")

        args = MessageSendArgs(message_id=str(uuid.uuid4()), request_id=request.id, body="Q?")
        entry = await repo.perform(args)
        assert len(await repo.messages(request_id=request.id)) == 1
        await rig.engine.sync_once()
        (refused,) = await repo.queue()
        assert refused.needs_attention and refused.rejection is not None
        assert refused.rejection.message == "You cannot message this customer."
        assert await repo.messages(request_id=request.id) == []  # overlay dropped

        # Resubmit with an edit: queued again, and visible again meanwhile.
        new = await repo.resubmit(entry.mid, {**refused.args, "body": "Question?"})
        assert new.replaces_mid == entry.mid and new.state is MutationState.PENDING
        (shown,) = await repo.messages(request_id=request.id)
        assert shown.body == "Question?"
        await rig.engine.sync_once()
        (again,) = await repo.queue()
        await repo.discard(again.mid)
        assert await repo.queue() == [] and await repo.messages(request_id=request.id) == []
        with pytest.raises(DomainError):
            await repo.discard(again.mid)
        rig.store.close()

    run(body())


def test_photos_signatures_drafts(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, _ = await setup(tmp_path)
        request = make_request(rig.clock())
        put(rig.server, "request", request)
        await rig.engine.sync_once()

        digest = await repo.add_photo(jpeg())
        path = await repo.photo_file(digest)
        assert path is not None and path.is_file() and path.name == digest
        with pytest.raises(DomainError) as caught:
            await repo.add_photo(b"not an image")
        assert caught.value.code == "unsupported_media_type"
        signature = await repo.add_signature([[(0, 0), (40, 10)], [(5, 20)]])
        assert signature == await repo.add_signature([[(0, 0), (40, 10)], [(5, 20)]])
        assert await repo.photo_file(signature) is not None
        assert await repo.photo_file("f" * 64) is None
        assert await repo.photo_file("../etc/passwd") is None

        await repo.perform(
            EstimateSubmitArgs(
                estimate_id=str(uuid.uuid4()),
                request_id=request.id,
                line_items=[make_line()],
                parts_supplier=PartsSupplier.CUSTOMER,
                photo_hashes=[digest],
            )
        )
        record = await repo.request(request.id)
        assert record is not None and record.pending
        (estimate,) = record.estimates
        await repo.perform(
            PhotoAttachArgs(
                photo_id=str(uuid.uuid4()),
                target_kind=PhotoTargetKind.ESTIMATE,
                target_id=estimate.id,
                blob_hash=digest,
            )
        )
        record = await repo.request(request.id)
        assert record is not None and [p.pending for p in record.photos] == [True]
        assert [r.photos for r in await repo.requests()] == [record.photos]

        await repo.save_draft("estimate:x", "estimate", {"notes": "bring ladder"})
        assert await repo.load_draft("estimate:x") == {"notes": "bring ladder"}
        await repo.delete_draft("estimate:x")
        assert await repo.load_draft("estimate:x") is None
        assert repo.device_id == rig.store.client_id
        rig.store.close()

    run(body())


def test_engine_downloads_referenced_images_for_offline(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, _ = await setup(tmp_path)
        site = jpeg((10, 200, 10))
        site_hash = hashlib.sha256(site).hexdigest()
        missing_hash = "d" * 64  # referenced, but the server has no such image
        rig.server.blobs[site_hash] = site
        request = make_request(rig.clock(), site_photo_hashes=[site_hash, missing_hash])
        put(rig.server, "request", request)

        report = await rig.engine.sync_once()
        assert report.ok and report.blobs_downloaded == 1 and report.downloads_failed == 1
        path = await repo.photo_file(site_hash)
        assert path is not None and path.read_bytes() == site
        assert await repo.photo_file(missing_hash) is None
        info = rig.blobs.info(site_hash)
        assert info is not None and info.state is BlobState.UPLOADED
        # Downloaded images are not "work": sign-out is not held up, nothing re-uploads.
        assert not pending_work_summary(rig.store).has_work
        gets = [p for m, p in rig.server.requests if m == "GET" and p.startswith("/v1/blobs/")]
        assert len(gets) == 2

        # Next round: the failed one waits (backoff), the downloaded one is not fetched.
        await rig.engine.sync_once()
        gets = [p for m, p in rig.server.requests if m == "GET" and p.startswith("/v1/blobs/")]
        assert len(gets) == 2
        rig.server.blobs[missing_hash] = b"\xff\xd8 later"  # does not hash to its name
        rig.clock.advance(seconds=DOWNLOAD_RETRY_S + 1)
        report = await rig.engine.sync_once()
        assert report.ok and report.downloads_failed == 1  # a bad answer is never stored
        assert await repo.photo_file(missing_hash) is None
        rig.store.close()

    run(body())


def test_reading_a_thousand_requests_is_fast(tmp_path: Path) -> None:
    async def body() -> None:
        rig, repo, _ = await setup(tmp_path, pull_limit=500)
        now = rig.clock()
        for i in range(1_000):
            request = make_request(now, submitted_ago=timedelta(minutes=i + 1))
            put(rig.server, "request", request)
        assert (await rig.engine.sync_once()).ok
        await repo.requests()  # warm up (first connection on the worker thread)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            records = await repo.requests()
            best = min(best, time.perf_counter() - started)
        assert len(records) == 1_000
        assert all(isinstance(r.request, CustomRequest) for r in records)
        print(f"requests() over 1,000 cached requests: {best * 1000:.1f} ms")  # noqa: T201
        assert best < 0.1
        rig.store.close()

    run(body())
