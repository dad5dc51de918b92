"""Small building blocks shared by the request, visit and estimate screens.

Only looks: every value shown is already formatted by a state class. Colors are theme
roles (``ft.Colors.*``), never fixed colors, so light and dark themes both work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import flet as ft

from proapp.views.theme import TAP_TARGET, centered_column

__all__ = [
    "THUMB_SIZE",
    "ErrorBox",
    "NoticeBox",
    "chip",
    "form_page",
    "info_line",
    "notice",
    "pending_chip",
    "photo_thumb",
    "primary_button",
    "radio_choices",
    "secondary_button",
    "section_title",
    "set_text",
]

THUMB_SIZE = 96
"""Photo thumbnails: big enough to recognise the photo and to hit with a thumb."""

Handler = Callable[..., Awaitable[None]] | Callable[..., None]


def chip(
    text: str,
    background: str,
    foreground: str,
    icon: ft.IconData | None = None,
    *,
    compact: bool = False,
) -> ft.Control:
    """A small rounded label (status, "Overdue", "Not synced yet"); ``compact`` is the
    denser size of the office tables."""
    icon_size, text_size, pad_x, pad_y, radius = (14, 12, 8, 3, 10) if compact else (
        16, 13, 10, 4, 12)
    content: list[ft.Control] = []
    if icon is not None:
        content.append(ft.Icon(icon, size=icon_size, color=foreground))
    content.append(
        ft.Text(text, size=text_size, color=foreground, weight=ft.FontWeight.W_600)
    )
    return ft.Container(
        content=ft.Row(content, spacing=4, tight=True),
        bgcolor=background,
        padding=ft.Padding.symmetric(horizontal=pad_x, vertical=pad_y),
        border_radius=radius,
    )


def pending_chip() -> ft.Control:
    """Marks something changed on this phone that the server has not confirmed yet."""
    return chip(
        "Not synced yet",
        ft.Colors.SECONDARY_CONTAINER,
        ft.Colors.ON_SECONDARY_CONTAINER,
        ft.Icons.CLOUD_UPLOAD_OUTLINED,
    )


def info_line(
    icon: ft.IconData, text: str, *, color: str | None = None, bold: bool = False
) -> ft.Control:
    """An icon and a line of text, wrapping, in the variant color unless told."""
    tint = color or ft.Colors.ON_SURFACE_VARIANT
    return ft.Row(
        [
            ft.Icon(icon, size=18, color=tint),
            ft.Text(
                text,
                color=tint,
                expand=True,
                size=15,
                weight=ft.FontWeight.W_600 if bold else None,
            ),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def section_title(text: str) -> ft.Control:
    """A section heading (a header node for screen readers)."""
    return ft.Semantics(
        header=True,
        content=ft.Text(text, size=16, weight=ft.FontWeight.W_700, color=ft.Colors.PRIMARY),
    )


def notice(
    text: str,
    *,
    icon: ft.IconData = ft.Icons.INFO_OUTLINE,
    background: str = ft.Colors.SURFACE_CONTAINER_HIGH,
    foreground: str = ft.Colors.ON_SURFACE,
) -> ft.Container:
    """A boxed message (minimum trip charge, closed request, restored draft)."""
    return ft.Container(
        content=ft.Row(
            [ft.Icon(icon, color=foreground), ft.Text(text, color=foreground, expand=True)],
            vertical_alignment=ft.CrossAxisAlignment.START,
        ),
        bgcolor=background,
        padding=12,
        border_radius=12,
    )


class NoticeBox:
    """A `notice` whose text the view changes: hidden while the text is empty.

    Visibility goes on the Semantics wrapper: a Semantics whose content is hidden is an
    error in Flet ("Semantics.content must be provided and visible").
    """

    def __init__(
        self,
        identifier: str,
        *,
        icon: ft.IconData,
        background: str = ft.Colors.SURFACE_CONTAINER_HIGH,
        foreground: str = ft.Colors.ON_SURFACE,
        live_region: bool = False,
    ) -> None:
        box = notice("", icon=icon, background=background, foreground=foreground)
        row = box.content
        assert isinstance(row, ft.Row)
        text = row.controls[1]
        assert isinstance(text, ft.Text)
        self._text = text
        self.control = ft.Semantics(
            identifier=identifier, live_region=live_region, visible=False, content=box
        )

    def show(self, message: str) -> None:
        """Show ``message``, or hide the box for ""."""
        self._text.value = message
        self.control.visible = bool(message)


def radio_choices(choices: Iterable[tuple[str, str, str]]) -> ft.Column:
    """The options of an ``ft.RadioGroup``, each a thumb-sized row with its own
    identifier: ``choices`` are (Semantics identifier, value, label)."""
    return ft.Column(
        [
            ft.Semantics(
                identifier=identifier,
                content=ft.Container(height=48, content=ft.Radio(value=value, label=label)),
            )
            for identifier, value, label in choices
        ],
        spacing=0,
    )


def form_page(
    form: ft.Control,
    bottom: list[ft.Control],
    *,
    form_padding: ft.Padding,
    bottom_padding: ft.Padding,
) -> ft.SafeArea:
    """A scrolling form with a bar fixed at the bottom (the form's message and its
    send button stay in reach while the pro scrolls)."""
    bar = ft.Container(
        bgcolor=ft.Colors.SURFACE_CONTAINER,
        padding=bottom_padding,
        content=centered_column(ft.Column(bottom, spacing=8, tight=True)),
    )
    return ft.SafeArea(
        expand=True,
        content=ft.Column(
            [
                ft.ListView(controls=[centered_column(form)], padding=form_padding, expand=True),
                bar,
            ],
            spacing=0,
            expand=True,
        ),
    )


class ErrorBox:
    """The form's message: hidden when empty, announced when it appears (live region)."""

    def __init__(self, identifier: str) -> None:
        self._text = ft.Text(color=ft.Colors.ON_ERROR_CONTAINER, expand=True)
        self.control = ft.Semantics(
            identifier=identifier,
            live_region=True,
            visible=False,
            content=ft.Container(
                content=ft.Row(
                    [
                        ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ON_ERROR_CONTAINER),
                        self._text,
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=12,
                border_radius=12,
            ),
        )

    def show(self, message: str | None) -> None:
        """Show ``message``, or hide the box for None/empty."""
        self._text.value = message or ""
        self.control.visible = bool(message)


def set_text(field: ft.TextField, value: str, error: str | None, *, disabled: bool = False) -> None:
    """Copy a state value into a text field without fighting the pro's typing: the value
    is only written when it differs (an echo of the last keystroke changes nothing)."""
    if field.value != value:
        field.value = value
    field.error = error
    field.error_max_lines = 4  # the messages say what to type; never cut them off
    field.disabled = disabled


def primary_button(
    text: str, on_click: Handler, *, icon: ft.IconData | None = None, expand: bool = False
) -> ft.FilledButton:
    """A full-height filled button for the screen's main action."""
    return ft.FilledButton(
        content=text,
        icon=icon,
        height=TAP_TARGET,
        on_click=on_click,
        expand=expand,
    )


def secondary_button(
    text: str, on_click: Handler, *, icon: ft.IconData | None = None, expand: bool = False
) -> ft.OutlinedButton:
    """A full-height outlined button for the other actions."""
    return ft.OutlinedButton(
        content=text,
        icon=icon,
        height=TAP_TARGET,
        on_click=on_click,
        expand=expand,
    )


def photo_thumb(data: bytes | None, *, pending: bool = False) -> ft.Control:
    """A square thumbnail, or a "downloading" placeholder while the photo is not here."""
    if data is None:
        inner: ft.Control = ft.Column(
            [
                ft.Icon(ft.Icons.CLOUD_DOWNLOAD_OUTLINED, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Text("Downloading", size=11, color=ft.Colors.ON_SURFACE_VARIANT),
            ],
            alignment=ft.MainAxisAlignment.CENTER,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=2,
        )
    else:
        inner = ft.Image(src=data, width=THUMB_SIZE, height=THUMB_SIZE, fit=ft.BoxFit.COVER)
    stack: list[ft.Control] = [inner]
    if pending:
        stack.append(
            ft.Container(
                content=ft.Icon(
                    ft.Icons.CLOUD_UPLOAD_OUTLINED, size=16, color=ft.Colors.ON_SECONDARY_CONTAINER
                ),
                bgcolor=ft.Colors.SECONDARY_CONTAINER,
                border_radius=10,
                padding=2,
                right=4,
                bottom=4,
            )
        )
    return ft.Container(
        width=THUMB_SIZE,
        height=THUMB_SIZE,
        border_radius=12,
        clip_behavior=ft.ClipBehavior.ANTI_ALIAS,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        alignment=ft.Alignment.CENTER,
        content=ft.Stack(stack, width=THUMB_SIZE, height=THUMB_SIZE) if pending else inner,
    )
