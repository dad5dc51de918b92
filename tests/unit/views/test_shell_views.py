"""Smoke builds of the shell's own views (no page): ids present, state shown, and the
route table covers every screen of the BRIEF."""

from __future__ import annotations

import asyncio
import uuid

from proapp.domain.commands import JobStartArgs
from proapp.domain.enums import JobStatus
from proapp.state.ports import Route, ScreenContext
from proapp.state.settings import AccountInfo, SettingsServices, SettingsState
from proapp.state.sync_center import SyncCenterState
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from proapp.views.settings import SettingsView
from proapp.views.shell import ROUTES
from proapp.views.sync_center import SyncCenterView
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, FakeRepository, make_job
from tests.unit.views.control_tree import identifiers

BRIEF_SCREENS = {
    "inbox",
    "today",
    "messages",
    "sync",
    "settings",
    "request",
    "visit",
    "estimate",
    "windows",
    "job",
    "change_order",
    "complete",
    "thread",
    "photo",
}


def test_every_screen_of_the_brief_has_a_route() -> None:
    # A subset: the office desktop (issue 5) adds its own screens to the same table.
    assert set(ROUTES) >= BRIEF_SCREENS


def test_sync_center_view_shows_queue_and_attention_ids() -> None:
    async def scenario() -> None:
        repo = FakeRepository(optimistic=False)
        ctx = ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW)
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED))
        first = await repo.perform(JobStartArgs(job_id=job.id))
        second = await repo.perform(JobStartArgs(job_id=str(uuid.uuid4())))
        repo.reject(second.mid, "job_cancelled", "The customer cancelled this job.")
        repo.status = SyncStatus(connectivity=Connectivity.OFFLINE, pending=1)
        state = SyncCenterState(ctx, Route("sync"))
        redraws: list[int] = []
        view = SyncCenterView(state, lambda: redraws.append(1))
        await state.load()
        found = identifiers(view.control)
        assert {"sync-status", "sync-now", f"sync-item-{first.mid}"} <= found
        assert {
            f"sync-attention-{second.mid}",
            f"sync-discard-{second.mid}",
            f"sync-resubmit-{second.mid}",
        } <= found
        assert redraws, "the view asks the shell to redraw after the state changed"
        state.start_edit(second.mid)
        assert f"sync-edit-{second.mid}" in identifiers(view.control)
        view.dispose()

    asyncio.run(scenario())


def test_settings_view_has_its_ids() -> None:
    async def sign_out(_discard: bool) -> None:
        return None

    services = SettingsServices(
        account=AccountInfo("Tess", "t@example.com", "technician", "b1", "http://x", "/data"),
        sign_out=sign_out,
        theme=lambda: "light",
        set_theme=lambda _mode: None,
        version="1.0",
    )
    ctx = ScreenContext(FakeRepository(), FakeNavigator(), lambda: FIXED_NOW)
    view = SettingsView(SettingsState(ctx, Route("settings"), services), lambda: None)
    assert {
        "settings-name",
        "settings-email",
        "settings-role",
        "settings-business",
        "settings-server",
        "settings-data-folder",
        "settings-version",
        "settings-signout",
        "settings-theme-light",
        "settings-theme-dark",
        "settings-theme-system",
    } <= identifiers(view.control)
    view.dispose()
