"""The phone secret store over a fake of Flet's secure storage service."""

from __future__ import annotations

import asyncio

import pytest

from proapp.flet_secrets import FletSecureStorageSecretStore
from proapp.secrets import SecretStoreUnavailable


class FakeSecureStorage:
    """Implements the three calls of ``flet_secure_storage.SecureStorage`` in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {"other-app:token": "theirs"}
        self.broken = False

    def _check(self) -> None:
        if self.broken:
            raise RuntimeError("PlatformException(Keystore locked, refresh-token=abc)")

    async def get(self, key: str) -> str | None:
        self._check()
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self._check()
        self.values[key] = value

    async def remove(self, key: str) -> None:
        self._check()
        self.values.pop(key, None)


def test_round_trip_under_the_app_prefix_leaving_other_entries_alone() -> None:
    storage = FakeSecureStorage()
    store = FletSecureStorageSecretStore(storage)

    async def scenario() -> None:
        await store.set("refresh-token", "rt-1")
        assert storage.values["proapp:refresh-token"] == "rt-1"
        assert await store.get("refresh-token") == "rt-1"
        await store.delete("refresh-token")
        await store.delete("refresh-token")  # twice is fine
        assert await store.get("refresh-token") is None

    asyncio.run(scenario())
    assert storage.values == {"other-app:token": "theirs"}


def test_platform_errors_become_a_plain_unavailable_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = FakeSecureStorage()
    storage.broken = True
    store = FletSecureStorageSecretStore(storage)
    for call in (store.get("x"), store.set("x", "secret-value"), store.delete("x")):
        with pytest.raises(SecretStoreUnavailable, match="secure storage"):
            asyncio.run(call)
    # Neither the platform's message (which may echo a token) nor the value is logged.
    assert "abc" not in caplog.text and "secret-value" not in caplog.text
