"""The signing form and the signature record shared by change orders and completion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from proapp.domain.errors import DomainError
from proapp.domain.signing import content_sha256, verify_signature
from proapp.state.signature import (
    MAX_POINTS_PER_STROKE,
    SigningForm,
    build_signature_record,
    normalise_strokes,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
PNG = "a" * 64
PRO = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def test_normalise_rounds_clamps_dedupes_and_drops_empty_strokes() -> None:
    strokes = [[(1.4, 2.6), (1.2, 3.4), (-5.0, 200_000.0)], [], [(7, 7)]]
    assert normalise_strokes(strokes) == [[(1, 3), (0, 100_000)], [(7, 7)]]


def test_a_long_stroke_is_split_without_a_gap() -> None:
    stroke = [(i, i % 7) for i in range(MAX_POINTS_PER_STROKE + 10)]
    parts = normalise_strokes([stroke])
    assert [len(p) for p in parts] == [MAX_POINTS_PER_STROKE, 11]
    assert parts[0][-1] == parts[1][0]


def test_form_says_what_is_missing() -> None:
    form = SigningForm()
    assert not form.can_accept and "name" in (form.missing() or "")
    form.signer_name = "  Alice  "
    assert "Sign" in (form.missing() or "")
    form.strokes = [[(1, 1), (2, 2)]]
    assert form.can_accept and form.missing() is None
    form.clear()
    assert form.signer_name == "" and form.strokes == []


def test_record_binds_the_content() -> None:
    form = SigningForm("  Alice Adams ", [[(1, 2), (3, 4)]])
    content = {"type": "test", "total_cents": 100}
    record = build_signature_record(
        form=form,
        png_sha256=PNG,
        content=content,
        consent_text="I agree.",
        pro_user_id=PRO,
        device_id="dev-1",
        clock=lambda: NOW,
    )
    assert record.signer_name == "Alice Adams"
    assert record.content_sha256 == content_sha256(content)
    assert verify_signature(record, content)
    assert not verify_signature(record, {**content, "total_cents": 101})


def test_record_refuses_a_blank_form() -> None:
    with pytest.raises(DomainError):
        build_signature_record(
            form=SigningForm("Alice", []),
            png_sha256=PNG,
            content={},
            consent_text="I agree.",
            pro_user_id=PRO,
            device_id="dev-1",
            clock=lambda: NOW,
        )
