"""The Today tab: renders `TodayState` (day navigation, day strip, job cards)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.today import DayChip, TodayRow, TodayState
from proapp.views.schedule_widgets import (
    card,
    info_row,
    maps_button,
    pending_marker,
    section_title,
    status_chip,
    tagged,
)
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["SCROLL_INTERVAL_MS", "TodayView", "today_card"]

SCROLL_INTERVAL_MS = 250
"""At most one scroll event every quarter second reaches Python (each is a message)."""


def _title(row: TodayRow) -> ft.Text:
    style = None
    if row.cancelled:
        # Struck through: the job is off, but the pro must see it was there (R7).
        style = ft.TextStyle(decoration=ft.TextDecoration.LINE_THROUGH, decoration_thickness=2)
    return ft.Text(
        row.title,
        size=17,
        weight=ft.FontWeight.W_600,
        style=style,
        color=ft.Colors.ON_SURFACE_VARIANT if row.cancelled else ft.Colors.ON_SURFACE,
        expand=True,
    )


def today_card(row: TodayRow, on_open: Callable[[str], None]) -> ft.Control:
    """One job: window, customer, address + maps, parts, status; tap opens the job."""
    lines: list[ft.Control] = [
        ft.Row(
            [_title(row), status_chip(row.status.value, row.status_text, cancelled=row.cancelled)],
            vertical_alignment=ft.CrossAxisAlignment.START,
            spacing=8,
        ),
        info_row(
            ft.Icons.WARNING_AMBER if row.overdue else ft.Icons.SCHEDULE,
            row.window_text,
            strong=not row.cancelled,
            size=16,
        ),
        info_row(ft.Icons.PERSON, row.customer_name),
        info_row(ft.Icons.LOCATION_ON, row.address_text),
    ]
    if row.parts:
        lines.append(info_row(ft.Icons.BUILD, "Bring: " + ", ".join(row.parts)))
    if row.pending:
        lines.append(pending_marker())
    if row.maps_url is not None:
        lines.append(maps_button(f"today-maps-{row.job_id}", row.maps_url))
    tone = ft.Colors.ERROR_CONTAINER if row.overdue else None
    if row.cancelled:
        tone = ft.Colors.SURFACE_CONTAINER_LOW  # faded: the job is off
    body = card(
        ft.Column(lines, spacing=8),
        on_click=lambda _: on_open(row.job_id),
        tone=tone,
    )
    return tagged(
        f"today-job-{row.job_id}",
        body,
        row.semantics_label,
        button=True,
        container=True,
    )


def _day_chip(chip: DayChip, on_select: Callable[[DayChip], None]) -> ft.Control:
    fg = ft.Colors.ON_PRIMARY if chip.selected else ft.Colors.ON_SURFACE
    # "Today" / "Tomorrow" read as they are; other days as "Sat 28".
    name = chip.label if "," not in chip.label else f"{chip.label[:3]} {chip.day.day}"
    jobs = f"{chip.count} job{'s' if chip.count != 1 else ''}" if chip.count else "free"
    box = ft.Container(
        width=84,
        height=TAP_TARGET + 12,
        border_radius=14,
        bgcolor=ft.Colors.PRIMARY if chip.selected else ft.Colors.SURFACE_CONTAINER_HIGHEST,
        ink=True,
        on_click=lambda _: on_select(chip),
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            [
                ft.Text(name, size=14, weight=ft.FontWeight.W_700, color=fg),
                ft.Text(jobs, size=13, color=fg),
            ],
            spacing=0,
            tight=True,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.CENTER,
        ),
    )
    spoken = f"{chip.count} appointment{'s' if chip.count != 1 else ''}"
    return tagged(f"today-day-{chip.key}", box, f"{chip.label}, {spoken}", button=True)


def _empty_day(text: str) -> ft.Control:
    return tagged(
        "today-empty",
        ft.Container(
            padding=ft.Padding.symmetric(vertical=24),
            alignment=ft.Alignment.CENTER,
            content=ft.Column(
                [
                    ft.Icon(ft.Icons.EVENT_AVAILABLE, size=44, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Text(
                        text,
                        size=16,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                        text_align=ft.TextAlign.CENTER,
                    ),
                ],
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                tight=True,
            ),
        ),
        text,
    )


class TodayView:
    """Day navigation on top, then the list; rebuilt on every state change."""

    def __init__(self, state: TodayState, refresh: Callable[[], None]) -> None:
        self._state = state
        self._refresh = refresh
        self._unsubscribe = state.subscribe(self._changed)
        self._label = ft.Text(
            "", size=18, weight=ft.FontWeight.W_700, text_align=ft.TextAlign.CENTER
        )
        self._strip = ft.Row(spacing=8, scroll=ft.ScrollMode.AUTO)
        self._list = ft.ListView(
            spacing=12,
            padding=ft.Padding.only(left=16, right=16, top=4, bottom=24),
            expand=True,
            # Only the first cards are built (TodayState.limit); scrolling near the end
            # asks for the next page.
            on_scroll=self._scrolled,
            scroll_interval=SCROLL_INTERVAL_MS,
        )
        # Built cards by their (frozen, hashable) row: a re-render after a sync or a new
        # page rebuilds only the cards that changed. Holds the shown cards only.
        self._cards: dict[TodayRow, ft.Control] = {}
        header = ft.Container(
            padding=ft.Padding.only(left=8, right=8, top=8),
            content=ft.Column(
                [
                    ft.Row(
                        [
                            tagged(
                                "today-day-prev",
                                ft.IconButton(
                                    ft.Icons.CHEVRON_LEFT,
                                    icon_size=30,
                                    tooltip="Previous day",
                                    on_click=lambda _: state.previous_day(),
                                    width=TAP_TARGET,
                                    height=TAP_TARGET,
                                ),
                                button=True,
                            ),
                            ft.Container(
                                expand=True,
                                content=tagged(
                                    "today-day-label",
                                    ft.GestureDetector(
                                        content=self._label,
                                        on_tap=lambda _: state.go_to_today(),
                                    ),
                                    live=True,
                                ),
                            ),
                            tagged(
                                "today-day-next",
                                ft.IconButton(
                                    ft.Icons.CHEVRON_RIGHT,
                                    icon_size=30,
                                    tooltip="Next day",
                                    on_click=lambda _: state.next_day(),
                                    width=TAP_TARGET,
                                    height=TAP_TARGET,
                                ),
                                button=True,
                            ),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    ft.Container(padding=ft.Padding.symmetric(horizontal=8), content=self._strip),
                ],
                spacing=8,
            ),
        )
        self.control = ft.Column(
            [
                centered_column(header),
                # expand on the wrapper too: the list must get the rest of the height to
                # scroll in.
                ft.Semantics(
                    identifier="today-list",
                    label="Appointments",
                    container=True,
                    expand=True,
                    content=self._list,
                ),
            ],
            expand=True,
            spacing=8,
        )
        self.render()

    @property
    def title(self) -> str:
        """App bar title."""
        return self._state.title

    def render(self) -> None:
        """Rebuild the day label, the strip and the list (the caller updates the page)."""
        state = self._state
        self._label.value = state.day_title
        self._strip.controls = [_day_chip(chip, self._select) for chip in state.days]
        # Every item is centred on wide screens (`centered_column`); cards come wrapped.
        items: list[ft.Control] = []
        if not state.loaded:
            items.append(
                centered_column(
                    ft.Container(
                        padding=32,
                        alignment=ft.Alignment.CENTER,
                        content=ft.ProgressRing(),
                    )
                )
            )
        cards: dict[TodayRow, ft.Control] = {}
        if state.needs_window:
            items.append(
                centered_column(section_title("Confirm a window", identifier="today-needs-window"))
            )
            items += [self._card(row, cards) for row in state.needs_window]
        # The day's part starts once every job waiting for a window is shown.
        day_reached = len(state.needs_window) == state.needs_window_count
        if state.loaded and day_reached:
            items.append(centered_column(section_title(state.day_title)))
        if state.rows:
            items += [self._card(row, cards) for row in state.rows]
        elif state.loaded and day_reached and not state.rows_count:
            items.append(centered_column(_empty_day(state.empty_text)))
        if state.hidden_count > 0:
            items.append(centered_column(self._show_more_row(state.hidden_count)))
        self._cards = cards
        self._list.controls = items

    def _card(self, row: TodayRow, cards: dict[TodayRow, ft.Control]) -> ft.Control:
        card = self._cards.get(row)
        if card is None:
            card = centered_column(today_card(row, self._state.open_job))
        cards[row] = card
        return card

    def _show_more_row(self, hidden: int) -> ft.Control:
        # Scrolling near the end loads the next page by itself; this row is for screen
        # readers, keyboards and anyone who stops right at the end.
        text = f"Show more ({hidden} not shown yet)"
        return tagged(
            "today-show-more",
            ft.Container(
                height=TAP_TARGET,
                alignment=ft.Alignment.CENTER,
                content=ft.TextButton(text, icon=ft.Icons.EXPAND_MORE, on_click=self._more),
            ),
            button=True,
        )

    def _more(self, _: object) -> None:
        self._state.show_more()

    def _scrolled(self, e: ft.OnScrollEvent) -> None:
        # Within two screens of the end: build the next page before the pro gets there.
        if e.max_scroll_extent - e.pixels <= 2 * max(e.viewport_dimension, 400):
            self._state.show_more()

    def _select(self, chip: DayChip) -> None:
        self._state.select_day(chip.day)

    def _changed(self) -> None:
        self.render()
        self._refresh()

    def dispose(self) -> None:
        """Stop listening (the screen is being replaced); the shell disposes the state."""
        self._unsubscribe()
