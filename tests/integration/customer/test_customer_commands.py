"""Customer commands over REST: every happy path and every refusal with its exact code.

Runs the real app in-process on a real database (SQLite, and PostgreSQL when
configured), with a fake clock starting Monday 2026-11-16 15:00 UTC (07:00 in Los
Angeles, where the shop counts business days).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace import orm
from marketplace.demo_photos import make_site_photo
from proapp.domain import rules
from proapp.domain.models import format_utc
from tests.integration.customer.conftest import ADDRESS, Shop, window_json
from tests.integration.server.world import new_id

TZ = "America/Los_Angeles"


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details"}
    assert body["message"]
    return body


# --------------------------------------------------------------------------- catalogue, buy


def test_browse_services_and_businesses(shop: Shop) -> None:
    services = shop.alice.get("/v1/customer/services").json()["items"]
    assert [s["id"] for s in services] == [shop.service_id]
    assert services[0]["whats_included"] == ["Mounting", "Cord cover"]
    businesses = shop.alice.get("/v1/customer/businesses").json()["items"]
    assert shop.biz in [b["id"] for b in businesses]


def test_buy_a_packaged_service(shop: Shop) -> None:
    now = shop.world.clock()
    job = shop.buy()
    assert job["origin"] == "PACKAGED"
    assert job["status"] == "PENDING_SCHEDULE"
    assert job["service_id"] == shop.service_id
    assert job["price_cents"] == 12_900
    assert job["whats_included"] == ["Mounting", "Cord cover"]
    assert job["customer_id"] == shop.alice.user_id
    # R6: the pro confirms a window within 1 business day of the order.
    assert job["window_confirmation_due_at"] == format_utc(
        rules.window_confirmation_due_at(now, TZ)
    )
    assert job["window_confirmation_due_at"] == "2026-11-17T15:00:00Z"
    assert job["customer_phone"] is None
    # The pro's side sees the new job too (same table, same rules).
    assert shop.owner.get(f"/v1/jobs/{job['id']}").json()["status"] == "PENDING_SCHEDULE"


def test_buy_shares_the_phone_only_when_asked(shop: Shop) -> None:
    with shop.world.session_factory() as session, session.begin():
        session.get_one(orm.User, shop.alice.user_id).phone = "+1 206 555 0101"
    private = shop.buy()
    shared = shop.buy(share_phone=True)
    # R10: the pro sees the phone only if the customer chose to share it at checkout.
    assert shop.owner.get(f"/v1/jobs/{private['id']}").json()["customer_phone"] is None
    assert shop.owner.get(f"/v1/jobs/{shared['id']}").json()["customer_phone"] == (
        "+1 206 555 0101"
    )


def test_buy_refusals(shop: Shop) -> None:
    path = f"/v1/customer/services/{shop.service_id}/buy"
    _error(shop.alice.command(path, {}), 422, "invalid")  # in-home needs an address
    _error(shop.alice.command(path, {"address": ADDRESS, "location_type": "ONLINE"}),
           422, "invalid")
    _error(shop.alice.command(f"/v1/customer/services/{new_id()}/buy", {"address": ADDRESS}),
           404, "not_found")
    _error(shop.owner.command(path, {"address": ADDRESS}), 403, "forbidden")
    _error(shop.tech.get("/v1/customer/jobs"), 403, "forbidden")
    # No Idempotency-Key: refused before anything happens.
    no_key = shop.alice.client.post(path, headers=shop.alice.headers, json={"address": ADDRESS})
    _error(no_key, 422, "invalid")
    assert shop.world.count(orm.Job) == 0


def test_buy_is_idempotent(shop: Shop) -> None:
    path = f"/v1/customer/services/{shop.service_id}/buy"
    key = new_id()
    first = shop.alice.command(path, {"address": ADDRESS}, key=key)
    again = shop.alice.command(path, {"address": ADDRESS}, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert shop.world.count(orm.Job) == 1
    other = shop.alice.command(path, {"address": ADDRESS, "share_phone": True}, key=key)
    _error(other, 422, "idempotency_mismatch")
    assert shop.world.count(orm.Job) == 1


# --------------------------------------------------------------------------- requests (R1, R2)


def test_create_a_custom_request_with_photos(shop: Shop) -> None:
    now = shop.world.clock()
    photo = shop.alice.upload(make_site_photo(1, "Living room wall"), "image/jpeg")
    request = shop.request(
        site_photo_hashes=[photo], dimensions="Wall 12 ft", product_info="Samsung QN65",
        share_phone=False,
    )
    assert request["status"] == "OPEN"
    assert request["site_photo_hashes"] == [photo]
    assert request["dimensions"] == "Wall 12 ft"
    assert request["location_type"] == "IN_HOME"
    assert request["time_zone"] == TZ
    # R2: answer within 1 business day, estimates accepted for 3 business days.
    assert request["estimate_due_at"] == format_utc(rules.estimate_due_at(now, TZ))
    assert request["closes_at"] == format_utc(rules.estimate_window_closes_at(now, TZ))
    assert request["closes_at"] == "2026-11-19T15:00:00Z"
    # The business sees it in its inbox, photos included.
    inbox = shop.tech.get("/v1/requests").json()["items"]
    assert [r["id"] for r in inbox] == [request["id"]]
    assert shop.tech.get(f"/v1/blobs/{photo}").status_code == 200


def test_create_request_refusals(shop: Shop) -> None:
    not_uploaded = "ab" * 32
    body = {"business_id": shop.biz, "title": "Fix", "address": ADDRESS,
            "site_photo_hashes": [not_uploaded]}
    refused = _error(shop.alice.command("/v1/customer/requests", body), 422, "invalid")
    assert refused["details"]["missing_blob"] == not_uploaded
    no_address = {"business_id": shop.biz, "title": "Fix"}
    _error(shop.alice.command("/v1/customer/requests", no_address), 422, "invalid")
    unknown = {"business_id": new_id(), "title": "Fix", "address": ADDRESS}
    _error(shop.alice.command("/v1/customer/requests", unknown), 404, "not_found")
    assert shop.world.count(orm.CustomRequest) == 0
    # R12: online work needs no address.
    online = shop.request(location_type="ONLINE", address=None)
    assert online["address"] is None


def test_estimates_close_three_business_days_after_the_request(shop: Shop) -> None:
    request = shop.request()
    shop.world.clock.advance(days=3, minutes=-1)  # Thursday 06:59 PST: still open
    shop.renew_all()
    shop.estimate(request["id"])
    shop.world.clock.advance(minutes=2)  # past closes_at (R2)
    shop.renew_all()
    late = {"estimate_id": new_id(), "parts_supplier": "PRO",
            "line_items": [{"id": new_id(), "kind": "LABOR", "description": "x",
                            "unit_price_cents": 100}]}
    _error(shop.tech.command(f"/v1/requests/{request['id']}/estimates", late),
           409, "estimate_window_closed")
    # The estimate sent in time can still be booked after the request closed (R2).
    estimate = shop.alice.get(f"/v1/customer/estimates?request_id={request['id']}").json()
    accepted = shop.alice.command(
        f"/v1/customer/estimates/{estimate['items'][0]['id']}/accept", {}
    )
    assert accepted.status_code == 201, accepted.text
    assert shop.alice.get(f"/v1/customer/requests/{request['id']}").json()["status"] == "BOOKED"


# --------------------------------------------------------------------------- windows (R6)


def test_choose_exactly_three_windows_then_the_pro_confirms_one(shop: Shop) -> None:
    job = shop.buy()
    path = f"/v1/customer/jobs/{job['id']}/windows"
    two = _error(shop.alice.command(path, {"windows": shop.windows(count=2)}), 422, "invalid")
    assert two["details"] == {"required": 3, "given": 2}
    _error(shop.alice.command(path, {"windows": shop.windows(count=4)}), 422, "invalid")
    same = [shop.windows()[0]] * 3
    _error(shop.alice.command(path, {"windows": same}), 422, "invalid")
    past = shop.windows()[:2] + [window_json(shop.world.clock() - timedelta(hours=3))]
    _error(shop.alice.command(path, {"windows": past}), 422, "invalid")
    assert shop.alice.get(f"/v1/customer/jobs/{job['id']}").json()["preferred_windows"] == []

    chosen = shop.alice.command(path, {"windows": shop.windows()})
    assert chosen.status_code == 200, chosen.text
    windows = chosen.json()["preferred_windows"]
    assert [w["window"] for w in windows] == shop.windows()
    confirm = shop.owner.command(f"/v1/jobs/{job['id']}/window/confirm",
                                 {"preferred_window_id": windows[2]["id"]})
    assert confirm.status_code == 200, confirm.text
    assert confirm.json()["appointment"]["window"] == windows[2]["window"]
    # Once scheduled, windows move only through a reschedule (R7).
    _error(shop.alice.command(path, {"windows": shop.windows(days=3)}), 409,
           "invalid_transition")


# --------------------------------------------------------------------------- visits (R4, R5)


def _propose_visit(shop: Shop, request_id: str, price_cents: int = 5_000) -> str:
    visit_id = new_id()
    response = shop.tech.command(f"/v1/requests/{request_id}/visits",
                                 {"visit_id": visit_id, "price_cents": price_cents})
    assert response.status_code == 201, response.text
    return visit_id


def test_accept_and_decline_visits(shop: Shop) -> None:
    request = shop.request()
    first = _propose_visit(shop, request["id"])
    second = _propose_visit(shop, request["id"])
    accepted = shop.alice.command(f"/v1/customer/visits/{first}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "ACCEPTED"
    assert accepted.json()["accepted_at"] == "2026-11-16T15:00:00Z"
    declined = shop.alice.command(f"/v1/customer/visits/{second}/decline", {})
    assert declined.json()["status"] == "DECLINED"
    assert declined.json()["accepted_at"] is None
    _error(shop.alice.command(f"/v1/customer/visits/{second}/accept"), 409,
           "invalid_transition")
    _error(shop.alice.command(f"/v1/customer/visits/{first}/accept"), 409, "invalid_transition")
    listed = shop.alice.get(f"/v1/customer/visits?request_id={request['id']}").json()["items"]
    assert {v["id"]: v["status"] for v in listed} == {first: "ACCEPTED", second: "DECLINED"}


def _book_and_start(shop: Shop, request_id: str, cents: int = 20_000) -> dict[str, Any]:
    estimate = shop.estimate(request_id, cents)
    booked = shop.alice.command(f"/v1/customer/estimates/{estimate['id']}/accept", {})
    assert booked.status_code == 201, booked.text
    job = booked.json()
    shop.schedule(job["id"])
    started = shop.tech.command(f"/v1/jobs/{job['id']}/start")
    assert started.status_code == 200, started.text
    result: dict[str, Any] = started.json()
    return result


def _complete(shop: Shop, job: dict[str, Any], total_cents: int) -> Any:
    """The tech completes the job with a customer signature over ``total_cents``."""
    from proapp.domain import LineItem, signing
    from tests.integration.server.world import png_bytes, signature

    png = shop.tech.upload(png_bytes())
    content = signing.completion_signed_content(
        job_id=job["id"], summary="All done", total_cents=total_cents,
        line_items=[LineItem.model_validate(line) for line in job["line_items"]],
    )
    return shop.tech.command(
        f"/v1/jobs/{job['id']}/complete",
        {"summary": "All done", "signature": signature(shop.tech.user_id, png, content)},
    )


def test_trip_charge_accepted_in_advance_is_billed_on_completion(shop: Shop) -> None:
    request = shop.request()
    visit_id = _propose_visit(shop, request["id"], 5_000)
    assert shop.alice.command(f"/v1/customer/visits/{visit_id}/accept").status_code == 200
    job = _book_and_start(shop, request["id"], 20_000)
    # Signing only the job price is refused: the server adds the accepted trip charge.
    _error(_complete(shop, job, 20_000), 422, "signature_mismatch")
    done = _complete(shop, job, 25_000)
    assert done.status_code == 200, done.text
    charges = shop.alice.get(f"/v1/customer/jobs/{job['id']}/charges").json()
    assert [c["amount_cents"] for c in charges] == [25_000]


def test_declined_visit_is_never_billed(shop: Shop) -> None:
    request = shop.request()
    visit_id = _propose_visit(shop, request["id"], 5_000)
    assert shop.alice.command(f"/v1/customer/visits/{visit_id}/decline").status_code == 200
    job = _book_and_start(shop, request["id"], 20_000)
    _error(_complete(shop, job, 25_000), 422, "signature_mismatch")
    assert _complete(shop, job, 20_000).status_code == 200
    charges = shop.alice.get(f"/v1/customer/jobs/{job['id']}/charges").json()
    assert [c["amount_cents"] for c in charges] == [20_000]


def test_visit_accepted_only_after_the_trip_is_not_billed(shop: Shop) -> None:
    request = shop.request()
    visit_id = _propose_visit(shop, request["id"], 5_000)
    # The pro went on site before the customer said yes (R5: no surprise trip charges).
    with shop.world.session_factory() as session, session.begin():
        visit = session.get_one(orm.Visit, visit_id)
        visit.window_start = shop.world.clock() - timedelta(hours=2)
        visit.window_end = shop.world.clock() - timedelta(hours=1)
    assert shop.alice.command(f"/v1/customer/visits/{visit_id}/accept").status_code == 200
    job = _book_and_start(shop, request["id"], 20_000)
    assert _complete(shop, job, 20_000).status_code == 200


def test_defective_product_means_no_trip_charge_and_no_charge(shop: Shop) -> None:
    request = shop.request()
    visit_id = _propose_visit(shop, request["id"], 5_000)
    assert shop.alice.command(f"/v1/customer/visits/{visit_id}/accept").status_code == 200
    job = _book_and_start(shop, request["id"], 20_000)
    reported = shop.tech.command(f"/v1/jobs/{job['id']}/report-defective",
                                 {"note": "The TV screen is cracked."})
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "NOT_SERVICED"
    assert shop.alice.get(f"/v1/customer/jobs/{job['id']}/charges").json() == []
    assert shop.world.count(orm.LedgerEntry) == 0


# --------------------------------------------------------------------------- estimates


def test_accept_an_estimate_books_the_pro(shop: Shop) -> None:
    request = shop.request()
    chosen = shop.estimate(request["id"], 20_000)
    other_tech = shop.world.api_user("technician", shop.biz)
    rival = shop.estimate(request["id"], 25_000, pro=other_tech)
    shop.world.clock.advance(hours=2)
    shop.renew_all()
    response = shop.alice.command(f"/v1/customer/estimates/{chosen['id']}/accept",
                                  {"share_phone": False})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["origin"] == "ESTIMATE"
    assert job["estimate_id"] == chosen["id"]
    assert job["price_cents"] == chosen["total_cents"] == 20_000
    assert [line["id"] for line in job["line_items"]] == [
        line["id"] for line in chosen["line_items"]
    ]
    assert job["status"] == "PENDING_SCHEDULE"
    assert job["ordered_at"] == "2026-11-16T17:00:00Z"
    # The estimating technician is assigned; the request is booked; the rival declined.
    assert shop.tech.get(f"/v1/jobs/{job['id']}").status_code == 200
    statuses = {e["id"]: e["status"] for e in
                shop.alice.get("/v1/customer/estimates").json()["items"]}
    assert statuses == {chosen["id"]: "ACCEPTED", rival["id"]: "DECLINED"}
    assert shop.alice.get(f"/v1/customer/requests/{request['id']}").json()["status"] == "BOOKED"
    _error(shop.alice.command(f"/v1/customer/estimates/{chosen['id']}/accept", {}), 409,
           "invalid_transition")
    _error(shop.alice.command(f"/v1/customer/estimates/{rival['id']}/accept", {}), 409,
           "invalid_transition")
    assert shop.world.count(orm.Job) == 1


def test_decline_an_estimate_and_expired_ones_cannot_be_accepted(shop: Shop) -> None:
    request = shop.request()
    first = shop.estimate(request["id"])
    second = shop.estimate(request["id"])
    declined = shop.alice.command(f"/v1/customer/estimates/{first['id']}/decline")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "DECLINED"
    # The default validity is 14 days (R3); after that the offer is gone.
    shop.world.clock.advance(days=14, minutes=1)
    shop.renew_all()
    _error(shop.alice.command(f"/v1/customer/estimates/{second['id']}/accept", {}), 409,
           "invalid_transition")
    assert shop.alice.get(f"/v1/customer/requests/{request['id']}").json()["status"] == "OPEN"


# --------------------------------------------------------------------------- R7


def _scheduled(shop: Shop) -> dict[str, Any]:
    job = shop.buy()
    return shop.schedule(job["id"])  # window starts 2 days + 1 h from now


def test_reschedule_more_than_24_hours_ahead(shop: Shop) -> None:
    job = _scheduled(shop)
    old_appointment = job["appointment"]["id"]
    new_windows = shop.windows(days=5)
    response = shop.alice.command(f"/v1/customer/jobs/{job['id']}/reschedule",
                                  {"windows": new_windows, "reason": "Out of town"})
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["status"] == "PENDING_SCHEDULE"
    assert moved["appointment"] is None
    assert [w["window"] for w in moved["preferred_windows"]] == new_windows
    assert shop.world.row(orm.Appointment, old_appointment).status == "CANCELLED"
    # R6 again: the pro has 1 business day from the change to confirm a new window.
    assert moved["window_confirmation_due_at"] == "2026-11-17T15:00:00Z"
    _error(shop.alice.command(f"/v1/customer/jobs/{job['id']}/reschedule",
                              {"windows": shop.windows(count=1)}), 422, "invalid")


def test_reschedule_and_cancel_refused_inside_24_hours(shop: Shop) -> None:
    job = _scheduled(shop)
    start = job["appointment"]["window"]["start"]
    assert start == "2026-11-18T16:00:00Z"
    shop.world.clock.advance(days=1, hours=1)  # exactly 24 h before: still allowed
    shop.renew_all()
    probe = shop.alice.command(f"/v1/customer/jobs/{job['id']}/reschedule",
                               {"windows": shop.windows(days=3)}, key=new_id())
    assert probe.status_code == 200, probe.text
    job = shop.schedule(job["id"])
    # The new appointment starts 2 days + 1 h from the (moved) clock; go to 23 h before.
    shop.world.clock.advance(days=1, hours=2)
    shop.renew_all()
    for path, body in (("reschedule", {"windows": shop.windows(days=3)}), ("cancel", {})):
        refused = _error(shop.alice.command(f"/v1/customer/jobs/{job['id']}/{path}", body),
                         409, "cancel_cutoff_passed")
        assert "cutoff" in refused["details"]
    assert shop.alice.get(f"/v1/customer/jobs/{job['id']}").json()["status"] == "SCHEDULED"


def test_cancel_stops_every_pro_command(shop: Shop) -> None:
    job = _scheduled(shop)
    response = shop.alice.command(f"/v1/customer/jobs/{job['id']}/cancel",
                                  {"reason": "Changing providers"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert shop.world.row(orm.Appointment, job["appointment"]["id"]).status == "CANCELLED"
    # The pro's copy keeps the booked window, marked cancelled, for their schedule.
    seen = shop.tech.get(f"/v1/jobs/{job['id']}").json()["appointment"]
    assert (seen["id"], seen["status"]) == (job["appointment"]["id"], "CANCELLED")
    assert seen["window"] == job["appointment"]["window"]
    # The pro learns why through the job's messages (R10).
    thread = shop.owner.get(f"/v1/messages?job_id={job['id']}").json()["items"]
    assert [m["body"] for m in thread] == ["Cancelled: Changing providers"]
    # Pro commands now fail with job_cancelled (the customer may cancel while the
    # technician is offline).
    _error(shop.tech.command(f"/v1/jobs/{job['id']}/start"), 409, "job_cancelled")
    _error(shop.owner.command(f"/v1/jobs/{job['id']}/assign",
                              {"technician_ids": [shop.tech.user_id]}), 409, "job_cancelled")
    _error(shop.owner.command(
        f"/v1/jobs/{job['id']}/window/propose",
        {"window": window_json(shop.world.clock() + timedelta(days=3))},
    ), 409, "job_cancelled")
    _error(shop.alice.command(f"/v1/customer/jobs/{job['id']}/cancel"), 409,
           "invalid_transition")
    _error(shop.alice.command(f"/v1/customer/jobs/{job['id']}/windows",
                              {"windows": shop.windows()}), 409, "job_cancelled")
    _error(shop.alice.command(f"/v1/customer/jobs/{job['id']}/reschedule",
                              {"windows": shop.windows()}), 409, "job_cancelled")


def test_cancel_a_job_that_has_no_window_yet(shop: Shop) -> None:
    job = shop.buy()
    response = shop.alice.command(f"/v1/customer/jobs/{job['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert shop.world.count(orm.Message) == 0  # no reason, no message


# --------------------------------------------------------------------------- R10, R11


def test_message_the_pro(shop: Shop) -> None:
    job = shop.buy()
    request = shop.request()
    sent = shop.alice.command("/v1/customer/messages",
                              {"job_id": job["id"], "body": "  Gate code 1234  "})
    assert sent.status_code == 201, sent.text
    assert sent.json()["author_role"] == "customer"
    assert sent.json()["body"] == "Gate code 1234"
    on_request = shop.alice.command("/v1/customer/messages",
                                    {"request_id": request["id"], "body": "Photos attached"})
    assert on_request.status_code == 201
    pro_view = shop.owner.get(f"/v1/messages?job_id={job['id']}").json()["items"]
    assert [m["body"] for m in pro_view] == ["Gate code 1234"]
    mine = shop.alice.get("/v1/customer/messages").json()["items"]
    assert len(mine) == 2
    both = {"job_id": job["id"], "request_id": request["id"], "body": "x"}
    _error(shop.alice.command("/v1/customer/messages", both), 422, "invalid")
    _error(shop.alice.command("/v1/customer/messages", {"body": "x"}), 422, "invalid")


def _completed_job(shop: Shop) -> dict[str, Any]:
    job = shop.buy()
    shop.schedule(job["id"])
    started = shop.tech.command(f"/v1/jobs/{job['id']}/start").json()
    assert _complete(shop, started, 12_900).status_code == 200
    completed: dict[str, Any] = shop.alice.get(f"/v1/customer/jobs/{job['id']}").json()
    assert completed["status"] == "COMPLETED"
    return completed


def test_review_a_completed_job_once(shop: Shop) -> None:
    pending = shop.buy()
    path = f"/v1/customer/jobs/{pending['id']}/review"
    _error(shop.alice.command(path, {"rating": 5}), 409, "invalid_transition")
    job = _completed_job(shop)
    path = f"/v1/customer/jobs/{job['id']}/review"
    _error(shop.alice.command(path, {"rating": 6}), 422, "invalid")
    created = shop.alice.command(path, {"rating": 4, "comment": "Good"})
    assert created.status_code == 201, created.text
    assert created.json()["rating"] == 4
    assert created.json()["technician_id"] == shop.tech.user_id
    assert shop.alice.get(path).json()["id"] == created.json()["id"]
    _error(shop.alice.command(path, {"rating": 5}), 409, "conflict")


def test_review_window_closes_90_days_after_the_order(shop: Shop) -> None:
    first = _completed_job(shop)
    second = _completed_job(shop)
    # Exactly 90 days after the order is still in time (R11)...
    shop.world.clock.advance(days=90)
    shop.renew_all()
    ok = shop.alice.command(f"/v1/customer/jobs/{first['id']}/review", {"rating": 5})
    assert ok.status_code == 201, ok.text
    # ...one minute later it is not.
    shop.world.clock.advance(minutes=1)
    shop.renew_all()
    late = _error(shop.alice.command(f"/v1/customer/jobs/{second['id']}/review",
                                     {"rating": 5}), 409, "review_window_closed")
    assert late["details"]["closed_at"]
    with shop.world.session_factory() as session:
        assert session.scalars(select(orm.Review.job_id)).all() == [first["id"]]


def test_new_preferences_before_confirmation_keep_the_order_deadline(shop: Shop) -> None:
    job = shop.buy()
    due = job["window_confirmation_due_at"]
    shop.world.clock.advance(hours=5)
    shop.renew_all()
    first = shop.alice.command(f"/v1/customer/jobs/{job['id']}/windows",
                               {"windows": shop.windows()})
    assert first.status_code == 200, first.text
    again = shop.alice.command(f"/v1/customer/jobs/{job['id']}/reschedule",
                               {"windows": shop.windows(days=4)})
    assert again.status_code == 200, again.text
    # R6 counts from the order; changing preferences does not buy the pro more time.
    assert again.json()["window_confirmation_due_at"] == due
    assert again.json()["preferred_windows"][0]["window"] == shop.windows(days=4)[0]
