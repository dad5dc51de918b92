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


def test_pull_pages_are_gzipped_when_accepted_and_big_enough(crew: Crew) -> None:
    for _ in range(3):
        crew.job(crew.tess)
    device = Device(crew.tess)
    headers = {**crew.tess.headers, "X-Client-Id": device.client_id}
    plain = crew.tess.client.get("/v1/sync/pull", headers={**headers,
                                                           "Accept-Encoding": "identity"})
    packed = crew.tess.client.get("/v1/sync/pull", headers={**headers,
                                                            "Accept-Encoding": "br, gzip"})
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    # httpx inflated it: the same page, and far fewer bytes on the wire.
    assert packed.json() == plain.json() and len(plain.content) > 1024
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    # An idle answer is tiny: gzip's frame would only add to it.
    idle = crew.tess.client.get("/v1/sync/pull", params={"cursor": plain.json()["cursor"]},
                                headers={**headers, "Accept-Encoding": "gzip"})
    assert idle.json()["changes"] == [] and "content-encoding" not in idle.headers
