"""AppState with the real wiring below it: sign in or resume opens the account's store,
a running SyncEngine and the LocalRepository, and shows the shell; offline start;
the guarded sign-out; two pages sharing one account.

The server is `FakeSyncServer` (docs/SYNC.md in memory) behind the real
`MarketplaceClient` through httpx.MockTransport, so no socket is opened.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from proapp.app import make_client_factory, make_resume_factory
from proapp.secrets import MemorySecretStore, SecretStore, refresh_token_name
from proapp.state.accounts import AccountHub
from proapp.state.app_state import (
    OFFLINE_START_NOTICE,
    AppState,
    ShellScreen,
    SignInScreen,
)
from proapp.state.ports import Route
from proapp.state.settings import SettingsState
from proapp.sync.connectivity import Connectivity
from proapp.sync.outbox import Outbox
from proapp.sync.repository import LocalRepository
from proapp.sync.session import SignOutRefusedError
from proapp.sync.store import StoreRegistry
from tests.unit.client.fakes import UnavailableSecretStore
from tests.unit.sync_engine.fake_server import (
    BASE_URL,
    PASSWORD,
    USER,
    FakeSyncServer,
    Fault,
    FaultPlan,
)

NAME = refresh_token_name(BASE_URL)


class Network(FaultPlan):
    """The phone's connection: ``down`` loses every request before the server."""

    def __init__(self) -> None:
        self.down = False

    def fault_for(self, request: httpx.Request) -> Fault | None:
        del request
        return Fault.LOST_REQUEST if self.down else None


class World:
    """One process: a fake server, a network switch, secrets and an account hub."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.network = Network()
        self.server = FakeSyncServer(self.network)
        self.secrets: SecretStore = MemorySecretStore()
        self.hub = AccountHub(StoreRegistry(base), base=base)
        self.pages: list[AppState] = []

    def page(self, *, restore: bool = True) -> AppState:
        transport = self.server.transport()
        state = AppState(
            server_url=BASE_URL,
            server_editable=False,
            demo_accounts=(),
            client_factory=make_client_factory(self.secrets, transport=transport),
            resume_factory=make_resume_factory(self.secrets, transport=transport),
            secrets=self.secrets,
            hub=self.hub,
            restore_session=restore,
        )
        self.pages.append(state)
        return state

    async def close(self) -> None:
        for page in self.pages:
            await page.close()
        await self.hub.close_all()


def run(tmp_path: Path, scenario: Callable[[World], Coroutine[Any, Any, None]]) -> None:
    async def main() -> None:
        world = World(tmp_path)
        try:
            await scenario(world)
        finally:
            await world.close()

    asyncio.run(main())


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def sign_in(state: AppState) -> ShellScreen:
    state.sign_in.set_email(str(USER["email"]))
    state.sign_in.set_password(PASSWORD)
    assert await state.sign_in.submit(), state.sign_in.error
    assert isinstance(state.screen, ShellScreen)
    return state.screen


def test_sign_in_opens_the_account_and_runs_sync(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        state = world.page()
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        screen = await sign_in(state)
        account = state.account
        assert account is not None
        assert isinstance(account.repo, LocalRepository)
        assert screen.shell.repo is account.repo
        record = json.loads((tmp_path / "accounts" / USER["id"] / "account.json").read_text())
        assert record["email"] == USER["email"] and record["server_url"] == BASE_URL
        # The engine runs: its first round pulls from the server.
        await until(lambda: account.engine.status.value.last_success_at is not None)
        assert ("GET", "/v1/sync/pull") in world.server.requests
        assert screen.settings.account.email == USER["email"]
        assert screen.settings.account.data_folder.endswith(f"accounts/{USER['id']}")
        assert await world.secrets.get(NAME)

    run(tmp_path, scenario)


def test_a_saved_session_resumes_into_the_shell(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        first = world.page()
        await sign_in(first)
        await first.close()  # the app was closed; the session stays saved
        second = world.page()
        await second.start()
        assert isinstance(second.screen, ShellScreen)
        assert world.server.refreshes == 1

    run(tmp_path, scenario)


def test_offline_start_opens_the_stored_work_and_syncs_when_back(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        first = world.page()
        await sign_in(first)
        await first.close()

        world.network.down = True
        state = world.page()
        await state.start()
        assert isinstance(state.screen, ShellScreen), "never locked out of stored work"
        shell = state.screen.shell
        assert shell.take_notice() == OFFLINE_START_NOTICE
        assert state.screen.settings.account.name == USER["name"]
        account = state.account
        assert account is not None
        await until(lambda: account.engine.status.value.connectivity is Connectivity.OFFLINE)
        await until(lambda: shell.banner is not None and shell.banner.kind == "offline")

        saved_before = await world.secrets.get(NAME)
        world.network.down = False
        shell.sync_now()
        # The placeholder access token is refused; the client refreshes and syncs.
        await until(lambda: account.engine.status.value.connectivity is Connectivity.ONLINE)
        await until(lambda: account.engine.status.value.last_success_at is not None)
        assert world.server.refreshes == 1
        assert shell.banner is None
        saved_after = await world.secrets.get(NAME)
        assert saved_after and saved_after != saved_before, "the rotated token is saved"

    run(tmp_path, scenario)


def test_offline_start_without_stored_account_stays_on_sign_in(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        await world.secrets.set(NAME, "r-some-token")
        world.network.down = True
        state = world.page()
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert state.sign_in.error and "Could not reach" in state.sign_in.error
        assert await world.secrets.get(NAME) == "r-some-token"

    run(tmp_path, scenario)


def test_a_revoked_session_goes_to_sign_in_and_is_forgotten(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        first = world.page()
        await sign_in(first)
        await first.close()
        world.server.revoke_all()
        state = world.page()
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert await world.secrets.get(NAME) is None
        # The account's data stays on disk for the next sign-in.
        assert (tmp_path / "accounts" / USER["id"] / "store.sqlite3").exists()

    run(tmp_path, scenario)


def test_sign_out_is_refused_while_work_is_queued_then_discards_explicitly(
    tmp_path: Path,
) -> None:
    async def scenario(world: World) -> None:
        state = world.page()
        screen = await sign_in(state)
        account = state.account
        assert account is not None
        await until(lambda: account.engine.status.value.last_success_at is not None)
        world.network.down = True  # so the queued action stays queued
        job_id = str(uuid.uuid4())
        await account.store.run(
            Outbox(account.store).enqueue, None, "job.start", {"job_id": job_id}
        )

        with pytest.raises(SignOutRefusedError) as refused:
            await state.sign_out()
        assert refused.value.summary.unsent == 1
        assert isinstance(state.screen, ShellScreen)

        # Through the settings screen: refusal -> confirm -> explicit discard.
        settings = SettingsState(screen.shell.context, Route("settings"), screen.settings)
        await settings.sign_out()
        assert settings.confirm is not None and settings.confirm.lost == 1
        await settings.sign_out_and_discard()
        assert isinstance(state.screen, SignInScreen)
        assert not (tmp_path / "accounts" / USER["id"]).exists(), "wiped"
        assert await world.secrets.get(NAME) is None
        assert account.task is None

    run(tmp_path, scenario)


def test_two_pages_share_one_account_and_sign_out_together(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        one, two = world.page(), world.page()
        await sign_in(one)
        await sign_in(two)
        assert one.account is two.account, "one store, one engine, one outbox"
        account = one.account
        assert account is not None and account.pages == 2
        await until(lambda: account.engine.status.value.last_success_at is not None)
        await one.sign_out()
        assert isinstance(one.screen, SignInScreen)
        assert isinstance(two.screen, SignInScreen)

    run(tmp_path, scenario)


def test_closing_the_last_page_stops_the_engine(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        state = world.page()
        await sign_in(state)
        account = state.account
        assert account is not None
        task = account.task
        assert task is not None and not task.done()
        await state.close()
        assert task.done()
        assert world.hub.active(account.account_id) is None
        assert await world.secrets.get(NAME), "closing is not signing out"

    run(tmp_path, scenario)


def test_theme_choice_is_remembered_for_the_account(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        state = world.page()
        await sign_in(state)
        state.set_theme("dark")
        await asyncio.sleep(0.05)
        await state.close()
        again = world.page()
        await again.start()
        assert isinstance(again.screen, ShellScreen)
        assert again.theme_mode == "dark"

    run(tmp_path, scenario)


def test_restore_off_ignores_a_saved_session(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        await world.secrets.set(NAME, "r-saved")
        state = world.page(restore=False)
        await state.start()
        assert isinstance(state.screen, SignInScreen)
        assert world.server.requests == []

    run(tmp_path, scenario)


def test_no_keyring_still_signs_in_and_says_it_cannot_remember(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        world.secrets = UnavailableSecretStore()
        state = world.page()
        await state.start()
        screen = await sign_in(state)
        assert screen.shell.take_notice() == "no keyring"
        await state.sign_out()  # deleting the (missing) token fails quietly
        assert isinstance(state.screen, SignInScreen)

    run(tmp_path, scenario)


def test_sign_out_with_nothing_queued_works_offline(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        state = world.page()
        await sign_in(state)
        account = state.account
        assert account is not None
        await until(lambda: account.engine.status.value.last_success_at is not None)
        world.network.down = True
        await state.sign_out()
        assert isinstance(state.screen, SignInScreen)
        assert await world.secrets.get(NAME) is None
        assert state.sign_in.email == USER["email"], "kept for next time"

    run(tmp_path, scenario)


def test_a_new_tab_joins_the_running_session_without_refreshing(tmp_path: Path) -> None:
    async def scenario(world: World) -> None:
        first = world.page()
        await sign_in(first)
        second = world.page()
        await second.start()
        assert isinstance(second.screen, ShellScreen)
        assert second.account is first.account
        # Refresh tokens rotate: a second refresh of the saved token would have killed
        # the first tab's session.
        assert world.server.refreshes == 0

    run(tmp_path, scenario)
