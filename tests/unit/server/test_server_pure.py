"""Pure parts of the server: fingerprints, page tokens, error status mapping, content
negotiation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.api.paging import _decode_token, encode_token
from marketplace.api.sync import accepts_gzip
from marketplace.commands.framework import command_fingerprint
from marketplace.errors import status_for
from marketplace.orm import UtcDateTime
from proapp.domain import DomainError


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = command_fingerprint("message.send", {"body": "hi", "job_id": "1"})
    b = command_fingerprint("message.send", {"job_id": "1", "body": "hi"})
    assert a == b
    assert a != command_fingerprint("message.send", {"job_id": "1", "body": "hi!"})
    assert a != command_fingerprint("message.sent", {"job_id": "1", "body": "hi"})
    # Types matter: 1 and "1" are different requests.
    assert a != command_fingerprint("message.send", {"body": "hi", "job_id": 1})


def test_page_token_round_trip_and_list_binding() -> None:
    moment = datetime(2026, 11, 16, 15, 0, 0, 123456, tzinfo=UTC)
    token = encode_token("jobs", moment, "abc")
    assert "jobs" not in token and "abc" not in token  # opaque, not readable at a glance
    assert _decode_token("jobs", token) == (moment, "abc")
    with pytest.raises(DomainError) as excinfo:
        _decode_token("messages", token)
    assert excinfo.value.code == "invalid"
    for garbage in ("", "!!!", "e30", encode_token("jobs", moment, "x")[:-3]):
        with pytest.raises(DomainError):
            _decode_token("jobs", garbage)


def test_status_mapping() -> None:
    assert status_for("not_found") == 404
    assert status_for("estimate_window_closed") == 409
    assert status_for("signature_mismatch") == 422
    assert status_for("rate_limited") == 429
    assert status_for("some_future_code") == 400


def test_utc_datetime_refuses_naive_and_normalises() -> None:
    column = UtcDateTime()

    class FakeDialect:
        name = "sqlite"

    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), FakeDialect())  # type: ignore[arg-type]
    stored = column.process_bind_param(
        datetime.fromisoformat("2026-01-01T10:00:00+02:00"), FakeDialect()  # type: ignore[arg-type]
    )
    assert stored == datetime(2026, 1, 1, 8, 0)
    loaded = column.process_result_value(stored, FakeDialect())  # type: ignore[arg-type]
    assert loaded == datetime(2026, 1, 1, 8, 0, tzinfo=UTC) and loaded.tzinfo is UTC


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("*;q=0.1, gzip;q=0", False),
        ("deflate, *;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_allows_gzip(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
