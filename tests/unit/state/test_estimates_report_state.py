"""EstimatesReportState: counts by status, conversion and revenue per technician and
per service, as chart bars (integer cents and per-mille only)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proapp.domain.enums import EstimateStatus
from proapp.state.estimates_report import EstimatesReportState
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from tests.support.fake_office import (
    MARCO_ID,
    TESS_ID,
    FakeOfficeRepository,
    async_test,
    make_estimate,
    make_member,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, make_line, make_request


def _seed() -> FakeOfficeRepository:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    faucet = repo.add_request(make_request(title="Faucet repair"))
    deck = repo.add_request(make_request(title="Deck stain"))
    faucet2 = repo.add_request(make_request(title="faucet repair "))  # same service

    def est(
        request_id: str, tech: str, status: EstimateStatus, cents: int, days_ago: int = 1
    ) -> None:
        repo.add_estimate(
            make_estimate(
                request_id,
                technician_id=tech,
                status=status,
                lines=[make_line(unit_price_cents=cents)],
                submitted_at=FIXED_NOW - timedelta(days=days_ago),
            )
        )

    est(faucet.id, TESS_ID, EstimateStatus.ACCEPTED, 30_000)
    est(faucet2.id, TESS_ID, EstimateStatus.DECLINED, 25_000)
    est(deck.id, TESS_ID, EstimateStatus.SUBMITTED, 80_000)
    est(deck.id, MARCO_ID, EstimateStatus.ACCEPTED, 90_000)
    est(deck.id, MARCO_ID, EstimateStatus.EXPIRED, 10_000)
    est(deck.id, MARCO_ID, EstimateStatus.WITHDRAWN, 5_000)
    est(deck.id, MARCO_ID, EstimateStatus.ACCEPTED, 70_000, days_ago=200)  # outside 90 days
    repo.add_estimate(make_estimate(deck.id, status=EstimateStatus.DRAFT))  # never counted
    return repo


async def _state(repo: FakeOfficeRepository, **params: str) -> EstimatesReportState:
    state = EstimatesReportState(
        OfficeContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("estimates", params)
    )
    await state.load()
    return state


@async_test
async def test_counts_conversion_and_revenue_over_the_period() -> None:
    state = await _state(_seed())
    assert state.days == 90
    assert {c.label: c.count for c in state.status_counts} == {
        "Sent, awaiting customer": 1,
        "Accepted": 2,
        "Declined": 1,
        "Expired": 1,
        "Withdrawn": 1,
    }
    assert (state.sent, state.accepted) == (5, 2)  # withdrawn is not "sent"
    assert state.conversion_text == "40%" and state.revenue_text == "$1,200.00"

    (tess,) = (g for g in state.by_technician if g.key == TESS_ID)
    (marco,) = (g for g in state.by_technician if g.key == MARCO_ID)
    assert (tess.label, tess.sent, tess.accepted, tess.revenue_text) == (
        "Tess Rivera",
        3,
        1,
        "$300.00",
    )
    assert (marco.sent, marco.accepted, marco.conversion_text) == (2, 1, "50%")
    assert tess.conversion_text == "33%"  # rounded down

    services = {g.label: (g.sent, g.accepted, g.revenue_cents) for g in state.by_service}
    assert services == {"Faucet repair": (2, 1, 30_000), "Deck stain": (3, 1, 90_000)}


@async_test
async def test_bars_are_ready_for_a_chart() -> None:
    state = await _state(_seed())
    assert [(b.label, b.value_text, b.length_permille) for b in state.revenue_by_technician] == [
        ("Marco Chen", "$900.00", 1000),
        ("Tess Rivera", "$300.00", 333),
    ]
    assert [(b.label, b.value_text, b.length_permille) for b in state.conversion_by_technician] == [
        ("Marco Chen", "50%", 1000),
        ("Tess Rivera", "33%", 666),
    ]
    assert [b.label for b in state.revenue_by_service] == ["Deck stain", "Faucet repair"]


@async_test
async def test_a_longer_period_includes_older_estimates() -> None:
    state = await _state(_seed())
    await state.set_period(365)
    assert state.revenue_text == "$1,900.00"
    with pytest.raises(ValueError):
        await state.set_period(7)


@async_test
async def test_an_empty_period_shows_zeros() -> None:
    state = await _state(FakeOfficeRepository(), days="30")
    assert (state.sent, state.conversion_text, state.revenue_text) == (0, "0%", "$0.00")
    assert state.by_technician == () and state.revenue_by_service == ()
