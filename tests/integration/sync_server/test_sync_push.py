"""POST /v1/sync/push: exactly once, in order, rejected mutations never wedge the queue
(docs/SYNC.md, DESIGN.md section 4). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from marketplace import orm
from marketplace.authz import Actor
from marketplace.commands import framework
from marketplace.sync import PushIn, PushOut, push
from proapp.domain import Role
from proapp.domain.wire import strip_defaults
from tests.integration.server.world import World, new_id
from tests.integration.sync_server.conftest import Crew, Device, message


def _last_mid(world: World, device: Device) -> int | None:
    with world.session_factory() as s:
        return s.scalar(select(orm.SyncClient.last_mid).where(
            orm.SyncClient.user_id == device.user.user_id,
            orm.SyncClient.client_id == device.client_id))


def test_push_applies_mutations_in_order_with_the_rest_handlers(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    batch = [device.mutation("message.send", message(job, "first")),
             device.mutation("message.send", message(job, "second"))]
    response = device.push(batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["last_mid"] == 2 and body["stopped"] is None
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert [r["id"] for r in body["results"]] == [m["id"] for m in batch]
    # The result is the REST handler's result (the Message), body and author included.
    assert body["results"][1]["result"]["body"] == "second"
    assert body["results"][1]["result"]["author_id"] == crew.tess.user_id
    assert crew.world.count(orm.Message, job_id=job) == 2
    assert _last_mid(crew.world, device) == 2


def test_a_lost_response_is_answered_by_replay_and_applies_once(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    batch = [device.mutation("message.send", message(job)) for _ in range(3)]
    first = device.push(batch)
    again = device.push(batch)  # the client never saw the first answer
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert crew.world.count(orm.Message, job_id=job) == 3
    assert crew.world.count(orm.SyncResult) == 3
    # A partial resend (the tail) replays too.
    assert device.push(batch[1:]).json()["results"] == first.json()["results"][1:]
    assert crew.world.count(orm.Message, job_id=job) == 3


def test_a_rejected_mutation_still_advances_last_mid(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    batch = [
        device.mutation("window.confirm", {"job_id": job, "preferred_window_id": new_id()}),
        device.mutation("message.send", message(job)),
        device.mutation("no.such_command", {}),
        device.mutation("message.send", {"job_id": job}),  # invalid args
    ]
    body = device.push(batch).json()
    assert body["last_mid"] == 4
    statuses = [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert statuses[0] == ("rejected", "window_not_offered")
    assert statuses[1] == ("applied", None)
    assert statuses[2] == ("rejected", "invalid")
    assert statuses[3] == ("rejected", "invalid")
    assert body["results"][0]["error"]["message"]
    # The refusal is stored: a replay answers the same refusal, nothing runs again.
    assert device.push(batch[:1]).json()["results"][0] == body["results"][0]
    assert crew.world.count(orm.Message, job_id=job) == 1


def test_a_gap_stops_the_batch_with_out_of_order(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    first = device.mutation("message.send", message(job))
    assert device.push([first]).json()["last_mid"] == 1
    gap = [device.mutation("message.send", message(job), mid=3),
           device.mutation("message.send", message(job), mid=4)]
    body = device.push(gap).json()
    assert body == {"last_mid": 1, "results": [],
                    "stopped": {"code": "out_of_order", "expected_mid": 2}}
    # Part of a batch before the gap is processed, the rest is not.
    mixed = [first, device.mutation("message.send", message(job), mid=2), gap[1]]
    body = device.push(mixed).json()
    assert [r["mid"] for r in body["results"]] == [1, 2]
    assert body["stopped"] == {"code": "out_of_order", "expected_mid": 3}
    assert body["last_mid"] == 2
    assert crew.world.count(orm.Message, job_id=job) == 2


def test_another_id_under_a_processed_mid_is_mid_conflict(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    original = device.mutation("message.send", message(job, "original"))
    assert device.push([original]).status_code == 200
    impostor = {**device.mutation("message.send", message(job, "impostor"), mid=1)}
    response = device.push([impostor])
    assert response.status_code == 409
    assert response.json()["code"] == "mid_conflict"
    assert response.json()["details"]["mid"] == 1
    assert crew.world.count(orm.Message, job_id=job) == 1
    assert _last_mid(crew.world, device) == 1


def test_unknown_client_starts_at_one_unless_resume_from(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    # The server forgot this install (or never knew it); its first pending mid is 7.
    pending = [device.mutation("message.send", message(job), mid=7),
               device.mutation("message.send", message(job), mid=8)]
    body = device.push(pending).json()
    assert body["stopped"] == {"code": "out_of_order", "expected_mid": 1}
    assert body["last_mid"] == 0
    # The record created by that push has processed nothing: resume_from still counts.
    body = device.push(pending, resume_from=7).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert body["last_mid"] == 8
    # With history, resume_from is ignored (it must never skip or rewind a queue).
    later = device.mutation("message.send", message(job), mid=20)
    body = device.push([later], resume_from=20).json()
    assert body["stopped"] == {"code": "out_of_order", "expected_mid": 9}
    assert body["last_mid"] == 8
    assert crew.world.count(orm.Message, job_id=job) == 2


def test_a_stale_base_version_is_rejected_and_a_current_one_applied(crew: Crew) -> None:
    job = crew.job(crew.tess, status="SCHEDULED")
    version = crew.world.row(orm.Job, job).version
    device = Device(crew.tess)
    stale = device.mutation("job.start", {"job_id": job}, base_version=version - 1)
    body = device.push([stale]).json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["code"] == "stale_base"
    assert body["results"][0]["error"]["details"]["current_version"] == version
    assert crew.world.row(orm.Job, job).status == "SCHEDULED"
    current = device.mutation("job.start", {"job_id": job}, base_version=version)
    body = device.push([current]).json()
    assert body["results"][0]["status"] == "applied", body
    assert body["last_mid"] == 2
    assert crew.world.row(orm.Job, job).status == "IN_PROGRESS"


def test_work_queued_before_a_cancellation_is_refused_as_cancelled_not_stale(
    crew: Crew,
) -> None:
    # The pro saw version v offline; the customer's cancellation moved the job past it.
    # The pro must learn *why* (job_cancelled), not merely that it changed (stale_base).
    job = crew.job(crew.tess, status="SCHEDULED")
    seen = crew.world.row(orm.Job, job).version
    with crew.world.session_factory() as s, s.begin():
        row = s.get_one(orm.Job, job)
        row.status, row.version = "CANCELLED", row.version + 1
    device = Device(crew.tess)
    body = device.push([device.mutation("job.start", {"job_id": job}, base_version=seen)]).json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["code"] == "job_cancelled"


def test_roles_are_checked_as_in_rest(crew: Crew) -> None:
    job = crew.job(crew.tess)
    tech = Device(crew.tess)
    # A customer command through a pro's sync: refused by the registry's role check.
    body = tech.push([tech.mutation("customer.job.cancel", {"job_id": job}),
                      tech.mutation("job.assign", {"job_id": job,
                                                   "technician_ids": [crew.marco.user_id]})
                      ]).json()
    codes = [r["error"]["code"] for r in body["results"]]
    assert codes[1] == "forbidden"  # staff only, checked by the handler
    assert codes[0] == "forbidden"  # a customer command, refused by its roles
    assert body["last_mid"] == 2
    # Marco may not act on Tess's job: it does not exist for him.
    marco = Device(crew.marco)
    body = marco.push([marco.mutation("message.send", message(job))]).json()
    assert body["results"][0]["error"]["code"] == "not_found"
    assert crew.world.count(orm.Message, job_id=job) == 0
    # Customers do not sync at all.
    customer = crew.world.api_user("customer", None)
    assert Device(customer).push([]).status_code == 403
    assert Device(customer).pull().status_code == 403


def test_customer_commands_are_refused_by_role(crew: Crew) -> None:
    from marketplace.commands import registered_commands

    customer_commands = [name for name, spec in registered_commands().items()
                         if spec.roles == frozenset({Role.CUSTOMER})]
    if not customer_commands:
        pytest.skip("no customer commands registered")
    device = Device(crew.owner)
    body = device.push([device.mutation(name, {}) for name in customer_commands]).json()
    assert {r["error"]["code"] for r in body["results"]} == {"forbidden"}


def test_malformed_pushes_are_invalid(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    too_many = [device.mutation("message.send", message(job)) for _ in range(101)]
    response = device.push(too_many)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    unordered = [device.mutation("message.send", message(job), mid=2),
                 device.mutation("message.send", message(job), mid=1)]
    assert device.push(unordered).status_code == 422
    bad_id = [{**device.mutation("message.send", message(job), mid=1), "id": "not-a-uuid"}]
    assert device.push(bad_id).status_code == 422
    device.client_id = "not-a-uuid"
    response = device.push([device.mutation("message.send", message(job), mid=1)])
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert crew.world.count(orm.Message) == 0
    assert crew.world.count(orm.SyncClient) == 0
    # Exactly 100 is fine.
    ok = Device(crew.tess)
    body = ok.push([ok.mutation("message.send", message(job)) for _ in range(100)]).json()
    assert body["last_mid"] == 100


def test_database_trouble_answers_503_and_changes_nothing_of_the_batch(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    batch = [device.mutation("message.send", message(job, "fine")),
             device.mutation("job.start", {"job_id": job}),
             device.mutation("message.send", message(job, "after"))]
    spec = framework.get_command("job.start")
    assert spec is not None

    def broken(_ctx: Any, _args: Any) -> dict[str, Any]:
        raise OperationalError("UPDATE jobs ...", {}, Exception("server closed the connection"))

    monkeypatch.setitem(framework._REGISTRY, "job.start",
                        framework.CommandSpec("job.start", spec.args_model, broken, spec.roles))
    response = device.push(batch)
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    # The batch commits once: the mutation before the failing one is rolled back with
    # it (its effect, its stored result and last_mid alike), and nothing after it ran.
    assert _last_mid(crew.world, device) == 0
    assert crew.world.count(orm.Message, job_id=job) == 0
    assert crew.world.count(orm.IdempotencyRecord) == 0
    assert crew.world.count(orm.SyncResult) == 0
    monkeypatch.undo()
    # The client resends the batch: all of it runs now, each mutation once.
    body = device.push(batch).json()
    assert body["last_mid"] == 3
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert body["results"][1]["error"]["code"] == "invalid_transition"
    assert crew.world.count(orm.Message, job_id=job) == 2


def test_concurrent_duplicate_pushes_apply_each_mutation_once(world: World, crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    batch = PushIn.model_validate(
        {"mutations": [device.mutation("message.send", message(job)) for _ in range(5)]}
    )
    actor = Actor(user_id=crew.tess.user_id, role=Role.TECHNICIAN, business_id=crew.biz)

    def send(_: int) -> PushOut:
        return push(world.session_factory, actor, device.client_id, batch,
                    settings=world.settings, clock=world.clock)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(12)))
    assert {a.last_mid for a in answers} == {5}
    assert len({a.model_dump_json() for a in answers}) == 1
    assert all(r.status == "applied" for r in answers[0].results)
    assert world.count(orm.Message, job_id=job) == 5
    assert world.count(orm.SyncResult) == 5
    assert world.count(orm.SyncClient) == 1


def test_the_same_action_by_rest_and_by_sync_happens_once(crew: Crew) -> None:
    job = crew.job(crew.tess)
    args = message(job, "sent twice")
    key = new_id()
    rest = crew.tess.command("/v1/messages", dict(args), key=key)
    assert rest.status_code == 201
    device = Device(crew.tess)
    body = device.push([device.mutation("message.send", args, mutation_id=key)]).json()
    assert body["results"][0]["status"] == "applied"
    assert body["results"][0]["result"] == rest.json()
    assert crew.world.count(orm.Message, job_id=job) == 1


def test_the_same_action_with_its_defaults_left_out_is_still_the_same(crew: Crew) -> None:
    # A device's push leaves out arguments at their defaults (proapp.domain.wire); a REST
    # client may spell them out. Same key, same action: one message, not a mismatch.
    job = crew.job(crew.tess)
    whole = {**message(job, "with defaults"), "request_id": None}
    key = new_id()
    rest = crew.tess.command("/v1/messages", dict(whole), key=key)
    assert rest.status_code == 201
    device = Device(crew.tess)
    stripped = strip_defaults("message.send", whole)
    assert "request_id" not in stripped
    body = device.push([device.mutation("message.send", stripped, mutation_id=key)]).json()
    assert body["results"][0]["status"] == "applied", body
    assert body["results"][0]["result"] == rest.json()
    assert crew.world.count(orm.Message, job_id=job) == 1
    # Another body under the same key is still refused.
    changed = crew.tess.command("/v1/messages", {**whole, "body": "changed"}, key=key)
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_mismatch"


def test_results_are_kept_30_days_then_pruned(crew: Crew, world: World) -> None:
    from datetime import timedelta

    from marketplace.sync import prune_sync_results

    job = crew.job(crew.tess)
    device = Device(crew.tess)
    old = device.mutation("message.send", message(job))
    device.push([old])
    world.clock.advance(days=20)
    crew.tess.renew()
    device.push([device.mutation("message.send", message(job))])
    with world.session_factory() as s, s.begin():
        assert prune_sync_results(s, world.clock()) == 0
        assert prune_sync_results(s, world.clock() + timedelta(days=10, seconds=1)) == 1
    assert world.count(orm.SyncResult) == 1
    assert _last_mid(world, device) == 2  # the install's position is never pruned
    # A pruned mid is not run again: its outcome is unknown, so it is refused.
    body = device.push([old]).json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["details"]["reason"] == "result_unknown"
    assert crew.world.count(orm.Message, job_id=job) == 2


def test_pull_answers_503_when_the_database_fails(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace import sync

    def broken(*_args: Any) -> Any:
        raise OperationalError("SELECT ...", {}, Exception("connection refused"))

    monkeypatch.setattr(sync, "_pull_page", broken)
    response = Device(crew.tess).pull()
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response.headers["Retry-After"] == "2"
