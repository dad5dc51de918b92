"""The one place that wires concrete classes together (DESIGN.md section 3).

`build_main` turns an `AppConfig` into the ``main(page)`` coroutine Flet calls for each
page (each browser tab in web mode, the window on desktop and phones). Everything the
process shares (configuration, the secret store) is created once here; everything that
belongs to a page (its `AppState`, its HTTP client, its views) is created per page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import flet as ft
import httpx

from proapp.api.client import MarketplaceClient
from proapp.api.models import Session
from proapp.api.ports import MarketplaceApi
from proapp.embedded import DemoAccount
from proapp.secrets import KeyringSecretStore, SecretStore, refresh_token_name
from proapp.state.accounts import AccountHub
from proapp.state.app_state import AppState, ResumeFactory
from proapp.views.root import RootView
from proapp.views.theme import apply_theme

__all__ = ["AppConfig", "build_main", "make_client_factory", "make_resume_factory"]

logger = logging.getLogger(__name__)

_THEME_MODES = {
    "system": ft.ThemeMode.SYSTEM,
    "light": ft.ThemeMode.LIGHT,
    "dark": ft.ThemeMode.DARK,
}


@dataclass(frozen=True)
class AppConfig:
    """How this app process runs.

    Attributes:
        server_url: the marketplace to talk to.
        embedded_demo: True when ``server_url`` is the demo server this process started
            (the sign-in screen then offers the demo accounts).
        demo_accounts: the demo sign-ins to offer (only with ``embedded_demo``).
        server_editable: let the person type another server on the sign-in screen.
        restore_session: resume the saved session at start. Off when the web server is
            reachable from other machines: a remote browser must never inherit the
            session saved on this computer.
        theme_mode: "system", "light" or "dark".
        secret_store: where refresh tokens go; None picks the system keyring.
        hub: the process's signed-in accounts; None makes one (tests pass their own).
    """

    server_url: str
    embedded_demo: bool = False
    demo_accounts: Sequence[DemoAccount] = field(default_factory=tuple)
    server_editable: bool = False
    restore_session: bool = True
    theme_mode: str = "system"
    secret_store: SecretStore | None = None
    hub: AccountHub | None = None


def _token_saver(secrets: SecretStore, server_url: str) -> Callable[[str], Awaitable[None]]:
    name = refresh_token_name(server_url)

    async def save_rotated(token: str) -> None:
        await secrets.set(name, token)

    return save_rotated


def make_client_factory(
    secrets: SecretStore, transport: httpx.AsyncBaseTransport | None = None
) -> Callable[[str], MarketplaceApi]:
    """Clients whose rotated refresh tokens are saved in ``secrets`` (per server).

    ``transport`` is for tests (``httpx.MockTransport``); None means real TLS sockets.
    """

    def factory(server_url: str) -> MarketplaceApi:
        return MarketplaceClient(
            server_url,
            transport=transport,
            on_refresh_token_rotated=_token_saver(secrets, server_url),
        )

    return factory


def make_resume_factory(
    secrets: SecretStore, transport: httpx.AsyncBaseTransport | None = None
) -> ResumeFactory:
    """Clients that start with a saved session (offline start), saving rotations."""

    def factory(server_url: str, session: Session) -> MarketplaceApi:
        return MarketplaceClient(
            server_url,
            transport=transport,
            session=session,
            on_refresh_token_rotated=_token_saver(secrets, server_url),
        )

    return factory


def build_main(config: AppConfig) -> Callable[[ft.Page], Awaitable[None]]:
    """The Flet entry point for ``config``: one `AppState` and `RootView` per page."""
    desktop_secrets: SecretStore = config.secret_store or KeyringSecretStore()
    desktop_client_factory = make_client_factory(desktop_secrets)
    hub = config.hub or AccountHub()
    demo_accounts = tuple(config.demo_accounts) if config.embedded_demo else ()
    theme_mode = _THEME_MODES.get(config.theme_mode, ft.ThemeMode.SYSTEM)

    async def main(page: ft.Page) -> None:
        page.title = "ProApp"
        page.padding = 0
        page.spacing = 0
        apply_theme(page, theme_mode)
        secrets, client_factory = desktop_secrets, desktop_client_factory
        if config.secret_store is None and _runs_on_phone(page):
            secrets = _phone_secret_store()
            client_factory = make_client_factory(secrets)
        state = AppState(
            server_url=config.server_url,
            server_editable=config.server_editable,
            demo_accounts=demo_accounts,
            client_factory=client_factory,
            resume_factory=make_resume_factory(secrets),
            secrets=secrets,
            hub=hub,
            restore_session=config.restore_session,
            theme_mode=config.theme_mode,
        )
        root = RootView(page, state)

        async def closed() -> None:
            # The session expired (tab gone for a while): drop listeners and connections.
            root.dispose()
            await state.close()

        page.on_close = closed
        root.mount()
        await state.start()

    return main


def _runs_on_phone(page: ft.Page) -> bool:
    """A built Android or iOS app (not a phone's browser showing the web app, whose
    Python runs on the server, where the server's keyring applies)."""
    return not page.web and page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)


def _phone_secret_store() -> SecretStore:
    # Imported here: flet_secure_storage is the `mobile` extra, absent from web installs.
    from flet_secure_storage import SecureStorage  # type: ignore[import-untyped]

    from proapp.flet_secrets import FletSecureStorageSecretStore

    return FletSecureStorageSecretStore(SecureStorage())
