"""Which screen a page shows, and the moves between them (sign in, the shell, sign out).

One `AppState` per Flet page (browser tab or app window). The screen is a closed set:
`Starting` (resuming a saved session), `SignInScreen`, `ShellScreen` (the signed-in
app: tabs and detail screens, see `proapp.state.shell`).

Signing in (or resuming) opens the account through the process's `AccountHub`: its
store, a running `SyncEngine` and the `LocalRepository` every screen reads. Offline
start: when the saved session cannot be checked because the server is unreachable (not
refused), the shell still opens on the data stored on this phone, with the user from
the account record; the engine refreshes the session by itself once the network is back
(its first request is refused for the placeholder access token, and the client then
refreshes with the saved refresh token). The pro is never locked out of their stored
work by a missing signal. A refused session (expired, revoked) goes to sign in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from proapp.api.errors import ApiError, AuthenticationError, ServerUrlError
from proapp.api.models import Session
from proapp.api.ports import MarketplaceApi
from proapp.api.urls import normalize_server_url
from proapp.domain.models import User
from proapp.embedded import DemoAccount
from proapp.secrets import SecretStore, SecretStoreUnavailable, refresh_token_name
from proapp.state.accounts import AccountHub, ActiveAccount
from proapp.state.observable import Observable
from proapp.state.settings import AccountInfo, SettingsServices
from proapp.state.shell import ShellState
from proapp.state.signin import ClientFactory, SignInState

__all__ = [
    "AppState",
    "ResumeFactory",
    "Screen",
    "ShellScreen",
    "SignInScreen",
    "Starting",
]

logger = logging.getLogger(__name__)

ResumeFactory = Callable[[str, Session], MarketplaceApi]
"""Builds a client for a server URL that starts with the given (saved) session."""

THEME_DRAFT = "app.settings.theme"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OFFLINE_START_NOTICE = (
    "You're offline. Showing the work saved on this phone; it syncs when you're back online."
)


@dataclass(frozen=True)
class Starting:
    """Resuming a saved session; nothing to do yet."""


@dataclass(frozen=True)
class SignInScreen:
    """The sign-in form."""

    state: SignInState


@dataclass(frozen=True)
class ShellScreen:
    """The signed-in app. ``settings``: what the settings tab needs from the app."""

    shell: ShellState
    settings: SettingsServices


Screen = Starting | SignInScreen | ShellScreen


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
        hub: the process's signed-in accounts (store, engine, repository per account).
        resume_factory: builds a client holding a saved session (offline start); None
            disables offline start.
        restore_session: try the saved refresh token on `start` (skip the form).
        theme_mode: "system", "light" or "dark" at start.
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
        hub: AccountHub,
        resume_factory: ResumeFactory | None = None,
        restore_session: bool = True,
        theme_mode: str = "system",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._resume_factory = resume_factory
        self._secrets = secrets
        self._hub = hub
        self._restore_session = restore_session
        self._clock = clock
        self.theme_mode = theme_mode
        self._account: ActiveAccount | None = None
        self.sign_in = SignInState(
            client_factory=client_factory,
            secrets=secrets,
            on_signed_in=self._signed_in,
            server_url=server_url,
            server_editable=server_editable,
            demo_accounts=demo_accounts,
        )
        self.screen: Screen = SignInScreen(self.sign_in)

    @property
    def account(self) -> ActiveAccount | None:
        """The account this page shows, while signed in."""
        return self._account

    # ------------------------------------------------------------------ start

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
        running = self._hub.active_on(url)
        if running is not None:
            # Another tab of this process already resumed this session: share it.
            user = running.record.user()
            await self._enter_shell(running.client, user, url, notice=None, new=False)
            return
        client = self._client_factory(url)
        try:
            session = await client.refresh(token)
        except AuthenticationError:
            # Expired or revoked: forget it so we do not try it again. The account's
            # queued work stays in its store and goes out after the next sign-in.
            await client.aclose()
            await self._forget_token(url)
            self._show_sign_in()
            return
        except ApiError as exc:
            await client.aclose()
            if not await self._start_offline(url, token):
                self.sign_in.error = exc.message
                self._show_sign_in()
            return
        await self._signed_in(client, session)

    async def _start_offline(self, url: str, token: str) -> bool:
        """Open the shell on stored data with a session the engine refreshes later."""
        if self._resume_factory is None:
            return False
        try:
            record = await self._hub.last_account(url)
        except OSError:
            record = None
        if record is None:
            return False  # never signed in here: there is no stored work to show
        user = record.user()
        # A placeholder access token: the first request is refused with 401 and the
        # client refreshes with the saved refresh token (then rotates and saves it).
        session = Session(user=user, access_token="", refresh_token=token, access_expires_at=_EPOCH)
        client = self._resume_factory(url, session)
        await self._enter_shell(client, user, url, notice=OFFLINE_START_NOTICE, new=False)
        return True

    # ------------------------------------------------------------------ signed in

    async def _signed_in(self, client: MarketplaceApi, session: Session) -> None:
        await self._enter_shell(
            client, session.user, client.base_url, notice=self.sign_in.notice, new=True
        )

    async def _enter_shell(
        self,
        client: MarketplaceApi,
        user: User,
        server_url: str,
        *,
        notice: str | None,
        new: bool,
    ) -> None:
        await self._leave_account()
        account = await self._hub.attach(client, user, server_url, record_sign_in=new)
        self._account = account
        account.ended.append(self._account_ended)
        try:
            saved = await account.repo.load_draft(THEME_DRAFT)
        except Exception:  # a theme preference is never worth failing a sign-in
            saved = None
        if saved and saved.get("mode") in {"system", "light", "dark"}:
            self.theme_mode = str(saved["mode"])
        shell = ShellState(account.repo, clock=self._clock, on_sign_in_again=self.sign_in_again)
        settings = SettingsServices(
            account=AccountInfo(
                name=user.name,
                email=user.email,
                role=str(user.role),
                business=user.business_id or "—",
                server_url=server_url,
                data_folder=str(self._hub.account_folder(user.id)),
            ),
            sign_out=self._settings_sign_out,
            theme=lambda: self.theme_mode,
            set_theme=self.set_theme,
        )
        self.screen = ShellScreen(shell, settings)
        self._notify()
        if notice:
            shell.notify(notice)
        await shell.start()

    # ------------------------------------------------------------------ theme

    def set_theme(self, mode: str) -> None:
        """Switch the theme ("system", "light", "dark") and remember it for the account."""
        if mode not in {"system", "light", "dark"} or mode == self.theme_mode:
            return
        self.theme_mode = mode
        self._notify()
        account = self._account
        if account is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            loop.create_task(self._save_theme(account, mode))

    @staticmethod
    async def _save_theme(account: ActiveAccount, mode: str) -> None:
        try:
            await account.repo.save_draft(THEME_DRAFT, "settings", {"mode": mode})
        except Exception:
            logger.warning("could not remember the theme", exc_info=True)

    # ------------------------------------------------------------------ sign out

    async def _settings_sign_out(self, discard: bool) -> None:
        await self.sign_out(discard=discard)

    async def sign_out(self, *, discard: bool = False) -> None:
        """Sign out and wipe this account from the phone (guarded: raises
        `proapp.sync.session.SignOutRefusedError` while work is queued unless
        ``discard``). Every page of the account returns to sign in."""
        account = self._account
        if account is None:
            self._show_sign_in()
            return
        await self._hub.sign_out(account, self._secrets, discard=discard)
        # `_account_ended` (called by the hub for every page) showed the sign-in form.

    def _account_ended(self) -> None:
        account, self._account = self._account, None
        if account is not None and self._account_ended in account.ended:
            account.ended.remove(self._account_ended)
        self._dispose_shell()
        self.sign_in.error = self.sign_in.notice = None
        self._show_sign_in()

    async def sign_in_again(self) -> None:
        """The session ended (refused refresh): back to the form, work kept on disk."""
        account = self._account
        email = account.record.email if account is not None else ""
        await self._leave_account()
        if account is not None:
            # The server refused the saved refresh token: it is of no use any more.
            await self._forget_token(account.record.server_url)
        if email:
            self.sign_in.set_email(email)
        self.sign_in.notice = None
        self.sign_in.error = "Your session ended. Sign in again to send the changes on this phone."
        self._show_sign_in()

    async def close(self) -> None:
        """The page went away: let go of the account (its data and session stay)."""
        await self._leave_account()

    # ------------------------------------------------------------------ internals

    async def _leave_account(self) -> None:
        account, self._account = self._account, None
        self._dispose_shell()
        if account is None:
            return
        if self._account_ended in account.ended:
            account.ended.remove(self._account_ended)
        await self._hub.release(account)

    def _dispose_shell(self) -> None:
        if isinstance(self.screen, ShellScreen):
            self.screen.shell.dispose()

    def _show_sign_in(self) -> None:
        self.screen = SignInScreen(self.sign_in)
        self._notify()

    async def _forget_token(self, url: str) -> None:
        try:
            await self._secrets.delete(refresh_token_name(url))
        except SecretStoreUnavailable:
            logger.warning("could not delete the saved session from the keyring")
