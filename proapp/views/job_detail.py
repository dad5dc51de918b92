"""The job screen: renders `JobDetailState`, with the "could not perform" dialog (R5)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import flet as ft

from proapp.state.job_detail import (
    DEFECTIVE_EXPLANATION,
    JobAction,
    JobDetailState,
    JobMissing,
    JobReady,
)
from proapp.views.dialogs import page_of
from proapp.views.schedule_widgets import (
    action_button,
    card,
    error_text,
    info_row,
    maps_button,
    pending_marker,
    section_title,
    status_chip,
    tagged,
)
from proapp.views.screen_parts import photo_thumb
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["JobDetailView"]

logger = logging.getLogger(__name__)

# (text, icon) of each action button; the primary one of each status is filled.
_ACTIONS: dict[JobAction, tuple[str, ft.IconData]] = {
    JobAction.WINDOWS: ("Confirm or propose a window", ft.Icons.EVENT_AVAILABLE),
    JobAction.RESCHEDULE: ("Reschedule", ft.Icons.EVENT_REPEAT),
    JobAction.START: ("Start job", ft.Icons.PLAY_ARROW),
    JobAction.CHANGE_ORDER: ("Change order", ft.Icons.EDIT_NOTE),
    JobAction.COMPLETE: ("Complete job", ft.Icons.TASK_ALT),
    JobAction.MESSAGES: ("Messages", ft.Icons.CHAT),
    JobAction.DEFECTIVE: ("Could not perform — product defective", ft.Icons.REPORT_PROBLEM),
}
_PRIMARY = (JobAction.WINDOWS, JobAction.START, JobAction.COMPLETE)


class JobDetailView:
    """Builds the body per state; the defective dialog's note field is kept across
    renders so typing never loses focus."""

    def __init__(self, state: JobDetailState, refresh: Callable[[], None]) -> None:
        self._state = state
        self._refresh = refresh
        self._unsubscribe = state.subscribe(self._changed)
        self._list = ft.ListView(
            spacing=12, padding=ft.Padding.only(left=16, right=16, top=12, bottom=32), expand=True
        )
        self.control = ft.Container(expand=True, content=self._list)
        self._picker: ft.FilePicker | None = None
        # The dialog and its inputs live as long as the view.
        self._note = ft.TextField(
            label="What is defective? (required)",
            multiline=True,
            min_lines=3,
            max_lines=6,
            max_length=2000,
            on_change=self._note_changed,
        )
        self._dialog_photos = ft.Row(wrap=True, spacing=8, run_spacing=8)
        self._dialog_error = ft.Container()
        self._submit = ft.FilledButton(
            "Report defective", height=TAP_TARGET, on_click=self._submit_defective
        )
        self._dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Could not perform — product defective", size=20),
            scrollable=True,
            content=ft.Column(
                [
                    ft.Text(DEFECTIVE_EXPLANATION, size=15),
                    tagged("job-defective-note", self._note),
                    self._dialog_photos,
                    tagged(
                        "job-defective-add-photo",
                        ft.OutlinedButton(
                            "Add photos",
                            icon=ft.Icons.ADD_A_PHOTO,
                            height=TAP_TARGET,
                            on_click=self._pick_photos,
                        ),
                        button=True,
                    ),
                    self._dialog_error,
                ],
                tight=True,
                spacing=12,
                width=360,
            ),
            actions=[
                tagged(
                    "job-defective-cancel",
                    ft.TextButton("Cancel", height=TAP_TARGET, on_click=self._cancel_defective),
                    button=True,
                ),
                tagged("job-defective-submit", self._submit, button=True),
            ],
        )
        self._dialog_shown = False
        self.render()

    @property
    def title(self) -> str:
        """App bar title: the job's title once loaded."""
        return self._state.title

    # ------------------------------------------------------------------ rendering
    def render(self) -> None:
        """Rebuild the body and sync the dialog with the state."""
        view = self._state.view
        if isinstance(view, JobReady):
            items = self._ready(view)
        elif isinstance(view, JobMissing):
            items = [
                tagged(
                    "job-missing",
                    ft.Text(view.message, size=16, text_align=ft.TextAlign.CENTER),
                    view.message,
                )
            ]
        else:
            items = [
                ft.Container(padding=40, alignment=ft.Alignment.CENTER, content=ft.ProgressRing())
            ]
        self._list.controls = [centered_column(item) for item in items]
        self._render_dialog()

    def _ready(self, view: JobReady) -> list[ft.Control]:
        state = self._state
        items: list[ft.Control] = []
        if view.cancelled:
            items.append(
                tagged(
                    "job-cancelled-banner",
                    ft.Container(
                        bgcolor=ft.Colors.ERROR_CONTAINER,
                        border_radius=14,
                        padding=16,
                        content=ft.Row(
                            [
                                ft.Icon(
                                    ft.Icons.EVENT_BUSY, color=ft.Colors.ON_ERROR_CONTAINER, size=28
                                ),
                                ft.Column(
                                    [
                                        ft.Text(
                                            "Cancelled by customer",
                                            size=17,
                                            weight=ft.FontWeight.W_700,
                                            color=ft.Colors.ON_ERROR_CONTAINER,
                                        ),
                                        ft.Text(
                                            view.cancelled_text,
                                            color=ft.Colors.ON_ERROR_CONTAINER,
                                        ),
                                    ],
                                    spacing=4,
                                    expand=True,
                                ),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.START,
                        ),
                    ),
                    f"Cancelled by customer. {view.cancelled_text}",
                    live=True,
                )
            )
        header: list[ft.Control] = [
            tagged(
                "job-title",
                ft.Text(view.title, size=22, weight=ft.FontWeight.W_700),
                view.title,
                container=True,
            ),
            ft.Row(
                [
                    tagged(
                        "job-status",
                        status_chip(view.status.value, view.status_text, cancelled=view.cancelled),
                        f"Status: {view.status_text}",
                    ),
                    *([tagged("job-pending", pending_marker())] if view.pending else []),
                ],
                spacing=12,
                wrap=True,
            ),
        ]
        items.append(ft.Column(header, spacing=8))
        if state.error:
            items.append(error_text("job-error", state.error))

        when: list[ft.Control] = [
            info_row(
                ft.Icons.WARNING_AMBER if view.window_overdue else ft.Icons.SCHEDULE,
                view.window_text,
                strong=True,
                size=16,
            ),
            info_row(ft.Icons.PERSON, view.customer_name, strong=True),
        ]
        if view.phone_url is not None:
            when.append(
                tagged(
                    "job-phone",
                    ft.TextButton(
                        view.phone_text,
                        icon=ft.Icons.PHONE,
                        url=ft.Url(view.phone_url),
                        height=TAP_TARGET - 8,
                    ),
                    button=True,
                )
            )
        else:
            when.append(info_row(ft.Icons.PHONE, view.phone_text))
        when.append(info_row(ft.Icons.LOCATION_ON, view.address_text))
        if view.maps_url is not None and not view.cancelled:
            when.append(maps_button("job-maps", view.maps_url))
        if view.parts:
            when.append(info_row(ft.Icons.BUILD, "Bring: " + ", ".join(view.parts)))
        items.append(card(ft.Column(when, spacing=10)))

        # The status's main step first (filled), then the others.
        actions = sorted(
            (a for a in view.actions if a is not JobAction.DEFECTIVE),
            key=lambda a: a not in _PRIMARY,
        )
        if actions and not view.cancelled:
            items.append(ft.Column([self._action(a) for a in actions], spacing=10))

        if view.scope:
            items.append(section_title("Scope"))
            items.append(tagged("job-scope", ft.Text(view.scope, size=15), view.scope))
        if view.whats_included:
            items.append(section_title("What's included"))
            items.append(
                ft.Column(
                    [info_row(ft.Icons.CHECK, text) for text in view.whats_included], spacing=6
                )
            )
        items.append(section_title("Price"))
        items.append(self._lines(view))
        if view.change_orders:
            items.append(section_title("Change orders"))
            for order in view.change_orders:
                items.append(
                    tagged(
                        f"job-change-order-{order.id}",
                        card(
                            ft.Column(
                                [
                                    ft.Row(
                                        [
                                            ft.Text(
                                                order.reason,
                                                weight=ft.FontWeight.W_600,
                                                expand=True,
                                            ),
                                            ft.Text(order.delta_text, weight=ft.FontWeight.W_700),
                                        ]
                                    ),
                                    ft.Text(
                                        f"{order.totals_text} · {order.status_text}",
                                        color=ft.Colors.ON_SURFACE_VARIANT,
                                    ),
                                    *(
                                        [
                                            ft.Text(
                                                order.when_text,
                                                size=13,
                                                color=ft.Colors.ON_SURFACE_VARIANT,
                                            )
                                        ]
                                        if order.when_text
                                        else []
                                    ),
                                ],
                                spacing=4,
                            )
                        ),
                        f"Change order: {order.reason}, {order.delta_text}, {order.totals_text}",
                    )
                )
        if view.photos:
            items.append(section_title("Photos"))
            items.append(
                ft.Row(
                    [
                        tagged(
                            f"job-photo-{photo.blob_hash[:12]}",
                            ft.Container(
                                content=photo_thumb(photo.data, pending=photo.pending),
                                on_click=self._photo_opener(photo.blob_hash),
                                border_radius=12,
                            ),
                            photo.caption or "Job photo",
                            button=True,
                        )
                        for photo in view.photos
                    ],
                    wrap=True,
                    spacing=8,
                    run_spacing=8,
                )
            )
        if JobAction.DEFECTIVE in view.actions:
            items.append(ft.Divider())
            items.append(self._action(JobAction.DEFECTIVE))
        return items

    def _action(self, action: JobAction) -> ft.Control:
        text, icon = _ACTIONS[action]
        handlers: dict[JobAction, Callable[..., object]] = {
            JobAction.WINDOWS: lambda _: self._state.open_windows(),
            JobAction.RESCHEDULE: lambda _: self._state.open_reschedule(),
            JobAction.START: self._start,
            JobAction.CHANGE_ORDER: lambda _: self._state.open_change_order(),
            JobAction.COMPLETE: lambda _: self._state.open_complete(),
            JobAction.MESSAGES: lambda _: self._state.open_messages(),
            JobAction.DEFECTIVE: self._open_defective,
        }
        busy = action is JobAction.START and self._state.busy
        return action_button(
            f"job-{action.value}",
            "Starting…" if busy else text,
            icon,
            handlers[action],
            primary=action in _PRIMARY,
            danger=action is JobAction.DEFECTIVE,
            disabled=busy,
        )

    def _lines(self, view: JobReady) -> ft.Control:
        rows: list[ft.Control] = []
        for line in view.lines:
            rows.append(
                ft.Row(
                    [
                        ft.Column(
                            [
                                ft.Text(line.description, size=15),
                                ft.Text(
                                    f"{line.kind_text} · {line.quantity_text}",
                                    size=13,
                                    color=ft.Colors.ON_SURFACE_VARIANT,
                                ),
                            ],
                            spacing=0,
                            expand=True,
                        ),
                        ft.Text(line.total_text, size=15),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                )
            )
        rows.append(ft.Divider(height=1))
        rows.append(
            ft.Row(
                [
                    ft.Text("Total", size=17, weight=ft.FontWeight.W_700, expand=True),
                    tagged(
                        "job-total",
                        ft.Text(view.total_text, size=17, weight=ft.FontWeight.W_700),
                        f"Total {view.total_text}",
                    ),
                ]
            )
        )
        return card(ft.Column(rows, spacing=8))

    # ------------------------------------------------------------------ dialog
    def _render_dialog(self) -> None:
        state = self._state
        if self._note.value != state.defective_note:
            self._note.value = state.defective_note
        missing_note = bool(state.defective_error) and not state.defective_note.strip()
        self._note.error = "Required" if missing_note else None
        self._dialog_photos.controls = [
            tagged(
                f"job-defective-photo-{blob_hash[:12]}",
                ft.Stack(
                    [
                        photo_thumb(state.defective_thumbs.get(blob_hash)),
                        ft.Container(
                            right=0,
                            top=0,
                            content=ft.IconButton(
                                ft.Icons.CLOSE,
                                icon_size=18,
                                tooltip="Remove photo",
                                bgcolor=ft.Colors.SURFACE,
                                on_click=self._photo_remover(blob_hash),
                            ),
                        ),
                    ],
                    width=96,
                    height=96,
                ),
                "Photo of the defect",
            )
            for blob_hash in state.defective_photos
        ]
        self._dialog_error.content = error_text("job-defective-error", state.defective_error)
        self._submit.disabled = state.defective_busy
        self._submit.content = "Reporting…" if state.defective_busy else "Report defective"
        page = page_of(self.control)
        if page is None:
            return
        if state.defective_open and not self._dialog_shown:
            self._dialog_shown = True
            try:
                page.show_dialog(self._dialog)
            except RuntimeError:  # still on the page, closing: open it again
                self._dialog.open = True
        elif not state.defective_open and self._dialog_shown:
            # Not page.pop_dialog(): that closes the topmost dialog, which may be the
            # snackbar announcing the result.
            self._dialog_shown = False
            self._dialog.open = False

    # ------------------------------------------------------------------ events
    def _photo_opener(self, blob_hash: str) -> Callable[[ft.Event[ft.Container]], None]:
        def handler(_: ft.Event[ft.Container]) -> None:
            self._state.open_photo(blob_hash)

        return handler

    def _photo_remover(self, blob_hash: str) -> Callable[[ft.Event[ft.IconButton]], None]:
        def handler(_: ft.Event[ft.IconButton]) -> None:
            self._state.remove_defective_photo(blob_hash)

        return handler

    async def _start(self, _: ft.Event[ft.OutlinedButton] | ft.Event[ft.FilledButton]) -> None:
        await self._state.start()

    async def _open_defective(self, _: object) -> None:
        await self._state.open_defective()

    async def _cancel_defective(self, _: object) -> None:
        await self._state.close_defective()

    async def _submit_defective(self, _: object) -> None:
        await self._state.submit_defective()

    def _note_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_defective_note(e.control.value or "")

    async def _pick_photos(self, _: object) -> None:
        if self._picker is None:
            # Created inside the handler so it registers with this page (a service);
            # kept on the view because the page drops services nothing references.
            self._picker = ft.FilePicker()
        try:
            files = await self._picker.pick_files(
                dialog_title="Photos of the defect",
                file_type=ft.FilePickerFileType.IMAGE,
                allow_multiple=True,
                with_data=True,
            )
        except Exception:  # the picker is a best-effort extra; the report works without
            logger.exception("picking photos failed")
            return
        for file in files:
            if file.bytes:
                await self._state.add_defective_photo(file.bytes)

    def _changed(self) -> None:
        self.render()
        self._refresh()

    def dispose(self) -> None:
        """Stop listening; close the dialog if it is open."""
        self._unsubscribe()
        if self._dialog_shown:
            self._dialog_shown = False
            self._dialog.open = False
            with contextlib.suppress(RuntimeError):  # the page may be gone already
                self._dialog.update()
