"""The per-business change feed the sync pull will read, and commands under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from marketplace import orm
from marketplace.authz import Actor
from marketplace.commands import run_command
from proapp.domain import Role
from tests.integration.server.world import World, new_id


def test_changes_are_gap_free_per_business(world: World) -> None:
    biz_a, biz_b = world.business(), world.business()
    owner_a = world.api_user("owner", biz_a)
    owner_b = world.api_user("owner", biz_b)
    customer_id, _ = world.user("customer", None)
    job_a = world.job(biz_a, customer_id)
    job_b = world.job(biz_b, customer_id)
    for _ in range(3):
        for owner, job in ((owner_a, job_a), (owner_b, job_b)):
            response = owner.command("/v1/messages", {"message_id": new_id(), "job_id": job,
                                                      "body": "ping"})
            assert response.status_code == 201
    window = owner_a.get(f"/v1/jobs/{job_a}").json()["preferred_windows"][0]["id"]
    assert owner_a.command(f"/v1/jobs/{job_a}/window/confirm",
                           {"preferred_window_id": window}).status_code == 200
    # A refused command changes nothing, so it records no change either.
    assert owner_a.command(f"/v1/jobs/{job_a}/window/confirm",
                           {"preferred_window_id": window}).status_code == 409
    with world.session_factory() as s:
        feed_a = s.execute(select(orm.Change.seq, orm.Change.entity, orm.Change.entity_id)
                           .where(orm.Change.business_id == biz_a)
                           .order_by(orm.Change.seq)).all()
        feed_b = s.scalars(select(orm.Change.seq).where(orm.Change.business_id == biz_b)
                           .order_by(orm.Change.seq)).all()
        assert s.get_one(orm.Business, biz_a).change_seq == 4
    assert [row.seq for row in feed_a] == [1, 2, 3, 4]
    assert [row.entity for row in feed_a] == ["message", "message", "message", "job"]
    assert feed_a[-1].entity_id == job_a
    assert list(feed_b) == [1, 2, 3]


def test_concurrent_retries_with_one_key_apply_once(world: World) -> None:
    biz = world.business()
    owner_id, _ = world.user("owner", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    actor = Actor(user_id=owner_id, role=Role.OWNER, business_id=biz)
    args = {"message_id": new_id(), "job_id": job_id, "body": "once"}

    def send(_: int) -> tuple[int, dict[str, object]]:
        outcome = run_command(world.session_factory, actor, "message.send", args, "same-key",
                              settings=world.settings, clock=world.clock)
        return outcome.status_code, outcome.body

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(12)))
    assert {status for status, _ in results} == {201}
    assert len({str(body) for _, body in results}) == 1
    assert world.count(orm.Message) == 1
    assert world.count(orm.IdempotencyRecord) == 1


def test_concurrent_commands_on_one_job_serialise(world: World) -> None:
    biz = world.business()
    owner_id, _ = world.user("owner", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    window_ids = [w.id for w in _windows(world, job_id)]
    actor = Actor(user_id=owner_id, role=Role.OWNER, business_id=biz)

    def confirm(window_id: str) -> int:
        return run_command(world.session_factory, actor, "window.confirm",
                           {"job_id": job_id, "preferred_window_id": window_id}, new_id(),
                           settings=world.settings, clock=world.clock).status_code

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = sorted(pool.map(confirm, window_ids))
    # Exactly one confirmation wins; the others see a SCHEDULED job.
    assert statuses == [200, 409, 409]
    assert world.count(orm.Appointment, job_id=job_id) == 1
    assert world.row(orm.Job, job_id).version == 2


def _windows(world: World, job_id: str) -> list[orm.PreferredWindow]:
    with world.session_factory() as s:
        return list(s.scalars(select(orm.PreferredWindow)
                              .where(orm.PreferredWindow.job_id == job_id)).all())


def test_reads_do_not_wait_for_an_open_write(world: World) -> None:
    import time

    from sqlalchemy import update

    from marketplace.db import make_engine

    biz = world.business()
    owner = world.api_user("owner", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    engine = make_engine(world.settings.database_url)
    try:
        with engine.connect() as writer:
            writer.begin()
            writer.execute(update(orm.Job).where(orm.Job.id == job_id).values(scope="busy"))
            started = time.monotonic()
            response = owner.get(f"/v1/jobs/{job_id}")
            elapsed = time.monotonic() - started
            writer.rollback()
    finally:
        engine.dispose()
    assert response.status_code == 200
    assert response.json()["scope"] == ""  # the uncommitted write is not visible
    assert elapsed < 2.0  # not queued behind the writer (busy timeout is 10 s)
