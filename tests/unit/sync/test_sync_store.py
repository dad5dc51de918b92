"""Store: transactions, threads and async, one store per account, owner-only files."""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from proapp.sync import BlobStore, Outbox, Store, StoreError, StoreRegistry, Transaction, data_dir
from proapp.sync.outbox import AsyncOutbox
from proapp.sync.paths import account_paths
from tests.unit.sync.factories import FakeClock, message_args


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a typical permissive umask must not leak through
    try:
        registry = StoreRegistry(tmp_path / "data")
        store = registry.open("5b0a7c0e-0a8e-4d7e-9c1e-3c7f0f1b2a3d")
        Outbox(store).enqueue(None, "message.send", message_args())
        photo = BlobStore(store).put(b"\xff\xd8 tiny jpeg", "image/jpeg")
        root = store.path.parent
        files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
        files.append(store.blob_dir / photo)
        for f in files:
            assert f.exists(), f
            assert mode(f) == 0o600, f
        for d in (tmp_path / "data", tmp_path / "data" / "accounts", root, store.blob_dir):
            assert mode(d) == 0o700, d
        registry.close_all()
    finally:
        os.umask(old_umask)


def test_existing_loose_permissions_are_tightened(tmp_path: Path) -> None:
    paths = account_paths("acct-1", tmp_path)
    paths.database.touch()
    paths.database.chmod(0o644)
    paths.root.chmod(0o755)
    Store(paths.database).close()
    assert mode(paths.database) == 0o600
    assert mode(paths.root) == 0o700


def test_data_dir_honours_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "custom"
    monkeypatch.setenv("PROAPP_DATA_DIR", str(target))
    assert data_dir() == target
    assert mode(target) == 0o700
    assert account_paths("acct").database == target / "accounts" / "acct" / "store.sqlite3"


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", ".hidden", "x" * 200])
def test_account_ids_must_be_plain(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        account_paths(bad, tmp_path)


def test_registry_shares_one_store_per_account(tmp_path: Path) -> None:
    registry = StoreRegistry(tmp_path)
    tab_one, tab_two = registry.open("acct-a"), registry.open("acct-a")
    other = registry.open("acct-b")
    assert tab_one is tab_two  # two Flet web tabs: one outbox
    assert other is not tab_one and other.path != tab_one.path
    assert other.client_id != tab_one.client_id
    registry.close("acct-a")
    with pytest.raises(StoreError):
        tab_one.connection()
    assert registry.open("acct-a") is not tab_one  # reopened after close
    registry.close_all()


def test_nested_transaction_rolls_back_only_the_inner_part(store: Store) -> None:
    with store.transaction() as outer:
        store.set_meta("a", "1", outer)
        with pytest.raises(KeyError), store.transaction():
            store.set_meta("b", "2")
            raise KeyError("inner fails")
        store.set_meta("c", "3")
    assert (store.get_meta("a"), store.get_meta("b"), store.get_meta("c")) == ("1", None, "3")


def test_transaction_cannot_be_used_after_its_block_or_elsewhere(store: Store) -> None:
    with store.transaction() as tx:
        seen: list[BaseException] = []

        def other_thread() -> None:
            try:
                tx.execute("SELECT 1")
            except StoreError as exc:
                seen.append(exc)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert len(seen) == 1
    with pytest.raises(StoreError):
        tx.execute("SELECT 1")


def test_readers_on_other_threads_see_only_committed_state(store: Store) -> None:
    seen: list[str | None] = []
    with store.transaction() as tx:
        store.set_meta("k", "uncommitted", tx)
        t = threading.Thread(target=lambda: seen.append(store.get_meta("k")))
        t.start()
        t.join(timeout=10)  # WAL: the reader does not wait for the writer
    assert seen == [None]
    assert store.get_meta("k") == "uncommitted"


def test_async_calls_run_in_order_on_one_worker_thread(store: Store, outbox: Outbox) -> None:
    threads: set[int] = set()

    def record(n: int) -> int:
        threads.add(threading.get_ident())
        return Outbox(store).enqueue(None, "message.send", message_args(f"#{n}")).mid

    async def main() -> tuple[list[int], int]:
        loop_thread = threading.get_ident()
        mids = await asyncio.gather(*(store.run(record, n) for n in range(10)))
        async_outbox = AsyncOutbox(outbox, store)
        entry = await async_outbox.enqueue("message.send", message_args())
        status = await async_outbox.status()
        assert status.pending == 11
        assert loop_thread not in threads
        return list(mids), entry.mid

    mids, last = asyncio.run(main())
    assert mids == list(range(1, 11))  # gathered calls ran in submission order
    assert last == 11
    assert len(threads) == 1


def test_store_exposes_clock_and_meta(store: Store, clock: FakeClock) -> None:
    store.set_meta("pull_cursor", "42")
    assert store.get_meta("pull_cursor") == "42"
    clock.advance(seconds=1)
    assert store.now_ms() % 1000 == 0 and store.clock() == clock.now


def test_data_dir_inside_a_built_flet_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROAPP_DATA_DIR")
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "sandbox"))
    assert data_dir() == tmp_path / "sandbox" / "ProApp"
    monkeypatch.delenv("FLET_APP_STORAGE_DATA")
    # Otherwise platformdirs (XDG_DATA_HOME points into the test's temp dir).
    assert data_dir() == Path(os.environ["XDG_DATA_HOME"]) / "ProApp"


def test_async_action_is_one_transaction(store: Store, outbox: Outbox) -> None:
    def start_job(tx: Transaction, job_id: str) -> int:
        entry = outbox.enqueue(tx, "job.start", {"job_id": job_id})
        store.cache.put_overlay(tx, "job", job_id, {"status": "IN_PROGRESS"}, entry.mid)
        if job_id.startswith("0"):
            raise RuntimeError("fails after both writes")
        return entry.mid

    async def main() -> int:
        with pytest.raises(RuntimeError):
            await store.run_transaction(start_job, "00000000-0000-4000-8000-000000000000")
        return await store.run_transaction(start_job, "10000000-0000-4000-8000-000000000000")

    assert asyncio.run(main()) == 1  # the failed action left no row and no gap
    assert store.cache.get("job", "00000000-0000-4000-8000-000000000000") is None
    assert store.cache.get("job", "10000000-0000-4000-8000-000000000000") is not None


def test_a_finished_threads_connection_is_closed(store: Store) -> None:
    before = store.open_connections
    t = threading.Thread(target=lambda: store.get_meta("client_id"))
    t.start()
    t.join()
    gc.collect()
    assert store.open_connections == before


def test_sqlite_failures_surface_as_store_errors_and_roll_back(store: Store) -> None:
    with pytest.raises(StoreError) as failed, store.transaction() as tx:
        store.set_meta("written", "yes", tx)
        tx.execute("INSERT INTO no_such_table VALUES (1)")
    assert isinstance(failed.value.__cause__, sqlite3.OperationalError)
    assert store.get_meta("written") is None
