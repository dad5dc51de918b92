"""GET /v1/sync/pull: a paged first snapshot, then deduplicated changes, scoped by the
same authorization as the REST reads (docs/SYNC.md). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from marketplace import orm
from tests.integration.server.world import World, new_id
from tests.integration.sync_server.conftest import Crew, Device, message


def _ids(changes: list[dict[str, Any]], kind: str, op: str = "upsert") -> list[str]:
    return [c["id"] for c in changes if c["kind"] == kind and c["op"] == op]


def _send(crew: Crew, job: str, message_id: str | None = None, body: str = "hi") -> str:
    mid = message_id or new_id()
    response = crew.owner.command("/v1/messages", message(job, body, mid))
    assert response.status_code == 201, response.text
    return mid


def test_first_pull_is_a_snapshot_of_what_i_may_see(crew: Crew, world: World) -> None:
    mine = [crew.job(crew.tess) for _ in range(4)]
    shared = crew.job(crew.tess, crew.marco)
    marcos = [crew.job(crew.marco) for _ in range(3)]
    unassigned = crew.job()
    request = world.request(crew.biz, crew.customer_id)
    my_message = _send(crew, mine[0])
    marcos_message = _send(crew, marcos[0])
    other_biz = world.business()
    foreign_job = world.job(other_biz, crew.customer_id, technicians=[])
    foreign_request = world.request(other_biz, crew.customer_id)

    changes, _, pages = Device(crew.tess).pull_all(limit=3)
    assert len(pages) >= 3  # it really paged
    assert all(len(p["changes"]) <= 3 for p in pages)
    keys = [(c["kind"], c["id"]) for c in changes]
    assert len(keys) == len(set(keys)), "an entity was sent twice in the snapshot"
    assert sorted(_ids(changes, "job")) == sorted([*mine, shared])
    assert _ids(changes, "request") == [request]
    assert _ids(changes, "message") == [my_message]
    everything = {c["id"] for c in changes}
    for hidden in (*marcos, unassigned, foreign_job, foreign_request, marcos_message):
        assert hidden not in everything
    job = next(c for c in changes if c["id"] == mine[0])
    # The same serializer as GET /v1/jobs/{id}, and the job's version column.
    assert job["data"] == crew.tess.get(f"/v1/jobs/{mine[0]}").json()
    assert job["version"] == world.row(orm.Job, mine[0]).version
    msg = next(c for c in changes if c["kind"] == "message")
    assert isinstance(msg["version"], int) and msg["version"] > 0  # its change seq

    # Staff see the whole business (and still nothing of the other one).
    staff, _, _ = Device(crew.owner).pull_all(limit=4)
    assert sorted(_ids(staff, "job")) == sorted([*mine, shared, *marcos, unassigned])
    assert sorted(_ids(staff, "message")) == sorted([my_message, marcos_message])
    assert foreign_job not in {c["id"] for c in staff}


def test_unassigned_jobs_follow_the_business_setting(world: World) -> None:
    biz = world.business(technicians_see_unassigned=True)
    customer_id, _ = world.user("customer", None)
    tech = world.api_user("technician", biz)
    other = world.api_user("technician", biz)
    unassigned = world.job(biz, customer_id)
    others = world.job(biz, customer_id, technicians=[other.user_id])
    changes, _, _ = Device(tech).pull_all()
    assert _ids(changes, "job") == [unassigned]
    assert others not in {c["id"] for c in changes}


def test_snapshot_pages_miss_nothing_while_writes_happen(crew: Crew) -> None:
    job = crew.job(crew.tess)
    before = [_send(crew, job) for _ in range(6)]
    device = Device(crew.owner)
    written: list[str] = []
    cursor: str | None = None
    seen: list[dict[str, Any]] = []
    snapshot_keys: list[tuple[str, str]] = []
    in_snapshot = True
    for page_number in range(100):
        response = device.pull(cursor, limit=2)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["changes"]
        if in_snapshot:
            snapshot_keys += [(c["kind"], c["id"]) for c in page["changes"]]
        in_snapshot = in_snapshot and "p" in _cursor_state(page["cursor"])
        cursor = page["cursor"]
        if page_number < 6:
            # Between pages: new messages whose ids sort before and after the pages
            # already read, and an edit of the job.
            written.append(_send(crew, job, f"00000000-0000-4000-8000-{page_number:012d}"))
            written.append(_send(crew, job, f"ffffffff-ffff-4fff-8fff-{page_number:012d}"))
        if not page["has_more"]:
            break
    assert len(snapshot_keys) == len(set(snapshot_keys)), "duplicated within the snapshot"
    assert sorted(set(_ids(seen, "message"))) == sorted([*before, *written])
    # Idle afterwards.
    assert device.pull(cursor).json()["changes"] == []


def test_snapshot_with_concurrent_writer_thread(crew: Crew) -> None:
    job = crew.job(crew.tess)
    for _ in range(5):
        _send(crew, job)
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        while not stop.is_set() and len(written) < 40:
            written.append(_send(crew, job))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        changes, cursor, pages = Device(crew.owner).pull_all(limit=3)
    finally:
        stop.set()
        thread.join()
    # Whatever the writer managed after the pull finished arrives in the next pull.
    rest, _, _ = Device(crew.owner).pull_all(cursor)
    with crew.world.session_factory() as s:
        from sqlalchemy import select

        stored = set(s.scalars(select(orm.Message.id).where(orm.Message.job_id == job)))
    assert set(_ids(changes + rest, "message")) == stored
    assert len(pages) > 1


def _cursor_state(cursor: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return state


def test_changes_after_the_cursor_are_deduplicated_and_current(crew: Crew) -> None:
    job = crew.job(crew.tess, status="SCHEDULED")
    device = Device(crew.tess)
    _, cursor, _ = device.pull_all()
    idle = device.pull(cursor)
    assert idle.json() == {"changes": [], "cursor": cursor, "has_more": False, "last_mid": 0}
    # An idle pull is small on the wire, headers included.
    wire = len(idle.content) + sum(len(k) + len(v) + 4 for k, v in idle.headers.items())
    assert wire < 1024, wire

    first = _send(crew, job, body="one")
    push = device.push([device.mutation("job.start", {"job_id": job}),
                        device.mutation("message.send", message(job, "two"))]).json()
    assert push["last_mid"] == 2
    changes, cursor2, _ = device.pull_all(cursor)
    assert [(c["kind"], c["op"]) for c in changes] == [
        ("message", "upsert"), ("job", "upsert"), ("message", "upsert")]
    assert changes[0]["id"] == first
    job_change = changes[1]
    assert job_change["data"]["status"] == "IN_PROGRESS"
    assert job_change["version"] == crew.world.row(orm.Job, job).version
    # last_mid of this install, read with the page.
    assert device.pull(cursor2).json()["last_mid"] == 2
    # Several changes of one entity arrive once, in its latest state.
    for team in ([crew.tess], [crew.tess, crew.marco], [crew.tess]):
        response = crew.owner.command(f"/v1/jobs/{job}/assign",
                                      {"technician_ids": [t.user_id for t in team]})
        assert response.status_code == 200, response.text
    changes, _, _ = device.pull_all(cursor2)
    assert [(c["kind"], c["id"]) for c in changes if c["kind"] == "job"] == [("job", job)]
    assert changes[0]["version"] == crew.world.row(orm.Job, job).version
    # A technician gets the job's messages with it (it might be newly assigned).
    assert sorted(_ids(changes, "message")) == sorted(
        c["id"] for c in Device(crew.owner).pull_all()[0] if c["kind"] == "message")
    staff = Device(crew.owner)
    _, staff_cursor, _ = staff.pull_all()
    crew.owner.command(f"/v1/jobs/{job}/assign", {"technician_ids": [crew.tess.user_id]})
    assert [c["kind"] for c in staff.pull_all(staff_cursor)[0]] == ["job"]


def test_reassignment_arrives_as_delete_and_other_businesses_never(
    crew: Crew, world: World
) -> None:
    job = crew.job(crew.tess, status="SCHEDULED")
    tess_message = _send(crew, job)
    marcos = crew.job(crew.marco)
    tess, marco = Device(crew.tess), Device(crew.marco)
    _, tess_cursor, _ = tess.pull_all()
    _, marco_cursor, _ = marco.pull_all()
    # Activity on Marco's job, and in another business, reaches Tess as nothing at all.
    other_biz = world.business()
    other_owner = world.api_user("owner", other_biz)
    foreign = world.job(other_biz, crew.customer_id)
    assert other_owner.command("/v1/messages", message(foreign)).status_code == 201
    marcos_message = _send(crew, marcos)
    changes, tess_cursor, _ = tess.pull_all(tess_cursor)
    assert changes == []
    changes, marco_cursor, _ = marco.pull_all(marco_cursor)
    assert _ids(changes, "message") == [marcos_message]

    assigned = crew.owner.command(f"/v1/jobs/{job}/assign",
                                  {"technician_ids": [crew.marco.user_id]})
    assert assigned.status_code == 200, assigned.text
    changes, _, _ = tess.pull_all(tess_cursor)
    assert changes == [{"kind": "job", "id": job, "op": "delete", "version": None,
                        "data": None}]
    changes, _, _ = marco.pull_all(marco_cursor)
    gained = [c for c in changes if c["id"] == job]
    assert gained and gained[0]["op"] == "upsert"
    assert gained[0]["data"]["id"] == job
    # The job's history, written before Marco could see it, comes with it.
    assert _ids(changes, "message") == [tess_message]


def test_bad_cursors_and_limits_are_invalid(crew: Crew) -> None:
    device = Device(crew.tess)
    for cursor in ("not base64!", "eyJ2IjoyfQ", base64.urlsafe_b64encode(b"[]").decode()):
        response = device.pull(cursor)
        assert response.status_code == 422, cursor
        assert response.json()["code"] == "invalid"
    assert device.pull(limit=0).status_code == 422
    assert device.pull(limit=1001).status_code == 422
    device.client_id = "nope"
    assert device.pull().status_code == 422
