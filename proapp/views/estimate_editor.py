"""The estimate editor (R3): renders `EstimateEditorState`.

Photos come from the file picker everywhere (``ft.FilePicker``, bytes with
``with_data=True``, which is also how the web build gets them) and, on a phone with the
optional ``flet_camera`` package (the ``mobile`` extra), from the camera.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from proapp.domain.enums import LineItemKind, PartsSupplier
from proapp.state.estimate_editor import (
    KIND_LABELS,
    SUPPLIER_LABELS,
    EstimateEditorState,
    LineView,
    PickedPhoto,
)
from proapp.views.screen_parts import (
    THUMB_SIZE,
    ErrorBox,
    NoticeBox,
    form_page,
    photo_thumb,
    primary_button,
    radio_choices,
    secondary_button,
    section_title,
    set_text,
)
from proapp.views.state_view import StateView

__all__ = ["EstimateEditorView", "camera_module"]

logger = logging.getLogger(__name__)


def camera_module() -> Any | None:
    """``flet_camera`` if installed (phones build with the ``mobile`` extra), else None.

    Imported by name: it is optional, absent from web installs, and ships no types.
    """
    try:
        return importlib.import_module("flet_camera")
    except ImportError:
        return None


def _camera_available() -> bool:
    # The camera control needs the native phone client; the web build and desktop use
    # the file picker (which on a phone's browser also offers the camera).
    try:
        page = ft.context.page
    except RuntimeError:
        return False
    platform = page.platform
    mobile = platform is not None and platform.is_mobile()
    return bool(mobile and not page.web and camera_module() is not None)


class _LineControls:
    """The controls of one line; built once per line, updated in place while typing."""

    def __init__(self, view: EstimateEditorView, line_id: str) -> None:
        state = view.state
        self.line_id = line_id
        self.heading = ft.Text(size=15, weight=ft.FontWeight.W_700)
        self.kind = ft.SegmentedButton(
            segments=[
                ft.Segment(value=kind.value, label=ft.Text(label))
                for kind, label in KIND_LABELS.items()
            ],
            selected=[LineItemKind.LABOR.value],
            show_selected_icon=False,
            on_change=self._kind_changed,
        )
        self.kind_semantics = ft.Semantics(container=True, content=self.kind)
        self.remove = ft.IconButton(
            icon=ft.Icons.DELETE_OUTLINE,
            icon_size=26,
            on_click=self._remove_clicked,
        )
        self.remove_semantics = ft.Semantics(
            button=True,
            content=ft.Container(self.remove, width=48, height=48, alignment=ft.Alignment.CENTER),
        )
        self.description = ft.TextField(
            multiline=True,
            max_lines=3,
            capitalization=ft.TextCapitalization.SENTENCES,
            on_change=self._description_changed,
        )
        self.description_semantics = ft.Semantics(content=self.description)
        self.quantity = ft.TextField(
            keyboard_type=ft.KeyboardType.NUMBER,
            autocorrect=False,
            enable_suggestions=False,
            on_change=self._quantity_changed,
        )
        self.quantity_semantics = ft.Semantics(content=self.quantity)
        self.price = ft.TextField(
            prefix="$",
            keyboard_type=ft.KeyboardType.NUMBER,
            autocorrect=False,
            enable_suggestions=False,
            on_change=self._price_changed,
        )
        self.price_semantics = ft.Semantics(content=self.price)
        self.subtotal = ft.Text(size=15, weight=ft.FontWeight.W_600, text_align=ft.TextAlign.RIGHT)
        self.control = ft.Card(
            variant=ft.CardVariant.OUTLINED,
            margin=0,
            content=ft.Container(
                padding=12,
                content=ft.Column(
                    spacing=10,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    controls=[
                        ft.Row(
                            [self.heading, ft.Container(expand=True), self.remove_semantics],
                            vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        ),
                        ft.Row([ft.Container(self.kind_semantics, expand=True)]),
                        self.description_semantics,
                        ft.Row(
                            [
                                ft.Container(self.quantity_semantics, width=140),
                                ft.Container(self.price_semantics, expand=True),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.START,
                        ),
                        ft.Row([ft.Container(self.subtotal, expand=True)]),
                    ],
                ),
            ),
        )
        self._state = state

    def show(self, line: LineView, *, locked: bool) -> None:
        """Copy one line's state in; identifiers and labels follow its position."""
        n = line.position
        prefix = f"estimate-line-{n}"
        self.heading.value = f"Line {n}"
        self.kind_semantics.identifier = f"{prefix}-kind"
        self.kind_semantics.label = f"Line {n} kind: {KIND_LABELS[line.kind]}"
        if self.kind.selected != [line.kind.value]:
            self.kind.selected = [line.kind.value]
        self.kind.disabled = locked
        self.remove_semantics.identifier = f"{prefix}-remove"
        self.remove_semantics.label = f"Remove line {n}"
        self.remove.tooltip = f"Remove line {n}"
        self.remove.disabled = locked
        self.description_semantics.identifier = f"{prefix}-description"
        self.description.label = f"Line {n} description"
        set_text(self.description, line.description, line.description_error, disabled=locked)
        self.quantity_semantics.identifier = f"{prefix}-quantity"
        self.quantity.label = f"Line {n} quantity"
        set_text(self.quantity, line.quantity, line.quantity_error, disabled=locked)
        self.price_semantics.identifier = f"{prefix}-price"
        self.price.label = f"Line {n} unit price"
        set_text(self.price, line.unit_price, line.price_error, disabled=locked)
        self.subtotal.value = line.subtotal_text or "Subtotal shows once quantity and price are set"
        self.subtotal.color = None if line.subtotal_text else ft.Colors.ON_SURFACE_VARIANT
        self.subtotal.size = 16 if line.subtotal_text else 13
        self.subtotal.weight = ft.FontWeight.W_600 if line.subtotal_text else None

    async def _kind_changed(self, e: ft.Event[ft.SegmentedButton]) -> None:
        if e.control.selected:
            self._state.set_line_kind(self.line_id, e.control.selected[0])

    async def _remove_clicked(self) -> None:
        self._state.remove_line(self.line_id)

    async def _description_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_line_description(self.line_id, e.control.value)

    async def _quantity_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_line_quantity(self.line_id, e.control.value)

    async def _price_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_line_price(self.line_id, e.control.value)


class EstimateEditorView(StateView):
    """Lines, parts, notes and photos in a scrolling form; the total and "Send" stay at
    the bottom. Line controls are reused across renders so typing keeps its focus."""

    def __init__(self, state: EstimateEditorState, refresh: Callable[[], None]) -> None:
        self.state = state
        self.title = state.title
        self._picker: ft.FilePicker | None = None
        self._line_controls: dict[str, _LineControls] = {}
        self._shown_lines: tuple[str, ...] | None = None
        self._shown_photos: tuple[tuple[str, bool], ...] | None = None

        self._request_title = ft.Text(size=15, color=ft.Colors.ON_SURFACE_VARIANT)
        self._closed = NoticeBox(
            "estimate-closed",
            icon=ft.Icons.LOCK_CLOCK,
            background=ft.Colors.ERROR_CONTAINER,
            foreground=ft.Colors.ON_ERROR_CONTAINER,
        )
        self._existing = NoticeBox("estimate-existing", icon=ft.Icons.HISTORY)
        self._restored = NoticeBox("estimate-restored", icon=ft.Icons.RESTORE)
        self._lines_column = ft.Column(spacing=12)
        self._lines_error = ft.Text(color=ft.Colors.ERROR, visible=False)
        self._add_line = secondary_button("Add a line", self._add_line_clicked, icon=ft.Icons.ADD)
        self._supplier = ft.RadioGroup(
            value=state.parts_supplier.value,
            on_change=self._supplier_changed,
            content=radio_choices(
                (f"estimate-parts-supplier-{supplier.value.lower()}", supplier.value, label)
                for supplier, label in SUPPLIER_LABELS.items()
            ),
        )
        self._notes = ft.TextField(
            label="Notes for the customer",
            hint_text="What is included, what is not, assumptions…",
            multiline=True,
            min_lines=3,
            max_lines=8,
            capitalization=ft.TextCapitalization.SENTENCES,
            on_change=self._notes_changed,
        )
        self._valid_days = ft.TextField(
            label="Valid for (days)",
            keyboard_type=ft.KeyboardType.NUMBER,
            width=180,
            on_change=self._valid_days_changed,
        )
        self._photos_row = ft.Row(wrap=True, spacing=8, run_spacing=8)
        self._photos_error = ft.Text(color=ft.Colors.ERROR, visible=False)
        self._photo_progress = ft.Row(
            [ft.ProgressRing(width=20, height=20, stroke_width=2), ft.Text("Preparing photo…")],
            visible=False,
        )
        self._add_photo = secondary_button(
            "Add photos",
            self._add_photo_clicked,
            icon=ft.Icons.ADD_PHOTO_ALTERNATE_OUTLINED,
            expand=True,
        )
        photo_buttons: list[ft.Control] = [
            ft.Semantics(
                identifier="estimate-add-photo",
                button=True,
                label="Add photos from files",
                content=ft.Container(self._add_photo, expand=True),
                expand=True,
            )
        ]
        self._take_photo: ft.OutlinedButton | None = None
        if _camera_available():
            self._take_photo = secondary_button(
                "Take a photo", self._take_photo_clicked, icon=ft.Icons.PHOTO_CAMERA, expand=True
            )
            photo_buttons.insert(
                0,
                ft.Semantics(
                    identifier="estimate-take-photo",
                    button=True,
                    content=ft.Container(self._take_photo, expand=True),
                    expand=True,
                ),
            )

        self._total = ft.Text(size=22, weight=ft.FontWeight.W_700)
        self._total_note = ft.Text(size=12, color=ft.Colors.ON_SURFACE_VARIANT)
        self._total_semantics = ft.Semantics(
            identifier="estimate-total",
            live_region=True,
            content=ft.Column(
                [ft.Text("Total", size=13, color=ft.Colors.ON_SURFACE_VARIANT), self._total],
                spacing=0,
                tight=True,
            ),
        )
        self._error = ErrorBox("estimate-error")
        self._submit = primary_button("Send estimate", self._submit_clicked, icon=ft.Icons.SEND)

        form = ft.Column(
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                self._request_title,
                self._closed.control,
                self._existing.control,
                self._restored.control,
                section_title("Line items"),
                ft.Semantics(
                    identifier="estimate-lines", container=True, content=self._lines_column
                ),
                self._lines_error,
                ft.Semantics(
                    identifier="estimate-add-line",
                    button=True,
                    content=ft.Row([ft.Container(self._add_line, expand=True)]),
                ),
                section_title("Who supplies the parts"),
                ft.Semantics(
                    identifier="estimate-parts-supplier", container=True, content=self._supplier
                ),
                section_title("Notes and validity"),
                ft.Semantics(identifier="estimate-notes", content=self._notes),
                ft.Row([ft.Semantics(identifier="estimate-valid-days", content=self._valid_days)]),
                section_title("Photos"),
                ft.Semantics(
                    identifier="estimate-photos", container=True, content=self._photos_row
                ),
                self._photo_progress,
                self._photos_error,
                ft.Row(photo_buttons, spacing=8),
            ],
        )
        self.control = form_page(
            form,
            [
                self._error.control,
                ft.Row(
                    [
                        ft.Column(
                            [self._total_semantics, self._total_note],
                            spacing=2,
                            expand=True,
                            tight=True,
                        ),
                        ft.Semantics(
                            identifier="estimate-submit",
                            button=True,
                            content=self._submit,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ],
            form_padding=ft.Padding.only(left=16, right=16, top=16, bottom=24),
            bottom_padding=ft.Padding.symmetric(horizontal=16, vertical=10),
        )
        self._follow(state, refresh)

    # ------------------------------------------------------------------ rendering

    def render(self) -> None:
        """Copy the state into the controls (the caller updates the page)."""
        s = self.state
        locked = s.busy or not s.loaded
        self._request_title.value = f"For: {s.request_title}" if s.request_title else ""
        self._closed.show(s.closed_reason)
        self._existing.show(s.existing_text)
        self._restored.show(
            "Your saved draft is back: carry on where you left off." if s.restored else ""
        )
        self._render_lines(locked)
        self._lines_error.value = s.lines_error or ""
        self._lines_error.visible = bool(s.lines_error)
        self._add_line.disabled = locked
        if self._supplier.value != s.parts_supplier.value:
            self._supplier.value = s.parts_supplier.value
        self._supplier.disabled = locked
        set_text(self._notes, s.notes, s.notes_error, disabled=locked)
        set_text(self._valid_days, s.valid_days, s.valid_days_error, disabled=locked)
        self._render_photos(locked)
        self._total.value = s.total_text
        self._total_semantics.label = f"Total {s.total_text}"
        self._total_note.value = s.total_note
        self._total_note.visible = bool(s.total_note)
        self._error.show(s.error)
        self._submit.disabled = not s.can_submit
        self._submit.content = "Saving…" if s.busy else "Send estimate"

    def _render_lines(self, locked: bool) -> None:
        lines = self.state.lines
        ids = tuple(line.line_id for line in lines)
        for line in lines:
            if line.line_id not in self._line_controls:
                self._line_controls[line.line_id] = _LineControls(self, line.line_id)
            self._line_controls[line.line_id].show(line, locked=locked)
        if ids != self._shown_lines:
            for gone in set(self._line_controls) - set(ids):
                del self._line_controls[gone]
            self._lines_column.controls = [self._line_controls[i].control for i in ids]
            self._shown_lines = ids
        if not lines:
            self._lines_column.controls = [
                ft.Text(
                    "No lines yet. Add labor, parts or a fee.",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                )
            ]

    def _render_photos(self, locked: bool) -> None:
        s = self.state
        shown = tuple((h, s.photo_data.get(h) is not None) for h in s.photo_hashes)
        if shown != self._shown_photos:
            self._photos_row.controls = [
                self._photo(blob_hash, i, len(s.photo_hashes))
                for i, blob_hash in enumerate(s.photo_hashes, 1)
            ] or [ft.Text("No photos yet.", color=ft.Colors.ON_SURFACE_VARIANT)]
            self._shown_photos = shown
        self._photo_progress.visible = s.adding_photo
        self._photos_error.value = s.photos_error or ""
        self._photos_error.visible = bool(s.photos_error)
        self._add_photo.disabled = locked or not s.can_add_photo
        if self._take_photo is not None:
            self._take_photo.disabled = locked or not s.can_add_photo

    def _photo(self, blob_hash: str, position: int, count: int) -> ft.Control:
        state = self.state

        async def open_photo() -> None:
            state.open_photo(blob_hash)

        async def remove_photo() -> None:
            state.remove_photo(blob_hash)

        return ft.Stack(
            width=THUMB_SIZE,
            height=THUMB_SIZE,
            controls=[
                ft.Semantics(
                    identifier=f"estimate-photo-{blob_hash}",
                    button=True,
                    label=f"Estimate photo {position} of {count}. Tap to enlarge.",
                    content=ft.Container(
                        content=photo_thumb(state.photo_data.get(blob_hash)),
                        on_click=open_photo,
                        border_radius=12,
                        ink=True,
                    ),
                ),
                ft.Container(
                    right=0,
                    top=0,
                    content=ft.Semantics(
                        identifier=f"estimate-photo-{blob_hash}-remove",
                        button=True,
                        label=f"Remove photo {position}",
                        content=ft.IconButton(
                            icon=ft.Icons.CLOSE,
                            icon_size=18,
                            tooltip=f"Remove photo {position}",
                            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                            icon_color=ft.Colors.ON_SURFACE,
                            on_click=remove_photo,
                        ),
                    ),
                ),
            ],
        )

    # ------------------------------------------------------------------ events

    async def _add_line_clicked(self) -> None:
        self.state.add_line()

    async def _supplier_changed(self, e: ft.Event[ft.RadioGroup]) -> None:
        if e.control.value:
            self.state.set_parts_supplier(PartsSupplier(e.control.value))

    async def _notes_changed(self, e: ft.Event[ft.TextField]) -> None:
        self.state.set_notes(e.control.value)

    async def _valid_days_changed(self, e: ft.Event[ft.TextField]) -> None:
        self.state.set_valid_days(e.control.value)

    async def _add_photo_clicked(self) -> None:
        if self._picker is None:
            # A service registers with the page it is created on (the handler's page).
            self._picker = ft.FilePicker()
        files = await self._picker.pick_files(
            dialog_title="Add photos to the estimate",
            file_type=ft.FilePickerFileType.IMAGE,
            allow_multiple=True,
            with_data=True,
        )
        await self.state.add_photos(
            [PickedPhoto(name=f.name, data=f.bytes, path=f.path) for f in files]
        )

    async def _take_photo_clicked(self, e: ft.Event[ft.OutlinedButton]) -> None:
        await _CameraCapture(e.page, self.state).open()

    async def _submit_clicked(self) -> None:
        await self.state.submit()


class _CameraCapture:
    """A full-screen dialog with the camera preview and a shutter button (phones only)."""

    def __init__(self, page: ft.Page | ft.BasePage, state: EstimateEditorState) -> None:
        self._page = page
        self._state = state
        module = camera_module()
        assert module is not None
        self._module = module
        self._camera: Any = module.Camera(expand=True, preview_enabled=True)
        self._status = ft.Text("Starting the camera…")
        self._dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Take a photo"),
            content=ft.Container(
                width=360,
                height=480,
                content=ft.Stack([self._camera, ft.Container(self._status, padding=8)]),
            ),
            actions=[
                ft.Semantics(
                    identifier="estimate-camera-cancel",
                    button=True,
                    content=ft.TextButton("Cancel", on_click=self._close),
                ),
                ft.Semantics(
                    identifier="estimate-camera-shutter",
                    button=True,
                    content=ft.FilledButton(
                        "Take photo", icon=ft.Icons.CAMERA, on_click=self._shoot
                    ),
                ),
            ],
        )

    async def open(self) -> None:
        """Show the dialog and start the back camera."""
        self._page.show_dialog(self._dialog)
        try:
            cameras = await self._camera.get_available_cameras()
            if not cameras:
                self._status.value = "No camera found. Use “Add photos” instead."
                self._dialog.update()
                return
            back = self._module.CameraLensDirection.BACK
            camera = next((c for c in cameras if c.lens_direction == back), cameras[0])
            await self._camera.initialize(
                camera, self._module.ResolutionPreset.HIGH, enable_audio=False
            )
            self._status.value = ""
        except Exception:
            logger.exception("camera failed to start")
            self._status.value = "The camera could not start. Use “Add photos” instead."
        self._dialog.update()

    async def _shoot(self) -> None:
        try:
            data = await self._camera.take_picture()
        except Exception:
            logger.exception("taking a picture failed")
            self._status.value = "The photo could not be taken. Try again."
            self._dialog.update()
            return
        self._page.pop_dialog()
        await self._state.add_photos([PickedPhoto(name="Camera photo", data=bytes(data))])

    async def _close(self) -> None:
        self._page.pop_dialog()
