"""The pull endpoint renders its JSON straight from the domain models
(`marketplace.sync.pull_json`); it must be exactly the `PullOut` that `pull` returns."""

from __future__ import annotations

import json

from sqlalchemy import select

from marketplace import orm
from marketplace.authz import Actor
from marketplace.sync import PullOut, pull, pull_json
from tests.integration.server.world import World
from tests.integration.sync_server.conftest import Crew, Device, message


def test_rendered_pages_equal_the_pull_model(crew: Crew, world: World) -> None:
    jobs = [crew.job(crew.tess) for _ in range(3)]
    world.request(crew.biz, crew.customer_id)
    device = Device(crew.tess)
    for job in jobs:
        assert device.push([device.mutation("message.send", message(job, "é \" ✓"))]
                           ).status_code == 200
    engine = world.client.app.state.engine  # type: ignore[attr-defined]
    with world.session_factory() as session:
        actor = Actor.from_user(session.scalars(
            select(orm.User).where(orm.User.id == crew.tess.user_id)).one())
    cursor: str | None = None
    kinds: set[str] = set()
    for _ in range(50):
        rendered = pull_json(engine, world.session_factory, actor, device.client_id, cursor, 2)
        model = pull(engine, world.session_factory, actor, device.client_id, cursor, 2)
        assert json.loads(rendered) == json.loads(model.model_dump_json())
        assert PullOut.model_validate_json(rendered) == model
        kinds |= {c.kind for c in model.changes}
        cursor = model.cursor
        if not model.has_more:
            break
    assert {"job", "message", "request"} <= kinds
    # And the endpoint answers the same bytes' meaning.
    answer = device.pull(limit=1000).json()
    assert answer["last_mid"] == 3
    assert {c["id"] for c in answer["changes"] if c["kind"] == "job"} == set(jobs)
