"""Every denial: who may see and do what (DESIGN.md section 6).

Another business's objects answer 404 (existence is not leaked); a visible object that
the role may not act on answers 403; no token answers 401.
"""

from __future__ import annotations

import pytest

from tests.integration.server.world import ApiUser, World, new_id


@pytest.fixture
def two_businesses(world: World) -> dict[str, object]:
    a = world.business(name="A")
    b = world.business(name="B")
    customer_id, customer_email = world.user("customer", None)
    tess_id, tess_email = world.user("technician", a)
    marco_id, marco_email = world.user("technician", a)
    job_tess = world.job(a, customer_id, technicians=[tess_id])
    job_marco = world.job(a, customer_id, technicians=[marco_id])
    job_open = world.job(a, customer_id)  # unassigned
    job_b = world.job(b, customer_id)
    request_a = world.request(a, customer_id)
    request_b = world.request(b, customer_id)
    return {
        "a": a, "b": b, "customer": world.login(customer_email),
        "tess": world.login(tess_email), "marco": world.login(marco_email),
        "tess_id": tess_id, "job_tess": job_tess, "job_marco": job_marco,
        "job_open": job_open, "job_b": job_b, "request_a": request_a, "request_b": request_b,
        "owner_a": world.api_user("owner", a), "dispatcher_b": world.api_user("dispatcher", b),
    }


def _ids(user: ApiUser, path: str) -> set[str]:
    response = user.get(path)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_technician_sees_only_their_jobs_by_default(two_businesses: dict[str, object]) -> None:
    w = two_businesses
    tess = w["tess"]
    assert isinstance(tess, ApiUser)
    assert _ids(tess, "/v1/jobs") == {w["job_tess"]}
    assert tess.get(f"/v1/jobs/{w['job_tess']}").status_code == 200
    other = tess.get(f"/v1/jobs/{w['job_marco']}")
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert tess.get(f"/v1/jobs/{w['job_open']}").status_code == 404


def test_unassigned_jobs_visible_when_the_business_allows(world: World) -> None:
    biz = world.business(technicians_see_unassigned=True)
    customer_id, _ = world.user("customer", None)
    tess_id, tess_email = world.user("technician", biz)
    marco_id, _ = world.user("technician", biz)
    mine = world.job(biz, customer_id, technicians=[tess_id])
    open_job = world.job(biz, customer_id)
    marcos = world.job(biz, customer_id, technicians=[marco_id])
    tess = world.login(tess_email)
    assert _ids(tess, "/v1/jobs") == {mine, open_job}
    assert tess.get(f"/v1/jobs/{open_job}").status_code == 200
    assert tess.get(f"/v1/jobs/{marcos}").status_code == 404
    # Seeing an unassigned job does not make it yours to work on.
    start = tess.command(f"/v1/jobs/{open_job}/start")
    assert start.status_code == 403 and start.json()["code"] == "forbidden"


def test_staff_see_all_jobs_of_their_business_only(two_businesses: dict[str, object]) -> None:
    w = two_businesses
    owner_a, dispatcher_b = w["owner_a"], w["dispatcher_b"]
    assert isinstance(owner_a, ApiUser) and isinstance(dispatcher_b, ApiUser)
    assert _ids(owner_a, "/v1/jobs") == {w["job_tess"], w["job_marco"], w["job_open"]}
    assert _ids(dispatcher_b, "/v1/jobs") == {w["job_b"]}
    for job in ("job_tess", "job_marco", "job_open"):
        response = dispatcher_b.get(f"/v1/jobs/{w[job]}")
        assert response.status_code == 404, job
    assert owner_a.get(f"/v1/jobs/{w['job_b']}").status_code == 404


def test_staff_of_another_business_cannot_command_our_jobs(
    two_businesses: dict[str, object],
) -> None:
    w = two_businesses
    dispatcher_b = w["dispatcher_b"]
    assert isinstance(dispatcher_b, ApiUser)
    response = dispatcher_b.command(
        f"/v1/jobs/{w['job_tess']}/assign", {"technician_ids": [w["tess_id"]]}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_requests_visible_to_the_business_they_were_sent_to(
    two_businesses: dict[str, object],
) -> None:
    w = two_businesses
    tess, dispatcher_b = w["tess"], w["dispatcher_b"]
    assert isinstance(tess, ApiUser) and isinstance(dispatcher_b, ApiUser)
    assert _ids(tess, "/v1/requests") == {w["request_a"]}
    assert _ids(dispatcher_b, "/v1/requests") == {w["request_b"]}
    assert dispatcher_b.get(f"/v1/requests/{w['request_a']}").status_code == 404
    estimate = dispatcher_b.command(
        f"/v1/requests/{w['request_a']}/estimates",
        {"estimate_id": new_id(), "parts_supplier": "PRO",
         "line_items": [{"id": new_id(), "kind": "LABOR", "description": "x",
                         "unit_price_cents": 100}]},
    )
    assert estimate.status_code == 404


def test_technician_cannot_assign_technicians(two_businesses: dict[str, object]) -> None:
    w = two_businesses
    tess = w["tess"]
    assert isinstance(tess, ApiUser)
    response = tess.command(f"/v1/jobs/{w['job_tess']}/assign", {"technician_ids": [w["tess_id"]]})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/jobs/{job}/start", None),
        ("/v1/jobs/{job}/assign", {"technician_ids": ["{tech}"]}),
        ("/v1/jobs/{job}/window/confirm", {"preferred_window_id": "{job}"}),
        ("/v1/requests/{request}/estimates",
         {"estimate_id": "{new}", "parts_supplier": "PRO",
          "line_items": [{"id": "{new}", "kind": "LABOR", "description": "x",
                          "unit_price_cents": 1}]}),
        ("/v1/messages", {"message_id": "{new}", "job_id": "{job}", "body": "hi"}),
    ],
)
def test_customer_cannot_run_pro_commands(
    two_businesses: dict[str, object], path: str, body: dict[str, object] | None
) -> None:
    w = two_businesses
    customer = w["customer"]
    assert isinstance(customer, ApiUser)

    def fill(value: object) -> object:
        if isinstance(value, str):
            return (value.replace("{job}", str(w["job_tess"]))
                    .replace("{tech}", str(w["tess_id"]))
                    .replace("{request}", str(w["request_a"]))
                    .replace("{new}", new_id()))
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    filled_body = fill(body)
    assert filled_body is None or isinstance(filled_body, dict)
    response = customer.command(str(fill(path)), filled_body)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me"), ("GET", "/v1/jobs"), ("GET", "/v1/requests"),
        ("GET", "/v1/estimates"), ("GET", "/v1/messages"), ("GET", "/v1/services"),
        ("GET", "/v1/team"), ("POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/start"),
        ("GET", "/v1/blobs/" + "0" * 64),
    ],
)
def test_unauthenticated_requests_get_401(world: World, method: str, path: str) -> None:
    headers = {"Idempotency-Key": new_id()} if method == "POST" else {}
    response = world.client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    bogus = world.client.request(method, path, headers={**headers, "Authorization": "Bearer x"})
    assert bogus.status_code == 401


def test_customer_sees_only_their_own_jobs(world: World) -> None:
    biz = world.business()
    alice_id, alice_email = world.user("customer", None)
    bob_id, _ = world.user("customer", None)
    alices = world.job(biz, alice_id)
    bobs = world.job(biz, bob_id)
    alice = world.login(alice_email)
    assert _ids(alice, "/v1/jobs") == {alices}
    assert alice.get(f"/v1/jobs/{bobs}").status_code == 404


def test_team_lists_only_my_business(two_businesses: dict[str, object]) -> None:
    w = two_businesses
    dispatcher_b, customer = w["dispatcher_b"], w["customer"]
    assert isinstance(dispatcher_b, ApiUser) and isinstance(customer, ApiUser)
    team = dispatcher_b.get("/v1/team").json()
    assert {member["business_id"] for member in team} == {w["b"]}
    assert customer.get("/v1/team").status_code == 403
