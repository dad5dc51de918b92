from __future__ import annotations

from proapp.domain import DomainError, ErrorCode

EXPECTED_CODES = {
    "invalid",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "idempotency_mismatch",
    "estimate_window_closed",
    "job_cancelled",
    "window_not_offered",
    "trip_charge_not_accepted",
    "signature_mismatch",
    "cancel_cutoff_passed",
    "invalid_transition",
    "review_window_closed",
    "payload_too_large",
    "unsupported_media_type",
    "stale_base",
    "visit_not_accepted",
    "mid_conflict",
}


def test_error_codes_are_the_stable_wire_strings() -> None:
    assert {code.value for code in ErrorCode} == EXPECTED_CODES


def test_domain_error_carries_plain_code_message_and_details() -> None:
    err = DomainError(ErrorCode.JOB_CANCELLED, "The job was cancelled.", {"job_id": "x"})
    assert err.code == "job_cancelled"
    assert type(err.code) is str
    assert str(err) == "The job was cancelled."
    assert err.to_dict() == {
        "code": "job_cancelled",
        "message": "The job was cancelled.",
        "details": {"job_id": "x"},
    }


def test_domain_error_accepts_unknown_codes_from_newer_servers() -> None:
    err = DomainError("brand_new_code", "Something new.")
    assert err.code == "brand_new_code"
    assert err.details == {}


def test_details_are_copied_not_shared() -> None:
    details = {"a": 1}
    err = DomainError(ErrorCode.INVALID, "x", details)
    details["a"] = 2
    assert err.details == {"a": 1}
