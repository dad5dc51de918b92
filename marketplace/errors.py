"""The one error body of the API and how domain error codes map to HTTP statuses.

Every failure - a broken business rule, bad JSON, an unknown route, a crash - answers
``{"code", "message", "details"}`` (`proapp.domain.ErrorBody`). Handlers raise
`proapp.domain.DomainError`; `status_for` picks the HTTP status from its code.
"""

from __future__ import annotations

from typing import Any, Final

from proapp.domain import DomainError, ErrorBody, ErrorCode

__all__ = [
    "ERROR_RESPONSES",
    "STATUS_BY_CODE",
    "ErrorBody",
    "error_body",
    "status_for",
]

STATUS_BY_CODE: Final[dict[str, int]] = {
    ErrorCode.INVALID: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.IDEMPOTENCY_MISMATCH: 422,
    # Business rules that the current state of things refuses: 409 Conflict.
    ErrorCode.ESTIMATE_WINDOW_CLOSED: 409,
    ErrorCode.JOB_CANCELLED: 409,
    ErrorCode.WINDOW_NOT_OFFERED: 409,
    ErrorCode.TRIP_CHARGE_NOT_ACCEPTED: 409,
    ErrorCode.CANCEL_CUTOFF_PASSED: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.REVIEW_WINDOW_CLOSED: 409,
    ErrorCode.STALE_BASE: 409,
    ErrorCode.VISIT_NOT_ACCEPTED: 409,
    ErrorCode.MID_CONFLICT: 409,
    # The signed content differs from what the server computes: the request is wrong.
    ErrorCode.SIGNATURE_MISMATCH: 422,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    "internal": 500,
    "unavailable": 503,
    "method_not_allowed": 405,
}


def status_for(code: str) -> int:
    """HTTP status for an error code; unknown codes (a newer domain) answer 400."""
    return STATUS_BY_CODE.get(str(code), 400)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The wire error body."""
    return {"code": str(code), "message": message, "details": dict(details or {})}


def domain_error_body(exc: DomainError) -> dict[str, Any]:
    """The wire body of a DomainError."""
    return exc.to_dict()


# Declared on every route so the OpenAPI document describes the error body.
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in, or the session expired (code unauthorized)"),
        (403, "Signed in, but this role may not do this (code forbidden)"),
        (404, "Not found, or not visible to you (code not_found)"),
        (409, "A business rule refused the change in the current state"),
        (413, "Payload too large"),
        (415, "Unsupported media type"),
        (422, "Invalid input (code invalid, details.errors lists the fields)"),
        (429, "Too many attempts (code rate_limited); see Retry-After"),
        (500, "Internal error (code internal)"),
    )
}
