"""The phone `SecretStore`: Flet's secure storage (Android Keystore, iOS Keychain).

keyring has no backend on phones (FLET-NOTES.md), so a Flet app built for Android or
iOS keeps refresh tokens in the platform's secure storage through the
``flet_secure_storage`` service. It lives outside `proapp.secrets` because it needs a
Flet page: `proapp.secrets` (and the sync engine that uses it) never import Flet.
"""

from __future__ import annotations

import logging
from typing import Protocol

from proapp.secrets import KEYRING_SERVICE, SecretStoreUnavailable

__all__ = ["FletSecureStorageSecretStore", "SecureStorageService"]

logger = logging.getLogger(__name__)

_UNAVAILABLE = (
    "This phone's secure storage is not available, so ProApp cannot keep you signed in. "
    "You can still use the app now; you will need to sign in again next time."
)


class SecureStorageService(Protocol):
    """The part of ``flet_secure_storage.SecureStorage`` this store uses."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def remove(self, key: str) -> None: ...


class FletSecureStorageSecretStore:
    """A `SecretStore` in Flet's secure storage, keys prefixed ``proapp:`` like keyring's
    service name, so other apps' or libraries' entries are never touched."""

    def __init__(self, storage: SecureStorageService, prefix: str = KEYRING_SERVICE) -> None:
        self._storage = storage
        self._prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    async def get(self, name: str) -> str | None:
        try:
            return await self._storage.get(self._key(name))
        except Exception as exc:  # platform errors arrive as plain exceptions from Dart
            raise self._unavailable(exc) from exc

    async def set(self, name: str, value: str) -> None:
        try:
            await self._storage.set(self._key(name), value)
        except Exception as exc:
            raise self._unavailable(exc) from exc

    async def delete(self, name: str) -> None:
        try:
            await self._storage.remove(self._key(name))
        except Exception as exc:
            raise self._unavailable(exc) from exc

    @staticmethod
    def _unavailable(exc: Exception) -> SecretStoreUnavailable:
        # The exception type only: a platform message could echo a key or value.
        logger.warning("secure storage unavailable: %s", type(exc).__name__)
        return SecretStoreUnavailable(_UNAVAILABLE)
