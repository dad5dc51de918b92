from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proapp.domain import (
    DomainError,
    JobStatus,
    canonical_json,
    change_order_signed_content,
    completion_signed_content,
    content_sha256,
    ensure_signature_matches,
    format_utc,
    new_id,
    signature_record_sha256,
    verify_signature,
)
from tests.unit.domain.factories import line, signature


def test_canonical_json_shape() -> None:
    data = {"b": 1, "a": [True, None, "é"], "c": {"z": 0, "y": "x"}}
    assert canonical_json(data) == '{"a":[true,null,"é"],"b":1,"c":{"y":"x","z":0}}'.encode()


@pytest.mark.parametrize(
    "bad",
    [
        1.5,
        float("nan"),
        float("inf"),
        {"x": 0.1},
        [1, 2.0],
        datetime(2026, 1, 1, tzinfo=UTC),
        Decimal("1.00"),
        {1: "int key"},
        {"s": {1, 2}},
        b"bytes",
    ],
)
def test_canonical_json_refuses_floats_and_non_json(bad: Any) -> None:
    with pytest.raises(TypeError):
        canonical_json(bad)


def test_enums_and_tuples_become_plain_json() -> None:
    assert canonical_json({"s": JobStatus.COMPLETED, "t": (1, 2)}) == b'{"s":"COMPLETED","t":[1,2]}'
    assert canonical_json(format_utc(datetime(2026, 1, 1, tzinfo=UTC))) == (
        b'"2026-01-01T00:00:00Z"'
    )


def test_content_sha256_is_hex_of_canonical_bytes() -> None:
    import hashlib

    data = {"a": 1}
    assert content_sha256(data) == hashlib.sha256(b'{"a":1}').hexdigest()


def _change_order_content(**overrides: Any) -> dict[str, Any]:
    a, b = line(cents=10_000), line(cents=2_000)
    kwargs: dict[str, Any] = {
        "change_order_id": new_id(),
        "job_id": new_id(),
        "reason": "Wall needs anchors",
        "original_lines": [a, b],
        "added_lines": [line(cents=3_500)],
        "removed_line_ids": [b.id],
    }
    kwargs.update(overrides)
    return change_order_signed_content(**kwargs)


def test_change_order_content_computes_totals_itself() -> None:
    content = _change_order_content()
    assert content["type"] == "proapp.change_order/1"
    assert content["original_total_cents"] == 12_000
    assert content["new_total_cents"] == 13_500
    assert content["delta_cents"] == 1_500
    assert len(content["removed_lines"]) == 1
    json.loads(canonical_json(content))  # valid JSON


def test_change_order_content_rejects_unknown_removed_line() -> None:
    with pytest.raises(DomainError):
        _change_order_content(removed_line_ids=[new_id()])


def test_removed_ids_order_does_not_matter() -> None:
    a, b, c = line(), line(), line()
    common: dict[str, Any] = {
        "change_order_id": new_id(),
        "job_id": new_id(),
        "reason": "r",
        "original_lines": [a, b, c],
        "added_lines": [],
    }
    one = change_order_signed_content(**common, removed_line_ids=[a.id, b.id])
    two = change_order_signed_content(**common, removed_line_ids=[b.id, a.id])
    assert content_sha256(one) == content_sha256(two)


def test_verify_and_ensure() -> None:
    content = completion_signed_content(job_id=new_id(), summary="Mounted", total_cents=12_900)
    record = signature(content_sha256=content_sha256(content))
    assert verify_signature(record, content)
    ensure_signature_matches(record, content)
    changed = {**content, "total_cents": 13_000}
    assert not verify_signature(record, changed)
    with pytest.raises(DomainError) as info:
        ensure_signature_matches(record, changed)
    assert info.value.code == "signature_mismatch"
    assert info.value.details["expected_content_sha256"] == content_sha256(changed)


def test_completion_and_change_order_signatures_are_not_interchangeable() -> None:
    job_id = new_id()
    completion = completion_signed_content(job_id=job_id, summary="x", total_cents=0)
    co = _change_order_content(job_id=job_id)
    assert content_sha256(completion) != content_sha256(co)
    with pytest.raises(TypeError):
        completion_signed_content(job_id=job_id, summary="x", total_cents=1.0)  # type: ignore[arg-type]


def test_signature_record_fingerprint_ignores_server_receipt_only() -> None:
    record = signature()
    received = record.model_copy(update={"server_received_at": datetime.now(UTC)})
    assert signature_record_sha256(record) == signature_record_sha256(received)
    renamed = record.model_copy(update={"signer_name": "Mallory"})
    assert signature_record_sha256(record) != signature_record_sha256(renamed)


json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=6))
def test_key_order_is_irrelevant(data: dict[str, Any]) -> None:
    reversed_order = dict(reversed(list(data.items())))
    assert content_sha256(data) == content_sha256(reversed_order)
    assert json.loads(canonical_json(data)) == data


@settings(max_examples=150, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**9),
    summary=st.text(min_size=1, max_size=50),
    field=st.sampled_from(["job_id", "summary", "total_cents", "currency", "lines", "type"]),
    data=st.data(),
)
def test_any_change_to_signed_content_breaks_verification(
    total: int, summary: str, field: str, data: st.DataObject
) -> None:
    content = completion_signed_content(
        job_id=new_id(), summary=summary, total_cents=total, line_items=[line()]
    )
    record = signature(content_sha256=content_sha256(content))
    assert verify_signature(record, content)
    changed = dict(content)
    if field == "total_cents":
        changed[field] = data.draw(st.integers(min_value=0).filter(lambda v: v != total))
    elif field == "lines":
        changed[field] = [*content["lines"], content["lines"][0]]
    else:
        changed[field] = data.draw(st.text(max_size=50).filter(lambda v: v != content[field]))
    assert not verify_signature(record, changed)


@settings(max_examples=100, deadline=None)
@given(cents=st.integers(min_value=0, max_value=10**7), quantity=st.integers(1, 50))
def test_any_change_to_a_change_order_line_breaks_verification(cents: int, quantity: int) -> None:
    original = [line(cents=5_000)]
    added = line(cents=cents, quantity=quantity)
    ids: dict[str, Any] = {"change_order_id": new_id(), "job_id": new_id(), "reason": "r"}
    content = change_order_signed_content(
        **ids, original_lines=original, added_lines=[added], removed_line_ids=[]
    )
    record = signature(content_sha256=content_sha256(content))
    tampered = added.model_copy(update={"quantity": quantity + 1})
    again = change_order_signed_content(
        **ids, original_lines=original, added_lines=[tampered], removed_line_ids=[]
    )
    assert not verify_signature(record, again)
