"""Completion sign-off screen (R9): work summary, the amount the marketplace charges, the
customer's signature. The app never offers to take payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from proapp.state.completion import CUSTOMER_PAYMENT_NOTE, PAYMENT_NOTE, CompletionState
from proapp.views.signature_pad import SigningPanel, big_text
from proapp.views.signoff import SignOffView, scroll_page, section, totals_row

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


class CompletionView(SignOffView[CompletionState]):
    """Builds the completion screen from `CompletionState`."""

    def __init__(self, state: CompletionState, refresh: Callable[[], None]) -> None:
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
        super().__init__(
            state, refresh, prefix="complete", handoff_label="Hand to customer to sign"
        )

    def _shape_of(self) -> tuple[Any, ...]:
        s = self.state
        return (s.step, s.unavailable_message, s.amount_text, tuple(s.breakdown()))

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

    def _build_signing(self) -> SigningPanel:
        s = self.state
        return SigningPanel(
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

    def _build_form(self) -> ft.Control:
        s = self.state
        self._summary.value = s.summary
        content = ft.Column(
            [
                ft.Text(s.job_title, size=20, weight=ft.FontWeight.W_700),
                ft.Semantics(identifier="complete-summary", content=ft.Row([self._summary])),
                section("Amount"),
                self._amount_box(large=False),
                _payment_note(),
                self._error_box,
                self._handoff_control(),
            ],
            spacing=14,
        )
        return scroll_page(content)

    def _sync_form(self) -> None:
        self._summary.error = self.state.summary_error

    async def _summary_changed(self, e: ft.Event[ft.TextField]) -> None:
        await self.state.set_summary(e.control.value)
