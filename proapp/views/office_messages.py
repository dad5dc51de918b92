"""Office messages inbox (office desktop, issue 5): every job's and request's thread,
those waiting for a pro's answer first, with how long they have waited against the
2-business-day expectation (R10). Opening a thread (or "Reply") shows the conversation
beside the list, where the answer is typed (the field app's thread screen).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.office_messages import OfficeMessagesState, ThreadRow
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    pager,
    screen_header,
    text_button,
    toggle_button,
)

__all__ = ["OfficeMessagesView"]


class OfficeMessagesView(OfficeScreen[OfficeMessagesState]):
    """Renders `OfficeMessagesState`."""

    title = "Messages"
    prefix = "office-messages"

    def render_loaded(self) -> None:
        """Filter, the page of threads, pager."""
        s = self.state
        subtitle = f"{s.waiting_total} waiting for an answer · answer within 2 business days"
        if s.overdue_on_page:
            subtitle += f" · {s.overdue_on_page} overdue on this page"
        filters: list[ft.Control] = [
            toggle_button("office-messages-filter-all", "All threads", not s.waiting_only,
                          self._filter(False)),
            toggle_button("office-messages-filter-waiting", f"Waiting ({s.waiting_total})",
                          s.waiting_only, self._filter(True),
                          label=f"Only threads waiting for an answer: {s.waiting_total}"),
        ]  # fmt: skip
        rows: ft.Control
        if s.rows:
            rows = ft.ListView([self._row(r) for r in s.rows], expand=True, spacing=6)
        else:
            rows = empty_box(
                "office-messages-empty",
                "No thread is waiting for an answer." if s.waiting_only else "No messages yet.",
                ft.Icons.MARK_CHAT_READ_OUTLINED,
            )
        self._body.content = ft.Column(
            [
                screen_header("Messages", subtitle, filters, prefix="office-messages"),
                labelled("office-messages-list", f"{s.paging.total} threads", rows, expand=True),
                ft.Row(
                    [
                        ft.Container(expand=True),
                        pager("office-messages", s.paging.text,
                              can_previous=s.paging.page > 0,
                              can_next=s.paging.page + 1 < s.paging.page_count,
                              on_previous=self._page(-1), on_next=self._page(1)),
                    ]
                ),
            ],
            expand=True,
            spacing=10,
        )  # fmt: skip

    def _row(self, row: ThreadRow) -> ft.Control:
        if row.overdue:
            status = badge("Overdue", "error", ft.Icons.WARNING_AMBER)
            background = ft.Colors.ERROR_CONTAINER
        elif row.waiting:
            status = badge("Waiting", "warn", ft.Icons.SCHEDULE)
            background = ft.Colors.SURFACE_CONTAINER
        else:
            status = badge("Answered", "muted", ft.Icons.DONE_ALL)
            background = ft.Colors.SURFACE_CONTAINER_LOW
        fg = ft.Colors.ON_ERROR_CONTAINER if row.overdue else None
        muted = ft.Colors.ON_ERROR_CONTAINER if row.overdue else ft.Colors.ON_SURFACE_VARIANT
        waiting = (
            f"{row.waited_text} · {row.due_text}" if row.waiting else "Answered"
        )
        card = ft.Container(
            bgcolor=background,
            border_radius=10,
            padding=ft.Padding.symmetric(horizontal=12, vertical=10),
            ink=True,
            on_click=self._opener(row.parent_id),
            content=ft.Row(
                [
                    ft.Icon(ft.Icons.HANDYMAN_OUTLINED if row.kind_text == "Job"
                            else ft.Icons.REQUEST_QUOTE_OUTLINED, color=fg or ft.Colors.PRIMARY),
                    ft.Column(
                        [
                            ft.Text(row.title, weight=ft.FontWeight.W_700, color=fg,
                                    max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                            ft.Text(f"{row.kind_text} · {row.customer_name} · "
                                    f"{row.message_count} messages · last {row.last_text}",
                                    size=12, color=muted, max_lines=1,
                                    overflow=ft.TextOverflow.ELLIPSIS),
                            ft.Text(waiting, size=13, color=fg,
                                    weight=ft.FontWeight.W_600 if row.waiting else None),
                        ],
                        spacing=2,
                        expand=True,
                        tight=True,
                    ),
                    status,
                ],
                spacing=12,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )  # fmt: skip
        return ft.Row(
            [
                labelled(f"office-messages-thread-{row.parent_id}", row.semantics_label, card,
                         button=True, expand=True),
                text_button(f"office-messages-reply-{row.parent_id}", "Reply",
                            self._opener(row.parent_id), icon=ft.Icons.REPLY,
                            filled=row.waiting, label=f"Reply to {row.title}"),
            ],
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )  # fmt: skip

    def _opener(self, parent_id: str) -> Callable[[], None]:
        def open_thread() -> None:
            self.state.open(parent_id)

        return open_thread

    def _filter(self, waiting_only: bool) -> Callable[[], Awaitable[None]]:
        async def choose() -> None:
            await self.state.set_waiting_only(waiting_only)

        return choose

    def _page(self, delta: int) -> Callable[[], Awaitable[None]]:
        async def turn() -> None:
            await self.state.go_to_page(self.state.paging.page + delta)

        return turn
