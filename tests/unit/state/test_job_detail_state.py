"""JobDetailState: what a job shows and which actions its status offers (fake repository)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from proapp.domain.commands import JobReportDefectiveArgs, JobStartArgs
from proapp.domain.enums import JobStatus, LineItemKind
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import ChangeOrder, Job, SignatureRecord
from proapp.state.job_detail import (
    JobAction,
    JobDetailState,
    JobMissing,
    JobReady,
    defective_draft_key,
)
from proapp.state.ports import PhotoRecord, Route, ScreenContext
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    run,
)

JPEG = b"\xff\xd8\xff\xe0 fake jpeg bytes"


def setup(job: Job) -> tuple[JobDetailState, FakeRepository, FakeNavigator]:
    repo = FakeRepository()
    repo.add_job(job)
    nav = FakeNavigator()
    state = JobDetailState(
        ScreenContext(repo, nav, lambda: FIXED_NOW), Route("job", {"job_id": job.id})
    )
    return state, repo, nav


def ready(state: JobDetailState) -> JobReady:
    assert isinstance(state.view, JobReady), state.view
    return state.view


def test_shows_scope_lines_total_customer_and_window() -> None:
    async def scenario() -> None:
        job = make_job(
            status=JobStatus.SCHEDULED,
            window_start_in=timedelta(hours=1),
            lines=[
                make_line("Install", unit_price_cents=12_000),
                make_line("Supply line", kind=LineItemKind.PART, quantity=2, unit_price_cents=950),
            ],
        )
        state, _, _ = setup(job)
        await state.load()
        view = ready(state)
        assert state.title == "Garbage disposal install"
        assert view.status_text == "Scheduled"
        assert view.scope == "Remove the old unit and install the new one."
        assert view.whats_included == ("Disposal unit", "Haul-away")
        assert [(line.description, line.quantity_text, line.total_text) for line in view.lines] == [
            ("Install", "1 × $120.00", "$120.00"),
            ("Supply line", "2 × $9.50", "$19.00"),
        ]
        assert view.total_text == "$139.00"
        assert view.parts == ("2 × Supply line",)
        assert view.customer_name == "Alice Adams"
        assert view.address_text == "123 Main St, Seattle, WA 98101"
        assert view.maps_url is not None and "123+Main+St" in view.maps_url
        assert view.window_text == "Today, 8:00 AM – 10:00 AM PST"
        assert not view.cancelled and not view.pending

    run(scenario)


def test_phone_only_when_the_customer_shared_it() -> None:
    async def scenario() -> None:
        hidden, _, _ = setup(make_job())
        await hidden.load()
        assert ready(hidden).phone_url is None
        assert ready(hidden).phone_text == "Phone not shared: use Messages"  # R10

        shared, _, _ = setup(make_job(customer_phone="+1 206 555 0101"))
        await shared.load()
        assert ready(shared).phone_text == "+1 206 555 0101"
        assert ready(shared).phone_url == "tel:+12065550101"

    run(scenario)


def test_actions_follow_the_status() -> None:
    async def scenario() -> None:
        expected = {
            JobStatus.PENDING_SCHEDULE: (JobAction.WINDOWS, JobAction.MESSAGES),
            JobStatus.SCHEDULED: (
                JobAction.RESCHEDULE,
                JobAction.START,
                JobAction.MESSAGES,
                JobAction.DEFECTIVE,
            ),
            JobStatus.IN_PROGRESS: (
                JobAction.CHANGE_ORDER,
                JobAction.COMPLETE,
                JobAction.MESSAGES,
                JobAction.DEFECTIVE,
            ),
            JobStatus.COMPLETED: (JobAction.MESSAGES,),
            JobStatus.NOT_SERVICED: (JobAction.MESSAGES,),
            JobStatus.CANCELLED: (),
        }
        for status, actions in expected.items():
            state, _, _ = setup(make_job(status=status))
            await state.load()
            assert ready(state).actions == actions, status

    run(scenario)


def test_a_cancelled_job_shows_the_banner_text() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job(status=JobStatus.CANCELLED))
        await state.load()
        view = ready(state)
        assert view.cancelled
        assert view.status_text == "Cancelled by customer"
        assert "cancelled" in view.cancelled_text

    run(scenario)


def test_pending_schedule_shows_the_confirmation_deadline() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job(confirmation_due_in=timedelta(hours=-1)))
        await state.load()
        view = ready(state)
        assert view.window_overdue
        assert view.window_text == "No window yet. Confirmation was due Thu Nov 26, 6:00 AM PST"

    run(scenario)


def test_missing_job() -> None:
    async def scenario() -> None:
        repo = FakeRepository()
        state = JobDetailState(
            ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW),
            Route("job", {"job_id": str(uuid.uuid4())}),
        )
        await state.load()
        assert isinstance(state.view, JobMissing)

    run(scenario)


def test_navigation_actions_open_the_right_routes() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, _, nav = setup(job)
        await state.load()
        state.open_windows()
        state.open_reschedule()
        state.open_change_order()
        state.open_complete()
        state.open_messages()
        state.open_photo("ab" * 32)
        ids = {"job_id": job.id}
        assert nav.opened == [
            Route("windows", ids),
            Route("windows", {**ids, "mode": "reschedule"}),
            Route("change_order", ids),
            Route("complete", ids),
            Route("thread", ids),
            Route("photo", {"blob_hash": "ab" * 32}),
        ]

    run(scenario)


def test_start_queues_the_command_and_says_it_will_sync() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, repo, nav = setup(job)
        repo.set_status(SyncStatus(connectivity=Connectivity.OFFLINE))
        await state.load()
        await state.start()
        assert repo.performed == [JobStartArgs(job_id=job.id)]
        assert nav.notices == [
            "Job started. Saved on this phone; it will sync when you are online."
        ]
        view = ready(state)
        assert view.status is JobStatus.IN_PROGRESS
        assert view.pending
        assert JobAction.CHANGE_ORDER in view.actions
        assert state.error is None and not state.busy

    run(scenario)


def test_start_online_says_sending() -> None:
    async def scenario() -> None:
        state, repo, nav = setup(make_job(status=JobStatus.SCHEDULED))
        repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE))
        await state.load()
        await state.start()
        assert nav.notices == ["Job started. Sending it now."]

    run(scenario)


def test_start_refused_shows_the_reason() -> None:
    async def scenario() -> None:
        state, repo, nav = setup(make_job(status=JobStatus.SCHEDULED))
        await state.load()
        repo.fail_next(DomainError(ErrorCode.JOB_CANCELLED, "The job was cancelled."))
        await state.start()
        assert state.error == "The job was cancelled."
        assert nav.notices == [] and repo.performed == []

    run(scenario)


def test_defective_needs_a_note_and_keeps_inputs_on_refusal() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, repo, _ = setup(job)
        await state.load()
        await state.open_defective()
        assert state.defective_open
        await state.submit_defective()
        assert state.defective_error is not None and "required" in state.defective_error
        assert repo.performed == []

        state.set_defective_note("  Faucet body cracked out of the box  ")
        await state.add_defective_photo(JPEG)
        assert len(state.defective_photos) == 1
        repo.fail_next(DomainError(ErrorCode.JOB_CANCELLED, "The job was cancelled."))
        await state.submit_defective()
        assert state.defective_error == "The job was cancelled."
        assert state.defective_open
        assert state.defective_note == "  Faucet body cracked out of the box  "
        assert len(state.defective_photos) == 1

    run(scenario)


def test_defective_report_ends_the_job_without_trip_charge() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, repo, nav = setup(job)
        await state.load()
        await state.open_defective()
        state.set_defective_note("Faucet body cracked")
        await state.add_defective_photo(JPEG)
        photo_hash = state.defective_photos[0]
        await state.submit_defective()
        assert repo.performed == [
            JobReportDefectiveArgs(
                job_id=job.id, note="Faucet body cracked", photo_hashes=[photo_hash]
            )
        ]
        assert not state.defective_open
        assert state.defective_note == "" and state.defective_photos == []
        assert "No trip charge" in nav.notices[0]
        assert ready(state).status is JobStatus.NOT_SERVICED
        assert ready(state).actions == (JobAction.MESSAGES,)
        assert defective_draft_key(job.id) not in repo.drafts

    run(scenario)


def test_defective_rejects_a_file_that_is_not_a_photo() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job(status=JobStatus.IN_PROGRESS))
        await state.load()
        await state.open_defective()
        await state.add_defective_photo(b"not an image")
        assert state.defective_photos == []
        assert state.defective_error is not None and "JPEG or PNG" in state.defective_error

    run(scenario)


def test_defective_draft_survives_closing_the_dialog() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, repo, nav = setup(job)
        await state.load()
        await state.open_defective()
        state.set_defective_note("Motor seized")
        await state.close_defective()
        assert not state.defective_open
        assert repo.drafts[defective_draft_key(job.id)][1]["note"] == "Motor seized"

        again = JobDetailState(
            ScreenContext(repo, nav, lambda: FIXED_NOW), Route("job", {"job_id": job.id})
        )
        await again.load()
        await again.open_defective()
        assert again.defective_note == "Motor seized"

    run(scenario)


def test_photos_are_listed_with_their_bytes(tmp_path: Path) -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.IN_PROGRESS)
        repo = FakeRepository(photo_dir=tmp_path)
        repo.add_job(job)
        on_device = repo.add_blob(JPEG)
        missing = "cd" * 32
        repo.add_job(
            job,
            photos=[
                PhotoRecord(str(uuid.uuid4()), "job", job.id, on_device, "Before"),
                PhotoRecord(str(uuid.uuid4()), "job", job.id, missing, "", pending=True),
            ],
        )
        state = JobDetailState(
            ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW),
            Route("job", {"job_id": job.id}),
        )
        await state.load()
        photos = {photo.blob_hash: photo for photo in ready(state).photos}
        assert photos[on_device].data == JPEG
        assert photos[on_device].caption == "Before"
        assert photos[missing].data is None and photos[missing].pending
        assert ready(state).pending  # a photo waits to sync

    run(scenario)


def test_follows_repository_changes_until_disposed() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.SCHEDULED)
        state, repo, _ = setup(job)
        await state.load()
        repo.jobs_by_id[job.id] = job.model_copy(
            update={"status": JobStatus.CANCELLED, "appointment": None}
        )
        repo.notify()  # a sync pulled the customer's cancellation
        await state.settle()
        assert ready(state).cancelled
        assert ready(state).actions == ()
        state.dispose()
        assert repo.listener_count == 0

    run(scenario)


def test_a_cancelled_job_has_no_window_to_confirm() -> None:
    async def scenario() -> None:
        state, _, _ = setup(make_job(status=JobStatus.CANCELLED))
        await state.load()
        assert ready(state).window_text == "No appointment: the customer cancelled."
        assert not ready(state).window_overdue

    run(scenario)


def test_change_orders_show_delta_and_totals() -> None:
    async def scenario() -> None:
        job = make_job(status=JobStatus.IN_PROGRESS)
        signature = SignatureRecord(
            signer_name="Alice Adams",
            strokes=[[(1, 1), (5, 5)]],
            png_sha256="ab" * 32,
            device_signed_at=FIXED_NOW,
            consent_text="I agree to the new price.",
            pro_user_id=job.assigned_technician_ids[0],
            device_id="fake-device-1",
            content_sha256="cd" * 32,
        )
        order = ChangeOrder(
            id=str(uuid.uuid4()),
            job_id=job.id,
            reason="Shut-off valve corroded",
            added_lines=[make_line("Valve", kind=LineItemKind.PART, unit_price_cents=4_500)],
            original_total_cents=12_000,
            new_total_cents=16_500,
            signature=signature,
            created_at=FIXED_NOW,
        )
        repo = FakeRepository()
        repo.add_job(job, change_orders=[order])
        state = JobDetailState(
            ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW),
            Route("job", {"job_id": job.id}),
        )
        await state.load()
        (row,) = ready(state).change_orders
        assert row.reason == "Shut-off valve corroded"
        assert row.delta_text == "+$45.00"
        assert row.totals_text == "$120.00 → $165.00"
        assert row.status_text == "Signed by customer"
        assert row.when_text == "Thu Nov 26, 7:00 AM PST"

    run(scenario)
