"""Smoke builds of the signing and messaging views (no page): every control the UI tests
look for carries its Semantics identifier, and a pad stroke reaches the state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import flet as ft

from proapp.domain.enums import JobStatus, MessageAuthorRole
from proapp.domain.models import Message
from proapp.state.change_order import ChangeOrderState, Step
from proapp.state.completion import CompletionState
from proapp.state.messages import MessagesState
from proapp.state.ports import Route, ScreenContext
from proapp.state.thread import ThreadState
from proapp.views.change_order import ChangeOrderView
from proapp.views.completion import CompletionView
from proapp.views.messages import MessagesView
from proapp.views.signature_pad import SignaturePad
from proapp.views.thread import ThreadView
from tests.support.fake_repo import (
    DEMO_CUSTOMER_ID,
    FIXED_NOW,
    FakeNavigator,
    FakeRepository,
    make_job,
)
from tests.unit.views.control_tree import identifiers, labels


def setup() -> tuple[FakeRepository, ScreenContext, str]:
    repo = FakeRepository()
    job = repo.add_job(make_job(status=JobStatus.IN_PROGRESS, customer_phone="206-555-0101"))
    return repo, ScreenContext(repo, FakeNavigator(), lambda: FIXED_NOW), job.id


def test_change_order_form_and_signing_panel() -> None:
    repo, ctx, job_id = setup()
    state = ChangeOrderState(ctx, Route("change_order", {"job_id": job_id}))
    refreshes: list[int] = []
    asyncio.run(state.load())
    view = ChangeOrderView(state, lambda: refreshes.append(1))
    line_id = repo.jobs_by_id[job_id].line_items[0].id
    ids = identifiers(view.control)
    assert {
        "co-reason",
        "co-add-line",
        "co-add-photo",
        "co-totals",
        "co-handoff",
        f"co-remove-{line_id}",
    } <= ids

    async def fill() -> None:
        await state.set_reason("More work")
        await state.add_line()
        await state.set_line_field(0, "description", "Valve")
        await state.set_line_field(0, "price", "10")
        await state.hand_to_customer()

    asyncio.run(fill())
    assert state.step is Step.SIGN
    assert refreshes
    signing_ids = identifiers(view.control)
    assert {"sign-pad", "sign-clear", "sign-name", "sign-accept", "sign-cancel"} <= signing_ids
    assert "Your full name" in labels(view.control)
    view.dispose()


def test_change_order_line_fields_have_ids_and_labels() -> None:
    _, ctx, job_id = setup()
    state = ChangeOrderState(ctx, Route("change_order", {"job_id": job_id}))
    asyncio.run(state.load())
    view = ChangeOrderView(state, lambda: None)
    asyncio.run(state.add_line())
    ids = identifiers(view.control)
    assert {f"co-line-0-{f}" for f in ("kind", "description", "quantity", "price", "remove")} <= ids
    assert {"Reason for the change", "Description", "Quantity", "Unit price"} <= labels(
        view.control
    )


def test_completion_view() -> None:
    _, ctx, job_id = setup()
    state = CompletionState(ctx, Route("complete", {"job_id": job_id}))
    asyncio.run(state.load())
    view = CompletionView(state, lambda: None)
    ids = identifiers(view.control)
    assert {"complete-summary", "complete-amount", "complete-handoff"} <= ids
    assert "Work summary" in labels(view.control)


def test_messages_and_thread_views() -> None:
    repo, ctx, job_id = setup()
    message = repo.add_message(
        Message(
            id=str(uuid.uuid4()),
            job_id=job_id,
            author_id=DEMO_CUSTOMER_ID,
            author_role=MessageAuthorRole.CUSTOMER,
            body="Hi",
            sent_at=FIXED_NOW - timedelta(hours=1),
        )
    )
    messages = MessagesState(ctx, Route("messages"))
    asyncio.run(messages.load())
    assert {"messages-list", f"messages-thread-{job_id}"} <= identifiers(
        MessagesView(messages, lambda: None).control
    )
    thread = ThreadState(ctx, Route("thread", {"job_id": job_id}))
    asyncio.run(thread.load())
    view = ThreadView(thread, lambda: None)
    ids = identifiers(view.control)
    assert {"thread-list", f"thread-message-{message.id}", "thread-input", "thread-send"} <= ids
    assert "thread-phone" in ids
    assert "Message" in labels(view.control)


def test_pad_reports_integer_strokes() -> None:
    seen: list[list[list[tuple[int, int]]]] = []
    pad = SignaturePad(seen.append)
    gd = pad._detector  # noqa: SLF001 - drive the gesture handlers without a page
    pad._pan_start(
        ft.DragStartEvent(
            name="pan_start",
            control=gd,
            kind=ft.PointerDeviceType.TOUCH,
            local_position=ft.Offset(10.6, 20.2),
            global_position=ft.Offset(0, 0),
        )
    )
    for x, y in ((15.0, 25.0), (15.2, 25.1), (30.0, 40.0)):
        pad._pan_update(
            ft.DragUpdateEvent(
                name="pan_update",
                control=gd,
                local_position=ft.Offset(x, y),
                global_position=ft.Offset(0, 0),
            )
        )
    pad._pan_end(
        ft.DragEndEvent(
            name="pan_end",
            control=gd,
            local_position=ft.Offset(30, 40),
            global_position=ft.Offset(0, 0),
            velocity=ft.Offset(0, 0),
        )
    )
    assert seen == [[[(11, 20), (15, 25), (30, 40)]]]
    assert pad.has_ink
    pad.clear()
    assert pad.strokes == [] and not pad.has_ink
