"""Resumable (tus-like) blob uploads: create, ask the offset, append chunks (docs/SYNC.md).

A cut connection costs at most one chunk: every PATCH commits its bytes and the new
offset in one transaction, and ``HEAD`` tells the client where to continue. The bytes
so far live in ``uploads.data`` (capped at `Settings.blob_max_bytes`, like blobs).

When the offset reaches the declared size, the same PATCH verifies the SHA-256 and
sniffs the image type from the bytes; on success the blob is stored exactly as by
``PUT /v1/blobs/{sha256}`` (once per hash, plus the uploader row) and the upload is
marked complete (its bytes dropped, the row kept so ``HEAD`` still answers the size).
On failure the upload is deleted and the client starts a new one.

Uploads live 24 hours after their last write; `purge_expired` deletes dead ones (run
opportunistically by the API, see `marketplace.api.uploads`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.api.blobs import ALLOWED_TYPES, sniff_image_type
from marketplace.authz import Actor
from marketplace.config import Settings
from marketplace.db import SessionFactory
from proapp.domain import DomainError, ErrorCode

__all__ = [
    "UPLOAD_TTL",
    "UploadCreated",
    "append_chunk",
    "create_upload",
    "purge_expired",
    "upload_offset",
]

UPLOAD_TTL = timedelta(hours=24)
"""An upload nobody wrote to for this long is dead (docs/SYNC.md)."""


@dataclass(frozen=True)
class UploadCreated:
    """Result of `create_upload`: a new upload, or ``complete`` if the blob exists."""

    upload_id: str | None
    offset: int
    complete: bool


def _unsupported(declared: str) -> DomainError:
    return DomainError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"'{declared or 'none'}' is not accepted. Upload a JPEG, PNG or WebP image.",
        {"allowed": sorted(ALLOWED_TYPES.values())},
    )


def _too_large(settings: Settings) -> DomainError:
    return DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The file is larger than {settings.blob_max_bytes // (1024 * 1024)} MiB. Send a "
        "smaller file (photos are resized before upload).",
        {"max_bytes": settings.blob_max_bytes},
    )


def _unknown(upload_id: str) -> DomainError:
    return DomainError(
        ErrorCode.NOT_FOUND,
        "This upload does not exist or has expired. Start a new upload.",
        {"upload_id": upload_id},
    )


def create_upload(
    session: Session, actor: Actor, sha256: str, size: int, content_type: str, *,
    settings: Settings, now: datetime,
) -> UploadCreated:
    """Start an upload, or report ``complete`` when the blob is already stored.

    Raises:
        DomainError: 415 for a non-image type, 413 over the size limit.
    """
    declared = content_type.split(";")[0].strip().lower()
    if declared not in ALLOWED_TYPES.values():
        raise _unsupported(declared)
    if size > settings.blob_max_bytes:
        raise _too_large(settings)
    digest = sha256.lower()
    blob_size = session.scalar(select(orm.Blob.size).where(orm.Blob.sha256 == digest))
    if blob_size is not None:
        # Nothing to send. No uploader row is added: knowing a hash is not having the
        # bytes, so it must not grant read access to them (GET /v1/blobs).
        return UploadCreated(upload_id=None, offset=int(blob_size), complete=True)
    upload = orm.Upload(
        id=str(uuid.uuid4()), user_id=actor.user_id, sha256=digest, size=size,
        content_type=declared, offset=0, data=b"", created_at=now, expires_at=now + UPLOAD_TTL,
    )
    session.add(upload)
    session.flush()
    return UploadCreated(upload_id=upload.id, offset=0, complete=False)


def _load(session: Session, actor: Actor, upload_id: str, now: datetime, *,
          for_update: bool = False) -> orm.Upload:
    stmt = select(orm.Upload).where(orm.Upload.id == upload_id,
                                    orm.Upload.user_id == actor.user_id)
    if for_update:
        stmt = stmt.with_for_update()
    upload = session.scalars(stmt).one_or_none()
    # Another user's upload answers exactly like a missing one (nothing leaks).
    if upload is None or upload.expires_at <= now:
        raise _unknown(upload_id)
    return upload


def upload_offset(session: Session, actor: Actor, upload_id: str, now: datetime) -> tuple[int, int]:
    """(bytes received, declared size) of the caller's live upload; 404 otherwise."""
    upload = _load(session, actor, upload_id, now)
    return upload.offset, upload.size


def append_chunk(
    factory: SessionFactory, actor: Actor, upload_id: str, offset: int, chunk: bytes, *,
    now: datetime,
) -> int:
    """Append ``chunk`` at ``offset``; finish the upload when it is whole. The new offset.

    Raises:
        DomainError: 404 unknown/expired; 409 ``conflict`` (details ``offset``) when
            ``offset`` is not the server's; 413 past the declared size; at completion 422
            ``invalid`` for a checksum mismatch or 415 for a non-image (the upload is
            then deleted).
    """
    failure: DomainError | None = None
    for attempt in range(2):
        try:
            with factory() as session, session.begin():
                upload = _load(session, actor, upload_id, now, for_update=True)
                if offset != upload.offset:
                    raise DomainError(
                        ErrorCode.CONFLICT,
                        "The upload is at another offset than this chunk assumes. Ask the "
                        "server for the offset (HEAD) and continue from there.",
                        {"offset": upload.offset},
                    )
                if upload.completed_at is not None:
                    if chunk:
                        raise _too_large_for(upload)
                    return upload.offset
                if upload.offset + len(chunk) > upload.size:
                    raise _too_large_for(upload)
                data = upload.data + chunk
                upload.data = data
                upload.offset = len(data)
                upload.expires_at = now + UPLOAD_TTL
                if upload.offset < upload.size:
                    return upload.offset
                failure = _finish(session, actor, upload, data, now)
                if failure is None:
                    return upload.offset
                # A failed check discards the upload; commit that, then answer the error.
                session.delete(upload)
        except IntegrityError:
            # A concurrent upload of the same bytes stored the blob first; look again.
            if attempt == 1:
                raise
            continue
        assert failure is not None
        raise failure
    raise AssertionError("unreachable")  # pragma: no cover


def _too_large_for(upload: orm.Upload) -> DomainError:
    return DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"These bytes go past the upload's declared size of {upload.size} bytes. Send only "
        "the remaining bytes.",
        {"size": upload.size, "offset": upload.offset},
    )


def _finish(session: Session, actor: Actor, upload: orm.Upload, data: bytes,
            now: datetime) -> DomainError | None:
    """Verify the whole upload and store the blob; the error instead, if it is bad."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != upload.sha256:
        return DomainError(
            ErrorCode.INVALID,
            "The uploaded bytes do not match the SHA-256 given when the upload began; the "
            "upload was damaged. Start a new upload.",
            {"expected_sha256": upload.sha256, "actual_sha256": digest},
        )
    try:
        content_type = sniff_image_type(data)
    except DomainError as exc:
        return exc
    if session.get(orm.Blob, digest) is None:
        session.add(orm.Blob(sha256=digest, size=len(data), content_type=content_type,
                             data=data, created_at=now))
        session.flush()
    if session.get(orm.BlobUpload, (digest, actor.user_id)) is None:
        session.add(orm.BlobUpload(sha256=digest, user_id=actor.user_id, uploaded_at=now))
    upload.data = b""
    upload.completed_at = now
    upload.expires_at = now + UPLOAD_TTL
    session.flush()
    return None


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every upload past its expiry (unfinished or completed); the count."""
    result = session.execute(delete(orm.Upload).where(orm.Upload.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
