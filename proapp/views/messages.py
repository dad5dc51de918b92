"""Messages tab (R10): one row per conversation, unanswered and overdue first."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.messages import MessagesState, ThreadRow
from proapp.views.state_view import StateView
from proapp.views.theme import centered_column

__all__ = ["MessagesView", "thread_card"]


def _status_chip(row: ThreadRow) -> ft.Control:
    status = row.status
    if status.overdue:
        bg, fg, icon = ft.Colors.ERROR, ft.Colors.ON_ERROR, ft.Icons.WARNING_AMBER_ROUNDED
    elif status.unanswered:
        bg, fg, icon = (
            ft.Colors.TERTIARY_CONTAINER,
            ft.Colors.ON_TERTIARY_CONTAINER,
            ft.Icons.SCHEDULE,
        )
    else:
        bg, fg, icon = (
            ft.Colors.SURFACE_CONTAINER_HIGHEST,
            ft.Colors.ON_SURFACE_VARIANT,
            ft.Icons.DONE_ALL,
        )
    return ft.Container(
        bgcolor=bg,
        border_radius=10,
        padding=ft.Padding.symmetric(horizontal=10, vertical=6),
        content=ft.Row(
            [
                ft.Icon(icon, size=18, color=fg),
                ft.Text(status.text, size=14, color=fg, weight=ft.FontWeight.W_600, expand=True),
            ],
            spacing=6,
            vertical_alignment=ft.CrossAxisAlignment.START,
        ),
    )


def thread_card(row: ThreadRow, on_open: Callable[[ThreadRow], None]) -> ft.Control:
    """One conversation; the whole card is one tap target and one labelled node."""
    kind_icon = ft.Icons.HANDYMAN_OUTLINED if row.kind == "job" else ft.Icons.REQUEST_QUOTE_OUTLINED
    subtitle = row.customer or ("Job" if row.kind == "job" else "Custom request")
    card = ft.Card(
        variant=ft.CardVariant.OUTLINED if not row.status.unanswered else ft.CardVariant.FILLED,
        margin=0,
        content=ft.Container(
            padding=14,
            on_click=lambda: on_open(row),
            ink=True,
            border_radius=12,
            content=ft.Column(
                [
                    ft.Row(
                        [
                            ft.Icon(kind_icon, size=20, color=ft.Colors.PRIMARY),
                            ft.Text(
                                row.title,
                                size=17,
                                weight=ft.FontWeight.W_700
                                if row.status.unanswered
                                else ft.FontWeight.W_500,
                                expand=True,
                                max_lines=2,
                                overflow=ft.TextOverflow.ELLIPSIS,
                            ),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.START,
                    ),
                    ft.Text(
                        f"{subtitle} · {row.time_text}", size=13, color=ft.Colors.ON_SURFACE_VARIANT
                    ),
                    ft.Text(row.preview, size=15, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
                    _status_chip(row),
                ],
                spacing=6,
            ),
        ),
    )
    return ft.Semantics(
        identifier=f"messages-thread-{row.thread_id}",
        button=True,
        container=True,
        label=row.label,
        content=card,
    )


class MessagesView(StateView):
    """Renders `MessagesState`."""

    title = "Messages"

    def __init__(self, state: MessagesState, refresh: Callable[[], None]) -> None:
        self.state = state
        self._body = ft.Container(expand=True)
        self.control: ft.Control = ft.SafeArea(expand=True, content=self._body)
        self._follow(state, refresh)

    def render(self) -> None:
        """Show loading, empty or the list."""
        s = self.state
        if s.loading:
            self._body.content = ft.Container(
                alignment=ft.Alignment.CENTER, expand=True, content=ft.ProgressRing()
            )
        elif s.empty:
            self._body.content = ft.Container(
                alignment=ft.Alignment.CENTER,
                expand=True,
                padding=24,
                content=ft.Column(
                    [
                        ft.Icon(
                            ft.Icons.FORUM_OUTLINED, size=48, color=ft.Colors.ON_SURFACE_VARIANT
                        ),
                        ft.Semantics(
                            identifier="messages-empty",
                            content=ft.Text(
                                s.empty_message, size=16, text_align=ft.TextAlign.CENTER
                            ),
                        ),
                    ],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    tight=True,
                    spacing=16,
                ),
            )
        else:
            self._body.content = ft.Semantics(
                identifier="messages-list",
                container=True,
                content=ft.ListView(
                    [centered_column(thread_card(row, s.open)) for row in s.rows],
                    spacing=10,
                    padding=ft.Padding.symmetric(horizontal=16, vertical=12),
                    expand=True,
                ),
            )
