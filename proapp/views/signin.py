"""The sign-in screen: renders `SignInState`, forwards typing and taps to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.embedded import DemoAccount
from proapp.state.signin import SignInState
from proapp.views.theme import TAP_TARGET, centered_column

__all__ = ["SignInView"]


def _demo_id(account: DemoAccount) -> str:
    return "signin-demo-" + account.email.split("@", 1)[0]


class SignInView:
    """Builds the sign-in controls once; `render` copies the state into them.

    Field values are written back only when the state differs from what the field shows
    (e.g. the password cleared after a refused attempt, a demo account filled in), so
    the echo of a keystroke never overwrites newer typing.
    """

    def __init__(self, state: SignInState, on_changed: Callable[[], None]) -> None:
        self._state = state
        self._on_changed = on_changed
        self._unsubscribe = state.subscribe(self._state_changed)

        self._server = ft.TextField(
            label="Server address",
            hint_text="https://pros.example.com",
            value=state.server_url,
            keyboard_type=ft.KeyboardType.URL,
            autocorrect=False,
            enable_suggestions=False,
            prefix_icon=ft.Icons.DNS,
            on_change=self._server_changed,
            on_submit=self._email_focus,
        )
        self._email = ft.TextField(
            label="Email",
            hint_text="you@example.com",
            value=state.email,
            keyboard_type=ft.KeyboardType.EMAIL,
            autofill_hints=ft.AutofillHint.EMAIL,
            autocorrect=False,
            enable_suggestions=False,
            prefix_icon=ft.Icons.EMAIL,
            on_change=self._email_changed,
            on_submit=self._next_field,
        )
        self._password = ft.TextField(
            label="Password",
            value=state.password,
            password=True,
            can_reveal_password=True,
            autofill_hints=ft.AutofillHint.PASSWORD,
            prefix_icon=ft.Icons.LOCK,
            on_change=self._password_changed,
            on_submit=self._submit,
        )
        self._error_text = ft.Text(color=ft.Colors.ON_ERROR_CONTAINER, expand=True)
        self._error = ft.Container(
            content=ft.Row(
                [
                    ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ON_ERROR_CONTAINER),
                    self._error_text,
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            bgcolor=ft.Colors.ERROR_CONTAINER,
            padding=12,
            border_radius=12,
        )
        self._error_semantics = ft.Semantics(
            identifier="signin-error", live_region=True, content=self._error
        )
        self._submit_label = ft.Text("Sign in", size=16, weight=ft.FontWeight.W_600)
        self._spinner = ft.ProgressRing(width=20, height=20, stroke_width=2, visible=False)
        self._submit_button = ft.FilledButton(
            content=ft.Row(
                [self._spinner, self._submit_label],
                alignment=ft.MainAxisAlignment.CENTER,
                tight=True,
                spacing=12,
            ),
            height=TAP_TARGET,
            on_click=self._submit,
        )

        fields: list[ft.Control] = []
        if state.server_editable:
            fields.append(ft.Semantics(identifier="signin-server", content=self._server))
        else:
            fields.append(self._server_caption())
        fields += [
            ft.Semantics(identifier="signin-email", content=self._email),
            ft.Semantics(identifier="signin-password", content=self._password),
            self._error_semantics,
            ft.Semantics(identifier="signin-submit", button=True, content=self._submit_button),
        ]
        if state.demo_accounts:
            fields.append(self._demo_card(state.demo_accounts))

        self.control = ft.SafeArea(
            expand=True,
            content=ft.Column(
                scroll=ft.ScrollMode.AUTO,
                expand=True,
                controls=[
                    centered_column(
                        ft.Container(
                            padding=ft.Padding.symmetric(horizontal=20, vertical=24),
                            content=ft.Column(
                                spacing=16,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                                controls=[self._header(), *fields],
                            ),
                        )
                    )
                ],
            ),
        )
        self.render()

    # ------------------------------------------------------------------ building

    @staticmethod
    def _header() -> ft.Control:
        return ft.Column(
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Image(src="icon.png", width=72, height=72, semantics_label="ProApp logo"),
                ft.Semantics(
                    header=True,
                    content=ft.Text("ProApp", size=28, weight=ft.FontWeight.BOLD),
                ),
                ft.Text(
                    "Sign in to see your jobs",
                    size=16,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
            ],
        )

    def _server_caption(self) -> ft.Control:
        where = "Demo server on this computer" if self._state.is_demo else self._state.server_url
        return ft.Semantics(
            identifier="signin-server-caption",
            content=ft.Row(
                [
                    ft.Icon(ft.Icons.DNS, size=18, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Text(where, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
                ],
            ),
        )

    def _demo_card(self, accounts: tuple[DemoAccount, ...]) -> ft.Control:
        rows: list[ft.Control] = [
            ft.Text("Demo accounts", size=16, weight=ft.FontWeight.W_600),
            ft.Text(
                "This is the demo server. Tap an account to fill in its email and password.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        ]
        for account in accounts:
            title = account.name or account.email.split("@", 1)[0].capitalize()
            rows.append(
                ft.Semantics(
                    identifier=_demo_id(account),
                    button=True,
                    label=f"Use demo account {title}, {account.role}, {account.email}",
                    content=ft.ListTile(
                        leading=ft.Icon(
                            ft.Icons.HANDYMAN if account.role == "technician" else ft.Icons.PERSON
                        ),
                        title=ft.Text(title, weight=ft.FontWeight.W_500),
                        subtitle=ft.Text(
                            f"{account.role.capitalize()} · {account.email}\n"
                            f"Password: {account.password}"
                        ),
                        is_three_line=True,
                        min_height=TAP_TARGET + 12,
                        on_click=self._demo_clicked(account),
                    ),
                )
            )
        return ft.Card(
            variant=ft.CardVariant.OUTLINED,
            content=ft.Container(padding=12, content=ft.Column(rows, spacing=4)),
        )

    # ------------------------------------------------------------------ rendering

    def render(self) -> None:
        """Copy the state into the controls (no update() call: the caller does that)."""
        state = self._state
        for field, value, error in (
            (self._server, state.server_url, state.server_url_error),
            (self._email, state.email, state.email_error),
            (self._password, state.password, state.password_error),
        ):
            if field.value != value:
                field.value = value
            field.error = error
            field.disabled = state.busy
        self._error_text.value = state.error or ""
        self._error_semantics.visible = bool(state.error)
        self._submit_button.disabled = state.busy
        self._spinner.visible = state.busy
        self._submit_label.value = "Signing in…" if state.busy else "Sign in"

    def dispose(self) -> None:
        """Stop listening to the state (the screen is being replaced)."""
        self._unsubscribe()

    def _state_changed(self) -> None:
        self.render()
        self._on_changed()

    # ------------------------------------------------------------------ events

    # Handlers are async like every handler here; these only hand the text to the state.
    async def _server_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_server_url(e.control.value)

    async def _email_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_email(e.control.value)

    async def _password_changed(self, e: ft.Event[ft.TextField]) -> None:
        self._state.set_password(e.control.value)

    async def _email_focus(self) -> None:
        await self._email.focus()  # type: ignore[no-untyped-call]  # unannotated in flet

    async def _next_field(self) -> None:
        # "Enter"/"Next" on the phone keyboard moves on instead of submitting half a form.
        await self._password.focus()  # type: ignore[no-untyped-call]  # unannotated in flet

    async def _submit(self) -> None:
        await self._state.submit()

    def _demo_clicked(self, account: DemoAccount) -> Callable[[], Awaitable[None]]:
        async def clicked() -> None:
            self._state.use_demo_account(account)

        return clicked
