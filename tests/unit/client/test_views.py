"""Views render state into controls (no browser): ids present, state shown, events forwarded."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from proapp.api.ports import MarketplaceApi
from proapp.embedded import DemoAccount
from proapp.secrets import MemorySecretStore
from proapp.state.signin import SignInState
from proapp.views.signin import SignInView
from tests.unit.client.fakes import FakeMarketplaceClient
from tests.unit.views.control_tree import walk


def semantics(root: ft.BaseControl) -> dict[str, ft.Semantics]:
    return {c.identifier: c for c in walk(root) if isinstance(c, ft.Semantics) and c.identifier}


def signin_state(**kwargs: Any) -> SignInState:
    async def signed_in(*_args: Any) -> None:
        return None

    def factory(url: str) -> MarketplaceApi:
        return FakeMarketplaceClient(url)

    kwargs.setdefault("server_editable", False)

    return SignInState(
        client_factory=factory,
        secrets=MemorySecretStore(),
        on_signed_in=signed_in,
        server_url="http://127.0.0.1:9999",
        **kwargs,
    )


def test_signin_view_has_the_test_ids_and_shows_state() -> None:
    state = signin_state(
        demo_accounts=[DemoAccount("technician", "tess@brightfix.example", "demo-tech-pass")]
    )
    changes: list[int] = []
    view = SignInView(state, lambda: changes.append(1))
    ids = semantics(view.control)
    for needed in (
        "signin-email",
        "signin-password",
        "signin-submit",
        "signin-error",
        "signin-demo-tess",
        "signin-server-caption",
    ):
        assert needed in ids, needed
    assert ids["signin-error"].visible is False

    asyncio.run(state.submit())  # empty form: field messages, no request
    assert changes, "the view asks for an update when the state changes"
    email = next(c for c in walk(ids["signin-email"]) if isinstance(c, ft.TextField))
    assert email.error == "Type the email address you sign in with."

    state.error = "Wrong email or password."
    state.busy = True
    view.render()
    assert ids["signin-error"].visible is True
    texts = [c.value for c in walk(ids["signin-error"]) if isinstance(c, ft.Text)]
    assert "Wrong email or password." in texts
    submit = next(c for c in walk(ids["signin-submit"]) if isinstance(c, ft.FilledButton))
    assert submit.disabled is True


def test_signin_view_writes_back_only_values_the_state_changed() -> None:
    state = signin_state(
        demo_accounts=[DemoAccount("technician", "tess@brightfix.example", "demo-tech-pass")]
    )
    view = SignInView(state, lambda: None)
    ids = semantics(view.control)
    password = next(c for c in walk(ids["signin-password"]) if isinstance(c, ft.TextField))
    state.use_demo_account(state.demo_accounts[0])
    assert password.value == "demo-tech-pass"
    view.dispose()
    state.set_password("other")
    assert password.value == "demo-tech-pass"  # a disposed view no longer listens
