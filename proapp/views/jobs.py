"""The jobs screen: renders `JobsState` (Loading | Ready | Empty | Failed)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from proapp.state.jobs import Empty, Failed, JobRow, JobsState, Loading, Ready
from proapp.views.theme import TAP_TARGET, centered_column, status_colors

__all__ = ["JobsView"]


def _centered(*controls: ft.Control) -> ft.Control:
    return ft.Container(
        expand=True,
        alignment=ft.Alignment.CENTER,
        padding=24,
        content=ft.Column(
            list(controls),
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.CENTER,
            tight=True,
            spacing=16,
        ),
    )


def _info(icon: ft.IconData, text: str) -> ft.Control:
    return ft.Row(
        [
            ft.Icon(icon, size=18, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def job_card(row: JobRow) -> ft.Control:
    """One job in the list; the whole card is one labelled node for screen readers."""
    background, foreground = status_colors(row.status.value)
    chip = ft.Container(
        content=ft.Text(row.status_text, size=13, color=foreground, weight=ft.FontWeight.W_600),
        bgcolor=background,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
        border_radius=12,
    )
    card = ft.Card(
        variant=ft.CardVariant.FILLED,
        margin=0,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                spacing=8,
                controls=[
                    ft.Row(
                        [
                            ft.Text(row.title, size=17, weight=ft.FontWeight.W_600, expand=True),
                            ft.Text(row.price_text, size=16, weight=ft.FontWeight.W_600),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.START,
                    ),
                    _info(ft.Icons.SCHEDULE, row.window_text),
                    _info(ft.Icons.LOCATION_ON, row.place),
                    chip,
                ],
            ),
        ),
    )
    return ft.Semantics(
        identifier=f"job-row-{row.job_id}",
        container=True,
        label=(f"{row.title}. {row.status_text}. {row.window_text}. {row.place}. {row.price_text}"),
        content=card,
    )


class JobsView:
    """Builds the app bar once and the body per state; `render` swaps the body."""

    def __init__(self, state: JobsState, on_changed: Callable[[], None]) -> None:
        self._state = state
        self._on_changed = on_changed
        self._unsubscribe = state.subscribe(self._state_changed)
        self.appbar = ft.AppBar(
            title=ft.Column(
                [
                    ft.Text("My jobs", size=20, weight=ft.FontWeight.W_600),
                    ft.Text(state.user_name, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
                spacing=0,
                tight=True,
            ),
            actions=[
                ft.Semantics(
                    identifier="jobs-refresh",
                    button=True,
                    content=ft.IconButton(
                        icon=ft.Icons.REFRESH,
                        tooltip="Refresh jobs",
                        icon_size=26,
                        on_click=self._refresh,
                    ),
                ),
                ft.Semantics(
                    identifier="signout",
                    button=True,
                    content=ft.IconButton(
                        icon=ft.Icons.LOGOUT,
                        tooltip="Sign out",
                        icon_size=26,
                        on_click=self._sign_out,
                    ),
                ),
                ft.Container(width=4),
            ],
        )
        self._body = ft.Container(expand=True)
        self.control = ft.SafeArea(expand=True, content=self._body)
        self.render()

    def render(self) -> None:
        """Show the body for the current case (no update() call: the caller does that)."""
        view = self._state.view
        if isinstance(view, Loading):
            body = _centered(
                ft.ProgressRing(),
                ft.Semantics(
                    identifier="jobs-loading",
                    live_region=True,
                    content=ft.Text("Loading your jobs…"),
                ),
            )
        elif isinstance(view, Empty):
            body = _centered(
                ft.Icon(ft.Icons.WORK_OUTLINE, size=48, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Semantics(
                    identifier="jobs-empty",
                    content=ft.Text(view.message, text_align=ft.TextAlign.CENTER),
                ),
            )
        elif isinstance(view, Failed):
            body = self._failed(view)
        elif isinstance(view, Ready):
            body = ft.Semantics(
                identifier="jobs-list",
                container=True,
                content=ft.ListView(
                    controls=[centered_column(job_card(row)) for row in view.rows],
                    spacing=12,
                    padding=ft.Padding.symmetric(horizontal=16, vertical=12),
                    expand=True,
                ),
            )
        self._body.content = body

    def _failed(self, view: Failed) -> ft.Control:
        if view.sign_in_again:
            action = ft.Semantics(
                identifier="jobs-sign-in-again",
                button=True,
                content=ft.FilledButton(
                    "Sign in again", height=TAP_TARGET, on_click=self._sign_out
                ),
            )
        else:
            action = ft.Semantics(
                identifier="jobs-retry",
                button=True,
                content=ft.FilledButton("Try again", height=TAP_TARGET, on_click=self._refresh),
            )
        return _centered(
            ft.Icon(ft.Icons.ERROR_OUTLINE, size=48, color=ft.Colors.ERROR),
            ft.Semantics(
                identifier="jobs-error",
                live_region=True,
                content=ft.Text(view.message, text_align=ft.TextAlign.CENTER),
            ),
            action,
        )

    def dispose(self) -> None:
        """Stop listening to the state (the screen is being replaced)."""
        self._unsubscribe()

    def _state_changed(self) -> None:
        self.render()
        self._on_changed()

    async def _refresh(self) -> None:
        await self._state.load()

    async def _sign_out(self) -> None:
        await self._state.sign_out()
