"""Settings: account, theme, data folder, version, and the guarded sign-out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.settings import THEMES, SettingsState
from proapp.views.dialogs import ConfirmDialog
from proapp.views.state_view import StateView
from proapp.views.theme import TAP_TARGET, scrolling_column

__all__ = ["SettingsView"]


def _row(identifier: str, icon: ft.IconData, label: str, value: str) -> ft.Control:
    return ft.Semantics(
        identifier=identifier,
        container=True,
        label=f"{label}: {value}",
        content=ft.Row(
            [
                ft.Icon(icon, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Column(
                    [
                        ft.Text(label, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                        ft.Text(value, size=16, selectable=True),
                    ],
                    spacing=2,
                    expand=True,
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.START,
        ),
    )


def _card(title: str, rows: list[ft.Control]) -> ft.Control:
    return ft.Card(
        variant=ft.CardVariant.OUTLINED,
        margin=0,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                [
                    ft.Semantics(
                        header=True,
                        content=ft.Text(title, size=18, weight=ft.FontWeight.W_600),
                    ),
                    *rows,
                ],
                spacing=12,
            ),
        ),
    )


class SettingsView(StateView):
    """Renders `SettingsState`; the sign-out confirmation is a dialog."""

    def __init__(self, state: SettingsState, refresh: Callable[[], None]) -> None:
        self._state = state
        self.title = state.title
        self._column = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.control = scrolling_column(self._column)
        self._confirm = ConfirmDialog(self.control)
        self._follow(state, refresh)

    def render(self) -> None:
        """Rebuild from the state, and open or close the sign-out dialog."""
        state = self._state
        account = state.account
        theme_buttons: list[ft.Control] = []
        for value, label in THEMES:
            selected = state.theme == value
            button_class = ft.FilledButton if selected else ft.OutlinedButton
            theme_buttons.append(
                ft.Semantics(
                    identifier=f"settings-theme-{value}",
                    button=True,
                    selected=selected,
                    label=f"{label} theme{' (in use)' if selected else ''}",
                    content=button_class(
                        label, height=TAP_TARGET, on_click=self._theme_clicked(value)
                    ),
                )
            )
        sign_out_controls: list[ft.Control] = [
            ft.Text(
                "Signing out deletes this account's data from this phone. Work that has "
                "not reached the server yet would be lost, so you will be asked first.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        ]
        if state.error:
            sign_out_controls.append(
                ft.Semantics(
                    identifier="settings-error",
                    live_region=True,
                    content=ft.Text(state.error, color=ft.Colors.ERROR),
                )
            )
        sign_out_controls.append(
            ft.Semantics(
                identifier="settings-signout",
                button=True,
                content=ft.OutlinedButton(
                    "Signing out…" if state.busy else "Sign out",
                    icon=ft.Icons.LOGOUT,
                    height=TAP_TARGET,
                    disabled=state.busy,
                    on_click=self._sign_out,
                ),
            )
        )
        self._column.controls = [
            _card(
                "Account",
                [
                    _row("settings-name", ft.Icons.PERSON, "Name", account.name),
                    _row("settings-email", ft.Icons.EMAIL, "Email", account.email),
                    _row("settings-role", ft.Icons.BADGE, "Role", state.role_text),
                    _row("settings-business", ft.Icons.BUSINESS, "Business", state.business_text),
                    _row("settings-server", ft.Icons.DNS, "Server", account.server_url),
                ],
            ),
            _card(
                "Appearance",
                [ft.Row(theme_buttons, wrap=True, spacing=8, run_spacing=8)],
            ),
            _card(
                "This phone",
                [
                    _row(
                        "settings-data-folder", ft.Icons.FOLDER, "Data folder", account.data_folder
                    ),
                    _row("settings-version", ft.Icons.INFO_OUTLINE, "App version", state.version),
                ],
            ),
            _card("Sign out", sign_out_controls),
        ]
        self._sync_dialog()

    # ------------------------------------------------------------------ dialog

    def _sync_dialog(self) -> None:
        confirm = self._state.confirm
        if confirm is None:
            self._confirm.hide()
            return
        self._confirm.show(
            title="Sign out and lose unsent work?",
            content=ft.Semantics(
                identifier="settings-signout-message",
                content=ft.Text(confirm.message),
            ),
            cancel=("settings-signout-cancel", "Stay signed in", self._cancel),
            confirm=("settings-signout-discard", "Sign out and discard", self._discard),
        )

    # ------------------------------------------------------------------ events

    def dispose(self) -> None:
        """Stop listening (and close a dialog left open)."""
        super().dispose()
        self._confirm.dispose()

    def _theme_clicked(self, value: str) -> Callable[[], Awaitable[None]]:
        async def clicked() -> None:
            self._state.set_theme(value)

        return clicked

    async def _sign_out(self) -> None:
        await self._state.sign_out()

    async def _cancel(self) -> None:
        self._state.cancel_sign_out()

    async def _discard(self) -> None:
        await self._state.sign_out_and_discard()
