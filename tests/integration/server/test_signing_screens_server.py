"""The change order and completion screen states produce commands the REAL server accepts.

The states run against a `FakeRepository` seeded with the server's own copies of the
job, request, estimate and visits; their queued args go to the real command handlers
(in-process app, real database), which recompute the signed content and refuse any
mismatch (``signature_mismatch``). The signature PNG is rendered by the real renderer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from marketplace import orm
from proapp.domain.commands import ChangeOrderCreateArgs, JobCompleteArgs
from proapp.domain.models import CustomRequest, Estimate, Job, User, VisitProposal
from proapp.state.change_order import ChangeOrderState
from proapp.state.completion import CompletionState
from proapp.state.ports import Route, ScreenContext
from proapp.sync.photos import render_signature
from tests.integration.server.world import ApiUser, World
from tests.support.fake_repo import FakeNavigator, FakeRepository

STROKES = [[(12.2, 30.7), (40, 62), (88, 35), (120, 70)], [(130, 40), (150, 44)]]


class RenderingRepository(FakeRepository):
    """The fake, but signatures are rendered to a real PNG like the app does."""

    async def add_signature(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> str:
        image = render_signature([list(stroke) for stroke in strokes])
        self.blobs[image.sha256] = image.data
        return image.sha256


def _repo_for(tech: ApiUser, world: World) -> RenderingRepository:
    me = tech.get("/v1/me")
    assert me.status_code == 200, me.text
    return RenderingRepository(User.model_validate(me.json()), clock=world.clock)


def _job(tech: ApiUser, job_id: str) -> Job:
    response = tech.get(f"/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return Job.model_validate(response.json())


def _send(tech: ApiUser, repo: FakeRepository, path: str, args: Any) -> dict[str, Any]:
    png = args.signature.png_sha256
    assert tech.upload(repo.blobs[png]) == png
    body = args.model_dump(mode="json", exclude={"job_id"})
    response = tech.command(path, body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def test_change_order_then_completion_signed_on_screen_are_accepted(world: World) -> None:
    biz = world.business()
    customer_id, _ = world.user("customer", None)
    tech = world.api_user("technician", biz)
    job_id = world.job(biz, customer_id, status="IN_PROGRESS", technicians=[tech.user_id])
    repo = _repo_for(tech, world)
    repo.add_job(_job(tech, job_id))
    nav = FakeNavigator()
    ctx = ScreenContext(repo, nav, world.clock)
    original_line = repo.jobs_by_id[job_id].line_items[0].id

    async def change_order() -> bool:
        state = ChangeOrderState(ctx, Route("change_order", {"job_id": job_id}))
        await state.load()
        await state.set_reason("Corroded shut-off valve, replaced with a new one")
        await state.add_line()
        await state.set_line_field(0, "description", "Shut-off valve (brass)")
        await state.set_line_field(0, "quantity", "2")
        await state.set_line_field(0, "price", "$22.50")
        await state.add_line()
        await state.set_line_field(1, "kind", "LABOR")
        await state.set_line_field(1, "description", "Valve labor")
        await state.set_line_field(1, "price", "80")
        await state.set_removed(original_line, True)
        assert await state.hand_to_customer(), state.errors
        state.set_signer_name("Cus Tomer")
        state.set_strokes(STROKES)
        return await state.accept()

    assert asyncio.run(change_order()), "change order not queued"
    [co_args] = repo.performed
    assert isinstance(co_args, ChangeOrderCreateArgs)
    created = _send(tech, repo, f"/v1/jobs/{job_id}/change-orders", co_args)
    assert created["new_total_cents"] == 4_500 + 8_000
    server_job = _job(tech, job_id)
    # The device's optimistic copy is what the server now holds.
    local = repo.jobs_by_id[job_id]
    assert server_job.price_cents == local.price_cents == 12_500
    assert [line.id for line in server_job.line_items] == [line.id for line in local.line_items]

    # Completion, built on the server's post-change-order job (as after a sync).
    repo.jobs_by_id[job_id] = server_job

    async def complete() -> bool:
        state = CompletionState(ctx, Route("complete", {"job_id": job_id}))
        await state.load()
        assert state.amount_text == "$125.00"
        await state.set_summary("Replaced the valve; no leaks after 10 minutes.")
        assert await state.hand_to_customer()
        state.set_signer_name("Cus Tomer")
        state.set_strokes(STROKES)
        return await state.accept()

    assert asyncio.run(complete())
    complete_args = repo.performed[-1]
    assert isinstance(complete_args, JobCompleteArgs)
    result = _send(tech, repo, f"/v1/jobs/{job_id}/complete", complete_args)
    assert result["charge"]["amount_cents"] == 12_500
    assert world.count(orm.LedgerEntry, job_id=job_id) == 1


def test_completion_with_an_accepted_trip_charge_is_accepted(world: World) -> None:
    biz = world.business()
    customer_id, _ = world.user("customer", None)
    tech = world.api_user("technician", biz)
    request_id = world.request(biz, customer_id)
    world.visit(
        biz,
        request_id,
        tech.user_id,
        price_cents=5_000,
        accepted_at=world.clock(),
        status="COMPLETED",
        window_start=world.clock() + timedelta(days=1),
    )
    job_id = world.job(
        biz, customer_id, status="IN_PROGRESS", technicians=[tech.user_id], request_id=request_id
    )
    repo = _repo_for(tech, world)
    job = _job(tech, job_id)
    assert job.estimate_id is not None
    request = CustomRequest.model_validate(tech.get(f"/v1/requests/{request_id}").json())
    estimate = Estimate.model_validate(tech.get(f"/v1/estimates/{job.estimate_id}").json())
    visits = [
        VisitProposal.model_validate(v)
        for v in tech.get(f"/v1/requests/{request_id}/visits").json()
    ]
    repo.add_request(request, estimates=[estimate], visits=visits)
    repo.add_job(job)
    ctx = ScreenContext(repo, FakeNavigator(), world.clock)

    async def complete() -> bool:
        state = CompletionState(ctx, Route("complete", {"job_id": job_id}))
        await state.load()
        assert state.trip_cents == 5_000
        await state.set_summary("Installed.")
        assert await state.hand_to_customer()
        state.set_signer_name("Cus Tomer")
        state.set_strokes(STROKES)
        return await state.accept()

    assert asyncio.run(complete())
    args = repo.performed[-1]
    assert isinstance(args, JobCompleteArgs)
    result = _send(tech, repo, f"/v1/jobs/{job_id}/complete", args)
    assert result["charge"]["amount_cents"] == 20_000 + 5_000
