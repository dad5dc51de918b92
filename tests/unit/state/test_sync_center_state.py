"""SyncCenterState: status lines, the queue in plain words, uploads, needs attention with
discard (confirmed) and edit & resubmit (fake repository)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from proapp.domain.commands import EstimateSubmitArgs, JobStartArgs, MessageSendArgs
from proapp.domain.enums import JobStatus, PartsSupplier
from proapp.state.ports import Route, ScreenContext
from proapp.state.sync_center import (
    SyncCenterState,
    describe_age,
    describe_ago,
    editable_fields,
    readable_args,
)
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import BlobProgress, SyncPhase, SyncStatus
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    make_request,
    run,
)

PHOTO = "ab" * 32


def setup() -> tuple[SyncCenterState, FakeRepository, FakeNavigator]:
    repo = FakeRepository(optimistic=False)
    nav = FakeNavigator()
    state = SyncCenterState(ScreenContext(repo, nav, lambda: FIXED_NOW), Route("sync"))
    return state, repo, nav


def estimate_args(request_id: str, *, price: int = 12_000) -> EstimateSubmitArgs:
    return EstimateSubmitArgs(
        estimate_id=str(uuid.uuid4()),
        request_id=request_id,
        line_items=[make_line("Replace cartridge", unit_price_cents=price, quantity=2)],
        parts_supplier=PartsSupplier.PRO,
        notes="Bring the 1/2 inch wrench",
        photo_hashes=[PHOTO],
    )


def test_status_lines_follow_the_engine() -> None:
    state, repo, _ = setup()
    repo.set_status(
        SyncStatus(
            connectivity=Connectivity.OFFLINE,
            pending=2,
            oldest_pending_age=timedelta(minutes=42),
            last_success_at=FIXED_NOW - timedelta(hours=3),
        )
    )
    assert not state.online
    assert state.status_text.startswith("Offline - your changes are saved on this phone")
    assert state.pending_text == "2 changes waiting to send; the oldest for 42 min."
    assert state.last_sync_text == "Last synced 3 h ago."

    repo.set_status(SyncStatus(connectivity=Connectivity.ONLINE, phase=SyncPhase.PUSHING))
    assert state.online and state.status_text == "Online - sending your changes…"
    assert state.pending_text == "Everything is sent."
    assert state.last_sync_text == "Not synced yet on this phone."


def test_queue_items_are_described_in_plain_words() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        request = repo.add_request(make_request(title="Leaking faucet"))
        job = repo.add_job(make_job(title="Disposal install", status=JobStatus.SCHEDULED))
        await repo.perform(estimate_args(request.id))
        await repo.perform(JobStartArgs(job_id=job.id))
        await repo.perform(
            MessageSendArgs(message_id=str(uuid.uuid4()), job_id=job.id, body="On my way")
        )
        await state.load()
        titles = [item.title for item in state.queue]
        assert titles == [
            "Estimate for “Leaking faucet”",
            "Start job “Disposal install”",
            "Message about “Disposal install”",
        ]
        assert all(item.state_text == "Waiting to send" for item in state.queue)
        assert state.attention == []
        assert not state.loading

    run(scenario())


def test_photo_uploads_show_queued_percent_and_done() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        request = repo.add_request(make_request())
        await repo.perform(estimate_args(request.id))
        await state.load()
        (item,) = state.queue
        assert [u.text for u in item.uploads] == ["Photo queued"]

        repo.status = SyncStatus(
            phase=SyncPhase.UPLOADING, uploads=(BlobProgress(PHOTO, 400, 1000),), pending=1
        )
        await state.load()
        (item,) = state.queue
        assert item.uploads[0].text == "Uploading photo 40%"
        assert item.uploads[0].fraction == 0.4
        assert item.state_text == "Waiting for photos to upload"

        repo.status = SyncStatus(uploads=(BlobProgress(PHOTO, 1000, 1000),), pending=1)
        await state.load()
        assert state.queue[0].uploads[0].done

    run(scenario())


def test_offline_queue_says_it_waits_for_a_connection() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED))
        await repo.perform(JobStartArgs(job_id=job.id))
        repo.status = SyncStatus(connectivity=Connectivity.OFFLINE, pending=1)
        await state.load()
        assert state.queue[0].state_text == "Waiting for a connection"

    run(scenario())


def test_refused_action_shows_the_reason_and_everything_entered() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        request = repo.add_request(make_request(title="Leaking faucet"))
        entry = await repo.perform(estimate_args(request.id))
        repo.reject(entry.mid, "estimate_window_closed", "The request closed to estimates.")
        await state.load()
        assert state.queue == []
        (item,) = state.attention
        assert item.mid == entry.mid
        assert item.title == "Estimate for “Leaking faucet”"
        assert item.reason == "The request closed to estimates."
        entered = dict(item.entered)
        assert entered["Line 1"] == "2 × Replace cartridge at $120.00"
        assert entered["Notes"] == "Bring the 1/2 inch wrench"
        assert entered["Parts supplied by"] == "Pro"
        assert entered["Photos"] == "1 attached"
        # Ids and hashes are not things the pro typed: left out.
        assert set(entered) == {
            "Line 1",
            "Parts supplied by",
            "Notes",
            "Photos",
            "Valid for (days)",
        }
        assert not item.signed

    run(scenario())


def test_discard_asks_first_and_cancel_keeps_it() -> None:
    async def scenario() -> None:
        state, repo, nav = setup()
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED))
        entry = await repo.perform(JobStartArgs(job_id=job.id))
        repo.reject(entry.mid, "job_cancelled", "The customer cancelled this job.")
        await state.load()

        state.ask_discard(entry.mid)
        assert state.confirming is not None and state.confirming.mid == entry.mid
        state.cancel_discard()
        assert state.confirming is None
        assert len(await repo.queue()) == 1

        state.ask_discard(entry.mid)
        await state.confirm_discard()
        assert await repo.queue() == []
        assert state.attention == []
        assert nav.notices[-1].startswith("Discarded: Start job")

    run(scenario())


def test_edit_and_resubmit_sends_the_edited_values() -> None:
    async def scenario() -> None:
        state, repo, nav = setup()
        request = repo.add_request(make_request())
        entry = await repo.perform(estimate_args(request.id, price=12_000))
        repo.reject(entry.mid, "invalid", "The price is too low for this service.")
        await state.load()

        state.start_edit(entry.mid)
        form = state.editing
        assert form is not None
        keys = {f.key: f for f in form.fields}
        price_key = "line-items-0-unit-price-cents"
        assert keys[price_key].kind == "money" and keys[price_key].text == "120.00"
        assert keys["notes"].kind == "multiline"
        assert not any("id" in k.split("-") for k in keys), "ids are not editable"

        state.set_field(price_key, "135.50")
        state.set_field("notes", "Bring the wrench and a new valve")
        assert await state.resubmit()
        assert state.editing is None
        sent = repo.performed[-1]
        assert isinstance(sent, EstimateSubmitArgs)
        assert sent.line_items[0].unit_price_cents == 13_550
        assert sent.notes == "Bring the wrench and a new valve"
        assert sent.photo_hashes == [PHOTO], "what was not edited is sent as it was"
        (queued,) = await repo.queue()
        assert queued.replaces_mid == entry.mid
        assert nav.notices[-1].startswith("Sent again")

    run(scenario())


def test_bad_input_in_the_edit_form_is_marked_and_kept() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        request = repo.add_request(make_request())
        entry = await repo.perform(estimate_args(request.id))
        repo.reject(entry.mid, "invalid", "Check the estimate.")
        await state.load()
        state.start_edit(entry.mid)
        state.set_field("line-items-0-unit-price-cents", "12.345")
        state.set_field("line-items-0-quantity", "two")
        assert not await state.resubmit()
        form = state.editing
        assert form is not None and form.error
        fields = {f.key: f for f in form.fields}
        assert fields["line-items-0-unit-price-cents"].error
        assert fields["line-items-0-quantity"].error
        assert fields["line-items-0-quantity"].text == "two", "typing is never lost"
        assert len(repo.performed) == 1, "nothing was sent"

        # The server-side validation (the same model) refuses, say, an empty description.
        state.set_field("line-items-0-unit-price-cents", "10")
        state.set_field("line-items-0-quantity", "1")
        state.set_field("line-items-0-description", "")
        assert not await state.resubmit()
        assert state.editing is not None and state.editing.error
        assert not state.editing.busy

    run(scenario())


def test_signed_actions_are_not_editable() -> None:
    args = {
        "job_id": str(uuid.uuid4()),
        "summary": "Installed",
        "signature": {"signer_name": "Alice", "strokes": [[[1, 2]]], "png_sha256": PHOTO},
    }
    rows = dict(readable_args(args))
    assert rows == {"Work summary": "Installed", "Signed by": "Alice"}
    assert {f.key for f in editable_fields(args)} == {"summary"}


def test_age_words() -> None:
    assert describe_age(None) == "—"
    assert describe_age(timedelta(seconds=5)) == "just now"
    assert describe_age(timedelta(minutes=5)) == "5 min"
    assert describe_age(timedelta(hours=2)) == "2 h"
    assert describe_age(timedelta(hours=2, minutes=3)) == "2 h 3 min"
    assert describe_age(timedelta(days=3, hours=1)) == "3 days"


def test_sync_now_asks_the_repository() -> None:
    state, repo, nav = setup()
    state.sync_now()
    assert repo.sync_now_calls == 1 and nav.notices


def test_changes_reload_the_queue_and_dispose_unsubscribes() -> None:
    async def scenario() -> None:
        state, repo, _ = setup()
        await state.load()
        job = repo.add_job(make_job(status=JobStatus.SCHEDULED))
        await repo.perform(JobStartArgs(job_id=job.id))  # notifies
        for _ in range(5):
            await asyncio.sleep(0)
        assert [i.title for i in state.queue] == [f"Start job “{job.title}”"]
        state.dispose()
        assert repo.listener_count == 0

    run(scenario())


def test_ages_read_as_plain_words() -> None:
    assert describe_ago(timedelta(seconds=20)) == "just now"
    assert describe_ago(timedelta(minutes=5)) == "5 min ago"
    assert describe_ago(timedelta(days=3, hours=1)) == "3 days ago"
    assert describe_ago(None) == "—"
