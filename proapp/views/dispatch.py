"""Dispatch board (office desktop, issue 5): one lane per technician, appointments as
blocks at their arrival windows (day view) or per day (week view), the unassigned jobs
beside the board, and assigning through a dialog listing the technicians or the
keyboard (digits assign the selected job to that lane's technician).

Overlapping appointments of one technician are flagged three ways: the block's border
and a warning badge in the error color, the words "Overlap" on the block, and the
lane's count; screen readers hear it in the block's label.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.dispatch import SHORTCUTS, Block, BoardMode, DispatchState, Lane, UnassignedRow
from proapp.views.dialogs import page_of
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    screen_header,
    show_shortcut_help,
    text_button,
    toggle_button,
)
from proapp.views.theme import status_colors

__all__ = ["DispatchView", "stack_rows"]

NAME_WIDTH = 168
BLOCK_HEIGHT = 60
ROW_GAP = 4
SIDE_WIDTH = 330
BOARD_WIDTH = 740
"""Width the day's hours share (the rail and the unassigned list take the rest of a
1440 px window); an hour gets at least 40 px."""
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def stack_rows(blocks: tuple[Block, ...]) -> dict[str, int]:
    """Sub-row of each block inside its lane so overlapping blocks sit one under the
    other instead of on top of each other (greedy interval partitioning)."""
    ends: list[tuple[int, int]] = []  # per sub-row: (day_index, end minute) of its last block
    rows: dict[str, int] = {}
    for block in sorted(blocks, key=lambda b: (b.day_index, b.start_minute, b.job_id)):
        start = (block.day_index, block.start_minute)
        for index, end in enumerate(ends):
            if end <= start:
                ends[index] = (block.day_index, block.end_minute)
                rows[block.job_id] = index
                break
        else:
            rows[block.job_id] = len(ends)
            ends.append((block.day_index, block.end_minute))
    return rows


def _hour_text(hour: int) -> str:
    if hour in (0, 24):
        return "12 AM"
    if hour == 12:
        return "12 PM"
    return f"{hour % 12} {'AM' if hour < 12 else 'PM'}"


class DispatchView(OfficeScreen[DispatchState]):
    """Renders `DispatchState`."""

    title = "Dispatch"
    prefix = "dispatch"
    shortcuts = (*SHORTCUTS, ("A", "Assign or reassign the selected job (a list of technicians)"))

    def __init__(self, state: DispatchState, refresh: Callable[[], None]) -> None:
        self._dialog: ft.AlertDialog | None = None
        super().__init__(state, refresh)

    def dispose(self) -> None:
        """Close the assign dialog if open; stop listening."""
        self._close_dialog()
        super().dispose()

    # ------------------------------------------------------------------ rendering
    def render_loaded(self) -> None:
        """Header, board and the unassigned list."""
        self._body.content = ft.Column(
            [
                self._header(),
                self._selection_bar(),
                ft.Row(
                    [
                        ft.Container(expand=True, content=self._board()),
                        ft.VerticalDivider(width=1),
                        ft.Container(width=SIDE_WIDTH, content=self._unassigned()),
                    ],
                    expand=True,
                    spacing=12,
                    vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
            ],
            expand=True,
            spacing=10,
        )

    def _header(self) -> ft.Control:
        s = self.state
        clashes = sum(lane.overlap_count for lane in s.lanes)
        subtitle = f"{len(s.lanes)} technicians · {len(s.unassigned)} unassigned"
        if clashes:
            subtitle += f" · {clashes} overlapping appointments"
        day_view = s.mode is BoardMode.DAY
        period = labelled(
            "dispatch-period",
            f"Showing {s.period_title}",
            ft.Text(s.period_title, size=16, weight=ft.FontWeight.W_600),
        )
        actions: list[ft.Control] = [
            ft.ProgressRing(width=18, height=18, stroke_width=2, visible=s.busy),
            labelled(
                "dispatch-prev",
                "Previous week" if not day_view else "Previous day",
                ft.IconButton(ft.Icons.CHEVRON_LEFT, on_click=s.previous_period,
                              tooltip="Previous ([)"),
                button=True,
            ),
            period,
            labelled(
                "dispatch-next",
                "Next week" if not day_view else "Next day",
                ft.IconButton(ft.Icons.CHEVRON_RIGHT, on_click=s.next_period,
                              tooltip="Next (])"),
                button=True,
            ),
            text_button("dispatch-today", "Today", s.show_today, label="Go to today (T)"),
            toggle_button("dispatch-mode-day", "Day", day_view,
                          self._mode_setter(BoardMode.DAY), label="Day view (D)"),
            toggle_button("dispatch-mode-week", "Week", not day_view,
                          self._mode_setter(BoardMode.WEEK), label="Week view (W)"),
            labelled(
                "dispatch-help", "Keyboard shortcuts (?)",
                ft.IconButton(ft.Icons.KEYBOARD_OUTLINED, tooltip="Keyboard shortcuts (?)",
                              on_click=self.show_help),
                button=True,
            ),
        ]  # fmt: skip
        return screen_header("Dispatch board", subtitle, actions, prefix="dispatch")

    def _selection_bar(self) -> ft.Control:
        s = self.state
        block = self._selected_block()
        row = next((r for r in s.unassigned if r.selected), None)
        if block is None and row is None:
            hint = "Select an appointment or an unassigned job (arrow keys, U), then assign it."
            return labelled(
                "dispatch-selection", hint,
                ft.Text(hint, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            )  # fmt: skip
        if block is not None:
            job_id = block.job_id
            text = f"{block.title} · {block.customer_name} · {block.time_text}"
            who = ", ".join(lane.name for lane in s.lanes if block.job_id in _ids(lane))
            text += f" · {who}"
        else:
            assert row is not None
            job_id, text = row.job_id, f"{row.title} · {row.customer_name} · Unassigned"
        return ft.Container(
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
            border_radius=10,
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            content=ft.Row(
                [
                    labelled(
                        "dispatch-selection", f"Selected: {text}",
                        ft.Text(f"Selected: {text}", color=ft.Colors.ON_SECONDARY_CONTAINER,
                                max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                        expand=True,
                    ),
                    text_button("dispatch-assign", "Assign…",
                                lambda: self.open_assign(job_id), icon=ft.Icons.PERSON_ADD_ALT,
                                filled=True, label="Assign or reassign the selected job"),
                    text_button("dispatch-open", "Open job", s.open_selected,
                                icon=ft.Icons.OPEN_IN_NEW, label="Open the selected job (Enter)"),
                ],
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )  # fmt: skip

    def _selected_block(self) -> Block | None:
        for lane in self.state.lanes:
            for block in lane.blocks:
                if block.selected:
                    return block
        return None

    # ------------------------------------------------------------------ the board
    def _board(self) -> ft.Control:
        s = self.state
        if not s.lanes:
            return empty_box(
                "dispatch-no-technicians",
                "No technicians on this device yet. They appear after the first sync.",
                ft.Icons.ENGINEERING_OUTLINED,
            )
        week = s.mode is BoardMode.WEEK
        header = self._week_header() if week else self._hours_header()
        lanes = [self._week_lane(lane) if week else self._day_lane(lane) for lane in s.lanes]
        return labelled(
            "dispatch-board",
            f"Board for {s.period_title}: one lane per technician",
            ft.Column(
                [header, ft.ListView(lanes, expand=True, spacing=6)],
                expand=True,
                spacing=4,
            ),
        )

    def _hour_width(self) -> float:
        first, last = self.state.hours
        return max(40.0, BOARD_WIDTH / max(1, last - first))

    def _x(self, minute: int) -> float:
        first, _ = self.state.hours
        return (minute - first * 60) * self._hour_width() / 60

    def _hours_header(self) -> ft.Control:
        first, last = self.state.hours
        width = self._hour_width()
        return ft.Row(
            [
                ft.Container(width=NAME_WIDTH),
                *(
                    ft.Container(
                        width=width,
                        content=ft.Text(_hour_text(h), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                    )
                    for h in range(first, last)
                ),
            ],
            spacing=0,
        )

    def _week_header(self) -> ft.Control:
        s = self.state
        cells: list[ft.Control] = [ft.Container(width=NAME_WIDTH)]
        for day in s.days:
            today = day == s.today
            cells.append(
                ft.Container(
                    expand=True,
                    padding=ft.Padding.symmetric(horizontal=6, vertical=4),
                    bgcolor=ft.Colors.PRIMARY_CONTAINER if today else None,
                    border_radius=8,
                    content=ft.Text(
                        f"{_WEEKDAYS[day.weekday()]} {day.day}" + (" · Today" if today else ""),
                        size=13,
                        weight=ft.FontWeight.W_600,
                        color=ft.Colors.ON_PRIMARY_CONTAINER if today else None,
                    ),
                )
            )
        return ft.Row(cells, spacing=4)

    def _lane_name(self, lane: Lane) -> ft.Control:
        jobs = f"{lane.job_count} job{'' if lane.job_count == 1 else 's'}"
        parts = [f"{lane.name}", jobs]
        if lane.overlap_count:
            parts.append(f"{lane.overlap_count} overlapping")
        if lane.shortcut:
            parts.append(f"press {lane.shortcut} to assign the selected job here")
        if not lane.active:
            parts.append("not an active technician")
        column: list[ft.Control] = [
            ft.Row(
                [
                    ft.Container(
                        width=22, height=22, border_radius=11, bgcolor=ft.Colors.PRIMARY,
                        alignment=ft.Alignment.CENTER, visible=bool(lane.shortcut),
                        content=ft.Text(lane.shortcut, size=12, color=ft.Colors.ON_PRIMARY,
                                        weight=ft.FontWeight.W_700),
                    ),
                    ft.Text(lane.name, weight=ft.FontWeight.W_600, expand=True, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS),
                ],
                spacing=6,
            ),
            ft.Text(jobs, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ]  # fmt: skip
        if lane.overlap_count:
            column.append(badge(f"{lane.overlap_count} overlap", "error", ft.Icons.WARNING_AMBER))
        return labelled(
            f"dispatch-lane-{lane.technician_id}",
            ", ".join(parts),
            ft.Container(width=NAME_WIDTH, padding=ft.Padding.only(right=8, top=4),
                         content=ft.Column(column, spacing=2, tight=True)),
        )  # fmt: skip

    def _day_lane(self, lane: Lane) -> ft.Control:
        first, last = self.state.hours
        rows = stack_rows(lane.blocks)
        count = max(rows.values(), default=0) + 1
        height = count * (BLOCK_HEIGHT + ROW_GAP) + ROW_GAP
        track_width = (last - first) * self._hour_width()
        children: list[ft.Control] = [
            ft.Container(left=self._x(h * 60), top=0, bottom=0, width=1,
                         bgcolor=ft.Colors.OUTLINE_VARIANT)
            for h in range(first, last + 1)
        ]  # fmt: skip
        for block in lane.blocks:
            left = self._x(block.start_minute)
            width = max(36.0, self._x(block.end_minute) - left - 2)
            children.append(
                ft.Container(
                    left=left + 1,
                    top=ROW_GAP + rows[block.job_id] * (BLOCK_HEIGHT + ROW_GAP),
                    width=width,
                    height=BLOCK_HEIGHT,
                    content=self._block(lane, block, compact=False),
                )
            )
        return ft.Row(
            [
                self._lane_name(lane),
                ft.Container(
                    width=track_width,
                    height=max(height, BLOCK_HEIGHT + 2 * ROW_GAP),
                    bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
                    border_radius=8,
                    content=ft.Stack(children),
                ),
            ],
            spacing=0,
            vertical_alignment=ft.CrossAxisAlignment.START,
        )

    def _week_lane(self, lane: Lane) -> ft.Control:
        s = self.state
        cells: list[ft.Control] = [self._lane_name(lane)]
        # A fixed height per lane: rows in a scrolling list have no height to stretch to.
        busiest = max((sum(1 for b in lane.blocks if b.day_index == i)
                       for i in range(len(s.days))), default=0)  # fmt: skip
        height = max(1, busiest) * (BLOCK_HEIGHT + ROW_GAP) + 8
        for index in range(len(s.days)):
            blocks = [b for b in lane.blocks if b.day_index == index]
            cells.append(
                ft.Container(
                    expand=True,
                    height=height,
                    bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
                    border_radius=8,
                    padding=4,
                    content=ft.Column(
                        [ft.Container(height=BLOCK_HEIGHT,
                                      content=self._block(lane, b, compact=True))
                         for b in blocks],
                        spacing=ROW_GAP,
                        tight=True,
                    ),
                )
            )  # fmt: skip
        return ft.Row(cells, spacing=4, vertical_alignment=ft.CrossAxisAlignment.START)

    def _block(self, lane: Lane, block: Block, *, compact: bool) -> ft.Control:
        background, foreground = status_colors(block.status.value)
        if block.overlaps:
            border = ft.Border.all(2, ft.Colors.ERROR)
        elif block.selected:
            border = ft.Border.all(3, ft.Colors.PRIMARY)
        else:
            border = ft.Border.all(1, ft.Colors.OUTLINE_VARIANT)
        if block.selected and block.overlaps:
            border = ft.Border.all(3, ft.Colors.ERROR)
        top: list[ft.Control] = []
        if block.overlaps:
            top.append(ft.Icon(ft.Icons.WARNING_AMBER, size=14, color=ft.Colors.ERROR))
        if block.pending:
            top.append(ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, size=14, color=foreground))
        top.append(
            ft.Text(block.title, size=13, weight=ft.FontWeight.W_700, color=foreground,
                    expand=True, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        )  # fmt: skip
        detail = block.time_text.split(" – ")[0] if compact else block.time_text
        second = f"{detail} · {block.customer_name}"
        if block.overlaps:
            second = f"Overlap · {second}"
        content = ft.Container(
            bgcolor=background,
            border=border,
            border_radius=8,
            padding=ft.Padding.symmetric(horizontal=6, vertical=4),
            on_click=lambda: self.state.select(block.job_id),
            ink=True,
            tooltip=block.semantics_label,
            content=ft.Column(
                [
                    ft.Row(top, spacing=3, tight=True),
                    ft.Text(second, size=11,
                            color=ft.Colors.ERROR if block.overlaps else foreground,
                            weight=ft.FontWeight.W_600 if block.overlaps else None,
                            max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
                ],
                spacing=1,
                tight=True,
            ),
        )  # fmt: skip
        selected = ", selected" if block.selected else ""
        return labelled(
            f"dispatch-block-{lane.technician_id}-{block.job_id}",
            f"{block.semantics_label} Lane {lane.name}{selected}.",
            content,
            button=True,
            selected=block.selected,
        )

    # ------------------------------------------------------------------ unassigned
    def _unassigned(self) -> ft.Control:
        s = self.state
        heading = ft.Row(
            [
                ft.Text("Unassigned", size=18, weight=ft.FontWeight.W_700, expand=True),
                badge(str(len(s.unassigned)), "warn" if s.unassigned else "muted"),
            ]
        )
        rows: list[ft.Control] = [self._unassigned_row(r) for r in s.unassigned]
        body: ft.Control = (
            ft.ListView(rows, expand=True, spacing=8)
            if rows
            else empty_box("dispatch-unassigned-empty", "Every open job has a technician.",
                           ft.Icons.TASK_ALT)
        )  # fmt: skip
        return labelled(
            "dispatch-unassigned",
            f"Unassigned jobs: {len(s.unassigned)}. Press U to select the first.",
            ft.Column([heading, body], expand=True, spacing=8),
        )

    def _unassigned_row(self, row: UnassignedRow) -> ft.Control:
        chips: list[ft.Control] = [badge(row.status_text, "muted")]
        if row.overdue:
            chips.insert(0, badge("Window overdue", "error", ft.Icons.WARNING_AMBER))
        if row.pending:
            chips.append(badge("Not synced yet", "info", ft.Icons.CLOUD_UPLOAD_OUTLINED))
        overdue = " Window confirmation overdue." if row.overdue else ""
        label = (
            f"{row.title}, {row.customer_name}, {row.place}. {row.when_text}.{overdue}"
            f"{' Selected.' if row.selected else ''}"
        )
        card = ft.Container(
            padding=10,
            border_radius=10,
            bgcolor=ft.Colors.ERROR_CONTAINER if row.overdue else ft.Colors.SURFACE_CONTAINER,
            border=ft.Border.all(3 if row.selected else 1,
                                 ft.Colors.PRIMARY if row.selected else ft.Colors.OUTLINE_VARIANT),
            on_click=lambda: self.state.select(row.job_id),
            ink=True,
            content=ft.Column(
                [
                    ft.Text(row.title, weight=ft.FontWeight.W_700, max_lines=2,
                            overflow=ft.TextOverflow.ELLIPSIS),
                    ft.Text(f"{row.customer_name} · {row.place}", size=12,
                            color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS),
                    ft.Text(row.when_text, size=12),
                    ft.Row(chips, spacing=4, wrap=True),
                ],
                spacing=3,
                tight=True,
            ),
        )  # fmt: skip
        return ft.Column(
            [
                labelled(f"dispatch-unassigned-{row.job_id}", label, card, button=True,
                         selected=row.selected),
                ft.Row(
                    [text_button(f"dispatch-unassigned-{row.job_id}-assign", "Assign…",
                                 lambda: self.open_assign(row.job_id),
                                 icon=ft.Icons.PERSON_ADD_ALT,
                                 label=f"Assign {row.title} to a technician")],
                    alignment=ft.MainAxisAlignment.END,
                ),
            ],
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )  # fmt: skip

    # ------------------------------------------------------------------ assigning
    def open_assign(self, job_id: str) -> None:
        """The "assign appointment resources" dialog: one button per technician."""
        s = self.state
        page = page_of(self.control)
        if page is None:
            return
        s.select(job_id)
        title = next((r.title for r in s.unassigned if r.job_id == job_id), None)
        current: set[str] = set()
        for lane in s.lanes:
            for block in lane.blocks:
                if block.job_id == job_id:
                    title = block.title
                    current.update(block.technician_ids)
        options: list[ft.Control] = []
        for lane in s.lanes:
            if not lane.active:
                continue
            has = lane.technician_id in current
            key = f" (key {lane.shortcut})" if lane.shortcut else ""
            text = f"{lane.name}{key}" + (" · assigned now" if has else "")
            options.append(
                labelled(
                    f"dispatch-assign-{lane.technician_id}",
                    f"Assign to {lane.name}{', already assigned' if has else ''}",
                    ft.ListTile(
                        leading=ft.Icon(ft.Icons.CHECK_CIRCLE if has else ft.Icons.PERSON_OUTLINE),
                        title=ft.Text(text),
                        subtitle=ft.Text(f"{lane.job_count} jobs in this period"
                                         + (f", {lane.overlap_count} overlapping"
                                            if lane.overlap_count else "")),
                        on_click=self._assigner(job_id, lane.technician_id),
                    ),
                    button=True,
                )
            )  # fmt: skip
        if not options:
            options.append(ft.Text("No active technicians on this device yet."))
        self._close_dialog()
        self._dialog = ft.AlertDialog(
            modal=True,
            on_dismiss=self._dialog_dismissed,
            title=ft.Text(f"Assign {title or 'job'}"),
            content=labelled(
                "dispatch-assign-dialog",
                "Choose the technician who does this job (replaces the current assignment)",
                # No scrolling column: it would take the whole height for three names.
                ft.Container(width=440, content=ft.Column(options, tight=True, spacing=0)),
            ),
            actions=[
                labelled("dispatch-assign-cancel", "Cancel",
                         ft.TextButton("Cancel", on_click=self._close_dialog), button=True)
            ],
        )  # fmt: skip
        page.show_dialog(self._dialog)
        self._refresh()

    def _assigner(self, job_id: str, technician_id: str) -> Callable[[], Awaitable[None]]:
        # A closure per option: Flet passes the event to handlers with parameters, so
        # no default-argument lambdas here.
        async def assign() -> None:
            self._close_dialog()
            self._refresh()
            await self.state.assign(job_id, [technician_id])

        return assign

    def _dialog_dismissed(self, e: ft.Event[ft.DialogControl]) -> None:
        if e.control is self._dialog:
            self._dialog = None

    def _close_dialog(self) -> None:
        if self._dialog is None:
            return
        self._dialog = None
        page = page_of(self.control)
        if page is not None:
            try:
                page.pop_dialog()
            except RuntimeError:
                return

    def _mode_setter(self, mode: BoardMode) -> Callable[[], Awaitable[None]]:
        # An async closure: Flet awaits coroutine functions, not a lambda's coroutine.
        async def set_mode() -> None:
            await self.state.set_mode(mode)

        return set_mode

    def show_help(self) -> None:
        """The shortcut help dialog."""
        show_shortcut_help(self.control, "Dispatch board", self.shortcuts)
        self._refresh()

    async def handle_key(self, key: str) -> bool:
        """Board keys go to the state; "A" opens the assign dialog for the selection.
        While the dialog is open, keys belong to it (Escape closes it)."""
        if self._dialog is not None:
            if key == "Escape":
                self._close_dialog()
            return True
        if key.replace(" ", "").casefold() == "a" and self.state.selected_job_id:
            self.open_assign(self.state.selected_job_id)
            return True
        return await super().handle_key(key)


def _ids(lane: Lane) -> set[str]:
    return {b.job_id for b in lane.blocks}
