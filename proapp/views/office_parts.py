"""Building blocks of the office desktop screens (issue 5): the screen base class with
keyboard routing, labelled buttons and chips, pagers, badges and the shortcut help.

Only looks and event forwarding: every value shown is formatted by a state class.
Colors are theme roles (``ft.Colors.*``) so light and dark themes both work. Every
interactive control is an ``ft.Semantics`` node with an identifier and a label (the UI
tests and screen readers find them by those).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import flet as ft

from proapp.state.office_common import OfficeFollowingState
from proapp.views.dialogs import page_of
from proapp.views.screen_parts import chip

__all__ = [
    "GLOBAL_SHORTCUTS",
    "Handler",
    "OfficeScreen",
    "badge",
    "empty_box",
    "labelled",
    "loading_box",
    "pager",
    "screen_header",
    "show_shortcut_help",
    "text_button",
    "toggle_button",
]

Handler = Callable[[], Awaitable[None]] | Callable[[], None]
S = TypeVar("S", bound=OfficeFollowingState)

GLOBAL_SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Tab / Shift+Tab", "Move between controls; Enter or Space presses the focused one"),
    ("Alt+1 … Alt+8", "Dispatch, Pipeline, Estimates, Messages, Team, Reviews, Sync, Settings"),
    ("Escape", "Close the detail pane"),
    ("?", "This help"),
)
"""Keys every office screen has (the shell handles them)."""

# Badge kinds: (background, foreground) theme roles.
_BADGE_COLORS: dict[str, tuple[str, str]] = {
    "error": (ft.Colors.ERROR, ft.Colors.ON_ERROR),
    "warn": (ft.Colors.TERTIARY_CONTAINER, ft.Colors.ON_TERTIARY_CONTAINER),
    "ok": (ft.Colors.PRIMARY_CONTAINER, ft.Colors.ON_PRIMARY_CONTAINER),
    "info": (ft.Colors.SECONDARY_CONTAINER, ft.Colors.ON_SECONDARY_CONTAINER),
    "muted": (ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT),
}


def labelled(
    identifier: str,
    label: str,
    content: ft.Control,
    *,
    button: bool = False,
    selected: bool | None = None,
    expand: bool | int | None = None,
) -> ft.Semantics:
    """``content`` as one semantics node with a stable identifier and a spoken label."""
    return ft.Semantics(
        identifier=identifier,
        label=label,
        button=button,
        selected=selected,
        container=True,
        expand=expand,
        content=content,
    )


def badge(text: str, kind: str = "muted", icon: ft.IconData | None = None) -> ft.Control:
    """A small rounded label ("Overdue", "Expires soon"); ``kind`` picks the colors
    (error, warn, ok, info, muted). Color is never the only cue: the text says it."""
    background, foreground = _BADGE_COLORS.get(kind, _BADGE_COLORS["muted"])
    return chip(text, background, foreground, icon, compact=True)


def text_button(
    identifier: str,
    text: str,
    on_click: Handler,
    *,
    label: str | None = None,
    icon: ft.IconData | None = None,
    filled: bool = False,
    disabled: bool = False,
    tooltip: str | None = None,
) -> ft.Control:
    """A labelled button (filled for the main action of a place, outlined otherwise)."""
    button: ft.Control
    if filled:
        button = ft.FilledButton(
            text, icon=icon, on_click=on_click, disabled=disabled, tooltip=tooltip
        )
    else:
        button = ft.OutlinedButton(
            text, icon=icon, on_click=on_click, disabled=disabled, tooltip=tooltip
        )
    return labelled(identifier, label or text, button, button=True)


def toggle_button(
    identifier: str, text: str, selected: bool, on_click: Handler, *, label: str | None = None
) -> ft.Control:
    """One option of a small group (Day / Week, a period, a filter): the selected one
    is filled and says "selected" to screen readers."""
    button: ft.Control
    if selected:
        button = ft.FilledTonalButton(text, icon=ft.Icons.CHECK, on_click=on_click)
    else:
        button = ft.OutlinedButton(text, on_click=on_click)
    spoken = label or text
    return labelled(
        identifier, f"{spoken}{', selected' if selected else ''}", button,
        button=True, selected=selected,
    )  # fmt: skip


def screen_header(
    title: str, subtitle: str = "", actions: Sequence[ft.Control] = (), *, prefix: str
) -> ft.Control:
    """The top line of an office screen: a heading, a quiet subtitle, actions right."""
    heading = ft.Semantics(
        identifier=f"{prefix}-heading",
        header=True,
        label=f"{title}. {subtitle}".strip(". "),
        content=ft.Column(
            [
                ft.Text(title, size=24, weight=ft.FontWeight.W_700),
                ft.Text(subtitle, size=14, color=ft.Colors.ON_SURFACE_VARIANT,
                        visible=bool(subtitle)),
            ],
            spacing=2,
            tight=True,
        ),
    )
    return ft.Row(
        [ft.Container(expand=True, content=heading), *actions],
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        spacing=8,
        wrap=False,
    )


def pager(
    prefix: str,
    text: str,
    *,
    can_previous: bool,
    can_next: bool,
    on_previous: Handler,
    on_next: Handler,
) -> ft.Control:
    """``‹ 1–50 of 734 ›``: previous/next page buttons around what is shown."""
    return ft.Row(
        [
            labelled(
                f"{prefix}-prev", "Previous page",
                ft.IconButton(ft.Icons.CHEVRON_LEFT, tooltip="Previous page",
                              on_click=on_previous, disabled=not can_previous),
                button=True,
            ),
            labelled(f"{prefix}-page", f"Showing {text}",
                     ft.Text(text, size=14, color=ft.Colors.ON_SURFACE_VARIANT)),
            labelled(
                f"{prefix}-next", "Next page",
                ft.IconButton(ft.Icons.CHEVRON_RIGHT, tooltip="Next page",
                              on_click=on_next, disabled=not can_next),
                button=True,
            ),
        ],
        spacing=4,
        tight=True,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )  # fmt: skip


def loading_box(identifier: str) -> ft.Control:
    """What a screen shows before its first read finished."""
    return ft.Container(
        expand=True,
        alignment=ft.Alignment.CENTER,
        content=labelled(identifier, "Loading", ft.ProgressRing()),
    )


def empty_box(
    identifier: str, text: str, icon: ft.IconData = ft.Icons.INBOX_OUTLINED
) -> ft.Control:
    """A calm "nothing here" with what it means."""
    return ft.Container(
        padding=32,
        alignment=ft.Alignment.CENTER,
        content=labelled(
            identifier,
            text,
            ft.Column(
                [
                    ft.Icon(icon, size=40, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Text(text, size=15, color=ft.Colors.ON_SURFACE_VARIANT,
                            text_align=ft.TextAlign.CENTER),
                ],
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                tight=True,
            ),
        ),
    )


def show_shortcut_help(
    host: ft.Control, title: str, shortcuts: Sequence[tuple[str, str]]
) -> bool:
    """Open the "keyboard shortcuts" dialog over ``host``'s page (False if unmounted)."""
    page = page_of(host)
    if page is None:
        return False
    rows: list[ft.Control] = []
    for index, (keys, what) in enumerate((*shortcuts, *GLOBAL_SHORTCUTS)):
        rows.append(
            labelled(
                f"shortcuts-row-{index}",
                f"{keys}: {what}",
                ft.Row(
                    [
                        ft.Container(
                            width=170,
                            content=ft.Text(keys, weight=ft.FontWeight.W_700,
                                            font_family="monospace"),
                        ),
                        ft.Text(what, expand=True),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
            )
        )
    dialog = ft.AlertDialog(
        modal=False,
        title=ft.Text(f"Keyboard shortcuts: {title}"),
        content=ft.Semantics(
            identifier="shortcuts-dialog",
            container=True,
            content=ft.Container(width=560, content=ft.Column(rows, tight=True, spacing=8,
                                                              scroll=ft.ScrollMode.AUTO)),
        ),
        actions=[
            labelled("shortcuts-close", "Close",
                     ft.TextButton("Close", on_click=lambda: _pop(page)), button=True)
        ],
    )
    page.show_dialog(dialog)
    return True


def _pop(page: ft.Page) -> None:
    with contextlib.suppress(RuntimeError):
        page.pop_dialog()


class OfficeScreen(Generic[S]):
    """Base of the office screen views: follows the state, redraws, routes keys.

    Subclasses set ``title``, ``prefix`` (identifier prefix), ``shortcuts`` and
    implement `render_loaded`; until the state has loaded, the screen shows a loading
    box (``<prefix>-loading``). The shell calls `handle_key` for key presses on this screen
    (`typing` True means a text field of the screen has focus: the shell then keeps
    letters and digits away from the shortcuts).
    """

    title = ""
    prefix = "office"
    shortcuts: tuple[tuple[str, str], ...] = ()

    def __init__(self, state: S, refresh: Callable[[], None]) -> None:
        self.state = state
        self._refresh = refresh
        self.typing = False
        self._body = ft.Container(expand=True)
        self.control: ft.Control = ft.Container(
            expand=True,
            padding=ft.Padding.only(left=24, right=24, top=16, bottom=8),
            content=self._body,
        )
        self._unsubscribe = state.subscribe(self._changed)
        self.render()

    def dispose(self) -> None:
        """Stop listening to the state."""
        self._unsubscribe()

    def render(self) -> None:
        """Copy the state into the controls."""
        if not self.state.loaded:
            self._body.content = loading_box(f"{self.prefix}-loading")
            return
        self.render_loaded()

    def render_loaded(self) -> None:  # pragma: no cover - every screen overrides it
        """Copy the loaded state into the controls."""
        raise NotImplementedError

    def _changed(self) -> None:
        self.render()
        self._refresh()

    async def handle_key(self, key: str) -> bool:
        """Forward a key to the state's ``handle_key`` (sync or async); True if used."""
        handle: Any = getattr(self.state, "handle_key", None)
        if handle is None:
            return False
        result = handle(key)
        if inspect.isawaitable(result):
            result = await result
        return bool(result)

    def _typing(self, typing: bool) -> None:
        self.typing = typing
