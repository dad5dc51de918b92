"""The one error type of the shared domain, with its stable codes.

Both halves use it: the marketplace server maps `DomainError.code` to an HTTP status and
the error body ``{"code", "message", "details"}``; the client shows `message` to the pro
and keys behaviour (retry, "needs attention", sign in again) off `code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = ["DomainError", "ErrorCode"]


class ErrorCode(StrEnum):
    """Stable machine-readable error codes. Never rename one: clients depend on them."""

    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    ESTIMATE_WINDOW_CLOSED = "estimate_window_closed"
    JOB_CANCELLED = "job_cancelled"
    WINDOW_NOT_OFFERED = "window_not_offered"
    TRIP_CHARGE_NOT_ACCEPTED = "trip_charge_not_accepted"
    SIGNATURE_MISMATCH = "signature_mismatch"
    CANCEL_CUTOFF_PASSED = "cancel_cutoff_passed"
    INVALID_TRANSITION = "invalid_transition"
    REVIEW_WINDOW_CLOSED = "review_window_closed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    STALE_BASE = "stale_base"
    VISIT_NOT_ACCEPTED = "visit_not_accepted"
    # Sync push: a mutation id differs from the stored one for the same mid (SYNC.md).
    MID_CONFLICT = "mid_conflict"


class DomainError(Exception):
    """A business or validation failure, in plain words.

    Attributes:
        code: one of `ErrorCode` (a plain ``str`` so a newer server's codes survive).
        message: what happened and what to do next, written for the person using the app.
        details: JSON-friendly extra facts (field names, current state, deadlines).
    """

    code: str
    message: str
    details: dict[str, Any]

    def __init__(
        self,
        code: ErrorCode | str,
        message: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        # Store the plain string value so equality, JSON and logging all see "invalid",
        # never "ErrorCode.INVALID".
        self.code = str(code.value if isinstance(code, ErrorCode) else code)
        self.message = message
        self.details = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The wire shape shared by every API error body."""
        return {"code": self.code, "message": self.message, "details": dict(self.details)}

    def __repr__(self) -> str:
        return f"DomainError(code={self.code!r}, message={self.message!r})"
