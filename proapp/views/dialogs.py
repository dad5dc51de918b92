"""A modal "are you sure?" for a destructive action, open while the state asks.

The state owns the question (e.g. ``SettingsState.confirm``); the view calls
`ConfirmDialog.show` while it is set and `hide` once it is answered, on every render.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import flet as ft

__all__ = ["ConfirmDialog", "page_of"]


def page_of(control: ft.Control) -> ft.Page | None:
    """The page ``control`` is on, or None before it is mounted (or after)."""
    try:
        page = control.page
    except RuntimeError:  # not on a page (yet)
        return None
    return page if isinstance(page, ft.Page) else None


class ConfirmDialog:
    """One confirmation dialog shown over the page of ``host`` (the view's control)."""

    def __init__(self, host: ft.Control) -> None:
        self._host = host
        self._dialog: ft.AlertDialog | None = None

    def show(
        self,
        *,
        title: str,
        content: ft.Control,
        cancel: tuple[str, str, Callable[[], Awaitable[None]]],
        confirm: tuple[str, str, Callable[[], Awaitable[None]]],
    ) -> None:
        """Open the dialog unless it is open already. ``cancel`` and ``confirm`` are
        (Semantics identifier, button text, handler); confirm is the red button."""
        page = page_of(self._host)
        if page is None or self._dialog is not None:
            return
        cancel_id, cancel_text, on_cancel = cancel
        confirm_id, confirm_text, on_confirm = confirm
        self._dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(title),
            content=content,
            actions=[
                ft.Semantics(
                    identifier=cancel_id,
                    button=True,
                    content=ft.TextButton(cancel_text, on_click=on_cancel),
                ),
                ft.Semantics(
                    identifier=confirm_id,
                    button=True,
                    content=ft.FilledButton(
                        confirm_text,
                        style=ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR),
                        on_click=on_confirm,
                    ),
                ),
            ],
        )
        page.show_dialog(self._dialog)

    def hide(self) -> None:
        """Close the dialog if it is open (the question was answered)."""
        page = page_of(self._host)
        if page is None or self._dialog is None:
            return
        self._dialog = None
        page.pop_dialog()

    def dispose(self) -> None:
        """Close a dialog left open when the view goes away."""
        if self._dialog is None:
            return
        page = page_of(self._host)
        self._dialog = None
        if page is not None:
            with contextlib.suppress(RuntimeError):
                page.pop_dialog()
