"""The windows screen: renders `WindowsState` (confirm / propose R6, reschedule R7).

Inputs (selectors, note fields, reason) are created once and kept across renders, so a
re-render never steals focus or drops what was typed; only the surrounding read-only
pieces are rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.windows import AgendaItem, Choice, WindowOption, WindowsMode, WindowsState
from proapp.views.schedule_widgets import (
    action_button,
    card,
    error_text,
    info_row,
    section_title,
    tagged,
)
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["WindowsView"]


def _options(choices: tuple[Choice, ...]) -> list[ft.DropdownOption]:
    return [ft.DropdownOption(key=choice.key, text=choice.label) for choice in choices]


def _agenda(items: tuple[AgendaItem, ...], empty: str, hidden: int = 0) -> ft.Control:
    if not items:
        return info_row(ft.Icons.EVENT_AVAILABLE, empty)
    rows: list[ft.Control] = []
    for item in items:
        color = ft.Colors.ERROR if item.overlaps else ft.Colors.ON_SURFACE_VARIANT
        rows.append(
            ft.Row(
                [
                    ft.Icon(
                        ft.Icons.WARNING_AMBER if item.overlaps else ft.Icons.EVENT,
                        size=18,
                        color=color,
                    ),
                    ft.Text(
                        f"{'Overlaps: ' if item.overlaps else ''}{item.text}",
                        size=14,
                        color=color,
                        weight=ft.FontWeight.W_600 if item.overlaps else None,
                        expand=True,
                    ),
                ],
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        )
    if hidden:
        rows.append(
            ft.Text(
                f"and {hidden} more appointment{'s' if hidden != 1 else ''} that day",
                size=14,
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
    return ft.Column(rows, spacing=4)


class WindowsView:
    """Confirm/propose or reschedule, chosen by the state's mode."""

    def __init__(self, state: WindowsState, refresh: Callable[[], None]) -> None:
        self._state = state
        self._refresh = refresh
        self._unsubscribe = state.subscribe(self._changed)
        self._mode: WindowsMode | None = None
        self._loaded = False

        # Long-lived inputs.
        self._date = ft.Dropdown(
            label="Day",
            expand=True,
            menu_height=360,
            on_select=self._date_selected,
        )
        self._start = ft.Dropdown(
            label="Start",
            expand=True,
            menu_height=360,
            options=_options(state.time_choices),
            on_select=self._start_selected,
        )
        self._end = ft.Dropdown(
            label="End",
            expand=True,
            menu_height=360,
            options=_options(state.time_choices),
            on_select=self._end_selected,
        )
        self._propose_note = ft.TextField(
            label="Note to the customer (optional)",
            multiline=True,
            min_lines=1,
            max_lines=4,
            max_length=2000,
            on_change=self._propose_note_changed,
        )
        self._reason = ft.RadioGroup(
            content=ft.Column(
                [
                    tagged(
                        f"windows-reason-{choice.key.lower().replace('_', '-')}",
                        ft.Container(
                            height=TAP_TARGET - 4,
                            content=ft.Radio(value=choice.key, label=choice.label),
                        ),
                    )
                    for choice in state.reason_choices
                ],
                spacing=0,
            ),
            on_change=self._reason_changed,
        )
        self._reason_error = ft.Container()
        self._note = ft.TextField(
            label="Note (optional)",
            multiline=True,
            min_lines=2,
            max_lines=5,
            max_length=2000,
            on_change=self._note_changed,
        )

        # Rebuilt pieces.
        self._header = ft.Container()
        self._option_list = ft.Column(spacing=12)
        self._proposed_agenda = ft.Container()
        self._error = ft.Container(padding=ft.Padding.symmetric(horizontal=16))
        self._list = ft.ListView(
            spacing=12, padding=ft.Padding.only(left=16, right=16, top=12, bottom=32), expand=True
        )
        self.control = ft.Column([self._list, self._error], expand=True, spacing=0)
        self.render()

    @property
    def title(self) -> str:
        """App bar title."""
        return self._state.title

    # ------------------------------------------------------------------ structure
    def _window_pickers(self) -> list[ft.Control]:
        return [
            tagged("windows-propose-date", self._date),
            ft.Row(
                [
                    ft.Container(tagged("windows-propose-start", self._start), expand=True),
                    ft.Container(tagged("windows-propose-end", self._end), expand=True),
                ],
                spacing=12,
            ),
            self._proposed_agenda,
        ]

    def _structure(self, mode: WindowsMode) -> list[ft.Control]:
        state = self._state
        items: list[ft.Control] = [self._header]
        if mode is WindowsMode.CONFIRM:
            items += [
                section_title("The customer's preferred windows"),
                self._option_list,
                section_title("Or propose another window"),
                ft.Text(
                    "Proposing a window confirms it; the customer is told.",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
                *self._window_pickers(),
                tagged("windows-propose-note", self._propose_note),
                action_button(
                    "windows-propose-submit",
                    "Propose this window",
                    ft.Icons.SEND,
                    self._propose,
                    primary=True,
                ),
            ]
        elif mode is WindowsMode.RESCHEDULE:
            items += [
                section_title("New window"),
                *self._window_pickers(),
                section_title("Why are you moving it?"),
                tagged("windows-reason", self._reason, "Reason for rescheduling", container=True),
                self._reason_error,
                tagged("windows-note", self._note),
                action_button(
                    "windows-reschedule-submit",
                    "Reschedule",
                    ft.Icons.EVENT_REPEAT,
                    self._reschedule,
                    primary=True,
                ),
            ]
        elif state.loaded:
            items.append(
                tagged(
                    "windows-closed",
                    ft.Text(state.closed_text, size=16),
                    state.closed_text,
                )
            )
        else:
            items.append(
                ft.Container(padding=40, alignment=ft.Alignment.CENTER, content=ft.ProgressRing())
            )
        return [centered_column(item) for item in items]

    # ------------------------------------------------------------------ rendering
    def render(self) -> None:
        """Copy the state into the controls (the caller updates the page)."""
        state = self._state
        if state.mode is not self._mode or state.loaded != self._loaded:
            self._mode = state.mode
            self._loaded = state.loaded
            self._list.controls = self._structure(state.mode)
        self._header.content = self._header_card()
        self._option_list.controls = [self._option(option) for option in state.options]

        self._date.options = _options(state.date_choices)
        self._date.value = state.proposed_date
        self._date.error_text = state.date_error
        self._start.value = state.proposed_start
        self._start.error_text = state.start_error
        self._end.value = state.proposed_end
        self._end.error_text = state.end_error
        self._proposed_agenda.content = ft.Column(
            [
                ft.Text("Your appointments that day", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                _agenda(
                    state.proposed_agenda,
                    "Nothing else booked that day.",
                    state.proposed_agenda_hidden,
                ),
            ],
            spacing=4,
        )
        if self._propose_note.value != state.propose_note:
            self._propose_note.value = state.propose_note

        self._reason.value = state.reason
        self._reason_error.content = (
            ft.Text(state.reason_error, color=ft.Colors.ERROR) if state.reason_error else None
        )
        self._note.label = "Note (required for Other)" if state.note_required else "Note (optional)"
        if self._note.value != state.note:
            self._note.value = state.note
        self._note.error = state.note_error

        self._error.content = error_text("windows-error", state.error)
        self._error.padding = ft.Padding.symmetric(horizontal=16, vertical=10) if state.error else 0
        self._error.bgcolor = ft.Colors.ERROR_CONTAINER if state.error else None

    def _header_card(self) -> ft.Control:
        state = self._state
        if not state.loaded or state.mode is WindowsMode.CLOSED:
            return ft.Container()
        rows: list[ft.Control] = [
            ft.Text(state.job_title, size=19, weight=ft.FontWeight.W_700),
            info_row(ft.Icons.PERSON, state.customer_name),
            info_row(ft.Icons.PUBLIC, state.zone_text),
        ]
        if state.mode is WindowsMode.CONFIRM:
            rows.append(
                tagged(
                    "windows-deadline",
                    info_row(
                        ft.Icons.WARNING_AMBER if state.deadline_overdue else ft.Icons.TIMER,
                        state.deadline_text,
                        strong=True,
                    ),
                    state.deadline_text,
                )
            )
        else:
            rows.append(
                tagged(
                    "windows-current",
                    info_row(ft.Icons.SCHEDULE, f"Now: {state.current_window_text}", strong=True),
                    f"Current window: {state.current_window_text}",
                )
            )
        tone = ft.Colors.ERROR_CONTAINER if state.deadline_overdue else None
        return card(ft.Column(rows, spacing=8), tone=tone)

    def _option(self, option: WindowOption) -> ft.Control:
        state = self._state
        body: list[ft.Control] = [
            ft.Row(
                [
                    ft.Icon(ft.Icons.SCHEDULE, color=ft.Colors.PRIMARY),
                    ft.Column(
                        [
                            ft.Text(option.day_text, size=17, weight=ft.FontWeight.W_700),
                            ft.Text(option.time_text, size=16),
                        ],
                        spacing=0,
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            ft.Text("Your appointments that day", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            _agenda(option.agenda, "Nothing else booked that day.", option.hidden_count),
        ]
        if option.started:
            body.append(ft.Text("This window has already started.", color=ft.Colors.ERROR, size=14))
        body.append(
            tagged(
                f"windows-confirm-{option.preferred_window_id}",
                ft.Row(
                    [
                        ft.FilledButton(
                            "Confirm this window",
                            icon=ft.Icons.CHECK,
                            height=TAP_TARGET,
                            expand=True,
                            disabled=option.started or state.busy,
                            on_click=self._confirmer(option.preferred_window_id),
                        )
                    ]
                ),
                button=True,
            )
        )
        return tagged(
            f"windows-option-{option.preferred_window_id}",
            card(
                ft.Column(body, spacing=8),
                tone=ft.Colors.ERROR_CONTAINER if option.has_overlap else None,
            ),
            option.summary,
            container=True,
        )

    # ------------------------------------------------------------------ events
    def _confirmer(self, preferred_window_id: str) -> Callable[[ft.Event[ft.Button]], object]:
        async def handler(_: ft.Event[ft.Button]) -> None:
            await self._state.confirm(preferred_window_id)

        return handler

    def _date_selected(self, e: ft.Event[ft.Dropdown]) -> None:
        self._state.set_date(e.control.value)

    def _start_selected(self, e: ft.Event[ft.Dropdown]) -> None:
        self._state.set_start(e.control.value)

    def _end_selected(self, e: ft.Event[ft.Dropdown]) -> None:
        self._state.set_end(e.control.value)

    def _propose_note_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_propose_note(e.control.value or "")

    def _reason_changed(self, e: ft.Event[ft.RadioGroup]) -> None:
        self._state.set_reason(e.control.value)

    def _note_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_note(e.control.value or "")

    async def _propose(self, _: object) -> None:
        await self._state.propose()

    async def _reschedule(self, _: object) -> None:
        await self._state.reschedule()

    def _changed(self) -> None:
        self.render()
        self._refresh()

    def dispose(self) -> None:
        """Stop listening (the shell disposes the state)."""
        self._unsubscribe()
