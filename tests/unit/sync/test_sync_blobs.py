"""Blob store: content addressing, atomic writes, delete only after server confirmation."""

from __future__ import annotations

import hashlib

import pytest

from proapp.sync import BlobNotConfirmedError, BlobState, BlobStore, Outbox, Store, StoreError
from tests.unit.sync.factories import estimate_args


def test_put_names_the_file_by_sha256_and_is_idempotent(store: Store, blobs: BlobStore) -> None:
    data = b"\xff\xd8\xff pretend jpeg"
    blob_hash = blobs.put(data, "image/jpeg")
    assert blob_hash == hashlib.sha256(data).hexdigest()
    assert blobs.path(blob_hash) == store.blob_dir / blob_hash
    assert blobs.read(blob_hash) == data
    assert blobs.has(blob_hash)
    info = blobs.info(blob_hash)
    assert info is not None
    assert (info.size, info.media_type, info.state) == (len(data), "image/jpeg", BlobState.LOCAL)

    assert blobs.put(data, "image/jpeg") == blob_hash
    assert sorted(p.name for p in store.blob_dir.iterdir()) == [blob_hash]  # no temp files


def test_failed_write_leaves_no_file_and_no_row(
    store: Store, blobs: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("proapp.sync.blobs.os.fsync", no_space)
    with pytest.raises(OSError):
        blobs.put(b"photo", "image/jpeg")
    assert list(store.blob_dir.iterdir()) == []
    assert blobs.info(hashlib.sha256(b"photo").hexdigest()) is None


def test_damaged_file_is_detected(blobs: BlobStore) -> None:
    blob_hash = blobs.put(b"original", "image/png")
    blobs.path(blob_hash).write_bytes(b"tampered")
    with pytest.raises(StoreError):
        blobs.read(blob_hash)


def test_paths_are_only_hashes(blobs: BlobStore) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "abc"):
        with pytest.raises(ValueError):
            blobs.path(bad)


def test_delete_only_after_server_confirmed(blobs: BlobStore) -> None:
    blob_hash = blobs.put(b"signature png", "image/png")
    with pytest.raises(BlobNotConfirmedError):
        blobs.delete(blob_hash)
    assert blobs.has(blob_hash)

    blobs.record_upload_progress(blob_hash, "http://127.0.0.1/v1/uploads/u1", 4)
    info = blobs.info(blob_hash)
    assert info is not None and info.upload_offset == 4 and info.upload_url is not None
    assert blobs.mark_uploaded(blob_hash)
    info = blobs.info(blob_hash)
    assert info is not None and info.state is BlobState.UPLOADED and info.uploaded_at
    blobs.delete(blob_hash)
    assert not blobs.has(blob_hash)
    assert blobs.info(blob_hash) is not None  # metadata kept: mutations stay sendable
    assert not blobs.mark_uploaded("0" * 64)


def test_pending_uploads_follow_queue_order_and_prune_spares_unsent(
    store: Store, blobs: BlobStore, outbox: Outbox
) -> None:
    first, second, loose = (blobs.put(d, "image/jpeg") for d in (b"one", b"two", b"loose"))
    outbox.enqueue(None, "estimate.submit", estimate_args([second]))
    outbox.enqueue(None, "estimate.submit", estimate_args([first, second]))
    assert [b.hash for b in blobs.pending_uploads()] == [second, first]  # loose: unneeded

    for h in (first, second, loose):
        blobs.mark_uploaded(h)
    assert blobs.pending_uploads() == []
    # first and second are still referenced by unsent mutations: keep them.
    assert blobs.prune_uploaded() == 1
    assert not blobs.has(loose) and blobs.has(first) and blobs.has(second)
    outbox.mark_applied([1, 2])
    assert blobs.prune_uploaded() == 2
