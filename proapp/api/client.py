"""`MarketplaceClient`: the async HTTP client of the marketplace API (httpx).

Transport security: the base URL must be ``https://`` unless it points at this machine
(see `proapp.api.urls`); TLS certificates are always verified (there is deliberately
no switch to turn that off); redirects are not followed, so an answer can never move a
request, with its password or token, to another address.

Sessions: `login` and `refresh` store the session in the client; authenticated calls
send ``Authorization: Bearer <access token>``. On a 401 the client refreshes once
(refresh tokens rotate: the old one dies) and repeats the call once; the rotated
refresh token is handed to ``on_refresh_token_rotated`` so the app can persist it in
its secret store. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import hashlib
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from json import dumps as json_dumps
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from proapp.api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationFailedError,
)
from proapp.api.models import (
    ApiJob,
    ApiJobPage,
    ApiTokenResponse,
    ApiUser,
    BlobStored,
    PullResponse,
    PushMutation,
    PushResponse,
    Session,
    UploadCreated,
    UploadSession,
    job_to_domain,
    user_to_domain,
)
from proapp.api.ports import DEFAULT_PAGE_SIZE
from proapp.api.urls import normalize_server_url
from proapp.domain.models import Job, Page, User
from proapp.domain.wire import DICTIONARY_CODING, deflate_with_dictionary, strip_defaults

__all__ = [
    "CLIENT_ID_HEADER",
    "DEFAULT_TIMEOUT_S",
    "UPLOAD_OFFSET_HEADER",
    "MarketplaceClient",
    "error_from_response",
    "tls_context",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
"""Seconds to wait for connect/read/write; phones on weak signal need some patience."""

USER_AGENT = "ProApp/0.1"
"""Sent with every request so server logs can tell app traffic apart."""

CLIENT_ID_HEADER = "X-Client-Id"
"""Names the install (the store's ``client_id``) on every sync call (docs/SYNC.md)."""

UPLOAD_OFFSET_HEADER = "Upload-Offset"
"""Resumable uploads: the byte offset sent with ``PATCH`` and answered by ``HEAD``."""

UPLOAD_CONTENT_TYPE = "application/offset+octet-stream"
_UPLOADS_PREFIX = "/v1/uploads/"

RefreshTokenCallback = Callable[[str], Awaitable[None]]
_M = TypeVar("_M", bound=BaseModel)
_D = TypeVar("_D")

_WRONG_CREDENTIALS = "That email and password do not match an account. Check them and try again."
_NOT_SIGNED_IN = "You are not signed in. Sign in to continue."
_SESSION_ENDED = "Your session has ended. Sign in again to continue."


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every connection: certificates and host names verified.

    Honours ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (a company CA) but never disables checks.
    """
    context = httpx.create_ssl_context(verify=True, trust_env=True)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MarketplaceClient:
    """Async client of the marketplace HTTP API; implements `proapp.api.ports.MarketplaceApi`.

    Args:
        base_url: the server, e.g. ``https://pros.example.com`` (``http://`` only for
            loopback). Raises `proapp.api.errors.ServerUrlError` when unusable.
        transport: an httpx transport; tests pass ``httpx.MockTransport``. The default
            verifies TLS (`tls_context`).
        session: a session to resume (e.g. after `refresh` in another client).
        on_refresh_token_rotated: awaited with the new refresh token after every
            successful refresh, so the caller can persist it. Its failure is logged and
            does not fail the call that triggered the refresh.
        timeout: seconds for each of connect, read, write and pool waits.
        clock: returns "now" (UTC); injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        session: Session | None = None,
        on_refresh_token_rotated: RefreshTokenCallback | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._base_url = normalize_server_url(base_url)
        self._session = session
        self._on_refresh_token_rotated = on_refresh_token_rotated
        self._clock = clock
        # One refresh at a time: concurrent calls that all got 401 share one refresh
        # instead of each rotating (and so killing) the others' refresh token.
        self._refresh_lock = asyncio.Lock()
        # Content codings the server accepts on request bodies, as its last answer's
        # Accept-Encoding said (RFC 7694); every server we talk to takes gzip. A coding
        # it refused once (415: e.g. a dictionary it does not know) is not used again.
        self._request_codings: frozenset[str] = frozenset({"gzip"})
        self._refused_codings: set[str] = set()
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=transport or httpx.AsyncHTTPTransport(verify=tls_context(), retries=0),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    # ------------------------------------------------------------------ properties

    @property
    def base_url(self) -> str:
        """The server's normalised base URL (no trailing slash)."""
        return self._base_url

    @property
    def session(self) -> Session | None:
        """The current session, or None when signed out."""
        return self._session

    def __repr__(self) -> str:
        signed_in = self._session.user.email if self._session else None
        return f"MarketplaceClient(base_url={self._base_url!r}, signed_in={signed_in!r})"

    async def __aenter__(self) -> MarketplaceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. The client is unusable afterwards."""
        await self._http.aclose()

    # ------------------------------------------------------------------ auth

    async def login(self, email: str, password: str) -> Session:
        """``POST /v1/auth/login``: sign in and keep the session.

        Raises:
            AuthenticationError: wrong email or password.
            RateLimitedError: too many attempts (``retry_after`` seconds).
            ApiError: any other failure.
        """
        response = await self._send(
            "POST",
            "/v1/auth/login",
            json={"email": email, "password": password},
            unauthorized_message=_WRONG_CREDENTIALS,
        )
        self._session = self._session_from(response)
        # The user id, not the e-mail: no personal data in logs.
        logger.info("signed in as user %s", self._session.user.id)
        return self._session

    async def refresh(self, refresh_token: str | None = None) -> Session:
        """``POST /v1/auth/refresh``: exchange a refresh token for a new session.

        Without an argument the current session's refresh token is used. The old refresh
        token dies on the server (rotation); the new one is passed to
        ``on_refresh_token_rotated``.

        Raises:
            AuthenticationError: no refresh token, or the server refused it (expired,
                revoked, already used); the client is then signed out.
            ApiError: any other failure (the session is kept: it may still be valid).
        """
        token = refresh_token or (self._session.refresh_token if self._session else None)
        if not token:
            raise AuthenticationError(_NOT_SIGNED_IN)
        try:
            response = await self._send(
                "POST",
                "/v1/auth/refresh",
                json={"refresh_token": token},
                unauthorized_message=_SESSION_ENDED,
            )
        except AuthenticationError:
            self._session = None
            raise
        self._session = self._session_from(response)
        await self._report_rotation(self._session.refresh_token)
        return self._session

    async def logout(self) -> None:
        """``POST /v1/auth/logout``: forget the session here, then revoke it on the server.

        The local sign-out always happens first, so a failure to reach the server still
        signs the person out on this device; that failure is then raised as usual.
        """
        session, self._session = self._session, None
        if session is None:
            return
        await self._send("POST", "/v1/auth/logout", json={"refresh_token": session.refresh_token})

    async def me(self) -> User:
        """``GET /v1/me``: the signed-in user."""
        response = await self._authorized("GET", "/v1/me")
        return self._convert(response, ApiUser, user_to_domain)

    # ------------------------------------------------------------------ jobs

    async def list_jobs(
        self, page_token: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page[Job]:
        """``GET /v1/jobs``: one page of the jobs this user may see.

        Pass the returned ``next_page_token`` back to get the next page (None: last page).
        """
        params: dict[str, str | int] = {"limit": limit}
        if page_token is not None:
            params["page_token"] = page_token
        response = await self._authorized("GET", "/v1/jobs", params=params)

        def convert(wire: ApiJobPage) -> Page[Job]:
            return Page[Job](
                items=[job_to_domain(item) for item in wire.items],
                next_page_token=wire.next_page_token,
            )

        return self._convert(response, ApiJobPage, convert)

    async def iter_jobs(self, limit: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Job]:
        """Every job this user may see, fetching pages as the caller iterates."""
        token: str | None = None
        while True:
            page = await self.list_jobs(page_token=token, limit=limit)
            for job in page.items:
                yield job
            if page.next_page_token is None or page.next_page_token == token:
                return
            token = page.next_page_token

    async def get_job(self, job_id: str) -> Job:
        """``GET /v1/jobs/{id}``: one job.

        Raises:
            NotFoundError: no such job, or this user may not see it.
        """
        response = await self._authorized("GET", f"/v1/jobs/{quote(job_id, safe='')}")
        return self._convert(response, ApiJob, job_to_domain)

    # ------------------------------------------------------------------ sync (docs/SYNC.md)

    async def push(
        self,
        client_id: str,
        mutations: Sequence[PushMutation],
        resume_from: int | None = None,
    ) -> PushResponse:
        """``POST /v1/sync/push``: send a batch of outbox mutations in ``mid`` order.

        ``resume_from`` (the first pending ``mid``) lets a server that forgot this
        client start it there instead of at 1. The server answers each mutation it
        reached; a lost answer is safe to ask again (replay by ``mid``).

        Raises:
            ServerError: 5xx (``retry_after`` from a 503's ``Retry-After``).
            ConflictError: ``mid_conflict`` (this install's numbering is not what the
                server remembers).
            AuthenticationError: the session ended and could not be refreshed.
            ApiError: any other failure.
        """
        body, headers = push_request_body(mutations, resume_from, self._request_codings)
        try:
            response = await self._authorized(
                "POST", "/v1/sync/push", content=body,
                headers={**headers, CLIENT_ID_HEADER: client_id},
            )  # fmt: skip
        except ApiError as exc:
            coding = headers.get("Content-Encoding")
            if exc.status != 415 or coding is None:
                raise
            # Refused before anything ran (e.g. a server older than our dictionary):
            # send the same push once more in a coding it takes.
            self._refused_codings.add(coding)
            self._request_codings -= {coding}
            body, headers = push_request_body(mutations, resume_from, self._request_codings)
            response = await self._authorized(
                "POST", "/v1/sync/push", content=body,
                headers={**headers, CLIENT_ID_HEADER: client_id},
            )  # fmt: skip
        return self._parse(response, PushResponse)

    async def pull(self, client_id: str, cursor: str | None, limit: int = 200) -> PullResponse:
        """``GET /v1/sync/pull``: one page of changes after ``cursor`` (None: first pull)."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._authorized(
            "GET", "/v1/sync/pull", params=params, headers={CLIENT_ID_HEADER: client_id}
        )
        return self._parse(response, PullResponse)

    async def put_blob(self, sha256: str, data: bytes, content_type: str) -> BlobStored:
        """``PUT /v1/blobs/{sha256}``: upload a small blob in one request (idempotent)."""
        response = await self._authorized(
            "PUT",
            f"/v1/blobs/{quote(sha256, safe='')}",
            content=data,
            headers={"Content-Type": content_type},
        )
        return self._parse(response, BlobStored)

    async def get_blob(self, sha256: str) -> bytes:
        """``GET /v1/blobs/{sha256}``: the bytes of a photo or signature this user may see.

        The bytes are checked against the hash (a blob is its hash; anything else is a
        broken answer, never stored).

        Raises:
            NotFoundError: no such blob, or not visible to this user (yet).
            InvalidResponseError: the bytes do not hash to ``sha256``.
        """
        response = await self._authorized("GET", f"/v1/blobs/{quote(sha256, safe='')}")
        data = response.content
        if hashlib.sha256(data).hexdigest() != sha256.lower():
            raise InvalidResponseError(
                details={"path": response.request.url.path, "reason": "hash mismatch"}
            )
        return data

    async def create_upload(self, sha256: str, size: int, content_type: str) -> UploadSession:
        """``POST /v1/uploads``: start a resumable upload (or learn the blob is there).

        The returned ``url`` is a path on this server, built from the upload id (a
        ``Location`` header is never followed, so tokens only go to the base URL).
        """
        response = await self._authorized(
            "POST",
            "/v1/uploads",
            json={"sha256": sha256, "size": size, "content_type": content_type},
        )
        wire = self._parse(response, UploadCreated)
        if wire.complete:
            return UploadSession(url=None, offset=size, complete=True)
        if not wire.upload_id:
            raise InvalidResponseError(details={"path": "/v1/uploads", "reason": "no upload_id"})
        url = _UPLOADS_PREFIX + quote(wire.upload_id, safe="")
        return UploadSession(url=url, offset=wire.offset, complete=False)

    async def upload_offset(self, url: str) -> int:
        """``HEAD`` a resumable upload: how many bytes the server has.

        Raises:
            NotFoundError: the upload is unknown or expired (start a new one).
        """
        response = await self._authorized("HEAD", _check_upload_url(url))
        return _offset_header(response)

    async def patch_upload(self, url: str, offset: int, chunk: bytes) -> int:
        """``PATCH`` the next ``chunk`` at ``offset``; returns the server's new offset.

        When the offset reaches the size, this answer is the server's confirmation of
        the hash. Raises `ConflictError` (``details["offset"]``: the server's offset)
        when ``offset`` is not where the server is.
        """
        response = await self._authorized(
            "PATCH",
            _check_upload_url(url),
            content=chunk,
            headers={
                UPLOAD_OFFSET_HEADER: str(offset),
                "Content-Type": UPLOAD_CONTENT_TYPE,
            },
        )
        if UPLOAD_OFFSET_HEADER not in response.headers:
            return offset + len(chunk)
        return _offset_header(response)

    # ------------------------------------------------------------------ plumbing

    async def _authorized(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with the access token; on 401 refresh once and repeat once (same body)."""
        session = self._session
        if session is None:
            raise AuthenticationError(_NOT_SIGNED_IN)
        try:
            return await self._send(
                method,
                path,
                params=params,
                json=json,
                content=content,
                headers=headers,
                token=session.access_token,
            )
        except AuthenticationError:
            pass
        await self._refresh_after_401(session)
        retry_session = self._session
        if retry_session is None:  # pragma: no cover - _refresh_after_401 raises instead
            raise AuthenticationError(_SESSION_ENDED)
        return await self._send(
            method,
            path,
            params=params,
            json=json,
            content=content,
            headers=headers,
            token=retry_session.access_token,
            unauthorized_message=_SESSION_ENDED,
        )

    async def _refresh_after_401(self, stale: Session) -> None:
        async with self._refresh_lock:
            if self._session is not stale:
                # Another call refreshed while we waited (or someone signed out).
                if self._session is None:
                    raise AuthenticationError(_SESSION_ENDED)
                return
            logger.info("access token refused; refreshing the session once")
            await self.refresh()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        unauthorized_message: str | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self._http.request(
                method,
                path,
                json=json,
                content=content,
                params=params,
                headers=all_headers or None,
            )
        except httpx.TimeoutException as exc:
            raise NetworkError(
                f"The server at {self._base_url} did not answer in time. "
                "Check your connection and try again.",
                code="timeout",
            ) from exc
        except httpx.ConnectError as exc:
            raise NetworkError(
                f"Could not reach the server at {self._base_url}. "
                "Check your internet connection and the server address, then try again.",
            ) from exc
        except httpx.HTTPError as exc:
            raise NetworkError(
                f"The connection to {self._base_url} failed. Try again in a moment.",
            ) from exc
        logger.debug("%s %s -> %s", method, path, response.status_code)
        advertised = response.headers.get("Accept-Encoding")
        if advertised is not None:
            codings = {c.split(";")[0].strip().lower() for c in advertised.split(",")}
            self._request_codings = frozenset(codings - self._refused_codings - {""})
        if response.is_success:
            return response
        raise error_from_response(response, unauthorized_message=unauthorized_message)

    def _session_from(self, response: httpx.Response) -> Session:
        wire = self._parse(response, ApiTokenResponse)
        try:
            user = user_to_domain(wire.user)
        except ValidationError as exc:
            raise InvalidResponseError(details={"path": response.request.url.path}) from exc
        return Session(
            user=user,
            access_token=wire.access_token,
            refresh_token=wire.refresh_token,
            access_expires_at=self._clock() + timedelta(seconds=wire.expires_in),
        )

    def _parse(self, response: httpx.Response, model: type[_M]) -> _M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise InvalidResponseError(details={"path": response.request.url.path}) from exc

    def _convert(
        self,
        response: httpx.Response,
        model: type[_M],
        to_domain: Callable[[_M], _D],
    ) -> _D:
        wire = self._parse(response, model)
        try:
            return to_domain(wire)
        except ValidationError as exc:
            raise InvalidResponseError(details={"path": response.request.url.path}) from exc

    async def _report_rotation(self, refresh_token: str) -> None:
        if self._on_refresh_token_rotated is None:
            return
        try:
            await self._on_refresh_token_rotated(refresh_token)
        except Exception:
            # Persisting failed (e.g. no keyring). The session still works in memory;
            # the cost is signing in again next launch, which is better than failing now.
            logger.warning("could not save the rotated refresh token", exc_info=True)


def _check_upload_url(url: str) -> str:
    # Only our own upload paths: a stored URL must never send the token to another host.
    if not url.startswith(_UPLOADS_PREFIX) or "://" in url or ".." in url:
        raise InvalidResponseError(details={"reason": "unexpected upload url", "url": url})
    return url


def _offset_header(response: httpx.Response) -> int:
    raw = response.headers.get(UPLOAD_OFFSET_HEADER, "").strip()
    if not raw.isdigit():
        raise InvalidResponseError(
            details={"path": response.request.url.path, "reason": "no Upload-Offset"}
        )
    return int(raw)


# ---------------------------------------------------------------------- error mapping

_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: ValidationFailedError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationFailedError,
    429: RateLimitedError,
}


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def error_from_response(
    response: httpx.Response, *, unauthorized_message: str | None = None
) -> ApiError:
    """Map an unsuccessful response to the matching `ApiError` subclass.

    Reads the one error body ``{"code", "message", "details"}`` when present; a body
    that is missing or not JSON still gives the right class with a plain default
    message. ``unauthorized_message`` replaces the default message of a 401 without one.
    """
    status = response.status_code
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body.get("code"), str):
            code = body["code"]
        if isinstance(body.get("message"), str) and body["message"].strip():
            message = body["message"]
        if isinstance(body.get("details"), dict):
            details = body["details"]
    retry_after = _retry_after(response.headers.get("Retry-After"), _utcnow())

    if status >= 500:
        return ServerError(
            message, code=code, details=details, status=status, retry_after=retry_after
        )
    if status == 429:
        return RateLimitedError(
            message, code=code, details=details, status=status, retry_after=retry_after
        )
    if status == 401 and message is None:
        message = unauthorized_message
    if 300 <= status < 400:
        return ServerError(
            "The server tried to send the app to another address, which it does not "
            "follow. Check the server address.",
            code=code or "unexpected_redirect",
            details={**details, "location": response.headers.get("Location", "")},
            status=status,
        )
    error_class = _STATUS_ERRORS.get(status, ApiError)
    return error_class(message, code=code, details=details, status=status)


GZIP_MIN_BYTES = 256
"""Without a dictionary, bodies from this size are sent gzipped (smaller gain nothing)."""


def push_request_body(
    mutations: Sequence[PushMutation],
    resume_from: int | None = None,
    codings: Collection[str] = ("gzip",),
) -> tuple[bytes, dict[str, str]]:
    """The exact bytes and content headers of a ``POST /v1/sync/push`` (docs/SYNC.md).

    Compact JSON without the values the server assumes anyway (a null ``base_version``,
    arguments equal to their defaults: `proapp.domain.wire.strip_defaults`), then the
    smallest the server accepts (``codings``, from its ``Accept-Encoding``):
    ``deflate-dict`` (zlib from the shared push dictionary, which gains even on a
    single small mutation), else gzip from `GZIP_MIN_BYTES`, else as it is.
    """
    wire: list[dict[str, Any]] = []
    for mutation in mutations:
        data = mutation.model_dump(mode="json", exclude_defaults=True)
        data["args"] = strip_defaults(mutation.name, mutation.args)
        wire.append(data)
    body: dict[str, Any] = {"mutations": wire}
    if resume_from is not None:
        body["resume_from"] = resume_from
    raw = json_dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if DICTIONARY_CODING in codings:
        packed, coding = deflate_with_dictionary(raw), DICTIONARY_CODING
    elif "gzip" in codings and len(raw) >= GZIP_MIN_BYTES:
        packed, coding = gzip.compress(raw, compresslevel=6, mtime=0), "gzip"
    else:
        return raw, headers
    if len(packed) < len(raw):
        return packed, {**headers, "Content-Encoding": coding}
    return raw, headers
