"""Blobs: resumable upload with resume after a cut, mutations wait for their blobs."""

from __future__ import annotations

import os
from pathlib import Path

from proapp.sync import BlobState, MutationState
from proapp.sync.engine import CHUNK_SIZE
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import FakeSyncServer, Fault, Rule, ScriptedFaultPlan
from tests.unit.sync_engine.harness import enqueue_message, enqueue_photo, make_rig

SIZE = 4 * CHUNK_SIZE + 1000  # five chunks, the last one short


def test_small_blob_goes_up_with_one_put_before_its_mutation(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        mid, blob_hash = enqueue_photo(rig, os.urandom(10_000))
        report = await rig.engine.sync_once()
        assert report.ok, report.error
        assert report.blobs_uploaded == 1
        assert ("PUT", f"/v1/blobs/{blob_hash}") in server.requests
        put_at = server.requests.index(("PUT", f"/v1/blobs/{blob_hash}"))
        assert put_at < server.requests.index(("POST", "/v1/sync/push"))
        assert rig.outbox.get(mid).state is MutationState.APPLIED  # type: ignore[union-attr]
        info = rig.blobs.info(blob_hash)
        assert info is not None and info.state is BlobState.UPLOADED
        assert rig.blobs.has(blob_hash)  # the file stays until pruned
        rig.store.close()

    run(body())


def _cut_upload(fault: Fault, tmp_path: Path) -> None:
    async def body() -> None:
        # The third PATCH (bytes 512 KiB..768 KiB) is cut: about half of the blob.
        plan = ScriptedFaultPlan(Rule("PATCH", "/v1/uploads/", fault, skip=2))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        data = os.urandom(SIZE)
        mid, blob_hash = enqueue_photo(rig, data)

        first = await rig.engine.sync_once()
        assert not first.ok and first.error_code == "network"
        info = rig.blobs.info(blob_hash)
        assert info is not None and info.state is BlobState.LOCAL
        assert info.upload_url is not None and info.upload_offset == 2 * CHUNK_SIZE
        assert server.push_batches == []  # the mutation waits for its photo
        assert rig.outbox.get(mid).state is MutationState.PENDING  # type: ignore[union-attr]

        second = await rig.engine.sync_once(force=True)
        assert second.ok, second.error
        assert server.blobs[blob_hash] == data
        assert ("HEAD", info.upload_url) in server.requests  # resumed, not restarted
        assert server.requests.count(("POST", "/v1/uploads")) == 1
        # At most one chunk went twice.
        assert server.patch_bytes_sent <= SIZE + CHUNK_SIZE
        assert server.patch_bytes == SIZE
        assert rig.outbox.get(mid).state is MutationState.APPLIED  # type: ignore[union-attr]
        rig.store.close()

    run(body())


def test_upload_resumes_after_a_lost_chunk_request(tmp_path: Path) -> None:
    _cut_upload(Fault.LOST_REQUEST, tmp_path)


def test_upload_resumes_after_a_lost_chunk_answer(tmp_path: Path) -> None:
    _cut_upload(Fault.LOST_RESPONSE, tmp_path)


def test_upload_resumes_after_the_app_restarts(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("PATCH", "/v1/uploads/", Fault.LOST_REQUEST, skip=1))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        data = os.urandom(SIZE)
        _mid, blob_hash = enqueue_photo(rig, data)
        assert not (await rig.engine.sync_once()).ok
        rig.store.close()  # the app is killed

        again = await make_rig(tmp_path, server, clock=rig.clock)
        assert (await again.engine.sync_once()).ok
        assert server.blobs[blob_hash] == data
        assert server.requests.count(("POST", "/v1/uploads")) == 1
        assert server.patch_bytes_sent <= SIZE + CHUNK_SIZE
        again.store.close()

    run(body())


def test_final_answer_lost_is_confirmed_by_head(tmp_path: Path) -> None:
    async def body() -> None:
        plan = ScriptedFaultPlan(Rule("PATCH", "/v1/uploads/", Fault.LOST_RESPONSE, skip=4))
        server = FakeSyncServer(plan)
        rig = await make_rig(tmp_path, server)
        _mid, blob_hash = enqueue_photo(rig, os.urandom(SIZE))
        assert not (await rig.engine.sync_once()).ok
        assert blob_hash in server.blobs  # the server verified it; the client did not hear
        sent = server.patch_bytes_sent
        assert (await rig.engine.sync_once(force=True)).ok
        assert server.patch_bytes_sent == sent  # nothing re-sent
        assert rig.blobs.info(blob_hash).state is BlobState.UPLOADED  # type: ignore[union-attr]
        rig.store.close()

    run(body())


def test_server_without_resumable_uploads_gets_a_put(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        server.supports_uploads = False
        rig = await make_rig(tmp_path, server)
        data = os.urandom(SIZE)
        _mid, blob_hash = enqueue_photo(rig, data)
        assert (await rig.engine.sync_once()).ok
        assert server.blobs[blob_hash] == data
        rig.store.close()

    run(body())


def test_refused_blob_does_not_wedge_the_queue(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        rig = await make_rig(tmp_path, server)
        bad_mid, blob_hash = enqueue_photo(rig, b"%PDF-1.4 not an image", "application/pdf")
        after = enqueue_message(rig)

        report = await rig.engine.sync_once()

        assert report.ok, report.error
        assert report.blobs_given_up == 1
        bad = rig.outbox.get(bad_mid)
        assert bad is not None and bad.needs_attention  # the server refused it, with reason
        assert bad.rejection is not None and bad.rejection.details == {"missing": blob_hash}
        assert rig.outbox.get(after).state is MutationState.APPLIED  # type: ignore[union-attr]
        assert rig.blobs.has(blob_hash)  # the pro's photo is still on the device
        assert "could not be uploaded" in (rig.engine.status.value.last_error or "")
        rig.store.close()

    run(body())


def test_upload_progress_is_published(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        _mid, blob_hash = enqueue_photo(rig, os.urandom(SIZE))
        seen: list[int] = []
        rig.engine.status.subscribe(
            lambda s: seen.extend(u.sent for u in s.uploads if u.hash == blob_hash)
        )
        assert (await rig.engine.sync_once()).ok
        assert 2 * CHUNK_SIZE in seen and SIZE in seen
        assert seen == sorted(seen)
        assert rig.engine.status.value.uploads == ()
        rig.store.close()

    run(body())


def test_upload_trouble_does_not_hold_back_earlier_mutations(tmp_path: Path) -> None:
    async def body() -> None:
        server = FakeSyncServer()
        server._put_blob = lambda *_: server._error(  # type: ignore[method-assign]
            503, "unavailable", "Uploads are down."
        )
        rig = await make_rig(tmp_path, server)
        first = enqueue_message(rig)
        photo_mid, _hash = enqueue_photo(rig, os.urandom(1000))
        report = await rig.engine.sync_once()
        assert not report.ok and report.error == "Uploads are down."
        assert rig.outbox.get(first).state is MutationState.APPLIED  # type: ignore[union-attr]
        assert rig.outbox.get(photo_mid).state is MutationState.PENDING  # type: ignore[union-attr]
        assert report.pages == 1  # the cache caught up all the same
        rig.store.close()

    run(body())
