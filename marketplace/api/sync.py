"""Sync endpoints for pros' devices: ``POST /v1/sync/push`` and ``GET /v1/sync/pull``.

The protocol is docs/SYNC.md; the rules live in `marketplace.sync`. Both endpoints name
the install in the ``X-Client-Id`` header (a UUID, else 422 ``invalid``). Customers get
403: they do not sync.
"""

from __future__ import annotations

import gzip
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from marketplace.api.deps import ActorDep, ClockDep, SessionFactoryDep, SettingsDep
from marketplace.errors import ERROR_RESPONSES, ErrorBody, error_body
from marketplace.maintenance import maybe_run_maintenance
from marketplace.sync import (
    PULL_LIMIT_DEFAULT,
    PULL_LIMIT_MAX,
    PullOut,
    PushIn,
    PushOut,
    SyncUnavailable,
    pull_json,
    push,
)

__all__ = [
    "PULL_GZIP_LEVEL",
    "PULL_GZIP_MIN_BYTES",
    "UNAVAILABLE_RESPONSE",
    "ClientIdHeader",
    "accepts_gzip",
    "router",
    "unavailable",
]

log = logging.getLogger("marketplace.sync")

router = APIRouter(tags=["sync"], responses=ERROR_RESPONSES)

ClientIdHeader = Annotated[
    uuid.UUID,
    Header(alias="X-Client-Id", description="The install's UUID (Store.client_id)"),
]

UNAVAILABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": "The database is unavailable (code unavailable); retry after "
                       "Retry-After seconds. Nothing changed for the mutation it was on.",
        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                    "description": "Seconds to wait before retrying"}},
    }
}

PULL_GZIP_LEVEL = 1
"""zlib level of gzipped pull pages. A 500-job page (~1 MB of JSON, mostly UUIDs and
repeated keys) becomes ~134 KB at level 1 and ~113 KB at level 6, costing ~3 and ~7 ms
of server CPU; a phone on a 10 Mbit/s link saves ~17 ms per page at 6, more than the
4 ms the level costs, and pages are pipelined with the device's storing, so the
extra CPU hides behind it even on loopback (docs/benchmarks.md, first pull)."""
PULL_GZIP_MIN_BYTES = 1024
"""Smaller pages go as they are: an idle sync's answer (~100 bytes of JSON) would only
grow by gzip's 18-byte frame."""


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header value allows ``gzip`` (RFC 9110 12.5.3:
    listed, or covered by ``*``, with a non-zero ``q``)."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def unavailable(exc: SyncUnavailable) -> JSONResponse:
    """The 503 answer for a database that could not serve the request."""
    return JSONResponse(
        status_code=503,
        content=error_body(
            "unavailable",
            "The server cannot reach its database right now. Your changes are kept on "
            "this device and will be sent again automatically.",
            {"retry_after_s": exc.retry_after_s},
        ),
        headers={"Retry-After": str(exc.retry_after_s)},
    )


@router.post(
    "/v1/sync/push", response_model=PushOut, summary="Push outbox mutations (exactly once)",
    operation_id="sync_push",
    responses={409: {"model": ErrorBody,
                     "description": "code mid_conflict: a processed mid has another id"},
               **UNAVAILABLE_RESPONSE},
)
def sync_push(
    body: PushIn, request: Request, actor: ActorDep, factory: SessionFactoryDep,
    settings: SettingsDep, clock: ClockDep, client_id: ClientIdHeader,
) -> Any:
    """Apply mutations in ``mid`` order, the batch in one transaction committed once
    with the install's ``last_mid`` and the stored results; ``mid <= last_mid`` replays
    the stored result; a gap stops the batch with ``stopped: {"code": "out_of_order",
    "expected_mid"}``. A rejected mutation still advances ``last_mid`` (docs/SYNC.md).
    The body may be compressed (``Content-Encoding: gzip``, or ``deflate-dict`` with the
    shared push dictionary; at most 2 MiB once inflated; answers list the accepted
    codings in ``Accept-Encoding``)."""
    maybe_run_maintenance(request.app.state, factory, clock, settings)
    try:
        out = push(factory, actor, str(client_id), body, settings=settings, clock=clock)
    except SyncUnavailable as exc:
        return unavailable(exc)
    # Serialised straight to JSON by pydantic-core; returned as is, FastAPI would dump
    # the validated PushOut to Python objects first and then encode those.
    return Response(content=out.model_dump_json(), media_type="application/json")


@router.get(
    "/v1/sync/pull", response_model=PullOut, summary="Pull changes after a cursor",
    operation_id="sync_pull",
    responses=UNAVAILABLE_RESPONSE,
)
def sync_pull(
    request: Request, actor: ActorDep, factory: SessionFactoryDep, client_id: ClientIdHeader,
    cursor: Annotated[str | None, Query(max_length=2000,
                                        description="Opaque cursor of the previous page; "
                                                    "omit for a first pull")] = None,
    limit: Annotated[int, Query(ge=1, le=PULL_LIMIT_MAX,
                                description="Most entities per page")] = PULL_LIMIT_DEFAULT,
) -> Any:
    """One page read in one database snapshot: a paged snapshot of everything I may see
    (first pull), then the changes since, deduplicated per entity, as ``upsert`` with
    the current data or ``delete`` when I may no longer see it; with this install's
    ``last_mid`` read in the same snapshot."""
    # Pages of 1 KiB or more are gzipped when the request accepts it (docs/SYNC.md);
    # that is HTTP content negotiation, so the OpenAPI document does not repeat it.
    try:
        body = pull_json(request.app.state.engine, factory, actor, str(client_id), cursor, limit)
    except SyncUnavailable as exc:
        return unavailable(exc)
    # Rendered by marketplace.sync (each entity serialised once); same shape as PullOut,
    # which stays the declared response_model for the OpenAPI schema.
    headers = {"Vary": "Accept-Encoding"}
    if len(body) >= PULL_GZIP_MIN_BYTES and accepts_gzip(request.headers.get("accept-encoding")):
        # A first pull is megabytes of JSON that compresses ~9x: on a phone's link the
        # transfer, not the server, would be most of the wait.
        body = gzip.compress(body, compresslevel=PULL_GZIP_LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type="application/json", headers=headers)
