"""WindowsState: confirm a preferred window, propose one (R6), reschedule (R7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proapp.domain.commands import (
    AppointmentRescheduleArgs,
    WindowConfirmArgs,
    WindowProposeArgs,
)
from proapp.domain.enums import JobStatus, RescheduleReasonCode
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import Job, TimeWindow
from proapp.state.ports import Route, ScreenContext
from proapp.state.windows import AGENDA_SHOWN, WindowsMode, WindowsState, time_choices
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, FakeRepository, make_job, run


def setup(job: Job, *others: Job) -> tuple[WindowsState, FakeRepository, FakeNavigator]:
    repo = FakeRepository()
    repo.add_job(job)
    for other in others:
        repo.add_job(other)
    nav = FakeNavigator()
    state = WindowsState(
        ScreenContext(repo, nav, lambda: FIXED_NOW), Route("windows", {"job_id": job.id})
    )
    return state, repo, nav


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_confirm_mode_lists_the_three_windows_with_the_deadline() -> None:
    async def scenario() -> None:
        # Windows start tomorrow 8:00 AM PST (16:00 UTC), one a day, 2 hours long.
        job = make_job(window_start_in=timedelta(hours=25))
        state, _, _ = setup(job)
        await state.load()
        assert state.mode is WindowsMode.CONFIRM
        assert state.zone_text == "Times in PST (America/Los_Angeles)"
        assert [(o.day_text, o.time_text) for o in state.options] == [
            ("Tomorrow", "8:00 AM – 10:00 AM PST"),
            ("Sat, Nov 28", "8:00 AM – 10:00 AM PST"),
            ("Sun, Nov 29", "8:00 AM – 10:00 AM PST"),
        ]
        assert state.deadline_text.startswith("Confirm a window by Fri Nov 27, 7:00 AM PST")
        assert not state.deadline_overdue

    run(scenario)


def test_each_window_shows_that_days_appointments_and_flags_overlaps() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))  # tomorrow 8-10 AM PST
        clash = make_job(
            title="Ceiling fan",
            customer_name="Bob Brown",
            status=JobStatus.SCHEDULED,
            window_start_in=timedelta(hours=26),  # tomorrow 9-11 AM PST: overlaps
        )
        same_day = make_job(
            title="Thermostat",
            status=JobStatus.SCHEDULED,
            window_start_in=timedelta(hours=30),  # tomorrow 1-3 PM: same day, no overlap
        )
        cancelled = make_job(
            title="Cancelled one", status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=25)
        ).model_copy(update={"status": JobStatus.CANCELLED})
        state, _, _ = setup(job, clash, same_day, cancelled)
        await state.load()
        tomorrow = state.options[0]
        assert [item.text for item in tomorrow.agenda] == [
            "9:00 AM – 11:00 AM PST · Ceiling fan (Bob Brown)",
            "1:00 PM – 3:00 PM PST · Thermostat (Alice Adams)",
        ]
        assert [item.overlaps for item in tomorrow.agenda] == [True, False]
        assert tomorrow.has_overlap
        assert "Overlaps 1" in tomorrow.summary
        # The other days have only the clash job's own later preferred windows, which
        # are not appointments: nothing.
        assert state.options[1].agenda == ()

    run(scenario)


def test_confirm_a_window_queues_the_command_and_goes_back() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))
        state, repo, nav = setup(job)
        repo.set_status(SyncStatus(connectivity=Connectivity.OFFLINE))
        await state.load()
        chosen = job.preferred_windows[1].id
        await state.confirm(chosen)
        assert repo.performed == [WindowConfirmArgs(job_id=job.id, preferred_window_id=chosen)]
        assert nav.backs == 1
        assert nav.notices == [
            "Window confirmed: Sat, Nov 28, 8:00 AM – 10:00 AM PST. "
            "Saved on this phone; it will sync when you are online."
        ]

    run(scenario)


def test_a_window_that_already_started_cannot_be_confirmed() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=-1))
        state, repo, nav = setup(job)
        await state.load()
        assert state.options[0].started
        await state.confirm(job.preferred_windows[0].id)
        assert repo.performed == [] and nav.backs == 0
        assert state.error is not None and "already started" in state.error

    run(scenario)


def test_confirm_refused_keeps_the_screen_and_shows_why() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))
        state, repo, nav = setup(job)
        await state.load()
        repo.fail_next(DomainError(ErrorCode.JOB_CANCELLED, "The job was cancelled."))
        await state.confirm(job.preferred_windows[0].id)
        assert state.error == "The job was cancelled."
        assert nav.backs == 0 and nav.notices == []
        assert not state.busy

    run(scenario)


def test_propose_builds_the_window_in_the_jobs_time_zone() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))
        state, repo, nav = setup(job)
        await state.load()
        assert state.proposed_date == "2026-11-27"  # tomorrow by default
        state.set_date("2026-11-30")
        state.set_start("13:30")
        state.set_end("15:00")
        state.set_propose_note("Earliest I can do")
        await state.propose()
        # 1:30 PM PST on Nov 30 is 21:30 UTC.
        assert repo.performed == [
            WindowProposeArgs(
                job_id=job.id,
                window=TimeWindow(start=utc(30, 21, 30), end=utc(30, 23, 0)),
                note="Earliest I can do",
            )
        ]
        assert nav.backs == 1
        assert nav.notices[0].startswith("New window set: Mon, Nov 30, 1:30 PM – 3:00 PM PST.")

    run(scenario)


def test_propose_checks_end_after_start_and_future_and_keeps_inputs() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))
        state, repo, _ = setup(job)
        await state.load()
        state.set_date("2026-11-28")
        state.set_start("10:00")
        state.set_end("09:00")
        await state.propose()
        assert state.end_error == "Must be after the start."
        assert state.error is not None and "end after it starts" in state.error
        assert (state.proposed_start, state.proposed_end) == ("10:00", "09:00")

        state.set_date("2026-11-26")  # today; 6:00 AM is before 7:00 AM "now" in LA
        state.set_start("06:00")
        state.set_end("08:00")
        await state.propose()
        assert state.start_error == "Already past."
        assert state.error is not None and "already started" in state.error

        state.set_date(None)
        await state.propose()
        assert state.date_error == "Pick a day."
        assert repo.performed == []

    run(scenario)


def test_choosing_a_start_after_the_end_moves_the_end() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job())
        await state.load()
        state.set_start("09:00")
        state.set_end("11:00")
        state.set_start("14:00")
        assert state.proposed_end == "16:00"
        state.set_start("21:30")  # two hours later would be past the last slot
        assert state.proposed_end is None

    run(scenario)


def test_proposed_window_shows_the_days_appointments() -> None:
    async def scenario() -> None:
        job = make_job()
        busy = make_job(
            title="Fan", status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=26)
        )  # Fri Nov 27, 9-11 AM PST
        state, _, _ = setup(job, busy)
        await state.load()
        state.set_date("2026-11-27")
        state.set_start("10:00")
        state.set_end("12:00")
        assert [item.overlaps for item in state.proposed_agenda] == [True]
        assert state.proposed_overlaps
        state.set_start("11:00")
        assert not state.proposed_overlaps

    run(scenario)


def test_time_choices_are_half_hours_from_6_am_to_10_pm() -> None:
    choices = time_choices()
    assert choices[0].key == "06:00" and choices[0].label == "6:00 AM"
    assert choices[-1].key == "22:00" and choices[-1].label == "10:00 PM"
    assert len(choices) == 33
    assert any(c.label == "12:30 PM" for c in choices)


def reschedulable() -> Job:
    return make_job(status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=25))


def test_a_scheduled_job_opens_in_reschedule_mode() -> None:
    async def scenario() -> None:
        state, _, _ = setup(reschedulable())
        await state.load()
        assert state.mode is WindowsMode.RESCHEDULE
        assert state.current_window_text == "Tomorrow, 8:00 AM – 10:00 AM PST"
        assert state.title == "Reschedule"

    run(scenario)


def test_reschedule_needs_a_reason_and_a_note_for_other() -> None:
    async def scenario() -> None:
        job = reschedulable()
        state, repo, nav = setup(job)
        await state.load()
        state.set_date("2026-11-28")
        state.set_start("13:00")
        state.set_end("15:00")
        await state.reschedule()
        assert state.reason_error == "Pick a reason."
        state.set_reason(RescheduleReasonCode.OTHER.value)
        assert state.note_required
        await state.reschedule()
        assert state.note_error is not None  # R7: OTHER needs a note
        assert repo.performed == [] and nav.backs == 0

        state.set_note("Van broke down")
        await state.reschedule()
        assert repo.performed == [
            AppointmentRescheduleArgs(
                job_id=job.id,
                window=TimeWindow(start=utc(28, 21), end=utc(28, 23)),
                reason_code=RescheduleReasonCode.OTHER,
                note="Van broke down",
            )
        ]
        assert nav.backs == 1
        assert nav.notices[0].startswith("Appointment moved to Sat, Nov 28, 1:00 PM – 3:00 PM PST")

    run(scenario)


def test_reschedule_to_the_same_window_is_refused() -> None:
    async def scenario() -> None:
        state, repo, _ = setup(reschedulable())
        await state.load()
        state.set_date("2026-11-27")
        state.set_start("08:00")
        state.set_end("10:00")
        state.set_reason(RescheduleReasonCode.WEATHER.value)
        await state.reschedule()
        assert state.error is not None and "current window" in state.error
        assert repo.performed == []

    run(scenario)


def test_a_cancelled_job_cannot_be_scheduled() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job(status=JobStatus.CANCELLED))
        await state.load()
        assert state.mode is WindowsMode.CLOSED
        assert "cancelled" in state.closed_text

    run(scenario)


def test_follows_the_repository_until_disposed() -> None:
    async def scenario() -> None:
        job = make_job()
        state, repo, _ = setup(job)
        await state.load()
        repo.jobs_by_id[job.id] = job.model_copy(update={"status": JobStatus.CANCELLED})
        repo.notify()
        await state.settle()
        assert state.mode is WindowsMode.CLOSED
        state.dispose()
        assert repo.listener_count == 0

    run(scenario)


def test_reschedule_starts_from_the_current_window() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED, window_start_in=timedelta(hours=49))
        state, _, _ = setup(job)
        await state.load()
        # Sat Nov 28, 16:00-18:00 UTC = 8:00-10:00 AM PST.
        assert (state.proposed_date, state.proposed_start, state.proposed_end) == (
            "2026-11-28",
            "08:00",
            "10:00",
        )
        state.set_start("09:00")
        await state.load()  # a re-read (e.g. after a sync) keeps what the pro chose
        assert state.proposed_start == "09:00"

    run(scenario)


def test_a_crowded_day_lists_every_clash_first_and_counts_the_rest() -> None:
    async def scenario() -> None:
        job = make_job(window_start_in=timedelta(hours=25))  # tomorrow 8-10 AM PST
        # Tomorrow: two appointments overlapping 8-10 AM, then one every half hour after.
        clashes = [
            make_job(title=f"Clash {i}", status=JobStatus.SCHEDULED,
                     window_start_in=timedelta(hours=25, minutes=30 * i))
            for i in (2, 3)
        ]  # fmt: skip
        others = [
            make_job(title=f"Later {i:02d}", status=JobStatus.SCHEDULED,
                     window_start_in=timedelta(hours=27, minutes=30 * i), window_hours=1)
            for i in range(AGENDA_SHOWN + 2)
        ]  # fmt: skip
        # Sorted by time the clashes would come after the first "Later" ones; put one
        # earlier "Later" job in so the cap must pick the clashes on purpose.
        early = make_job(title="Early", status=JobStatus.SCHEDULED,
                         window_start_in=timedelta(hours=23), window_hours=1)  # fmt: skip
        state, _, _ = setup(job, *clashes, *others, early)
        await state.load()
        tomorrow = state.options[0]
        total = len(clashes) + len(others) + 1
        assert len(tomorrow.agenda) == AGENDA_SHOWN
        assert tomorrow.hidden_count == total - AGENDA_SHOWN
        assert tomorrow.overlap_count == 2 and tomorrow.has_overlap
        titles = [item.text.split(" · ")[1].split(" (")[0] for item in tomorrow.agenda]
        assert titles[:3] == ["Early", "Clash 2", "Clash 3"]  # still in time order
        assert [item.overlaps for item in tomorrow.agenda].count(True) == 2
        assert f"You have {total} other" not in tomorrow.summary  # a clash says so instead
        assert "Overlaps 2 of your appointments" in tomorrow.summary
        # The proposal's agenda is capped the same way.
        state.set_date(tomorrow_key(state))
        assert len(state.proposed_agenda) == AGENDA_SHOWN
        assert state.proposed_agenda_hidden == total - AGENDA_SHOWN

    run(scenario)


def tomorrow_key(state: WindowsState) -> str:
    return state.date_choices[1].key
