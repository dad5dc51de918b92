"""What the change order (R8) and completion (R9) screens share.

`SignOffView` renders a `proapp.state.signature.SignOffState`: a spinner while loading,
the reason when the job cannot be signed now, the pro's form with its error line and
"hand to customer" button, and the customer's `SigningPanel` after the hand-over. The
page is rebuilt only when its shape changes (``_shape_of``); typing only updates values,
so the field being typed in keeps its focus and cursor. Subclasses build the form and
the customer's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import flet as ft

from proapp.state.signature import SignOffState, SignOffStep
from proapp.views.signature_pad import SigningPanel
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["SignOffView", "scroll_page", "section", "totals_row"]

S = TypeVar("S", bound=SignOffState)


def scroll_page(content: ft.Control) -> ft.Control:
    """A scrolling form page. A Column, not a ListView: a ListView drops off-screen
    controls from the accessibility tree, so tests (and screen readers) could not find
    the buttons at the bottom of a long form without scrolling first."""
    return ft.Column(
        [
            ft.Container(
                padding=ft.Padding.symmetric(horizontal=16, vertical=12),
                content=centered_column(content),
            )
        ],
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


def section(text: str) -> ft.Control:
    """A section heading."""
    return ft.Semantics(
        header=True,
        content=ft.Text(text, size=18, weight=ft.FontWeight.W_700, color=ft.Colors.PRIMARY),
    )


def totals_row(label: str, value: ft.Text, *, strong: bool = False) -> ft.Control:
    """``label ............ value``."""
    return ft.Row(
        [
            ft.Text(
                label, size=18 if strong else 16, weight=ft.FontWeight.W_700 if strong else None
            ),
            value,
        ],
        alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
    )


def _unavailable(identifier: str, message: str) -> ft.Control:
    return ft.Container(
        padding=24,
        alignment=ft.Alignment.CENTER,
        expand=True,
        content=ft.Semantics(
            identifier=identifier,
            live_region=True,
            content=ft.Column(
                [
                    ft.Icon(ft.Icons.INFO_OUTLINE, size=48, color=ft.Colors.PRIMARY),
                    ft.Text(message, size=18, text_align=ft.TextAlign.CENTER),
                ],
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                tight=True,
                spacing=16,
            ),
        ),
    )


class SignOffView(StateView, Generic[S]):
    """Base of the signing screens' views (see the module docstring).

    Subclasses create their own controls, then call ``super().__init__``, which
    subscribes and renders. ``prefix`` starts the Semantics identifiers
    (``<prefix>-unavailable``, ``<prefix>-error``, ``<prefix>-handoff``).
    """

    def __init__(
        self, state: S, refresh: Callable[[], None], *, prefix: str, handoff_label: str
    ) -> None:
        self.state = state
        self._prefix = prefix
        self._handoff_label = handoff_label
        self._shape: tuple[Any, ...] | None = None
        self._panel: SigningPanel | None = None
        self._error = ft.Text("", color=ft.Colors.ERROR, size=16, weight=ft.FontWeight.W_600)
        self._error_box = ft.Semantics(
            identifier=f"{prefix}-error", live_region=True, content=self._error, visible=False
        )
        self._handoff = ft.FilledButton(
            handoff_label,
            icon=ft.Icons.FRONT_HAND_OUTLINED,
            height=TAP_TARGET + 8,
            on_click=self._handoff_clicked,
            expand=True,
        )
        self._body = ft.Container(expand=True)
        self.control: ft.Control = ft.SafeArea(expand=True, content=self._body)
        self._follow(state, refresh)

    # --- subclass hooks --------------------------------------------------------------------
    def _shape_of(self) -> tuple[Any, ...]:
        """What, when it changes, needs the page rebuilt."""
        raise NotImplementedError

    def _build_form(self) -> ft.Control:
        """The pro's form (step EDIT)."""
        raise NotImplementedError

    def _build_signing(self) -> SigningPanel:
        """The customer's panel (step SIGN)."""
        raise NotImplementedError

    def _sync_form(self) -> None:
        """Copy the state's values and errors into the form's controls."""

    # --- the shared part -------------------------------------------------------------------
    @property
    def title(self) -> str:
        """App bar title."""
        return self.state.title

    def render(self) -> None:
        """Rebuild if the page's shape changed, then sync every value."""
        shape = self._shape_of()
        if shape != self._shape:
            self._shape = shape
            self._body.content = self._build()
        self._sync()

    def _build(self) -> ft.Control:
        s = self.state
        self._panel = None
        if s.step is SignOffStep.LOADING:
            return ft.Container(
                alignment=ft.Alignment.CENTER, expand=True, content=ft.ProgressRing()
            )
        if s.step is SignOffStep.UNAVAILABLE:
            return _unavailable(f"{self._prefix}-unavailable", s.unavailable_message)
        if s.step is SignOffStep.SIGN:
            self._panel = self._build_signing()
            return scroll_page(self._panel.control)
        return self._build_form()

    def _handoff_control(self) -> ft.Control:
        return ft.Semantics(
            identifier=f"{self._prefix}-handoff",
            button=True,
            label=self._handoff_label,
            content=ft.Row([self._handoff]),
        )

    def _sync(self) -> None:
        s = self.state
        if s.step is SignOffStep.SIGN and self._panel is not None:
            self._panel.sync()
            return
        if s.step is not SignOffStep.EDIT:
            return
        self._sync_form()
        self._error.value = s.error or ""
        self._error_box.visible = bool(s.error)
        self._handoff.disabled = s.busy

    async def _handoff_clicked(self) -> None:
        await self.state.hand_to_customer()
