from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from proapp.domain import (
    Address,
    Appointment,
    Business,
    ChangeOrder,
    ComplianceDocument,
    ComplianceKind,
    CustomRequest,
    ErrorBody,
    Estimate,
    EstimateStatus,
    Job,
    JobStatus,
    LedgerEntry,
    LineItem,
    LocationType,
    Message,
    PackagedService,
    Page,
    PartsSupplier,
    Review,
    Role,
    TimeWindow,
    User,
    VisitProposal,
    format_utc,
    lines_total,
    new_id,
)
from tests.unit.domain.factories import ADDRESS, HASH_A, T0, job, line, signature, window


def test_ids_are_normalised_to_canonical_lowercase_uuid() -> None:
    raw = "A80D2220-25B9-4843-843F-95D048BD3C32"
    item = line(id=raw)
    assert item.id == raw.lower()
    with pytest.raises(ValidationError):
        line(id="not-a-uuid")
    with pytest.raises(ValidationError):
        line(id="a" * 100)


def test_line_item_total_and_strict_integers() -> None:
    item = line(cents=1250, quantity=3)
    assert item.total_cents == 3750
    assert json.loads(item.model_dump_json())["total_cents"] == 3750
    for bad in (
        {"quantity": 0},
        {"quantity": -1},
        {"unit_price_cents": -1},
        {"unit_price_cents": 12.5},
        {"unit_price_cents": 12.0},
        {"quantity": True},
        {"description": ""},
    ):
        with pytest.raises(ValidationError):
            line(**bad)


def test_line_item_total_in_input_is_ignored_not_trusted() -> None:
    data = line(cents=100, quantity=2).model_dump()
    data["total_cents"] = 999_999
    assert LineItem.model_validate(data).total_cents == 200


def test_models_are_frozen_and_ignore_unknown_fields() -> None:
    item = LineItem.model_validate({**line().model_dump(), "added_in_v9": "x"})
    with pytest.raises(ValidationError):
        item.quantity = 5  # type: ignore[misc]
    assert not hasattr(item, "added_in_v9")


def test_time_window_requires_aware_and_end_after_start() -> None:
    with pytest.raises(ValidationError):
        TimeWindow(start=T0, end=T0)
    with pytest.raises(ValidationError):
        TimeWindow(start=T0, end=T0 - timedelta(minutes=1))
    with pytest.raises(ValidationError):
        TimeWindow(start=datetime(2026, 1, 1, 9), end=datetime(2026, 1, 1, 11))
    pacific = timezone(timedelta(hours=-8))
    w = TimeWindow.model_validate(
        {"start": datetime(2026, 1, 1, 9, tzinfo=pacific), "end": "2026-01-01T19:00:00Z"}
    )
    assert w.start == datetime(2026, 1, 1, 17, tzinfo=UTC)
    assert w.start.tzinfo is UTC
    assert json.loads(w.model_dump_json()) == {
        "start": "2026-01-01T17:00:00Z",
        "end": "2026-01-01T19:00:00Z",
    }
    assert w.contains(w.start) and not w.contains(w.end)


def test_format_utc_refuses_naive() -> None:
    assert format_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        format_utc(datetime(2026, 1, 1))


def test_job_round_trips_through_json() -> None:
    original = job(line_items=[line().model_dump()])
    again = Job.model_validate_json(original.model_dump_json())
    assert again == original
    assert again.ordered_at.tzinfo is UTC


def test_job_invariants() -> None:
    with pytest.raises(ValidationError, match="service_id"):
        job(service_id=None)
    with pytest.raises(ValidationError, match="estimate_id"):
        job(origin="ESTIMATE")
    assert job(origin="ESTIMATE", estimate_id=new_id(), service_id=None).estimate_id
    with pytest.raises(ValidationError, match="address"):
        job(address=None)
    assert job(address=None, location_type="ONLINE").address is None
    with pytest.raises(ValidationError, match="appointment"):
        job(status=JobStatus.SCHEDULED)
    with pytest.raises(ValidationError):
        job(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError):
        job(preferred_windows=[{"id": new_id(), "window": window().model_dump()}] * 4)
    with pytest.raises(ValidationError):
        job(price_cents=-1)


def test_job_appointment_must_belong_to_job_and_assigned_techs_listed() -> None:
    job_id = new_id()
    tech = new_id()
    appt = Appointment(id=new_id(), job_id=job_id, window=window(), assigned_technician_ids=[tech])
    scheduled = job(
        id=job_id, status="SCHEDULED", appointment=appt.model_dump(), assigned_technician_ids=[tech]
    )
    assert scheduled.assigned_technician_ids == [tech]
    assert job().assigned_technician_ids == []
    # Assignment lives on the job, so an unscheduled job can have its technician too.
    assert job(assigned_technician_ids=[tech]).assigned_technician_ids == [tech]
    with pytest.raises(ValidationError, match="assigned technicians"):
        job(assigned_technician_ids=[tech, tech])
    with pytest.raises(ValidationError, match="another job"):
        job(status="SCHEDULED", appointment=appt.model_dump())
    with pytest.raises(ValidationError):
        Appointment(
            id=new_id(), job_id=job_id, window=window(), assigned_technician_ids=[tech, tech]
        )
    with pytest.raises(ValidationError):
        Appointment(
            id=new_id(),
            job_id=job_id,
            window=window(),
            assigned_technician_ids=[new_id() for _ in range(6)],
        )


def test_preferred_window_lookup() -> None:
    j = job()
    first = j.preferred_windows[0]
    assert j.preferred_window(first.id) == first
    assert j.preferred_window(new_id()) is None


def test_user_role_and_business() -> None:
    biz = new_id()
    tech = User(
        id=new_id(),
        email="tess@brightfix.example",
        name="Tess",
        role=Role.TECHNICIAN,
        business_id=biz,
    )
    assert not tech.is_staff
    assert User(
        id=new_id(), email="o@b.example", name="O", role=Role.OWNER, business_id=biz
    ).is_staff
    with pytest.raises(ValidationError, match="belong to a business"):
        User(id=new_id(), email="t@b.example", name="T", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError):
        User(id=new_id(), email="a@c.example", name="A", role=Role.CUSTOMER, business_id=biz)
    with pytest.raises(ValidationError):
        User(id=new_id(), email="no-at-sign", name="A", role=Role.CUSTOMER)


def test_business_and_service() -> None:
    biz = Business(id=new_id(), name="BrightFix", time_zone="America/Los_Angeles", state="WA")
    assert biz.technicians_see_unassigned is False
    with pytest.raises(ValidationError):
        Business(id=new_id(), name="X", time_zone="America/Los_Angeles", state="wa")
    svc = PackagedService(
        id=new_id(),
        business_id=biz.id,
        title="TV mount",
        price_cents=12_900,
        whats_included=["Bracket"],
        parts_supplier=PartsSupplier.PRO,
        location_type=LocationType.IN_HOME,
        duration_minutes=90,
    )
    assert svc.whats_included == ["Bracket"]
    with pytest.raises(ValidationError):
        PackagedService.model_validate({**svc.model_dump(), "duration_minutes": 0})


def _request(**overrides: Any) -> CustomRequest:
    data: dict[str, Any] = {
        "id": new_id(),
        "business_id": new_id(),
        "customer_id": new_id(),
        "title": "Hang shelves",
        "location_type": "IN_HOME",
        "address": ADDRESS,
        "time_zone": "America/New_York",
        "submitted_at": T0,
        "estimate_due_at": T0 + timedelta(days=1),
        "closes_at": T0 + timedelta(days=3),
    }
    data.update(overrides)
    return CustomRequest.model_validate(data)


def test_custom_request_deadline_order_and_address() -> None:
    assert _request().status == "OPEN"
    with pytest.raises(ValidationError):
        _request(closes_at=T0 - timedelta(hours=1))
    with pytest.raises(ValidationError):
        _request(address=None)
    with pytest.raises(ValidationError):
        _request(site_photo_hashes=["xyz"])
    assert _request(site_photo_hashes=[HASH_A.upper()]).site_photo_hashes == [HASH_A]
    with pytest.raises(ValidationError):
        Address.model_validate({**ADDRESS, "postal_code": "\u0661\u0662\u0663\u0664\u0665"})


def test_estimate_rules() -> None:
    base: dict[str, Any] = {
        "id": new_id(),
        "request_id": new_id(),
        "business_id": new_id(),
        "parts_supplier": "CUSTOMER",
    }
    draft = Estimate.model_validate(base)
    assert draft.total_cents == 0 and draft.status is EstimateStatus.DRAFT
    lines = [line(cents=500, quantity=2).model_dump(), line(cents=250).model_dump()]
    sent = Estimate.model_validate(
        {
            **base,
            "status": "SUBMITTED",
            "submitted_at": T0,
            "line_items": lines,
            "valid_until": T0 + timedelta(days=14),
        }
    )
    assert sent.total_cents == 1250
    with pytest.raises(ValidationError, match="submitted_at"):
        Estimate.model_validate({**base, "status": "SUBMITTED", "line_items": lines})
    with pytest.raises(ValidationError, match="line item"):
        Estimate.model_validate({**base, "status": "SUBMITTED", "submitted_at": T0})
    with pytest.raises(ValidationError, match="repeat"):
        Estimate.model_validate({**base, "line_items": [lines[0], lines[0]]})


def test_visit_proposal_rules() -> None:
    base: dict[str, Any] = {
        "id": new_id(),
        "request_id": new_id(),
        "business_id": new_id(),
        "price_cents": 5000,
    }
    assert not VisitProposal.model_validate(base).trip_charge_accepted
    with pytest.raises(ValidationError, match="minimum"):
        VisitProposal.model_validate({**base, "minimum_trip_charge_cents": 6000})
    with pytest.raises(ValidationError, match="exceed"):
        VisitProposal.model_validate(
            {**base, "discount_cents": 6000, "waiver_terms": "DISCOUNT_IF_PROCEED"}
        )
    with pytest.raises(ValidationError, match="DISCOUNT_IF_PROCEED"):
        VisitProposal.model_validate({**base, "discount_cents": 100})
    with pytest.raises(ValidationError, match="accepted_at"):
        VisitProposal.model_validate({**base, "status": "ACCEPTED"})
    with pytest.raises(ValidationError, match="window"):
        VisitProposal.model_validate({**base, "status": "SCHEDULED", "accepted_at": T0})
    ok = VisitProposal.model_validate({**base, "status": "ACCEPTED", "accepted_at": T0})
    assert ok.trip_charge_accepted


def test_signature_record_has_no_floats_and_needs_strokes() -> None:
    sig = signature()
    assert json.loads(sig.model_dump_json())["strokes"][0][0] == [1, 2]
    with pytest.raises(ValidationError):
        signature(strokes=[])
    with pytest.raises(ValidationError):
        signature(strokes=[[]])
    with pytest.raises(ValidationError):
        signature(strokes=[[(1.5, 2)]])
    with pytest.raises(ValidationError):
        signature(location={"lat_e6": 47.6, "lon_e6": -122.3})
    assert signature(location={"lat_e6": 47_606_200, "lon_e6": -122_332_100}).location


def test_change_order_needs_a_change() -> None:
    base: dict[str, Any] = {
        "id": new_id(),
        "job_id": new_id(),
        "reason": "Extra bracket",
        "original_total_cents": 1000,
        "new_total_cents": 1500,
        "signature": signature().model_dump(),
    }
    with pytest.raises(ValidationError, match="add or remove"):
        ChangeOrder.model_validate(base)
    co = ChangeOrder.model_validate({**base, "added_lines": [line(cents=500).model_dump()]})
    assert co.delta_cents == 500 and co.status == "SIGNED"


def test_message_belongs_to_exactly_one_thread() -> None:
    base: dict[str, Any] = {
        "id": new_id(),
        "author_id": new_id(),
        "author_role": "pro",
        "body": "On my way",
        "sent_at": T0,
    }
    with pytest.raises(ValidationError):
        Message.model_validate(base)
    with pytest.raises(ValidationError):
        Message.model_validate({**base, "job_id": new_id(), "request_id": new_id()})
    assert Message.model_validate({**base, "job_id": new_id()}).request_id is None
    with pytest.raises(ValidationError):
        Message.model_validate({**base, "job_id": new_id(), "body": ""})


def test_review_ledger_compliance() -> None:
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            Review(id=new_id(), job_id=new_id(), rating=rating, created_at=T0)
    assert Review(id=new_id(), job_id=new_id(), rating=5, created_at=T0).rating == 5
    with pytest.raises(ValidationError):
        LedgerEntry(
            id=new_id(), job_id=new_id(), amount_cents=0, created_at=T0, signature_sha256=HASH_A
        )
    assert (
        LedgerEntry(
            id=new_id(), job_id=new_id(), amount_cents=1, created_at=T0, signature_sha256=HASH_A
        ).kind
        == "CHARGE"
    )
    doc = ComplianceDocument(
        id=new_id(), user_id=new_id(), kind=ComplianceKind.INSURANCE, expires_on=date(2027, 1, 1)
    )
    assert doc.verified is False


def test_page_and_error_body() -> None:
    page = Page[LineItem].model_validate({"items": [line().model_dump()]})
    assert page.next_page_token is None and len(page.items) == 1
    body = ErrorBody.model_validate({"code": "invalid", "message": "x"})
    assert body.details == {}


def test_lines_total() -> None:
    assert lines_total([line(cents=100, quantity=3), line(cents=1)]) == 301
    assert lines_total([]) == 0
