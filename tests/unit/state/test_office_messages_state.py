"""OfficeMessagesState: threads waiting for a pro's answer first, against R10's
2-business-day expectation, paged."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from proapp.domain.enums import MessageAuthorRole
from proapp.domain.models import Message
from proapp.state.office_messages import OfficeMessagesState
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from tests.support.fake_office import FakeOfficeRepository, async_test
from tests.support.fake_repo import (
    DEMO_CUSTOMER_ID,
    FIXED_NOW,
    FakeNavigator,
    make_job,
    make_request,
)

PRO = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def _say(
    repo: FakeOfficeRepository,
    at: datetime,
    role: MessageAuthorRole,
    *,
    job_id: str | None = None,
    request_id: str | None = None,
) -> None:
    repo.add_message(
        Message(
            id=str(uuid.uuid4()),
            job_id=job_id,
            request_id=request_id,
            author_id=DEMO_CUSTOMER_ID if role is MessageAuthorRole.CUSTOMER else PRO,
            author_role=role,
            body="Hello",
            sent_at=at,
        )
    )


async def _state(
    repo: FakeOfficeRepository,
    page_size: int = 50,
) -> tuple[OfficeMessagesState, FakeNavigator]:
    nav = FakeNavigator()
    state = OfficeMessagesState(
        OfficeContext(repo, nav, lambda: FIXED_NOW), Route("office_messages"), page_size=page_size
    )
    await state.load()
    return state, nav


@async_test
async def test_waiting_threads_first_with_the_r10_deadline() -> None:
    repo = FakeOfficeRepository()
    # FIXED_NOW is Thursday Nov 26 2026 (Thanksgiving, a federal holiday) 7:00 AM PST.
    old = repo.add_job(make_job(title="Old question", customer_name="Alice Adams"))
    _say(repo, FIXED_NOW - timedelta(days=6), MessageAuthorRole.CUSTOMER, job_id=old.id)
    answered = repo.add_job(make_job(title="Answered"))
    _say(repo, FIXED_NOW - timedelta(hours=5), MessageAuthorRole.CUSTOMER, job_id=answered.id)
    _say(repo, FIXED_NOW - timedelta(hours=4), MessageAuthorRole.PRO, job_id=answered.id)
    fresh = repo.add_request(make_request(title="Deck stain"))
    _say(repo, FIXED_NOW - timedelta(hours=1), MessageAuthorRole.PRO, request_id=fresh.id)
    _say(repo, FIXED_NOW - timedelta(minutes=30), MessageAuthorRole.CUSTOMER, request_id=fresh.id)

    state, nav = await _state(repo)
    assert [r.title for r in state.rows] == ["Old question", "Deck stain", "Answered"]
    late, new, done = state.rows
    assert late.waiting and late.overdue and late.waited_text == "Waiting 6 d 0 h"
    assert late.due_text.startswith("Answer by ")
    assert new.waiting and not new.overdue and new.waited_text == "Waiting 30 min"
    assert new.kind_text == "Request" and new.route == Route("thread", {"request_id": fresh.id})
    # Received on Thanksgiving (no business day): the 2 business days count from the
    # start of Friday, so the answer is due at the start of Tuesday.
    assert new.due_text == "Answer by Tue Dec 1, 12:00 AM PST"
    assert not done.waiting and done.due_text == "" and not done.overdue
    assert state.waiting_total == 2 and state.overdue_on_page == 1

    state.open(old.id)
    assert nav.last == Route("thread", {"job_id": old.id})
    await state.set_waiting_only(True)
    assert [r.title for r in state.rows] == ["Old question", "Deck stain"]


@async_test
async def test_threads_are_paged() -> None:
    repo = FakeOfficeRepository()
    for n in range(5):
        job = repo.add_job(make_job(title=f"Job {n}"))
        _say(repo, FIXED_NOW - timedelta(hours=n + 1), MessageAuthorRole.CUSTOMER, job_id=job.id)
    state, _ = await _state(repo, page_size=2)
    assert [r.title for r in state.rows] == ["Job 4", "Job 3"]
    assert state.paging.text == "1–2 of 5"
    await state.go_to_page(2)
    assert [r.title for r in state.rows] == ["Job 0"]
