"""Which blobs a pulled page names (`proapp.sync.downloads.mark_wanted`): found at any
depth, only well-formed hashes, and entities that name no blob key are skipped unread."""

from __future__ import annotations

import json
from typing import Any

from proapp.sync import ServerEntity, Store
from proapp.sync.downloads import META_BLOB_WANTED, mark_wanted, referenced_blob_hashes


def _entity(kind: str, data: Any, *, spaced: bool = False) -> ServerEntity:
    text = json.dumps(data) if spaced else json.dumps(data, separators=(",", ":"))
    return ServerEntity(kind=kind, id=str(data.get("id", "x")), version=1, updated_seq=1,
                        json=text)


H = [f"{i:x}" * 64 for i in range(1, 8)]


def test_hashes_are_found_at_any_depth() -> None:
    change_order = {
        "id": "co-1", "photo_hashes": [H[0], "not-a-hash", 7],
        "signature": {"png_sha256": H[1], "strokes": [[1, 2]]},
        "added_lines": [{"id": "l1", "photo_hashes": [H[2]]}],
        "nested": [[{"blob_hash": H[3]}]],
        "blob_hash": "too short", "png_sha256": 5,
    }
    assert referenced_blob_hashes(change_order) == {H[0], H[1], H[2], H[3]}
    assert referenced_blob_hashes([{"site_photo_hashes": [H[4]]}, "x", 3]) == {H[4]}
    assert referenced_blob_hashes({"id": "job-1", "title": H[5]}) == set()


def test_mark_wanted_records_what_a_page_names(store: Store) -> None:
    page = [
        _entity("job", {"id": "job-1", "title": "no blobs", "notes": H[6]}),
        _entity("request", {"id": "r-1", "site_photo_hashes": [H[0], H[1]]}, spaced=True),
        _entity("photo", {"id": "p-1", "blob_hash": H[2]}),
        _entity("change_order", {"id": "co-1", "signature": {"png_sha256": H[3]}}),
        ServerEntity(kind="job", id="job-2", version=None, updated_seq=None, json=None),
    ]
    with store.transaction() as tx:
        assert mark_wanted(tx, page) == 4
    with store.transaction() as tx:
        assert mark_wanted(tx, page) == 0  # already wanted
    wanted = {str(row[0])[len(META_BLOB_WANTED):] for row in store.connection().execute(
        "SELECT key FROM meta WHERE key LIKE ?", (META_BLOB_WANTED + "%",))}
    # A hash-shaped value under a key that holds no blob (the job's notes) is not one.
    assert wanted == {H[0], H[1], H[2], H[3]}
