"""Customers see and act on their own things only: anyone else's answers 404 (its
existence is not revealed), and pro roles cannot use the customer API at all."""

from __future__ import annotations

from typing import Any

from marketplace import orm
from tests.integration.customer.conftest import Shop
from tests.integration.server.world import new_id


def _alice_world(shop: Shop) -> dict[str, Any]:
    """Alice's request (with an estimate and a visit) and her scheduled job."""
    request = shop.request()
    estimate = shop.estimate(request["id"])
    visit_id = new_id()
    proposed = shop.tech.command(f"/v1/requests/{request['id']}/visits",
                                 {"visit_id": visit_id, "price_cents": 3_000})
    assert proposed.status_code == 201, proposed.text
    job = shop.buy()
    shop.schedule(job["id"])
    return {"request": request["id"], "estimate": estimate["id"], "visit": visit_id,
            "job": job["id"]}


def test_another_customer_gets_404_for_everything(shop: Shop) -> None:
    ids = _alice_world(shop)
    bob = shop.bob
    for path in (
        f"/v1/customer/jobs/{ids['job']}",
        f"/v1/customer/jobs/{ids['job']}/charges",
        f"/v1/customer/requests/{ids['request']}",
        f"/v1/customer/estimates/{ids['estimate']}",
        f"/v1/customer/visits/{ids['visit']}",
        f"/v1/customer/messages?job_id={ids['job']}",
        f"/v1/jobs/{ids['job']}",  # the shared read endpoints scope customers too
        f"/v1/requests/{ids['request']}",
    ):
        response = bob.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "not_found"
    actions: list[tuple[str, dict[str, Any]]] = [
        (f"/v1/customer/jobs/{ids['job']}/cancel", {}),
        (f"/v1/customer/jobs/{ids['job']}/windows", {"windows": shop.windows()}),
        (f"/v1/customer/jobs/{ids['job']}/reschedule", {"windows": shop.windows(days=4)}),
        (f"/v1/customer/jobs/{ids['job']}/review", {"rating": 1}),
        (f"/v1/customer/estimates/{ids['estimate']}/accept", {}),
        (f"/v1/customer/estimates/{ids['estimate']}/decline", {}),
        (f"/v1/customer/visits/{ids['visit']}/accept", {}),
        (f"/v1/customer/visits/{ids['visit']}/decline", {}),
        ("/v1/customer/messages", {"job_id": ids["job"], "body": "hi"}),
        ("/v1/customer/messages", {"request_id": ids["request"], "body": "hi"}),
    ]
    for path, body in actions:
        response = bob.command(path, body)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "not_found"
    # Nothing changed for Alice.
    job = shop.alice.get(f"/v1/customer/jobs/{ids['job']}").json()
    assert job["status"] == "SCHEDULED"
    assert shop.world.row(orm.Estimate, ids["estimate"]).status == "SUBMITTED"
    assert shop.world.row(orm.Visit, ids["visit"]).status == "PROPOSED"
    assert shop.world.count(orm.Message) == 0


def test_lists_show_only_my_own(shop: Shop) -> None:
    _alice_world(shop)
    bobs_job = shop.buy(shop.bob)
    for kind in ("jobs", "requests", "estimates", "visits", "messages"):
        items = shop.bob.get(f"/v1/customer/{kind}").json()["items"]
        expected = [bobs_job["id"]] if kind == "jobs" else []
        assert [item["id"] for item in items] == expected, kind
    alice_jobs = shop.alice.get("/v1/customer/jobs").json()["items"]
    assert bobs_job["id"] not in [j["id"] for j in alice_jobs]
    assert len(alice_jobs) == 1


def test_pro_roles_cannot_use_the_customer_api(shop: Shop) -> None:
    ids = _alice_world(shop)
    for user in (shop.owner, shop.tech):
        read = user.get("/v1/customer/jobs")
        assert read.status_code == 403 and read.json()["code"] == "forbidden"
        act = user.command(f"/v1/customer/jobs/{ids['job']}/cancel")
        assert act.status_code == 403 and act.json()["code"] == "forbidden"
    assert shop.alice.get(f"/v1/customer/jobs/{ids['job']}").json()["status"] == "SCHEDULED"


def test_list_paging_follows_next_page_token(shop: Shop) -> None:
    created = [shop.buy()["id"] for _ in range(5)]
    seen: list[str] = []
    token: str | None = None
    while True:
        query = "?limit=2" + (f"&page_token={token}" if token else "")
        page = shop.alice.get(f"/v1/customer/jobs{query}").json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
