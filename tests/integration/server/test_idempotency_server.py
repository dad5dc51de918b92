"""Idempotency of commands, and the command framework's transaction contract."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from marketplace import orm
from marketplace.authz import Actor
from marketplace.commands import execute_command
from proapp.domain import Role
from tests.integration.server.world import World, new_id


def _setup(world: World) -> tuple[Any, str]:
    biz = world.business()
    tech = world.api_user("technician", biz)
    customer_id, _ = world.user("customer", None)
    return tech, world.job(biz, customer_id, technicians=[tech.user_id])


def test_same_key_same_body_replays_the_stored_result_once(world: World) -> None:
    tech, job_id = _setup(world)
    key = new_id()
    body = {"message_id": new_id(), "job_id": job_id, "body": "On my way"}
    first = tech.command("/v1/messages", body, key=key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Same JSON, different key order and spacing: still the same request.
    second = tech.client.post(
        "/v1/messages",
        content=b'{"body": "On my way",  "job_id": "%s", "message_id": "%s"}'
        % (job_id.encode(), body["message_id"].encode()),
        headers={**tech.headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert world.count(orm.Message) == 1
    assert world.count(orm.IdempotencyRecord) == 1


def test_same_key_different_body_is_refused(world: World) -> None:
    tech, job_id = _setup(world)
    key = new_id()
    body = {"message_id": new_id(), "job_id": job_id, "body": "On my way"}
    assert tech.command("/v1/messages", body, key=key).status_code == 201
    changed = tech.command("/v1/messages", {**body, "body": "Running late"}, key=key)
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_mismatch"
    # Another command under the same key is refused too.
    other = tech.command(f"/v1/jobs/{job_id}/start", key=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_mismatch"
    assert world.count(orm.Message) == 1
    # The original stays authoritative.
    assert tech.command("/v1/messages", body, key=key).status_code == 201


def test_a_refusal_is_replayed_too(world: World) -> None:
    tech, job_id = _setup(world)  # PENDING_SCHEDULE: cannot start
    key = new_id()
    first = tech.command(f"/v1/jobs/{job_id}/start", key=key)
    assert first.status_code == 409
    with world.session_factory() as s, s.begin():
        s.get_one(orm.Job, job_id).status = "SCHEDULED"
        s.add(orm.Appointment(id=new_id(), job_id=job_id, start_at=world.clock(),
                              end_at=world.clock().replace(hour=18), status="ACTIVE",
                              created_at=world.clock()))
    # Same key: the stored refusal, even though the job could start now...
    replay = tech.command(f"/v1/jobs/{job_id}/start", key=key)
    assert replay.status_code == 409 and replay.json() == first.json()
    # ...and a new key runs it afresh.
    assert tech.command(f"/v1/jobs/{job_id}/start").status_code == 200


def test_keys_are_scoped_per_user(world: World) -> None:
    tech, job_id = _setup(world)
    owner = world.api_user("owner", world.row(orm.Job, job_id).business_id)
    key = new_id()
    assert tech.command("/v1/messages", {"message_id": new_id(), "job_id": job_id,
                                         "body": "a"}, key=key).status_code == 201
    theirs = owner.command("/v1/messages", {"message_id": new_id(), "job_id": job_id,
                                            "body": "b"}, key=key)
    assert theirs.status_code == 201
    assert world.count(orm.Message) == 2


@pytest.mark.parametrize("key", [None, ""])
def test_commands_require_an_idempotency_key(world: World, key: str | None) -> None:
    tech, job_id = _setup(world)
    headers = dict(tech.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = tech.client.post(f"/v1/jobs/{job_id}/start", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "Idempotency-Key" in str(response.json()["details"])


def test_execute_command_runs_in_the_callers_transaction(world: World) -> None:
    """The sync push will call execute_command inside its own transaction (and store
    last_mid there): nothing may be committed by execute_command itself."""
    tech, job_id = _setup(world)
    actor = Actor(user_id=tech.user_id, role=Role.TECHNICIAN,
                  business_id=world.row(orm.Job, job_id).business_id)
    args = {"message_id": new_id(), "job_id": job_id, "body": "draft"}
    with world.session_factory() as session:
        session.begin()
        outcome = execute_command(session, actor, "message.send", args, "k1",
                                  settings=world.settings, clock=world.clock)
        assert outcome.status_code == 201 and not outcome.replayed
        session.rollback()  # the caller decides: roll everything back
    assert world.count(orm.Message) == 0
    assert world.count(orm.IdempotencyRecord) == 0
    assert world.count(orm.Change) == 0

    with world.session_factory() as session, session.begin():
        outcome = execute_command(session, actor, "message.send", args, "k1",
                                  settings=world.settings, clock=world.clock)
        replay = execute_command(session, actor, "message.send", args, "k1",
                                 settings=world.settings, clock=world.clock)
    assert outcome.applied and replay.replayed and replay.body == outcome.body
    assert world.count(orm.Message) == 1


def test_refused_command_keeps_nothing_but_its_record(world: World) -> None:
    tech, job_id = _setup(world)
    actor = Actor(user_id=tech.user_id, role=Role.TECHNICIAN,
                  business_id=world.row(orm.Job, job_id).business_id)
    with world.session_factory() as session, session.begin():
        outcome = execute_command(
            session, actor, "job.start", {"job_id": job_id}, "k2",
            settings=world.settings, clock=world.clock,
        )
    assert outcome.status_code == 409 and outcome.error_code == "invalid_transition"
    with world.session_factory() as session:
        job = session.get_one(orm.Job, job_id)
        record = session.scalars(select(orm.IdempotencyRecord)).one()
    assert job.status == "PENDING_SCHEDULE" and job.version == 1
    assert record.status_code == 409 and record.response["code"] == "invalid_transition"


def test_unknown_command_and_stale_base(world: World) -> None:
    tech, job_id = _setup(world)
    actor = Actor(user_id=tech.user_id, role=Role.TECHNICIAN,
                  business_id=world.row(orm.Job, job_id).business_id)
    with world.session_factory() as session, session.begin():
        unknown = execute_command(session, actor, "job.teleport", {}, "k3",
                                  settings=world.settings, clock=world.clock)
        stale = execute_command(
            session, actor, "message.send",
            {"message_id": new_id(), "job_id": job_id, "body": "x"}, "k4",
            settings=world.settings, clock=world.clock, base_version=0,
        )
        window = execute_command(
            session, actor, "window.propose",
            {"job_id": job_id, "window": {"start": "2026-11-20T16:00:00Z",
                                          "end": "2026-11-20T18:00:00Z"}},
            "k5", settings=world.settings, clock=world.clock, base_version=0,
        )
    assert unknown.status_code == 422 and unknown.error_code == "invalid"
    assert stale.applied  # messages have no base version to check
    assert window.status_code == 409 and window.error_code == "stale_base"
