"""Blob upload and download: content-addressed photos and signature images.

``PUT /v1/blobs/{sha256}`` takes the raw bytes. The server checks, in order: the size
(413 ``payload_too_large``, also enforced while streaming by the app's body limit), the
declared Content-Type (415), that the bytes really are a JPEG, PNG or WebP image by
sniffing them with Pillow (415 ``unsupported_media_type``), and that their SHA-256 is
the one in the path (422 ``invalid``). The same bytes uploaded twice are stored once.
(Resumable uploads come with the sync engine.)
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.api.deps import ActorDep, ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from marketplace.authz import Actor, job_visibility_clause, request_visibility_clause
from marketplace.db import SessionFactory
from marketplace.errors import ERROR_RESPONSES
from proapp.domain import DomainError, ErrorCode

__all__ = ["ALLOWED_TYPES", "BlobOut", "router", "sniff_image_type"]

router = APIRouter(tags=["blobs"], responses=ERROR_RESPONSES)

ALLOWED_TYPES: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}

Sha256Path = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 hex")]


class BlobOut(BaseModel):
    """A stored blob."""

    sha256: str
    size: int
    content_type: str


def _unsupported(what: str) -> DomainError:
    return DomainError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"{what} Upload a JPEG, PNG or WebP image.",
        {"allowed": sorted(ALLOWED_TYPES.values())},
    )


def sniff_image_type(data: bytes) -> str:
    """The MIME type of ``data`` judged from its bytes (never from what the client says).

    Raises:
        DomainError: ``unsupported_media_type`` for anything but a JPEG, PNG or WebP;
            ``payload_too_large`` for an image with absurd dimensions.
    """
    try:
        with warnings.catch_warnings():
            # Pillow only warns for images between 1x and 2x its pixel limit; a small
            # file claiming huge dimensions is refused either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                image.verify()  # checks structure without decoding every pixel
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DomainError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "The image has too many pixels. Resize it (photos are resized before upload).",
            {"max_pixels": Image.MAX_IMAGE_PIXELS},
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _unsupported("The file is not an image we accept.") from exc
    if image_format not in ALLOWED_TYPES:
        raise _unsupported(f"{image_format or 'This'} images are not accepted.")
    return ALLOWED_TYPES[image_format]


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            mime: {"schema": {"type": "string", "format": "binary"}}
            for mime in ALLOWED_TYPES.values()
        },
    }
}


@router.put("/v1/blobs/{sha256}", response_model=BlobOut, summary="Upload a photo or signature",
            openapi_extra=_UPLOAD_BODY, responses={201: {"model": BlobOut}})
async def put_blob(
    sha256: Sha256Path,
    request: Request,
    actor: ActorDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    clock: ClockDep,
    content_type: Annotated[str, Header(alias="Content-Type")] = "",
) -> Response:
    """Store the request body under its SHA-256 (200 if already stored, 201 if new)."""
    declared = content_type.split(";")[0].strip().lower()
    if declared not in ALLOWED_TYPES.values():
        raise _unsupported(f"Content-Type '{declared or 'none'}' is not accepted.")
    data = await request.body()  # the app's body limit stops oversized streams
    if len(data) > settings.blob_max_bytes:  # pragma: no cover - the middleware got it
        raise DomainError(ErrorCode.PAYLOAD_TOO_LARGE, "The upload is too large.",
                          {"max_bytes": settings.blob_max_bytes})
    if not data:
        raise DomainError(ErrorCode.INVALID, "The upload is empty. Send the image bytes.")
    sniffed = sniff_image_type(data)
    digest = hashlib.sha256(data).hexdigest()
    expected = sha256.lower()
    if digest != expected:
        raise DomainError(
            ErrorCode.INVALID,
            "The uploaded bytes do not match the SHA-256 in the address; the upload was "
            "damaged or the wrong file was sent. Upload it again.",
            {"expected_sha256": expected, "actual_sha256": digest},
        )
    created = await run_in_threadpool(
        _store_blob, factory, actor, digest, data, sniffed, clock
    )
    body = BlobOut(sha256=digest, size=len(data), content_type=sniffed)
    return Response(
        content=body.model_dump_json(), status_code=201 if created else 200,
        media_type="application/json",
    )


def _store_blob(
    factory: SessionFactory,
    actor: Actor,
    digest: str,
    data: bytes,
    content_type: str,
    clock: Callable[[], datetime],
) -> bool:
    """Insert the blob (once) and the uploader row; True if the bytes were new."""
    now = clock()
    for _attempt in range(2):
        with factory() as session:
            try:
                with session.begin():
                    created = session.get(orm.Blob, digest) is None
                    if created:
                        session.add(
                            orm.Blob(sha256=digest, size=len(data), content_type=content_type,
                                     data=data, created_at=now)
                        )
                        session.flush()
                    if session.get(orm.BlobUpload, (digest, actor.user_id)) is None:
                        session.add(
                            orm.BlobUpload(sha256=digest, user_id=actor.user_id, uploaded_at=now)
                        )
                    return created
            except IntegrityError:
                continue  # a concurrent upload of the same bytes won; look again
    raise DomainError(ErrorCode.CONFLICT, "The upload raced with another; try again.")


def _may_read(session: Session, actor: Actor, digest: str) -> bool:
    """Uploaders, and whoever may see a thing that references the blob."""
    uploaded_by_me = exists().where(
        orm.BlobUpload.sha256 == digest, orm.BlobUpload.user_id == actor.user_id
    )
    clauses = [uploaded_by_me]
    if actor.is_pro and actor.business_id is not None:
        biz = actor.business_id
        clauses += [
            # Anything a colleague uploaded (estimate photos before they are attached).
            exists().where(
                orm.BlobUpload.sha256 == digest,
                orm.BlobUpload.user_id.in_(select(orm.User.id).where(orm.User.business_id == biz)),
            ),
            exists().where(orm.Photo.blob_sha256 == digest, orm.Photo.business_id == biz),
            exists().where(orm.Signature.png_sha256 == digest, orm.Signature.business_id == biz),
            exists().where(
                orm.RequestPhoto.blob_sha256 == digest,
                orm.RequestPhoto.request_id.in_(
                    select(orm.CustomRequest.id).where(orm.CustomRequest.business_id == biz)
                ),
            ),
        ]
    elif actor.is_customer:
        my_jobs = select(orm.Job.id).where(job_visibility_clause(session, actor))
        my_requests = select(orm.CustomRequest.id).where(request_visibility_clause(actor))
        clauses += [
            exists().where(
                orm.RequestPhoto.blob_sha256 == digest, orm.RequestPhoto.request_id.in_(my_requests)
            ),
            exists().where(orm.Signature.png_sha256 == digest, orm.Signature.job_id.in_(my_jobs)),
            exists().where(
                orm.Photo.blob_sha256 == digest,
                or_(orm.Photo.target_id.in_(my_jobs), orm.Photo.target_id.in_(my_requests)),
            ),
        ]
    return bool(session.scalar(select(or_(*clauses))))


@router.get(
    "/v1/blobs/{sha256}",
    summary="Download a photo or signature",
    response_class=Response,
    responses={200: {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                 for m in ALLOWED_TYPES.values()},
                     "description": "The image bytes"}},
)
def get_blob(sha256: Sha256Path, actor: ActorDep, session: SessionDep) -> Response:
    """The bytes of a blob I uploaded or that belongs to something I may see; else 404."""
    digest = sha256.lower()
    blob = session.get(orm.Blob, digest)
    if blob is None or not _may_read(session, actor, digest):
        raise DomainError(
            ErrorCode.NOT_FOUND,
            "No such image for your account. It may not be uploaded yet.",
            {"sha256": digest},
        )
    return Response(
        content=blob.data, media_type=blob.content_type,
        headers={"ETag": f'"{digest}"', "Cache-Control": "private, max-age=31536000, immutable"},
    )
