"""InboxState: requests with live R2 countdowns, orders waiting for a window (R6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from proapp.domain.enums import EstimateStatus, JobStatus, PartsSupplier, RequestStatus
from proapp.domain.models import CustomRequest, Estimate, new_id
from proapp.state.inbox import (
    PAGE_SIZE,
    Empty,
    Failed,
    InboxIndex,
    InboxState,
    OrderRow,
    Ready,
    RequestRow,
)
from proapp.state.ports import JobRecord, RequestRecord, Route, ScreenContext
from tests.support.fake_repo import (
    DEMO_BUSINESS_ID,
    FIXED_NOW,
    FakeClock,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    make_request,
    run,
)


def setup(
    clock: FakeClock | None = None,
) -> tuple[InboxState, FakeRepository, FakeNavigator, FakeClock]:
    clock = clock or FakeClock()
    repo = FakeRepository(clock=clock)
    nav = FakeNavigator()
    state = InboxState(ScreenContext(repo, nav, clock), Route("inbox"))
    return state, repo, nav, clock


def sent_estimate(request: CustomRequest, status: EstimateStatus) -> Estimate:
    return Estimate(
        id=new_id(),
        request_id=request.id,
        business_id=DEMO_BUSINESS_ID,
        line_items=[make_line("Labor")],
        parts_supplier=PartsSupplier.PRO,
        status=status,
        submitted_at=FIXED_NOW - timedelta(hours=1),
    )


def ready(state: InboxState) -> Ready:
    assert isinstance(state.view, Ready), state.view
    return state.view


def test_overdue_first_then_soonest_deadline_across_requests_and_orders() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        later = repo.add_request(make_request(title="Later", estimate_due_in=timedelta(hours=20)))
        soon = repo.add_request(make_request(title="Soon", estimate_due_in=timedelta(hours=2)))
        late = repo.add_request(
            make_request(title="Late request", estimate_due_in=timedelta(hours=-1))
        )
        order_soon = repo.add_job(
            make_job(title="Order in 5 h", confirmation_due_in=timedelta(hours=5))
        )
        order_late = repo.add_job(
            make_job(title="Very late order", confirmation_due_in=timedelta(hours=-3))
        )
        # Not waiting for a window: scheduled jobs stay out of the inbox.
        repo.add_job(make_job(title="Scheduled", status=JobStatus.SCHEDULED))
        # Booked or closed on the server: not in the inbox at all.
        repo.add_request(make_request(title="Booked", status=RequestStatus.BOOKED))
        await state.load()
        ids = [
            row.request_id if isinstance(row, RequestRow) else row.job_id
            for row in ready(state).rows
        ]
        assert ids == [order_late.id, late.id, soon.id, order_soon.id, later.id]
        assert ready(state).overdue_count == 2
        assert ready(state).answered == ()
        state.dispose()

    run(scenario)


def test_request_row_shows_both_r2_countdowns_in_plain_words() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        repo.add_request(
            make_request(
                estimate_due_in=timedelta(hours=5, minutes=20),
                closes_in=timedelta(days=2, hours=4),
            )
        )
        await state.load()
        (row,) = ready(state).rows
        assert isinstance(row, RequestRow)
        assert row.status_text == "New"
        assert row.due_text == "Estimate due in 5 h 20 min"
        assert row.closes_text == "Closes to estimates in 2 d 4 h"
        assert row.place.startswith("In home · ")
        assert not row.overdue and not row.pending
        state.dispose()

    run(scenario)


def test_overdue_request_says_by_how_much() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        repo.add_request(make_request(estimate_due_in=-timedelta(hours=2, minutes=5)))
        await state.load()
        (row,) = ready(state).rows
        assert isinstance(row, RequestRow)
        assert row.overdue
        assert row.status_text == "Estimate overdue"
        assert row.due_text == "Estimate overdue by 2 h 5 min"
        state.dispose()

    run(scenario)


def test_order_row_shows_the_r6_deadline_and_windows() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        job = repo.add_job(make_job(confirmation_due_in=timedelta(hours=3)))
        await state.load()
        (row,) = ready(state).rows
        assert isinstance(row, OrderRow)
        assert row.job_id == job.id
        assert row.kind_text == "Packaged order"
        assert row.due_text == "Confirm a window in 3 h"
        # FIXED_NOW is 15:00 UTC = 7:00 AM PST; the deadline is 3 h later.
        assert row.deadline_text == "By Thu Nov 26, 10:00 AM PST"
        assert row.windows_text == "Customer offered 3 windows"
        assert row.price_text == "$120.00"
        state.dispose()

    run(scenario)


def test_answered_and_closed_requests_are_listed_after_as_such() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        answered = make_request(title="Answered")
        repo.add_request(answered, estimates=[sent_estimate(answered, EstimateStatus.SUBMITTED)])
        withdrawn = make_request(title="Withdrawn only")
        repo.add_request(withdrawn, estimates=[sent_estimate(withdrawn, EstimateStatus.WITHDRAWN)])
        closed = repo.add_request(
            make_request(
                title="Closed",
                submitted_ago=timedelta(days=4),
                estimate_due_in=-timedelta(days=3),
                closes_in=-timedelta(hours=1),
            )
        )
        await state.load()
        view = ready(state)
        # A withdrawn estimate does not answer the request: it still needs the pro.
        assert [r.request_id for r in view.rows if isinstance(r, RequestRow)] == [withdrawn.id]
        by_id = {row.request_id: row for row in view.answered}
        assert by_id[answered.id].answered
        assert by_id[answered.id].status_text == "Estimate sent"
        assert by_id[closed.id].closed and not by_id[closed.id].overdue
        assert by_id[closed.id].closes_text.startswith("Closed to estimates ")
        state.dispose()

    run(scenario)


def test_rows_with_unsent_changes_carry_the_pending_marker() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        request = repo.add_request(make_request())
        job = repo.add_job(make_job())
        repo.pending_ids.update({request.id, job.id})
        await state.load()
        assert all(row.pending for row in ready(state).rows)
        assert "Not synced yet" in ready(state).rows[0].label
        state.dispose()

    run(scenario)


def test_empty_inbox() -> None:
    async def scenario() -> None:
        state, _, _, _ = setup()
        await state.load()
        assert isinstance(state.view, Empty)
        assert "Nothing waiting" in state.view.message
        state.dispose()

    run(scenario)


def test_tick_recomputes_countdowns_and_notifies_only_on_change() -> None:
    async def scenario() -> None:
        state, repo, _, clock = setup()
        repo.add_request(
            make_request(
                estimate_due_in=timedelta(minutes=90, seconds=30),
                closes_in=timedelta(days=2, minutes=30, seconds=30),
            )
        )
        await state.load()
        calls: list[int] = []
        state.subscribe(lambda: calls.append(1))
        clock.now += timedelta(seconds=20)  # same minute count after rounding down
        state.tick()
        assert calls == []
        clock.now += timedelta(minutes=40)
        state.tick()
        assert calls == [1]
        row = ready(state).rows[0]
        assert isinstance(row, RequestRow)
        assert row.due_text == "Estimate due in 50 min"
        clock.now += timedelta(minutes=52)  # now past due: flips to overdue
        state.tick()
        row = ready(state).rows[0]
        assert isinstance(row, RequestRow)
        assert row.overdue and row.due_text == "Estimate overdue by 1 min"
        state.dispose()

    run(scenario)


def test_the_ticker_runs_by_itself_and_dispose_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InboxState, "TICK_SECONDS", 0.01)

    async def scenario() -> None:
        state, repo, _, clock = setup()
        repo.add_request(make_request(estimate_due_in=timedelta(hours=2)))
        await state.load()
        assert state.ticking
        assert repo.listener_count == 1
        clock.now += timedelta(hours=1)
        await asyncio.sleep(0.05)
        row = ready(state).rows[0]
        assert isinstance(row, RequestRow)
        assert row.due_text == "Estimate due in 1 h"
        state.dispose()
        assert not state.ticking
        assert repo.listener_count == 0
        before = state.view
        clock.now += timedelta(hours=1)
        await asyncio.sleep(0.05)
        assert state.view is before  # no tick after dispose

    run(scenario)


def test_repository_changes_are_read_again() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        await state.load()
        assert isinstance(state.view, Empty)
        request = repo.add_request(make_request(title="Arrived by sync"))
        repo.notify()
        repo.notify()  # a burst: read once or twice, never fail
        for _ in range(5):
            await asyncio.sleep(0)
        row = ready(state).rows[0]
        assert isinstance(row, RequestRow) and row.request_id == request.id
        state.dispose()

    run(scenario)


def test_tapping_rows_opens_request_and_windows() -> None:
    state, repo, nav, _ = setup()
    state.open_request("r-1")
    state.open_order("j-1")
    assert nav.opened == [
        Route("request", {"request_id": "r-1"}),
        Route("windows", {"job_id": "j-1"}),
    ]
    state.refresh()
    assert repo.sync_now_calls == 1


def test_a_store_that_cannot_be_read_shows_failed() -> None:
    class BrokenRepository(FakeRepository):
        async def requests(self) -> list[RequestRecord]:
            raise OSError("disk gone")

    async def scenario() -> None:
        clock = FakeClock()
        repo = BrokenRepository(clock=clock)
        state = InboxState(ScreenContext(repo, FakeNavigator(), clock), Route("inbox"))
        await state.load()
        assert isinstance(state.view, Failed)
        assert "could not be read" in state.view.message
        state.dispose()

    run(scenario)


def test_only_the_first_page_is_formatted_and_show_more_adds_the_next() -> None:
    async def scenario() -> None:
        state, repo, _, _ = setup()
        total = PAGE_SIZE + 5
        for i in range(total):
            # Due one hour apart, the first three already overdue.
            repo.add_request(
                make_request(title=f"Request {i:03d}", estimate_due_in=timedelta(hours=i - 3))
            )
        answered = make_request(title="Answered")
        repo.add_request(answered, estimates=[sent_estimate(answered, EstimateStatus.SUBMITTED)])
        await state.load()
        first = ready(state)
        assert len(first.rows) == PAGE_SIZE and first.answered == ()
        assert [row.title for row in first.rows] == [f"Request {i:03d}" for i in range(PAGE_SIZE)]
        # Counts are of everything, not of the page.
        assert first.waiting_count == total
        assert first.overdue_count == 3
        assert first.answered_count == 1
        assert first.hidden_count == 6

        assert state.show_more()
        second = ready(state)
        assert [row.title for row in second.rows] == [f"Request {i:03d}" for i in range(total)]
        assert [row.request_id for row in second.answered] == [answered.id]
        assert second.hidden_count == 0
        assert not state.show_more()  # nothing left: nothing changes
        assert state.view is second
        state.dispose()

    run(scenario)


def test_a_request_that_closes_moves_to_the_answered_list_on_a_tick() -> None:
    async def scenario() -> None:
        state, repo, _, clock = setup()
        closing = repo.add_request(
            make_request(
                title="Closing soon",
                estimate_due_in=-timedelta(hours=30),
                closes_in=timedelta(minutes=10),
            )
        )
        await state.load()
        assert [row.request_id for row in ready(state).rows if isinstance(row, RequestRow)] == [
            closing.id
        ]
        assert ready(state).overdue_count == 1
        clock.now += timedelta(minutes=11)
        state.tick()
        view = ready(state)
        assert view.rows == () and view.overdue_count == 0
        (row,) = view.answered
        assert row.request_id == closing.id and row.closed
        state.dispose()

    run(scenario)


def test_the_index_keeps_only_what_the_inbox_lists() -> None:
    # A business's scheduled jobs never reach the inbox: the index holds none of them.
    order = make_job(title="Order", confirmation_due_in=timedelta(hours=2))
    scheduled = make_job(title="Scheduled", status=JobStatus.SCHEDULED)
    index = InboxIndex([], [JobRecord(order), JobRecord(scheduled)])
    cut = index.cut(FIXED_NOW)
    assert cut.waiting_count == 1 and cut.overdue_count == 0
    rows, answered = cut.rows()
    assert [row.job_id for row in rows if isinstance(row, OrderRow)] == [order.id]
    assert answered == ()
    assert cut.rows(0) == ((), ())
