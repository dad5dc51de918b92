"""Auth endpoints: login, refresh (rotating), logout, and the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from marketplace import auth, orm
from marketplace.api.deps import ActorDep, ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from marketplace.api.deps import client_ip as _client_ip
from marketplace.api.schemas import LoginIn, RefreshIn, TokenOut
from marketplace.errors import ERROR_RESPONSES
from marketplace.maintenance import maybe_run_maintenance
from marketplace.serialize import user_model
from proapp.domain import DomainError, User

router = APIRouter(tags=["auth"], responses=ERROR_RESPONSES)


def _token_out(issued: auth.IssuedTokens) -> TokenOut:
    return TokenOut(
        access_token=issued.access_token, refresh_token=issued.refresh_token,
        expires_in=issued.expires_in, user=user_model(issued.user),
    )


@router.post("/v1/auth/login", response_model=TokenOut, summary="Sign in with email and password")
def login(
    body: LoginIn, request: Request, factory: SessionFactoryDep, settings: SettingsDep,
    clock: ClockDep,
) -> TokenOut:
    """Open a session. Wrong email or password: 401 ``unauthorized`` (one message for
    both). Too many failures for this email or address: 429 ``rate_limited``."""
    maybe_run_maintenance(request.app.state, factory, clock, settings)
    with factory() as session:
        try:
            issued = auth.login(
                session, body.email, body.password, _client_ip(request), clock(), settings
            )
        except DomainError:
            session.commit()  # keep the failed attempt: it feeds the rate limit
            raise
        out = _token_out(issued)
        session.commit()
        return out


@router.post("/v1/auth/refresh", response_model=TokenOut, summary="Rotate the refresh token")
def refresh(
    body: RefreshIn, factory: SessionFactoryDep, settings: SettingsDep, clock: ClockDep
) -> TokenOut:
    """Exchange a refresh token for a new pair; the old refresh token stops working.
    Reusing an already-rotated token ends the whole session (401)."""
    with factory() as session:
        try:
            issued = auth.refresh(session, body.refresh_token, clock(), settings)
        except DomainError:
            session.commit()  # keep a family revocation
            raise
        out = _token_out(issued)
        session.commit()
        return out


@router.post("/v1/auth/logout", status_code=204, response_class=Response,
             summary="End the session of a refresh token")
def logout(body: RefreshIn, session: SessionDep, clock: ClockDep) -> Response:
    """Revoke the refresh token's session (its access tokens too). Always 204."""
    auth.logout(session, body.refresh_token, clock())
    return Response(status_code=204)


@router.get("/v1/me", response_model=User, tags=["me"], summary="The signed-in user")
def me(actor: ActorDep, session: SessionDep) -> User:
    """Who is signed in."""
    user = session.get_one(orm.User, actor.user_id)
    return user_model(user)
