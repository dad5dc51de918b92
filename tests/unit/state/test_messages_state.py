"""MessagesState (R10): one row per thread, unanswered first, the 2-business-day clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from proapp.domain.enums import JobStatus, MessageAuthorRole
from proapp.domain.models import Message
from proapp.state.messages import ONE_BY_ONE_MAX, MessagesState, format_age, reply_status
from proapp.state.ports import JobRecord, RequestRecord, Route, ScreenContext
from tests.support.fake_repo import (
    DEMO_CUSTOMER_ID,
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_request,
)

LA = "America/Los_Angeles"


def message(
    sent_at: datetime,
    *,
    job_id: str | None = None,
    request_id: str | None = None,
    role: MessageAuthorRole = MessageAuthorRole.CUSTOMER,
    author_id: str = DEMO_CUSTOMER_ID,
    body: str = "Hello?",
) -> Message:
    return Message(
        id=str(uuid.uuid4()),
        job_id=job_id,
        request_id=request_id,
        author_id=author_id,
        author_role=role,
        body=body,
        sent_at=sent_at,
    )


def test_reply_clock_starts_at_the_first_unanswered_customer_message() -> None:
    job_id = str(uuid.uuid4())
    first = message(FIXED_NOW - timedelta(hours=5), job_id=job_id)
    pro = message(
        FIXED_NOW - timedelta(hours=4),
        job_id=job_id,
        role=MessageAuthorRole.PRO,
        author_id=str(uuid.uuid4()),
    )
    second = message(FIXED_NOW - timedelta(hours=3), job_id=job_id)
    third = message(FIXED_NOW - timedelta(hours=1), job_id=job_id)
    status = reply_status([third, pro, first, second], LA, FIXED_NOW)
    assert status.unanswered and not status.overdue
    assert status.waiting_since == second.sent_at
    assert status.text.startswith("Unanswered 3 h · reply by ")
    answered = reply_status([first, pro], LA, FIXED_NOW)
    assert not answered.unanswered and answered.text == "Answered"


def test_overdue_after_two_business_days() -> None:
    job_id = str(uuid.uuid4())
    old = message(FIXED_NOW - timedelta(days=6), job_id=job_id)
    status = reply_status([old], LA, FIXED_NOW)
    assert status.overdue and status.text.startswith("Overdue: unanswered 6 days")
    assert status.due_at is not None and status.due_at < FIXED_NOW


def test_support_notes_do_not_answer_for_the_pro() -> None:
    job_id = str(uuid.uuid4())
    customer = message(FIXED_NOW - timedelta(hours=2), job_id=job_id)
    support = message(FIXED_NOW - timedelta(hours=1), job_id=job_id, role=MessageAuthorRole.SUPPORT)
    assert reply_status([customer, support], LA, FIXED_NOW).unanswered


def test_format_age() -> None:
    assert format_age(timedelta(seconds=20)) == "just now"
    assert format_age(timedelta(minutes=12)) == "12 min"
    assert format_age(timedelta(hours=47)) == "47 h"
    assert format_age(timedelta(hours=49)) == "2 days"


def test_threads_sorted_overdue_then_unanswered_then_answered_newest() -> None:
    repo = FakeRepository()
    nav = FakeNavigator()
    answered_old = repo.add_job(make_job(title="Answered old", status=JobStatus.SCHEDULED))
    answered_new = repo.add_job(make_job(title="Answered new"))
    waiting = repo.add_job(make_job(title="Waiting", customer_name="Bob Brown"))
    overdue = repo.add_job(make_job(title="Overdue"))
    request = repo.add_request(make_request(title="Deck repair"))
    me = repo.user.id
    pro = MessageAuthorRole.PRO
    for job, ago in ((answered_old, 30), (answered_new, 2)):
        repo.add_message(message(FIXED_NOW - timedelta(hours=ago + 1), job_id=job.id))
        repo.add_message(
            message(FIXED_NOW - timedelta(hours=ago), job_id=job.id, role=pro, author_id=me)
        )
    repo.add_message(message(FIXED_NOW - timedelta(hours=1), job_id=waiting.id, body="When?"))
    repo.add_message(message(FIXED_NOW - timedelta(days=5), job_id=overdue.id))
    repo.add_message(message(FIXED_NOW - timedelta(minutes=5), request_id=request.id))
    state = MessagesState(ScreenContext(repo, nav, lambda: FIXED_NOW), Route("messages"))
    asyncio.run(state.load())
    titles = [row.title for row in state.rows]
    assert titles == ["Overdue", "Waiting", "Deck repair", "Answered new", "Answered old"]
    waiting_row = state.rows[1]
    assert waiting_row.customer == "Bob Brown"
    assert waiting_row.preview == "Customer: When?"
    assert state.rows[3].preview.startswith("You: ")
    assert state.rows[0].status.overdue and not state.rows[1].status.overdue
    state.open(state.rows[2])
    assert nav.opened == [Route("thread", {"request_id": request.id})]
    state.open(waiting_row)
    assert nav.last == Route("thread", {"job_id": waiting.id})


def test_empty_and_reload_on_change() -> None:
    repo = FakeRepository()
    job = repo.add_job(make_job())
    state = MessagesState(
        ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("messages")
    )

    async def scenario() -> None:
        await state.load()
        assert state.empty
        repo.add_message(message(FIXED_NOW, job_id=job.id))
        repo.notify()
        await asyncio.sleep(0.01)  # the reload runs as a task

    asyncio.run(scenario())
    assert not state.empty and len(state.rows) == 1
    state.dispose()
    assert repo.listener_count == 0


class CountingRepository(FakeRepository):
    """Counts whole-list reads (a phone holds thousands of jobs)."""

    def __init__(self) -> None:
        super().__init__()
        self.list_reads = 0

    async def jobs(self) -> list[JobRecord]:
        self.list_reads += 1
        return await super().jobs()

    async def requests(self) -> list[RequestRecord]:
        self.list_reads += 1
        return await super().requests()


def test_a_few_threads_read_their_own_jobs_many_read_the_list() -> None:
    def titles_after_load(threads: int) -> tuple[dict[str, str], int]:
        repo = CountingRepository()
        for i in range(threads):
            job = repo.add_job(make_job(title=f"Job {i}"))
            repo.add_message(message(FIXED_NOW - timedelta(minutes=i), job_id=job.id))
        request = repo.add_request(make_request(title="Deck repair"))
        repo.add_message(message(FIXED_NOW, request_id=request.id))
        repo.add_job(make_job(title="No messages"))
        state = MessagesState(ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("m"))
        asyncio.run(state.load())
        state.dispose()
        return {row.thread_id: row.title for row in state.rows}, repo.list_reads

    few, reads = titles_after_load(3)
    assert reads == 0
    assert sorted(few.values()) == ["Deck repair", "Job 0", "Job 1", "Job 2"]
    many, reads = titles_after_load(ONE_BY_ONE_MAX + 1)
    assert reads == 1  # the jobs list once; the one request read by itself
    assert len(many) == ONE_BY_ONE_MAX + 2 and "Job 40" in many.values()
