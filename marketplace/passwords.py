"""Password hashing: argon2id (memory-hard), via argon2-cffi.

Cost parameters come from `Settings` so tests can lower them; a stored hash carries its
own parameters, so changing the cost later still verifies old hashes (and
`needs_rehash` tells the login path to upgrade them).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from marketplace.config import Settings

__all__ = ["DUMMY_HASH_PASSWORD", "hash_password", "make_hasher", "needs_rehash", "verify_password"]

DUMMY_HASH_PASSWORD = "not-a-real-password-used-for-timing"


def make_hasher(settings: Settings | None = None) -> PasswordHasher:
    """An argon2id hasher with the configured cost."""
    settings = settings or Settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )


def hash_password(password: str, settings: Settings | None = None) -> str:
    """The argon2id PHC string for ``password`` (store this, never the password)."""
    return make_hasher(settings).hash(password)


def verify_password(stored_hash: str, password: str, settings: Settings | None = None) -> bool:
    """True if ``password`` matches ``stored_hash``; never raises for a wrong password."""
    try:
        return make_hasher(settings).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, settings: Settings | None = None) -> bool:
    """True if the hash was made with other cost parameters than the current ones."""
    try:
        return make_hasher(settings).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
