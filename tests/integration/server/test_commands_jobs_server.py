"""Scheduling and field work (R5-R9): every job command's happy path and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from marketplace import orm
from proapp.domain import signing
from proapp.domain.models import LineItem
from tests.integration.server.world import ApiUser, World, line, new_id, png_bytes, signature


@dataclass
class Crew:
    world: World
    biz: str
    owner: ApiUser
    tech: ApiUser
    customer_id: str

    def job(self, **kwargs: Any) -> str:
        kwargs.setdefault("technicians", [self.tech.user_id])
        return self.world.job(self.biz, self.customer_id, **kwargs)

    def get_job(self, job_id: str) -> dict[str, Any]:
        response = self.owner.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def crew(world: World) -> Crew:
    biz = world.business()
    customer_id, _ = world.user("customer", None)
    return Crew(world, biz, world.api_user("owner", biz), world.api_user("technician", biz),
                customer_id)


# --------------------------------------------------------------------------- R6 windows


def test_confirm_a_preferred_window(crew: Crew) -> None:
    job_id = crew.job()
    job = crew.get_job(job_id)
    chosen = job["preferred_windows"][1]
    response = crew.owner.command(
        f"/v1/jobs/{job_id}/window/confirm", {"preferred_window_id": chosen["id"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "SCHEDULED"
    assert body["appointment"]["status"] == "ACTIVE"
    assert body["appointment"]["window"] == chosen["window"]
    assert body["appointment"]["assigned_technician_ids"] == [crew.tech.user_id]
    assert body["version"] == job["version"] + 1


def test_confirm_a_window_the_customer_did_not_offer(crew: Crew) -> None:
    job_id = crew.job()
    response = crew.owner.command(
        f"/v1/jobs/{job_id}/window/confirm", {"preferred_window_id": new_id()}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "window_not_offered"
    assert crew.get_job(job_id)["status"] == "PENDING_SCHEDULE"


def test_confirm_a_window_of_a_cancelled_job(crew: Crew) -> None:
    job_id = crew.job(status="CANCELLED")
    window_id = crew.get_job(job_id)["preferred_windows"][0]["id"]
    response = crew.owner.command(
        f"/v1/jobs/{job_id}/window/confirm", {"preferred_window_id": window_id}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "job_cancelled"


def test_confirm_twice_is_an_invalid_transition(crew: Crew) -> None:
    job_id = crew.job()
    window_id = crew.get_job(job_id)["preferred_windows"][0]["id"]
    body = {"preferred_window_id": window_id}
    assert crew.owner.command(f"/v1/jobs/{job_id}/window/confirm", body).status_code == 200
    again = crew.owner.command(f"/v1/jobs/{job_id}/window/confirm", body)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_propose_another_window(crew: Crew) -> None:
    job_id = crew.job()
    start = crew.world.clock() + timedelta(days=5)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    response = crew.tech.command(f"/v1/jobs/{job_id}/window/propose",
                                 {"window": window, "note": "Earliest I can do."})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "SCHEDULED"
    assert response.json()["appointment"]["window"]["start"] == start.isoformat().replace(
        "+00:00", "Z")
    backwards = {"start": window["end"], "end": window["start"]}
    other = crew.job()
    bad = crew.tech.command(f"/v1/jobs/{other}/window/propose", {"window": backwards})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_unassigned_technician_cannot_schedule(crew: Crew) -> None:
    job_id = crew.job(technicians=[])
    crew.world.session_factory  # noqa: B018 - keeps the fixture obviously used
    biz_tech = crew.world.api_user("technician", crew.biz)
    window_id = crew.get_job(job_id)["preferred_windows"][0]["id"]
    response = biz_tech.command(
        f"/v1/jobs/{job_id}/window/confirm", {"preferred_window_id": window_id}
    )
    # Not visible to technicians by default: 404, not 403.
    assert response.status_code == 404


# --------------------------------------------------------------------------- R7 reschedule


def test_reschedule_with_a_reason(crew: Crew) -> None:
    job_id = crew.job(status="SCHEDULED")
    old = crew.get_job(job_id)["appointment"]
    start = crew.world.clock() + timedelta(days=6)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    response = crew.tech.command(
        f"/v1/jobs/{job_id}/reschedule", {"window": window, "reason_code": "PARTS_DELAYED"}
    )
    assert response.status_code == 200, response.text
    new = response.json()["appointment"]
    assert new["id"] != old["id"]
    assert new["reschedule_reason"] == "PARTS_DELAYED"
    assert crew.world.row(orm.Appointment, old["id"]).status == "CANCELLED"
    assert crew.world.row(orm.Appointment, new["id"]).previous_appointment_id == old["id"]


def test_reschedule_needs_a_note_for_other_and_a_scheduled_job(crew: Crew) -> None:
    start = crew.world.clock() + timedelta(days=6)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    scheduled = crew.job(status="SCHEDULED")
    no_note = crew.tech.command(
        f"/v1/jobs/{scheduled}/reschedule", {"window": window, "reason_code": "OTHER"}
    )
    assert no_note.status_code == 422 and no_note.json()["code"] == "invalid"
    pending = crew.job()
    response = crew.tech.command(
        f"/v1/jobs/{pending}/reschedule", {"window": window, "reason_code": "WEATHER"}
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    cancelled = crew.job(status="CANCELLED")
    response = crew.tech.command(
        f"/v1/jobs/{cancelled}/reschedule", {"window": window, "reason_code": "WEATHER"}
    )
    assert response.status_code == 409 and response.json()["code"] == "job_cancelled"


# --------------------------------------------------------------------------- assignment


def test_assign_technicians(crew: Crew) -> None:
    job_id = crew.job(technicians=[], status="SCHEDULED")
    second = crew.world.api_user("technician", crew.biz)
    response = crew.owner.command(
        f"/v1/jobs/{job_id}/assign", {"technician_ids": [second.user_id, crew.tech.user_id]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["appointment"]["assigned_technician_ids"] == [
        second.user_id, crew.tech.user_id]
    # The assigned technician now sees it.
    assert second.get(f"/v1/jobs/{job_id}").status_code == 200
    # Re-assigning replaces the crew.
    crew.owner.command(f"/v1/jobs/{job_id}/assign", {"technician_ids": [crew.tech.user_id]})
    assert second.get(f"/v1/jobs/{job_id}").status_code == 404


def test_assign_refuses_people_who_are_not_our_technicians(crew: Crew) -> None:
    job_id = crew.job()
    other_biz = crew.world.business()
    outsider, _ = crew.world.user("technician", other_biz)
    dispatcher, _ = crew.world.user("dispatcher", crew.biz)
    for ids in ([outsider], [dispatcher], [crew.customer_id], [new_id()]):
        response = crew.owner.command(f"/v1/jobs/{job_id}/assign", {"technician_ids": ids})
        assert response.status_code == 422, ids
        assert response.json()["code"] == "invalid"
        assert response.json()["details"]["technician_ids"] == ids
    too_many = [crew.tech.user_id] * 2
    duplicate = crew.owner.command(f"/v1/jobs/{job_id}/assign", {"technician_ids": too_many})
    assert duplicate.status_code == 422


def test_assign_on_a_finished_job(crew: Crew) -> None:
    for status, code in (("COMPLETED", "invalid_transition"), ("CANCELLED", "job_cancelled")):
        job_id = crew.job(status=status, appointment=True)
        response = crew.owner.command(
            f"/v1/jobs/{job_id}/assign", {"technician_ids": [crew.tech.user_id]}
        )
        assert response.status_code == 409 and response.json()["code"] == code


# --------------------------------------------------------------------------- start


def test_start_job(crew: Crew) -> None:
    job_id = crew.job(status="SCHEDULED")
    response = crew.tech.command(f"/v1/jobs/{job_id}/start")
    assert response.status_code == 200 and response.json()["status"] == "IN_PROGRESS"


def test_start_job_refusals(crew: Crew) -> None:
    pending = crew.job()
    response = crew.tech.command(f"/v1/jobs/{pending}/start")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    cancelled = crew.job(status="CANCELLED")
    response = crew.tech.command(f"/v1/jobs/{cancelled}/start")
    assert response.status_code == 409 and response.json()["code"] == "job_cancelled"
    missing = crew.tech.command(f"/v1/jobs/{new_id()}/start")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    not_a_uuid = crew.tech.command("/v1/jobs/not-a-uuid/start")
    assert not_a_uuid.status_code == 422


# --------------------------------------------------------------------------- R8 change orders


def _change_order_body(crew: Crew, job_id: str, png: str, added: list[dict[str, Any]],
                       removed: list[str], *, sign_for: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    change_order_id = new_id()
    content = sign_for or signing.change_order_signed_content(
        change_order_id=change_order_id, job_id=job_id, reason="Corroded valve",
        original_lines=crew.world.job_lines(job_id),
        added_lines=[LineItem.model_validate(x) for x in added], removed_line_ids=removed,
    )
    return {
        "change_order_id": change_order_id, "reason": "Corroded valve", "added_lines": added,
        "removed_line_ids": removed,
        "signature": signature(crew.tech.user_id, png, content),
    }


def test_change_order_updates_the_job_price(crew: Crew) -> None:
    job_id = crew.job(status="IN_PROGRESS")
    png = crew.tech.upload(png_bytes())
    body = _change_order_body(crew, job_id, png, [line(4_500)], [])
    response = crew.tech.command(f"/v1/jobs/{job_id}/change-orders", body)
    assert response.status_code == 201, response.text
    change_order = response.json()
    assert change_order["original_total_cents"] == 20_000
    assert change_order["new_total_cents"] == 24_500
    assert change_order["signature"]["server_received_at"] == "2026-11-16T15:00:00Z"
    job = crew.get_job(job_id)
    assert job["price_cents"] == 24_500
    assert len(job["line_items"]) == 2
    listed = crew.owner.get(f"/v1/jobs/{job_id}/change-orders").json()
    assert [c["id"] for c in listed] == [change_order["id"]]
    stored = crew.world.row(orm.Signature, crew.world.row(
        orm.ChangeOrder, change_order["id"]).signature_id)
    assert stored.content_sha256 == body["signature"]["content_sha256"]


def test_change_order_signed_for_other_content_is_refused(crew: Crew) -> None:
    job_id = crew.job(status="IN_PROGRESS")
    png = crew.tech.upload(png_bytes())
    # The customer saw and signed $45.00; the device sends $450.00.
    signed = _change_order_body(crew, job_id, png, [line(4_500)], [])
    tampered = dict(signed)
    tampered["added_lines"] = [{**signed["added_lines"][0], "unit_price_cents": 45_000}]
    response = crew.tech.command(f"/v1/jobs/{job_id}/change-orders", tampered)
    assert response.status_code == 422
    assert response.json()["code"] == "signature_mismatch"
    assert crew.world.count(orm.ChangeOrder) == 0
    assert crew.world.count(orm.Signature) == 0
    assert crew.get_job(job_id)["price_cents"] == 20_000


def test_change_order_refusals(crew: Crew) -> None:
    png = crew.tech.upload(png_bytes())
    scheduled = crew.job(status="SCHEDULED")
    body = _change_order_body(crew, scheduled, png, [line(100)], [])
    response = crew.tech.command(f"/v1/jobs/{scheduled}/change-orders", body)
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    in_progress = crew.job(status="IN_PROGRESS")
    unknown_line = _change_order_body(crew, in_progress, png, [], [new_id()],
                                      sign_for={"anything": "the device showed"})
    response = crew.tech.command(f"/v1/jobs/{in_progress}/change-orders", unknown_line)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    no_png = _change_order_body(crew, in_progress, "b" * 64, [line(100)], [])
    response = crew.tech.command(f"/v1/jobs/{in_progress}/change-orders", no_png)
    assert response.status_code == 422 and response.json()["details"]["missing_blobs"]
    other_tech = crew.world.api_user("technician", crew.biz)
    body = _change_order_body(crew, in_progress, png, [line(100)], [])
    response = other_tech.command(f"/v1/jobs/{in_progress}/change-orders", body)
    assert response.status_code == 404  # not assigned, not visible


# --------------------------------------------------------------------------- R9 completion, R5


def _complete_body(crew: Crew, job_id: str, png: str, total: int,
                   summary: str = "Installed and tested.") -> dict[str, Any]:
    content = signing.completion_signed_content(
        job_id=job_id, summary=summary, total_cents=total,
        line_items=crew.world.job_lines(job_id),
    )
    return {"summary": summary, "signature": signature(crew.tech.user_id, png, content)}


def test_complete_records_exactly_one_charge(crew: Crew) -> None:
    job_id = crew.job(status="IN_PROGRESS")
    png = crew.tech.upload(png_bytes())
    co = _change_order_body(crew, job_id, png, [line(4_500)], [])
    assert crew.tech.command(f"/v1/jobs/{job_id}/change-orders", co).status_code == 201
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                 _complete_body(crew, job_id, png, 24_500))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["job"]["status"] == "COMPLETED"
    assert body["job"]["appointment"]["status"] == "COMPLETED"
    assert body["charge"]["amount_cents"] == 24_500
    assert body["charge"]["kind"] == "CHARGE"
    entries = crew.world.count(orm.LedgerEntry, job_id=job_id)
    assert entries == 1
    entry = crew.world.row(orm.LedgerEntry, body["charge"]["id"])
    assert entry.breakdown == {
        "job_price_cents": 20_000, "change_orders_delta_cents": 4_500,
        "trip_charge_cents": 0, "trip_visit_id": None, "total_cents": 24_500,
    }
    again = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                              _complete_body(crew, job_id, png, 24_500))
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert crew.world.count(orm.LedgerEntry, job_id=job_id) == 1


def test_completion_signed_for_another_amount_charges_nothing(crew: Crew) -> None:
    job_id = crew.job(status="IN_PROGRESS")
    png = crew.tech.upload(png_bytes())
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                 _complete_body(crew, job_id, png, 19_999))
    assert response.status_code == 422
    assert response.json()["code"] == "signature_mismatch"
    assert crew.world.count(orm.LedgerEntry) == 0
    assert crew.get_job(job_id)["status"] == "IN_PROGRESS"


def test_completion_signature_must_name_the_signed_in_pro(crew: Crew) -> None:
    job_id = crew.job(status="IN_PROGRESS")
    png = crew.tech.upload(png_bytes())
    body = _complete_body(crew, job_id, png, 20_000)
    body["signature"]["pro_user_id"] = crew.owner.user_id
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete", body)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert crew.world.count(orm.LedgerEntry) == 0


def test_accepted_trip_charge_is_billed_on_completion(crew: Crew) -> None:
    request_id = crew.world.request(crew.biz, crew.customer_id)
    trip_at = crew.world.clock() + timedelta(days=1)
    visit_id = crew.world.visit(crew.biz, request_id, crew.tech.user_id, price_cents=5_000,
                                accepted_at=crew.world.clock(), status="COMPLETED",
                                window_start=trip_at)
    job_id = crew.job(status="IN_PROGRESS", request_id=request_id)
    png = crew.tech.upload(png_bytes())
    without_trip = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                     _complete_body(crew, job_id, png, 20_000))
    assert without_trip.json()["code"] == "signature_mismatch"
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                 _complete_body(crew, job_id, png, 25_000))
    assert response.status_code == 200, response.text
    assert response.json()["charge"]["amount_cents"] == 25_000
    entry = crew.world.row(orm.LedgerEntry, response.json()["charge"]["id"])
    assert entry.breakdown["trip_visit_id"] == visit_id


def test_trip_charge_accepted_after_the_trip_is_not_billed(crew: Crew) -> None:
    request_id = crew.world.request(crew.biz, crew.customer_id)
    trip_at = crew.world.clock() - timedelta(days=1)
    crew.world.visit(crew.biz, request_id, crew.tech.user_id, price_cents=5_000,
                     accepted_at=crew.world.clock(), status="COMPLETED", window_start=trip_at)
    job_id = crew.job(status="IN_PROGRESS", request_id=request_id)
    png = crew.tech.upload(png_bytes())
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                 _complete_body(crew, job_id, png, 20_000))
    assert response.status_code == 200, response.text
    assert response.json()["charge"]["amount_cents"] == 20_000


def test_waived_trip_charge_is_not_billed(crew: Crew) -> None:
    request_id = crew.world.request(crew.biz, crew.customer_id)
    crew.world.visit(crew.biz, request_id, crew.tech.user_id, price_cents=5_000,
                     accepted_at=crew.world.clock(), waiver_terms="WAIVE_IF_PROCEED")
    job_id = crew.job(status="IN_PROGRESS", request_id=request_id)
    png = crew.tech.upload(png_bytes())
    response = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                                 _complete_body(crew, job_id, png, 20_000))
    assert response.status_code == 200 and response.json()["charge"]["amount_cents"] == 20_000


def test_report_defective_ends_the_job_without_any_charge(crew: Crew) -> None:
    request_id = crew.world.request(crew.biz, crew.customer_id)
    visit_id = crew.world.visit(crew.biz, request_id, crew.tech.user_id, price_cents=5_000,
                                accepted_at=crew.world.clock())
    job_id = crew.job(status="IN_PROGRESS", request_id=request_id)
    photo = crew.tech.upload(png_bytes((200, 0, 0)))
    response = crew.tech.command(
        f"/v1/jobs/{job_id}/report-defective",
        {"note": "The new faucet is cracked out of the box.", "photo_hashes": [photo]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "NOT_SERVICED"
    assert crew.world.count(orm.LedgerEntry) == 0
    assert crew.world.row(orm.Visit, visit_id).product_defective is True
    photos = crew.owner.get("/v1/photos", params={"target_kind": "job", "target_id": job_id})
    assert [p["blob_hash"] for p in photos.json()] == [photo]
    # Nothing can complete (and charge) it afterwards.
    png = crew.tech.upload(png_bytes())
    after = crew.tech.command(f"/v1/jobs/{job_id}/complete",
                              _complete_body(crew, job_id, png, 20_000))
    assert after.status_code == 409 and after.json()["code"] == "invalid_transition"
    assert crew.world.count(orm.LedgerEntry) == 0


def test_report_defective_refusals(crew: Crew) -> None:
    pending = crew.job()
    response = crew.tech.command(f"/v1/jobs/{pending}/report-defective", {"note": "x"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    empty = crew.tech.command(f"/v1/jobs/{crew.job(status='SCHEDULED')}/report-defective",
                              {"note": ""})
    assert empty.status_code == 422


# --------------------------------------------------------------------------- R10 messages, photos


def test_send_message_and_list(crew: Crew) -> None:
    job_id = crew.job()
    message_id = new_id()
    response = crew.tech.command("/v1/messages", {"message_id": message_id, "job_id": job_id,
                                                  "body": "On my way."})
    assert response.status_code == 201, response.text
    assert response.json()["author_role"] == "pro"
    listed = crew.owner.get("/v1/messages", params={"job_id": job_id}).json()
    assert [m["id"] for m in listed["items"]] == [message_id]
    both = crew.tech.command("/v1/messages", {"message_id": new_id(), "job_id": job_id,
                                              "request_id": new_id(), "body": "x"})
    assert both.status_code == 422
    blank = crew.tech.command("/v1/messages", {"message_id": new_id(), "job_id": job_id,
                                               "body": "   "})
    assert blank.status_code == 422
    other = crew.world.business()
    outsider = crew.world.api_user("owner", other)
    hidden = outsider.command("/v1/messages", {"message_id": new_id(), "job_id": job_id,
                                               "body": "hi"})
    assert hidden.status_code == 404
    assert outsider.get("/v1/messages", params={"job_id": job_id}).status_code == 404


def test_attach_photo(crew: Crew) -> None:
    job_id = crew.job()
    photo = crew.tech.upload(png_bytes((1, 2, 3)))
    response = crew.tech.command("/v1/photos", {"photo_id": new_id(), "target_kind": "job",
                                                "target_id": job_id, "blob_hash": photo,
                                                "caption": "Before"})
    assert response.status_code == 201, response.text
    assert response.json()["blob_hash"] == photo
    missing = crew.tech.command("/v1/photos", {"photo_id": new_id(), "target_kind": "job",
                                               "target_id": job_id, "blob_hash": "c" * 64})
    assert missing.status_code == 422 and missing.json()["details"]["missing_blobs"]
    # The owner may now download it (it belongs to a job of the business).
    assert crew.owner.get(f"/v1/blobs/{photo}").content == png_bytes((1, 2, 3))
