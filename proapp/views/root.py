"""The page's root: shows the view of `AppState.screen` and swaps it on navigation."""

from __future__ import annotations

import contextlib

import flet as ft

from proapp.state.app_state import AppState, JobsScreen, SignInScreen, Starting
from proapp.views.jobs import JobsView
from proapp.views.signin import SignInView

__all__ = ["RootView"]


class RootView:
    """Owns the page's content. One per page; `dispose` when the page goes away."""

    def __init__(self, page: ft.Page, state: AppState) -> None:
        self._page = page
        self._state = state
        self._current: object | None = None  # the screen object currently shown
        self._view: SignInView | JobsView | None = None
        self._unsubscribe = state.subscribe(self._screen_changed)

    def mount(self) -> None:
        """Show the current screen (call once, after the page is set up)."""
        self._show()
        self._page.update()

    def dispose(self) -> None:
        """Stop listening to all state."""
        self._unsubscribe()
        if self._view is not None:
            self._view.dispose()
            self._view = None

    def _screen_changed(self) -> None:
        if self._state.screen is not self._current:
            self._show()
            self._refresh()

    def _refresh(self) -> None:
        # A state change can arrive after the browser tab closed; nothing to draw then.
        with contextlib.suppress(RuntimeError):
            self._page.update()

    def _show(self) -> None:
        screen = self._state.screen
        self._current = screen
        if self._view is not None:
            self._view.dispose()
            self._view = None
        if isinstance(screen, Starting):
            self._page.appbar = None
            self._page.controls = [
                ft.Container(
                    expand=True,
                    alignment=ft.Alignment.CENTER,
                    content=ft.Semantics(
                        identifier="app-starting",
                        label="Signing you in",
                        content=ft.ProgressRing(),
                    ),
                )
            ]
        elif isinstance(screen, SignInScreen):
            signin = SignInView(screen.state, self._refresh)
            self._view = signin
            self._page.appbar = None
            self._page.controls = [signin.control]
        elif isinstance(screen, JobsScreen):
            jobs = JobsView(screen.state, self._refresh)
            self._view = jobs
            self._page.appbar = jobs.appbar
            self._page.controls = [jobs.control]
            if screen.notice:
                self._page.show_dialog(
                    ft.SnackBar(ft.Text(screen.notice), duration=ft.Duration(seconds=10))
                )
