"""Blobs to fetch from the server so photos and signatures show offline.

Pulled entities name images by hash: a request's customer site photos, photo
attachments, estimate and change-order photos, signature PNGs. The sync engine records
the hashes it has not got yet as "wanted" in the same transaction as the pulled page,
and after each pull downloads a bounded number of them (`SyncEngine` phase 4). A
download that fails stays wanted and is tried again in a later round; it never holds up
push or pull.

A downloaded blob is stored with `BlobStore.put` and marked ``uploaded`` at once: the
server has it by definition, so the upload phase and the sign-out guard (which look at
``local`` blobs only) ignore it.

The wanted list lives in the ``meta`` table under ``sync.blob_wanted:<hash>`` (like the
engine's given-up list), so no schema change is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from proapp.sync.blobs import BlobStore
from proapp.sync.store import ServerEntity, Store, Transaction

__all__ = [
    "META_BLOB_WANTED",
    "META_BLOBS_SCANNED",
    "forget_wanted",
    "media_type_of",
    "mark_wanted",
    "referenced_blob_hashes",
    "scan_cache_for_wanted",
    "store_downloaded",
    "wanted_blobs",
]

META_BLOB_WANTED = "sync.blob_wanted:"
META_BLOBS_SCANNED = "sync.blobs_scanned"
"""Set once the whole cache was scanned for wanted blobs (installs that pulled before
downloads existed get their backlog once)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Field names that hold blob hashes in pulled JSON (see proapp.domain.models and the
# server's photo rows): lists ``*_hashes``, single ``blob_hash`` / ``png_sha256``.
_SINGLE_KEYS = frozenset({"blob_hash", "png_sha256"})


def referenced_blob_hashes(data: Any) -> set[str]:
    """Every blob hash an entity's JSON references, at any depth (a change order's
    signature PNG sits inside ``signature``). ``data`` is parsed JSON: dicts, lists and
    scalars (exact type checks, not the ``Mapping`` ABC: this walks every pulled entity,
    and ABC checks were most of a pulled page's storing time)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            for key, item in value.items():
                kind = type(item)
                if kind is str:
                    if key in _SINGLE_KEYS and _SHA256.match(item):
                        found.add(item)
                elif kind is list:
                    if key.endswith("_hashes"):
                        found.update(h for h in item if type(h) is str and _SHA256.match(h))
                    else:
                        stack.append(item)
                elif kind is dict:
                    stack.append(item)
        elif type(value) is list:
            stack.extend(v for v in value if type(v) is dict or type(v) is list)
    return found


def _may_reference_blobs(text: str) -> bool:
    # The key names referenced_blob_hashes looks for, as they end in JSON text.
    return '_hashes"' in text or any(f'"{key}"' in text for key in _SINGLE_KEYS)


def _missing(tx: Transaction, hashes: Iterable[str]) -> list[str]:
    wanted = sorted(set(hashes))
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    known = {
        str(row[0]) for row in tx.execute(f"SELECT hash FROM blobs WHERE hash IN ({marks})", wanted)
    }
    # A known blob whose file is gone (pruned after upload) is wanted again.
    root = tx.store.blob_dir
    return [h for h in wanted if h not in known or not (root / h).is_file()]


def mark_wanted(tx: Transaction, entities: Iterable[ServerEntity]) -> int:
    """Record the blobs pulled ``entities`` reference that this device lacks (call in
    the page's transaction). Returns how many were new."""
    hashes: set[str] = set()
    for entity in entities:
        # Only JSON that names a hash-holding key can reference a blob: most pulled
        # entities (jobs, messages) name none, and a substring test is far cheaper than
        # parsing and walking them. The walk decides for the rest.
        if entity.json is not None and _may_reference_blobs(entity.json):
            hashes |= referenced_blob_hashes(json.loads(entity.json))
    missing = _missing(tx, hashes)
    before = tx.connection.total_changes
    tx.executemany(
        "INSERT OR IGNORE INTO meta(key, value) VALUES (?, '')",
        [(META_BLOB_WANTED + h,) for h in missing],
    )
    return tx.connection.total_changes - before


def scan_cache_for_wanted(store: Store) -> int:
    """Once per store: mark what the whole cache references (blocking)."""
    if store.get_meta(META_BLOBS_SCANNED) is not None:
        return 0
    rows = (
        store.connection()
        .execute("SELECT kind, id, json FROM entities WHERE json IS NOT NULL")
        .fetchall()
    )
    entities = [ServerEntity(str(k), str(i), None, None, str(j)) for k, i, j in rows]
    with store.transaction() as tx:
        added = mark_wanted(tx, entities)
        store.set_meta(META_BLOBS_SCANNED, "1", tx)
    return added


def wanted_blobs(store: Store, limit: int) -> list[str]:
    """Up to ``limit`` wanted hashes (blocking)."""
    rows = (
        store.connection()
        .execute(
            "SELECT key FROM meta WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
            (META_BLOB_WANTED, META_BLOB_WANTED + "\x7f", limit),
        )
        .fetchall()
    )
    return [str(r[0])[len(META_BLOB_WANTED) :] for r in rows]


def forget_wanted(store: Store, blob_hash: str, tx: Transaction | None = None) -> None:
    """Stop wanting ``blob_hash`` (it arrived, or this device has it anyway)."""
    with store.writing(tx) as t:
        t.execute("DELETE FROM meta WHERE key = ?", (META_BLOB_WANTED + blob_hash,))


def media_type_of(data: bytes) -> str:
    """The image type from the bytes' signature (the server stores JPEG and PNG)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def store_downloaded(store: Store, blobs: BlobStore, blob_hash: str, data: bytes) -> None:
    """Keep downloaded bytes (already verified against ``blob_hash``) as a blob the
    server has, and stop wanting it; one transaction (blocking)."""
    with store.transaction() as tx:
        stored = blobs.put(data, media_type_of(data), tx)
        if stored != blob_hash:  # pragma: no cover - the API client verifies the hash
            raise ValueError("downloaded bytes do not match their hash")
        blobs.mark_uploaded(blob_hash, tx)
        forget_wanted(store, blob_hash, tx)
