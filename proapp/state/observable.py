"""A minimal change-notification mechanism for screen state (no Flet import).

Views subscribe a listener and re-render when it is called; the state calls
`Observable._notify` after each change. Listeners run synchronously on the caller's
thread (Flet's event loop), so they must be quick: render, then ``update()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["Listener", "Observable"]

logger = logging.getLogger(__name__)

Listener = Callable[[], None]


class Observable:
    """Base class of screen states: `subscribe` a listener, get called on every change."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener()`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        # Copy: a listener may unsubscribe itself (e.g. a view that is being replaced).
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                # One broken view (e.g. its browser tab just closed) must not stop the
                # state from reaching the other listeners, nor fail the state change.
                logger.exception("state listener failed")
