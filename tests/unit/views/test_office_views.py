"""Smoke builds of the office desktop views (no page): each renders its state with the
identifiers the UI tests and screen readers rely on, and keys reach the state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import flet as ft

from proapp.domain.enums import ComplianceKind, EstimateStatus, JobStatus, Role
from proapp.state.dispatch import DispatchState
from proapp.state.estimates_report import EstimatesReportState
from proapp.state.office_messages import OfficeMessagesState
from proapp.state.office_ports import OfficeContext
from proapp.state.pipeline import PipelineFilter, PipelineState
from proapp.state.ports import Route
from proapp.state.reviews import ReviewsState
from proapp.state.team import TeamState
from proapp.views.dispatch import DispatchView, stack_rows
from proapp.views.estimates_report import EstimatesReportView
from proapp.views.office_messages import OfficeMessagesView
from proapp.views.pipeline import PipelineView
from proapp.views.reviews import ReviewsView
from proapp.views.team import TeamView
from tests.support.fake_office import (
    DISPATCHER_ID,
    MARCO_ID,
    TESS_ID,
    FakeOfficeRepository,
    make_document,
    make_estimate,
    make_member,
    make_review,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, make_job, make_request
from tests.unit.views.control_tree import walk


def labels(root: ft.BaseControl) -> dict[str, str]:
    return {
        c.identifier: c.label or ""
        for c in walk(root)
        if isinstance(c, ft.Semantics) and c.identifier
    }


def world() -> tuple[FakeOfficeRepository, dict[str, str]]:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    repo.add_member(make_member(DISPATCHER_ID, "Dana Dispatch", Role.DISPATCHER))
    first = make_job(title="Faucet", status=JobStatus.SCHEDULED,
                     assigned_technician_ids=[TESS_ID], window_start_in=timedelta(hours=2))
    clash = make_job(title="Heater", status=JobStatus.SCHEDULED,
                     assigned_technician_ids=[TESS_ID], window_start_in=timedelta(hours=3))
    loose = make_job(title="Fan", status=JobStatus.PENDING_SCHEDULE, assigned_technician_ids=[])
    for job in (first, clash, loose):
        repo.add_job(job)
    request = repo.add_request(make_request(title="Mount a TV"))
    repo.add_estimate(make_estimate(request.id, status=EstimateStatus.ACCEPTED))
    repo.add_document(make_document(TESS_ID, ComplianceKind.INSURANCE,
                                    expires_on=FIXED_NOW.date() + timedelta(days=10)))
    review = repo.add_review(make_review(first.id, TESS_ID, 2, comment="Late."))
    ids = {"first": first.id, "clash": clash.id, "loose": loose.id, "request": request.id,
           "review": review.id}
    return repo, ids  # fmt: skip


def ctx(repo: FakeOfficeRepository, nav: FakeNavigator | None = None) -> OfficeContext:
    return OfficeContext(repo, nav or FakeNavigator(), lambda: FIXED_NOW)


def test_dispatch_view_flags_overlaps_lists_unassigned_and_takes_keys() -> None:
    async def scenario() -> None:
        repo, ids = world()
        nav = FakeNavigator()
        state = DispatchState(ctx(repo, nav), Route("dispatch"))
        view = DispatchView(state, lambda: None)
        assert "dispatch-loading" in labels(view.control)
        await state.load()
        found = labels(view.control)
        block = f"dispatch-block-{TESS_ID}-{ids['first']}"
        assert "Overlaps another appointment" in found[block]
        assert "overlapping" in found[f"dispatch-lane-{TESS_ID}"]
        assert f"dispatch-unassigned-{ids['loose']}-assign" in found
        assert {"dispatch-prev", "dispatch-next", "dispatch-today", "dispatch-mode-day",
                "dispatch-mode-week", "dispatch-help"} <= set(found)  # fmt: skip

        assert await view.handle_key("U")  # the first unassigned job
        assert state.selected_job_id == ids["loose"]
        assert "Selected" in labels(view.control)["dispatch-selection"]
        assert await view.handle_key("W")
        assert "selected" in labels(view.control)["dispatch-mode-week"]
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_overlapping_blocks_get_their_own_rows_in_a_lane() -> None:
    async def scenario() -> None:
        repo, ids = world()
        state = DispatchState(ctx(repo), Route("dispatch"))
        await state.load()
        tess = next(lane for lane in state.lanes if lane.technician_id == TESS_ID)
        rows = stack_rows(tess.blocks)
        assert rows[ids["first"]] != rows[ids["clash"]]

    asyncio.run(scenario())


def test_pipeline_view_filters_sorts_and_focuses_search_on_slash() -> None:
    async def scenario() -> None:
        repo, ids = world()
        state = PipelineState(ctx(repo), Route("pipeline"))
        view = PipelineView(state, lambda: None)
        await state.load()
        found = labels(view.control)
        assert f"pipeline-row-{ids['request']}" in found
        assert f"pipeline-row-{ids['loose']}" in found
        assert "pipeline-search" in found and "pipeline-sort-value" in found
        chips = {f"pipeline-filter-{c.value}" for c in PipelineFilter}
        assert chips <= set(found)
        assert await view.handle_key("2")  # overdue
        assert state.filter is PipelineFilter.OVERDUE
        assert "selected" in labels(view.control)["pipeline-filter-overdue"]
        assert not view.typing

    asyncio.run(scenario())


def test_report_messages_team_and_reviews_views_show_their_ids() -> None:
    async def scenario() -> None:
        repo, ids = world()
        report = EstimatesReportState(ctx(repo), Route("estimates"))
        report_view = EstimatesReportView(report, lambda: None)
        await report.load()
        found = labels(report_view.control)
        assert found["estimates-status-accepted"] == "Accepted: 1"
        assert "Tess Rivera 100%" in found["estimates-chart-conversion-technician"]
        assert f"estimates-technician-{TESS_ID}" in found

        inbox = OfficeMessagesState(ctx(repo), Route("office_messages"))
        inbox_view = OfficeMessagesView(inbox, lambda: None)
        await inbox.load()
        assert {"office-messages-filter-all", "office-messages-filter-waiting"} <= set(
            labels(inbox_view.control)
        )

        team = TeamState(ctx(repo), Route("team"))
        team_view = TeamView(team, lambda: None)
        await team.load()
        found = labels(team_view.control)
        assert "Insurance" in found[f"team-member-{TESS_ID}"]
        warnings = [k for k in found if k.startswith(f"team-warning-{TESS_ID}-")]
        assert any("in 10 days" in found[w] for w in warnings)
        assert any("Missing: Background check" in found[w] for w in warnings)

        nav = FakeNavigator()
        reviews = ReviewsState(ctx(repo, nav), Route("reviews"))
        reviews_view = ReviewsView(reviews, lambda: None)
        await reviews.load()
        found = labels(reviews_view.control)
        assert "2 of 5 stars" in found[f"reviews-review-{ids['review']}"]
        assert f"reviews-technician-{TESS_ID}" in found
        reviews.open(ids["review"])
        assert nav.opened == [Route("job", {"job_id": ids["first"]})]

    asyncio.run(scenario())
