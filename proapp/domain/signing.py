"""What a customer signs, byte for byte (DESIGN.md section 5, R8, R9).

A signature record carries ``content_sha256``: the SHA-256 of the canonical JSON of the
signed content. The content builders below are the ONLY definition of that content;
client and server both call them, so a change to lines, totals or summary after signing
makes `verify_signature` fail and the server refuse the command (``signature_mismatch``).

Canonical JSON: keys sorted, separators ``(",", ":")``, ``ensure_ascii=False``, UTF-8.
Only ``dict`` (str keys), ``list``/``tuple``, ``str``, ``int``, ``bool`` and ``None``
are allowed. Floats (and NaN/infinity) are refused, and so are datetimes: serialise
them first with `proapp.domain.models.format_utc` (ISO-8601 UTC with "Z").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import LineItem, SignatureRecord
from proapp.domain.rules import change_order_totals

__all__ = [
    "CHANGE_ORDER_CONTENT_TYPE",
    "COMPLETION_CONTENT_TYPE",
    "canonical_json",
    "change_order_signed_content",
    "completion_signed_content",
    "content_sha256",
    "ensure_signature_matches",
    "signature_record_sha256",
    "verify_signature",
]

CHANGE_ORDER_CONTENT_TYPE: Final = "proapp.change_order/1"
COMPLETION_CONTENT_TYPE: Final = "proapp.completion/1"
# The type tag is part of the signed bytes, so a completion signature can never be
# replayed as a change-order signature (or the other way round).


def _plain(value: Any, path: str) -> Any:
    # Rebuild the value from plain types only; anything else is a bug in the caller.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # IntEnum and friends -> plain int
    if isinstance(value, str):
        return str(value)  # StrEnum -> its value
    if isinstance(value, float):
        raise TypeError(f"float at {path}: signed content uses integer cents, never floats")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r} at {path}")
            out[str(key)] = _plain(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(
        f"{type(value).__name__} at {path} is not canonical JSON; serialise it first "
        "(datetimes with format_utc)"
    )


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj`` (see the module docstring).

    Raises:
        TypeError: for floats, datetimes, non-string keys or other non-JSON types.
    """
    plain = _plain(obj, "$")
    text = json.dumps(
        plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def content_sha256(obj: Any) -> str:
    """Lowercase hex SHA-256 of ``canonical_json(obj)``."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def _line(line: LineItem) -> dict[str, Any]:
    return {
        "id": line.id,
        "kind": line.kind.value,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
        "total_cents": line.total_cents,
    }


def change_order_signed_content(
    *,
    change_order_id: str,
    job_id: str,
    reason: str,
    original_lines: Sequence[LineItem],
    added_lines: Sequence[LineItem],
    removed_line_ids: Iterable[str],
    currency: str = "USD",
) -> dict[str, Any]:
    """Exactly what the customer verifies and signs for a change order (R8).

    The totals are computed here from the lines (never taken from the caller), so a
    forged total cannot be signed. Removed ids are sorted (a set, not a sequence); added
    lines keep their order (the order the customer saw).

    Raises:
        DomainError: ``invalid`` from `change_order_totals` for impossible changes.
    """
    removed = sorted(set(removed_line_ids))
    original_total, new_total, delta = change_order_totals(original_lines, added_lines, removed)
    removed_set = set(removed)
    return {
        "type": CHANGE_ORDER_CONTENT_TYPE,
        "change_order_id": change_order_id,
        "job_id": job_id,
        "reason": reason,
        "currency": currency,
        "original_lines": [_line(line) for line in original_lines],
        "added_lines": [_line(line) for line in added_lines],
        "removed_lines": [_line(line) for line in original_lines if line.id in removed_set],
        "removed_line_ids": removed,
        "original_total_cents": original_total,
        "new_total_cents": new_total,
        "delta_cents": delta,
    }


def completion_signed_content(
    *,
    job_id: str,
    summary: str,
    total_cents: int,
    line_items: Sequence[LineItem] = (),
    currency: str = "USD",
) -> dict[str, Any]:
    """Exactly what the customer signs to confirm the job is complete (R9).

    ``total_cents`` is the amount the marketplace will charge to the card on file (the
    job's price after signed change orders); ``line_items`` are the job's final lines
    (may be empty for a packaged job sold at one price).
    """
    if isinstance(total_cents, bool) or not isinstance(total_cents, int):
        raise TypeError("total_cents must be int cents")
    return {
        "type": COMPLETION_CONTENT_TYPE,
        "job_id": job_id,
        "summary": summary,
        "currency": currency,
        "lines": [_line(line) for line in line_items],
        "total_cents": total_cents,
    }


def verify_signature(record: SignatureRecord, content: Any) -> bool:
    """True if ``record`` was made for exactly ``content`` (constant-time compare)."""
    expected = content_sha256(content)
    return hmac.compare_digest(record.content_sha256.encode(), expected.encode())


def ensure_signature_matches(record: SignatureRecord, content: Any) -> None:
    """Refuse a signature made for different content.

    Raises:
        DomainError: ``signature_mismatch``.
    """
    if not verify_signature(record, content):
        raise DomainError(
            ErrorCode.SIGNATURE_MISMATCH,
            "The signature was made for different amounts or wording than what is being "
            "saved. Show the customer the current version and ask them to sign again.",
            {"expected_content_sha256": content_sha256(content)},
        )


def signature_record_sha256(record: SignatureRecord) -> str:
    """A fingerprint of the whole signature record (name, strokes, PNG hash, device time,
    consent, pro, device, location, content hash), for ledger entries and audits.

    ``server_received_at`` is left out: the server adds it after the customer signed.
    """
    data = record.model_dump(mode="json", exclude={"server_received_at"})
    return content_sha256(data)
