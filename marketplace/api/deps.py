"""FastAPI dependencies: settings, sessions, the clock and the signed-in actor.

The app keeps its singletons on ``app.state`` (set by `marketplace.app.create_app`), so
several apps with different databases can live in one process (tests do that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from marketplace.auth import authenticate_access_token
from marketplace.authz import Actor
from marketplace.config import Settings
from marketplace.db import SessionFactory, read_only
from proapp.domain import DomainError, ErrorCode

__all__ = [
    "ActorDep",
    "ClockDep",
    "SessionDep",
    "SessionFactoryDep",
    "SettingsDep",
    "client_ip",
    "get_actor",
    "get_clock",
    "get_session",
    "get_session_factory",
    "get_settings",
]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/login")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> SessionFactory:
    """The app's session factory (for endpoints that manage their own transactions)."""
    factory: SessionFactory = request.app.state.session_factory
    return factory


def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (tests inject a fixed one)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def _read_session(request: Request) -> Session:
    engine: Engine = request.app.state.engine
    return get_session_factory(request)(bind=read_only(engine))


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request, inside one transaction committed at the end.

    GET and HEAD requests only read: on SQLite their transaction does not take the
    write lock. A `DomainError` raised by the endpoint rolls the transaction back.
    """
    if request.method in ("GET", "HEAD"):
        session = _read_session(request)
    else:
        session = get_session_factory(request)()
    with session, session.begin():
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
# scope="function": commit BEFORE the response is sent, so a client that got 2xx can
# rely on the write (e.g. a logout) being visible to its next request.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


def get_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The signed-in actor, from ``Authorization: Bearer <access token>``.

    Raises:
        DomainError: 401 ``unauthorized`` when the token is missing, unknown or expired.
    """
    if credentials is None or not credentials.credentials:
        raise DomainError(
            ErrorCode.UNAUTHORIZED,
            "You are not signed in. Sign in, then try again.",
        )
    with _read_session(request) as session, session.begin():
        return authenticate_access_token(session, credentials.credentials, get_clock(request)())


ActorDep = Annotated[Actor, Depends(get_actor)]


def client_ip(request: Request) -> str:
    """The client's address as seen by this server (no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"
