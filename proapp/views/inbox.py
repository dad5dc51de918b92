"""The inbox tab: renders `InboxState` (Loading | Ready | Empty | Failed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.inbox import (
    Empty,
    Failed,
    InboxRow,
    InboxState,
    Loading,
    OrderRow,
    Ready,
    RequestRow,
)
from proapp.views.screen_parts import chip, info_line, pending_chip
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["SCROLL_INTERVAL_MS", "InboxView"]

SCROLL_INTERVAL_MS = 250
"""At most one scroll event every quarter second reaches Python (each is a message)."""


def _centered(*controls: ft.Control) -> ft.Control:
    return ft.Container(
        expand=True,
        alignment=ft.Alignment.CENTER,
        padding=24,
        content=ft.Column(
            list(controls),
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.CENTER,
            tight=True,
            spacing=16,
        ),
    )


def _request_chip(row: RequestRow) -> ft.Control:
    if row.overdue:
        return chip(
            row.status_text, ft.Colors.ERROR_CONTAINER, ft.Colors.ON_ERROR_CONTAINER, ft.Icons.ALARM
        )
    if row.answered:
        return chip(
            row.status_text,
            ft.Colors.SURFACE_CONTAINER_HIGHEST,
            ft.Colors.ON_SURFACE_VARIANT,
            ft.Icons.CHECK,
        )
    if row.closed:
        return chip(
            row.status_text, ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT
        )
    return chip(
        row.status_text,
        ft.Colors.PRIMARY_CONTAINER,
        ft.Colors.ON_PRIMARY_CONTAINER,
        ft.Icons.FIBER_NEW_OUTLINED,
    )


def _card(
    identifier: str,
    label: str,
    on_click: Callable[[], Awaitable[None]],
    controls: list[ft.Control],
    *,
    urgent: bool,
) -> ft.Control:
    card = ft.Card(
        variant=ft.CardVariant.FILLED if not urgent else ft.CardVariant.OUTLINED,
        margin=0,
        shape=ft.RoundedRectangleBorder(
            radius=12,
            side=ft.BorderSide(2, ft.Colors.ERROR) if urgent else None,
        ),
        content=ft.Container(
            padding=16,
            border_radius=12,
            ink=True,
            on_click=on_click,
            content=ft.Column(controls, spacing=8),
        ),
    )
    return ft.Semantics(
        identifier=identifier, container=True, button=True, label=label, content=card
    )


class InboxView(StateView):
    """Builds the list per state; countdown ticks re-render (the state only notifies
    when a text changed)."""

    def __init__(self, state: InboxState, refresh: Callable[[], None]) -> None:
        self._state = state
        self.title = state.title
        self._body = ft.Container(expand=True)
        # One ListView for the life of the screen: a countdown tick replaces its rows but
        # keeps the ListView, so the pro's scroll position survives the re-render.
        self._list_view = ft.ListView(
            spacing=12,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            expand=True,
            # Only the first rows are built (InboxState.limit); scrolling near the end
            # asks for the next page, so the list seems whole to the pro.
            on_scroll=self._scrolled,
            scroll_interval=SCROLL_INTERVAL_MS,
        )
        self._list_semantics = ft.Semantics(
            identifier="inbox-list", container=True, content=self._list_view
        )
        # Built rows by their (frozen, hashable) content: a tick or a new page rebuilds
        # only the rows whose text changed and reuses the others (same control, so the
        # page update carries nothing for them). Holds the shown rows only.
        self._cards: dict[InboxRow, ft.Control] = {}
        self.control = ft.SafeArea(expand=True, content=self._body)
        self._follow(state, refresh)

    def render(self) -> None:
        """Show the body for the current case (the caller updates the page)."""
        view = self._state.view
        if isinstance(view, Loading):
            body: ft.Control = _centered(
                ft.ProgressRing(),
                ft.Semantics(
                    identifier="inbox-loading",
                    live_region=True,
                    content=ft.Text("Loading your inbox…"),
                ),
            )
        elif isinstance(view, Empty):
            body = _centered(
                ft.Icon(ft.Icons.INBOX_OUTLINED, size=56, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Semantics(
                    identifier="inbox-empty",
                    content=ft.Text(view.message, text_align=ft.TextAlign.CENTER, size=16),
                ),
            )
        elif isinstance(view, Failed):
            body = _centered(
                ft.Icon(ft.Icons.ERROR_OUTLINE, size=48, color=ft.Colors.ERROR),
                ft.Semantics(
                    identifier="inbox-error",
                    live_region=True,
                    content=ft.Text(view.message, text_align=ft.TextAlign.CENTER),
                ),
            )
        else:
            body = self._list(view)
        self._body.content = body

    def _list(self, view: Ready) -> ft.Control:
        controls: list[ft.Control] = []
        waiting = view.waiting_count
        summary = f"{waiting} waiting for you" if waiting else "Nothing waiting for you"
        if view.overdue_count:
            summary += f" · {view.overdue_count} overdue"
        controls.append(
            centered_column(
                ft.Semantics(
                    identifier="inbox-summary",
                    live_region=True,
                    content=ft.Text(summary, size=15, weight=ft.FontWeight.W_600),
                )
            )
        )
        cards: dict[InboxRow, ft.Control] = {}
        controls += [self._cached_card(row, cards) for row in view.rows]
        if view.answered:
            controls.append(
                centered_column(
                    ft.Container(
                        padding=ft.Padding.only(top=12),
                        content=ft.Semantics(
                            header=True,
                            content=ft.Text(
                                "Answered or closed",
                                size=15,
                                weight=ft.FontWeight.W_600,
                                color=ft.Colors.ON_SURFACE_VARIANT,
                            ),
                        ),
                    )
                )
            )
            controls += [self._cached_card(row, cards) for row in view.answered]
        if view.hidden_count > 0:
            controls.append(centered_column(self._show_more_row(view.hidden_count)))
        self._cards = cards
        self._list_view.controls = controls
        return self._list_semantics

    def _cached_card(self, row: InboxRow, cards: dict[InboxRow, ft.Control]) -> ft.Control:
        card = self._cards.get(row)
        if card is None:
            card = centered_column(self._row(row))
        cards[row] = card
        return card

    def _show_more_row(self, hidden: int) -> ft.Control:
        # Scrolling near the end loads the next page by itself; this row is for screen
        # readers, keyboards and anyone who stops right at the end.
        # No label: the button's own text is its accessible name.
        text = f"Show more ({hidden} not shown yet)"
        return ft.Semantics(
            identifier="inbox-show-more",
            button=True,
            content=ft.Container(
                height=TAP_TARGET,
                alignment=ft.Alignment.CENTER,
                content=ft.TextButton(text, icon=ft.Icons.EXPAND_MORE, on_click=self._more),
            ),
        )

    def _more(self, _: object) -> None:
        self._state.show_more()

    def _scrolled(self, e: ft.OnScrollEvent) -> None:
        # Within two screens of the end: build the next page before the pro gets there.
        if e.max_scroll_extent - e.pixels <= 2 * max(e.viewport_dimension, 400):
            self._state.show_more()

    def _row(self, row: InboxRow) -> ft.Control:
        if isinstance(row, RequestRow):
            return self._request_card(row)
        return self._order_card(row)

    def _request_card(self, row: RequestRow) -> ft.Control:
        due_color = ft.Colors.ERROR if row.overdue else None
        chips: list[ft.Control] = [_request_chip(row)]
        if row.pending:
            chips.append(pending_chip())
        controls: list[ft.Control] = [
            ft.Text(row.title, size=17, weight=ft.FontWeight.W_600),
            ft.Row(chips, wrap=True, spacing=8, run_spacing=4),
        ]
        if not row.answered:
            controls.append(
                info_line(ft.Icons.TIMER_OUTLINED, row.due_text, color=due_color, bold=True)
            )
        controls.append(info_line(ft.Icons.EVENT_BUSY_OUTLINED, row.closes_text))
        controls.append(info_line(ft.Icons.LOCATION_ON_OUTLINED, row.place))
        if row.note:
            controls.append(info_line(ft.Icons.DIRECTIONS_CAR_OUTLINED, row.note))
        return _card(
            f"inbox-request-{row.request_id}",
            row.label,
            self._opener(self._state.open_request, row.request_id),
            controls,
            urgent=row.overdue,
        )

    def _order_card(self, row: OrderRow) -> ft.Control:
        due_color = ft.Colors.ERROR if row.overdue else None
        chips: list[ft.Control] = []
        if row.overdue:
            chips.append(
                chip(
                    "Overdue",
                    ft.Colors.ERROR_CONTAINER,
                    ft.Colors.ON_ERROR_CONTAINER,
                    ft.Icons.ALARM,
                )
            )
        chips.append(
            chip(
                row.kind_text,
                ft.Colors.TERTIARY_CONTAINER,
                ft.Colors.ON_TERTIARY_CONTAINER,
                ft.Icons.SHOPPING_BAG_OUTLINED,
            )
        )
        if row.pending:
            chips.append(pending_chip())
        controls: list[ft.Control] = [
            ft.Row(
                [
                    ft.Text(row.title, size=17, weight=ft.FontWeight.W_600, expand=True),
                    ft.Text(row.price_text, size=16, weight=ft.FontWeight.W_600),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            ft.Row(chips, wrap=True, spacing=8, run_spacing=4),
            info_line(ft.Icons.TIMER_OUTLINED, row.due_text, color=due_color, bold=True),
            info_line(ft.Icons.EVENT_OUTLINED, row.deadline_text),
            info_line(ft.Icons.DATE_RANGE_OUTLINED, row.windows_text),
            info_line(ft.Icons.LOCATION_ON_OUTLINED, row.place),
        ]
        return _card(
            f"inbox-order-{row.job_id}",
            row.label,
            self._opener(self._state.open_order, row.job_id),
            controls,
            urgent=row.overdue,
        )

    @staticmethod
    def _opener(open_: Callable[[str], None], entity_id: str) -> Callable[[], Awaitable[None]]:
        async def clicked() -> None:
            open_(entity_id)

        return clicked
