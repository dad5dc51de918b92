"""The page's root: shows the view of `AppState.screen` and swaps it on navigation."""

from __future__ import annotations

import contextlib

import flet as ft

from proapp.state.app_state import AppState, ShellScreen, SignInScreen, Starting
from proapp.views.shell import ShellView
from proapp.views.signin import SignInView

__all__ = ["RootView"]

_THEME_MODES = {
    "system": ft.ThemeMode.SYSTEM,
    "light": ft.ThemeMode.LIGHT,
    "dark": ft.ThemeMode.DARK,
}


class RootView:
    """Owns the page's content. One per page; `dispose` when the page goes away."""

    def __init__(self, page: ft.Page, state: AppState) -> None:
        self._page = page
        self._state = state
        self._current: object | None = None  # the screen object currently shown
        self._view: SignInView | ShellView | None = None
        self._theme = state.theme_mode
        self._unsubscribe = state.subscribe(self._screen_changed)
        page.on_resize = self._resized

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
        changed = False
        if self._state.theme_mode != self._theme:
            self._theme = self._state.theme_mode
            self._page.theme_mode = _THEME_MODES.get(self._theme, ft.ThemeMode.SYSTEM)
            changed = True
        if self._state.screen is not self._current:
            self._show()
            changed = True
        if changed:
            self._refresh()

    def _refresh(self) -> None:
        # A state change can arrive after the browser tab closed; nothing to draw then.
        with contextlib.suppress(RuntimeError):
            self._page.update()

    async def _resized(self, e: ft.PageResizeEvent) -> None:
        if isinstance(self._view, ShellView):
            self._view.resized(e.width)

    def _show(self) -> None:
        screen = self._state.screen
        self._current = screen
        if self._view is not None:
            self._view.dispose()
            self._view = None
        self._page.navigation_bar = None
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
        elif isinstance(screen, ShellScreen):
            shell = ShellView(self._page, screen)
            self._view = shell
            shell.attach()
