"""AppState: screens, resuming a saved session, signing out."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from proapp.api.errors import NetworkError
from proapp.api.ports import MarketplaceApi
from proapp.secrets import MemorySecretStore, refresh_token_name
from proapp.state.app_state import AppState, JobsScreen, SignInScreen
from proapp.state.jobs import Ready
from tests.unit.client.fakes import NOW, FakeMarketplaceClient, UnavailableSecretStore, make_job

T = TypeVar("T")
URL = "http://127.0.0.1:9999"
NAME = refresh_token_name(URL)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def build(
    secrets: Any = None, restore: bool = True
) -> tuple[AppState, list[FakeMarketplaceClient], Any]:
    clients: list[FakeMarketplaceClient] = []
    secrets = secrets if secrets is not None else MemorySecretStore()

    def factory(url: str) -> MarketplaceApi:
        client = FakeMarketplaceClient(url, jobs=[make_job("Fix sink")])
        # Tokens the "server" issued earlier are still valid for this new client.
        client.valid_refresh_tokens = {"saved-token"}
        clients.append(client)
        return client

    state = AppState(
        server_url=URL,
        server_editable=False,
        demo_accounts=(),
        client_factory=factory,
        secrets=secrets,
        restore_session=restore,
        clock=lambda: NOW,
    )
    return state, clients, secrets


def test_sign_in_then_jobs_then_sign_out() -> None:
    async def scenario() -> None:
        state, clients, secrets = build()
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        state.sign_in.set_email("tess@brightfix.example")
        state.sign_in.set_password("demo-tech-pass")
        await state.sign_in.submit()
        assert isinstance(state.screen, JobsScreen)
        assert isinstance(state.screen.state.view, Ready)
        assert state.screen.state.user_name == "Tess Rivera"
        assert await secrets.get(NAME) is not None

        await state.screen.state.sign_out()
        assert isinstance(state.screen, SignInScreen)
        assert clients[0].calls[-1] == "logout"
        assert clients[0].closed is True
        assert await secrets.get(NAME) is None
        assert state.sign_in.email == "tess@brightfix.example"  # kept for next time

    run(scenario())


def test_a_saved_session_is_resumed_without_the_form() -> None:
    async def scenario() -> None:
        state, clients, secrets = build(MemorySecretStore({NAME: "saved-token"}))
        await state.start()
        assert isinstance(state.screen, JobsScreen)
        assert clients[0].calls[0] == "refresh"

    run(scenario())


def test_an_expired_saved_session_is_forgotten() -> None:
    async def scenario() -> None:
        state, clients, secrets = build(MemorySecretStore({NAME: "expired"}))
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert await secrets.get(NAME) is None
        assert clients[0].closed is True

    run(scenario())


def test_an_unreachable_server_keeps_the_saved_session_and_says_why() -> None:
    async def scenario() -> None:
        state, clients, secrets = build(MemorySecretStore({NAME: "saved-token"}))
        real_factory = state._client_factory  # noqa: SLF001

        def failing(url: str) -> MarketplaceApi:
            client = real_factory(url)
            assert isinstance(client, FakeMarketplaceClient)
            client.refresh_error = NetworkError("Could not reach the server.")
            return client

        state._client_factory = failing  # noqa: SLF001
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert state.sign_in.error == "Could not reach the server."
        assert await secrets.get(NAME) == "saved-token"

    run(scenario())


def test_restore_off_ignores_a_saved_session() -> None:
    async def scenario() -> None:
        state, clients, _ = build(MemorySecretStore({NAME: "saved-token"}), restore=False)
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert clients == []

    run(scenario())


def test_no_keyring_means_no_resume_and_a_notice_after_sign_in() -> None:
    async def scenario() -> None:
        state, _, _ = build(UnavailableSecretStore())
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        state.sign_in.set_email("tess@brightfix.example")
        state.sign_in.set_password("demo-tech-pass")
        await state.sign_in.submit()
        assert isinstance(state.screen, JobsScreen)
        assert state.screen.notice == "no keyring"
        await state.sign_out()  # deleting fails quietly
        assert isinstance(state.screen, SignInScreen)

    run(scenario())


def test_sign_out_survives_an_unreachable_server() -> None:
    async def scenario() -> None:
        state, clients, _ = build()
        state.sign_in.set_email("tess@brightfix.example")
        state.sign_in.set_password("demo-tech-pass")
        await state.sign_in.submit()
        clients[0].logout_error = NetworkError("offline")
        await state.sign_out()
        assert isinstance(state.screen, SignInScreen)

    run(scenario())


def test_close_releases_the_client() -> None:
    async def scenario() -> None:
        state, clients, _ = build()
        state.sign_in.set_email("tess@brightfix.example")
        state.sign_in.set_password("demo-tech-pass")
        await state.sign_in.submit()
        await state.close()
        assert clients[0].closed is True

    run(scenario())
