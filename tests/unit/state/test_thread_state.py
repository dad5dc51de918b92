"""ThreadState (R10): bubbles in order, composing offline, "Waiting to send", phone only
when shared."""

from __future__ import annotations

import uuid
from datetime import timedelta

from proapp.domain.commands import MessageSendArgs
from proapp.domain.enums import MessageAuthorRole
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import Message
from proapp.state.ports import Route, ScreenContext
from proapp.state.thread import ThreadState, tel_url, thread_draft_key
from tests.support.fake_repo import (
    DEMO_CUSTOMER_ID,
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_request,
    run,
)


def customer_says(body: str, ago: timedelta, **thread: str) -> Message:
    return Message(
        id=str(uuid.uuid4()),
        author_id=DEMO_CUSTOMER_ID,
        author_role=MessageAuthorRole.CUSTOMER,
        body=body,
        sent_at=FIXED_NOW - ago,
        **thread,
    )


def job_thread(phone: str | None = None) -> tuple[FakeRepository, ThreadState, str]:
    repo = FakeRepository()
    job = repo.add_job(make_job(customer_phone=phone, customer_name="Alice Adams"))
    ctx = ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW)
    return repo, ThreadState(ctx, Route("thread", {"job_id": job.id})), job.id


def test_send_queues_a_message_and_marks_it_waiting() -> None:
    repo, state, job_id = job_thread()
    repo.add_message(customer_says("Can you come at 9?", timedelta(hours=2), job_id=job_id))

    async def scenario() -> bool:
        await state.load()
        await state.set_text("  Yes, 9 works.  ")
        return await state.send()

    assert run(scenario()) is True
    [args] = repo.performed
    assert isinstance(args, MessageSendArgs)
    assert (args.job_id, args.request_id, args.body) == (job_id, None, "Yes, 9 works.")
    assert [(r.mine, r.body, r.status_text) for r in state.rows] == [
        (False, "Can you come at 9?", ""),
        (True, "Yes, 9 works.", "Waiting to send"),
    ]
    assert state.rows[0].author == "Alice Adams" and state.rows[1].author == "You"
    assert state.text == "" and thread_draft_key("job", job_id) not in repo.drafts
    assert state.reply is not None and not state.reply.unanswered


def test_each_message_gets_its_own_id_but_a_retry_reuses_it() -> None:
    repo, state, _ = job_thread()
    repo.fail_next(DomainError(ErrorCode.INVALID, "Could not save. Try again."))

    async def scenario() -> None:
        await state.load()
        await state.set_text("First")
        assert await state.send() is False
        assert state.error == "Could not save. Try again." and state.text == "First"
        assert await state.send() is True
        await state.set_text("Second")
        assert await state.send() is True

    run(scenario())
    ids = [a.message_id for a in repo.performed if isinstance(a, MessageSendArgs)]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_refused_message_shows_the_servers_reason() -> None:
    repo, state, _ = job_thread()

    async def scenario() -> None:
        await state.load()
        await state.set_text("Running late")
        await state.send()
        repo.reject(1, "job_cancelled", "The customer cancelled this job.")
        await state.load()

    run(scenario())
    [row] = state.rows
    assert row.failed and row.status_text == "Not sent: The customer cancelled this job."


def test_empty_message_is_not_sent() -> None:
    _, state, _ = job_thread()

    async def scenario() -> bool:
        await state.load()
        await state.set_text("   ")
        return await state.send()

    assert run(scenario()) is False
    assert state.error == "Type a message first." and not state.can_send


def test_phone_only_when_shared() -> None:
    _, hidden, _ = job_thread(phone=None)
    run(hidden.load())
    assert hidden.phone is None and hidden.phone_url is None
    _, shared, _ = job_thread(phone="+1 (206) 555-0101")
    run(shared.load())
    assert shared.phone == "+1 (206) 555-0101"
    assert shared.phone_url == "tel:+12065550101"
    assert tel_url("206-555-0101") == "tel:2065550101"


def test_request_thread_and_draft_survive_leaving_the_screen() -> None:
    repo = FakeRepository()
    request = repo.add_request(make_request(title="Deck repair"))
    repo.add_message(customer_says("Photos attached", timedelta(days=3), request_id=request.id))
    ctx = ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW)
    state = ThreadState(ctx, Route("thread", {"request_id": request.id}))

    async def scenario() -> None:
        await state.load()
        await state.set_text("Half typed")

    run(scenario())
    assert state.title == "Deck repair" and state.phone is None
    assert state.reply is not None and state.reply.overdue
    again = ThreadState(ctx, Route("thread", {"request_id": request.id}))
    run(again.load())
    assert again.text == "Half typed"
    again.dispose()
    state.dispose()
    assert repo.listener_count == 0


def test_queued_message_missing_from_the_overlay_is_still_shown() -> None:
    repo, state, _ = job_thread()
    repo.optimistic = False  # the message exists only in the outbox

    async def scenario() -> None:
        await state.load()
        await state.set_text("On my way")
        await state.send()

    run(scenario())
    [row] = state.rows
    assert (row.body, row.mine, row.status_text) == ("On my way", True, "Waiting to send")
    assert repo.messages_by_id == {}
