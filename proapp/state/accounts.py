"""The process's signed-in accounts: one store, sync engine and repository per account.

DESIGN.md section 3: the store and the sync engine belong to the app process and the
account, not to a page. In Flet web mode every browser tab is a page in the same
process; two tabs of one account must share one outbox, so `AccountHub` hands every
page of an account the same `ActiveAccount`, and stops its engine when the last page
lets go (queued work stays in the store and goes out after the next sign-in).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from proapp.api.ports import MarketplaceApi, SyncApi
from proapp.domain.models import User
from proapp.secrets import SecretStore
from proapp.state.ports import ProRepository
from proapp.sync.engine import SyncEngine
from proapp.sync.paths import data_dir
from proapp.sync.repository import LocalRepository
from proapp.sync.session import (
    AccountRecord,
    PendingWorkSummary,
    SignOutRefusedError,
    list_accounts,
    sign_out,
    write_account,
)
from proapp.sync.store import Store, StoreRegistry

__all__ = ["AccountHub", "ActiveAccount", "EngineFactory", "RepoFactory"]

logger = logging.getLogger(__name__)

EngineFactory = Callable[[Store, MarketplaceApi], SyncEngine]
RepoFactory = Callable[[Store, SyncEngine, User], ProRepository]

STOP_TIMEOUT_S = 10.0
"""How long a stopping engine may take to finish its current request."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _default_engine(store: Store, client: MarketplaceApi) -> SyncEngine:
    # The real client (`MarketplaceClient`) implements both ports; the protocols are
    # kept apart so screens never see push/pull.
    return SyncEngine(store, cast(SyncApi, client))


def _default_repo(store: Store, engine: SyncEngine, user: User) -> ProRepository:
    return LocalRepository(store, engine, user)


def _close_repo(repo: ProRepository) -> None:
    # `LocalRepository.close` stops forwarding engine status; fakes may not have it.
    close = getattr(repo, "close", None)
    if callable(close):
        close()


@dataclass(eq=False)
class ActiveAccount:
    """An account signed in on this process, shared by all its pages."""

    record: AccountRecord
    store: Store
    engine: SyncEngine
    repo: ProRepository
    client: MarketplaceApi
    task: asyncio.Task[None] | None = None
    pages: int = 0
    ended: list[Callable[[], None]] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        """The account's id (the user id)."""
        return self.record.account_id


class AccountHub:
    """Opens, shares and closes accounts (see the module docstring).

    Args:
        registry: the process's stores (one `Store` per account).
        base: the data folder (default `proapp.sync.paths.data_dir`, read when needed so
            ``PROAPP_DATA_DIR`` set by tests applies).
        engine_factory, repo_factory: build the engine and repository (tests pass fakes).
        clock: UTC "now" for account records.
    """

    def __init__(
        self,
        registry: StoreRegistry | None = None,
        *,
        base: Path | None = None,
        engine_factory: EngineFactory = _default_engine,
        repo_factory: RepoFactory = _default_repo,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._base = base
        self._registry = registry or StoreRegistry(base)
        self._engine_factory = engine_factory
        self._repo_factory = repo_factory
        self._clock = clock
        self._active: dict[str, ActiveAccount] = {}
        self._lock = asyncio.Lock()

    @property
    def base(self) -> Path:
        """The app's data folder."""
        return self._base if self._base is not None else data_dir()

    def account_folder(self, account_id: str) -> Path:
        """Where an account's data lives (shown in settings)."""
        return self.base / "accounts" / account_id

    async def last_account(self, server_url: str) -> AccountRecord | None:
        """The account that signed in to ``server_url`` most recently on this device."""
        records = await asyncio.to_thread(list_accounts, self.base)
        return next((r for r in records if r.server_url == server_url), None)

    def active(self, account_id: str) -> ActiveAccount | None:
        """The running account, if any page has it open."""
        return self._active.get(account_id)

    def active_on(self, server_url: str) -> ActiveAccount | None:
        """An account of ``server_url`` that another page has open with a live session
        (a new tab joins it instead of refreshing the saved token again: refresh tokens
        rotate, so two tabs refreshing the same one would sign each other out)."""
        for account in self._active.values():
            if account.record.server_url == server_url and account.client.session is not None:
                return account
        return None

    async def attach(
        self, client: MarketplaceApi, user: User, server_url: str, *, record_sign_in: bool = True
    ) -> ActiveAccount:
        """Give a page the account of ``user``, opening it if no page has it yet.

        A new sign-in writes the account record (``account.json``); an offline start
        (``record_sign_in=False``) leaves it as it was. If the account is already open
        in another page, its engine keeps its client unless that session ended, in
        which case it switches to ``client`` and resumes at once.
        """
        async with self._lock:
            account = self._active.get(user.id)
            if account is None:
                record = AccountRecord.for_user(server_url, user, self._clock())
                if record_sign_in:
                    await asyncio.to_thread(write_account, record, self._base)
                store = await asyncio.to_thread(self._registry.open, user.id)
                engine = self._engine_factory(store, client)
                repo = self._repo_factory(store, engine, user)
                account = ActiveAccount(record, store, engine, repo, client)
                account.task = asyncio.get_running_loop().create_task(
                    engine.run_forever(), name=f"sync-{user.id}"
                )
                self._active[user.id] = account
            elif client is not account.client:
                if account.client.session is None or account.engine.status.value.signed_out:
                    old, account.client = account.client, client
                    account.engine.set_api(cast(SyncApi, client))
                    await old.aclose()
                else:
                    await client.aclose()  # the running session serves this page too
            account.pages += 1
            return account

    async def release(self, account: ActiveAccount) -> None:
        """A page let go (closed, or went back to sign in). The last one stops the
        engine and closes the store; queued work stays on disk."""
        async with self._lock:
            account.pages -= 1
            if account.pages > 0 or self._active.get(account.account_id) is not account:
                return
            del self._active[account.account_id]
        await self._stop(account)
        _close_repo(account.repo)
        await account.client.aclose()
        self._registry.close(account.account_id)

    async def sign_out(
        self, account: ActiveAccount, secrets: SecretStore, *, discard: bool
    ) -> PendingWorkSummary:
        """Sign the account out of this device and wipe its data (guarded: raises
        `SignOutRefusedError` while work is queued unless ``discard``). Every page of
        the account is told (``ended`` listeners) and goes back to sign in."""
        summary = await account.engine.pending_work_summary()
        if summary.has_work and not discard:
            raise SignOutRefusedError(summary)
        async with self._lock:
            await self._stop(account, close=False)
            try:
                result = await sign_out(
                    store=account.store,
                    secrets=secrets,
                    server_url=account.record.server_url,
                    discard_queued=discard,
                    logout=account.client.logout,
                    close_store=lambda: self._registry.close(account.account_id),
                )
            except SignOutRefusedError:
                # Another tab queued work between the check and now: keep running.
                self._start(account)
                raise
            self._active.pop(account.account_id, None)
        account.engine.close()
        _close_repo(account.repo)
        await account.client.aclose()
        for listener in list(account.ended):
            try:
                listener()
            except Exception:
                logger.exception("a page did not take the sign-out well")
        return result

    async def close_all(self) -> None:
        """Stop every engine and close every store (the process is ending)."""
        async with self._lock:
            accounts, self._active = list(self._active.values()), {}
        for account in accounts:
            await self._stop(account)
            _close_repo(account.repo)
            await account.client.aclose()
        self._registry.close_all()

    def _start(self, account: ActiveAccount) -> None:
        account.task = asyncio.get_running_loop().create_task(account.engine.run_forever())

    @staticmethod
    async def _stop(account: ActiveAccount, *, close: bool = True) -> None:
        task, account.task = account.task, None
        account.engine.stop()
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT_S)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            except Exception:
                logger.exception("the sync engine ended with an error")
        if close:
            account.engine.close()
