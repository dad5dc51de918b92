"""Resumable blob uploads (tus-like): ``POST /v1/uploads``, ``HEAD`` and ``PATCH
/v1/uploads/{upload_id}``. The rules live in `marketplace.uploads`; docs/SYNC.md (Blobs)
is the contract.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from marketplace.api.deps import ActorDep, ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from marketplace.errors import ERROR_RESPONSES, ErrorBody
from marketplace.maintenance import maybe_run_maintenance
from marketplace.uploads import append_chunk, create_upload, upload_offset
from proapp.domain import DomainError, ErrorCode

__all__ = ["CHUNK_MEDIA_TYPES", "OFFSET_MEDIA_TYPE", "UploadCreateIn", "UploadCreatedOut", "router"]

router = APIRouter(tags=["blobs"], responses=ERROR_RESPONSES)

OFFSET_MEDIA_TYPE = "application/offset+octet-stream"

UploadId = Annotated[str, Path(max_length=64, description="upload_id from POST /v1/uploads")]

_OFFSET_HEADERS = {
    "Upload-Offset": {"schema": {"type": "integer", "minimum": 0},
                      "description": "Bytes the server has received"},
}


class UploadCreateIn(BaseModel):
    """Body of ``POST /v1/uploads``: the blob about to be sent."""

    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the whole blob")
    size: int = Field(ge=1, le=2**31 - 1, description="Total bytes")
    content_type: str = Field(max_length=100, description="image/jpeg, image/png or image/webp")


class UploadCreatedOut(BaseModel):
    """A new upload (``upload_id``, ``offset`` 0), or ``complete`` when the server
    already holds the blob (then ``upload_id`` is null and ``offset`` is its size)."""

    upload_id: str | None
    offset: int
    complete: bool


@router.post(
    "/v1/uploads", response_model=UploadCreatedOut, status_code=201,
    summary="Start a resumable upload", operation_id="upload_create",
    responses={
        201: {"model": UploadCreatedOut, "description": "Upload created",
              "headers": {"Location": {"schema": {"type": "string"},
                                       "description": "The upload's URL"}}},
        200: {"model": UploadCreatedOut, "description": "The blob is already stored"},
    },
)
def post_upload(
    body: UploadCreateIn, request: Request, actor: ActorDep, session: SessionDep,
    settings: SettingsDep, clock: ClockDep, factory: SessionFactoryDep,
) -> Response:
    """Begin uploading a blob in chunks; 415 for a non-image type, 413 over the limit."""
    maybe_run_maintenance(request.app.state, factory, clock, settings)
    created = create_upload(
        session, actor, body.sha256, body.size, body.content_type, settings=settings,
        now=clock(),
    )
    out = UploadCreatedOut(upload_id=created.upload_id, offset=created.offset,
                           complete=created.complete)
    if created.upload_id is None:
        return Response(out.model_dump_json(), status_code=200, media_type="application/json")
    return Response(
        out.model_dump_json(), status_code=201, media_type="application/json",
        headers={"Location": f"/v1/uploads/{created.upload_id}"},
    )


@router.head(
    "/v1/uploads/{upload_id}", summary="Where to continue an upload", operation_id="upload_offset",
    status_code=200, response_class=Response,
    responses={200: {"description": "The upload's offset and length (no body)",
                     "headers": {**_OFFSET_HEADERS,
                                 "Upload-Length": {"schema": {"type": "integer"},
                                                   "description": "Declared size"}}}},
)
def head_upload(upload_id: UploadId, actor: ActorDep, session: SessionDep,
                clock: ClockDep) -> Response:
    """``Upload-Offset`` and ``Upload-Length`` of my live upload; 404 when unknown or
    expired (start a new one). A completed upload answers its full size."""
    offset, size = upload_offset(session, actor, upload_id, clock())
    return Response(status_code=200, headers={
        "Upload-Offset": str(offset), "Upload-Length": str(size), "Cache-Control": "no-store",
    })


CHUNK_MEDIA_TYPES = (OFFSET_MEDIA_TYPE, "application/octet-stream")
"""Chunk body types: tus's own, and plain octet-stream (generic HTTP tools send it)."""

_PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            mime: {"schema": {"type": "string", "format": "binary"}}
            for mime in CHUNK_MEDIA_TYPES
        },
    }
}


@router.patch(
    "/v1/uploads/{upload_id}", summary="Send the next chunk", status_code=204,
    operation_id="upload_chunk",
    response_class=Response, openapi_extra=_PATCH_BODY,
    responses={
        204: {"description": "Chunk stored; when the offset reached the size the blob "
                             "is verified and stored", "headers": _OFFSET_HEADERS},
        409: {"model": ErrorBody,
              "description": "code conflict: Upload-Offset is not the server's offset "
                             "(details.offset); nothing was written"},
    },
)
async def patch_upload(
    upload_id: UploadId,
    request: Request,
    actor: ActorDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    upload_offset_header: Annotated[int, Header(alias="Upload-Offset", ge=0, le=2**31 - 1,
                                                description="Offset of this chunk")],
    content_type: Annotated[str, Header(alias="Content-Type")] = "",
) -> Response:
    """Append the body at ``Upload-Offset``. At the declared size the SHA-256 is checked
    (422 ``invalid`` with ``expected_sha256``/``actual_sha256``) and the type sniffed
    from the bytes (415); either failure discards the upload."""
    if content_type.split(";")[0].strip().lower() not in CHUNK_MEDIA_TYPES:
        raise DomainError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Send chunks as Content-Type {OFFSET_MEDIA_TYPE}.",
            {"allowed": list(CHUNK_MEDIA_TYPES)},
        )
    chunk = await request.body()  # the app's body limit stops oversized streams
    new_offset = await run_in_threadpool(
        append_chunk, factory, actor, upload_id, upload_offset_header, chunk,
        now=clock(),
    )
    return Response(status_code=204, headers={"Upload-Offset": str(new_offset)})

