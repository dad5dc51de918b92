"""The marketplace ASGI app: `create_app(settings)`.

Every error leaves as ``{"code", "message", "details"}`` (see marketplace.errors), with
no stack trace and nothing personal in it. Logs carry method, path and status only:
never bodies, emails or tokens.
"""

from __future__ import annotations

import importlib
import json
import logging
import traceback
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.api.auth import router as auth_router
from marketplace.api.blobs import router as blobs_router
from marketplace.api.commands import router as commands_router
from marketplace.api.reads import router as reads_router
from marketplace.api.schemas import HealthOut
from marketplace.api.sync import router as sync_router
from marketplace.api.uploads import router as uploads_router
from marketplace.commands.framework import system_clock
from marketplace.config import Settings
from marketplace.db import make_engine, make_session_factory
from marketplace.errors import ERROR_RESPONSES, error_body, status_for
from proapp.domain import DomainError, ErrorCode
from proapp.domain.wire import REQUEST_CODINGS, stream_dictionary

__all__ = ["create_app"]

log = logging.getLogger("marketplace")

JSON_BODY_MAX_BYTES = 2 * 1024 * 1024
"""Largest non-upload request body (signature strokes are the biggest thing we take)."""

_HTTP_CODES = {
    400: ErrorCode.INVALID.value,
    401: ErrorCode.UNAUTHORIZED.value,
    403: ErrorCode.FORBIDDEN.value,
    404: ErrorCode.NOT_FOUND.value,
    405: "method_not_allowed",
    409: ErrorCode.CONFLICT.value,
    413: ErrorCode.PAYLOAD_TOO_LARGE.value,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE.value,
    422: ErrorCode.INVALID.value,
    429: ErrorCode.RATE_LIMITED.value,
}
_HTTP_MESSAGES = {
    404: "There is nothing at this address. Check the URL against /openapi.json.",
    405: "This address does not accept that method. Check /openapi.json for the right one.",
}


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body, headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = status_for(exc.code)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry = exc.details.get("retry_after_s")
    if isinstance(retry, int):
        headers["Retry-After"] = str(retry)
    return _json(status, exc.to_dict(), headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(first["loc"]) or "request"
    return _json(
        422,
        error_body(
            ErrorCode.INVALID,
            f"The request is not valid ({where}: {first['msg']}). Correct it and send it again.",
            {"errors": errors},
        ),
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = _HTTP_MESSAGES.get(exc.status_code) or str(exc.detail)
    return _json(exc.status_code, error_body(code, message), dict(exc.headers or {}))


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Log the exception type and the code path, but not its message, the body or the
    # query: those may hold personal data (a validation error quotes the input value).
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s %s\n%s", type(exc).__name__, request.method,
              request.url.path, frames)
    return _json(
        500,
        error_body(
            "internal",
            "Something went wrong on the server and nothing was saved. Try again in a "
            "moment; if it keeps happening, contact support.",
        ),
    )


class BodySizeLimit:
    """Refuse request bodies over the limit with 413 before they are buffered whole.

    Blob bytes (``/v1/blobs``, ``/v1/uploads`` chunks) get `Settings.blob_max_bytes`;
    everything else `JSON_BODY_MAX_BYTES`.
    A declared Content-Length over the limit is refused at once; a body that grows
    past it while streaming raises a `DomainError` the error handler turns into 413.
    """

    def __init__(self, app: ASGIApp, blob_max_bytes: int) -> None:
        self.app = app
        self.blob_max_bytes = blob_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        # Blob bytes (whole, or chunks of a resumable upload) get the blob limit.
        uploads = path.startswith(("/v1/blobs", "/v1/uploads"))
        limit = self.blob_max_bytes if uploads else JSON_BODY_MAX_BYTES
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    response = _json(413, _too_large(limit).to_dict())
                    await response(scope, receive, send)
                    return
        seen = 0
        exceeded = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _too_large(limit)
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app made of the aborted read (FastAPI turns a failing body
            # read into a 400), the client must learn the real reason: 413.
            nonlocal replaced
            if not exceeded:
                await send(message)
                return
            if replaced:
                return
            replaced = True
            body = json.dumps(_too_large(limit).to_dict()).encode()
            await send({
                "type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())],
            })
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, limited_receive, guarded_send)


# Every answer says which request codings are accepted (RFC 7694).
_ACCEPT_ENCODING = (b"accept-encoding", ", ".join(REQUEST_CODINGS).encode())


class CompressedRequests:
    """Accept JSON request bodies sent compressed (docs/SYNC.md, "Push bodies"):
    ``Content-Encoding: gzip``, or ``deflate-dict`` (zlib with one of the shared preset
    dictionaries of `proapp.domain.wire`).

    The body (already capped compressed by `BodySizeLimit`, which wraps this) is
    inflated at most to `JSON_BODY_MAX_BYTES`: a small bomb is refused with 413 after
    inflating no more than the limit allows. A body that is not one valid stream of its
    coding is 422 ``invalid``; any other coding, or a dictionary this server does not
    know (a newer client), is 415 ``unsupported_media_type``. Blob and upload bytes
    (images, already compressed) must be sent as they are. Every response says which
    codings are accepted (``Accept-Encoding``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def advertising_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _ACCEPT_ENCODING]}
            await send(message)

        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        coding = b", ".join(v for k, v in headers if k == b"content-encoding").strip().lower()
        if coding in (b"", b"identity"):
            await self.app(scope, receive, advertising_send)
            return
        path: str = scope.get("path", "")
        name = coding.decode("latin-1")
        if name not in REQUEST_CODINGS or path.startswith(("/v1/blobs", "/v1/uploads")):
            await _json(415, _unsupported(name).to_dict())(scope, receive, advertising_send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        try:
            body = _inflate(b"".join(chunks), name, JSON_BODY_MAX_BYTES)
        except DomainError as exc:
            await _json(status_for(exc.code), exc.to_dict())(scope, receive, advertising_send)
            return
        kept = [(k, v) for k, v in headers if k not in (b"content-encoding", b"content-length")]
        kept.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def inflated_receive() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": kept}, inflated_receive, advertising_send)


def _unsupported(coding: str, why: str = "") -> DomainError:
    return DomainError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"The request body's Content-Encoding is not supported{why}. Send it as it is, "
        f"or (JSON bodies only) in one of: {', '.join(REQUEST_CODINGS)}.",
        {"content_encoding": coding, "accepted": list(REQUEST_CODINGS)},
    )


def _inflate(data: bytes, coding: str, limit: int) -> bytes:
    """Inflate one ``gzip`` member or one ``deflate-dict`` stream, refusing (413) output
    over ``limit`` bytes."""
    broken = DomainError(
        ErrorCode.INVALID,
        f"The request body is not one complete {coding} stream. Send it again, "
        "compressed whole.",
        {"content_encoding": coding},
    )
    if coding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    else:
        try:
            dictionary = stream_dictionary(data)
        except ValueError as exc:
            raise broken from exc
        if dictionary is None:
            raise _unsupported(coding, " with this dictionary (the app is newer than the server)")
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS, zdict=dictionary)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise broken from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise DomainError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The request body is larger than {limit // (1024 * 1024)} MiB once "
            "decompressed. Send fewer changes per request.",
            {"max_bytes": limit},
        )
    if not inflater.eof or inflater.unused_data:
        raise broken
    return out


def _too_large(limit: int) -> DomainError:
    return DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The upload is larger than {limit // (1024 * 1024)} MiB. Send a smaller file "
        "(photos are resized before upload).",
        {"max_bytes": limit},
    )


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = system_clock
) -> FastAPI:
    """Build the marketplace app for ``settings`` (the database must be migrated)."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url, echo=settings.echo_sql)
    app = FastAPI(
        title="ProApp marketplace",
        version="1.0.0",
        description=(
            "Reference marketplace backend of ProApp: pro jobs, custom requests, "
            "estimates, scheduling, signatures and the payments ledger. Every error body "
            "is {code, message, details}. Commands need an Idempotency-Key header."
        ),
        openapi_url="/openapi.json",
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock

    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
    # Added first, so it runs inside BodySizeLimit: the compressed size is capped there.
    app.add_middleware(CompressedRequests)
    app.add_middleware(BodySizeLimit, blob_max_bytes=settings.blob_max_bytes)

    @app.get("/v1/health", response_model=HealthOut, tags=["health"], summary="Liveness")
    def health() -> HealthOut:
        """200 ``{"status": "ok"}`` when the server is up (no auth)."""
        return HealthOut()

    app.include_router(auth_router)
    app.include_router(reads_router)
    app.include_router(commands_router)
    app.include_router(blobs_router)
    app.include_router(sync_router)
    app.include_router(uploads_router)
    customer_router = _customer_router()
    if customer_router is not None:
        app.include_router(customer_router)
    return app


def _customer_router() -> Any:
    """The customer side's router (marketplace.customer.api.router), when present."""
    try:
        module = importlib.import_module("marketplace.customer.api")
    except ModuleNotFoundError as exc:
        if exc.name in {"marketplace.customer", "marketplace.customer.api"}:
            return None
        raise
    return getattr(module, "router", None)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (docs/openapi.json). Builds an app but never connects to
    its database (engines connect lazily)."""
    import tempfile
    from pathlib import Path

    unused = Path(tempfile.gettempdir()) / "proapp-openapi-never-opened.sqlite3"
    return create_app(Settings(database_url=f"sqlite:///{unused}")).openapi()
