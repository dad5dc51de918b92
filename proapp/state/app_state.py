"""Which screen a page shows, and the moves between them (sign in, sign out).

One `AppState` per Flet page (browser tab or app window). The screen is a closed set:
`Starting` (resuming a saved session), `SignInScreen`, `JobsScreen`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from proapp.api.errors import ApiError, AuthenticationError, ServerUrlError
from proapp.api.models import Session
from proapp.api.ports import MarketplaceApi
from proapp.api.urls import normalize_server_url
from proapp.embedded import DemoAccount
from proapp.secrets import SecretStore, SecretStoreUnavailable, refresh_token_name
from proapp.state.jobs import JobsState
from proapp.state.observable import Observable
from proapp.state.signin import ClientFactory, SignInState

__all__ = ["AppState", "JobsScreen", "Screen", "SignInScreen", "Starting"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Starting:
    """Resuming a saved session; nothing to do yet."""


@dataclass(frozen=True)
class SignInScreen:
    """The sign-in form."""

    state: SignInState


@dataclass(frozen=True)
class JobsScreen:
    """The signed-in pro's jobs. ``notice``: a note to show once (may be None)."""

    state: JobsState
    notice: str | None = None


Screen = Starting | SignInScreen | JobsScreen


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AppState(Observable):
    """The app's navigation state for one page.

    Args:
        server_url: the server to sign in to ("" lets the person type one).
        server_editable: whether the sign-in form lets the person change the server.
        demo_accounts: demo sign-ins to offer (embedded demo server only).
        client_factory: builds a `MarketplaceApi` for a server URL.
        secrets: where the refresh token is kept.
        restore_session: try the saved refresh token on `start` (skip the form).
        clock: "now" in UTC for the screens.
    """

    def __init__(
        self,
        *,
        server_url: str,
        server_editable: bool,
        demo_accounts: Sequence[DemoAccount],
        client_factory: ClientFactory,
        secrets: SecretStore,
        restore_session: bool = True,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._secrets = secrets
        self._restore_session = restore_session
        self._clock = clock
        self._client: MarketplaceApi | None = None
        self.sign_in = SignInState(
            client_factory=client_factory,
            secrets=secrets,
            on_signed_in=self._signed_in,
            server_url=server_url,
            server_editable=server_editable,
            demo_accounts=demo_accounts,
        )
        self.screen: Screen = SignInScreen(self.sign_in)

    async def start(self) -> None:
        """Resume the saved session if there is one; otherwise stay on sign-in."""
        if not self._restore_session:
            return
        try:
            url = normalize_server_url(self.sign_in.server_url)
            token = await self._secrets.get(refresh_token_name(url))
        except (ServerUrlError, SecretStoreUnavailable):
            return
        if not token:
            return
        self.screen = Starting()
        self._notify()
        client = self._client_factory(url)
        try:
            session = await client.refresh(token)
        except ApiError as exc:
            await client.aclose()
            if isinstance(exc, AuthenticationError):
                # Expired or revoked: forget it so we do not try it again.
                await self._forget_token(url)
            else:
                self.sign_in.error = exc.message
            self.screen = SignInScreen(self.sign_in)
            self._notify()
            return
        await self._signed_in(client, session)

    async def _signed_in(self, client: MarketplaceApi, session: Session) -> None:
        if self._client is not None and self._client is not client:
            await self._client.aclose()
        self._client = client
        jobs = JobsState(
            client, user_name=session.user.name, on_sign_out=self.sign_out, clock=self._clock
        )
        self.screen = JobsScreen(jobs, notice=self.sign_in.notice)
        self._notify()
        await jobs.load()

    async def sign_out(self) -> None:
        """Sign out here and on the server; forget the saved token; back to sign-in."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.logout()
            except ApiError as exc:
                # Signed out on this device all the same; the server token expires.
                logger.info("server logout failed (%s); signed out locally", exc.code)
            await self._forget_token(client.base_url)
            await client.aclose()
        self.sign_in.error = self.sign_in.notice = None
        self.screen = SignInScreen(self.sign_in)
        self._notify()

    async def close(self) -> None:
        """The page went away: release the connection, keep the saved session."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _forget_token(self, url: str) -> None:
        try:
            await self._secrets.delete(refresh_token_name(url))
        except SecretStoreUnavailable:
            logger.warning("could not delete the saved session from the keyring")
