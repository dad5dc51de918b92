"""Small tools the screen states share: owned background tasks, a coalescing reloader
(and `RepoWatcher`, the repository listener built on it), a ticker for live countdowns,
a draft writer and a debouncer for autosave, countdown texts, photo bytes.

No Flet here (import-linter ``sync-no-ui`` covers ``proapp.state``). Everything runs on
the event loop that calls the state (Flet's loop in the app, ``asyncio.run`` in tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from proapp.state.ports import ProRepository

__all__ = [
    "BackgroundTasks",
    "Debouncer",
    "DraftWriter",
    "Reloader",
    "RepoWatcher",
    "Ticker",
    "format_countdown",
    "format_span",
    "read_photo_bytes",
]

logger = logging.getLogger(__name__)

# Tasks that must outlive their screen (the last autosave after the pro navigated away).
# asyncio keeps only weak references to tasks, so without this set one could vanish.
_DETACHED: set[asyncio.Task[None]] = set()


class BackgroundTasks:
    """Tasks a screen state starts; `cancel_all` (from ``dispose``) stops them all."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` on the running loop; failures are logged, never lost silently."""
        task = _start(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel_all(self) -> None:
        """Cancel every task still running (safe to call twice)."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    @property
    def running(self) -> int:
        """How many tasks are still running (tests use it to check cleanup)."""
        return sum(1 for task in self._tasks if not task.done())


def _start(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    # The coroutine goes straight into the task (no wrapper coroutine): a task cancelled
    # before its first step then closes it cleanly instead of leaving a coroutine that
    # was "never awaited". Failures are logged by the done callback.
    task = asyncio.get_running_loop().create_task(coro)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        # A background refresh that fails must not go unnoticed.
        logger.error("screen background task failed", exc_info=task.exception())


class Reloader:
    """Re-reads a screen's data when the repository says something changed.

    Notifications come in bursts (a sync pulls many rows); one re-read runs at a time
    and a burst during it leads to exactly one more re-read, not one per notification.
    """

    def __init__(
        self, tasks: BackgroundTasks, reload: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        self._tasks = tasks
        self._reload = reload
        self._running = False
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        """Schedule a re-read (a repository listener: sync, returns at once)."""
        if self._running:
            self._again = True
            return
        self._running = True
        self._task = self._tasks.spawn(self._loop())

    async def settle(self) -> None:
        """Wait until no re-read is running or queued (a failed one is logged already)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def _loop(self) -> None:
        try:
            while True:
                self._again = False
                await self._reload()
                if not self._again:
                    return
        finally:
            self._running = False


class RepoWatcher:
    """Keeps a screen current: `watch` listens to the repository, and each burst of
    changes leads to one re-read (``reload``, async, coalesced by `Reloader`).

    Listeners are called on the event loop, often in bursts (a sync, every sync-status
    tick). The re-reads run as `tasks` the screen owns (a `Ticker` may share them);
    `stop`, from ``dispose``, cancels them and stops listening.
    """

    def __init__(self, reload: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.tasks = BackgroundTasks()
        self._reloader = Reloader(self.tasks, reload)
        self._unsubscribe: Callable[[], None] | None = None

    def watch(self, repo: ProRepository) -> bool:
        """Listen to ``repo`` (once; later calls do nothing). True on the first call."""
        if self._unsubscribe is not None:
            return False
        self._unsubscribe = repo.subscribe(self.changed)
        return True

    def changed(self) -> None:
        """A repository listener: schedule a re-read (ignored with no running loop,
        e.g. a notification sent from a test outside ``asyncio.run``)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._reloader.request()

    async def settle(self) -> None:
        """Wait for a pending re-read (tests, and callers that need fresh values)."""
        await self._reloader.settle()

    def stop(self) -> None:
        """Stop listening and cancel a running or queued re-read (the screen is going
        away; safe to call twice)."""
        self.tasks.cancel_all()
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()


class Ticker:
    """Calls ``on_tick`` every ``interval_s`` seconds while started (live countdowns)."""

    def __init__(
        self, tasks: BackgroundTasks, interval_s: float, on_tick: Callable[[], None]
    ) -> None:
        self._tasks = tasks
        self._interval_s = interval_s
        self._on_tick = on_tick
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """True while ticking."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start ticking (no-op if already ticking)."""
        if not self.active:
            self._task = self._tasks.spawn(self._run())

    def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self._on_tick()


class DraftWriter:
    """Saves one screen's draft at once on every edit, one save at a time: saves land in
    the order of the edits, so an older one never overwrites a newer one."""

    def __init__(self, repo: ProRepository, key: str, kind: str) -> None:
        self._repo = repo
        self.key = key
        self._kind = kind
        self._lock = asyncio.Lock()

    async def load(self) -> Mapping[str, Any] | None:
        """The saved draft, or None."""
        return await self._repo.load_draft(self.key)

    async def save(self, data: Mapping[str, Any]) -> None:
        """Store ``data`` as the draft."""
        async with self._lock:
            await self._repo.save_draft(self.key, self._kind, data)

    async def delete(self) -> None:
        """Forget the draft (its action was queued)."""
        await self._repo.delete_draft(self.key)


class Debouncer:
    """Runs ``action`` once, ``delay_s`` after the last `trigger` (autosave drafts).

    Runs never overlap (an older save landing after a newer one would win), and a new
    trigger never cancels a run already under way. `dispose` does not drop a pending
    run: the last keystrokes before the pro left the screen are still saved, in a task
    that outlives the screen.
    """

    def __init__(self, delay_s: float, action: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._delay_s = delay_s
        self._action = action
        self._timer: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[None] | None = None
        self._pending = False

    @property
    def pending(self) -> bool:
        """True when a run is scheduled but has not started."""
        return self._pending

    def trigger(self) -> None:
        """(Re)start the delay."""
        self._pending = True
        self._stop_timer()
        self._timer = _start(self._wait_then_run())

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _wait_then_run(self) -> None:
        await asyncio.sleep(self._delay_s)
        await self._run_now()

    async def _wait_inflight(self) -> None:
        # asyncio.wait: cancelling the waiter leaves the run going, and a failed run
        # (already logged) does not raise here.
        while self._inflight is not None:
            await asyncio.wait([self._inflight])

    async def _run_now(self) -> None:
        await self._wait_inflight()
        if not self._pending:
            return
        self._pending = False
        task = _start(self._action())
        self._inflight = task
        task.add_done_callback(self._finished)
        await asyncio.wait([task])

    def _finished(self, task: asyncio.Task[None]) -> None:
        if self._inflight is task:
            self._inflight = None

    async def flush(self) -> None:
        """Run a pending action now, and wait until no run is under way."""
        self._stop_timer()
        await self._run_now()
        await self._wait_inflight()

    async def cancel(self) -> None:
        """Drop a pending run and wait for one already running (before deleting a draft)."""
        self._pending = False
        self._stop_timer()
        await self._wait_inflight()

    def dispose(self) -> None:
        """Stop the timer; a pending run still happens, right away, detached."""
        self._stop_timer()
        if not self._pending:
            return
        self._pending = False
        try:
            task = _start(self._after(self._inflight))
        except RuntimeError:  # no running loop (a sync test tearing down): nothing to do
            return
        _DETACHED.add(task)
        task.add_done_callback(_DETACHED.discard)

    async def _after(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        await self._action()


def format_span(delta: timedelta) -> str:
    """A positive duration, short and rounded down: ``2 d 4 h``, ``5 h 20 min``, ``12 min``.

    Under a minute reads ``under 1 min`` (never "0 min", which looks like "now").
    """
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def format_countdown(due: datetime, now: datetime) -> str:
    """``in 5 h 20 min`` before ``due``, ``overdue by 2 h`` after it (both aware)."""
    if now < due:
        return f"in {format_span(due - now)}"
    return f"overdue by {format_span(now - due)}"


async def read_photo_bytes(repo: ProRepository, blob_hash: str) -> bytes | None:
    """The bytes of a stored photo for a thumbnail, or None while it is not downloaded.

    Bytes, not a path: in Flet web mode the browser cannot open a file path on the
    machine running Python, while ``ft.Image(src=bytes)`` works everywhere.
    """
    path = await repo.photo_file(blob_hash)
    if path is None:
        return None
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError:
        logger.warning("photo %s is listed but unreadable at %s", blob_hash, path)
        return None
