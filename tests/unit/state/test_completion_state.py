"""CompletionState (R9, R5) with FakeRepository: the amount, the sign-off, the refusal cases.

The signed total must be what the server charges: the job's price (signed change orders
included) plus a trip charge only if the customer accepted it before the trip.
"""

from __future__ import annotations

from typing import Any

import pytest

from proapp.domain import signing
from proapp.domain.commands import JobCompleteArgs, parse_command_args
from proapp.domain.enums import (
    JobStatus,
)
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import Job
from proapp.state.completion import (
    CompletionState,
    CompletionStep,
    completion_draft_key,
)
from proapp.state.ports import Route, ScreenContext
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_line,
    run,
)

STROKES = [[(5, 5), (40, 30), (80, 10)]]


class Harness:
    def __init__(self, *, status: JobStatus = JobStatus.IN_PROGRESS) -> None:
        self.repo = FakeRepository()
        self.nav = FakeNavigator()
        self.job = make_job(
            status=status,
            lines=[
                make_line("Install disposal", unit_price_cents=20_000),
                make_line("Drain kit", unit_price_cents=4_550, quantity=2),
            ],
        )
        self.repo.add_job(self.job)
        self.ctx = ScreenContext(self.repo, self.nav, lambda: FIXED_NOW)
        self.state = CompletionState(self.ctx, Route("complete", {"job_id": self.job.id}))

    def with_trip_charge(self, cents: int) -> Job:
        """The server says completing this job adds a billable trip charge (R5)."""
        self.job = self.job.model_copy(update={"trip_charge_cents": cents})
        self.repo.jobs_by_id[self.job.id] = self.job
        return self.job

    async def sign(self, summary: str = "Installed the disposal; tested for leaks.") -> bool:
        await self.state.load()
        await self.state.set_summary(summary)
        assert await self.state.hand_to_customer()
        self.state.set_signer_name("Alice Adams")
        self.state.set_strokes(STROKES)
        return await self.state.accept()


def server_content(args: JobCompleteArgs, job: Job, total_cents: int) -> dict[str, Any]:
    """What ``complete_job`` hashes, from the args after the outbox's JSON round trip."""
    wire = parse_command_args(args.command_name, args.model_dump(mode="json", round_trip=True))
    assert isinstance(wire, JobCompleteArgs)
    return signing.completion_signed_content(
        job_id=job.id, summary=wire.summary, total_cents=total_cents, line_items=job.line_items
    )


def test_sign_off_queues_a_completion_the_server_accepts() -> None:
    h = Harness()
    assert run(h.sign("  Installed the disposal; tested for leaks.  ")) is True
    [args] = h.repo.performed
    assert isinstance(args, JobCompleteArgs)
    assert args.summary == "Installed the disposal; tested for leaks."
    signing.ensure_signature_matches(args.signature, server_content(args, h.job, 29_100))
    # And it is bound to the amount: another total does not verify.
    with pytest.raises(DomainError) as caught:
        signing.ensure_signature_matches(args.signature, server_content(args, h.job, 29_000))
    assert caught.value.code == ErrorCode.SIGNATURE_MISMATCH
    assert "$291.00" in args.signature.consent_text
    assert h.nav.backs == 1 and "$291.00" in h.nav.notices[0]
    assert completion_draft_key(h.job.id) not in h.repo.drafts
    assert h.repo.jobs_by_id[h.job.id].status is JobStatus.COMPLETED


def test_amount_and_breakdown_show_what_the_marketplace_charges() -> None:
    h = Harness()
    run(h.state.load())
    assert h.state.amount_text == "$291.00"
    assert [(r.label, r.amount_text) for r in h.state.breakdown()] == [
        ("Install disposal", "$200.00"),
        ("2 × Drain kit", "$91.00"),
    ]


def test_an_accepted_trip_charge_is_part_of_the_signed_amount() -> None:
    h = Harness()
    h.with_trip_charge(5_000)
    assert run(h.sign()) is True
    assert h.state.trip_cents == 5_000
    [args] = h.repo.performed
    assert isinstance(args, JobCompleteArgs)
    signing.ensure_signature_matches(args.signature, server_content(args, h.job, 34_100))


def test_summary_is_required_and_autosaved() -> None:
    h = Harness()

    async def scenario() -> bool:
        await h.state.load()
        await h.state.set_summary("   ")
        return await h.state.hand_to_customer()

    assert run(scenario()) is False
    assert h.state.summary_error is not None
    assert h.repo.drafts[completion_draft_key(h.job.id)] == ("completion", {"summary": "   "})
    again = CompletionState(h.ctx, Route("complete", {"job_id": h.job.id}))
    h.repo.drafts[completion_draft_key(h.job.id)] = ("completion", {"summary": "Half done"})
    run(again.load())
    assert again.summary == "Half done"


def test_accept_is_refused_without_name_or_ink() -> None:
    h = Harness()

    async def scenario() -> bool:
        await h.state.load()
        await h.state.set_summary("Done")
        await h.state.hand_to_customer()
        h.state.set_strokes(STROKES)
        return await h.state.accept()

    assert run(scenario()) is False
    assert h.state.error is not None and "name" in h.state.error
    assert h.repo.performed == []


def test_amount_changing_while_signing_sends_the_phone_back() -> None:
    h = Harness()

    async def scenario() -> bool:
        await h.state.load()
        await h.state.set_summary("Done")
        await h.state.hand_to_customer()
        h.repo.jobs_by_id[h.job.id] = h.job.model_copy(update={"price_cents": 30_000})
        h.state.set_signer_name("Alice")
        h.state.set_strokes(STROKES)
        return await h.state.accept()

    assert run(scenario()) is False
    assert h.state.step == CompletionStep.EDIT
    assert h.state.error is not None and "changed" in h.state.error
    assert h.repo.performed == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (JobStatus.SCHEDULED, "Start the job first"),
        (JobStatus.COMPLETED, "already complete"),
        (JobStatus.CANCELLED, "cancelled"),
        (JobStatus.NOT_SERVICED, "not serviced"),
    ],
)
def test_only_in_progress_jobs_can_be_signed_off(status: JobStatus, words: str) -> None:
    h = Harness(status=status)
    run(h.state.load())
    assert h.state.step == CompletionStep.UNAVAILABLE
    assert words in h.state.unavailable_message
    assert run(h.state.hand_to_customer()) is False


def test_a_refusal_is_shown_and_nothing_navigates() -> None:
    h = Harness()
    h.repo.fail_next(DomainError(ErrorCode.JOB_CANCELLED, "The customer cancelled this job."))
    assert run(h.sign()) is False
    assert h.state.error == "The customer cancelled this job."
    assert h.nav.backs == 0 and not h.state.busy
