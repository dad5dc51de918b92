"""The on-site visit proposal form (R4): renders `VisitProposalState`."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.visit_proposal import WAIVER_CHOICES, VisitProposalState
from proapp.views.screen_parts import ErrorBox, notice, primary_button, section_title, set_text
from proapp.views.theme import centered_column

__all__ = ["VisitProposalView"]


class VisitProposalView:
    """Fields are built once and only their values/errors change, so typing is never
    interrupted by a re-render."""

    def __init__(self, state: VisitProposalState, refresh: Callable[[], None]) -> None:
        self._state = state
        self._refresh = refresh
        self.title = state.title

        self._request_title = ft.Text(size=15, color=ft.Colors.ON_SURFACE_VARIANT)
        self._minimum = notice("", icon=ft.Icons.GAVEL)
        self._minimum_text = self._notice_text(self._minimum)
        self._existing = notice("", icon=ft.Icons.HISTORY)
        self._existing_text = self._notice_text(self._existing)
        self._closed = notice(
            "",
            icon=ft.Icons.LOCK_CLOCK,
            background=ft.Colors.ERROR_CONTAINER,
            foreground=ft.Colors.ON_ERROR_CONTAINER,
        )
        self._closed_text = self._notice_text(self._closed)
        # Visibility goes on the Semantics wrappers: a Semantics whose content is hidden
        # is an error in Flet ("Semantics.content must be provided and visible").
        self._minimum_semantics = ft.Semantics(
            identifier="visit-minimum", live_region=True, content=self._minimum
        )
        self._existing_semantics = ft.Semantics(identifier="visit-existing", content=self._existing)
        self._closed_semantics = ft.Semantics(
            identifier="visit-closed", live_region=True, content=self._closed
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
            content=ft.Column(
                [
                    ft.Semantics(
                        identifier=f"visit-waiver-{terms.value.lower().replace('_', '-')}",
                        content=ft.Container(
                            height=48,
                            content=ft.Radio(value=terms.value, label=label),
                        ),
                    )
                    for terms, label in WAIVER_CHOICES
                ],
                spacing=0,
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
                self._minimum_semantics,
                self._existing_semantics,
                self._closed_semantics,
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
        bottom = ft.Container(
            bgcolor=ft.Colors.SURFACE_CONTAINER,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            content=centered_column(
                ft.Column(
                    [
                        self._error.control,
                        ft.Semantics(
                            identifier="visit-submit",
                            button=True,
                            content=ft.Row([ft.Container(self._submit, expand=True)]),
                        ),
                    ],
                    spacing=8,
                    tight=True,
                )
            ),
        )
        self.control = ft.SafeArea(
            expand=True,
            content=ft.Column(
                [
                    ft.ListView(
                        controls=[centered_column(form)],
                        padding=ft.Padding.symmetric(horizontal=16, vertical=16),
                        expand=True,
                    ),
                    bottom,
                ],
                spacing=0,
                expand=True,
            ),
        )
        self._unsubscribe = state.subscribe(self._state_changed)
        self.render()

    @staticmethod
    def _notice_text(box: ft.Container) -> ft.Text:
        row = box.content
        assert isinstance(row, ft.Row)
        text = row.controls[1]
        assert isinstance(text, ft.Text)
        return text

    def render(self) -> None:
        """Copy the state into the controls (the caller updates the page)."""
        s = self._state
        self._request_title.value = f"For: {s.request_title}" if s.request_title else ""
        self._minimum_text.value = s.minimum_text
        self._minimum_semantics.visible = bool(s.minimum_text)
        self._existing_text.value = s.existing_text
        self._existing_semantics.visible = bool(s.existing_text)
        self._closed_text.value = s.closed_reason
        self._closed_semantics.visible = bool(s.closed_reason)
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

    def dispose(self) -> None:
        """Stop listening (the state saves any pending draft itself)."""
        self._unsubscribe()

    def _state_changed(self) -> None:
        self.render()
        self._refresh()

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
