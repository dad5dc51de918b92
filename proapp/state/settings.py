"""Settings (tab ``settings``): the account, a guarded sign-out, data folder, version, theme.

Sign-out wipes this account's data from the phone, so it is guarded
(`proapp.sync.session.sign_out`, DESIGN.md section 4): while work is queued it is
refused, and the pro sees how many actions would be lost and must choose "Sign out and
discard" explicitly.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.sync.session import SignOutRefusedError

__all__ = [
    "THEMES",
    "AccountInfo",
    "SettingsServices",
    "SettingsState",
    "SignOutConfirm",
    "app_version",
]

THEMES: tuple[tuple[str, str], ...] = (("system", "System"), ("light", "Light"), ("dark", "Dark"))
"""Theme choices: (value, label)."""


def app_version() -> str:
    """The installed ProApp version (``0.1.0``), or "development" from a bare checkout."""
    try:
        return importlib.metadata.version("proapp")
    except importlib.metadata.PackageNotFoundError:
        return "development"


@dataclass(frozen=True)
class AccountInfo:
    """Who is signed in where, ready to show."""

    name: str
    email: str
    role: str
    business: str
    server_url: str
    data_folder: str


@dataclass(frozen=True)
class SettingsServices:
    """What the settings screen needs from the app (wired by `proapp.state.app_state`).

    ``sign_out(discard)`` raises `SignOutRefusedError` while work is queued and
    ``discard`` is False; ``set_theme`` takes "system", "light" or "dark".
    """

    account: AccountInfo
    sign_out: Callable[[bool], Awaitable[None]]
    theme: Callable[[], str]
    set_theme: Callable[[str], None]
    version: str = ""


@dataclass(frozen=True)
class SignOutConfirm:
    """The "work would be lost" dialog: ``message`` in plain words, ``lost`` actions."""

    message: str
    lost: int


_ROLE_NAMES = {"technician": "Technician", "dispatcher": "Dispatcher", "owner": "Owner"}


class SettingsState(Observable):
    """The settings screen (see the module docstring)."""

    title = "Settings"

    def __init__(self, ctx: ScreenContext, route: Route, services: SettingsServices) -> None:
        super().__init__()
        del route
        self._ctx = ctx
        self._services = services
        self.account = services.account
        self.version = services.version or app_version()
        self.confirm: SignOutConfirm | None = None
        self.busy = False
        self.error: str | None = None
        self.business_name: str | None = None

    @property
    def role_text(self) -> str:
        """The role in plain words."""
        return _ROLE_NAMES.get(self.account.role, self.account.role.capitalize())

    @property
    def theme(self) -> str:
        """The theme in use: "system", "light" or "dark"."""
        return self._services.theme()

    @property
    def business_text(self) -> str:
        """The business's name once synced (its id until then)."""
        return self.business_name or f"{self.account.business} (name arrives with the first sync)"

    async def load(self) -> None:
        """Read the business's name (the account itself is known when the screen is built)."""
        business = await self._ctx.repo.business()
        self.business_name = business.name if business is not None else None
        self._notify()

    def dispose(self) -> None:
        """Nothing to release."""

    def set_theme(self, value: str) -> None:
        """Switch light / dark / follow the system."""
        if value not in {v for v, _ in THEMES}:
            return
        self._services.set_theme(value)
        self._notify()

    async def sign_out(self) -> None:
        """The "Sign out" button: refused (a confirmation appears) while work is queued."""
        await self._sign_out(discard=False)

    async def sign_out_and_discard(self) -> None:
        """The pro confirmed: sign out and throw the queued work away."""
        self.confirm = None
        await self._sign_out(discard=True)

    def cancel_sign_out(self) -> None:
        """Keep the work; stay signed in."""
        self.confirm = None
        self._notify()

    async def _sign_out(self, *, discard: bool) -> None:
        if self.busy:
            return
        self.busy = True
        self.error = None
        self._notify()
        try:
            await self._services.sign_out(discard)
        except SignOutRefusedError as exc:
            summary = exc.summary
            lost = summary.unsent + summary.needs_attention
            self.confirm = SignOutConfirm(exc.message, lost)
        except Exception as exc:  # any failure must reach the pro, in words
            self.error = f"Could not sign out: {exc}. Try again."
        finally:
            self.busy = False
        self._notify()
