"""PipelineState: open requests and orders waiting for a window, with R2/R6 deadline
state, sorting, filter chips, search and paging."""

from __future__ import annotations

from datetime import timedelta

from proapp.domain.enums import JobStatus
from proapp.state.office_ports import OfficeContext
from proapp.state.pipeline import DeadlineState, PipelineFilter, PipelineState, SortColumn
from proapp.state.ports import Route
from tests.support.fake_office import (
    MARCO_ID,
    TESS_ID,
    FakeOfficeRepository,
    async_test,
    make_estimate,
    make_member,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, make_job, make_line, make_request


def _repo() -> FakeOfficeRepository:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    return repo


async def _state(
    repo: FakeOfficeRepository,
    page_size: int = 50,
) -> tuple[PipelineState, FakeNavigator]:
    nav = FakeNavigator()
    state = PipelineState(
        OfficeContext(repo, nav, lambda: FIXED_NOW), Route("pipeline"), page_size=page_size
    )
    await state.load()
    return state, nav


def _seed(repo: FakeOfficeRepository) -> dict[str, str]:
    """One item per deadline state (FIXED_NOW: Thu Nov 26, 7:00 AM Los Angeles)."""
    late = repo.add_request(
        make_request(title="Leaking roof", estimate_due_in=timedelta(hours=-1)).model_copy(
            update={"customer_name": "Carmen Diaz"}
        )
    )
    fresh = repo.add_request(
        make_request(title="Deck stain", estimate_due_in=timedelta(hours=5))
    )  # due today
    answered = repo.add_request(make_request(title="Fence repair"))
    repo.add_estimate(
        make_estimate(
            answered.id, technician_id=MARCO_ID, lines=[make_line(unit_price_cents=45_000)]
        )
    )
    closed = repo.add_request(
        make_request(
            title="Shed door",
            submitted_ago=timedelta(days=4),
            estimate_due_in=timedelta(days=-3),
            closes_in=timedelta(hours=-1),
        )
    )
    order = repo.add_job(
        make_job(
            title="Disposal install",
            customer_name="Bob Martinez",
            assigned_technician_ids=[],
            confirmation_due_in=timedelta(hours=-2),
        )
    )
    booked = repo.add_job(
        make_job(
            title="Toilet swap", customer_name="Alice Adams", confirmation_due_in=timedelta(days=1)
        )
    )
    repo.add_job(make_job(title="Already scheduled", status=JobStatus.SCHEDULED))
    return {
        "late": late.id,
        "fresh": fresh.id,
        "answered": answered.id,
        "closed": closed.id,
        "order": order.id,
        "booked": booked.id,
    }


@async_test
async def test_rows_carry_deadline_state_owner_and_value() -> None:
    repo = _repo()
    ids = _seed(repo)
    state, _ = await _state(repo)

    rows = {r.item_id: r for r in state.page_rows}
    assert set(rows) == set(ids.values())  # the scheduled job is not in the pipeline
    late, fresh, answered = rows[ids["late"]], rows[ids["fresh"]], rows[ids["answered"]]
    assert (late.deadline, late.overdue) == (DeadlineState.ESTIMATE_DUE, True)
    assert (fresh.deadline, fresh.overdue, fresh.due_today) == (
        DeadlineState.ESTIMATE_DUE,
        False,
        True,
    )
    assert answered.deadline is DeadlineState.CLOSES_TO_ESTIMATES and not answered.overdue
    assert (answered.owner_text, answered.value_text) == ("Marco Chen", "$450.00")
    assert late.owner_text == "Not answered" and late.value_text == "No estimate yet"
    closed = rows[ids["closed"]]
    assert closed.deadline is DeadlineState.CLOSED_TO_ESTIMATES and closed.overdue
    order = rows[ids["order"]]
    assert (order.deadline, order.overdue, order.kind_text) == (
        DeadlineState.WINDOW_CONFIRMATION_DUE,
        True,
        "Packaged order",
    )
    assert (order.owner_text, order.customer) == ("Unassigned", "Bob Martinez")
    assert rows[ids["booked"]].owner_text == "Tess Rivera"
    assert late.due_text == "Thu Nov 26, 6:00 AM PST"
    assert late.route == Route("request", {"request_id": ids["late"]})
    assert order.route == Route("windows", {"job_id": ids["order"]})
    # Default order: soonest deadline first.
    first = [r.item_id for r in state.page_rows][:3]
    assert first[0] == ids["order"] and set(first[1:]) == {ids["closed"], ids["late"]}


@async_test
async def test_filter_chips_count_and_filter() -> None:
    repo = _repo()
    ids = _seed(repo)
    state, _ = await _state(repo)
    assert state.counts == {
        PipelineFilter.ALL: 6,
        PipelineFilter.OVERDUE: 3,
        PipelineFilter.DUE_TODAY: 1,
        PipelineFilter.ESTIMATE_DUE: 2,
        PipelineFilter.WINDOW_CONFIRMATION_DUE: 2,
    }
    state.set_filter(PipelineFilter.OVERDUE)
    assert {r.item_id for r in state.page_rows} == {ids["late"], ids["closed"], ids["order"]}
    state.set_filter(PipelineFilter.DUE_TODAY)
    assert [r.item_id for r in state.page_rows] == [ids["fresh"]]
    state.set_filter(PipelineFilter.WINDOW_CONFIRMATION_DUE)
    assert {r.item_id for r in state.page_rows} == {ids["order"], ids["booked"]}


@async_test
async def test_search_matches_customer_address_and_text_and_sorting_flips() -> None:
    repo = _repo()
    ids = _seed(repo)
    state, _ = await _state(repo)
    state.set_query("bob")
    assert [r.item_id for r in state.page_rows] == [ids["order"]]
    state.set_query("carmen")  # a custom request, by its customer
    assert [(r.item_id, r.customer) for r in state.page_rows] == [(ids["late"], "Carmen Diaz")]
    state.set_query("  ROOF ")
    assert [r.item_id for r in state.page_rows] == [ids["late"]]
    state.set_query("main seattle")  # every word, anywhere in the address
    assert len(state.page_rows) == 6
    state.set_query("drips")  # the request's description
    assert len(state.page_rows) == 4  # the fake requests all drip
    state.set_query("")

    state.sort_by(SortColumn.TITLE)
    titles = [r.title for r in state.page_rows]
    assert titles == sorted(titles, key=str.casefold)
    state.sort_by(SortColumn.TITLE)
    assert [r.title for r in state.page_rows] == titles[::-1]
    state.sort_by(SortColumn.VALUE)
    assert state.page_rows[0].value_text == "No estimate yet"


@async_test
async def test_pages_and_keyboard_selection_cross_pages() -> None:
    repo = _repo()
    for n in range(7):
        repo.add_job(make_job(title=f"Order {n}", confirmation_due_in=timedelta(hours=n + 1)))
    state, nav = await _state(repo, page_size=3)
    assert (state.paging.page_count, state.paging.text) == (3, "1–3 of 7")
    assert [r.title for r in state.page_rows] == ["Order 0", "Order 1", "Order 2"]
    state.next_page()
    assert state.paging.text == "4–6 of 7"
    state.go_to_page(99)
    assert [r.title for r in state.page_rows] == ["Order 6"]
    state.go_to_page(0)

    for _ in range(4):
        assert state.handle_key("Arrow Down")
    assert state.paging.page == 1 and [r.selected for r in state.page_rows] == [True, False, False]
    assert state.handle_key("K")
    assert state.paging.page == 0 and state.page_rows[-1].selected
    assert state.handle_key("Enter")
    assert nav.last is not None and nav.last.screen == "windows"
    assert state.handle_key("2") and state.filter is PipelineFilter.OVERDUE
    assert not state.handle_key("X")


@async_test
async def test_a_new_order_appears_after_a_sync() -> None:
    repo = _repo()
    state, _ = await _state(repo)
    assert state.total == 0
    repo.add_job(make_job(title="New order"))
    repo.notify()
    await state.settle()
    assert [r.title for r in state.page_rows] == ["New order"]
    state.dispose()
    assert repo.listener_count == 0
