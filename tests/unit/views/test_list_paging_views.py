"""The long lists (inbox, today, messages) build one page of rows and a "Show more" row; rows keep
their identifiers, and a re-render reuses the rows that did not change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import flet as ft

from proapp.domain.enums import JobStatus, MessageAuthorRole
from proapp.domain.models import Message
from proapp.state.inbox import PAGE_SIZE as INBOX_PAGE
from proapp.state.inbox import InboxState
from proapp.state.messages import MessagesState
from proapp.state.ports import Route, ScreenContext
from proapp.state.today import PAGE_SIZE as TODAY_PAGE
from proapp.state.today import TodayState
from proapp.views.inbox import InboxView
from proapp.views.messages import PAGE_SIZE as MESSAGES_PAGE
from proapp.views.messages import MessagesView
from proapp.views.today import TodayView
from tests.support.fake_repo import (
    DEMO_CUSTOMER_ID,
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
    make_request,
)
from tests.unit.views.control_tree import identifiers, walk


def rows(control: ft.Control, prefix: str) -> list[str]:
    return sorted(i for i in identifiers(control) if i.startswith(prefix))


def tap_show_more(control: ft.Control, identifier: str) -> None:
    (more,) = [
        c for c in walk(control) if isinstance(c, ft.Semantics) and c.identifier == identifier
    ]
    (button,) = [c for c in walk(more) if isinstance(c, ft.TextButton)]
    assert button.on_click is not None
    handler: Any = button.on_click
    handler(None)


def test_inbox_builds_a_page_then_more_on_request() -> None:
    async def scenario() -> None:
        repo = FakeRepository()
        requests = [
            repo.add_request(make_request(title=f"R{i:03d}", estimate_due_in=timedelta(hours=i)))
            for i in range(INBOX_PAGE + 4)
        ]
        state = InboxState(ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("inbox"))
        await state.load()
        refreshed: list[int] = []
        view = InboxView(state, lambda: refreshed.append(1))
        shown = rows(view.control, "inbox-request-")
        assert shown == sorted(f"inbox-request-{r.id}" for r in requests[:INBOX_PAGE])
        assert "inbox-show-more" in identifiers(view.control)
        first_card = view._list_view.controls[1]

        tap_show_more(view.control, "inbox-show-more")
        assert refreshed
        assert rows(view.control, "inbox-request-") == sorted(
            f"inbox-request-{r.id}" for r in requests
        )
        assert "inbox-show-more" not in identifiers(view.control)
        assert view._list_view.controls[1] is first_card  # unchanged rows are reused
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_today_builds_a_page_then_more_on_request() -> None:
    async def scenario() -> None:
        repo = FakeRepository()
        jobs = [
            repo.add_job(
                make_job(
                    title=f"Visit {i:02d}",
                    status=JobStatus.SCHEDULED,
                    window_start_in=timedelta(hours=1, minutes=10 * i),
                )
            )
            for i in range(TODAY_PAGE + 2)
        ]
        state = TodayState(ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("today"))
        view = TodayView(state, lambda: None)
        await state.load()
        assert len(rows(view.control, "today-job-")) == TODAY_PAGE
        assert "today-show-more" in identifiers(view.control)
        tap_show_more(view.control, "today-show-more")
        assert rows(view.control, "today-job-") == sorted(f"today-job-{j.id}" for j in jobs)
        assert "today-show-more" not in identifiers(view.control)
        view.dispose()
        state.dispose()

    asyncio.run(scenario())


def test_messages_builds_a_page_then_more_on_request() -> None:
    async def scenario() -> None:
        repo = FakeRepository()
        for i in range(MESSAGES_PAGE + 3):
            job = repo.add_job(make_job(title=f"Job {i:02d}"))
            repo.add_message(
                Message(
                    id=str(uuid.uuid4()),
                    job_id=job.id,
                    author_id=DEMO_CUSTOMER_ID,
                    author_role=MessageAuthorRole.CUSTOMER,
                    body="When can you come?",
                    sent_at=FIXED_NOW - timedelta(minutes=i),
                )
            )
        state = MessagesState(ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("m"))
        view = MessagesView(state, lambda: None)
        await state.load()
        assert len(rows(view.control, "messages-thread-")) == MESSAGES_PAGE
        list_view = view._list_view
        tap_show_more(view.control, "messages-show-more")
        assert len(rows(view.control, "messages-thread-")) == MESSAGES_PAGE + 3
        assert "messages-show-more" not in identifiers(view.control)
        assert view._list_view is list_view  # same list: the scroll position stays
        view.dispose()
        state.dispose()

    asyncio.run(scenario())
