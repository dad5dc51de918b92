"""RequestDetailState: what the customer asked (R1), deadlines (R2), next steps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from proapp.domain.enums import (
    EstimateStatus,
    LocationType,
    PartsSupplier,
    RequestStatus,
    VisitStatus,
    WaiverTerms,
)
from proapp.domain.models import CustomRequest, Estimate, VisitProposal, new_id
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import (
    NotFound,
    Ready,
    RequestDetail,
    RequestDetailState,
    estimate_draft_key,
)
from tests.support.fake_repo import (
    DEMO_BUSINESS_ID,
    FIXED_NOW,
    FakeClock,
    FakeNavigator,
    FakeRepository,
    make_line,
    make_request,
    run,
)

JPEG = b"\xff\xd8\xff\xe0 fake jpeg body"


def setup(
    request: CustomRequest, tmp_path: Path | None = None, clock: FakeClock | None = None
) -> tuple[RequestDetailState, FakeRepository, FakeNavigator, FakeClock]:
    clock = clock or FakeClock()
    repo = FakeRepository(clock=clock, photo_dir=tmp_path)
    repo.add_request(request)
    nav = FakeNavigator()
    state = RequestDetailState(
        ScreenContext(repo, nav, clock), Route("request", {"request_id": request.id})
    )
    return state, repo, nav, clock


def detail(state: RequestDetailState) -> RequestDetail:
    assert isinstance(state.view, Ready), state.view
    return state.view.detail


def test_shows_what_the_customer_asked_with_deadlines(tmp_path: Path) -> None:
    async def scenario() -> None:
        request = make_request(
            title="Replace vanity",
            description="Water damaged vanity.",
            estimate_due_in=timedelta(hours=5, minutes=20),
            closes_in=timedelta(days=2, hours=4),
        ).model_copy(update={"dimensions": "36 in wide", "product_info": "Moen 84603"})
        state, repo, _, _ = setup(request, tmp_path)
        downloaded = repo.add_blob(JPEG)
        missing = "ab" * 32
        repo.requests_by_id[request.id] = request.model_copy(
            update={"site_photo_hashes": [downloaded, missing]}
        )
        await state.load()
        d = detail(state)
        assert d.title == "Replace vanity"
        assert d.description == "Water damaged vanity."
        assert d.dimensions == "36 in wide"
        assert d.product_info == "Moen 84603"
        assert d.location_text == "In the customer's home"
        assert d.address_text.startswith("123 Main St, ") and d.address_text.endswith("WA 98101")
        # FIXED_NOW 7:00 AM PST; due 12:20 PM PST; closes Sat 11:00 AM PST.
        assert d.estimate_due_text == "Estimate due in 5 h 20 min (Thu Nov 26, 12:20 PM PST)"
        assert d.closes_text == "Closes to estimates in 2 d 4 h (Sat Nov 28, 11:00 AM PST)"
        assert d.status_text == "Waiting for your estimate"
        assert [(p.blob_hash, p.data) for p in d.photos] == [(downloaded, JPEG), (missing, None)]
        assert d.can_estimate and d.actions_disabled_reason == ""
        assert d.estimate_action_text == "Draft an estimate"
        state.dispose()

    run(scenario)


def test_online_request_has_no_address() -> None:
    async def scenario() -> None:
        state, _, _, _ = setup(make_request(location_type=LocationType.ONLINE))
        await state.load()
        assert detail(state).location_text == "Online (remote)"
        assert detail(state).address_text == ""
        state.dispose()

    run(scenario)


def test_actions_open_their_screens() -> None:
    async def scenario() -> None:
        request = make_request()
        state, _, nav, _ = setup(request)
        await state.load()
        state.ask_question()
        state.propose_visit()
        state.draft_estimate()
        state.open_photo("cd" * 32)
        assert nav.opened == [
            Route("thread", {"request_id": request.id}),
            Route("visit", {"request_id": request.id}),
            Route("estimate", {"request_id": request.id}),
            Route("photo", {"blob_hash": "cd" * 32}),
        ]
        state.dispose()

    run(scenario)


def test_closed_request_disables_visit_and_estimate_with_a_reason() -> None:
    async def scenario() -> None:
        request = make_request(
            submitted_ago=timedelta(days=4),
            estimate_due_in=-timedelta(days=3),
            closes_in=-timedelta(hours=1),
        )
        state, _, nav, _ = setup(request)
        await state.load()
        d = detail(state)
        assert not d.can_estimate
        assert d.actions_disabled_reason.startswith("This request stopped taking estimates on ")
        assert "You can still message the customer" in d.actions_disabled_reason
        state.propose_visit()
        state.draft_estimate()
        assert nav.opened == []
        assert nav.notices == [d.actions_disabled_reason] * 2
        state.ask_question()  # asking stays possible (R10)
        assert nav.opened == [Route("thread", {"request_id": request.id})]
        state.dispose()

    run(scenario)


def test_booked_request_says_so() -> None:
    async def scenario() -> None:
        state, _, _, _ = setup(make_request(status=RequestStatus.BOOKED))
        await state.load()
        assert "already booked" in detail(state).actions_disabled_reason
        state.dispose()

    run(scenario)


def test_the_window_closing_while_open_disables_actions_on_the_next_tick() -> None:
    async def scenario() -> None:
        request = make_request(
            estimate_due_in=timedelta(minutes=5), closes_in=timedelta(minutes=10)
        )
        state, _, _, clock = setup(request)
        await state.load()
        assert detail(state).can_estimate
        clock.now += timedelta(minutes=11)
        state.tick()
        assert not detail(state).can_estimate
        state.dispose()

    run(scenario)


def test_visits_and_estimates_are_listed_with_their_status() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _, _ = setup(request)
        visit = VisitProposal(
            id=new_id(),
            request_id=request.id,
            business_id=DEMO_BUSINESS_ID,
            price_cents=4500,
            waiver_terms=WaiverTerms.DISCOUNT_IF_PROCEED,
            discount_cents=2000,
            status=VisitStatus.PROPOSED,
            proposed_at=FIXED_NOW - timedelta(hours=1),
        )
        estimate = Estimate(
            id=new_id(),
            request_id=request.id,
            business_id=DEMO_BUSINESS_ID,
            line_items=[make_line("Labor", unit_price_cents=9000, quantity=2)],
            parts_supplier=PartsSupplier.CUSTOMER,
            status=EstimateStatus.SUBMITTED,
            submitted_at=FIXED_NOW - timedelta(minutes=30),
        )
        repo.add_request(request, visits=[visit], estimates=[estimate])
        await state.load()
        d = detail(state)
        (v,) = d.visits
        assert v.price_text == "Visit $45.00"
        assert v.status_text == "Proposed, waiting for the customer"
        assert v.terms_text == "$20.00 off if the customer goes ahead"
        (e,) = d.estimates
        assert e.total_text == "$180.00"
        assert e.status_text == "Sent, waiting for the customer"
        assert e.detail_text.startswith("1 line · parts by the customer · sent Thu Nov 26")
        assert d.status_text == "Estimate sent"
        state.dispose()

    run(scenario)


def test_a_saved_draft_turns_the_action_into_continue() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _, _ = setup(request)
        await repo.save_draft(estimate_draft_key(request.id), "estimate", {"lines": []})
        await state.load()
        assert detail(state).has_estimate_draft
        assert detail(state).estimate_action_text == "Continue your draft estimate"
        state.dispose()

    run(scenario)


def test_a_photo_downloaded_later_appears_after_the_change_notice(tmp_path: Path) -> None:
    async def scenario() -> None:
        request = make_request(site_photo_hashes=[])
        state, repo, _, _ = setup(request, tmp_path)
        blob_hash = "ef" * 32
        repo.requests_by_id[request.id] = request.model_copy(
            update={"site_photo_hashes": [blob_hash]}
        )
        await state.load()
        assert detail(state).photos[0].data is None
        repo.blobs[blob_hash] = JPEG  # the sync downloaded it
        repo.notify()
        for _ in range(200):  # the bytes are read in a worker thread
            if detail(state).photos[0].data is not None:
                break
            await asyncio.sleep(0.01)
        assert detail(state).photos[0].data == JPEG
        state.dispose()

    run(scenario)


def test_unknown_request_is_not_found_and_dispose_unsubscribes() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        repo = FakeRepository(clock=clock)
        state = RequestDetailState(
            ScreenContext(repo, FakeNavigator(), clock), Route("request", {"request_id": new_id()})
        )
        await state.load()
        assert isinstance(state.view, NotFound)
        assert repo.listener_count == 1
        state.dispose()
        assert repo.listener_count == 0

    run(scenario)
