"""State of the sign-in screen (no Flet import): fields, validation, submit.

On success the refresh token goes to the `SecretStore` (never a file or a log) and the
signed-in client is handed to the app through ``on_signed_in``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from proapp.api.errors import ApiError, ServerUrlError
from proapp.api.models import Session
from proapp.api.ports import MarketplaceApi
from proapp.api.urls import normalize_server_url
from proapp.embedded import DemoAccount
from proapp.secrets import SecretStore, SecretStoreUnavailable, refresh_token_name
from proapp.state.observable import Observable

__all__ = ["ClientFactory", "SignInState", "SignedIn"]

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str], MarketplaceApi]
"""Builds a client for a normalised server URL (raises `ServerUrlError` if unusable)."""

SignedIn = Callable[[MarketplaceApi, Session], Awaitable[None]]

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRO_ROLES_SHOWN = ("technician", "dispatcher", "owner")


class SignInState(Observable):
    """Everything the sign-in screen shows and does.

    Attributes (read by the view; change them through the setters so listeners hear):
        server_url, email, password: what the person typed.
        server_url_error, email_error, password_error: per-field messages, or None.
        error: a message about the whole attempt (wrong password, server down), or None.
        notice: a non-blocking note after sign-in (e.g. "cannot remember you").
        busy: a sign-in is in flight; the form is disabled.
        server_editable: False when the server is fixed (embedded demo, --server).
        demo_accounts: pro demo sign-ins to offer, when the server is the embedded demo.
    """

    def __init__(
        self,
        *,
        client_factory: ClientFactory,
        secrets: SecretStore,
        on_signed_in: SignedIn,
        server_url: str = "",
        server_editable: bool = True,
        demo_accounts: Sequence[DemoAccount] = (),
    ) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._secrets = secrets
        self._on_signed_in = on_signed_in
        self.server_url = server_url
        self.server_editable = server_editable
        # Technicians first: the field app is theirs (then dispatcher, owner).
        self.demo_accounts: tuple[DemoAccount, ...] = tuple(
            sorted(
                (a for a in demo_accounts if a.role in _PRO_ROLES_SHOWN),
                key=lambda a: _PRO_ROLES_SHOWN.index(a.role),
            )
        )
        self.email = ""
        self.password = ""
        self.server_url_error: str | None = None
        self.email_error: str | None = None
        self.password_error: str | None = None
        self.error: str | None = None
        self.notice: str | None = None
        self.busy = False

    @property
    def is_demo(self) -> bool:
        """True when the server is the embedded demo (then demo sign-ins are shown)."""
        return bool(self.demo_accounts)

    # ------------------------------------------------------------------ field edits

    def set_server_url(self, value: str) -> None:
        self.server_url = value
        self.server_url_error = None
        self._notify()

    def set_email(self, value: str) -> None:
        self.email = value
        self.email_error = None
        self._notify()

    def set_password(self, value: str) -> None:
        self.password = value
        self.password_error = None
        self._notify()

    def use_demo_account(self, account: DemoAccount) -> None:
        """Fill the form with a demo account (a tap on the demo list)."""
        self.email = account.email
        self.password = account.password
        self.email_error = self.password_error = self.error = None
        self._notify()

    # ------------------------------------------------------------------ submit

    def _validate(self) -> str | None:
        """Set the per-field messages; return the normalised server URL if all is fine."""
        url: str | None = None
        try:
            url = normalize_server_url(self.server_url)
            self.server_url_error = None
        except ServerUrlError as exc:
            self.server_url_error = exc.message
        email = self.email.strip()
        if not email:
            self.email_error = "Type the email address you sign in with."
        elif not _EMAIL_RE.match(email):
            self.email_error = f"'{email}' is not an email address. Type it like name@example.com."
        else:
            self.email_error = None
        self.password_error = None if self.password else "Type your password."
        if self.email_error or self.password_error:
            return None
        return url

    async def submit(self) -> bool:
        """Validate, sign in, store the refresh token, hand over. True when signed in.

        Never raises for expected failures: they become ``error`` or field messages.
        The email stays as typed; the password is cleared after a refused attempt.
        """
        if self.busy:
            return False  # a second tap while the first attempt runs
        self.error = self.notice = None
        url = self._validate()
        if url is None:
            self._notify()
            return False
        self.busy = True
        self._notify()
        client: MarketplaceApi | None = None
        try:
            client = self._client_factory(url)
            session = await client.login(self.email.strip(), self.password)
        except ApiError as exc:
            self.error = exc.message
            self.password = ""
            if client is not None:
                await client.aclose()
            self.busy = False
            self._notify()
            return False
        try:
            await self._secrets.set(refresh_token_name(url), session.refresh_token)
        except SecretStoreUnavailable as exc:
            # Signed in all the same: only "stay signed in next time" is lost.
            self.notice = exc.message
        self.password = ""
        self.busy = False
        self._notify()
        await self._on_signed_in(client, session)
        return True
