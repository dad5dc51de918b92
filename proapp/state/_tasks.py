"""Re-reading a screen's data when the repository says something changed.

Repository listeners are plain callbacks (`proapp.state.ports.ChangesListener`) called on
the event loop, often in bursts (a sync, every sync-status tick). `RepoWatcher` turns
them into at most one running re-read plus one queued (`screen_support.Reloader`), as
tasks the screen owns and cancels on ``dispose``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from proapp.state.screen_support import BackgroundTasks, Reloader

__all__ = ["RepoWatcher"]


class RepoWatcher:
    """Calls ``reload`` (async) after repository changes, coalesced; `stop` cancels."""

    def __init__(self, reload: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks = BackgroundTasks()
        self._reloader = Reloader(self._tasks, reload)

    def changed(self) -> None:
        """A repository listener: schedule a re-read (ignored with no running loop,
        e.g. a notification sent from a test outside ``asyncio.run``)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._reloader.request()

    def stop(self) -> None:
        """Cancel a running or queued re-read (the screen is going away)."""
        self._tasks.cancel_all()
