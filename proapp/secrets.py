"""Where secrets (refresh tokens) live: one small async interface, several backends.

Tokens are only ever kept in a `SecretStore`, never in files, settings or logs.

* `KeyringSecretStore` - the desktop's secret service (Secret Service / Keychain /
  Credential Locker) through the ``keyring`` library, service name ``"proapp"``.
* `MemorySecretStore` - in memory, for tests and for runs that must leave no trace.
* Phones: keyring has no backend there; the field-app issue adds a store backed by
  Flet's secure storage (``flet_secure_storage``), whose API is async. That is why this
  interface is async: the same `SecretStore` then fits both without a sync wrapper that
  would block Flet's event loop. It will live in the views/app side (it needs a Flet
  page) and implement this same Protocol; nothing else changes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, runtime_checkable

import keyring
import keyring.errors

__all__ = [
    "KEYRING_SERVICE",
    "KeyringSecretStore",
    "MemorySecretStore",
    "SecretStore",
    "SecretStoreUnavailable",
    "refresh_token_name",
]

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "proapp"
"""The service name every ProApp secret is filed under in the system keyring."""


def refresh_token_name(server_url: str) -> str:
    """The secret name of the refresh token for one server (tokens are per server)."""
    return f"refresh-token:{server_url}"


class SecretStoreUnavailable(Exception):
    """The secret store cannot be used (no keyring service, locked, refused).

    ``message`` says in plain words what happened and what to do next.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@runtime_checkable
class SecretStore(Protocol):
    """Async get/set/delete of small secrets by name.

    Implementations raise `SecretStoreUnavailable` when the backend cannot be used and
    never log secret values.
    """

    async def get(self, name: str) -> str | None:
        """The secret stored under ``name``, or None."""
        ...

    async def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name``, replacing any previous value."""
        ...

    async def delete(self, name: str) -> None:
        """Forget ``name``; deleting a missing secret is not an error."""
        ...


class MemorySecretStore:
    """A `SecretStore` in a dict: tests, and sessions that must not outlive the process."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(initial or {})

    async def get(self, name: str) -> str | None:
        return self._values.get(name)

    async def set(self, name: str, value: str) -> None:
        self._values[name] = value

    async def delete(self, name: str) -> None:
        self._values.pop(name, None)

    def names(self) -> list[str]:
        """Names currently stored (for tests; values stay private)."""
        return sorted(self._values)

    def __repr__(self) -> str:
        return f"MemorySecretStore(names={self.names()!r})"


_UNAVAILABLE = (
    "This computer's password store (keyring) is not available, so ProApp cannot keep "
    "you signed in. You can still use the app now; you will need to sign in again next "
    "time. To fix it, unlock or install your system's keyring (for example GNOME Keyring)."
)


class KeyringSecretStore:
    """A `SecretStore` in the system keyring, under the service name ``"proapp"``.

    keyring calls are blocking (D-Bus, Keychain), so each runs in a worker thread via
    `asyncio.to_thread` and never stalls Flet's event loop.
    """

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    async def get(self, name: str) -> str | None:
        try:
            return await asyncio.to_thread(keyring.get_password, self._service, name)
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc

    async def set(self, name: str, value: str) -> None:
        try:
            await asyncio.to_thread(keyring.set_password, self._service, name, value)
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc

    async def delete(self, name: str) -> None:
        try:
            await asyncio.to_thread(keyring.delete_password, self._service, name)
        except keyring.errors.PasswordDeleteError:
            return  # nothing stored under that name: already the wanted outcome
        except keyring.errors.KeyringError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> SecretStoreUnavailable:
        # The exception text names the backend, never a secret value.
        logger.warning("keyring unavailable: %s: %s", type(exc).__name__, exc)
        return SecretStoreUnavailable(_UNAVAILABLE)

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self._service!r})"
