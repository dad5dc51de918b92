"""The sync center: status, "Sync now", the queue with photo uploads, and the refused
actions with Discard (confirmed) and Edit & resubmit (a form over the action's fields).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from proapp.state.sync_center import AttentionItem, EditField, QueueItem, SyncCenterState
from proapp.views.dialogs import ConfirmDialog
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET, scrolling_column

__all__ = ["SyncCenterView"]


def _section(title: str) -> ft.Control:
    return ft.Semantics(
        header=True,
        content=ft.Text(title, size=18, weight=ft.FontWeight.W_600),
    )


def _muted(text: str) -> ft.Text:
    return ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT)


class SyncCenterView(StateView):
    """Renders `SyncCenterState`; rebuilds its list on every change (it is short)."""

    def __init__(self, state: SyncCenterState, refresh: Callable[[], None]) -> None:
        self._state = state
        self.title = state.title
        self._column = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.control = scrolling_column(self._column)
        self._confirm = ConfirmDialog(self.control)
        self._follow(state, refresh)

    # ------------------------------------------------------------------ rendering

    def render(self) -> None:
        """Rebuild the screen from the state, and open or close the discard dialog."""
        state = self._state
        controls: list[ft.Control] = [self._status_card()]
        if state.editing is not None:
            controls.append(self._edit_form())
        elif state.loading:
            controls.append(ft.ProgressRing())
        else:
            if state.attention:
                controls.append(_section(f"Needs attention ({len(state.attention)})"))
                controls += [self._attention_card(item) for item in state.attention]
            controls.append(_section("Waiting to send"))
            if state.queue:
                controls += [self._queue_card(item) for item in state.queue]
            else:
                controls.append(
                    ft.Semantics(
                        identifier="sync-queue-empty",
                        content=_muted("Nothing is waiting. Everything you did has been sent."),
                    )
                )
        self._column.controls = controls
        self._sync_dialog()

    def _status_card(self) -> ft.Control:
        state = self._state
        icon = ft.Icons.CLOUD_DONE if state.online else ft.Icons.CLOUD_OFF
        lines: list[ft.Control] = [
            ft.Row(
                [
                    ft.Icon(icon, size=28),
                    ft.Text(state.status_text, size=17, weight=ft.FontWeight.W_600, expand=True),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            ft.Text(state.pending_text),
            _muted(state.last_sync_text),
        ]
        if state.error_text:
            lines.append(
                ft.Semantics(
                    identifier="sync-error",
                    content=ft.Text(state.error_text, color=ft.Colors.ERROR),
                )
            )
        lines.append(
            ft.Semantics(
                identifier="sync-now",
                button=True,
                content=ft.FilledButton(
                    "Sync now", icon=ft.Icons.SYNC, height=TAP_TARGET, on_click=self._sync_now
                ),
            )
        )
        label = f"{state.status_text}. {state.pending_text} {state.last_sync_text}"
        return ft.Semantics(
            identifier="sync-status",
            container=True,
            label=label,
            content=ft.Card(
                variant=ft.CardVariant.FILLED,
                margin=0,
                content=ft.Container(padding=16, content=ft.Column(lines, spacing=8)),
            ),
        )

    def _queue_card(self, item: QueueItem) -> ft.Control:
        rows: list[ft.Control] = [
            ft.Text(item.title, size=16, weight=ft.FontWeight.W_600),
            ft.Text(item.state_text, weight=ft.FontWeight.W_500),
            _muted(item.detail),
        ]
        for index, upload in enumerate(item.uploads):
            rows.append(
                ft.Semantics(
                    identifier=f"sync-upload-{item.mid}-{index}",
                    label=upload.text,
                    content=ft.Column(
                        [
                            ft.Text(upload.text, size=14),
                            ft.ProgressBar(value=upload.fraction or 0.0, bar_height=6),
                        ],
                        spacing=4,
                    ),
                )
            )
        return ft.Semantics(
            identifier=f"sync-item-{item.mid}",
            container=True,
            label=f"{item.title}. {item.state_text}. {item.detail}",
            content=ft.Card(
                variant=ft.CardVariant.OUTLINED,
                margin=0,
                content=ft.Container(padding=14, content=ft.Column(rows, spacing=6)),
            ),
        )

    def _attention_card(self, item: AttentionItem) -> ft.Control:
        entered: list[ft.Control] = [
            ft.Text(
                spans=[
                    ft.TextSpan(f"{label}: ", style=ft.TextStyle(weight=ft.FontWeight.W_600)),
                    ft.TextSpan(value),
                ]
            )
            for label, value in item.entered
        ]
        edit_label = "Send again" if item.signed else "Edit & resubmit"
        actions = ft.Row(
            wrap=True,
            spacing=8,
            run_spacing=8,
            controls=[
                ft.Semantics(
                    identifier=f"sync-resubmit-{item.mid}",
                    button=True,
                    content=ft.FilledTonalButton(
                        edit_label,
                        icon=ft.Icons.EDIT,
                        height=TAP_TARGET,
                        on_click=self._handler(self._state.start_edit, item.mid),
                    ),
                ),
                ft.Semantics(
                    identifier=f"sync-discard-{item.mid}",
                    button=True,
                    content=ft.OutlinedButton(
                        "Discard",
                        icon=ft.Icons.DELETE_OUTLINE,
                        height=TAP_TARGET,
                        on_click=self._handler(self._ask_discard, item.mid),
                    ),
                ),
            ],
        )
        body: list[ft.Control] = [
            ft.Row(
                [
                    ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.ON_ERROR_CONTAINER),
                    ft.Text(
                        item.title,
                        size=16,
                        weight=ft.FontWeight.W_600,
                        color=ft.Colors.ON_ERROR_CONTAINER,
                        expand=True,
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            ft.Text(f"The server said: {item.reason}", color=ft.Colors.ON_ERROR_CONTAINER),
            ft.Text(item.when, size=13, color=ft.Colors.ON_ERROR_CONTAINER),
        ]
        if entered:
            # What the pro typed, intact, so nothing has to be entered twice.
            body.append(
                ft.Container(
                    bgcolor=ft.Colors.SURFACE,
                    border_radius=8,
                    padding=10,
                    content=ft.Column(
                        [ft.Text("What you entered", weight=ft.FontWeight.W_600), *entered],
                        spacing=4,
                    ),
                )
            )
        body.append(actions)
        return ft.Semantics(
            identifier=f"sync-attention-{item.mid}",
            container=True,
            label=f"Needs attention: {item.title}. The server said: {item.reason}",
            content=ft.Container(
                bgcolor=ft.Colors.ERROR_CONTAINER,
                border_radius=12,
                padding=14,
                content=ft.Column(body, spacing=8),
            ),
        )

    def _edit_form(self) -> ft.Control:
        form = self._state.editing
        assert form is not None
        controls: list[ft.Control] = [
            ft.Text(form.title, size=18, weight=ft.FontWeight.W_600),
        ]
        if not form.fields:
            controls.append(
                ft.Text(
                    "This was signed by the customer, so it cannot be changed here (the "
                    "signature covers exactly what was signed). Send it again unchanged, "
                    "or discard it and take a new signature."
                )
            )
        for edit in form.fields:
            controls.append(self._field(edit, disabled=form.busy))
        if form.error:
            controls.append(
                ft.Semantics(
                    identifier="sync-edit-error",
                    live_region=True,
                    content=ft.Text(form.error, color=ft.Colors.ERROR),
                )
            )
        controls.append(
            ft.Row(
                wrap=True,
                spacing=8,
                run_spacing=8,
                controls=[
                    ft.Semantics(
                        identifier="sync-edit-send",
                        button=True,
                        content=ft.FilledButton(
                            "Send again",
                            icon=ft.Icons.SEND,
                            height=TAP_TARGET,
                            disabled=form.busy,
                            on_click=self._resubmit,
                        ),
                    ),
                    ft.Semantics(
                        identifier="sync-edit-cancel",
                        button=True,
                        content=ft.OutlinedButton(
                            "Cancel", height=TAP_TARGET, on_click=self._cancel_edit
                        ),
                    ),
                ],
            )
        )
        return ft.Semantics(
            identifier=f"sync-edit-{form.mid}",
            container=True,
            content=ft.Card(
                margin=0,
                content=ft.Container(padding=16, content=ft.Column(controls, spacing=12)),
            ),
        )

    def _field(self, edit: EditField, *, disabled: bool) -> ft.Control:
        multiline = edit.kind == "multiline"
        field = ft.TextField(
            label=edit.label,
            value=edit.text,
            error=edit.error,
            multiline=multiline,
            min_lines=2 if multiline else None,
            max_lines=6 if multiline else 1,
            prefix=ft.Text("$") if edit.kind == "money" else None,
            keyboard_type=(
                ft.KeyboardType.NUMBER if edit.kind in {"money", "int"} else ft.KeyboardType.TEXT
            ),
            disabled=disabled,
            on_change=self._field_changed(edit.key),
        )
        return ft.Semantics(identifier=f"sync-edit-field-{edit.key}", content=field)

    # ------------------------------------------------------------------ dialog

    def _sync_dialog(self) -> None:
        confirm = self._state.confirming
        if confirm is None:
            self._confirm.hide()
            return
        self._confirm.show(
            title="Discard this change?",
            content=ft.Text(
                f"“{confirm.title}” and everything you entered for it will be deleted "
                "from this phone. This cannot be undone."
            ),
            cancel=("sync-discard-cancel", "Keep it", self._cancel_discard),
            confirm=("sync-discard-confirm", "Discard", self._confirm_discard),
        )

    # ------------------------------------------------------------------ events

    def dispose(self) -> None:
        """Stop listening (and close a dialog left open)."""
        super().dispose()
        self._confirm.dispose()

    @staticmethod
    def _handler(action: Callable[[int], Any], mid: int) -> Callable[[], Awaitable[None]]:
        async def handle() -> None:
            action(mid)

        return handle

    def _field_changed(self, key: str) -> Callable[[ft.Event[ft.TextField]], Awaitable[None]]:
        async def changed(e: ft.Event[ft.TextField]) -> None:
            self._state.set_field(key, e.control.value or "")

        return changed

    async def _sync_now(self) -> None:
        self._state.sync_now()

    def _ask_discard(self, mid: int) -> None:
        self._state.ask_discard(mid)

    async def _cancel_discard(self) -> None:
        self._state.cancel_discard()

    async def _confirm_discard(self) -> None:
        await self._state.confirm_discard()

    async def _resubmit(self) -> None:
        await self._state.resubmit()

    async def _cancel_edit(self) -> None:
        self._state.cancel_edit()
