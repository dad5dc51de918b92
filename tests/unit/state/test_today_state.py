"""TodayState: the pro's appointments by day in the job's time zone (fake repository)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from proapp.domain.commands import JobStartArgs
from proapp.domain.enums import JobStatus, LineItemKind, Role
from proapp.domain.models import Job
from proapp.state.ports import Route, ScreenContext
from proapp.state.today import PAGE_SIZE, STRIP_DAYS, TodayState
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    make_user,
    run,
)

OTHER_TECH = "99999999-9999-4999-8999-999999999999"


def setup(repo: FakeRepository | None = None) -> tuple[TodayState, FakeRepository, FakeNavigator]:
    repo = repo or FakeRepository()
    nav = FakeNavigator()
    state = TodayState(ScreenContext(repo, nav, lambda: FIXED_NOW), Route("today"))
    return state, repo, nav


def scheduled(hours_from_now: float, **kwargs: object) -> Job:
    return make_job(
        status=JobStatus.SCHEDULED,
        window_start_in=timedelta(hours=hours_from_now),
        **kwargs,  # type: ignore[arg-type]
    )


def test_today_lists_todays_appointments_in_the_jobs_time_zone() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        # FIXED_NOW is 15:00 UTC = 7:00 AM in Los Angeles (PST, UTC-8).
        later = repo.add_job(scheduled(3, title="Later", customer_name="Bob Brown"))
        first = repo.add_job(scheduled(1, title="First", customer_name="Alice Adams"))
        repo.add_job(scheduled(26, title="Tomorrow's"))
        await state.load()
        assert state.loaded
        assert state.day == date(2026, 11, 26)
        assert state.day_title == "Today · Thu, Nov 26"
        assert [row.job_id for row in state.rows] == [first.id, later.id]
        row = state.rows[0]
        assert row.window_text == "8:00 AM – 10:00 AM PST"
        assert row.customer_name == "Alice Adams"
        assert row.address_text == "123 Main St, Seattle, WA 98101"
        assert row.status_text == "Scheduled"
        assert not row.cancelled
        assert "Alice Adams" in row.semantics_label

    run(scenario)


def test_day_boundaries_follow_the_jobs_time_zone() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        # 15:00 UTC + 10 h = 01:00 UTC Friday = 5:00 PM Thursday in Los Angeles,
        # but 8:00 PM Thursday in New York; + 13 h = 04:00 UTC = still Thursday in LA.
        la = repo.add_job(scheduled(13, title="LA evening"))
        ny = repo.add_job(scheduled(13, title="NY late", time_zone="America/New_York"))
        await state.load()
        # The home zone (most common) is LA, both jobs are Thursday in their own zones.
        assert {row.job_id for row in state.rows} == {la.id, ny.id}
        ny_row = next(row for row in state.rows if row.job_id == ny.id)
        assert ny_row.window_text == "11:00 PM – 1:00 AM EST"

    run(scenario)


def test_previous_and_next_day_move_the_list_and_the_strip() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        tomorrow = repo.add_job(scheduled(25, title="Tomorrow"))
        await state.load()
        assert state.rows == ()
        assert state.is_empty
        assert state.empty_text == "No appointments today."
        assert len(state.days) == STRIP_DAYS
        assert [chip.label for chip in state.days[:2]] == ["Today", "Tomorrow"]
        assert state.days[1].count == 1 and state.days[0].count == 0
        assert state.days[0].selected

        state.next_day()
        assert state.day == date(2026, 11, 27)
        assert state.day_title == "Tomorrow · Fri, Nov 27"
        assert [row.job_id for row in state.rows] == [tomorrow.id]
        assert state.days[1].selected and not state.days[0].selected

        state.previous_day()
        state.previous_day()
        assert state.day == date(2026, 11, 25)
        assert state.day_title == "Yesterday · Wed, Nov 25"
        # The strip shifts back so the chosen day stays visible.
        assert state.days[0].day == date(2026, 11, 25)
        assert state.days[0].selected

        state.go_to_today()
        assert state.day == date(2026, 11, 26)

    run(scenario)


def test_the_strip_follows_a_day_far_ahead() -> None:
    async def scenario() -> None:
        state, _, _ = setup()
        await state.load()
        state.select_day(date(2026, 12, 10))
        assert state.days[-1].day == date(2026, 12, 10)
        assert state.days[-1].selected
        assert state.days[-1].label == "Thu, Dec 10"

    run(scenario)


def test_jobs_waiting_for_a_window_come_first_with_their_deadline() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        late = repo.add_job(
            make_job(title="Late", confirmation_due_in=timedelta(hours=-2))  # R6 overdue
        )
        soon = repo.add_job(make_job(title="Soon", confirmation_due_in=timedelta(hours=5)))
        repo.add_job(scheduled(1))
        await state.load()
        assert [row.job_id for row in state.needs_window] == [late.id, soon.id]
        overdue, waiting = state.needs_window
        assert overdue.overdue and not waiting.overdue
        assert overdue.status_text == "Confirm a window"
        assert overdue.window_text == "Overdue: was due Thu Nov 26, 5:00 AM PST"
        assert waiting.window_text == "Confirm by Thu Nov 26, 12:00 PM PST"
        # They stay at the top whichever day is shown.
        state.next_day()
        assert len(state.needs_window) == 2
        assert not state.is_empty

    run(scenario)


def test_cancelled_jobs_are_marked_and_sink_to_the_bottom() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        early = scheduled(1, title="Cancelled early")
        # The server sends a cancelled job without its (cancelled) appointment.
        cancelled = repo.add_job(
            early.model_copy(update={"status": JobStatus.CANCELLED, "appointment": None})
        )
        live = repo.add_job(scheduled(4, title="Still on"))
        await state.load()
        assert [row.job_id for row in state.rows] == [live.id, cancelled.id]
        row = state.rows[1]
        assert row.cancelled
        assert row.status_text == "Cancelled by customer"
        assert row.maps_url is None  # nowhere to drive to
        assert row.window_text == "8:00 AM – 10:00 AM PST"
        # Day counts only live appointments.
        assert state.days[0].count == 1

    run(scenario)


def test_maps_link_is_a_url_encoded_google_maps_search() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        job = repo.add_job(scheduled(1))
        await state.load()
        url = state.rows[0].maps_url
        assert url is not None
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://www.google.com/maps/search/"
        )
        query = parse_qs(parts.query)
        assert query["api"] == ["1"]
        assert query["query"] == ["123 Main St, Seattle, WA 98101"]
        assert " " not in url and "," not in url
        assert job.address is not None

    run(scenario)


def test_parts_to_bring_are_the_part_lines() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        repo.add_job(
            scheduled(
                1,
                lines=[
                    make_line("Labor", kind=LineItemKind.LABOR),
                    make_line(
                        "Supply line", kind=LineItemKind.PART, quantity=2, unit_price_cents=900
                    ),
                    make_line("Trip fee", kind=LineItemKind.FEE),
                ],
            )
        )
        await state.load()
        assert state.rows[0].parts == ("2 × Supply line",)
        assert "Bring: 2 × Supply line" in state.rows[0].semantics_label

    run(scenario)


def test_a_technician_sees_only_their_own_jobs_staff_see_all() -> None:
    async def scenario() -> None:
        mine = scheduled(1, title="Mine")
        theirs = scheduled(2, title="Theirs", assigned_technician_ids=(OTHER_TECH,))
        state, repo, _ = setup()
        repo.add_job(mine)
        repo.add_job(theirs)
        await state.load()
        assert [row.job_id for row in state.rows] == [mine.id]

        staff = FakeRepository(make_user(role=Role.DISPATCHER, user_id=OTHER_TECH))
        staff.add_job(mine)
        staff.add_job(theirs)
        office, _, _ = setup(staff)
        await office.load()
        assert [row.job_id for row in office.rows] == [mine.id, theirs.id]

    run(scenario)


def test_tapping_a_job_opens_its_detail() -> None:
    async def scenario() -> None:
        state, repo, nav = setup()
        job = repo.add_job(scheduled(1))
        await state.load()
        state.open_job(job.id)
        assert nav.opened == [Route("job", {"job_id": job.id})]

    run(scenario)


def test_rereads_after_a_local_action_and_stops_after_dispose() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        job = repo.add_job(scheduled(1))
        await state.load()
        changes: list[str] = []
        state.subscribe(lambda: changes.append(state.rows[0].status_text))
        assert repo.listener_count == 1

        await repo.perform(JobStartArgs(job_id=job.id))
        await state.settle()
        assert state.rows[0].status_text == "In progress"
        assert state.rows[0].pending  # started on this phone, not yet synced
        assert changes == ["In progress"]

        state.dispose()
        assert repo.listener_count == 0

    run(scenario)


def test_long_lists_build_one_page_at_a_time_and_a_new_day_starts_over() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        waiting = [
            repo.add_job(make_job(title=f"Wait {i}", confirmation_due_in=timedelta(hours=i)))
            for i in range(5)
        ]
        # A busy day: more appointments than a page, 10 minutes apart from 8:00 AM PST.
        todays = [
            repo.add_job(scheduled(1 + i / 6, title=f"Visit {i:02d}")) for i in range(PAGE_SIZE + 3)
        ]
        repo.add_job(scheduled(25, title="Tomorrow"))
        await state.load()
        assert [row.job_id for row in state.needs_window] == [job.id for job in waiting]
        assert [row.job_id for row in state.rows] == [job.id for job in todays[: PAGE_SIZE - 5]]
        assert (state.needs_window_count, state.rows_count) == (5, PAGE_SIZE + 3)
        assert state.hidden_count == 8
        assert state.days[0].count == PAGE_SIZE + 3  # the strip counts them all
        assert not state.is_empty

        notified: list[int] = []
        state.subscribe(lambda: notified.append(1))
        assert state.show_more()
        assert [row.job_id for row in state.rows] == [job.id for job in todays]
        assert state.hidden_count == 0 and notified == [1]
        assert not state.show_more() and notified == [1]

        state.next_day()  # another list: its first page only
        assert state.limit == PAGE_SIZE
        assert [row.title for row in state.rows] == ["Tomorrow"]
        state.previous_day()
        assert len(state.rows) == PAGE_SIZE - 5

    run(scenario)
