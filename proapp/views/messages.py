"""Messages tab (R10): one row per conversation, unanswered and overdue first."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.messages import MessagesState, ThreadRow
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["PAGE_SIZE", "MessagesView", "thread_card"]

PAGE_SIZE = 30
"""Conversation cards built at a time; scrolling near the end (or "Show more") adds a page."""


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
        self._limit = PAGE_SIZE
        self._body = ft.Container(expand=True)
        # One ListView for the life of the screen: a re-render (a new message, the next
        # page) replaces its cards but keeps the pro's scroll position.
        self._list_view = ft.ListView(
            spacing=10,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            expand=True,
            on_scroll=self._scrolled,
            scroll_interval=250,  # at most 4 scroll messages a second
        )
        self._list = ft.Semantics(
            identifier="messages-list", container=True, content=self._list_view
        )
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
            shown = s.rows[: self._limit]
            cards: list[ft.Control] = [centered_column(thread_card(row, s.open)) for row in shown]
            hidden = len(s.rows) - len(shown)
            if hidden > 0:
                cards.append(centered_column(self._show_more_row(hidden)))
            self._list_view.controls = cards
            self._body.content = self._list

    def _show_more_row(self, hidden: int) -> ft.Control:
        # Scrolling near the end shows the next page by itself; this row is for screen
        # readers, keyboards and anyone who stops right at the end.
        return ft.Semantics(
            identifier="messages-show-more",
            button=True,
            content=ft.Container(
                height=TAP_TARGET,
                alignment=ft.Alignment.CENTER,
                content=ft.TextButton(
                    f"Show more ({hidden} not shown yet)",
                    icon=ft.Icons.EXPAND_MORE,
                    on_click=lambda _: self._show_more(),
                ),
            ),
        )

    def _show_more(self) -> None:
        if len(self.state.rows) > self._limit:
            self._limit += PAGE_SIZE
            self._changed()

    def _scrolled(self, e: ft.OnScrollEvent) -> None:
        # Within two screens of the end: build the next page before the pro gets there.
        if e.max_scroll_extent - e.pixels <= 2 * max(e.viewport_dimension, 400):
            self._show_more()
