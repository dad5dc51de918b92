"""JobsState and the job rows: closed set of cases, order, local times, money."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from proapp.api.errors import AuthenticationError, NetworkError
from proapp.domain.enums import JobStatus
from proapp.state.jobs import Empty, Failed, JobsState, Loading, Ready, job_rows
from tests.unit.client.fakes import NOW, FakeMarketplaceClient, make_job

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def signed_in_client(**kwargs: Any) -> FakeMarketplaceClient:
    client = FakeMarketplaceClient(**kwargs)
    run(client.login("tess@brightfix.example", "demo-tech-pass"))
    return client


def make_state(client: FakeMarketplaceClient) -> tuple[JobsState, list[str], list[object]]:
    signouts: list[str] = []
    seen: list[object] = []

    async def sign_out() -> None:
        signouts.append("out")

    state = JobsState(client, user_name="Tess Rivera", on_sign_out=sign_out, clock=lambda: NOW)
    state.subscribe(lambda: seen.append(state.view))
    return state, signouts, seen


def test_starts_loading_then_ready_with_every_page() -> None:
    jobs = [make_job(f"Job {i}", start=NOW + timedelta(hours=i)) for i in range(5)]
    client = signed_in_client(jobs=jobs, page_size=2)
    state, _, seen = make_state(client)
    assert isinstance(state.view, Loading)
    run(state.load())
    assert isinstance(seen[0], Loading)
    assert isinstance(state.view, Ready)
    assert [r.title for r in state.view.rows] == [f"Job {i}" for i in range(5)]
    assert client.calls[-3:] == ["list_jobs None", "list_jobs 2", "list_jobs 4"]


def test_no_jobs_is_empty_not_an_empty_list() -> None:
    state, _, _ = make_state(signed_in_client(jobs=[]))
    run(state.load())
    assert isinstance(state.view, Empty)
    assert "No jobs" in state.view.message


def test_network_failure_is_failed_with_the_message() -> None:
    client = signed_in_client(jobs=[make_job()])
    client.list_error = NetworkError("Could not reach the server.")
    state, _, _ = make_state(client)
    run(state.load())
    assert state.view == Failed("Could not reach the server.", sign_in_again=False)


def test_an_ended_session_asks_to_sign_in_again() -> None:
    client = signed_in_client(jobs=[make_job()])
    client.list_error = AuthenticationError("Your session has ended.")
    state, _, _ = make_state(client)
    run(state.load())
    assert isinstance(state.view, Failed)
    assert state.view.sign_in_again is True


def test_retry_after_failure_recovers() -> None:
    client = signed_in_client(jobs=[make_job()])
    client.list_error = NetworkError("offline")
    state, _, _ = make_state(client)
    run(state.load())
    client.list_error = None
    run(state.load())
    assert isinstance(state.view, Ready)


def test_sign_out_is_forwarded() -> None:
    state, signouts, _ = make_state(signed_in_client())
    run(state.sign_out())
    assert signouts == ["out"]


def test_rows_sort_by_next_window_then_status_with_finished_last() -> None:
    same = NOW + timedelta(hours=3)
    jobs = [
        make_job("Done yesterday", status="COMPLETED", start=NOW - timedelta(days=1)),
        make_job("Later today", start=NOW + timedelta(hours=6)),
        make_job("Scheduled at 3", start=same),
        make_job("In progress at 3", status="IN_PROGRESS", start=same),
        make_job(
            "Unscheduled, offered at 1",
            status="PENDING_SCHEDULE",
            start=None,
            preferred=[NOW + timedelta(hours=5), NOW + timedelta(hours=1)],
        ),
        make_job("Unscheduled, nothing offered", status="PENDING_SCHEDULE", start=None),
        make_job("Cancelled soon", status="CANCELLED", start=NOW + timedelta(hours=1)),
    ]
    rows = job_rows(jobs, NOW)
    assert [r.title for r in rows] == [
        "Unscheduled, offered at 1",
        "In progress at 3",
        "Scheduled at 3",
        "Later today",
        "Unscheduled, nothing offered",
        "Done yesterday",
        "Cancelled soon",
    ]


def test_row_texts_use_the_jobs_time_zone_and_the_one_money_formatter() -> None:
    # NOW is 16:00 UTC = 8:00 AM PST; a window 18:00-20:00 UTC is 10 AM-12 PM in LA
    # but 1 PM-3 PM in New York.
    la = make_job("LA", start=NOW + timedelta(hours=2), price_cents=123_456)
    ny = make_job("NY", start=NOW + timedelta(hours=2), time_zone="America/New_York", city="Albany")
    rows = {r.title: r for r in job_rows([la, ny], NOW)}
    assert rows["LA"].window_text == "Today, 10:00 AM – 12:00 PM PST"
    assert rows["NY"].window_text == "Today, 1:00 PM – 3:00 PM EST"
    assert rows["LA"].price_text == "$1,234.56"
    assert rows["LA"].place == "Seattle, WA"
    assert rows["LA"].status is JobStatus.SCHEDULED
    assert rows["LA"].status_text == "Scheduled"


def test_row_texts_for_unconfirmed_and_remote_jobs() -> None:
    offered = make_job(
        "Offered",
        status="PENDING_SCHEDULE",
        start=None,
        preferred=[NOW + timedelta(days=1, hours=2)],
    )
    bare = make_job("Bare", status="PENDING_SCHEDULE", start=None, location_type="ONLINE")
    rows = {r.title: r for r in job_rows([offered, bare], NOW)}
    assert rows["Offered"].window_text == "Customer prefers Tomorrow, 10:00 AM – 12:00 PM PST"
    assert rows["Offered"].status_text == "Needs scheduling"
    assert rows["Bare"].window_text == "No arrival window yet"
    assert rows["Bare"].place == "Online"
