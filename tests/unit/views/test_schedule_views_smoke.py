"""Smoke builds of the Today, job and windows views (no page): the controls UI tests look
for carry their Semantics identifiers and labels, and events reach the state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from proapp.domain.enums import JobStatus
from proapp.state.job_detail import JobDetailState
from proapp.state.ports import Route, ScreenContext
from proapp.state.today import TodayState
from proapp.state.windows import WindowsState
from proapp.views.job_detail import JobDetailView
from proapp.views.today import TodayView
from proapp.views.windows import WindowsView
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, FakeRepository, make_job
from tests.unit.views.control_tree import identifiers, labels


def context() -> tuple[FakeRepository, FakeNavigator, ScreenContext]:
    repo = FakeRepository()
    nav = FakeNavigator()
    return repo, nav, ScreenContext(repo, nav, lambda: FIXED_NOW)


def test_today_view_shows_days_jobs_and_maps_links() -> None:
    async def scenario() -> None:
        repo, nav, ctx = context()
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=1)))
        waiting = repo.add_job(make_job(title="Needs a window"))
        state = TodayState(ctx, Route("today"))
        refreshed: list[bool] = []
        view = TodayView(state, lambda: refreshed.append(True))
        assert "today-empty" not in identifiers(view.control)  # still loading
        await state.load()
        ids = identifiers(view.control)
        assert refreshed
        assert {
            "today-day-prev",
            "today-day-next",
            "today-day-label",
            "today-list",
            f"today-job-{job.id}",
            f"today-maps-{job.id}",
            f"today-job-{waiting.id}",
            "today-day-2026-11-26",
        } <= ids
        state.next_day()
        state.next_day()
        assert "today-empty" in identifiers(view.control)
        assert f"today-job-{job.id}" not in identifiers(view.control)
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_job_view_offers_the_status_actions() -> None:
    async def scenario() -> None:
        repo, nav, ctx = context()
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED))
        state = JobDetailState(ctx, Route("job", {"job_id": job.id}))
        view = JobDetailView(state, lambda: None)
        await state.load()
        ids = identifiers(view.control)
        assert {
            "job-title",
            "job-status",
            "job-start",
            "job-reschedule",
            "job-messages",
            "job-defective",
            "job-maps",
        } <= ids
        assert "job-complete" not in ids and "job-cancelled-banner" not in ids
        assert view.title == job.title
        # The dialog's inputs exist with their ids and labels (shown on demand).
        dialog_ids = identifiers(view._dialog)
        assert {"job-defective-note", "job-defective-submit"} <= dialog_ids
        assert "What is defective? (required)" in labels(view._dialog)
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_job_view_of_a_cancelled_job_shows_the_banner_and_no_actions() -> None:
    async def scenario() -> None:
        repo, _, ctx = context()
        job = repo.add_job(make_job(status=JobStatus.CANCELLED))
        state = JobDetailState(ctx, Route("job", {"job_id": job.id}))
        view = JobDetailView(state, lambda: None)
        await state.load()
        ids = identifiers(view.control)
        assert "job-cancelled-banner" in ids
        assert not {i for i in ids if i in {"job-start", "job-windows", "job-defective"}}

    asyncio.run(scenario())


def test_windows_view_confirm_and_reschedule_controls() -> None:
    async def scenario() -> None:
        repo, _, ctx = context()
        pending = repo.add_job(make_job(window_start_in=timedelta(hours=25)))
        state = WindowsState(ctx, Route("windows", {"job_id": pending.id}))
        view = WindowsView(state, lambda: None)
        await state.load()
        ids = identifiers(view.control)
        for window in pending.preferred_windows:
            assert f"windows-option-{window.id}" in ids
            assert f"windows-confirm-{window.id}" in ids
        assert {
            "windows-propose-date",
            "windows-propose-start",
            "windows-propose-end",
            "windows-propose-submit",
        } <= ids
        assert "windows-error" not in ids
        state.set_start("10:00")
        state.set_end("09:00")
        await state.propose()
        assert "windows-error" in identifiers(view.control)

        scheduled = repo.add_job(
            make_job(status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=25))
        )
        state2 = WindowsState(ctx, Route("windows", {"job_id": scheduled.id}))
        view2 = WindowsView(state2, lambda: None)
        await state2.load()
        ids2 = identifiers(view2.control)
        assert {"windows-reason", "windows-note", "windows-reschedule-submit"} <= ids2
        assert "Note (optional)" in labels(view2.control)
        state2.set_reason("OTHER")
        assert "Note (required for Other)" in labels(view2.control)

    asyncio.run(scenario())
