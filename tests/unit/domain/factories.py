"""Builders of valid domain objects for tests; override any field by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from proapp.domain import (
    Job,
    LineItem,
    LineItemKind,
    SignatureRecord,
    TimeWindow,
    new_id,
)

T0 = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # Monday 09:00 in Los Angeles
HASH_A = "a" * 64
HASH_B = "b" * 64
ADDRESS = {"line1": "1 Main St", "city": "Seattle", "state": "WA", "postal_code": "98101"}


def line(cents: int = 1000, quantity: int = 1, **overrides: Any) -> LineItem:
    data: dict[str, Any] = {
        "id": new_id(),
        "kind": LineItemKind.LABOR,
        "description": "Mount TV",
        "quantity": quantity,
        "unit_price_cents": cents,
    }
    data.update(overrides)
    return LineItem.model_validate(data)


def window(start: datetime = T0, hours: int = 2) -> TimeWindow:
    return TimeWindow(start=start, end=start + timedelta(hours=hours))


def job(**overrides: Any) -> Job:
    job_id = overrides.pop("id", new_id())
    data: dict[str, Any] = {
        "id": job_id,
        "business_id": new_id(),
        "customer_id": new_id(),
        "origin": "PACKAGED",
        "service_id": new_id(),
        "title": "TV wall mounting",
        "address": ADDRESS,
        "time_zone": "America/Los_Angeles",
        "ordered_at": T0,
        "price_cents": 12_900,
        "window_confirmation_due_at": T0 + timedelta(days=1),
        "preferred_windows": [
            {"id": new_id(), "window": window(T0 + timedelta(days=2 + i)).model_dump()}
            for i in range(3)
        ],
    }
    data.update(overrides)
    return Job.model_validate(data)


def signature(content_sha256: str = HASH_B, **overrides: Any) -> SignatureRecord:
    data: dict[str, Any] = {
        "signer_name": "Alice Customer",
        "strokes": [[(1, 2), (3, 4), (5, 6)], [(10, 10)]],
        "png_sha256": HASH_A,
        "device_signed_at": T0,
        "consent_text": "I approve the amount shown.",
        "pro_user_id": new_id(),
        "device_id": "device-1",
        "content_sha256": content_sha256,
    }
    data.update(overrides)
    return SignatureRecord.model_validate(data)
