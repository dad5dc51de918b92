"""SettingsState: account lines, theme, and the guarded sign-out (fake services)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from proapp.domain.models import Business
from proapp.state.ports import Route, ScreenContext
from proapp.state.settings import AccountInfo, SettingsServices, SettingsState, app_version
from proapp.sync.session import PendingWorkSummary, SignOutRefusedError
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, FakeRepository, run

ACCOUNT = AccountInfo(
    name="Tess Rivera",
    email="tess@brightfix.example",
    role="technician",
    business="b7e0c2a4-5d1e-4f3a-9c8b-2a6d4e8f0b11",
    server_url="http://127.0.0.1:8550",
    data_folder="/data/ProApp/accounts/tess",
)


class FakeApp:
    """Records sign-out calls; refuses while ``queued`` unless told to discard."""

    def __init__(self, queued: int = 0) -> None:
        self.queued = queued
        self.calls: list[bool] = []
        self.theme_value = "system"
        self.fail: Exception | None = None

    async def sign_out(self, discard: bool) -> None:
        self.calls.append(discard)
        if self.fail is not None:
            raise self.fail
        if self.queued and not discard:
            raise SignOutRefusedError(
                PendingWorkSummary(
                    unsent=self.queued,
                    needs_attention=1,
                    blobs_not_uploaded=2,
                    oldest_unsent_age=timedelta(minutes=5),
                )
            )

    def services(self) -> SettingsServices:
        def set_theme(value: str) -> None:
            self.theme_value = value

        return SettingsServices(
            account=ACCOUNT,
            sign_out=self.sign_out,
            theme=lambda: self.theme_value,
            set_theme=set_theme,
            version="9.9.9",
        )


def settings(app: FakeApp) -> SettingsState:
    ctx = ScreenContext(FakeRepository(), FakeNavigator(), lambda: FIXED_NOW)
    return SettingsState(ctx, Route("settings"), app.services())


def test_shows_the_account_version_and_theme() -> None:
    state = settings(FakeApp())
    assert state.account.email == "tess@brightfix.example"
    assert state.role_text == "Technician"
    assert state.version == "9.9.9"
    assert state.theme == "system"
    assert state.title == "Settings"


def test_app_version_reads_the_installed_package() -> None:
    version = app_version()
    assert version == "development" or version[0].isdigit()


def test_theme_toggle_goes_to_the_app() -> None:
    app = FakeApp()
    state = settings(app)
    changes: list[int] = []
    state.subscribe(lambda: changes.append(1))
    state.set_theme("dark")
    assert app.theme_value == "dark" and state.theme == "dark" and changes
    state.set_theme("purple")  # not a theme: ignored
    assert app.theme_value == "dark"


def test_sign_out_with_nothing_queued_goes_straight_through() -> None:
    app = FakeApp()
    state = settings(app)
    asyncio.run(state.sign_out())
    assert app.calls == [False]
    assert state.confirm is None and not state.busy


def test_queued_work_asks_first_and_cancel_keeps_everything() -> None:
    app = FakeApp(queued=3)
    state = settings(app)
    asyncio.run(state.sign_out())
    assert app.calls == [False]
    confirm = state.confirm
    assert confirm is not None
    assert confirm.lost == 4  # 3 unsent + 1 refused
    assert "3 change(s) not sent yet" in confirm.message
    assert "2 photo(s) not uploaded" in confirm.message
    state.cancel_sign_out()
    assert state.confirm is None and app.calls == [False]


def test_sign_out_and_discard_is_explicit() -> None:
    app = FakeApp(queued=3)
    state = settings(app)
    asyncio.run(state.sign_out())
    asyncio.run(state.sign_out_and_discard())
    assert app.calls == [False, True]
    assert state.confirm is None


def test_a_failed_sign_out_says_so() -> None:
    app = FakeApp()
    app.fail = OSError("disk is read-only")
    state = settings(app)
    asyncio.run(state.sign_out())
    assert state.error is not None and "disk is read-only" in state.error
    assert not state.busy


def test_the_business_shows_by_name_once_synced() -> None:
    repo = FakeRepository()
    state = SettingsState(
        ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("settings"),
        FakeApp().services(),
    )
    run(state.load())
    assert state.business_text.startswith(ACCOUNT.business)  # before the first sync
    repo.set_business(
        Business(id=ACCOUNT.business, name="BrightFix Home Services",
                 time_zone="America/Los_Angeles", state="WA")
    )
    run(state.load())
    assert state.business_text == "BrightFix Home Services"
