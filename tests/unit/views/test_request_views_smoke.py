"""Smoke builds of the inbox, request, visit and estimate views (no page): the controls UI
tests look for carry their Semantics identifiers and labels, and events reach the state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import flet as ft

from proapp.domain.enums import LineItemKind
from proapp.state.estimate_editor import EstimateEditorState, PickedPhoto
from proapp.state.inbox import InboxState
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import RequestDetailState
from proapp.state.visit_proposal import VisitProposalState
from proapp.views.estimate_editor import EstimateEditorView
from proapp.views.inbox import InboxView
from proapp.views.request_detail import RequestDetailView
from proapp.views.visit_proposal import VisitProposalView
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_request,
)
from tests.unit.views.control_tree import identifiers, labels, no_hidden_semantics_content, walk

JPEG = b"\xff\xd8\xff\xe0 smoke photo"


def test_inbox_view_rows_and_empty() -> None:
    async def scenario() -> None:
        repo, nav = FakeRepository(), FakeNavigator()
        request = repo.add_request(make_request())
        job = repo.add_job(make_job())
        state = InboxState(ScreenContext(repo, nav, lambda: FIXED_NOW), Route("inbox"))
        await state.load()
        refreshed: list[int] = []
        view = InboxView(state, lambda: refreshed.append(1))
        assert view.title == "Inbox"
        ids = identifiers(view.control)
        assert {"inbox-list", f"inbox-request-{request.id}", f"inbox-order-{job.id}"} <= ids
        state.tick()
        repo.requests_by_id.clear()
        repo.jobs_by_id.clear()
        repo.notify()
        for _ in range(5):
            await asyncio.sleep(0)
        assert "inbox-empty" in identifiers(view.control)
        assert refreshed  # the view asked the shell to update the page
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_request_view_has_actions_and_photos() -> None:
    async def scenario() -> None:
        repo, nav = FakeRepository(), FakeNavigator()
        blob = repo.add_blob(JPEG)
        request = repo.add_request(make_request(site_photo_hashes=[blob]))
        ctx = ScreenContext(repo, nav, lambda: FIXED_NOW)
        state = RequestDetailState(ctx, Route("request", {"request_id": request.id}))
        await state.load()
        view = RequestDetailView(state, lambda: None)
        assert {
            "request-title",
            "request-ask",
            "request-propose-visit",
            "request-draft-estimate",
            f"request-photo-{blob}",
        } <= identifiers(view.control)
        assert no_hidden_semantics_content(view.control)
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_visit_view_fields_and_typing_reaches_the_state() -> None:
    async def scenario() -> None:
        repo, nav = FakeRepository(), FakeNavigator()
        request = repo.add_request(make_request())
        ctx = ScreenContext(repo, nav, lambda: FIXED_NOW)
        state = VisitProposalState(ctx, Route("visit", {"request_id": request.id}))
        await state.load()
        view = VisitProposalView(state, lambda: None)
        assert {
            "visit-price",
            "visit-waiver",
            "visit-discount",
            "visit-note",
            "visit-submit",
            "visit-error",
        } <= identifiers(view.control)
        assert {
            "Visit price",
            "Discount if the customer goes ahead",
            "Note to the customer (optional)",
        } <= labels(view.control)
        assert no_hidden_semantics_content(view.control)
        state.set_price("12")  # below WA's $25.00: the field shows why
        fields = {str(c.label): c for c in walk(view.control) if isinstance(c, ft.TextField)}
        assert fields["Visit price"].error is not None
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_estimate_view_numbers_lines_and_shows_photos() -> None:
    async def scenario() -> None:
        repo, nav = FakeRepository(), FakeNavigator()
        request = repo.add_request(make_request())
        ctx = ScreenContext(repo, nav, lambda: FIXED_NOW + timedelta(minutes=1))
        state = EstimateEditorState(ctx, Route("estimate", {"request_id": request.id}))
        await state.load()
        view = EstimateEditorView(state, lambda: None)
        state.add_line(LineItemKind.PART)
        await state.add_photos([PickedPhoto("a.jpg", JPEG)])
        ids = identifiers(view.control)
        for n in (1, 2):
            for part in ("kind", "description", "quantity", "price", "remove"):
                assert f"estimate-line-{n}-{part}" in ids
        photo = state.photo_hashes[0]
        assert {
            "estimate-add-line",
            "estimate-parts-supplier",
            "estimate-notes",
            "estimate-add-photo",
            f"estimate-photo-{photo}",
            "estimate-total",
            "estimate-submit",
            "estimate-error",
        } <= ids
        assert {
            "Line 1 description",
            "Line 2 quantity",
            "Line 2 unit price",
            "Notes for the customer",
            "Valid for (days)",
        } <= labels(view.control)
        state.remove_line(state.lines[0].line_id)
        ids = identifiers(view.control)
        assert "estimate-line-1-kind" in ids and "estimate-line-2-kind" not in ids
        assert no_hidden_semantics_content(view.control)
        view.dispose()
        state.dispose()

    asyncio.run(scenario())
