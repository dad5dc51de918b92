"""The state-test fake: satisfies the port (see `_conforms`, checked by mypy), seeds and
reads back, and applies the same optimistic effects as the real repository."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from proapp.domain.commands import JobStartArgs, MessageSendArgs, WindowConfirmArgs
from proapp.domain.enums import JobStatus, MessageAuthorRole
from proapp.domain.errors import DomainError
from proapp.domain.models import Message
from proapp.state.ports import ProRepository, Route
from proapp.sync.outbox import MutationState
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import (
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_request,
    make_user,
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def as_port(repo: ProRepository) -> ProRepository:
    return repo


def test_seeded_data_reads_back() -> None:
    repo = FakeRepository()
    request = repo.add_request(make_request())
    job = repo.add_job(make_job())
    msg = repo.add_message(
        Message(
            id=str(uuid.uuid4()),
            job_id=job.id,
            author_id=repo.user.id,
            author_role=MessageAuthorRole.CUSTOMER,
            body="Gate code is 1234",
            sent_at=FIXED_NOW,
        )
    )
    port = as_port(repo)
    assert [r.request.id for r in run(port.requests())] == [request.id]
    assert run(port.job(job.id)).job == job
    assert run(port.request("00000000-0000-4000-8000-000000000000")) is None
    assert run(port.messages(job_id=job.id)) == [msg]
    assert run(port.messages(request_id=request.id)) == []


def test_perform_applies_effect_queues_and_notifies() -> None:
    repo = FakeRepository()
    job = repo.add_job(make_job())
    calls: list[int] = []
    unsubscribe = repo.subscribe(lambda: calls.append(1))
    entry = run(
        repo.perform(
            WindowConfirmArgs(job_id=job.id, preferred_window_id=job.preferred_windows[1].id)
        )
    )
    assert entry.state is MutationState.PENDING and entry.name == "window.confirm"
    record = run(repo.job(job.id))
    assert record.pending and record.job.status is JobStatus.SCHEDULED
    assert record.job.appointment is not None
    assert record.job.appointment.window == job.preferred_windows[1].window
    assert calls == [1]
    unsubscribe()
    run(repo.perform(JobStartArgs(job_id=job.id)))
    assert calls == [1]
    assert [c.command_name for c in repo.performed] == ["window.confirm", "job.start"]
    assert run(repo.job(job.id)).job.status is JobStatus.IN_PROGRESS


def test_illegal_action_is_refused_and_not_recorded() -> None:
    repo = FakeRepository()
    job = repo.add_job(make_job(status=JobStatus.CANCELLED))
    with pytest.raises(DomainError) as caught:
        run(repo.perform(JobStartArgs(job_id=job.id)))
    assert caught.value.code == "job_cancelled"
    assert repo.performed == [] and run(repo.queue()) == []


def test_fail_next_reject_discard_resubmit_status_drafts_photos() -> None:
    repo = FakeRepository(user=make_user())
    request = repo.add_request(make_request())
    repo.fail_next(OSError("disk full"))
    args = MessageSendArgs(message_id=str(uuid.uuid4()), request_id=request.id, body="Hi")
    with pytest.raises(OSError):
        run(repo.perform(args))
    entry = run(repo.perform(args))
    repo.reject(entry.mid, "estimate_window_closed", "Closed")
    (queued,) = run(repo.queue())
    assert queued.needs_attention and queued.rejection is not None
    new = run(repo.resubmit(entry.mid, {**entry.args, "body": "Hello"}))
    assert new.replaces_mid == entry.mid and new.args["body"] == "Hello"
    with pytest.raises(DomainError):
        run(repo.discard(new.mid))  # not refused: cannot be discarded
    repo.set_status(SyncStatus(pending=3))
    assert repo.sync_status().pending == 3
    run(repo.save_draft("estimate:x", "estimate", {"notes": "a"}))
    assert run(repo.load_draft("estimate:x")) == {"notes": "a"}
    run(repo.delete_draft("estimate:x"))
    assert run(repo.load_draft("estimate:x")) is None
    digest = run(repo.add_photo(b"\xff\xd8 jpeg bytes"))
    assert len(digest) == 64 and run(repo.photo_file(digest)) is not None
    assert run(repo.photo_file("0" * 64)) is None
    with pytest.raises(DomainError):
        run(repo.add_photo(b"not an image"))


def test_navigator_records() -> None:
    nav = FakeNavigator()
    nav.open(Route("job", {"job_id": "x"}))
    nav.back()
    nav.notify("Queued")
    assert nav.opened == [Route("job", {"job_id": "x"})] and nav.backs == 1
    assert nav.notices == ["Queued"]
