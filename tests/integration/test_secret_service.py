"""The keyring-backed secret store against a real Secret Service (gnome-keyring on D-Bus).

Everywhere else tests use the in-memory keyring; this one proves that refresh tokens
really land in the OS secret store on a Linux desktop. `.ci/run` runs the suite inside
``dbus-run-session`` with an unlocked ``gnome-keyring-daemon``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import SecretService

from proapp.secrets import KeyringSecretStore
from tests.conftest import _missing
from tests.support.keyring_memory import InMemoryKeyring

pytestmark = pytest.mark.secret_service


@pytest.fixture
def secret_service(memory_keyring: InMemoryKeyring) -> Iterator[SecretService.Keyring]:
    """Make the real Secret Service keyring's default backend for this test.

    Depends on `memory_keyring`, whose teardown puts the previous backend back.
    """
    backend = SecretService.Keyring()
    try:
        backend.priority  # noqa: B018 - raises when no Secret Service answers on the bus
    except Exception as exc:  # keyring raises RuntimeError or D-Bus errors here
        _missing(f"no usable Secret Service on this D-Bus session: {exc}")
    keyring.set_keyring(backend)
    yield backend


def test_refresh_token_round_trips_through_the_real_secret_service(
    secret_service: SecretService.Keyring,
) -> None:
    service = f"proapp-test-{uuid.uuid4()}"
    store = KeyringSecretStore(service=service)

    asyncio.run(store.set("refresh-token", "rt-secret-1"))
    assert asyncio.run(store.get("refresh-token")) == "rt-secret-1"
    # It is really in the Secret Service, not in a Python object: a new backend object
    # (a new D-Bus connection) reads it back.
    assert SecretService.Keyring().get_password(service, "refresh-token") == "rt-secret-1"

    asyncio.run(store.set("refresh-token", "rt-secret-2"))  # rotation replaces it
    assert SecretService.Keyring().get_password(service, "refresh-token") == "rt-secret-2"

    asyncio.run(store.delete("refresh-token"))
    assert asyncio.run(store.get("refresh-token")) is None
    asyncio.run(store.delete("refresh-token"))  # deleting twice is not an error
