"""ChangeOrderState (R8) with FakeRepository: build, hand over, sign, queue.

The signature must verify against what the SERVER hashes: the content is rebuilt here
from the queued args (after the outbox's JSON round trip) and the job's lines as they
were, exactly like ``marketplace.commands.pro.create_change_order`` does.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from proapp.domain import signing
from proapp.domain.commands import ChangeOrderCreateArgs, parse_command_args
from proapp.domain.enums import JobStatus, LineItemKind
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import Job
from proapp.state.change_order import ChangeOrderState, Step, draft_key
from proapp.state.ports import Route, ScreenContext
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    run,
)

STROKES = [[(10.4, 20.6), (30, 40), (50, 45)], [(60, 60), (61, 62)]]


class Harness:
    def __init__(
        self, job: Job | None = None, *, status: JobStatus = JobStatus.IN_PROGRESS
    ) -> None:
        self.repo = FakeRepository()
        self.nav = FakeNavigator()
        self.job = job or make_job(
            status=status,
            lines=[
                make_line("Install disposal", unit_price_cents=20_000),
                make_line("Old trap", unit_price_cents=3_000, kind=LineItemKind.PART),
            ],
        )
        self.repo.add_job(self.job)
        self.ctx = ScreenContext(self.repo, self.nav, lambda: FIXED_NOW + timedelta(minutes=5))
        self.state = ChangeOrderState(self.ctx, Route("change_order", {"job_id": self.job.id}))
        self.renders = 0
        self.state.subscribe(self._render)

    def _render(self) -> None:
        self.renders += 1

    async def fill(self) -> None:
        s = self.state
        await s.load()
        await s.set_reason("  Corroded shut-off valve  ")
        await s.add_line()
        await s.set_line_field(0, "kind", "PART")
        await s.set_line_field(0, "description", "Shut-off valve")
        await s.set_line_field(0, "quantity", "2")
        await s.set_line_field(0, "price", "22.50")
        await s.set_removed(self.job.line_items[1].id, True)

    async def sign(self, name: str = "Alice Adams") -> bool:
        assert await self.state.hand_to_customer()
        self.state.set_signer_name(name)
        self.state.set_strokes(STROKES)
        return await self.state.accept()


def server_would_accept(args: ChangeOrderCreateArgs, job_before: Job) -> None:
    """Recompute what the server hashes, from the args as the outbox stores them."""
    wire = parse_command_args(args.command_name, args.model_dump(mode="json", round_trip=True))
    assert isinstance(wire, ChangeOrderCreateArgs)
    content = signing.change_order_signed_content(
        change_order_id=wire.change_order_id,
        job_id=job_before.id,
        reason=wire.reason,
        original_lines=job_before.line_items,
        added_lines=wire.added_lines,
        removed_line_ids=wire.removed_line_ids,
    )
    signing.ensure_signature_matches(wire.signature, content)


def test_full_flow_queues_a_change_order_the_server_accepts() -> None:
    h = Harness()

    async def scenario() -> bool:
        await h.fill()
        return await h.sign()

    assert run(scenario()) is True
    [args] = h.repo.performed
    assert isinstance(args, ChangeOrderCreateArgs)
    server_would_accept(args, h.job)
    assert args.reason == "Corroded shut-off valve"
    assert [
        (line.description, line.quantity, line.unit_price_cents) for line in args.added_lines
    ] == [("Shut-off valve", 2, 2_250)]
    assert args.removed_line_ids == [h.job.line_items[1].id]
    record = args.signature
    assert record.signer_name == "Alice Adams"
    assert record.pro_user_id == h.repo.user.id
    assert record.device_id == "fake-device-1"
    assert record.device_signed_at == FIXED_NOW + timedelta(minutes=5)
    assert record.strokes == [[(10, 21), (30, 40), (50, 45)], [(60, 60), (61, 62)]]
    assert record.png_sha256 in h.repo.blobs  # rendered from the same strokes
    assert "$245.00" in record.consent_text and "$230.00" in record.consent_text
    # Back to the job, told what happened, draft gone, new price applied locally.
    assert h.nav.backs == 1 and "$245.00" in h.nav.notices[0]
    assert draft_key(h.job.id) not in h.repo.drafts
    assert h.repo.jobs_by_id[h.job.id].price_cents == 24_500


def test_a_tampered_signature_is_what_the_server_refuses() -> None:
    """The check above can fail: the same args with a changed price do not verify."""
    h = Harness()

    async def scenario() -> bool:
        await h.fill()
        return await h.sign()

    run(scenario())
    [args] = h.repo.performed
    assert isinstance(args, ChangeOrderCreateArgs)
    line = args.added_lines[0].model_copy(update={"unit_price_cents": 22_500})
    forged = args.model_copy(update={"added_lines": [line]})
    with pytest.raises(DomainError) as caught:
        server_would_accept(forged, h.job)
    assert caught.value.code == ErrorCode.SIGNATURE_MISMATCH


def test_live_totals_follow_the_lines() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.state.load()
        assert (h.state.original_total_text, h.state.change_text) == ("$230.00", "$0.00")
        await h.state.add_line()
        await h.state.set_line_field(0, "quantity", "3")
        await h.state.set_line_field(0, "price", "10")
        assert h.state.line_total_text(0) == "$30.00"
        assert h.state.change_text == "+$30.00"
        assert h.state.new_total_text == "$260.00"
        await h.state.set_removed(h.job.line_items[0].id, True)
        assert h.state.change_text == "-$170.00"
        assert h.state.new_total_text == "$60.00"
        await h.state.set_line_field(0, "price", "ten")
        assert h.state.line_total_text(0) == ""
        assert h.state.totals_note  # says that a line is not counted

    run(scenario())


def test_handoff_validates_every_field_and_keeps_what_was_typed() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.state.load()
        assert await h.state.hand_to_customer() is False
        assert "reason" in h.state.errors and "lines" in h.state.errors
        await h.state.set_reason("More work")
        await h.state.add_line()
        await h.state.set_line_field(0, "quantity", "0")
        await h.state.set_line_field(0, "price", "12.345")
        assert await h.state.hand_to_customer() is False

    run(scenario())
    errors = h.state.errors
    assert set(errors) == {"line-0-description", "line-0-quantity", "line-0-price"}
    assert "two decimals" in errors["line-0-price"]
    assert h.state.step is Step.EDIT
    assert h.state.lines[0].price == "12.345"
    assert h.repo.performed == []


def test_accept_needs_a_name_and_ink() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.fill()
        assert await h.state.hand_to_customer()
        assert h.state.step is Step.SIGN
        assert not h.state.signing.can_accept
        assert await h.state.accept() is False
        assert h.state.error is not None and "name" in h.state.error
        h.state.set_signer_name("Alice")
        assert await h.state.accept() is False
        assert h.state.error is not None and "Sign" in h.state.error
        h.state.set_strokes(STROKES)
        assert h.state.signing.can_accept

    run(scenario())
    assert h.repo.performed == []


def test_hand_back_returns_to_the_form_and_forgets_the_ink() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.fill()
        await h.state.hand_to_customer()
        h.state.set_signer_name("Alice")
        h.state.set_strokes(STROKES)
        await h.state.hand_back()

    run(scenario())
    assert h.state.step is Step.EDIT
    assert h.state.signing.signer_name == "" and h.state.signing.strokes == []
    assert h.state.reason.strip() == "Corroded shut-off valve"


def test_draft_restores_the_form_and_reuses_the_change_order_id() -> None:
    h = Harness()
    run(h.fill())
    saved_id = h.state.change_order_id
    kind, data = h.repo.drafts[draft_key(h.job.id)]
    assert kind == "change_order" and data["lines"][0]["price"] == "22.50"
    again = ChangeOrderState(h.ctx, Route("change_order", {"job_id": h.job.id}))
    run(again.load())
    assert again.change_order_id == saved_id
    assert again.lines[0].description == "Shut-off valve"
    assert again.removed_ids == {h.job.line_items[1].id}


def test_a_refused_action_keeps_the_customer_on_the_panel_with_the_reason() -> None:
    h = Harness()
    h.repo.fail_next(DomainError(ErrorCode.JOB_CANCELLED, "The customer cancelled this job."))

    async def scenario() -> bool:
        await h.fill()
        return await h.sign()

    assert run(scenario()) is False
    assert h.state.error == "The customer cancelled this job."
    assert h.state.step is Step.SIGN and not h.state.busy
    assert h.nav.backs == 0
    assert draft_key(h.job.id) in h.repo.drafts


def test_job_lines_changing_while_signing_sends_the_phone_back() -> None:
    h = Harness()

    async def scenario() -> bool:
        await h.fill()
        assert await h.state.hand_to_customer()
        # A sync brings a new line from the office while the customer signs.
        job = h.repo.jobs_by_id[h.job.id]
        h.repo.jobs_by_id[h.job.id] = job.model_copy(
            update={"line_items": [*job.line_items, make_line("Office fee", unit_price_cents=500)]}
        )
        h.state.set_signer_name("Alice")
        h.state.set_strokes(STROKES)
        return await h.state.accept()

    assert run(scenario()) is False
    assert h.state.step is Step.EDIT
    assert h.state.error is not None and "changed" in h.state.error
    assert h.repo.performed == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (JobStatus.SCHEDULED, "Start the job first"),
        (JobStatus.CANCELLED, "cancelled"),
        (JobStatus.COMPLETED, "complete"),
    ],
)
def test_only_in_progress_jobs_take_change_orders(status: JobStatus, words: str) -> None:
    h = Harness(status=status)
    run(h.state.load())
    assert h.state.step is Step.UNAVAILABLE
    assert words in h.state.unavailable_message


def test_unknown_job() -> None:
    repo = FakeRepository()
    state = ChangeOrderState(
        ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW),
        Route("change_order", {"job_id": "7d7f6c5e-1111-4222-8333-444455556666"}),
    )
    run(state.load())
    assert state.step is Step.UNAVAILABLE and "not on this device" in state.unavailable_message


def test_photos_are_prepared_by_the_repository_and_bad_files_explained(tmp_path: Any) -> None:
    h = Harness()
    h.repo.photo_dir = tmp_path
    jpeg = b"\xff\xd8\xff\xe0 a photo"

    async def scenario() -> None:
        await h.state.load()
        await h.state.add_photos([jpeg, b"not an image"])

    run(scenario())
    assert len(h.state.photo_hashes) == 1
    assert h.state.photo_previews[h.state.photo_hashes[0]] == jpeg
    assert "not a photo" in h.state.errors["photos"]


def test_photos_travel_with_the_change_order() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.fill()
        await h.state.add_photos([b"\x89PNG one"])
        await h.sign()

    run(scenario())
    [args] = h.repo.performed
    assert isinstance(args, ChangeOrderCreateArgs)
    assert len(args.photo_hashes) == 1
    assert args.blob_hashes() == [*args.photo_hashes, args.signature.png_sha256]


def test_dispose_unsubscribes() -> None:
    h = Harness()
    run(h.state.load())
    assert h.repo.listener_count == 1
    h.state.dispose()
    assert h.repo.listener_count == 0


def test_a_sync_that_cancels_the_job_closes_the_form() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.fill()
        job = h.repo.jobs_by_id[h.job.id]
        h.repo.jobs_by_id[h.job.id] = job.model_copy(update={"status": JobStatus.CANCELLED})
        h.repo.notify()  # as after a pull
        await asyncio.sleep(0.01)  # the re-read runs as a task

    run(scenario())
    assert h.state.step is Step.UNAVAILABLE
    assert "cancelled" in h.state.unavailable_message


def test_a_sync_changing_the_lines_while_signing_returns_to_the_form() -> None:
    h = Harness()

    async def scenario() -> None:
        await h.fill()
        assert await h.state.hand_to_customer()
        job = h.repo.jobs_by_id[h.job.id]
        h.repo.jobs_by_id[h.job.id] = job.model_copy(update={"price_cents": 1})
        h.repo.notify()
        await asyncio.sleep(0.01)

    run(scenario())
    assert h.state.step is Step.EDIT
    assert h.state.error is not None and "changed" in h.state.error
