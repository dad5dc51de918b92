"""Secret stores: memory, keyring (in-memory backend and a missing backend)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import keyring
import keyring.backends.fail
import pytest

from proapp.secrets import (
    KEYRING_SERVICE,
    KeyringSecretStore,
    MemorySecretStore,
    SecretStore,
    SecretStoreUnavailable,
    refresh_token_name,
)
from tests.support.keyring_memory import InMemoryKeyring

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def round_trip(store: SecretStore) -> list[str | None]:
    seen = [await store.get("a")]
    await store.set("a", "one")
    seen.append(await store.get("a"))
    await store.set("a", "two")
    seen.append(await store.get("a"))
    await store.delete("a")
    await store.delete("a")  # deleting twice is fine
    seen.append(await store.get("a"))
    return seen


@pytest.mark.parametrize("store", [MemorySecretStore(), KeyringSecretStore()])
def test_get_set_delete(store: SecretStore) -> None:
    assert run(round_trip(store)) == [None, "one", "two", None]


def test_keyring_store_files_secrets_under_the_proapp_service(
    memory_keyring: InMemoryKeyring,
) -> None:
    run(KeyringSecretStore().set(refresh_token_name("https://x.example"), "tok"))
    assert memory_keyring.stored() == {(KEYRING_SERVICE, "refresh-token:https://x.example"): "tok"}


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


@pytest.mark.parametrize("operation", ["get", "set", "delete"])
def test_a_missing_keyring_is_a_clear_error(no_keyring: None, operation: str) -> None:
    store = KeyringSecretStore()

    async def call() -> None:
        if operation == "get":
            await store.get("a")
        elif operation == "set":
            await store.set("a", "secret-value")
        else:
            await store.delete("a")

    with pytest.raises(SecretStoreUnavailable) as caught:
        run(call())
    assert "keyring" in caught.value.message
    assert "secret-value" not in caught.value.message


def test_memory_store_repr_shows_names_not_values() -> None:
    store = MemorySecretStore({"refresh-token:x": "very-secret"})
    assert "very-secret" not in repr(store)
    assert "refresh-token:x" in repr(store)
