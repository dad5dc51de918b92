"""Rows to shared domain models (one model per layer, converted explicitly).

API responses are the shared domain models (`proapp.domain.models`), so the client
parses exactly what the server validated. Each function reads what it needs from the
session; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import orm
from proapp.domain import (
    AppointmentStatus,
    ChangeOrder,
    ComplianceDocument,
    CustomRequest,
    Estimate,
    Job,
    JobStatus,
    LedgerEntry,
    Message,
    PackagedService,
    Review,
    SignatureRecord,
    TimeWindow,
    User,
    VisitProposal,
    VisitStatus,
    rules,
)
from proapp.domain.models import Business, format_utc

M = TypeVar("M", bound=BaseModel)

_IN_CHUNK = 500
"""Ids per ``IN (...)`` list when batch-loading a page's relations."""


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i:i + _IN_CHUNK] for i in range(0, len(unique), _IN_CHUNK)]


def _build(model: type[M], **fields: Any) -> M:
    # model_validate (not the constructor) so stored strings become enums and JSON
    # dicts become nested models, with the domain's validators applied.
    return model.model_validate(fields)


__all__ = [
    "active_appointment",
    "assigned_technician_ids",
    "business_model",
    "change_order_model",
    "change_order_models",
    "compliance_document_model",
    "estimate_model",
    "job_documents",
    "job_model",
    "job_models",
    "ledger_entry_model",
    "message_document",
    "message_model",
    "photo_model",
    "request_model",
    "request_models",
    "review_model",
    "service_model",
    "signature_model",
    "team_member_model",
    "trip_charges",
    "user_model",
    "visit_model",
]


def user_model(row: orm.User) -> User:
    """The public view of a user (no hash, no phone)."""
    return _build(User, 
        id=row.id, email=row.email, name=row.name, role=row.role, business_id=row.business_id
    )


def business_model(row: orm.Business) -> Business:
    """A business."""
    return _build(Business, 
        id=row.id, name=row.name, time_zone=row.time_zone, state=row.state,
        technicians_see_unassigned=row.technicians_see_unassigned,
    )


def service_model(row: orm.PackagedService) -> PackagedService:
    """A packaged service of the catalogue (R1)."""
    return _build(PackagedService, 
        id=row.id, business_id=row.business_id, title=row.title, description=row.description,
        price_cents=row.price_cents, whats_included=list(row.whats_included),
        parts_supplier=row.parts_supplier, location_type=row.location_type,
        duration_minutes=row.duration_minutes,
    )


def request_model(session: Session, row: orm.CustomRequest) -> CustomRequest:
    """A custom request with its site photos in order."""
    return request_models(session, [row])[0]


def request_models(
    session: Session, rows: Sequence[orm.CustomRequest]
) -> list[CustomRequest]:
    """Custom requests with their site photos and customer names, loaded with one query
    per relation per 500 requests."""
    photos: dict[str, list[str]] = defaultdict(list)
    for ids in _chunks([row.id for row in rows]):
        for request_id, sha in session.execute(
            select(orm.RequestPhoto.request_id, orm.RequestPhoto.blob_sha256)
            .where(orm.RequestPhoto.request_id.in_(ids))
            .order_by(orm.RequestPhoto.request_id, orm.RequestPhoto.position)
        ).all():
            photos[request_id].append(sha)
    names: dict[str, str] = {}
    for ids in _chunks(sorted({row.customer_id for row in rows})):
        for user_id, name in session.execute(
            select(orm.User.id, orm.User.name).where(orm.User.id.in_(ids))
        ).all():
            names[user_id] = name
    return [
        _build(CustomRequest,
            id=row.id, business_id=row.business_id, customer_id=row.customer_id,
            customer_name=names.get(row.customer_id, ""),
            title=row.title, description=row.description,
            site_photo_hashes=list(photos.get(row.id, [])),
            dimensions=row.dimensions, product_info=row.product_info,
            location_type=row.location_type, address=row.address, time_zone=row.time_zone,
            submitted_at=row.submitted_at, status=row.status,
            estimate_due_at=row.estimate_due_at, closes_at=row.closes_at,
        )
        for row in rows
    ]


def estimate_model(row: orm.Estimate) -> Estimate:
    """An estimate (R3)."""
    return _build(Estimate, 
        id=row.id, request_id=row.request_id, business_id=row.business_id,
        technician_id=row.technician_id, line_items=list(row.line_items),
        parts_supplier=row.parts_supplier, notes=row.notes,
        photo_hashes=list(row.photo_hashes), valid_until=row.valid_until, status=row.status,
        submitted_at=row.submitted_at,
    )


def visit_model(row: orm.Visit) -> VisitProposal:
    """A visit proposal (R4)."""
    window = None
    if row.window_start is not None and row.window_end is not None:
        window = _build(TimeWindow, start=row.window_start, end=row.window_end)
    return _build(VisitProposal, 
        id=row.id, request_id=row.request_id, business_id=row.business_id,
        price_cents=row.price_cents, minimum_trip_charge_cents=row.minimum_trip_charge_cents,
        waiver_terms=row.waiver_terms, discount_cents=row.discount_cents, note=row.note,
        status=row.status, proposed_at=row.proposed_at, accepted_at=row.accepted_at,
        window=window,
    )


def assigned_technician_ids(session: Session, job_id: str) -> list[str]:
    """Technicians assigned to a job, in assignment order."""
    return list(
        session.scalars(
            select(orm.JobAssignment.user_id)
            .where(orm.JobAssignment.job_id == job_id)
            .order_by(orm.JobAssignment.position, orm.JobAssignment.user_id)
        ).all()
    )


def active_appointment(session: Session, job_id: str) -> orm.Appointment | None:
    """The job's current appointment: the newest one that is not CANCELLED."""
    return session.scalars(
        select(orm.Appointment)
        .where(
            orm.Appointment.job_id == job_id,
            orm.Appointment.status != AppointmentStatus.CANCELLED.value,
        )
        .order_by(orm.Appointment.created_at.desc(), orm.Appointment.id)
        .limit(1)
    ).first()


def job_model(session: Session, row: orm.Job) -> Job:
    """A job with its preferred windows, current appointment and technicians."""
    return job_models(session, [row])[0]


def job_models(session: Session, rows: Sequence[orm.Job]) -> list[Job]:
    """Jobs with their preferred windows, current appointment and technicians.

    The relations of all ``rows`` are loaded together: one query per relation per 500
    jobs (not three per job), so a page of a list or of a sync snapshot costs a handful
    of statements. The result is the same as :func:`job_model` row by row.
    """
    # One validation of the whole nested job (the same validators as building each
    # nested model on its own, with less overhead).
    return [Job.model_validate(fields)
            for fields in _job_fields(session, rows, _as_datetime)]


def job_documents(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Jobs as JSON-ready dicts: for each row exactly ``job_model(...).model_dump(
    mode="json")``, built without running the `Job` validators.

    For the sync pull, where validating and dumping each of thousands of jobs was most of
    the server's time. What the rows hold was validated on the way in (every command
    builds the domain models it stores), so this renders it the way the model would:
    the same keys in the same order, defaults filled in, line totals computed, UTC
    times in the one wire format (`format_utc`). ``tests/integration/server/
    test_serialize_batch_server.py`` checks that validating a document and dumping it
    again gives the document back. Devices still validate every entity against the
    shared model when they read it from their cache. ``rows`` may be ORM rows or plain
    column rows of ``jobs``.
    """
    return _job_fields(session, rows, format_utc)


def _as_datetime(value: datetime) -> datetime:
    return value


def _job_fields(session: Session, rows: Sequence[Any],
                moment: Callable[[datetime], Any]) -> list[dict[str, Any]]:
    """The fields of each job in `Job`'s order, its relations loaded for all rows at
    once; times passed through ``moment`` (as they are for validation, or formatted)."""
    # Plain column rows, not ORM entities: a snapshot page has thousands of windows and
    # building identity-mapped objects for them costs more than the queries. (The
    # session autoflushes, so pending changes are in what these statements read.)
    # Rows are unpacked like tuples (far cheaper than reading a Row's attributes, which
    # counts with thousands of windows per page), windows built here in their final form.
    windows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    technicians: dict[str, list[str]] = defaultdict(list)
    appointments: dict[str, tuple[Any, ...]] = {}
    last_cancelled: dict[str, tuple[Any, ...]] = {}
    for ids in _chunks([row.id for row in rows]):
        for job_id, window_id, start, end in session.execute(
            select(orm.PreferredWindow.job_id, orm.PreferredWindow.id,
                   orm.PreferredWindow.start_at, orm.PreferredWindow.end_at)
            .where(orm.PreferredWindow.job_id.in_(ids))
            .order_by(orm.PreferredWindow.job_id, orm.PreferredWindow.position)
        ).all():
            windows[job_id].append(
                {"id": window_id, "window": {"start": moment(start), "end": moment(end)}})
        for job_id, user_id in session.execute(
            select(orm.JobAssignment.job_id, orm.JobAssignment.user_id)
            .where(orm.JobAssignment.job_id.in_(ids))
            .order_by(orm.JobAssignment.job_id, orm.JobAssignment.position,
                      orm.JobAssignment.user_id)
        ).all():
            technicians[job_id].append(user_id)
        # The current appointment of each job: its newest one that is not CANCELLED
        # (the first per job in this order, as in active_appointment). A cancelled job
        # keeps its last appointment, marked CANCELLED, so the pro's schedule can still
        # show the visit that will not happen on the day it was booked for.
        for job_id, *appointment in session.execute(
            select(orm.Appointment.job_id, orm.Appointment.id, orm.Appointment.start_at,
                   orm.Appointment.end_at, orm.Appointment.status,
                   orm.Appointment.reschedule_reason)
            .where(orm.Appointment.job_id.in_(ids))
            .order_by(orm.Appointment.created_at.desc(), orm.Appointment.id)
        ).all():
            if appointment[3] != AppointmentStatus.CANCELLED.value:
                appointments.setdefault(job_id, tuple(appointment))
            else:
                last_cancelled.setdefault(job_id, tuple(appointment))
    trips = trip_charges(session, rows)
    return [
        _job(row, windows.get(row.id, []), technicians.get(row.id, []),
             appointments.get(row.id) or (
                 last_cancelled.get(row.id) if row.status == JobStatus.CANCELLED.value
                 else None),
             trips.get(row.id, (0, None))[0], moment)
        for row in rows
    ]


def trip_charges(session: Session, rows: Sequence[orm.Job]) -> dict[str, tuple[int, str | None]]:
    """R5: per job booked from a request, the billable trip charge of the request's
    visit and that visit's id (jobs without one are absent: no trip charge).

    Billable only if the customer accepted the visit before the trip (the visit's
    window start when it was scheduled) and the product was not defective; R4 waivers
    and discounts apply because the customer went ahead (there is a job). The first
    accepted visit that qualifies counts. One query per 500 jobs.
    """
    jobs_by_request: dict[str, list[orm.Job]] = defaultdict(list)
    for row in rows:
        if row.request_id is not None:
            jobs_by_request[row.request_id].append(row)
    out: dict[str, tuple[int, str | None]] = {}
    for request_ids in _chunks(list(jobs_by_request)):
        for visit in session.scalars(
            select(orm.Visit)
            .where(
                orm.Visit.request_id.in_(request_ids),
                orm.Visit.accepted_at.is_not(None),
                orm.Visit.status.in_([VisitStatus.ACCEPTED.value, VisitStatus.SCHEDULED.value,
                                      VisitStatus.COMPLETED.value]),
            )
            .order_by(orm.Visit.accepted_at, orm.Visit.id)
        ).all():
            accepted_before_trip = visit.accepted_at is not None and (
                visit.window_start is None or visit.accepted_at <= visit.window_start
            )
            if not rules.is_trip_charge_billable(accepted_before_trip, visit.product_defective):
                continue
            charge = rules.visit_charge_cents(visit_model(visit), customer_proceeded=True)
            for job in jobs_by_request[visit.request_id]:
                if job.business_id == visit.business_id:
                    out.setdefault(job.id, (charge, visit.id))
    return out


def _job(row: Any, windows: list[dict[str, Any]], technician_ids: list[str],
         appointment: tuple[Any, ...] | None, trip_charge_cents: int,
         moment: Callable[[datetime], Any]) -> dict[str, Any]:
    """One job's fields from its row and its relations as _job_fields loads them
    (``appointment``: id, start, end, status, reschedule reason), keys in `Job`'s field
    order (and its nested models')."""
    appointment_fields = None
    if appointment is not None:
        appointment_id, start, end, status, reschedule_reason = appointment
        appointment_fields = {
            "id": appointment_id, "job_id": row.id,
            "window": {"start": moment(start), "end": moment(end)},
            "status": status,
            "assigned_technician_ids": list(technician_ids),
            "reschedule_reason": reschedule_reason,
        }
    return {
        "id": row.id, "business_id": row.business_id, "customer_id": row.customer_id,
        "origin": row.origin, "service_id": row.service_id, "estimate_id": row.estimate_id,
        "title": row.title, "scope": row.scope, "whats_included": list(row.whats_included),
        "line_items": [_line_item(line) for line in row.line_items],
        "location_type": row.location_type,
        "address": None if row.address is None else _address(row.address),
        "time_zone": row.time_zone, "customer_name": row.customer_name,
        "customer_phone": row.customer_phone, "status": row.status,
        "ordered_at": moment(row.ordered_at),
        "preferred_windows": windows,
        "appointment": appointment_fields, "assigned_technician_ids": list(technician_ids),
        "price_cents": row.price_cents, "trip_charge_cents": trip_charge_cents,
        "window_confirmation_due_at": moment(row.window_confirmation_due_at),
        "version": row.version,
    }


def _line_item(line: dict[str, Any]) -> dict[str, Any]:
    # As `LineItem` dumps it: the stored keys it knows (a missing quantity is its
    # default, 1) and the derived total.
    quantity = line.get("quantity", 1)
    return {"id": line["id"], "kind": line["kind"], "description": line["description"],
            "quantity": quantity, "unit_price_cents": line["unit_price_cents"],
            "total_cents": quantity * line["unit_price_cents"]}


def _address(address: dict[str, Any]) -> dict[str, Any]:
    # As `Address` dumps it (``line2`` defaults to "").
    return {"line1": address["line1"], "line2": address.get("line2", ""),
            "city": address["city"], "state": address["state"],
            "postal_code": address["postal_code"]}


def signature_model(row: orm.Signature) -> SignatureRecord:
    """A stored signature record (DESIGN.md section 5)."""
    return _build(SignatureRecord, 
        signer_name=row.signer_name, strokes=row.strokes, png_sha256=row.png_sha256,
        device_signed_at=row.device_signed_at, server_received_at=row.server_received_at,
        consent_text=row.consent_text, pro_user_id=row.pro_user_id, device_id=row.device_id,
        location=row.location, content_sha256=row.content_sha256,
    )


def change_order_model(session: Session, row: orm.ChangeOrder) -> ChangeOrder:
    """A signed change order (R8)."""
    return change_order_models(session, [row])[0]


def change_order_models(
    session: Session, rows: Sequence[orm.ChangeOrder]
) -> list[ChangeOrder]:
    """Signed change orders, their signatures loaded with one query per 500 orders."""
    signatures: dict[str, orm.Signature] = {}
    for ids in _chunks([row.signature_id for row in rows]):
        for signature in session.scalars(
            select(orm.Signature).where(orm.Signature.id.in_(ids))
        ).all():
            signatures[signature.id] = signature
    out = []
    for row in rows:
        # As before (session.get_one): a dangling signature id is an error.
        signature = signatures.get(row.signature_id) or session.get_one(
            orm.Signature, row.signature_id
        )
        out.append(_build(ChangeOrder,
            id=row.id, job_id=row.job_id, reason=row.reason,
            added_lines=list(row.added_lines), removed_line_ids=list(row.removed_line_ids),
            original_total_cents=row.original_total_cents,
            new_total_cents=row.new_total_cents,
            photo_hashes=list(row.photo_hashes), signature=signature_model(signature),
            status=row.status, created_at=row.created_at,
        ))
    return out


def message_model(row: orm.Message) -> Message:
    """A message (R10)."""
    return _build(Message, 
        id=row.id, job_id=row.job_id, request_id=row.request_id, author_id=row.author_id,
        author_role=row.author_role, body=row.body, sent_at=row.sent_at,
    )


def message_document(row: Any) -> dict[str, Any]:
    """A message as JSON-ready dict: ``message_model(row).model_dump(mode="json")``
    without running the validators (see `job_documents` for why that is sound; the
    pull sends many thousands of messages after a busy day)."""
    return {"id": row.id, "job_id": row.job_id, "request_id": row.request_id,
            "author_id": row.author_id, "author_role": row.author_role, "body": row.body,
            "sent_at": format_utc(row.sent_at)}


def ledger_entry_model(row: orm.LedgerEntry) -> LedgerEntry:
    """A ledger charge (R9)."""
    return _build(LedgerEntry, 
        id=row.id, job_id=row.job_id, amount_cents=row.amount_cents, kind=row.kind,
        created_at=row.created_at, signature_sha256=row.signature_sha256,
    )


def photo_model(row: orm.Photo) -> dict[str, Any]:
    """A photo attachment as JSON (no shared domain model exists for it)."""
    return {
        "id": row.id, "target_kind": row.target_kind, "target_id": row.target_id,
        "blob_hash": row.blob_sha256, "caption": row.caption, "uploaded_by": row.uploaded_by,
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
    }


def review_model(row: orm.Review) -> Review:
    """A customer's review of a job (R11)."""
    return _build(Review,
        id=row.id, job_id=row.job_id, technician_id=row.technician_id, rating=row.rating,
        comment=row.comment, created_at=row.created_at,
    )


def compliance_document_model(row: orm.ComplianceDocument) -> ComplianceDocument:
    """A vetting document of a pro (R13); the scan's blob is not part of it."""
    return _build(ComplianceDocument,
        id=row.id, user_id=row.user_id, kind=row.kind, number=row.number, issuer=row.issuer,
        expires_on=row.expires_on, verified=row.verified,
    )


def team_member_model(row: orm.User) -> dict[str, Any]:
    """A pro of the business as office screens list it: the public user fields plus
    ``active`` (no password hash, no phone). JSON: there is no shared model for it."""
    return {
        "id": row.id, "email": row.email, "name": row.name, "role": row.role,
        "business_id": row.business_id, "active": bool(row.active),
    }
