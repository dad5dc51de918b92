"""Completion sign-off screen (R9): work summary, the amount the marketplace charges, the
customer's signature. The app never offers to take payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from proapp.state.completion import (
    CUSTOMER_PAYMENT_NOTE,
    PAYMENT_NOTE,
    CompletionState,
    CompletionStep,
)
from proapp.views.change_order import scroll_page, section, totals_row
from proapp.views.signature_pad import SigningPanel, big_text
from proapp.views.theme import TAP_TARGET

__all__ = ["CompletionView"]


def _payment_note(size: int = 16, text: str = PAYMENT_NOTE) -> ft.Control:
    return ft.Semantics(
        identifier="complete-payment-note",
        label=text,
        content=ft.Container(
            padding=14,
            border_radius=12,
            bgcolor=ft.Colors.TERTIARY_CONTAINER,
            content=ft.Row(
                [
                    ft.Icon(ft.Icons.VERIFIED_USER_OUTLINED, color=ft.Colors.ON_TERTIARY_CONTAINER),
                    ft.Text(
                        text,
                        size=size,
                        color=ft.Colors.ON_TERTIARY_CONTAINER,
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
        ),
    )


class CompletionView:
    """Builds the completion screen from `CompletionState`."""

    def __init__(self, state: CompletionState, refresh: Callable[[], None]) -> None:
        self.state = state
        self._refresh = refresh
        self._shape: tuple[Any, ...] | None = None
        self._panel: SigningPanel | None = None
        self._summary = ft.TextField(
            error_max_lines=3,
            label="Work summary",
            multiline=True,
            min_lines=3,
            max_lines=8,
            max_length=4000,
            hint_text="What you did, parts used, anything the customer should know",
            expand=True,
            on_change=self._summary_changed,
        )
        self._error = ft.Text("", color=ft.Colors.ERROR, size=16, weight=ft.FontWeight.W_600)
        self._error_box = ft.Semantics(
            identifier="complete-error", live_region=True, content=self._error, visible=False
        )
        self._handoff = ft.FilledButton(
            "Hand to customer to sign",
            icon=ft.Icons.FRONT_HAND_OUTLINED,
            height=TAP_TARGET + 8,
            on_click=self._handoff_clicked,
            expand=True,
        )
        self._body = ft.Container(expand=True)
        self.control: ft.Control = ft.SafeArea(expand=True, content=self._body)
        self._unsubscribe = state.subscribe(self._changed)
        self.render()

    @property
    def title(self) -> str:
        """App bar title."""
        return self.state.title

    def dispose(self) -> None:
        """Stop listening to the state."""
        self._unsubscribe()

    def _changed(self) -> None:
        self.render()
        self._refresh()

    def render(self) -> None:
        """Rebuild when the step or amounts change; otherwise update errors only."""
        s = self.state
        shape = (s.step, s.unavailable_message, s.amount_text, tuple(s.breakdown()))
        if shape != self._shape:
            self._shape = shape
            self._body.content = self._build()
        self._sync()

    def _amount_box(self, *, large: bool) -> ft.Control:
        s = self.state
        rows: list[ft.Control] = [
            totals_row(line.label, ft.Text(line.amount_text, size=18 if large else 16))
            for line in s.breakdown()
        ]
        rows.append(ft.Divider(height=1))
        rows.append(
            ft.Text(
                "The marketplace will charge",
                size=18 if large else 16,
                weight=ft.FontWeight.W_600,
            )
        )
        rows.append(
            ft.Text(
                s.amount_text,
                size=40 if large else 32,
                weight=ft.FontWeight.W_800,
                color=ft.Colors.ON_SURFACE,
            )
        )
        return ft.Semantics(
            identifier="complete-amount",
            label=f"The marketplace will charge {s.amount_text}",
            container=True,
            content=ft.Container(
                padding=16,
                border_radius=12,
                border=ft.Border.all(2, ft.Colors.PRIMARY),
                content=ft.Column(rows, spacing=6),
            ),
        )

    def _build(self) -> ft.Control:
        s = self.state
        self._panel = None
        if s.step == CompletionStep.LOADING:
            return ft.Container(
                alignment=ft.Alignment.CENTER, expand=True, content=ft.ProgressRing()
            )
        if s.step == CompletionStep.UNAVAILABLE:
            return ft.Container(
                padding=24,
                alignment=ft.Alignment.CENTER,
                expand=True,
                content=ft.Semantics(
                    identifier="complete-unavailable",
                    live_region=True,
                    content=ft.Column(
                        [
                            ft.Icon(ft.Icons.INFO_OUTLINE, size=48, color=ft.Colors.PRIMARY),
                            ft.Text(s.unavailable_message, size=18, text_align=ft.TextAlign.CENTER),
                        ],
                        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                        tight=True,
                        spacing=16,
                    ),
                ),
            )
        if s.step == CompletionStep.SIGN:
            self._panel = SigningPanel(
                s,
                heading="Is the work complete?",
                summary=[
                    ft.Semantics(
                        identifier="sign-summary",
                        container=True,
                        label=f"{s.job_title}. Work done: {s.summary.strip()}",
                        content=ft.Column(
                            [
                                big_text(s.job_title, size=22, weight=ft.FontWeight.W_700),
                                big_text("Work done:", size=18, weight=ft.FontWeight.W_700),
                                big_text(s.summary.strip(), size=22),
                            ],
                            spacing=8,
                        ),
                    ),
                    self._amount_box(large=True),
                    _payment_note(size=18, text=CUSTOMER_PAYMENT_NOTE),
                ],
                consent_text=s.consent_text,
                accept_label="Accept and sign",
            )
            return scroll_page(self._panel.control)
        self._summary.value = s.summary
        content = ft.Column(
            [
                ft.Text(s.job_title, size=20, weight=ft.FontWeight.W_700),
                ft.Semantics(identifier="complete-summary", content=ft.Row([self._summary])),
                section("Amount"),
                self._amount_box(large=False),
                _payment_note(),
                self._error_box,
                ft.Semantics(
                    identifier="complete-handoff",
                    button=True,
                    label="Hand to customer to sign",
                    content=ft.Row([self._handoff]),
                ),
            ],
            spacing=14,
        )
        return scroll_page(content)

    def _sync(self) -> None:
        s = self.state
        if s.step == CompletionStep.SIGN and self._panel is not None:
            self._panel.sync()
            return
        self._summary.error = s.summary_error
        self._error.value = s.error or ""
        self._error_box.visible = bool(s.error)
        self._handoff.disabled = s.busy

    async def _summary_changed(self, e: ft.Event[ft.TextField]) -> None:
        await self.state.set_summary(e.control.value)

    async def _handoff_clicked(self) -> None:
        await self.state.hand_to_customer()
