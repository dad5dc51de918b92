"""Batch serialization (`job_models`, one query per relation per page) gives, job by job,
byte for byte the JSON the row-by-row serializer gave (three queries per job); the
pull's unvalidated documents (`job_documents`, `message_document`) are exactly what
validating and dumping the models gives."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.serialize import (
    active_appointment,
    assigned_technician_ids,
    job_documents,
    job_model,
    job_models,
    message_document,
    message_model,
    request_model,
    request_models,
)
from proapp.domain import Appointment, Job, Message, PreferredWindow, TimeWindow
from tests.integration.server.world import World, new_id


def _reference_job(session: Session, row: orm.Job) -> Job:
    """The row-by-row serializer as it was before batching (the oracle)."""
    windows = session.scalars(
        select(orm.PreferredWindow)
        .where(orm.PreferredWindow.job_id == row.id)
        .order_by(orm.PreferredWindow.position)
    ).all()
    technician_ids = assigned_technician_ids(session, row.id)
    appointment_row = active_appointment(session, row.id)
    appointment = None
    if appointment_row is not None:
        appointment = Appointment.model_validate(dict(
            id=appointment_row.id, job_id=row.id,
            window=TimeWindow.model_validate(
                dict(start=appointment_row.start_at, end=appointment_row.end_at)),
            status=appointment_row.status, assigned_technician_ids=technician_ids,
            reschedule_reason=appointment_row.reschedule_reason,
        ))
    return Job.model_validate(dict(
        id=row.id, business_id=row.business_id, customer_id=row.customer_id,
        origin=row.origin, service_id=row.service_id, estimate_id=row.estimate_id,
        title=row.title, scope=row.scope, whats_included=list(row.whats_included),
        line_items=list(row.line_items), location_type=row.location_type,
        address=row.address, time_zone=row.time_zone, customer_name=row.customer_name,
        customer_phone=row.customer_phone, status=row.status, ordered_at=row.ordered_at,
        preferred_windows=[
            PreferredWindow.model_validate(dict(
                id=w.id, window=TimeWindow.model_validate(dict(start=w.start_at, end=w.end_at))
            ))
            for w in windows
        ],
        appointment=appointment, assigned_technician_ids=technician_ids,
        price_cents=row.price_cents,
        window_confirmation_due_at=row.window_confirmation_due_at, version=row.version,
    ))


def _json(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"))


def test_batch_job_serialization_matches_row_by_row(world: World) -> None:
    biz = world.business()
    customer, _ = world.user("customer", None)
    tech_a, _ = world.user("technician", biz)
    tech_b, _ = world.user("technician", biz)
    jobs = [
        world.job(biz, customer),  # windows, no appointment, no technicians
        world.job(biz, customer, windows=0),  # nothing at all
        world.job(biz, customer, status="SCHEDULED", technicians=[tech_b, tech_a]),
        world.job(biz, customer, status="SCHEDULED", windows=0, technicians=[tech_a]),
        world.job(biz, customer, technicians=[tech_a], appointment=False, windows=1),
        world.job(biz, customer, status="SCHEDULED"),  # appointment, no technicians
    ]
    rescheduled = world.job(biz, customer, status="SCHEDULED", technicians=[tech_a])
    jobs.append(rescheduled)
    # A rescheduled job: a cancelled appointment and a newer active one; and a job whose
    # only appointment is cancelled.
    cancelled_only = world.job(biz, customer, appointment=False)
    jobs.append(cancelled_only)
    with world.session_factory() as s, s.begin():
        old = s.scalars(select(orm.Appointment)
                        .where(orm.Appointment.job_id == rescheduled)).one()
        old.status = "CANCELLED"
        start = old.start_at + timedelta(days=3)
        s.add(orm.Appointment(
            id=new_id(), job_id=rescheduled, start_at=start, end_at=start + timedelta(hours=2),
            status="ACTIVE", reschedule_reason=None, previous_appointment_id=old.id,
            created_at=old.created_at + timedelta(minutes=5),
        ))
        s.add(orm.Appointment(
            id=new_id(), job_id=cancelled_only, start_at=start,
            end_at=start + timedelta(hours=2), status="CANCELLED",
            created_at=old.created_at,
        ))

    with world.session_factory() as s:
        rows = s.scalars(select(orm.Job).where(orm.Job.id.in_(jobs))).all()
        assert len(rows) == len(jobs)
        expected = [_json(_reference_job(s, row)) for row in rows]
        assert [_json(model) for model in job_models(s, rows)] == expected
        assert [_json(job_model(s, row)) for row in rows] == expected
        # The cases this test is about are all there.
        parsed = [json.loads(e) for e in expected]
        assert any(j["appointment"] and j["assigned_technician_ids"] for j in parsed)
        assert any(j["appointment"] is None and j["preferred_windows"] for j in parsed)
        assert any(not j["preferred_windows"] and not j["assigned_technician_ids"]
                   for j in parsed)
        assert any(len(j["assigned_technician_ids"]) == 2 for j in parsed)
        assert job_models(s, []) == []


def test_batch_request_serialization_matches_row_by_row(world: World) -> None:
    biz = world.business()
    customer, _ = world.user("customer", None)
    ids = [world.request(biz, customer) for _ in range(3)]
    with world.session_factory() as s:
        rows = s.scalars(select(orm.CustomRequest)
                         .where(orm.CustomRequest.id.in_(ids))).all()
        assert [_json(m) for m in request_models(s, rows)] == [
            _json(request_model(s, row)) for row in rows
        ]


def test_pull_and_rest_list_send_the_same_job_json(world: World) -> None:
    biz = world.business()
    customer, _ = world.user("customer", None)
    owner = world.api_user("owner", biz)
    tech, _ = world.user("technician", biz)
    jobs = {world.job(biz, customer, status="SCHEDULED", technicians=[tech]),
            world.job(biz, customer), world.job(biz, customer, windows=0)}
    pulled: dict[str, Any] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = owner.client.get(
            "/v1/sync/pull", params=params,
            headers={**owner.headers, "X-Client-Id": "5a0f3c3e-1d2b-4c4d-8e8f-0a1b2c3d4e5f"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pulled.update({c["id"]: c["data"] for c in body["changes"] if c["kind"] == "job"})
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    listed = {j["id"]: j for j in owner.get("/v1/jobs").json()["items"]}
    assert set(pulled) == set(listed) == jobs
    with world.session_factory() as s:
        for job_id in jobs:
            reference = _reference_job(s, s.get_one(orm.Job, job_id)).model_dump(mode="json")
            assert pulled[job_id] == reference
            assert listed[job_id] == reference


def test_job_documents_are_what_validating_and_dumping_the_job_gives(world: World) -> None:
    """`job_documents` (the pull's jobs, built without the validators) must be exactly
    ``job_model(...).model_dump(mode="json")``: same keys in the same order, defaults,
    derived line totals, the UTC wire format, and the validated model gives it back."""
    biz = world.business()
    customer, _ = world.user("customer", None)
    tech_a, _ = world.user("technician", biz)
    tech_b, _ = world.user("technician", biz)
    request = world.request(biz, customer)
    world.visit(biz, request, tech_a, price_cents=7_500, accepted_at=world.clock())
    lines = [  # stored without total_cents, one without quantity, one with a stray key
        {"id": new_id(), "kind": "LABOR", "description": "Install", "quantity": 3,
         "unit_price_cents": 12_345},
        {"id": new_id(), "kind": "PART", "description": "Valve", "unit_price_cents": 999},
        {"id": new_id(), "kind": "FEE", "description": "Disposal", "quantity": 1,
         "unit_price_cents": 0, "total_cents": 5, "note": "not part of LineItem"},
    ]
    jobs = [
        world.job(biz, customer),
        world.job(biz, customer, windows=0),
        world.job(biz, customer, status="SCHEDULED", technicians=[tech_b, tech_a], lines=lines),
        world.job(biz, customer, request_id=request, price_cents=30_000),  # trip charge
        world.job(biz, customer, status="CANCELLED", appointment=True, technicians=[tech_a]),
        world.job(biz, customer, status="IN_PROGRESS", technicians=[tech_a]),
    ]
    rescheduled = jobs[-1]
    with world.session_factory() as s, s.begin():
        appointment = s.scalars(select(orm.Appointment)
                                .where(orm.Appointment.job_id == jobs[4])).one()
        appointment.status = "CANCELLED"
        appointment.start_at = appointment.start_at.replace(microsecond=250_000)
        again = s.scalars(select(orm.Appointment)
                          .where(orm.Appointment.job_id == rescheduled)).one()
        again.reschedule_reason = "WEATHER"
        odd = s.get_one(orm.Job, jobs[0])
        odd.address = {"line1": "9 Elm St", "city": "Town", "state": "CA",
                       "postal_code": "94000-1234"}  # no line2: the model's default
        odd.customer_phone = "+1 555 0100"
        odd.scope = "Übergröße ✓ \"quoted\""

    with world.session_factory() as s:
        rows = s.scalars(select(orm.Job).where(orm.Job.id.in_(jobs))).all()
        documents = job_documents(s, rows)
        models = job_models(s, rows)
        # Plain column rows (what the pull reads) give the same documents as ORM rows.
        plain = s.execute(select(orm.Job.__table__).where(orm.Job.id.in_(jobs))).all()
        by_id = {row.id: row for row in plain}
        assert job_documents(s, [by_id[row.id] for row in rows]) == documents
    assert len(documents) == len(jobs)
    for document, model in zip(documents, models, strict=True):
        dumped = model.model_dump(mode="json")
        assert json.dumps(document) == json.dumps(dumped)  # key order included
        assert Job.model_validate(document).model_dump(mode="json") == document
    by_job = {d["id"]: d for d in documents}
    # The cases this test is about are all there.
    assert by_job[jobs[2]]["line_items"][0]["total_cents"] == 3 * 12_345
    assert by_job[jobs[2]]["line_items"][1]["quantity"] == 1
    assert by_job[jobs[2]]["line_items"][2]["total_cents"] == 0
    assert by_job[jobs[3]]["trip_charge_cents"] > 0
    assert by_job[jobs[4]]["appointment"]["status"] == "CANCELLED"
    assert by_job[jobs[4]]["appointment"]["window"]["start"].endswith(".250000Z")
    assert by_job[rescheduled]["appointment"]["reschedule_reason"] == "WEATHER"
    assert by_job[jobs[0]]["address"]["line2"] == ""
    assert by_job[jobs[1]]["preferred_windows"] == []


def test_message_documents_are_what_validating_and_dumping_the_message_gives(
    world: World,
) -> None:
    biz = world.business()
    customer, _ = world.user("customer", None)
    tech, _ = world.user("technician", biz)
    job = world.job(biz, customer, technicians=[tech])
    request = world.request(biz, customer)
    now = world.clock()
    with world.session_factory() as s, s.begin():
        for i, (job_id, request_id) in enumerate([(job, None), (None, request)]):
            s.add(orm.Message(
                id=new_id(), business_id=biz, job_id=job_id, request_id=request_id,
                author_id=tech, author_role="pro", body=f"On my way ✓ {i}",
                sent_at=now.replace(microsecond=1) if i else now,
            ))
    with world.session_factory() as s:
        rows = s.scalars(select(orm.Message).where(orm.Message.business_id == biz)).all()
        assert len(rows) == 2
        for row in rows:
            document = message_document(row)
            assert json.dumps(document) == json.dumps(
                message_model(row).model_dump(mode="json"))
            assert Message.model_validate(document).model_dump(mode="json") == document
