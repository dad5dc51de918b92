"""SignInState with a FakeMarketplaceClient and MemorySecretStore."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from proapp.api.errors import NetworkError, RateLimitedError
from proapp.api.models import Session
from proapp.api.ports import MarketplaceApi
from proapp.embedded import DemoAccount
from proapp.secrets import MemorySecretStore, SecretStore, refresh_token_name
from proapp.state.signin import SignInState
from tests.unit.client.fakes import FakeMarketplaceClient, UnavailableSecretStore

T = TypeVar("T")
URL = "http://127.0.0.1:9999"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Harness:
    def __init__(self, secrets: SecretStore | None = None, **state_kwargs: Any) -> None:
        self.client = FakeMarketplaceClient(URL)
        self.secrets = secrets or MemorySecretStore()
        self.built_for: list[str] = []
        self.signed_in: list[tuple[MarketplaceApi, Session]] = []
        self.renders = 0

        def factory(url: str) -> MarketplaceApi:
            self.built_for.append(url)
            return self.client

        async def on_signed_in(client: MarketplaceApi, session: Session) -> None:
            self.signed_in.append((client, session))

        self.state = SignInState(
            client_factory=factory,
            secrets=self.secrets,
            on_signed_in=on_signed_in,
            server_url=state_kwargs.pop("server_url", URL),
            **state_kwargs,
        )
        self.state.subscribe(self._render)

    def _render(self) -> None:
        self.renders += 1

    def fill(self, email: str = "tess@brightfix.example", password: str = "demo-tech-pass") -> None:
        self.state.set_email(email)
        self.state.set_password(password)


def test_success_stores_the_refresh_token_and_hands_over_the_client() -> None:
    h = Harness()
    h.fill()
    assert run(h.state.submit()) is True
    assert h.built_for == [URL]
    assert len(h.signed_in) == 1
    client, session = h.signed_in[0]
    assert client is h.client
    stored = run(h.secrets.get(refresh_token_name(URL)))
    assert stored == session.refresh_token
    assert h.state.password == ""  # not kept in memory longer than needed
    assert h.state.error is None
    assert h.state.busy is False


def test_wrong_password_shows_the_message_keeps_the_email_and_clears_the_password() -> None:
    h = Harness()
    h.fill(password="wrong")
    assert run(h.state.submit()) is False
    assert h.state.error == "Wrong email or password. Check them and try again."
    assert h.state.email == "tess@brightfix.example"
    assert h.state.password == ""
    assert h.signed_in == []
    assert h.client.closed is True
    assert isinstance(h.secrets, MemorySecretStore)
    assert h.secrets.names() == []


def test_empty_fields_get_plain_messages_and_nothing_is_sent() -> None:
    h = Harness()
    assert run(h.state.submit()) is False
    assert h.state.email_error == "Type the email address you sign in with."
    assert h.state.password_error == "Type your password."
    assert h.client.calls == []
    assert h.renders >= 1  # the view hears about the messages


def test_a_malformed_email_is_explained() -> None:
    h = Harness()
    h.fill(email="tess at brightfix")
    run(h.state.submit())
    assert h.state.email_error is not None
    assert "not an email address" in h.state.email_error
    assert h.client.calls == []


def test_typing_clears_that_fields_message() -> None:
    h = Harness()
    run(h.state.submit())
    h.state.set_email("t")
    assert h.state.email_error is None
    assert h.state.password_error == "Type your password."


def test_an_insecure_server_address_is_refused_before_any_request() -> None:
    h = Harness(server_url="http://pros.example.com", server_editable=True)
    h.fill()
    assert run(h.state.submit()) is False
    assert h.state.server_url_error is not None
    assert "https://" in h.state.server_url_error
    assert h.built_for == []


def test_the_server_url_is_normalised_before_use() -> None:
    h = Harness(server_url=" http://127.0.0.1:9999/ ", server_editable=True)
    h.fill()
    run(h.state.submit())
    assert h.built_for == [URL]


def test_network_and_rate_limit_failures_show_their_messages() -> None:
    for exc in (NetworkError("Could not reach the server."), RateLimitedError("Wait a minute.")):
        h = Harness()
        h.client.login_error = exc
        h.fill()
        run(h.state.submit())
        assert h.state.error == exc.message
        assert h.state.busy is False


def test_no_keyring_still_signs_in_with_a_notice() -> None:
    h = Harness(secrets=UnavailableSecretStore())
    h.fill()
    assert run(h.state.submit()) is True
    assert h.state.notice == "no keyring"
    assert len(h.signed_in) == 1


def test_busy_while_signing_in_and_a_second_tap_does_nothing() -> None:
    async def scenario() -> None:
        h = Harness()
        h.client.login_gate = asyncio.Event()
        h.fill()
        first = asyncio.create_task(h.state.submit())
        await asyncio.sleep(0)
        assert h.state.busy is True
        assert await h.state.submit() is False  # double tap
        h.client.login_gate.set()
        assert await first is True
        assert h.client.calls == ["login tess@brightfix.example"]
        assert h.state.busy is False

    run(scenario())


def test_demo_accounts_show_only_for_the_demo_and_fill_the_form() -> None:
    accounts = [
        DemoAccount("owner", "owner@brightfix.example", "demo-owner-pass"),
        DemoAccount("customer", "alice@customer.example", "demo-customer-pass"),
        DemoAccount("technician", "tess@brightfix.example", "demo-tech-pass", "Tess Rivera"),
    ]
    h = Harness(demo_accounts=accounts)
    assert h.state.is_demo is True
    # The pro app offers pro accounts only, technicians (its main users) first.
    assert [a.role for a in h.state.demo_accounts] == ["technician", "owner"]
    h.state.use_demo_account(h.state.demo_accounts[0])
    assert (h.state.email, h.state.password) == ("tess@brightfix.example", "demo-tech-pass")
    assert run(h.state.submit()) is True
    assert Harness().state.is_demo is False
