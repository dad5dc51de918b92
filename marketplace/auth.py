"""Sessions: password login, opaque access tokens, rotating refresh tokens, logout,
login rate limiting.

* Tokens are random (``secrets.token_urlsafe``) and opaque; only their SHA-256 is
  stored, so a database leak does not leak usable tokens.
* An access token lives `Settings.access_token_ttl` (15 min). A refresh token lives
  `Settings.refresh_token_ttl` and is single-use: refreshing rotates it. Presenting a
  refresh token that was already rotated means someone else has a copy, so the whole
  family (every refresh and access token descended from that login) is revoked.
* Failed logins are counted per email (stored as a hash) and per client address; past
  the limit, login answers 429 ``rate_limited`` with ``Retry-After``. Unknown email and
  wrong password get the same answer (and take the same time), so accounts cannot be
  enumerated.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.authz import Actor
from marketplace.config import Settings
from marketplace.passwords import (
    DUMMY_HASH_PASSWORD,
    hash_password,
    needs_rehash,
    verify_password,
)
from proapp.domain import DomainError, ErrorCode

__all__ = [
    "IssuedTokens",
    "authenticate_access_token",
    "check_login_rate_limit",
    "login",
    "logout",
    "refresh",
    "token_hash",
]

_BAD_LOGIN = (
    "The email or password is not right. Check them and try again, "
    "or ask your business owner to reset your password."
)
_SESSION_ENDED = "Your session has ended. Sign in again to continue."


def token_hash(token: str) -> str:
    """SHA-256 hex of a token (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedTokens:
    """A freshly issued pair (the only time the plain tokens exist server-side)."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: orm.User


def _issue(
    session: Session, user: orm.User, family_id: str, now: datetime, settings: Settings
) -> IssuedTokens:
    access = secrets.token_urlsafe(32)
    refresh_token = secrets.token_urlsafe(48)
    session.add(
        orm.AccessToken(
            token_hash=token_hash(access), user_id=user.id, family_id=family_id,
            created_at=now, expires_at=now + settings.access_token_ttl,
        )
    )
    session.add(
        orm.RefreshToken(
            id=str(uuid.uuid4()), user_id=user.id, family_id=family_id,
            token_hash=token_hash(refresh_token), created_at=now,
            expires_at=now + settings.refresh_token_ttl,
        )
    )
    return IssuedTokens(
        access, refresh_token, int(settings.access_token_ttl.total_seconds()), user
    )


def _retry_after(oldest: datetime, now: datetime, window: timedelta) -> int:
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def check_login_rate_limit(
    session: Session, email: str, client_ip: str, now: datetime, settings: Settings
) -> None:
    """Raise 429 ``rate_limited`` if this email or address failed too often recently."""
    since = now - settings.login_failure_window
    for column, value, limit in (
        (orm.LoginAttempt.email_hash, _email_hash(email), settings.login_max_failures_per_email),
        (orm.LoginAttempt.client_ip, client_ip, settings.login_max_failures_per_ip),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(orm.LoginAttempt.attempted_at)).where(
                column == value,
                orm.LoginAttempt.attempted_at > since,
                orm.LoginAttempt.succeeded.is_(False),
            )
        ).one()
        if count >= limit and isinstance(oldest, datetime):
            retry = _retry_after(oldest, now, settings.login_failure_window)
            raise DomainError(
                ErrorCode.RATE_LIMITED,
                f"Too many failed sign-in attempts. Wait {retry} seconds, then try again.",
                {"retry_after_s": retry},
            )


def login(
    session: Session,
    email: str,
    password: str,
    client_ip: str,
    now: datetime,
    settings: Settings,
) -> IssuedTokens:
    """Check the password and open a session (a new refresh-token family).

    The caller commits in every case: a failed attempt must be recorded even though
    this raises.

    Raises:
        DomainError: ``rate_limited`` (429) or ``unauthorized`` (401, one generic message).
    """
    normalized = email.strip().lower()
    check_login_rate_limit(session, normalized, client_ip, now, settings)
    user = session.scalars(select(orm.User).where(orm.User.email == normalized)).one_or_none()
    if user is None or not user.active:
        # Spend the same time as a real check so timing does not reveal the account.
        verify_password(_dummy_hash(settings), password, settings)
        ok = False
    else:
        ok = verify_password(user.password_hash, password, settings)
    session.add(
        orm.LoginAttempt(
            email_hash=_email_hash(normalized), client_ip=client_ip[:64], attempted_at=now,
            succeeded=ok,
        )
    )
    if not ok or user is None:
        raise DomainError(ErrorCode.UNAUTHORIZED, _BAD_LOGIN)
    # A success clears this email's failure count.
    session.execute(
        delete(orm.LoginAttempt).where(
            orm.LoginAttempt.email_hash == _email_hash(normalized),
            orm.LoginAttempt.succeeded.is_(False),
        )
    )
    if needs_rehash(user.password_hash, settings):
        user.password_hash = hash_password(password, settings)
    return _issue(session, user, str(uuid.uuid4()), now, settings)


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(settings: Settings) -> str:
    key = (settings.argon2_time_cost, settings.argon2_memory_cost_kib,
           settings.argon2_parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hash_password(DUMMY_HASH_PASSWORD, settings)
    return _DUMMY_HASHES[key]


def _revoke_family(session: Session, family_id: str, now: datetime) -> None:
    session.execute(
        update(orm.RefreshToken)
        .where(orm.RefreshToken.family_id == family_id, orm.RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(orm.AccessToken)
        .where(orm.AccessToken.family_id == family_id, orm.AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _successors(row: orm.RefreshToken) -> Select[orm.RefreshToken]:
    """The refresh tokens issued in ``row``'s family when (or after) it was rotated."""
    assert row.used_at is not None
    return select(orm.RefreshToken).where(
        orm.RefreshToken.family_id == row.family_id,
        orm.RefreshToken.id != row.id,
        orm.RefreshToken.created_at >= row.used_at,
    )


def _lost_rotation_answer(
    session: Session, row: orm.RefreshToken, now: datetime, settings: Settings
) -> bool:
    """Is this second use of a rotated token the same device retrying a lost answer?

    Only within ``refresh_reuse_grace`` of the rotation, and only while no successor
    has been used or revoked: a thief and the pro cannot both keep a live session.
    """
    session.refresh(row)  # the claim's UPDATE ran without synchronizing the session
    if row.used_at is None or now - row.used_at > settings.refresh_reuse_grace:
        return False
    successors = session.scalars(_successors(row)).all()
    return bool(successors) and all(
        s.used_at is None and s.revoked_at is None for s in successors
    )


def _revoke_successors(session: Session, row: orm.RefreshToken, now: datetime) -> None:
    """Revoke what the lost rotation issued: its refresh token and access token."""
    for successor in session.scalars(_successors(row)).all():
        successor.revoked_at = now
    session.execute(
        update(orm.AccessToken)
        .where(
            orm.AccessToken.family_id == row.family_id,
            orm.AccessToken.created_at >= row.used_at,
            orm.AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def refresh(
    session: Session, refresh_token: str, now: datetime, settings: Settings
) -> IssuedTokens:
    """Rotate a refresh token: the old one dies, a new pair is issued in its family.

    A token that was already rotated revokes the whole family (theft detection), except
    when the device is evidently retrying a rotation whose answer it never received
    (see `_lost_rotation_answer`): then the unused successor is replaced. The caller
    commits in every case (the revocation must stick even though this raises).

    Raises:
        DomainError: ``unauthorized``.
    """
    row = session.scalars(
        select(orm.RefreshToken).where(orm.RefreshToken.token_hash == token_hash(refresh_token))
    ).one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise DomainError(ErrorCode.UNAUTHORIZED, _SESSION_ENDED)
    # Claim the token atomically: of two refreshes racing with one token, one wins and
    # the other is treated as reuse.
    result = session.execute(
        update(orm.RefreshToken)
        .where(orm.RefreshToken.id == row.id, orm.RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = cast(CursorResult[Any], result).rowcount
    if claimed != 1 and _lost_rotation_answer(session, row, now, settings):
        # The device never got the successor (a cut connection, an app killed before it
        # saved the new token): replace the unused successor instead of signing out.
        _revoke_successors(session, row, now)
    elif claimed != 1:
        _revoke_family(session, row.family_id, now)
        raise DomainError(
            ErrorCode.UNAUTHORIZED,
            "This sign-in was used from somewhere else, so it was closed for your safety. "
            "Sign in again.",
            {"reason": "refresh_token_reused"},
        )
    user = session.get(orm.User, row.user_id)
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHORIZED, _SESSION_ENDED)
    return _issue(session, user, row.family_id, now, settings)


def logout(session: Session, refresh_token: str, now: datetime) -> None:
    """End the session of ``refresh_token``: its family's tokens all stop working.

    Unknown tokens are ignored (logging out twice is fine).
    """
    row = session.scalars(
        select(orm.RefreshToken).where(orm.RefreshToken.token_hash == token_hash(refresh_token))
    ).one_or_none()
    if row is not None:
        _revoke_family(session, row.family_id, now)


def authenticate_access_token(session: Session, token: str, now: datetime) -> Actor:
    """The actor behind a bearer token.

    Raises:
        DomainError: ``unauthorized`` for unknown, expired or revoked tokens.
    """
    row = session.get(orm.AccessToken, token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise DomainError(ErrorCode.UNAUTHORIZED, _SESSION_ENDED)
    user = session.get(orm.User, row.user_id)
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHORIZED, _SESSION_ENDED)
    return Actor.from_user(user)
