"""The on-site visit proposal form (R4): renders `VisitProposalState`."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.visit_proposal import WAIVER_CHOICES, VisitProposalState
from proapp.views.screen_parts import (
    ErrorBox,
    NoticeBox,
    form_page,
    primary_button,
    radio_choices,
    section_title,
    set_text,
)
from proapp.views.state_view import StateView

__all__ = ["VisitProposalView"]


class VisitProposalView(StateView):
    """Fields are built once and only their values/errors change, so typing is never
    interrupted by a re-render."""

    def __init__(self, state: VisitProposalState, refresh: Callable[[], None]) -> None:
        self._state = state
        self.title = state.title

        self._request_title = ft.Text(size=15, color=ft.Colors.ON_SURFACE_VARIANT)
        self._minimum = NoticeBox("visit-minimum", icon=ft.Icons.GAVEL, live_region=True)
        self._existing = NoticeBox("visit-existing", icon=ft.Icons.HISTORY)
        self._closed = NoticeBox(
            "visit-closed",
            icon=ft.Icons.LOCK_CLOCK,
            background=ft.Colors.ERROR_CONTAINER,
            foreground=ft.Colors.ON_ERROR_CONTAINER,
            live_region=True,
        )

        self._price = ft.TextField(
            label="Visit price",
            hint_text="45.00 (0 for a free visit)",
            prefix="$",
            keyboard_type=ft.KeyboardType.NUMBER,
            autocorrect=False,
            enable_suggestions=False,
            on_change=self._price_changed,
        )
        self._waiver = ft.RadioGroup(
            value=state.waiver.value,
            on_change=self._waiver_changed,
            content=radio_choices(
                (f"visit-waiver-{terms.value.lower().replace('_', '-')}", terms.value, label)
                for terms, label in WAIVER_CHOICES
            ),
        )
        self._discount = ft.TextField(
            label="Discount if the customer goes ahead",
            hint_text="20.00",
            prefix="$",
            keyboard_type=ft.KeyboardType.NUMBER,
            autocorrect=False,
            enable_suggestions=False,
            on_change=self._discount_changed,
        )
        self._note = ft.TextField(
            label="Note to the customer (optional)",
            hint_text="What you will check on site, how long it takes…",
            multiline=True,
            min_lines=3,
            max_lines=6,
            on_change=self._note_changed,
        )
        self._error = ErrorBox("visit-error")
        self._submit = primary_button(
            "Send visit proposal", self._submit_clicked, icon=ft.Icons.SEND
        )

        form = ft.Column(
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                self._request_title,
                self._minimum.control,
                self._existing.control,
                self._closed.control,
                ft.Semantics(identifier="visit-price", content=self._price),
                section_title("If the customer goes ahead with the work"),
                ft.Semantics(identifier="visit-waiver", container=True, content=self._waiver),
                ft.Semantics(identifier="visit-discount", content=self._discount),
                ft.Semantics(identifier="visit-note", content=self._note),
                ft.Text(
                    "The customer accepts or declines the visit and its price before you go. "
                    "Only an accepted visit can be charged.",
                    size=13,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
            ],
        )
        self.control = form_page(
            form,
            [
                self._error.control,
                ft.Semantics(
                    identifier="visit-submit",
                    button=True,
                    content=ft.Row([ft.Container(self._submit, expand=True)]),
                ),
            ],
            form_padding=ft.Padding.symmetric(horizontal=16, vertical=16),
            bottom_padding=ft.Padding.symmetric(horizontal=16, vertical=12),
        )
        self._follow(state, refresh)

    def render(self) -> None:
        """Copy the state into the controls (the caller updates the page)."""
        s = self._state
        self._request_title.value = f"For: {s.request_title}" if s.request_title else ""
        self._minimum.show(s.minimum_text)
        self._existing.show(s.existing_text)
        self._closed.show(s.closed_reason)
        locked = s.busy or not s.loaded
        set_text(self._price, s.price_text, s.price_error, disabled=locked)
        if self._waiver.value != s.waiver.value:
            self._waiver.value = s.waiver.value
        self._waiver.disabled = locked
        set_text(
            self._discount,
            s.discount_text,
            s.discount_error,
            disabled=locked or not s.discount_enabled,
        )
        self._discount.helper = (
            None if s.discount_enabled else "Choose the discount option above to set an amount."
        )
        set_text(self._note, s.note, s.note_error, disabled=locked)
        self._error.show(s.error)
        self._submit.disabled = not s.can_submit
        self._submit.content = "Saving…" if s.busy else "Send visit proposal"

    # ------------------------------------------------------------------ events

    async def _price_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_price(e.control.value)

    async def _waiver_changed(self, e: ft.Event[ft.RadioGroup]) -> None:
        if e.control.value:
            self._state.set_waiver(e.control.value)

    async def _discount_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_discount(e.control.value)

    async def _note_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_note(e.control.value)

    async def _submit_clicked(self) -> None:
        await self._state.submit()
