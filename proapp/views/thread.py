"""One conversation (R10): bubbles oldest to newest, the composer, the shared phone."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.thread import MessageRow, ThreadState
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET

__all__ = ["ThreadView", "bubble"]


def bubble(row: MessageRow) -> ft.Control:
    """A message: the pro's on the right, the customer's on the left."""
    if row.mine:
        bg, fg = ft.Colors.PRIMARY_CONTAINER, ft.Colors.ON_PRIMARY_CONTAINER
    else:
        bg, fg = ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE
    meta = f"{row.author} · {row.time_text}"
    parts: list[ft.Control] = [
        ft.Text(meta, size=12, color=fg, weight=ft.FontWeight.W_600),
        ft.Text(row.body, size=16, color=fg, selectable=True),
    ]
    if row.status_text:
        icon = ft.Icons.ERROR_OUTLINE if row.failed else ft.Icons.SCHEDULE
        color = ft.Colors.ERROR if row.failed else fg
        parts.append(
            ft.Row(
                [
                    ft.Icon(icon, size=16, color=color),
                    ft.Text(row.status_text, size=13, color=color, italic=True, expand=True),
                ],
                spacing=4,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        )
    box = ft.Container(
        bgcolor=bg,
        padding=12,
        border_radius=ft.BorderRadius.only(
            top_left=16,
            top_right=16,
            bottom_left=4 if not row.mine else 16,
            bottom_right=4 if row.mine else 16,
        ),
        content=ft.Column(parts, spacing=4, tight=True),
    )
    return ft.Semantics(
        identifier=f"thread-message-{row.message_id}",
        container=True,
        label=row.label,
        content=ft.Row(
            [ft.Container(content=box, expand=5), ft.Container(expand=1)]
            if not row.mine
            else [ft.Container(expand=1), ft.Container(content=box, expand=5)],
        ),
    )


class ThreadView(StateView):
    """Renders `ThreadState`."""

    def __init__(self, state: ThreadState, refresh: Callable[[], None]) -> None:
        self.state = state
        self._title = ft.Text("", size=18, weight=ft.FontWeight.W_700)
        self._subtitle = ft.Text("", size=14, color=ft.Colors.ON_SURFACE_VARIANT)
        self._reply = ft.Text("", size=14, weight=ft.FontWeight.W_600)
        self._phone_button = ft.OutlinedButton("", icon=ft.Icons.PHONE, height=TAP_TARGET)
        self._phone = ft.Semantics(
            identifier="thread-phone", link=True, content=self._phone_button, visible=False
        )
        self._list = ft.ListView(
            spacing=10,
            padding=ft.Padding.symmetric(horizontal=12, vertical=12),
            expand=True,
            auto_scroll=True,
        )
        self._empty = ft.Container(
            expand=True,
            alignment=ft.Alignment.CENTER,
            padding=24,
            visible=False,
            content=ft.Semantics(
                identifier="thread-empty",
                content=ft.Text(
                    "No messages yet. Write the first one below; it sends when you are online.",
                    text_align=ft.TextAlign.CENTER,
                    size=16,
                ),
            ),
        )
        self._input = ft.TextField(
            label="Message",
            multiline=True,
            min_lines=1,
            max_lines=5,
            value=state.text,
            expand=True,
            on_change=self._text_changed,
        )
        self._send = ft.IconButton(
            icon=ft.Icons.SEND,
            icon_size=28,
            tooltip="Send",
            width=TAP_TARGET + 4,
            height=TAP_TARGET + 4,
            style=ft.ButtonStyle(bgcolor=ft.Colors.PRIMARY, icon_color=ft.Colors.ON_PRIMARY),
            on_click=self._send_clicked,
        )
        self._error = ft.Text("", color=ft.Colors.ERROR)
        self._error_box = ft.Semantics(
            identifier="thread-error", live_region=True, content=self._error, visible=False
        )
        header = ft.Container(
            padding=ft.Padding.symmetric(horizontal=16, vertical=10),
            bgcolor=ft.Colors.SURFACE_CONTAINER,
            content=ft.Column(
                [self._title, self._subtitle, self._reply, self._phone], spacing=4, tight=True
            ),
        )
        composer = ft.Container(
            padding=ft.Padding.only(left=12, right=8, top=8, bottom=8),
            bgcolor=ft.Colors.SURFACE_CONTAINER,
            content=ft.Column(
                [
                    self._error_box,
                    ft.Row(
                        [
                            ft.Container(
                                expand=True,
                                content=ft.Semantics(
                                    identifier="thread-input", content=ft.Row([self._input])
                                ),
                            ),
                            ft.Semantics(
                                identifier="thread-send",
                                button=True,
                                label="Send message",
                                content=self._send,
                            ),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.END,
                    ),
                ],
                spacing=4,
                tight=True,
            ),
        )
        self.control: ft.Control = ft.SafeArea(
            expand=True,
            content=ft.Column(
                [
                    header,
                    ft.Semantics(
                        identifier="thread-list",
                        container=True,
                        content=ft.Stack([self._list, self._empty], expand=True),
                        expand=True,
                    ),
                    composer,
                ],
                spacing=0,
                expand=True,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )
        self._follow(state, refresh)

    @property
    def title(self) -> str:
        """App bar title."""
        return "Messages"

    def render(self) -> None:
        """Update header, bubbles and composer (the text being typed is left alone)."""
        s = self.state
        self._title.value = s.title
        self._subtitle.value = s.subtitle
        reply = s.reply
        self._reply.visible = bool(reply and reply.unanswered)
        if reply is not None and reply.unanswered:
            self._reply.value = reply.text
            self._reply.color = ft.Colors.ERROR if reply.overdue else ft.Colors.TERTIARY
        self._phone.visible = bool(s.phone)
        if s.phone and s.phone_url:
            self._phone_button.content = f"Call {s.phone}"
            self._phone_button.url = s.phone_url
            self._phone.label = f"Call the customer at {s.phone}"
        self._list.controls = [bubble(row) for row in s.rows]
        self._empty.visible = s.empty
        if not s.text and self._input.value:
            self._input.value = ""  # sent: clear the box
        self._send.disabled = not s.can_send
        self._error.value = s.error or ""
        self._error_box.visible = bool(s.error)

    async def _text_changed(self, e: ft.Event[ft.TextField]) -> None:
        await self.state.set_text(e.control.value)

    async def _send_clicked(self) -> None:
        await self.state.send()
