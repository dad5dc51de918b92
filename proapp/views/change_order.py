"""Change order screen (R8): the pro's form, then the customer's signing panel.

Renders `ChangeOrderState`. The form is rebuilt only when its shape changes (a line
added or removed, photos, the step); typing only updates errors and totals, so the
field being typed in keeps its focus and cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from proapp.state.change_order import KIND_LABELS, ChangeOrderState
from proapp.views.signature_pad import SigningPanel, big_text
from proapp.views.signoff import SignOffView, scroll_page, section, totals_row
from proapp.views.theme import TAP_TARGET

# scroll_page, section and totals_row live in `proapp.views.signoff` now; re-exported
# because this module used to define them.
__all__ = ["ChangeOrderView", "scroll_page", "section", "totals_row"]

THUMB = 88


def _has_page() -> bool:
    try:
        ft.context.page  # noqa: B018 - raises outside a Flet callback
    except RuntimeError:
        return False
    return True


class _LineControls:
    """The controls of one added line (kept across renders while the form's shape holds)."""

    def __init__(self, view: ChangeOrderView, index: int) -> None:
        state = view.state
        draft = state.lines[index]
        self.kind = ft.SegmentedButton(
            segments=[
                ft.Segment(value=value, label=ft.Text(text)) for value, text in KIND_LABELS.items()
            ],
            selected=[draft.kind],
            allow_empty_selection=False,
            allow_multiple_selection=False,
            show_selected_icon=False,
            # Taller than the default so a gloved thumb hits the right segment.
            style=ft.ButtonStyle(
                visual_density=ft.VisualDensity.COMFORTABLE,
                padding=ft.Padding.symmetric(horizontal=20, vertical=12),
                text_style=ft.TextStyle(size=16),
            ),
            on_change=view.line_handler(index, "kind"),
        )
        self.description = ft.TextField(
            error_max_lines=3,
            label="Description",
            value=draft.description,
            max_length=200,
            expand=True,
            on_change=view.line_handler(index, "description"),
        )
        self.quantity = ft.TextField(
            error_max_lines=4,
            label="Quantity",
            value=draft.quantity,
            keyboard_type=ft.KeyboardType.NUMBER,
            width=110,
            on_change=view.line_handler(index, "quantity"),
        )
        self.price = ft.TextField(
            error_max_lines=4,
            label="Unit price",
            value=draft.price,
            prefix="$",
            keyboard_type=ft.KeyboardType.NUMBER,
            expand=True,
            on_change=view.line_handler(index, "price"),
        )
        self.total = ft.Text("", size=16, weight=ft.FontWeight.W_600)
        self.kind_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        prefix = f"co-line-{index}"
        self.control = ft.Card(
            variant=ft.CardVariant.OUTLINED,
            margin=0,
            content=ft.Container(
                padding=12,
                content=ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Text(
                                    f"New line {index + 1}", size=16, weight=ft.FontWeight.W_600
                                ),
                                ft.Semantics(
                                    identifier=f"{prefix}-remove",
                                    button=True,
                                    label=f"Remove new line {index + 1}",
                                    content=ft.IconButton(
                                        icon=ft.Icons.DELETE_OUTLINE,
                                        tooltip="Remove this line",
                                        icon_size=26,
                                        on_click=view.drop_handler(index),
                                    ),
                                ),
                            ],
                            alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                        ),
                        ft.Semantics(
                            identifier=f"{prefix}-kind",
                            label=f"Kind of new line {index + 1}",
                            container=True,
                            content=ft.Row([self.kind], scroll=ft.ScrollMode.AUTO),
                        ),
                        self.kind_error,
                        ft.Semantics(
                            identifier=f"{prefix}-description", content=ft.Row([self.description])
                        ),
                        ft.Row(
                            [
                                ft.Semantics(
                                    identifier=f"{prefix}-quantity", content=self.quantity
                                ),
                                ft.Semantics(
                                    identifier=f"{prefix}-price",
                                    content=ft.Row([self.price], expand=True),
                                    expand=True,
                                ),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.START,
                        ),
                        ft.Semantics(
                            identifier=f"{prefix}-total",
                            live_region=True,
                            content=ft.Row(
                                [ft.Text("Line total"), self.total],
                                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                            ),
                        ),
                    ],
                    spacing=10,
                ),
            ),
        )

    def sync(self, state: ChangeOrderState, index: int) -> None:
        errors = state.errors
        prefix = f"line-{index}"
        self.description.error = errors.get(f"{prefix}-description")
        self.quantity.error = errors.get(f"{prefix}-quantity")
        self.price.error = errors.get(f"{prefix}-price")
        kind_error = errors.get(f"{prefix}-kind")
        self.kind_error.value = kind_error or ""
        self.kind_error.visible = bool(kind_error)
        self.total.value = state.line_total_text(index) or "—"


class ChangeOrderView(SignOffView[ChangeOrderState]):
    """Builds the change order screen from `ChangeOrderState`."""

    def __init__(self, state: ChangeOrderState, refresh: Callable[[], None]) -> None:
        self._lines: list[_LineControls] = []
        self._checkboxes: dict[str, ft.Checkbox] = {}
        # With a page at hand the picker is registered now and opened by a client action
        # inside the tap itself (the only way iOS Safari opens a file dialog); without one
        # (built outside a Flet callback) it is created on the first tap instead.
        self._picker: ft.FilePicker | None = (
            ft.FilePicker(on_result=self._photos_picked) if _has_page() else None
        )
        self._reason = ft.TextField(
            error_max_lines=3,
            label="Reason for the change",
            multiline=True,
            min_lines=2,
            max_lines=5,
            max_length=2000,
            expand=True,
            on_change=self._reason_changed,
        )
        self._now_text = ft.Text("", size=16)
        self._change_text = ft.Text("", size=16, weight=ft.FontWeight.W_600)
        self._new_text = ft.Text("", size=20, weight=ft.FontWeight.W_700)
        self._totals_note = ft.Text("", size=13, color=ft.Colors.ON_SURFACE_VARIANT)
        self._totals = ft.Semantics(identifier="co-totals", live_region=True, container=True)
        self._lines_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self._photos_error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        super().__init__(state, refresh, prefix="co", handoff_label="Hand to customer")

    # --- rendering -------------------------------------------------------------------------
    def _shape_of(self) -> tuple[Any, ...]:
        s = self.state
        return (
            s.step,
            s.unavailable_message,
            tuple(d.line_id for d in s.lines),
            tuple(line.line_id for line in s.existing_rows()),
            tuple(s.photo_hashes),
            tuple(s.photo_previews.get(h) is not None for h in s.photo_hashes),
            id(s.summary),
        )

    def _build_form(self) -> ft.Control:
        s = self.state
        self._lines = []
        self._checkboxes = {}
        self._reason.value = s.reason
        existing: list[ft.Control] = []
        for row in s.existing_rows():
            box = ft.Checkbox(
                label=f"Remove: {row.text} ({row.amount_text})",
                value=row.removed,
                on_change=self._removal_toggler(row.line_id),
            )
            self._checkboxes[row.line_id] = box
            existing.append(
                ft.Semantics(
                    identifier=f"co-remove-{row.line_id}",
                    label=f"Remove {row.text}, {row.amount_text}",
                    content=ft.Container(content=box, height=TAP_TARGET),
                )
            )
        if not existing:
            existing.append(
                ft.Text("The job has no priced lines.", color=ft.Colors.ON_SURFACE_VARIANT)
            )
        self._lines = [_LineControls(self, i) for i in range(len(s.lines))]
        add_line = ft.Semantics(
            identifier="co-add-line",
            button=True,
            label="Add a line",
            content=ft.OutlinedButton(
                "Add a line", icon=ft.Icons.ADD, height=TAP_TARGET, on_click=self._add_line
            ),
        )
        photos: list[ft.Control] = [self._thumb(h, s.photo_previews.get(h)) for h in s.photo_hashes]
        add_photo = ft.Semantics(
            identifier="co-add-photo",
            button=True,
            label="Add photos",
            content=ft.OutlinedButton(
                "Add photos",
                icon=ft.Icons.ADD_A_PHOTO_OUTLINED,
                height=TAP_TARGET,
                action=ft.PickFiles(
                    self._picker,
                    file_type=ft.FilePickerFileType.IMAGE,
                    allow_multiple=True,
                    with_data=True,
                )
                if self._picker is not None
                else None,
                on_click=None if self._picker is not None else self._pick_photos,
            ),
        )
        self._totals.content = ft.Container(
            padding=16,
            border_radius=12,
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
            content=ft.Column(
                [
                    totals_row("Price now", self._now_text),
                    totals_row("Change", self._change_text),
                    ft.Divider(height=1),
                    totals_row("New price", self._new_text, strong=True),
                    self._totals_note,
                ],
                spacing=8,
            ),
        )
        content = ft.Column(
            [
                ft.Text(s.job_title, size=20, weight=ft.FontWeight.W_700),
                ft.Semantics(identifier="co-reason", content=ft.Row([self._reason])),
                section("Remove work from the job"),
                *existing,
                section("Add work"),
                *(lc.control for lc in self._lines),
                self._lines_error,
                add_line,
                section("Photos"),
                ft.Row(photos, wrap=True, spacing=8, run_spacing=8)
                if photos
                else ft.Text("No photos yet.", color=ft.Colors.ON_SURFACE_VARIANT),
                self._photos_error,
                add_photo,
                section("Total"),
                self._totals,
                self._error_box,
                self._handoff_control(),
                ft.Text(
                    "The customer checks the change and signs on this phone.",
                    size=13,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
            ],
            spacing=14,
        )
        return scroll_page(content)

    def _thumb(self, blob_hash: str, data: bytes | None) -> ft.Control:
        image: ft.Control = (
            ft.Image(src=data, width=THUMB, height=THUMB, fit=ft.BoxFit.COVER, border_radius=8)
            if data is not None
            else ft.Container(
                width=THUMB,
                height=THUMB,
                border_radius=8,
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                alignment=ft.Alignment.CENTER,
                content=ft.Icon(ft.Icons.IMAGE_OUTLINED),
            )
        )

        async def remove() -> None:
            await self.state.remove_photo(blob_hash)

        return ft.Semantics(
            identifier=f"co-photo-{blob_hash[:12]}",
            label="Photo. Tap to remove it.",
            button=True,
            content=ft.Stack(
                [
                    image,
                    ft.Container(
                        right=0,
                        top=0,
                        content=ft.IconButton(
                            icon=ft.Icons.CLOSE,
                            icon_size=18,
                            tooltip="Remove photo",
                            bgcolor=ft.Colors.SURFACE,
                            on_click=remove,
                        ),
                    ),
                ],
                width=THUMB,
                height=THUMB,
            ),
        )

    def _build_signing(self) -> SigningPanel:
        s = self.state
        summary = s.summary
        assert summary is not None
        lines: list[ft.Control] = [
            big_text(summary.title, size=22, weight=ft.FontWeight.W_700),
            big_text(f"Why: {summary.reason}", size=20),
        ]
        lines += [big_text(text, size=22) for text in summary.added]
        lines += [big_text(text, size=22) for text in summary.removed]
        totals = ft.Container(
            padding=16,
            border_radius=12,
            border=ft.Border.all(2, ft.Colors.PRIMARY),
            content=ft.Column(
                [
                    totals_row("Price before", big_text(summary.before_text, size=22)),
                    totals_row("Change", big_text(summary.change_text, size=22)),
                    ft.Divider(height=1),
                    totals_row(
                        "New price",
                        big_text(summary.after_text, size=34, weight=ft.FontWeight.W_800),
                        strong=True,
                    ),
                ],
                spacing=6,
            ),
        )
        return SigningPanel(
            s,
            heading="Please check this change",
            summary=[
                ft.Semantics(
                    identifier="sign-summary",
                    container=True,
                    label=(
                        f"{summary.title}. Why: {summary.reason}. "
                        + " ".join([*summary.added, *summary.removed])
                        + f" Price before {summary.before_text}, change {summary.change_text}, "
                        f"new price {summary.after_text}."
                    ),
                    content=ft.Column([*lines, totals], spacing=10),
                )
            ],
            consent_text=summary.consent_text,
            accept_label="Accept and sign",
        )

    def _sync_form(self) -> None:
        s = self.state
        self._reason.error = s.errors.get("reason")
        for index, controls in enumerate(self._lines):
            controls.sync(s, index)
        for row in s.existing_rows():
            box = self._checkboxes.get(row.line_id)
            if box is not None:
                box.value = row.removed
        self._now_text.value = s.original_total_text
        self._change_text.value = s.change_text
        self._new_text.value = s.new_total_text
        self._totals_note.value = s.totals_note
        self._totals_note.visible = bool(s.totals_note)
        self._totals.label = s.totals_label
        lines_error = s.errors.get("lines")
        self._lines_error.value = lines_error or ""
        self._lines_error.visible = bool(lines_error)
        photos_error = s.errors.get("photos")
        self._photos_error.value = photos_error or ""
        self._photos_error.visible = bool(photos_error)

    # --- events ----------------------------------------------------------------------------
    async def _reason_changed(self, e: ft.Event[ft.TextField]) -> None:
        await self.state.set_reason(e.control.value)

    def line_handler(self, index: int, name: str) -> Callable[[ft.Event[Any]], Any]:
        """An async change handler for one field of an added line."""

        async def changed(e: ft.Event[Any]) -> None:
            control = e.control
            if isinstance(control, ft.SegmentedButton):
                value = (control.selected or [""])[0]
            else:
                value = str(control.value or "")
            await self.state.set_line_field(index, name, value)

        return changed

    def drop_handler(self, index: int) -> Callable[[], Any]:
        """An async click handler removing an added line."""

        async def drop() -> None:
            await self.state.remove_line(index)

        return drop

    async def _add_line(self) -> None:
        await self.state.add_line()

    def _removal_toggler(self, line_id: str) -> Callable[[ft.Event[ft.Checkbox]], Any]:
        async def toggle(e: ft.Event[ft.Checkbox]) -> None:
            await self.state.set_removed(line_id, bool(e.control.value))

        return toggle

    async def _photos_picked(self, e: ft.FilePickerResultEvent) -> None:
        files = [f.bytes for f in e.files if f.bytes]
        if files:
            await self.state.add_photos(files)

    async def _pick_photos(self) -> None:
        # Fallback when the view was built without a page (see __init__).
        picker = ft.FilePicker()
        picked = await picker.pick_files(
            file_type=ft.FilePickerFileType.IMAGE, allow_multiple=True, with_data=True
        )
        files = [f.bytes for f in picked if f.bytes]
        if files:
            await self.state.add_photos(files)
