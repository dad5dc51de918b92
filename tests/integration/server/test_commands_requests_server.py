"""Estimates and visit proposals (R2, R3, R4): happy paths and every refusal code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marketplace import orm
from tests.integration.server.world import ApiUser, World, new_id, png_bytes


def _estimate(estimate_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "estimate_id": estimate_id or new_id(),
        "parts_supplier": "PRO",
        "notes": "Includes haul-away.",
        "line_items": [
            {"id": new_id(), "kind": "LABOR", "description": "Labor", "quantity": 2,
             "unit_price_cents": 7_500},
            {"id": new_id(), "kind": "PART", "description": "Faucet",
             "unit_price_cents": 12_999},
        ],
        **extra,
    }


def _setup(world: World, state: str = "CA") -> tuple[str, ApiUser, str]:
    biz = world.business(state=state)
    tech = world.api_user("technician", biz)
    customer_id, _ = world.user("customer", None)
    return biz, tech, world.request(biz, customer_id, state=state)


def test_submit_estimate(world: World) -> None:
    biz, tech, request_id = _setup(world)
    photo = tech.upload(png_bytes())
    body = _estimate(photo_hashes=[photo], valid_days=10)
    response = tech.command(f"/v1/requests/{request_id}/estimates", body)
    assert response.status_code == 201, response.text
    estimate = response.json()
    assert estimate["id"] == body["estimate_id"]
    assert estimate["status"] == "SUBMITTED"
    assert estimate["total_cents"] == 2 * 7_500 + 12_999
    assert estimate["technician_id"] == tech.user_id
    assert estimate["photo_hashes"] == [photo]
    assert estimate["submitted_at"] == "2026-11-16T15:00:00Z"
    assert estimate["valid_until"] == "2026-11-26T15:00:00Z"
    # Readable back, and recorded in the business's change feed.
    assert tech.get(f"/v1/estimates/{estimate['id']}").json()["status"] == "SUBMITTED"
    assert world.count(orm.Change, business_id=biz, entity="estimate") == 1


def test_submit_estimate_after_the_window_closed(world: World) -> None:
    _, tech, request_id = _setup(world)
    # Submitted Monday 07:00 PST: closes 3 business days later (Thursday 07:00 PST).
    world.clock.advance(days=3, minutes=-1)
    tech.renew()
    assert tech.command(f"/v1/requests/{request_id}/estimates", _estimate()).status_code == 201
    world.clock.advance(minutes=2)
    late = tech.command(f"/v1/requests/{request_id}/estimates", _estimate())
    assert late.status_code == 409
    assert late.json()["code"] == "estimate_window_closed"


def test_submit_estimate_on_a_booked_request(world: World) -> None:
    biz = world.business()
    tech = world.api_user("technician", biz)
    customer_id, _ = world.user("customer", None)
    request_id = world.request(biz, customer_id, status="BOOKED")
    response = tech.command(f"/v1/requests/{request_id}/estimates", _estimate())
    assert response.status_code == 409 and response.json()["code"] == "estimate_window_closed"


def test_reusing_an_estimate_id_is_a_conflict(world: World) -> None:
    _, tech, request_id = _setup(world)
    estimate_id = new_id()
    first = tech.command(f"/v1/requests/{request_id}/estimates", _estimate(estimate_id))
    assert first.status_code == 201
    again = tech.command(f"/v1/requests/{request_id}/estimates", _estimate(estimate_id))
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert world.count(orm.Estimate) == 1


def test_estimate_with_a_photo_not_uploaded_is_invalid(world: World) -> None:
    _, tech, request_id = _setup(world)
    response = tech.command(
        f"/v1/requests/{request_id}/estimates", _estimate(photo_hashes=["a" * 64])
    )
    assert response.status_code == 422
    assert response.json()["details"]["missing_blobs"] == ["a" * 64]


def test_invalid_estimate_bodies(world: World) -> None:
    _, tech, request_id = _setup(world)
    bad_bodies = [
        _estimate(line_items=[]),  # no lines
        _estimate(parts_supplier="NOBODY"),
        {**_estimate(), "line_items": [{"id": new_id(), "kind": "LABOR", "description": "x",
                                        "unit_price_cents": 10.5}]},  # float money
        {**_estimate(), "surprise": True},
        {**_estimate(), "request_id": new_id()},  # the path carries the request id
    ]
    for body in bad_bodies:
        response = tech.command(f"/v1/requests/{request_id}/estimates", body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"
    assert world.count(orm.Estimate) == 0


def test_withdraw_estimate(world: World) -> None:
    _, tech, request_id = _setup(world)
    estimate_id = tech.command(f"/v1/requests/{request_id}/estimates", _estimate()).json()["id"]
    response = tech.command(f"/v1/estimates/{estimate_id}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "WITHDRAWN"
    again = tech.command(f"/v1/estimates/{estimate_id}/withdraw")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_another_technician_cannot_withdraw_my_estimate(world: World) -> None:
    biz, tech, request_id = _setup(world)
    colleague = world.api_user("technician", biz)
    owner = world.api_user("owner", biz)
    estimate_id = tech.command(f"/v1/requests/{request_id}/estimates", _estimate()).json()["id"]
    denied = colleague.command(f"/v1/estimates/{estimate_id}/withdraw")
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    assert owner.command(f"/v1/estimates/{estimate_id}/withdraw").status_code == 200


def test_propose_visit(world: World) -> None:
    _, tech, request_id = _setup(world)
    body = {"visit_id": new_id(), "price_cents": 0, "note": "Free look."}
    response = tech.command(f"/v1/requests/{request_id}/visits", body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "PROPOSED" and response.json()["price_cents"] == 0
    listed = tech.get(f"/v1/requests/{request_id}/visits").json()
    assert [v["id"] for v in listed] == [body["visit_id"]]


def test_visit_below_the_state_minimum_trip_charge(world: World) -> None:
    _, tech, request_id = _setup(world, state="NY")
    body = {"visit_id": new_id(), "price_cents": 1_000}
    response = tech.command(f"/v1/requests/{request_id}/visits", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["details"]["minimum_trip_charge_cents"] > 1_000
    ok = tech.command(
        f"/v1/requests/{request_id}/visits",
        {"visit_id": new_id(), "price_cents": 4_500, "waiver_terms": "WAIVE_IF_PROCEED"},
    )
    assert ok.status_code == 201
    assert ok.json()["minimum_trip_charge_cents"] == 4_500


def test_visit_after_the_window_closed(world: World) -> None:
    _, tech, request_id = _setup(world)
    world.clock.advance(days=7)
    response = tech.renew().command(
        f"/v1/requests/{request_id}/visits", {"visit_id": new_id(), "price_cents": 0}
    )
    assert response.status_code == 409 and response.json()["code"] == "estimate_window_closed"


def test_estimates_list_pages(world: World) -> None:
    _, tech, request_id = _setup(world)
    created = []
    for _ in range(5):
        created.append(
            tech.command(f"/v1/requests/{request_id}/estimates", _estimate()).json()["id"]
        )
        world.clock.advance(seconds=1)
    seen: list[str] = []
    token = None
    for _ in range(5):
        params = {"limit": 2, **({"page_token": token} if token else {})}
        page = tech.get("/v1/estimates", params=params).json()
        seen += [item["id"] for item in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == created
    bad = tech.get("/v1/estimates", params={"page_token": "not-a-token"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    # A token of another list is refused too.
    jobs_token = tech.get("/v1/estimates", params={"limit": 1}).json()["next_page_token"]
    assert tech.get("/v1/jobs", params={"page_token": jobs_token}).status_code == 422
    assert world.clock() - timedelta(seconds=5) < world.clock()
