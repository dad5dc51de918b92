"""Realistic inputs shared by the benchmarks: command args and job JSONs.

Deterministic for a given ``random.Random``, so two runs measure the same work. Job JSONs
are validated with the shared domain model (`proapp.domain.models.Job`), so what the
benchmarks cache is exactly what the server could send.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "estimate_submit_args",
    "job_json",
    "message_send_args",
    "new_id",
    "pro_day_mutations",
]

_BASE = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)

_LABOR = [
    "Replace kitchen faucet cartridge",
    "Diagnose and repair dishwasher drain",
    "Install ceiling fan with existing wiring",
    "Snake main bathroom sink drain",
    "Replace water heater thermocouple",
    "Mount 65-inch TV on drywall",
    "Repair garbage disposal jam",
]
_PARTS = [
    "Moen 1225 replacement cartridge",
    "Braided supply lines (2)",
    "Dishwasher drain hose, 6 ft",
    "Fan mounting bracket",
    "Thermocouple, universal 24 in",
    "Wax ring and closet bolts",
]
_FEES = ["Disposal of old parts", "After-hours service fee", "Permit filing fee"]
_TITLES = [
    "Kitchen faucet replacement",
    "Dishwasher not draining",
    "Ceiling fan installation",
    "Water heater pilot keeps going out",
    "TV wall mount (65 in)",
    "Garbage disposal repair",
    "Toilet running constantly",
    "Smart thermostat install",
]
_STREETS = ["Oak St", "Maple Ave", "Cedar Ln", "Pine Ct", "Elm Dr", "Harbor Blvd", "Mission St"]
_CITIES = [("San Jose", "CA", "95112"), ("Oakland", "CA", "94607"), ("Fremont", "CA", "94536")]
_NAMES = ["Alice Nguyen", "Bob Martinez", "Carmen Lopez", "Dev Patel", "Erin O'Brien"]


def new_id(rng: random.Random) -> str:
    """A UUID4 string drawn from ``rng`` (deterministic ids)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def estimate_submit_args(rng: random.Random) -> dict[str, Any]:
    """``estimate.submit`` args with 3 line items (labor, part, fee) and a short note:
    what a pro typically sends from the request screen."""
    return {
        "estimate_id": new_id(rng),
        "request_id": new_id(rng),
        "line_items": [
            {
                "id": new_id(rng),
                "kind": "LABOR",
                "description": rng.choice(_LABOR),
                "quantity": 1,
                "unit_price_cents": rng.randrange(8_000, 30_000, 500),
            },
            {
                "id": new_id(rng),
                "kind": "PART",
                "description": rng.choice(_PARTS),
                "quantity": rng.randint(1, 3),
                "unit_price_cents": rng.randrange(1_000, 9_000, 25),
            },
            {
                "id": new_id(rng),
                "kind": "FEE",
                "description": rng.choice(_FEES),
                "quantity": 1,
                "unit_price_cents": rng.randrange(1_500, 5_000, 500),
            },
        ],
        "parts_supplier": "PRO",
        "notes": "Parts in stock; about 2 hours on site.",
        "valid_days": 14,
    }


def message_send_args(rng: random.Random, job_id: str, index: int = 0) -> dict[str, Any]:
    """``message.send`` args about ``job_id`` (a typical short note to the customer)."""
    bodies = [
        "On my way, about 15 minutes out.",
        "Running 10 minutes late, sorry about that.",
        "Finished for today; I'll be back tomorrow morning with the part.",
        "Could you leave the side gate unlocked?",
    ]
    return {
        "message_id": new_id(rng),
        "job_id": job_id,
        "body": f"{bodies[index % len(bodies)]} (#{index})",
    }


def _hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _window(start: datetime) -> dict[str, str]:
    end = start + timedelta(hours=2)
    return {"start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end": f"{end:%Y-%m-%dT%H:%M:%SZ}"}


def _signature(
    rng: random.Random, consent: str, signed_at: datetime, pro_user_id: str
) -> dict[str, Any]:
    """A signature as the signing sheet records it: 2-4 pen strokes sampled at the
    pointer's pace (a point every few pixels), the consent sentence shown, device data."""
    strokes = []
    for _ in range(rng.randint(2, 4)):
        x, y = rng.randint(20, 400), rng.randint(40, 160)
        points = []
        for _ in range(rng.randint(25, 45)):
            x = min(max(x + rng.randint(-3, 9), 0), 700)
            y = min(max(y + rng.randint(-8, 8), 0), 240)
            points.append([x, y])
        strokes.append(points)
    return {
        "signer_name": rng.choice(_NAMES),
        "strokes": strokes,
        "png_sha256": _hash(rng),
        "device_signed_at": f"{signed_at:%Y-%m-%dT%H:%M:%SZ}",
        "consent_text": consent,
        "pro_user_id": pro_user_id,
        "device_id": new_id(rng),
        "content_sha256": _hash(rng),
    }


def pro_day_mutations(rng: random.Random) -> list[tuple[str, dict[str, Any], int | None]]:
    """One technician's day of actions, as ``(command, args, base_version)``, in order.

    The mix follows the pro flows (docs/ARCHITECTURE.md): five booked jobs, each with its
    arrival window confirmed, an "on my way" and a "finished" message, the job started,
    a before and an after photo attached, and the completion signed by the customer; one
    of them with a signed change order, one appointment rescheduled and one window
    proposed; and three new requests answered: a question, two estimates (one with a
    photo) and an on-site visit offer. 44 actions; the base version is the edited job's
    version (None for what the action creates), as the outbox records it.
    """
    pro_user_id = new_id(rng)
    day: list[tuple[str, dict[str, Any], int | None]] = []
    for n in range(5):
        job_id, title = new_id(rng), rng.choice(_TITLES)
        version = rng.randint(1, 6)
        start = _BASE + timedelta(hours=2 * n)
        day.append(("window.confirm", {"job_id": job_id, "preferred_window_id": new_id(rng)},
                    version))  # fmt: skip
        day.append(("message.send", message_send_args(rng, job_id, 0), None))
        day.append(("job.start", {"job_id": job_id}, version + 1))
        for caption in ("Before", "After"):
            day.append(("photo.attach", {
                "photo_id": new_id(rng), "target_kind": "job", "target_id": job_id,
                "blob_hash": _hash(rng), "caption": caption if rng.random() < 0.3 else "",
            }, None))  # fmt: skip
        if n == 1:
            day.append(("change_order.create", {
                "change_order_id": new_id(rng), "job_id": job_id,
                "reason": "Shut-off valve under the sink is corroded and leaks; replace it.",
                "added_lines": [{
                    "id": new_id(rng), "kind": "PART", "description": rng.choice(_PARTS),
                    "quantity": 1, "unit_price_cents": rng.randrange(1_000, 9_000, 25),
                }],
                "removed_line_ids": [], "photo_hashes": [_hash(rng)],
                "signature": _signature(rng, (
                    f'I reviewed this change order for "{title}" with Tess Rivera. I agree '
                    "to the work added and removed above and to the new job price of "
                    "$412.50 (it was $372.50). My card on file is charged through the "
                    "marketplace only after I sign that the job is complete; I pay the pro "
                    "nothing directly."
                ), start, pro_user_id),
            }, version + 2))  # fmt: skip
        day.append(("message.send", message_send_args(rng, job_id, 2), None))
        day.append(("job.complete", {
            "job_id": job_id,
            "summary": "Replaced the cartridge and both supply lines; tested, no leaks.",
            "signature": _signature(rng, (
                f'I confirm the work on "{title}" is complete as described above. I '
                "authorise the marketplace to charge $372.50 to my card on file. I have "
                "not paid the pro directly and will not be asked to."
            ), start + timedelta(hours=1), pro_user_id),
        }, version + 2))  # fmt: skip
    day.append(("appointment.reschedule", {
        "job_id": new_id(rng), "window": _window(_BASE + timedelta(days=1)),
        "reason_code": "PARTS_DELAYED", "note": "The replacement valve arrives Friday.",
    }, 3))  # fmt: skip
    day.append(("window.propose", {
        "job_id": new_id(rng), "window": _window(_BASE + timedelta(days=2, hours=1)),
        "note": "",
    }, 1))  # fmt: skip
    for n in range(3):
        request_id = new_id(rng)
        day.append(("message.send", {
            "message_id": new_id(rng), "request_id": request_id,
            "body": "Is the shut-off valve under the sink accessible?",
        }, None))  # fmt: skip
        if n < 2:
            estimate = estimate_submit_args(rng)
            estimate["request_id"] = request_id
            if n == 1:
                estimate["photo_hashes"] = [_hash(rng)]
            day.append(("estimate.submit", estimate, None))
        else:
            day.append(("visit.propose", {
                "visit_id": new_id(rng), "request_id": request_id, "price_cents": 7_900,
                "waiver_terms": "WAIVE_IF_PROCEED", "note": "",
            }, None))  # fmt: skip
    return day


def job_json(rng: random.Random, index: int, technician_id: str) -> dict[str, Any]:
    """A realistic job as the server serialises it: address, 2-5 priced lines, customer
    windows, an appointment for most, assigned technician. Validated by the domain model.
    """
    from proapp.domain.models import Job  # imported here: bench/__init__ stays light

    job_id = new_id(rng)
    start = _BASE + timedelta(hours=2 * (index % 200) - 100, minutes=30 * rng.randint(0, 1))
    windows = [
        {
            "id": new_id(rng),
            "window": {
                "start": (start + timedelta(days=d)).isoformat(),
                "end": (start + timedelta(days=d, hours=2)).isoformat(),
            },
        }
        for d in range(3)
    ]
    lines: list[dict[str, Any]] = []
    price = 0
    for n in range(rng.randint(2, 5)):
        pool = _LABOR if n == 0 else _PARTS
        quantity = 1 if n == 0 else rng.randint(1, 4)
        unit_price = rng.randrange(1_000, 30_000, 25)
        price += quantity * unit_price
        lines.append(
            {
                "id": new_id(rng),
                "kind": "LABOR" if n == 0 else "PART",
                "description": rng.choice(pool),
                "quantity": quantity,
                "unit_price_cents": unit_price,
            }
        )
    scheduled = index % 4 != 0
    city, state, postal = rng.choice(_CITIES)
    origin_estimate = index % 3 == 0
    data: dict[str, Any] = {
        "id": job_id,
        "business_id": "5b0f8a4e-8c1e-4a53-9f7b-2b7a3c9d0e11",
        "customer_id": new_id(rng),
        "origin": "ESTIMATE" if origin_estimate else "PACKAGED",
        "service_id": None if origin_estimate else new_id(rng),
        "estimate_id": new_id(rng) if origin_estimate else None,
        "title": rng.choice(_TITLES),
        "scope": "Customer reports the problem started last week. Access through the "
        "garage; a dog is home. Bring drop cloths and shoe covers.",
        "whats_included": ["Labor up to 2 hours", "Standard parts", "Haul-away of old parts"],
        "line_items": lines,
        "location_type": "IN_HOME",
        "address": {
            "line1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            "line2": "" if rng.random() < 0.7 else f"Apt {rng.randint(1, 40)}",
            "city": city,
            "state": state,
            "postal_code": postal,
        },
        "time_zone": "America/Los_Angeles",
        "customer_name": rng.choice(_NAMES),
        "customer_phone": "+14085550123" if rng.random() < 0.5 else None,
        "status": "SCHEDULED" if scheduled else "PENDING_SCHEDULE",
        "ordered_at": (start - timedelta(days=3)).isoformat(),
        "preferred_windows": windows,
        "appointment": (
            {
                "id": new_id(rng),
                "job_id": job_id,
                "window": windows[0]["window"],
                "status": "ACTIVE",
                "assigned_technician_ids": [technician_id],
            }
            if scheduled
            else None
        ),
        "assigned_technician_ids": [technician_id],
        "price_cents": price,
        "window_confirmation_due_at": (start - timedelta(days=2)).isoformat(),
        "version": rng.randint(1, 6),
    }
    dumped: dict[str, Any] = Job.model_validate(data).model_dump(mode="json")
    return dumped
