"""What one push batch shares (`CommandBatch`, `remember_visible_jobs`, handlers without
a savepoint) must not change any outcome: refusals stay isolated, the change feed stays
gap-free and in order, a key used twice in a batch replays. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from marketplace import orm
from marketplace.authz import Actor, load_job, remember_visible_jobs
from marketplace.commands import framework
from marketplace.commands.framework import CommandBatch, CommandContext, execute_command
from proapp.domain import DomainError, ErrorCode
from tests.integration.server.world import World, new_id
from tests.integration.sync_server.conftest import Crew, Device, message


def _feed(world: World, business_id: str) -> list[tuple[int, str, str]]:
    with world.session_factory() as s:
        rows = s.execute(select(orm.Change.seq, orm.Change.entity, orm.Change.entity_id)
                         .where(orm.Change.business_id == business_id)
                         .order_by(orm.Change.seq)).all()
    return [(int(seq), entity, entity_id) for seq, entity, entity_id in rows]


def test_refusals_in_a_batch_keep_their_neighbours_and_the_feed_gap_free(
    crew: Crew, world: World
) -> None:
    mine = crew.job(crew.tess)
    marcos = crew.job(crew.marco)  # not visible to Tess: not_found
    device = Device(crew.tess)
    first = message(mine, "one")
    before = _feed(world, crew.biz)
    batch = [
        device.mutation("message.send", first),
        device.mutation("message.send", message(marcos, "not mine")),
        device.mutation("message.send", message(mine, "two")),
        device.mutation("message.send", message(mine, "dup", first["message_id"])),
        device.mutation("message.send", message(mine, "three")),
    ]
    response = device.push(batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["status"], (r["error"] or {}).get("code")) for r in results] == [
        ("applied", None), ("rejected", "not_found"), ("applied", None),
        ("rejected", "conflict"), ("applied", None),
    ]
    with world.session_factory() as s:
        bodies = sorted(s.scalars(select(orm.Message.body)
                                  .where(orm.Message.job_id == mine)).all())
        assert bodies == ["one", "three", "two"]
        assert s.scalar(select(orm.Message.id).where(orm.Message.job_id == marcos)) is None
        seq = s.scalar(select(orm.Business.change_seq).where(orm.Business.id == crew.biz))
    feed = _feed(world, crew.biz)[len(before):]
    applied_ids = [m["args"]["message_id"] for m, r in zip(batch, results, strict=True)
                   if r["status"] == "applied"]
    # One entry per applied command, numbered on from the feed's head, in their order.
    start = before[-1][0] + 1 if before else 1
    assert feed == [(start + i, "message", mid) for i, mid in enumerate(applied_ids)]
    assert seq == feed[-1][0]
    # Replaying the batch answers the same, changes nothing.
    again = device.push(batch).json()["results"]
    assert again == results
    assert _feed(world, crew.biz)[len(before):] == feed


def test_a_message_id_taken_before_the_batch_is_refused_and_writes_nothing(
    crew: Crew, world: World
) -> None:
    # message.send writes with INSERT ... ON CONFLICT DO NOTHING and no savepoint: a
    # taken id (committed by an earlier REST call under another key) is a refusal
    # that changed nothing, and the batch around it goes on.
    job = crew.job(crew.tess)
    taken = message(job, "first, by REST")
    assert crew.tess.command("/v1/messages", taken).status_code == 201
    again = crew.tess.command("/v1/messages", message(job, "same id", taken["message_id"]))
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    device = Device(crew.tess)
    before = _feed(world, crew.biz)
    batch = [device.mutation("message.send", message(job, "one")),
             device.mutation("message.send", message(job, "dup", taken["message_id"])),
             device.mutation("message.send", message(job, "two"))]
    results = device.push(batch).json()["results"]
    assert [(r["status"], (r["error"] or {}).get("code")) for r in results] == [
        ("applied", None), ("rejected", "conflict"), ("applied", None)]
    with world.session_factory() as s:
        assert s.get_one(orm.Message, taken["message_id"]).body == "first, by REST"
        bodies = sorted(s.scalars(select(orm.Message.body)
                                  .where(orm.Message.job_id == job)).all())
    assert bodies == ["first, by REST", "one", "two"]
    assert [entity_id for _seq, _entity, entity_id in _feed(world, crew.biz)[len(before):]] == [
        batch[0]["args"]["message_id"], batch[2]["args"]["message_id"]]


def test_a_key_used_twice_in_one_batch_replays_the_first_outcome(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    args = message(job, "hello")
    key = new_id()
    batch = [device.mutation("message.send", args, mutation_id=key),
             device.mutation("message.send", args, mutation_id=key),
             device.mutation("message.send", message(job, "other"), mutation_id=key)]
    results = device.push(batch).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert results[1]["result"] == results[0]["result"]
    assert results[2]["error"]["code"] == "idempotency_mismatch"


def _actor(world: World, user_id: str) -> Actor:
    with world.session_factory() as s:
        return Actor.from_user(s.get_one(orm.User, user_id))


def test_remembered_visibility_is_forgotten_when_assignments_change(
    crew: Crew, world: World
) -> None:
    job = crew.job(crew.tess)
    tess = _actor(world, crew.tess.user_id)
    with world.session_factory() as s, s.begin(), remember_visible_jobs(s):
        assert load_job(s, tess, job).id == job
        assert load_job(s, tess, job).id == job  # remembered
        s.execute(delete(orm.JobAssignment).where(orm.JobAssignment.job_id == job))
        with pytest.raises(DomainError) as caught:
            load_job(s, tess, job)
        assert caught.value.code == ErrorCode.NOT_FOUND
        s.rollback()
    with world.session_factory() as s, s.begin(), remember_visible_jobs(s):
        assert load_job(s, tess, job).id == job
        s.add(orm.JobAssignment(job_id=job, user_id=crew.marco.user_id, position=1,
                                assigned_at=world.clock(), assigned_by=crew.owner.user_id))
        s.flush()
        for row in s.scalars(select(orm.JobAssignment).where(
                orm.JobAssignment.job_id == job, orm.JobAssignment.user_id == tess.user_id)):
            s.delete(row)
        with pytest.raises(DomainError):
            load_job(s, tess, job)  # the ORM delete is flushed first, and forgets


def test_a_handler_without_savepoint_that_refuses_after_writing_fails_the_transaction(
    crew: Crew, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = crew.job(crew.tess)
    spec = framework.get_command("message.send")
    assert spec is not None and spec.savepoint is False

    def writes_then_refuses(ctx: CommandContext, args: Any) -> dict[str, Any]:
        ctx.insert_row(orm.Message, {
            "id": args.message_id, "business_id": crew.biz, "job_id": job, "request_id": None,
            "author_id": ctx.actor.user_id, "author_role": "PRO", "body": "x",
            "sent_at": ctx.now})
        raise DomainError(ErrorCode.CONFLICT, "too late")

    monkeypatch.setitem(framework._REGISTRY, "message.send",
                        framework.CommandSpec("message.send", spec.args_model,
                                              writes_then_refuses, spec.roles, 201, False))
    tess = _actor(world, crew.tess.user_id)
    args = message(job, "x")
    with world.session_factory() as s, s.begin():
        batch = CommandBatch(tess)
        with pytest.raises(RuntimeError, match="refused after writing"):
            execute_command(s, tess, "message.send", args, new_id(),
                            settings=world.settings, clock=world.clock, batch=batch)
        s.rollback()
    assert world.row(orm.Message, args["message_id"]) is None
