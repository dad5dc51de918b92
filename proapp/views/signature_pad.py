"""Signature capture: the pad, and the "hand the phone to the customer" panel (R8, R9).

`SignaturePad` is a `ft.GestureDetector` over a `cv.Canvas`: a pan (finger, stylus or
mouse) starts a stroke, each update adds a point, and the end of the pan reports the
strokes. Points are integer logical pixels in the pad's own coordinates, the vector
data the signature record keeps (DESIGN.md section 5); the PNG is rendered from them
by the repository, so what is drawn here and what is stored are the same strokes.

`SigningPanel` is the customer's half of the change order and completion screens: huge
type, high contrast, a summary the caller provides, the consent text, the typed name,
the pad, Accept (enabled only with a name and ink) and "hand back".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import flet as ft
import flet.canvas as cv

from proapp.state.signature import SigningForm
from proapp.views.theme import TAP_TARGET

__all__ = ["PAD_HEIGHT", "SignaturePad", "SigningPanel", "SigningSubject", "big_text"]

PAD_HEIGHT = 220
"""Tall enough for a full signature with a finger on a 390 px wide phone."""

INK_WIDTH = 3.5

Strokes = list[list[tuple[int, int]]]


class SignaturePad:
    """A box to sign in with a finger or a mouse; ``strokes`` is what was drawn.

    Args:
        on_change: called with the strokes after every finished stroke and after Clear.
        height: the pad's height in logical pixels (it fills the available width).
    """

    def __init__(
        self, on_change: Callable[[Strokes], None] | None = None, *, height: int = PAD_HEIGHT
    ) -> None:
        self._on_change = on_change
        self._strokes: Strokes = []
        self._current: cv.Points | None = None
        self._paint = ft.Paint(
            color=ft.Colors.ON_SURFACE,
            stroke_width=INK_WIDTH,
            stroke_cap=ft.StrokeCap.ROUND,
            stroke_join=ft.StrokeJoin.ROUND,
            style=ft.PaintingStyle.STROKE,
        )
        self._hint = ft.Text(
            "Sign here",
            size=20,
            color=ft.Colors.ON_SURFACE_VARIANT,
            italic=True,
        )
        self._canvas = cv.Canvas(shapes=[], expand=True)
        self._detector = ft.GestureDetector(
            content=ft.Stack(
                [
                    ft.Container(
                        content=self._hint,
                        alignment=ft.Alignment.BOTTOM_LEFT,
                        padding=ft.Padding.only(left=16, bottom=12),
                    ),
                    # The signing line: where people expect to sign on paper.
                    ft.Container(
                        bottom=44,
                        left=16,
                        right=16,
                        height=2,
                        bgcolor=ft.Colors.OUTLINE_VARIANT,
                    ),
                    self._canvas,
                ],
                expand=True,
            ),
            mouse_cursor=ft.MouseCursor.PRECISE,
            drag_interval=0,
            on_pan_start=self._pan_start,
            on_pan_update=self._pan_update,
            on_pan_end=self._pan_end,
            expand=True,
        )
        box = ft.Container(
            content=self._detector,
            height=height,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOWEST,
            border=ft.Border.all(2, ft.Colors.OUTLINE),
            border_radius=12,
            clip_behavior=ft.ClipBehavior.HARD_EDGE,
        )
        self.pad = ft.Semantics(
            identifier="sign-pad",
            label="Signature box. Sign here with your finger.",
            container=True,
            content=box,
        )
        self.clear_button = ft.Semantics(
            identifier="sign-clear",
            button=True,
            label="Clear signature",
            content=ft.OutlinedButton(
                "Clear",
                icon=ft.Icons.BACKSPACE_OUTLINED,
                height=TAP_TARGET,
                on_click=self._clear_clicked,
            ),
        )
        self.control = ft.Column(
            [
                self.pad,
                ft.Row([self.clear_button], alignment=ft.MainAxisAlignment.END),
            ],
            spacing=8,
        )

    @property
    def strokes(self) -> Strokes:
        """What was drawn: strokes of integer ``(x, y)`` points (copies)."""
        return [list(stroke) for stroke in self._strokes if stroke]

    @property
    def has_ink(self) -> bool:
        """True once anything was drawn."""
        return any(self._strokes)

    def clear(self) -> None:
        """Wipe the pad (the caller updates the page)."""
        self._strokes = []
        self._current = None
        self._canvas.shapes = []
        self._hint.visible = True

    # --- gestures --------------------------------------------------------------------------
    @staticmethod
    def _point(position: ft.Offset) -> tuple[int, int]:
        # Negative positions happen when the finger slides off the box: keep them on the
        # edge, the record's points are never negative.
        return max(round(position.x), 0), max(round(position.y), 0)

    def _pan_start(self, e: ft.DragStartEvent[ft.GestureDetector]) -> None:
        point = self._point(e.local_position)
        self._strokes.append([point])
        # A dot for the first point, replaced by a polyline as soon as the finger moves.
        self._current = cv.Points(
            points=[ft.Offset(*point)],
            point_mode=cv.PointMode.POINTS,
            paint=self._paint,
        )
        self._canvas.shapes.append(self._current)
        self._hint.visible = False
        # The event's auto-update redraws the detector and its canvas.

    def _pan_update(self, e: ft.DragUpdateEvent[ft.GestureDetector]) -> None:
        if self._current is None or not self._strokes:
            return
        point = self._point(e.local_position)
        stroke = self._strokes[-1]
        if stroke[-1] == point:
            return
        stroke.append(point)
        self._current.point_mode = cv.PointMode.POLYGON
        assert self._current.points is not None
        self._current.points.append(ft.Offset(*point))

    def _pan_end(self, _e: ft.DragEndEvent[ft.GestureDetector]) -> None:
        self._current = None
        if self._on_change is not None:
            self._on_change(self.strokes)

    def _clear_clicked(self) -> None:
        self.clear()
        self._canvas.update()
        if self._on_change is not None:
            self._on_change([])


class SigningSubject(Protocol):
    """What the panel needs from a screen state (change order or completion)."""

    @property
    def signing(self) -> SigningForm: ...

    @property
    def busy(self) -> bool: ...

    @property
    def error(self) -> str | None: ...

    def set_signer_name(self, name: str) -> None: ...

    def set_strokes(self, strokes: Sequence[Sequence[Sequence[float]]]) -> None: ...

    def accept(self) -> Awaitable[bool]: ...

    def hand_back(self) -> Awaitable[None]: ...


def big_text(
    text: str,
    *,
    size: int = 22,
    weight: ft.FontWeight = ft.FontWeight.W_500,
    color: ft.ColorValue | None = None,
) -> ft.Text:
    """Large, high-contrast text for the customer's side of the phone."""
    return ft.Text(text, size=size, weight=weight, color=color or ft.Colors.ON_SURFACE)


class SigningPanel:
    """The customer's signing panel. Build a new one per hand-over; call `sync` after
    every state change (it only touches Accept, the error and the busy spinner, so what
    the customer is typing or drawing is never rebuilt).

    Args:
        subject: the screen state (`SigningSubject`).
        heading: e.g. "Please check this change".
        summary: controls showing exactly what is signed, in large type.
        consent_text: the consent sentence, shown verbatim (it is stored in the record).
        accept_label: e.g. "Accept and sign".
    """

    def __init__(
        self,
        subject: SigningSubject,
        *,
        heading: str,
        summary: Sequence[ft.Control],
        consent_text: str,
        accept_label: str,
    ) -> None:
        self._subject = subject
        self.pad = SignaturePad(self._strokes_changed)
        self._name = ft.TextField(
            label="Your full name",
            value=subject.signing.signer_name,
            text_size=22,
            height=None,
            capitalization=ft.TextCapitalization.WORDS,
            autocorrect=False,
            enable_suggestions=False,
            expand=True,
            on_change=self._name_changed,
        )
        self._error = ft.Text("", size=18, color=ft.Colors.ERROR, weight=ft.FontWeight.W_600)
        self._error_box = ft.Semantics(
            identifier="sign-error", live_region=True, content=self._error, visible=False
        )
        self._busy = ft.ProgressRing(width=24, height=24, visible=False)
        self._accept_text = ft.Text(accept_label, size=22, weight=ft.FontWeight.W_700)
        self._accept = ft.FilledButton(
            content=ft.Row(
                [self._busy, self._accept_text],
                alignment=ft.MainAxisAlignment.CENTER,
                tight=True,
                spacing=12,
            ),
            height=72,
            disabled=True,
            on_click=self._accept_clicked,
            expand=True,
        )
        self._accept_semantics = ft.Semantics(
            identifier="sign-accept",
            button=True,
            label=accept_label,
            content=ft.Row([self._accept]),
        )
        cancel = ft.Semantics(
            identifier="sign-cancel",
            button=True,
            label="Hand back to the pro without signing",
            content=ft.Row(
                [
                    ft.TextButton(
                        "Hand back to the pro without signing",
                        icon=ft.Icons.UNDO,
                        height=TAP_TARGET,
                        on_click=self._cancel_clicked,
                        expand=True,
                    )
                ]
            ),
        )
        consent = ft.Container(
            padding=16,
            border_radius=12,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
            content=ft.Column(
                [
                    big_text("By signing you agree:", size=18, weight=ft.FontWeight.W_700),
                    big_text(consent_text, size=20),
                ],
                spacing=8,
            ),
        )
        self.control = ft.Column(
            [
                ft.Semantics(
                    header=True,
                    content=big_text(heading, size=30, weight=ft.FontWeight.W_800),
                ),
                *summary,
                ft.Semantics(identifier="sign-consent", label=consent_text, content=consent),
                ft.Semantics(identifier="sign-name", content=ft.Row([self._name])),
                big_text("Sign with your finger:", size=18, weight=ft.FontWeight.W_700),
                self.pad.control,
                self._error_box,
                self._accept_semantics,
                cancel,
            ],
            spacing=18,
        )
        self.sync()

    def sync(self) -> None:
        """Reflect the state: Accept enabled, error text, busy."""
        form = self._subject.signing
        busy = self._subject.busy
        self._accept.disabled = busy or not form.can_accept
        self._busy.visible = busy
        error = self._subject.error
        self._error.value = error or ""
        self._error_box.visible = bool(error)

    def _name_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._subject.set_signer_name(e.control.value)

    def _strokes_changed(self, strokes: Strokes) -> None:
        self._subject.set_strokes(strokes)

    async def _accept_clicked(self) -> None:
        await self._subject.accept()

    async def _cancel_clicked(self) -> None:
        await self._subject.hand_back()
