"""VisitProposalState: price, waiver terms and the state's minimum trip charge (R4)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from proapp.domain.commands import VisitProposeArgs
from proapp.domain.enums import LocationType, WaiverTerms
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import CustomRequest
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import visit_draft_key
from proapp.state.visit_proposal import VisitProposalState
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import (
    FakeClock,
    FakeNavigator,
    FakeRepository,
    make_request,
    run,
)


class CountingRepository(FakeRepository):
    """Counts draft saves (autosave must be debounced, not one save per keystroke)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.saves = 0

    async def save_draft(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        self.saves += 1
        await super().save_draft(key, kind, data)


pytestmark = pytest.mark.usefixtures("fast_autosave")


def make(
    request: CustomRequest, repo: CountingRepository | None = None, clock: FakeClock | None = None
) -> tuple[VisitProposalState, CountingRepository, FakeNavigator]:
    clock = clock or FakeClock()
    if repo is None:
        repo = CountingRepository(clock=clock)
        repo.add_request(request)
    nav = FakeNavigator()
    state = VisitProposalState(
        ScreenContext(repo, nav, clock), Route("visit", {"request_id": request.id})
    )
    return state, repo, nav


def test_shows_the_state_minimum_and_refuses_a_lower_price() -> None:
    async def scenario() -> None:
        request = make_request()  # Springfield, WA: minimum $25.00 (R4 table)
        state, repo, nav = make(request)
        await state.load()
        assert state.minimum_cents == 2500
        assert state.minimum_text == (
            "WA requires a trip charge of at least $25.00 for on-site visits."
        )
        state.set_price("20")
        assert state.price_error == "WA requires at least $25.00 for a visit. Type $25.00 or more."
        await state.submit()
        assert repo.performed == []
        assert nav.backs == 0
        assert state.error == "Check the fields marked in red, then send again."
        assert state.price_text == "20"  # what was typed stays
        state.set_price("25")
        assert state.price_error is None
        state.dispose()

    run(scenario)


def test_no_minimum_without_an_address() -> None:
    async def scenario() -> None:
        state, _, _ = make(make_request(location_type=LocationType.ONLINE))
        await state.load()
        assert state.minimum_cents == 0
        assert state.minimum_text.startswith("This request has no address")
        state.set_price("0")
        assert state.price_error is None
        state.dispose()

    run(scenario)


def test_submit_queues_the_proposal_goes_back_and_says_when_it_is_sent() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, nav = make(request)
        repo.status = SyncStatus(connectivity=Connectivity.OFFLINE)
        await state.load()
        state.set_price("$45.00")
        state.set_waiver(WaiverTerms.DISCOUNT_IF_PROCEED)
        state.set_discount("20")
        state.set_note("  I will check the shut-off valves.  ")
        await state.submit()
        (command,) = repo.performed
        assert isinstance(command, VisitProposeArgs)
        assert command.visit_id == state.visit_id
        assert command.request_id == request.id
        assert command.price_cents == 4500
        assert command.waiver_terms is WaiverTerms.DISCOUNT_IF_PROCEED
        assert command.discount_cents == 2000
        assert command.note == "I will check the shut-off valves."
        assert nav.backs == 1
        assert nav.notices == [
            "Visit proposal saved; it will be sent to the customer when you are back online."
        ]
        await asyncio.sleep(0.05)  # no late autosave resurrects the draft
        assert visit_draft_key(request.id) not in repo.drafts
        state.dispose()

    run(scenario)


def test_online_notice_says_in_a_moment() -> None:
    async def scenario() -> None:
        state, repo, nav = make(make_request())
        repo.status = SyncStatus(connectivity=Connectivity.ONLINE)
        await state.load()
        state.set_price("45")
        await state.submit()
        assert nav.notices == ["Visit proposal saved; it will be sent to the customer in a moment."]
        state.dispose()

    run(scenario)


def test_discount_only_counts_with_discount_terms_and_cannot_exceed_the_price() -> None:
    async def scenario() -> None:
        state, repo, _ = make(make_request())
        await state.load()
        state.set_price("45")
        state.set_discount("10")
        assert not state.discount_enabled
        assert state.discount_error is None
        state.set_waiver("WAIVE_IF_PROCEED")
        await state.submit()
        (command,) = repo.performed
        assert isinstance(command, VisitProposeArgs)
        # The typed discount is ignored: it only means something with DISCOUNT_IF_PROCEED.
        assert command.discount_cents == 0
        assert command.waiver_terms is WaiverTerms.WAIVE_IF_PROCEED
        state.dispose()

        state2, repo2, _ = make(make_request())
        await state2.load()
        state2.set_price("45")
        state2.set_waiver(WaiverTerms.DISCOUNT_IF_PROCEED)
        state2.set_discount("50")
        assert state2.discount_error == "The discount cannot be more than the visit price ($45.00)."
        await state2.submit()
        assert repo2.performed == []
        state2.set_discount("")
        await state2.submit()
        assert state2.discount_error is not None and "Type the discount" in state2.discount_error
        assert repo2.performed == []
        state2.dispose()

    run(scenario)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12.345", "'12.345' has more than two decimals"),
        ("abc", "'abc' is not an amount"),
        ("-5", "'-5' is negative"),
    ],
)
def test_price_typos_get_a_message_right_away(typed: str, expected: str) -> None:
    async def scenario() -> None:
        state, _, _ = make(make_request(location_type=LocationType.ONLINE))
        await state.load()
        state.set_price(typed)
        assert state.price_error is not None and state.price_error.startswith(expected)
        state.dispose()

    run(scenario)


def test_empty_price_is_only_an_error_after_a_submit_attempt() -> None:
    async def scenario() -> None:
        state, repo, _ = make(make_request())
        await state.load()
        state.set_note("hello")
        assert state.price_error is None
        await state.submit()
        assert state.price_error is not None and state.price_error.startswith(
            "Type the visit price"
        )
        assert repo.performed == []
        state.dispose()

    run(scenario)


def test_autosave_is_debounced_and_restores_with_the_same_visit_id() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _ = make(request)
        await state.load()
        for text in ("4", "45", "45.", "45.0"):
            state.set_price(text)
        state.set_waiver(WaiverTerms.WAIVE_IF_PROCEED)
        state.set_note("See you")
        assert repo.saves == 0  # nothing saved while typing
        await asyncio.sleep(0.1)
        assert repo.saves == 1
        visit_id = state.visit_id
        state.dispose()

        again, _, _ = make(request, repo)
        await again.load()
        assert again.visit_id == visit_id
        assert again.price_text == "45.0"
        assert again.waiver is WaiverTerms.WAIVE_IF_PROCEED
        assert again.note == "See you"
        again.dispose()

    run(scenario)


def test_leaving_right_after_typing_still_saves_the_draft() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _ = make(request)
        await state.load()
        state.set_price("60")
        state.dispose()  # before the debounce fired
        await asyncio.sleep(0.05)
        assert repo.drafts[visit_draft_key(request.id)][1]["price"] == "60"

    run(scenario)


def test_a_refused_submit_keeps_everything_and_says_why() -> None:
    async def scenario() -> None:
        state, repo, nav = make(make_request())
        await state.load()
        state.set_price("45")
        state.set_note("Keep me")
        repo.fail_next(
            DomainError(ErrorCode.FORBIDDEN, "You cannot propose visits. Ask the office.")
        )
        await state.submit()
        assert state.error == "You cannot propose visits. Ask the office."
        assert not state.busy and state.can_submit
        assert (state.price_text, state.note) == ("45", "Keep me")
        assert nav.backs == 0
        first_id = state.visit_id
        await state.submit()  # the retry reuses the same id: no twin proposals
        (command,) = repo.performed
        assert isinstance(command, VisitProposeArgs) and command.visit_id == first_id
        state.dispose()

    run(scenario)


def test_closed_request_cannot_get_a_proposal() -> None:
    async def scenario() -> None:
        request = make_request(
            estimate_due_in=timedelta(minutes=5), closes_in=timedelta(minutes=10)
        )
        clock = FakeClock()
        state, repo, _ = make(request, clock=clock)
        await state.load()
        assert state.can_submit
        state.set_price("45")
        clock.now += timedelta(minutes=11)  # it closed while the pro was typing (R2)
        await state.submit()
        assert repo.performed == []
        assert state.error is not None and "stopped taking estimates" in state.error
        assert state.closed_reason == state.error
        assert not state.can_submit
        assert state.price_text == "45"
        state.dispose()

    run(scenario)
