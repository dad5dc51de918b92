"""The interface the rest of the app uses to talk to the marketplace.

A structural `Protocol`, free of httpx: screen state classes depend on this, the real
`proapp.api.client.MarketplaceClient` and the tests' ``FakeMarketplaceClient`` both
implement it, and only ``proapp.app`` picks the concrete class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from proapp.api.errors import InvalidResponseError
from proapp.api.models import (
    BlobStored,
    PullResponse,
    PushMutation,
    PushResponse,
    Session,
    UploadSession,
)
from proapp.domain.models import Job, Page, User

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGES", "MarketplaceApi", "SyncApi", "collect_pages"]

DEFAULT_PAGE_SIZE = 50
"""Items asked for per page of a list endpoint."""

MAX_PAGES = 200
"""Most pages `collect_pages` follows: a guard against a server that never ends a list."""

T = TypeVar("T")


class MarketplaceApi(Protocol):
    """What the app needs from the marketplace HTTP API (see BRIEF: auth, me, jobs).

    Every method raises only `proapp.api.errors.ApiError` subclasses.
    """

    @property
    def base_url(self) -> str:
        """The server's normalised base URL (no trailing slash)."""
        ...

    @property
    def session(self) -> Session | None:
        """The current session, or None when signed out."""
        ...

    async def login(self, email: str, password: str) -> Session:
        """Sign in with email and password; the client keeps the session."""
        ...

    async def refresh(self, refresh_token: str | None = None) -> Session:
        """Exchange a refresh token (default: the current one) for a new session."""
        ...

    async def logout(self) -> None:
        """Forget the session locally, then revoke its refresh token on the server."""
        ...

    async def me(self) -> User:
        """The signed-in user."""
        ...

    async def list_jobs(
        self, page_token: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page[Job]:
        """One page of the jobs this user may see."""
        ...

    async def get_job(self, job_id: str) -> Job:
        """One job by id."""
        ...

    async def aclose(self) -> None:
        """Release connections. The client is unusable afterwards."""
        ...


class SyncApi(Protocol):
    """What the sync engine needs from the marketplace (docs/SYNC.md): push, pull and
    blob uploads, plus the session it runs under. `MarketplaceClient` implements it;
    the client refreshes the access token itself (once per 401).

    Every method raises only `proapp.api.errors.ApiError` subclasses.
    """

    @property
    def base_url(self) -> str:
        """The server's normalised base URL (no trailing slash)."""
        ...

    @property
    def session(self) -> Session | None:
        """The current session, or None when signed out."""
        ...

    async def push(
        self, client_id: str, mutations: Sequence[PushMutation], resume_from: int | None = None
    ) -> PushResponse:
        """Send a batch of mutations in ``mid`` order."""
        ...

    async def pull(self, client_id: str, cursor: str | None, limit: int = 200) -> PullResponse:
        """One page of changes after ``cursor``."""
        ...

    async def put_blob(self, sha256: str, data: bytes, content_type: str) -> BlobStored:
        """Upload a small blob in one request."""
        ...

    async def get_blob(self, sha256: str) -> bytes:
        """Download a blob (photo, signature PNG) by hash, verified against the hash."""
        ...

    async def create_upload(self, sha256: str, size: int, content_type: str) -> UploadSession:
        """Start a resumable upload."""
        ...

    async def upload_offset(self, url: str) -> int:
        """How many bytes of a resumable upload the server has."""
        ...

    async def patch_upload(self, url: str, offset: int, chunk: bytes) -> int:
        """Send the next chunk; returns the server's new offset."""
        ...


async def collect_pages(
    fetch: Callable[[str | None], Awaitable[Page[T]]], max_pages: int = MAX_PAGES
) -> list[T]:
    """Follow ``next_page_token`` from the first page to the last and return all items.

    Raises:
        InvalidResponseError: the server repeated a page token or exceeded ``max_pages``
            (it would otherwise loop forever).
    """
    items: list[T] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = await fetch(token)
        items.extend(page.items)
        token = page.next_page_token
        if token is None:
            return items
        if token in seen:
            raise InvalidResponseError(details={"reason": "page token repeated"})
        seen.add(token)
    raise InvalidResponseError(details={"reason": f"more than {max_pages} pages"})
