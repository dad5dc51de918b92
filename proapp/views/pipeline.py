"""Request pipeline (office desktop, issue 5): every open custom request and every order
waiting for a window, in one sortable, filterable, searchable and paged table with its
deadline (R2, R6). Overdue rows are tinted in the error color AND say "Overdue".

The table is a list of one page of rows (50) under a header of sort buttons, so memory
and drawing stay flat however long the pipeline gets; opening a row shows the request
or the order beside the table (the shell's detail pane).
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.pipeline import (
    FILTER_TEXT,
    SHORTCUTS,
    PipelineFilter,
    PipelineRow,
    PipelineState,
    SortColumn,
)
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    pager,
    screen_header,
    show_shortcut_help,
)

__all__ = ["COLUMNS", "PipelineView"]

COLUMNS: tuple[tuple[SortColumn, str, int], ...] = (
    (SortColumn.STATE, "Deadline", 3),
    (SortColumn.DUE, "Due", 3),
    (SortColumn.TITLE, "Request or order", 5),
    (SortColumn.CUSTOMER, "Customer", 2),
    (SortColumn.OWNER, "Owner", 2),
    (SortColumn.VALUE, "Value", 2),
    (SortColumn.RECEIVED, "Received", 3),
)
"""Sortable columns: (column, header, relative width)."""

SEARCH_LABEL = "Search customer, address or text"


class PipelineView(OfficeScreen[PipelineState]):
    """Renders `PipelineState`."""

    title = "Pipeline"
    prefix = "pipeline"
    shortcuts = (*SHORTCUTS, ("Escape (in search)", "Leave the search box"))

    def __init__(self, state: PipelineState, refresh: Callable[[], None]) -> None:
        # Kept across renders: rebuilding it would drop the focus and the caret.
        self._search = ft.TextField(
            label=SEARCH_LABEL,
            prefix_icon=ft.Icons.SEARCH,
            dense=True,
            on_change=self._query_changed,
            on_focus=lambda: self._typing(True),
            on_blur=lambda: self._typing(False),
            width=360,
        )
        self._search_box = labelled("pipeline-search", f"{SEARCH_LABEL} (press /)", self._search)
        super().__init__(state, refresh)

    def render_loaded(self) -> None:
        """Header with search, filter chips, table, pager."""
        s = self.state
        if self._search.value != s.query:
            self._search.value = s.query
        subtitle = (
            f"{s.counts[PipelineFilter.ALL]} open · {s.counts[PipelineFilter.OVERDUE]} overdue"
            f" · {s.counts[PipelineFilter.DUE_TODAY]} due today"
        )
        help_button = labelled(
            "pipeline-help", "Keyboard shortcuts (?)",
            ft.IconButton(ft.Icons.KEYBOARD_OUTLINED, tooltip="Keyboard shortcuts (?)",
                          on_click=self.show_help),
            button=True,
        )  # fmt: skip
        table: ft.Control
        if s.page_rows:
            table = ft.ListView([self._row(r) for r in s.page_rows], expand=True, spacing=2)
        else:
            words = f' matching "{s.query}"' if s.query else ""
            table = empty_box(
                "pipeline-empty",
                f"Nothing {FILTER_TEXT[s.filter].lower()}{words}. "
                "Try another filter or clear the search.",
                ft.Icons.FILTER_ALT_OFF_OUTLINED,
            )
        self._body.content = ft.Column(
            [
                screen_header("Request pipeline", subtitle,
                              [self._search_box, help_button], prefix="pipeline"),
                self._chips(),
                self._header_row(),
                labelled(
                    "pipeline-table",
                    f"{s.total} rows, sorted by {s.sort_column.value}"
                    f" {'ascending' if s.sort_ascending else 'descending'}",
                    table,
                    expand=True,
                ),
                ft.Row(
                    [
                        ft.Text(f"{s.total} shown", size=13, color=ft.Colors.ON_SURFACE_VARIANT,
                                expand=True),
                        pager("pipeline", s.paging.text,
                              can_previous=s.paging.page > 0,
                              can_next=s.paging.page + 1 < s.paging.page_count,
                              on_previous=s.previous_page, on_next=s.next_page),
                    ]
                ),
            ],
            expand=True,
            spacing=10,
        )  # fmt: skip

    def _chips(self) -> ft.Control:
        s = self.state
        chips: list[ft.Control] = []
        for number, chip in enumerate(PipelineFilter, start=1):
            count = s.counts.get(chip, 0)
            selected = chip is s.filter
            text = f"{FILTER_TEXT[chip]} ({count})"
            overdue = chip is PipelineFilter.OVERDUE and count > 0
            chips.append(
                labelled(
                    f"pipeline-filter-{chip.value}",
                    f"Filter {FILTER_TEXT[chip]}: {count} items (key {number})"
                    f"{', selected' if selected else ''}",
                    ft.Chip(
                        label=ft.Text(text, weight=ft.FontWeight.W_600 if selected else None),
                        leading=ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.ERROR)
                        if overdue else None,
                        selected=selected,
                        show_checkmark=not overdue,
                        on_select=self._filter_setter(chip),
                    ),
                    button=True,
                    selected=selected,
                )
            )  # fmt: skip
        return ft.Row(chips, spacing=8, wrap=True)

    def _filter_setter(self, chip: PipelineFilter) -> Callable[[], None]:
        def choose() -> None:
            self.state.set_filter(chip)

        return choose

    def _sorter(self, column: SortColumn) -> Callable[[], None]:
        def sort() -> None:
            self.state.sort_by(column)

        return sort

    def _header_row(self) -> ft.Control:
        s = self.state
        cells: list[ft.Control] = []
        for column, text, weight in COLUMNS:
            active = column is s.sort_column
            arrow = (ft.Icons.ARROW_UPWARD if s.sort_ascending else ft.Icons.ARROW_DOWNWARD)
            order = ("ascending" if s.sort_ascending else "descending") if active else ""
            cells.append(
                ft.Container(
                    expand=weight,
                    content=labelled(
                        f"pipeline-sort-{column.value}",
                        f"Sort by {text}" + (f", sorted {order}" if active else ""),
                        ft.TextButton(
                            content=ft.Row(
                                [ft.Text(text, weight=ft.FontWeight.W_700, size=13),
                                 ft.Icon(arrow, size=14, visible=active)],
                                spacing=2, tight=True,
                            ),
                            on_click=self._sorter(column),
                            style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=6)),
                        ),
                        button=True,
                    ),
                )
            )  # fmt: skip
        return ft.Container(
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
            border_radius=8,
            padding=ft.Padding.symmetric(horizontal=6, vertical=2),
            content=ft.Row(cells, spacing=4),
        )

    def _row(self, row: PipelineRow) -> ft.Control:
        deadline: list[ft.Control] = [
            ft.Text(row.deadline_text, size=13, weight=ft.FontWeight.W_600,
                    color=ft.Colors.ON_ERROR_CONTAINER if row.overdue else None)
        ]  # fmt: skip
        if row.overdue:
            deadline.insert(0, badge("Overdue", "error", ft.Icons.WARNING_AMBER))
        elif row.due_today:
            deadline.insert(0, badge("Due today", "warn", ft.Icons.SCHEDULE))
        if row.pending:
            deadline.append(badge("Not synced yet", "info", ft.Icons.CLOUD_UPLOAD_OUTLINED))
        fg = ft.Colors.ON_ERROR_CONTAINER if row.overdue else None
        muted = ft.Colors.ON_ERROR_CONTAINER if row.overdue else ft.Colors.ON_SURFACE_VARIANT

        def cell(weight: int, *controls: ft.Control, end: bool = False) -> ft.Control:
            return ft.Container(
                expand=weight,
                padding=ft.Padding.symmetric(horizontal=6),
                alignment=ft.Alignment.CENTER_RIGHT if end else ft.Alignment.CENTER_LEFT,
                content=ft.Column(list(controls), spacing=2, tight=True,
                                  horizontal_alignment=ft.CrossAxisAlignment.END if end
                                  else ft.CrossAxisAlignment.START),
            )  # fmt: skip

        def text(value: str, *, size: int = 13, bold: bool = False, color: str | None = fg,
                 lines: int = 1) -> ft.Text:
            return ft.Text(value, size=size, color=color, max_lines=lines,
                           weight=ft.FontWeight.W_600 if bold else None,
                           overflow=ft.TextOverflow.ELLIPSIS)  # fmt: skip

        if row.overdue:
            background = ft.Colors.ERROR_CONTAINER
        elif row.selected:
            background = ft.Colors.SECONDARY_CONTAINER
        else:
            background = ft.Colors.SURFACE_CONTAINER_LOW
        content = ft.Container(
            bgcolor=background,
            border=ft.Border.all(2, ft.Colors.PRIMARY) if row.selected else None,
            border_radius=8,
            padding=ft.Padding.symmetric(horizontal=6, vertical=8),
            ink=True,
            on_click=self._opener(row.item_id),
            content=ft.Row(
                [
                    cell(3, ft.Row(deadline, spacing=4, wrap=True)),
                    cell(3, text(row.due_text)),
                    cell(5, text(row.title, bold=True), text(f"{row.kind_text} · {row.place}",
                                                            size=12, color=muted)),
                    cell(2, text(row.customer or "—")),
                    cell(2, text(row.owner_text)),
                    cell(2, text(row.value_text, bold=row.value_cents is not None), end=True),
                    cell(3, text(row.received_text, color=muted)),
                ],
                spacing=4,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )  # fmt: skip
        return labelled(
            f"pipeline-row-{row.item_id}",
            row.semantics_label + (" Selected." if row.selected else ""),
            content,
            button=True,
            selected=row.selected,
        )

    def _opener(self, item_id: str) -> Callable[[], None]:
        def open_row() -> None:
            self.state.select(item_id)
            self.state.open(item_id)

        return open_row

    async def _query_changed(self, e: ft.Event[ft.TextField]) -> None:
        self.state.set_query(e.control.value or "")

    def show_help(self) -> None:
        """The shortcut help dialog."""
        show_shortcut_help(self.control, "Request pipeline", self.shortcuts)
        self._refresh()

    async def handle_key(self, key: str) -> bool:
        """"/" focuses the search box; the rest goes to the state."""
        if key == "/":
            await self._search.focus()  # type: ignore[no-untyped-call]
            self.typing = True
            return True
        return await super().handle_key(key)
