"""The office kinds of the sync feed: reviews (R11), compliance documents (R13) and team
members, scoped like everything else (docs/SYNC.md): staff get their business's, a
technician only what is theirs, another business's never reaches a device."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

from marketplace import orm
from marketplace.sync import SYNC_KINDS
from tests.integration.server.world import World, new_id
from tests.integration.sync_server.conftest import Crew, Device


def _ids(changes: list[dict[str, Any]], kind: str) -> set[str]:
    return {c["id"] for c in changes if c["kind"] == kind and c["op"] == "upsert"}


def _review(world: World, biz: str, job_id: str, customer_id: str,
            technician_id: str | None, rating: int = 5) -> str:
    rid = new_id()
    with world.session_factory() as s, s.begin():
        s.add(orm.Review(id=rid, job_id=job_id, business_id=biz, customer_id=customer_id,
                         technician_id=technician_id, rating=rating, comment="Great work",
                         created_at=world.clock()))
    return rid


def _document(world: World, biz: str, user_id: str, kind: str = "INSURANCE",
              expires_in_days: int | None = 20) -> str:
    did = new_id()
    expires = None if expires_in_days is None else date(2026, 12, 1) + timedelta(
        days=expires_in_days)
    with world.session_factory() as s, s.begin():
        s.add(orm.ComplianceDocument(id=did, business_id=biz, user_id=user_id, kind=kind,
                                     number="INS-1", issuer="Acme Mutual",
                                     expires_on=expires, verified=True))
    return did


def _office_world(crew: Crew, world: World) -> dict[str, Any]:
    tess_job = crew.job(crew.tess, status="COMPLETED", appointment=True)
    marco_job = crew.job(crew.marco, status="COMPLETED", appointment=True)
    other_biz = world.business()
    other_tech, _ = world.user("technician", other_biz)
    other_job = world.job(other_biz, crew.customer_id, technicians=[other_tech],
                          status="COMPLETED", appointment=True)
    return {
        "tess_review": _review(world, crew.biz, tess_job, crew.customer_id, crew.tess.user_id),
        "marco_review": _review(world, crew.biz, marco_job, crew.customer_id,
                                crew.marco.user_id, rating=3),
        "other_review": _review(world, other_biz, other_job, crew.customer_id, other_tech),
        "tess_doc": _document(world, crew.biz, crew.tess.user_id),
        "marco_doc": _document(world, crew.biz, crew.marco.user_id, "LICENSE", None),
        "other_doc": _document(world, other_biz, other_tech),
        "other_tech": other_tech,
    }


def test_staff_get_their_business_reviews_documents_and_team(crew: Crew, world: World) -> None:
    made = _office_world(crew, world)
    changes, _, _ = Device(crew.owner).pull_all(limit=5)

    assert _ids(changes, "review") == {made["tess_review"], made["marco_review"]}
    assert _ids(changes, "compliance_document") == {made["tess_doc"], made["marco_doc"]}
    team = {c["id"]: c["data"] for c in changes if c["kind"] == "team_member"}
    assert set(team) == {crew.owner.user_id, crew.tess.user_id, crew.marco.user_id}
    tess = team[crew.tess.user_id]
    assert tess["role"] == "technician" and tess["active"] is True
    assert set(tess) == {"id", "email", "name", "role", "business_id", "active"}  # no hash
    assert crew.customer_id not in team  # customers are not team members

    everything = {c["id"] for c in changes}
    for foreign in (made["other_review"], made["other_doc"], made["other_tech"]):
        assert foreign not in everything
    doc = next(c for c in changes if c["id"] == made["marco_doc"])
    assert doc["data"]["kind"] == "LICENSE" and doc["data"]["expires_on"] is None
    review = next(c for c in changes if c["id"] == made["marco_review"])
    assert review["data"]["rating"] == 3 and review["data"]["technician_id"] == crew.marco.user_id


def test_a_technician_gets_only_their_own(crew: Crew, world: World) -> None:
    made = _office_world(crew, world)
    changes, _, _ = Device(crew.tess).pull_all(limit=4)

    assert _ids(changes, "review") == {made["tess_review"]}
    assert _ids(changes, "compliance_document") == {made["tess_doc"]}
    assert _ids(changes, "team_member") == {crew.tess.user_id}
    everything = {c["id"] for c in changes}
    for hidden in (made["marco_review"], made["marco_doc"], crew.marco.user_id,
                   made["other_review"], made["other_doc"]):
        assert hidden not in everything


def test_a_new_review_arrives_through_the_change_feed(crew: Crew, world: World) -> None:
    customer = world.api_user("customer", None)
    job = world.job(crew.biz, customer.user_id, technicians=[crew.tess.user_id],
                    status="COMPLETED", appointment=True)
    staff, marco = Device(crew.owner), Device(crew.marco)
    _, staff_cursor, _ = staff.pull_all()
    _, marco_cursor, _ = marco.pull_all()

    response = customer.command(f"/v1/customer/jobs/{job}/review",
                                {"rating": 4, "comment": "Tidy and quick"})
    assert response.status_code == 201, response.text
    review_id = response.json()["id"]

    changes, _, _ = staff.pull_all(staff_cursor)
    assert [(c["kind"], c["id"]) for c in changes] == [("review", review_id)]
    assert changes[0]["data"]["comment"] == "Tidy and quick"
    assert isinstance(changes[0]["version"], int) and changes[0]["version"] > 0
    # Marco is not on that job: the change is not even named to his device.
    assert marco.pull_all(marco_cursor)[0] == []


def _cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _state(cursor: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return state


def test_a_device_synced_before_the_office_kinds_gets_them_once(
    crew: Crew, world: World
) -> None:
    made = _office_world(crew, world)
    device = Device(crew.owner)
    everything, cursor, _ = device.pull_all()
    seq = int(_state(cursor)["s"])
    assert _state(cursor)["n"] == len(SYNC_KINDS)  # cursors say how many kinds they cover

    # A cursor as the server issued it before the office kinds existed (no "n").
    legacy = _cursor({"v": 1, "s": seq})
    changes, new_cursor, _ = device.pull_all(legacy, limit=2)
    kinds = {c["kind"] for c in changes}
    office = {"review", "compliance_document", "team_member", "business"}
    assert kinds == office  # nothing else again
    assert [k.name for k in SYNC_KINDS[7:]] == [
        "review", "compliance_document", "team_member", "business"]
    assert _ids(changes, "review") == {made["tess_review"], made["marco_review"]}
    assert _ids(changes, "compliance_document") == _ids(everything, "compliance_document")
    assert _state(new_cursor) == {"v": 1, "s": seq, "n": len(SYNC_KINDS)}
    assert device.pull(new_cursor).json()["changes"] == []


def test_a_cursor_claiming_unknown_kinds_is_refused(crew: Crew) -> None:
    response = Device(crew.owner).pull(_cursor({"v": 1, "s": 0, "n": 99}))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_a_device_synced_before_the_business_kind_gets_only_that(crew: Crew) -> None:
    device = Device(crew.owner)
    _, cursor, _ = device.pull_all()
    seq = int(_state(cursor)["s"])
    changes, _, _ = device.pull_all(_cursor({"v": 1, "s": seq, "n": 10}))
    assert [(c["kind"], c["id"]) for c in changes] == [("business", crew.biz)]


def test_every_pro_device_gets_its_own_business_only(crew: Crew, world: World) -> None:
    other = world.business(name="Other Co")
    for pro in (crew.owner, crew.tess):
        changes, _, _ = Device(pro).pull_all()
        businesses = [c for c in changes if c["kind"] == "business"]
        assert [c["id"] for c in businesses] == [crew.biz], pro.email
        assert other not in {c["id"] for c in changes}
        data = businesses[0]["data"]
        assert set(data) == {"id", "name", "time_zone", "state", "technicians_see_unassigned"}
