"""ShellState: tabs and per-tab stacks, back, notices, the offline banner, first sync."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from proapp.state.ports import Route, ScreenContext
from proapp.state.shell import OFFLINE_TEXT, TABS, PhotoViewerState, ShellState
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, FakeRepository, make_job


def shell(repo: FakeRepository | None = None) -> tuple[ShellState, FakeRepository, list[int]]:
    repo = repo or FakeRepository()
    state = ShellState(repo, clock=lambda: FIXED_NOW)
    changes: list[int] = []
    state.subscribe(lambda: changes.append(1))
    return state, repo, changes


def test_starts_on_the_inbox_tab_with_no_back() -> None:
    state, _, _ = shell()
    assert state.tab == "inbox" == TABS[0]
    assert state.current == Route("inbox")
    assert not state.can_go_back
    state.back()  # at a tab's root: nothing happens
    assert state.current == Route("inbox")


def test_details_push_on_the_selected_tab_and_back_pops() -> None:
    state, _, changes = shell()
    state.open(Route("request", {"request_id": "r1"}))
    state.open(Route("estimate", {"request_id": "r1"}))
    assert state.current == Route("estimate", {"request_id": "r1"})
    assert state.can_go_back and len(state.stack) == 3
    state.back()
    assert state.current == Route("request", {"request_id": "r1"})
    state.back()
    assert state.current == Route("inbox") and not state.can_go_back
    assert len(changes) == 4


def test_opening_the_route_on_top_again_does_not_stack_a_copy() -> None:
    state, _, _ = shell()
    state.open(Route("job", {"job_id": "j1"}))
    state.open(Route("job", {"job_id": "j1"}))
    assert len(state.stack) == 2


def test_each_tab_keeps_its_own_stack() -> None:
    state, _, _ = shell()
    state.open(Route("request", {"request_id": "r1"}))
    state.select_tab("today")
    state.open(Route("job", {"job_id": "j1"}))
    state.select_tab("inbox")
    assert state.current == Route("request", {"request_id": "r1"})
    state.select_tab("today")
    assert state.current == Route("job", {"job_id": "j1"})
    assert state.tab_index == TABS.index("today")


def test_tapping_the_selected_tab_returns_to_its_root() -> None:
    state, _, _ = shell()
    state.select_tab("today")
    state.open(Route("job", {"job_id": "j1"}))
    state.select_tab("today")
    assert state.current == Route("today")


def test_opening_a_tab_route_resets_that_tabs_stack() -> None:
    state, _, _ = shell()
    state.select_tab("messages")
    state.open(Route("thread", {"job_id": "j1"}))
    state.select_tab("inbox")
    state.open(Route("messages"))
    assert state.tab == "messages"
    assert state.stack == (Route("messages"),)


def test_an_unknown_tab_is_refused() -> None:
    state, _, _ = shell()
    with pytest.raises(ValueError, match="unknown tab"):
        state.select_tab("jobs")


def test_notices_queue_in_order() -> None:
    state, _, changes = shell()
    state.notify("Estimate queued")
    state.notify("Message queued")
    state.notify("")  # nothing to say: ignored
    assert state.has_notice and len(changes) == 2
    assert state.take_notice() == "Estimate queued"
    assert state.take_notice() == "Message queued"
    assert state.take_notice() is None and not state.has_notice


def test_offline_banner_says_work_is_saved_and_counts_pending() -> None:
    state, repo, changes = shell()
    assert state.banner is None
    repo.set_status(SyncStatus(connectivity=Connectivity.OFFLINE, pending=3))
    banner = state.banner
    assert banner is not None and banner.kind == "offline"
    assert banner.text.startswith(OFFLINE_TEXT)
    assert "3 changes waiting to sync" in banner.text
    assert changes, "the shell redraws when the status changes"
    repo.set_status(SyncStatus(connectivity=Connectivity.OFFLINE, pending=1))
    assert state.banner is not None and "1 change waiting" in state.banner.text
    repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE, pending=1))
    assert state.banner is None


def test_a_signed_out_engine_shows_the_sign_in_banner_and_hands_over() -> None:
    calls: list[str] = []

    async def sign_in_again() -> None:
        calls.append("sign in")

    repo = FakeRepository()
    state = ShellState(repo, clock=lambda: FIXED_NOW, on_sign_in_again=sign_in_again)
    repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE, signed_out=True, pending=2))
    assert state.banner is not None and state.banner.kind == "signed_out"
    asyncio.run(state.sign_in_again())
    assert calls == ["sign in"]


def test_attention_badge_and_sync_now() -> None:
    state, repo, _ = shell()
    assert state.attention_count == 0
    repo.set_status(SyncStatus(needs_attention=2, pending=5))
    assert state.attention_count == 2 and state.pending_count == 5
    state.sync_now()
    assert repo.sync_now_calls == 1


def test_first_sync_shows_progress_until_the_first_round_succeeds() -> None:
    async def scenario() -> None:
        state, repo, _ = shell()
        repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE))
        await state.start()
        assert state.first_sync is not None
        assert "Downloading" in state.first_sync.text and not state.first_sync.waiting

        # A pull page arrives: the repository tells its listeners.
        repo.add_job(make_job(title="Disposal"))
        repo.add_job(make_job(title="Faucet"))
        repo.notify()
        await asyncio.sleep(0)  # the count runs as a task
        await asyncio.sleep(0)
        assert state.first_sync is not None
        assert "2 jobs" in state.first_sync.text and "0 requests" in state.first_sync.text

        repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE, last_success_at=FIXED_NOW))
        assert state.first_sync is None

    asyncio.run(scenario())


def test_first_sync_waits_visibly_while_offline() -> None:
    async def scenario() -> None:
        state, repo, _ = shell()
        repo.set_status(SyncStatus(connectivity=Connectivity.OFFLINE))
        await state.start()
        assert state.first_sync is not None and state.first_sync.waiting
        assert "Waiting for a connection" in state.first_sync.text

    asyncio.run(scenario())


def test_no_first_sync_when_the_phone_already_has_data() -> None:
    async def scenario() -> None:
        repo = FakeRepository()
        repo.add_job(make_job())
        state, _, _ = shell(repo)
        await state.start()
        assert state.first_sync is None

    asyncio.run(scenario())


def test_dispose_unsubscribes() -> None:
    state, repo, _ = shell()
    assert repo.listener_count == 1
    state.dispose()
    assert repo.listener_count == 0


def test_the_context_navigates_through_the_shell() -> None:
    state, repo, _ = shell()
    assert state.context.repo is repo
    state.context.nav.open(Route("job", {"job_id": "j1"}))
    assert state.current == Route("job", {"job_id": "j1"})
    assert state.context.clock() == FIXED_NOW


def test_photo_viewer_reads_the_photo_or_says_it_is_missing(tmp_path: Path) -> None:
    async def scenario() -> None:
        repo = FakeRepository(photo_dir=tmp_path)
        nav = FakeNavigator()
        present = repo.add_blob(b"\x89PNG photo bytes")
        ctx = ScreenContext(repo, nav, lambda: FIXED_NOW)
        viewer = PhotoViewerState(ctx, Route("photo", {"blob_hash": present}))
        assert viewer.loading
        await viewer.load()
        assert viewer.data == b"\x89PNG photo bytes" and not viewer.missing

        missing = PhotoViewerState(ctx, Route("photo", {"blob_hash": "0" * 64}))
        await missing.load()
        assert missing.missing and missing.data is None
        missing.close()
        assert nav.backs == 1
        missing.dispose()
        viewer.dispose()
        assert repo.listener_count == 0

    asyncio.run(scenario())


def test_describe_pending_age_is_not_needed_for_the_banner() -> None:
    # The banner counts; the sync center says how old (see its tests).
    state, repo, _ = shell()
    repo.set_status(
        SyncStatus(
            connectivity=Connectivity.OFFLINE, pending=1, oldest_pending_age=timedelta(hours=2)
        )
    )
    assert state.banner is not None and "2 h" not in state.banner.text
