"""Countdown texts, the autosave debouncer and draft writer, the coalescing reloader and
the repository watcher built on it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from proapp.state.screen_support import (
    BackgroundTasks,
    Debouncer,
    DraftWriter,
    Reloader,
    RepoWatcher,
    format_countdown,
    format_span,
)
from tests.support.fake_repo import FIXED_NOW, FakeRepository


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=59), "under 1 min"),
        (timedelta(minutes=1, seconds=59), "1 min"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=5, minutes=20, seconds=59), "5 h 20 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
    ],
)
def test_format_span_rounds_down(delta: timedelta, text: str) -> None:
    assert format_span(delta) == text


def test_format_countdown_before_and_after() -> None:
    due = FIXED_NOW + timedelta(hours=2)
    assert format_countdown(due, FIXED_NOW) == "in 2 h"
    assert format_countdown(due, due) == "overdue by under 1 min"
    assert format_countdown(due, due + timedelta(minutes=75)) == "overdue by 1 h 15 min"


def test_debouncer_runs_once_after_a_burst_with_the_latest_value() -> None:
    async def scenario() -> None:
        seen: list[int] = []
        value = 0

        async def save() -> None:
            seen.append(value)

        debouncer = Debouncer(0.02, save)
        for value in range(1, 6):  # noqa: B007 - save() reads the loop variable
            debouncer.trigger()
            await asyncio.sleep(0.001)
        assert seen == []
        await asyncio.sleep(0.06)
        assert seen == [5]

    asyncio.run(scenario())


def test_debouncer_cancel_drops_the_pending_run_and_flush_runs_it_now() -> None:
    async def scenario() -> None:
        runs: list[str] = []

        async def save() -> None:
            runs.append("run")

        debouncer = Debouncer(0.02, save)
        debouncer.trigger()
        await debouncer.cancel()
        await asyncio.sleep(0.05)
        assert runs == []
        debouncer.trigger()
        await debouncer.flush()
        assert runs == ["run"]
        assert not debouncer.pending

    asyncio.run(scenario())


def test_debouncer_runs_never_overlap() -> None:
    async def scenario() -> None:
        active = 0
        overlaps = 0

        async def slow_save() -> None:
            nonlocal active, overlaps
            active += 1
            overlaps += active > 1
            await asyncio.sleep(0.02)
            active -= 1

        debouncer = Debouncer(0.001, slow_save)
        debouncer.trigger()
        await asyncio.sleep(0.005)  # first save under way
        debouncer.trigger()
        await asyncio.sleep(0.005)
        debouncer.dispose()  # a pending run still happens, after the one under way
        await asyncio.sleep(0.08)
        assert overlaps == 0

    asyncio.run(scenario())


def test_reloader_coalesces_a_burst() -> None:
    async def scenario() -> None:
        reads = 0
        gate = asyncio.Event()

        async def read() -> None:
            nonlocal reads
            reads += 1
            await gate.wait()

        tasks = BackgroundTasks()
        reloader = Reloader(tasks, read)
        reloader.request()
        await asyncio.sleep(0)  # the first read is under way
        for _ in range(9):
            reloader.request()
        gate.set()
        await asyncio.sleep(0.01)
        # One read for the first request, exactly one more for the nine during it.
        assert reads == 2
        assert tasks.running == 0

    asyncio.run(scenario())


def test_repo_watcher_listens_once_rereads_on_change_and_stop_unsubscribes() -> None:
    repo = FakeRepository()
    reads = 0

    async def reload() -> None:
        nonlocal reads
        reads += 1

    async def scenario() -> None:
        watcher = RepoWatcher(reload)
        assert watcher.watch(repo) is True
        assert watcher.watch(repo) is False  # a second load does not subscribe twice
        assert len(repo._listeners) == 1
        repo.notify()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert reads == 1
        watcher.stop()
        watcher.stop()  # safe twice
        assert repo._listeners == []
        assert watcher.tasks.running == 0

    asyncio.run(scenario())


def test_draft_writer_saves_loads_and_deletes_in_order() -> None:
    repo = FakeRepository()

    async def scenario() -> None:
        writer = DraftWriter(repo, "complete:job-1", "completion")
        assert await writer.load() is None
        await asyncio.gather(writer.save({"summary": "a"}), writer.save({"summary": "ab"}))
        draft = await writer.load()
        assert draft is not None and draft["summary"] == "ab"
        await writer.delete()
        assert await writer.load() is None

    asyncio.run(scenario())
