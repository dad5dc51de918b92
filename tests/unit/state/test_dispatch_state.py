"""DispatchState: lanes per technician, blocks at arrival windows in the business's zone,
overlaps, the unassigned list, optimistic assignment and the keyboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from proapp.domain.commands import JobAssignArgs
from proapp.domain.enums import JobStatus, Role
from proapp.domain.errors import DomainError, ErrorCode
from proapp.state.dispatch import BoardMode, DispatchState, overlapping_ids
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from tests.support.fake_office import (
    DISPATCHER_ID,
    MARCO_ID,
    PRIYA_ID,
    TESS_ID,
    FakeOfficeRepository,
    async_test,
    make_member,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, make_job

# FIXED_NOW is Thu Nov 26 2026, 7:00 AM in Los Angeles (the fake business's zone).
TODAY = date(2026, 11, 26)


def _repo() -> FakeOfficeRepository:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    repo.add_member(make_member(PRIYA_ID, "Priya Patel"))
    repo.add_member(make_member(DISPATCHER_ID, "Dana Dispatch", Role.DISPATCHER))
    return repo


def _scheduled(
    repo: FakeOfficeRepository,
    hours_from_now: float,
    *techs: str,
    hours: int = 2,
    title: str = "Job",
    day: int = 0,
) -> str:
    job = make_job(
        title=title,
        status=JobStatus.SCHEDULED,
        assigned_technician_ids=list(techs),
        window_start_in=timedelta(days=day, hours=hours_from_now),
        window_hours=hours,
    )
    repo.add_job(job)
    return job.id


async def _state(repo: FakeOfficeRepository, **params: str) -> tuple[DispatchState, FakeNavigator]:
    nav = FakeNavigator()
    state = DispatchState(OfficeContext(repo, nav, lambda: FIXED_NOW), Route("dispatch", params))
    await state.load()
    return state, nav


@async_test
async def test_lanes_are_technicians_by_name_with_blocks_at_local_window_times() -> None:
    repo = _repo()
    nine = _scheduled(repo, 2, TESS_ID, title="Faucet")  # 9:00-11:00 AM PST
    both = _scheduled(repo, 6, TESS_ID, MARCO_ID, title="Water heater")  # 1:00-3:00 PM
    _scheduled(repo, 2, MARCO_ID, day=1)  # tomorrow: not on today's board

    state, _ = await _state(repo)

    assert state.day == TODAY and state.period_title == "Today · Thu, Nov 26"
    assert [lane.name for lane in state.lanes] == ["Marco Chen", "Priya Patel", "Tess Rivera"]
    assert [lane.shortcut for lane in state.lanes] == ["1", "2", "3"]  # dispatcher: no lane
    marco, priya, tess = state.lanes
    assert [b.job_id for b in tess.blocks] == [nine, both]
    assert [b.job_id for b in marco.blocks] == [both]  # a shared job sits in both lanes
    assert priya.blocks == ()
    block = tess.blocks[0]
    assert (block.start_minute, block.end_minute, block.day_index) == (9 * 60, 11 * 60, 0)
    assert block.time_text == "9:00 AM – 11:00 AM PST"
    assert block.title == "Faucet" and not block.overlaps
    assert state.hours == (7, 19)


@async_test
async def test_overlapping_appointments_of_one_technician_are_flagged() -> None:
    repo = _repo()
    first = _scheduled(repo, 2, TESS_ID)  # 9-11
    clash = _scheduled(repo, 3, TESS_ID)  # 10-12: overlaps the first
    after = _scheduled(repo, 5, TESS_ID)  # 12-2: touches the second, no overlap
    marco = _scheduled(repo, 2, MARCO_ID)  # same time, another technician: fine

    state, _ = await _state(repo)
    tess = next(lane for lane in state.lanes if lane.technician_id == TESS_ID)
    flags = {b.job_id: b.overlaps for b in tess.blocks}
    assert flags == {first: True, clash: True, after: False}
    assert tess.overlap_count == 2
    assert (
        not next(lane for lane in state.lanes if lane.technician_id == MARCO_ID).blocks[0].overlaps
    )
    assert marco


def test_overlap_detection_handles_nested_and_touching_spans() -> None:
    t = FIXED_NOW
    spans = [
        (t, t + timedelta(hours=8), "long"),
        (t + timedelta(hours=1), t + timedelta(hours=2), "inside"),
        (t + timedelta(hours=8), t + timedelta(hours=9), "touching"),
    ]
    assert overlapping_ids(spans) == {"long", "inside"}


@async_test
async def test_unassigned_list_shows_open_jobs_nobody_has_with_the_r6_deadline() -> None:
    repo = _repo()
    late = make_job(
        title="Late", assigned_technician_ids=[], confirmation_due_in=timedelta(hours=-1)
    )
    fresh = make_job(title="Fresh", assigned_technician_ids=[])
    repo.add_job(late)
    repo.add_job(fresh)
    repo.add_job(make_job(title="Mine"))  # assigned to Tess
    repo.add_job(make_job(title="Done", status=JobStatus.COMPLETED, assigned_technician_ids=[]))

    state, _ = await _state(repo)
    rows = {r.title: r for r in state.unassigned}
    assert set(rows) == {"Late", "Fresh"}
    assert rows["Late"].overdue and not rows["Fresh"].overdue
    assert rows["Fresh"].when_text.startswith("Confirm a window by Fri Nov 27")


@async_test
async def test_switching_days_and_weeks_reads_only_that_period() -> None:
    repo = _repo()
    tomorrow = _scheduled(repo, 2, TESS_ID, day=1)
    state, _ = await _state(repo)
    start, end = repo.board_reads[-1]
    assert end - start == timedelta(days=1)
    assert start.isoformat() == "2026-11-26T08:00:00+00:00"  # local midnight, PST

    await state.next_period()
    assert state.day == date(2026, 11, 27) and state.period_title == "Tomorrow · Fri, Nov 27"
    assert [b.job_id for lane in state.lanes for b in lane.blocks] == [tomorrow]

    await state.set_mode(BoardMode.WEEK)
    start, end = repo.board_reads[-1]
    assert (start.date(), (end - start).days) == (date(2026, 11, 23), 7)  # Monday..Sunday
    assert state.days[0] == date(2026, 11, 23) and len(state.days) == 7
    block = next(b for lane in state.lanes for b in lane.blocks)
    assert block.day_index == 4  # Friday
    await state.previous_period()
    assert state.days[0] == date(2026, 11, 16)
    await state.show_today()
    assert state.day == TODAY


@async_test
async def test_assigning_moves_the_block_at_once_and_queues_job_assign() -> None:
    repo = _repo()
    job = _scheduled(repo, 2, TESS_ID)
    state, nav = await _state(repo)

    assert await state.move(job, TESS_ID, MARCO_ID)
    assert repo.performed == [JobAssignArgs(job_id=job, technician_ids=[MARCO_ID])]
    await state.settle()
    lanes = {lane.technician_id: [b.job_id for b in lane.blocks] for lane in state.lanes}
    assert lanes[MARCO_ID] == [job] and lanes[TESS_ID] == []
    assert nav.notices[-1].startswith("Assigned to Marco Chen.")


@async_test
async def test_a_refused_assignment_puts_the_block_back_and_says_why() -> None:
    repo = _repo()
    job = _scheduled(repo, 2, TESS_ID)
    state, nav = await _state(repo)
    seen: list[list[str]] = []
    state.subscribe(
        lambda: seen.append(
            [lane.technician_id for lane in state.lanes for b in lane.blocks if b.job_id == job]
        )
    )
    repo.fail_next(DomainError(ErrorCode.FORBIDDEN, "Only office staff can assign technicians."))

    assert not await state.move(job, TESS_ID, PRIYA_ID)
    assert seen[0] == [PRIYA_ID]  # moved optimistically first
    assert seen[-1] == [TESS_ID]  # and back
    assert nav.notices == ["Only office staff can assign technicians."]
    assert repo.performed == []


@async_test
async def test_keyboard_selects_blocks_and_assigns_with_number_keys() -> None:
    repo = _repo()
    a = _scheduled(repo, 2, TESS_ID)
    b = _scheduled(repo, 5, TESS_ID)
    m = _scheduled(repo, 4, MARCO_ID)
    loose = repo.add_job(make_job(title="Loose", assigned_technician_ids=[])).id
    state, nav = await _state(repo)

    assert await state.handle_key("Arrow Right")  # nothing selected: first block
    assert state.selected_job_id == m  # Marco's lane comes first
    assert await state.handle_key("J")  # next lane with blocks, nearest in time
    assert state.selected_job_id == b  # 12:00 is nearer 11:00 than 9:00 is
    assert await state.handle_key("H")
    assert state.selected_job_id == a
    assert [blk.selected for lane in state.lanes for blk in lane.blocks].count(True) == 1

    assert await state.handle_key("Enter")
    assert nav.last == Route("job", {"job_id": a})

    assert await state.handle_key("2")  # lane 2 is Priya: move Tess's job to her
    assert repo.performed[-1] == JobAssignArgs(job_id=a, technician_ids=[PRIYA_ID])

    assert await state.handle_key("U")
    assert state.selected_job_id == loose
    assert await state.handle_key("3")  # unassigned: assign to lane 3 (Tess)
    assert repo.performed[-1] == JobAssignArgs(job_id=loose, technician_ids=[TESS_ID])
    await state.settle()
    assert loose not in {r.job_id for r in state.unassigned}

    assert await state.handle_key("Escape") and state.selected_job_id is None
    assert not await state.handle_key("Q")


@async_test
async def test_a_technician_who_left_keeps_a_lane_while_holding_work() -> None:
    repo = _repo()
    repo.add_member(make_member("e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091", "Old Hand", active=False))
    job = _scheduled(repo, 2, "e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091")
    state, _ = await _state(repo)
    last = state.lanes[-1]
    assert (last.name, last.active, [b.job_id for b in last.blocks]) == ("Old Hand", False, [job])


@async_test
async def test_dispose_stops_following_the_repository() -> None:
    repo = _repo()
    state, _ = await _state(repo)
    assert repo.listener_count == 1
    state.dispose()
    assert repo.listener_count == 0


@pytest.mark.parametrize("key", ["]", "[", "T", "W", "D"])
@async_test
async def test_period_keys_are_handled(key: str) -> None:
    state, _ = await _state(_repo())
    assert await state.handle_key(key)


@async_test
async def test_route_params_choose_the_day_and_the_week_view() -> None:
    repo = _repo()
    state, _ = await _state(repo, day="2026-12-02", mode="week")
    assert state.mode is BoardMode.WEEK and state.days[0] == date(2026, 11, 30)
    state, _ = await _state(repo, day="not-a-day", mode="month")
    assert (state.mode, state.day) == (BoardMode.DAY, TODAY)
