"""The one way a screen view follows its state (the screen pattern of the brief)."""

from __future__ import annotations

from collections.abc import Callable

from proapp.state.observable import Observable

__all__ = ["StateView"]


class StateView:
    """Base of the screen views: re-render after every change of the state, then let the
    shell update the page (``refresh``, which does ``page.update()``); `dispose` stops
    listening. Subclasses build their controls, call `_follow` last in ``__init__`` and
    implement `render`.
    """

    _refresh: Callable[[], None]
    _unsubscribe: Callable[[], None]

    def _follow(self, state: Observable, refresh: Callable[[], None]) -> None:
        """Render now, and again after every change of ``state``."""
        self._refresh = refresh
        self._unsubscribe = state.subscribe(self._changed)
        self.render()

    def render(self) -> None:
        """Copy the state into the controls (the caller updates the page)."""
        raise NotImplementedError

    def _changed(self) -> None:
        self.render()
        self._refresh()

    def dispose(self) -> None:
        """Stop listening to the state (the shell disposes the state itself)."""
        self._unsubscribe()
