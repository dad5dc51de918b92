"""Content-addressed blob files (photos, signature PNGs) plus their metadata in the store.

A blob's file name is the SHA-256 hex of its bytes, in the account's ``blobs`` folder
(0700; files 0600). Mutations reference blobs by hash (DESIGN §4); a mutation is not
sendable until the server has confirmed every blob it references, and the local file is
kept until that confirmation (`BlobStore.delete` refuses earlier).

Writes are atomic: temp file in the same folder, ``fsync``, ``rename`` over the final
name, ``fsync`` of the folder. A crash leaves either no file or the complete file, never a
torn one under a valid hash. The file is written before its metadata row, so a row never
points at a missing file; a crash in between leaves an unreferenced file, which the next
`put` of the same bytes adopts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from proapp.sync.paths import FILE_MODE, ensure_private_dir
from proapp.sync.store import Store, StoreError, Transaction, from_ms

__all__ = ["BlobInfo", "BlobNotConfirmedError", "BlobState", "BlobStore", "sha256_hex"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".tmp-"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data`` (the blob's name and identity)."""
    return hashlib.sha256(data).hexdigest()


class BlobState(StrEnum):
    """``local``: only on this device. ``uploaded``: the server confirmed the hash."""

    LOCAL = "local"
    UPLOADED = "uploaded"


class BlobNotConfirmedError(StoreError):
    """A blob was about to be deleted before the server confirmed it."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """Metadata of one blob."""

    hash: str
    size: int
    media_type: str
    state: BlobState
    created_at: datetime
    uploaded_at: datetime | None
    upload_url: str | None
    upload_offset: int


_INFO_COLUMNS = "hash, size, media_type, state, created_ms, uploaded_ms, upload_url, upload_offset"


def _info(row: tuple[Any, ...]) -> BlobInfo:
    return BlobInfo(
        hash=row[0],
        size=row[1],
        media_type=row[2],
        state=BlobState(row[3]),
        created_at=from_ms(row[4]),
        uploaded_at=from_ms(row[5]) if row[5] is not None else None,
        upload_url=row[6],
        upload_offset=row[7],
    )


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable. Not possible on Windows (no directory handles);
    # NTFS journals the rename, which is the best available there.
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # pragma: no cover - Windows
        return
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Blob files in ``store.blob_dir`` with metadata rows in ``store``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.root = ensure_private_dir(store.blob_dir)

    def path(self, blob_hash: str) -> Path:
        """Where the blob's file lives (whether or not it exists).

        Raises:
            ValueError: ``blob_hash`` is not 64 lower-case hex digits (never a path).
        """
        if not _SHA256.fullmatch(blob_hash):
            raise ValueError(f"not a SHA-256 hex digest: {blob_hash!r}")
        return self.root / blob_hash

    def put(self, data: bytes, media_type: str, tx: Transaction | None = None) -> str:
        """Store ``data`` (idempotent) and return its SHA-256 hex."""
        blob_hash = sha256_hex(data)
        final = self.path(blob_hash)
        if not self._intact(final, blob_hash):
            self._write_atomically(final, data)
        with self._store.writing(tx) as t:
            t.execute(
                "INSERT INTO blobs(hash, size, media_type, state, created_ms) "
                "VALUES (?, ?, ?, 'local', ?) ON CONFLICT(hash) DO NOTHING",
                (blob_hash, len(data), media_type, self._store.now_ms()),
            )
        return blob_hash

    @staticmethod
    def _intact(path: Path, blob_hash: str) -> bool:
        # A file left by an earlier put (or a crash after the rename) is adopted only if
        # its bytes really hash to its name; anything else is overwritten.
        try:
            return sha256_hex(path.read_bytes()) == blob_hash
        except FileNotFoundError:
            return False

    def _write_atomically(self, final: Path, data: bytes) -> None:
        # mkstemp creates the file 0600 in the same folder (so the rename is atomic).
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=_TEMP_PREFIX, suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(self.root)

    def has(self, blob_hash: str) -> bool:
        """True if the blob is known and its file is on this device."""
        return self.info(blob_hash) is not None and self.path(blob_hash).is_file()

    def read(self, blob_hash: str) -> bytes:
        """The blob's bytes, verified against the hash.

        Raises:
            StoreError: the file is missing or damaged.
        """
        try:
            data = self.path(blob_hash).read_bytes()
        except FileNotFoundError as exc:
            raise StoreError("A photo is missing on this device. Take it again.") from exc
        if sha256_hex(data) != blob_hash:
            raise StoreError("A photo on this device is damaged. Take it again.")
        return data

    def info(self, blob_hash: str) -> BlobInfo | None:
        """Metadata of a blob, or None if unknown."""
        row = (
            self._store.connection()
            .execute(f"SELECT {_INFO_COLUMNS} FROM blobs WHERE hash = ?", (blob_hash,))
            .fetchone()
        )
        return None if row is None else _info(row)

    def record_upload_progress(
        self, blob_hash: str, upload_url: str, offset: int, tx: Transaction | None = None
    ) -> None:
        """Remember a resumable upload's URL and confirmed offset (tus-style ``HEAD``)."""
        with self._store.writing(tx) as t:
            t.execute(
                "UPDATE blobs SET upload_url = ?, upload_offset = ? WHERE hash = ?",
                (upload_url, offset, blob_hash),
            )

    def mark_uploaded(self, blob_hash: str, tx: Transaction | None = None) -> bool:
        """The server confirmed it holds ``blob_hash`` (checksum verified). Mutations
        referencing it may now be sent. Returns False for an unknown hash."""
        with self._store.writing(tx) as t:
            cur = t.execute(
                "UPDATE blobs SET state = 'uploaded', uploaded_ms = COALESCE(uploaded_ms, ?), "
                "upload_offset = size WHERE hash = ?",
                (self._store.now_ms(), blob_hash),
            )
            return cur.rowcount > 0

    def pending_uploads(self, limit: int = 50) -> list[BlobInfo]:
        """Blobs the server does not have yet that unsent mutations need, in the order
        those mutations will be sent (lowest ``mid`` first)."""
        rows = (
            self._store.connection()
            .execute(
                f"SELECT {', '.join('b.' + c for c in _INFO_COLUMNS.split(', '))} "
                "FROM blobs b JOIN outbox_blobs ob ON ob.hash = b.hash "
                "JOIN outbox o ON o.mid = ob.mid "
                "WHERE b.state = 'local' AND o.state IN ('pending', 'in_flight') "
                "GROUP BY b.hash ORDER BY MIN(o.mid), b.hash LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [_info(r) for r in rows]

    def delete(self, blob_hash: str) -> None:
        """Delete the local file of a blob the server has confirmed (metadata is kept,
        so mutations referencing it stay sendable).

        Raises:
            BlobNotConfirmedError: the server has not confirmed this blob yet.
        """
        info = self.info(blob_hash)
        if info is None or info.state is not BlobState.UPLOADED:
            raise BlobNotConfirmedError(
                "This photo has not reached the server yet, so it stays on the device."
            )
        with contextlib.suppress(FileNotFoundError):
            self.path(blob_hash).unlink()

    def prune_uploaded(self) -> int:
        """Delete files of confirmed blobs that no unsent or needs-attention mutation
        references. Returns how many files were deleted."""
        rows = (
            self._store.connection()
            .execute(
                "SELECT hash FROM blobs b WHERE state = 'uploaded' AND NOT EXISTS ("
                "SELECT 1 FROM outbox_blobs ob JOIN outbox o ON o.mid = ob.mid "
                "WHERE ob.hash = b.hash AND (o.state IN ('pending', 'in_flight') "
                "OR (o.state = 'rejected' AND o.resolution IS NULL)))"
            )
            .fetchall()
        )
        deleted = 0
        for (blob_hash,) in rows:
            path = self.path(str(blob_hash))
            if path.is_file():
                path.unlink()
                deleted += 1
        return deleted

    def sweep_temp_files(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove temp files a crash left behind (older ones only: a write may be live)."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for tmp in self.root.glob(f"{_TEMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
        return removed
