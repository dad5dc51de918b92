"""An in-memory keyring backend so tests never touch the developer's real keyring.

The app's own secret-store port (and its in-memory fake) lives in ``proapp``; this
backend exists only so that any code path that reaches the ``keyring`` library inside a
test (or inside a subprocess started by a test, via ``PYTHON_KEYRING_BACKEND``) stores
secrets in a dict instead of the machine's Secret Service / macOS Keychain.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

__all__ = ["BACKEND_PATH", "InMemoryKeyring"]

# Dotted path for PYTHON_KEYRING_BACKEND in subprocesses started by tests.
BACKEND_PATH = "tests.support.keyring_memory.InMemoryKeyring"


class InMemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict for the lifetime of the instance."""

    # keyring registers every KeyringBackend subclass as a candidate for automatic
    # detection. A negative priority keeps this one from ever being auto-selected in a
    # process that merely imported it; tests select it explicitly.
    priority = -1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring is untyped here
        self._passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError(f"no password for {username!r} in {service!r}") from None

    def stored(self) -> dict[tuple[str, str], str]:
        """A copy of everything stored, keyed by (service, username), for assertions."""
        return dict(self._passwords)

    # No __len__: keyring picks a backend with `load_env() or ...`, so an empty keyring
    # must still be truthy.
