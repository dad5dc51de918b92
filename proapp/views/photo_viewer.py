"""Full-screen photo (route ``photo`` {blob_hash}): the image, fitted, and a close button."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.shell import PhotoViewerState
from proapp.views.theme import TAP_TARGET

__all__ = ["PhotoViewerView"]


class PhotoViewerView:
    """Renders `PhotoViewerState`: loading, the photo, or "not on this phone yet"."""

    def __init__(self, state: PhotoViewerState, refresh: Callable[[], None]) -> None:
        self._state = state
        self._refresh = refresh
        self.title = state.title
        self._body = ft.Container(expand=True, alignment=ft.Alignment.CENTER)
        close = ft.Semantics(
            identifier="photo-close",
            button=True,
            label="Close photo",
            content=ft.IconButton(
                icon=ft.Icons.CLOSE,
                icon_size=30,
                icon_color=ft.Colors.WHITE,
                bgcolor=ft.Colors.with_opacity(0.5, ft.Colors.BLACK),
                width=TAP_TARGET,
                height=TAP_TARGET,
                tooltip="Close",
                on_click=self._close,
            ),
        )
        self.control = ft.Container(
            expand=True,
            bgcolor=ft.Colors.BLACK,
            content=ft.SafeArea(
                expand=True,
                content=ft.Stack(
                    expand=True,
                    controls=[self._body, ft.Container(content=close, top=8, right=8)],
                ),
            ),
        )
        self._unsubscribe = state.subscribe(self._changed)
        self.render()

    def render(self) -> None:
        """Show the current case."""
        state = self._state
        if state.loading:
            content: ft.Control = ft.ProgressRing(color=ft.Colors.WHITE)
        elif state.data is None:
            content = ft.Semantics(
                identifier="photo-missing",
                content=ft.Column(
                    [
                        ft.Icon(ft.Icons.DOWNLOADING, color=ft.Colors.WHITE, size=48),
                        ft.Text(
                            "This photo is not on this phone yet. It downloads with the next sync.",
                            color=ft.Colors.WHITE,
                            text_align=ft.TextAlign.CENTER,
                        ),
                    ],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    tight=True,
                ),
            )
        else:
            content = ft.Semantics(
                identifier="photo-image",
                image=True,
                label=state.caption or "Photo",
                content=ft.InteractiveViewer(
                    expand=True,
                    min_scale=1,
                    max_scale=5,
                    content=ft.Image(src=state.data, fit=ft.BoxFit.CONTAIN),
                ),
            )
        self._body.content = content

    def dispose(self) -> None:
        """Stop listening."""
        self._unsubscribe()

    def _changed(self) -> None:
        self.render()
        self._refresh()

    async def _close(self) -> None:
        self._state.close()
