"""Test helpers for the sync store tests: a controllable clock and valid command args."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


class FakeClock:
    """A clock the test moves by hand (implements the store's `Clock`)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_id() -> str:
    return str(uuid.uuid4())


def message_args(
    body: str = "On my way, 10 minutes out.", job_id: str | None = None
) -> dict[str, Any]:
    """Valid ``message.send`` args (no blobs)."""
    return {"message_id": new_id(), "job_id": job_id or new_id(), "body": body}


def estimate_args(photo_hashes: list[str] | None = None, cents: int = 12_500) -> dict[str, Any]:
    """Valid ``estimate.submit`` args, optionally with photos (blob references)."""
    return {
        "estimate_id": new_id(),
        "request_id": new_id(),
        "line_items": [
            {
                "id": new_id(),
                "kind": "LABOR",
                "description": "Replace kitchen faucet",
                "unit_price_cents": cents,
            }
        ],
        "parts_supplier": "PRO",
        "photo_hashes": photo_hashes or [],
    }


def fake_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()
