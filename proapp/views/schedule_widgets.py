"""Small building blocks of the schedule screens (today, job detail, windows).

Theme roles only (``ft.Colors.*``), so light and dark both work; tap targets of at
least `TAP_TARGET`; every interactive piece wrapped in ``ft.Semantics(identifier=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from proapp.views.theme import TAP_TARGET, status_colors

__all__ = [
    "action_button",
    "card",
    "error_text",
    "info_row",
    "maps_button",
    "pending_marker",
    "section_title",
    "status_chip",
    "tagged",
]

Handler = Callable[..., Any]


def tagged(
    identifier: str,
    control: ft.Control,
    label: str | None = None,
    *,
    button: bool = False,
    container: bool = False,
    live: bool = False,
) -> ft.Semantics:
    """``control`` with a stable semantics id (UI tests find it) and a spoken label."""
    return ft.Semantics(
        identifier=identifier,
        label=label,
        button=button or None,
        container=container,
        live_region=live or None,
        content=control,
    )


def info_row(icon: ft.IconData, text: str, *, strong: bool = False, size: int = 15) -> ft.Row:
    """An icon and a line of text (wraps on narrow phones)."""
    return ft.Row(
        [
            ft.Icon(icon, size=20, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(
                text,
                size=size,
                expand=True,
                weight=ft.FontWeight.W_600 if strong else None,
                color=ft.Colors.ON_SURFACE if strong else ft.Colors.ON_SURFACE_VARIANT,
            ),
        ],
        spacing=10,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def status_chip(status: str, text: str, *, cancelled: bool = False) -> ft.Container:
    """A rounded status label; cancelled jobs get the error colors (red)."""
    background, foreground = status_colors("CANCELLED" if cancelled else status)
    return ft.Container(
        content=ft.Text(text, size=13, color=foreground, weight=ft.FontWeight.W_600),
        bgcolor=background,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
        border_radius=12,
    )


def pending_marker() -> ft.Row:
    """ "Waiting to sync": changed on this phone, not yet on the server."""
    return ft.Row(
        [
            ft.Icon(ft.Icons.CLOUD_UPLOAD, size=18, color=ft.Colors.TERTIARY),
            ft.Text("Waiting to sync", size=13, color=ft.Colors.TERTIARY),
        ],
        spacing=6,
    )


def section_title(text: str, *, identifier: str | None = None) -> ft.Control:
    """A list section header."""
    title = ft.Container(
        padding=ft.Padding.only(top=8, bottom=2),
        content=ft.Text(text, size=14, weight=ft.FontWeight.W_700, color=ft.Colors.PRIMARY),
    )
    if identifier is None:
        return ft.Semantics(header=True, content=title)
    return ft.Semantics(identifier=identifier, header=True, content=title)


def card(
    content: ft.Control, *, on_click: Handler | None = None, tone: str | None = None
) -> ft.Container:
    """A rounded surface; tappable when ``on_click`` is given."""
    return ft.Container(
        content=content,
        padding=16,
        border_radius=16,
        bgcolor=tone or ft.Colors.SURFACE_CONTAINER_HIGHEST,
        ink=on_click is not None,
        on_click=on_click,
    )


def maps_button(identifier: str, url: str) -> ft.Semantics:
    """Opens the address in Google Maps. ``url=`` makes the client open it inside the
    tap itself (a browser blocks a new tab opened later from the server)."""
    return tagged(
        identifier,
        ft.OutlinedButton(
            "Open in Maps",
            icon=ft.Icons.DIRECTIONS,
            url=ft.Url(url, target=ft.UrlTarget.BLANK),
            height=TAP_TARGET - 4,
        ),
        button=True,
    )


def action_button(
    identifier: str,
    text: str,
    icon: ft.IconData,
    on_click: Handler,
    *,
    primary: bool = False,
    danger: bool = False,
    disabled: bool = False,
) -> ft.Semantics:
    """A full-width action button, tall enough for a gloved thumb."""
    style = None
    if danger:
        style = ft.ButtonStyle(color=ft.Colors.ERROR)
    button: ft.Control
    if primary:
        button = ft.FilledButton(
            text, icon=icon, on_click=on_click, height=TAP_TARGET, disabled=disabled, expand=True
        )
    else:
        button = ft.OutlinedButton(
            text,
            icon=icon,
            on_click=on_click,
            height=TAP_TARGET,
            disabled=disabled,
            style=style,
            expand=True,
        )
    # No semantics label: the button's own text is its accessible name (a label here
    # would be read twice).
    return tagged(identifier, ft.Row([button]), button=True)


def error_text(identifier: str, message: str | None) -> ft.Control:
    """A live error line; nothing at all when there is no error (a Semantics node
    needs visible content)."""
    if not message:
        return ft.Container()
    return tagged(
        identifier,
        ft.Text(message, color=ft.Colors.ERROR, size=15, weight=ft.FontWeight.W_600),
        message,
        live=True,
    )
