from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from proapp.domain import (
    PRO_COMMANDS,
    ChangeOrderCreateArgs,
    CommandArgs,
    DomainError,
    EstimateSubmitArgs,
    PhotoAttachArgs,
    new_id,
    parse_command_args,
)
from tests.unit.domain.factories import HASH_A, HASH_B, T0, line, signature, window

EXPECTED_NAMES = {
    "estimate.submit",
    "estimate.withdraw",
    "visit.propose",
    "window.confirm",
    "window.propose",
    "appointment.reschedule",
    "job.assign",
    "job.start",
    "change_order.create",
    "job.complete",
    "job.report_defective",
    "message.send",
    "photo.attach",
}


def valid_args() -> dict[str, dict[str, Any]]:
    """One valid args payload per command, as JSON-like dicts."""
    job_id = new_id()
    sig = signature().model_dump(mode="json")
    return {
        "estimate.submit": {
            "estimate_id": new_id(),
            "request_id": new_id(),
            "line_items": [line().model_dump(mode="json")],
            "parts_supplier": "PRO",
        },
        "estimate.withdraw": {"estimate_id": new_id()},
        "visit.propose": {"visit_id": new_id(), "request_id": new_id(), "price_cents": 4900},
        "window.confirm": {"job_id": job_id, "preferred_window_id": new_id()},
        "window.propose": {"job_id": job_id, "window": window().model_dump(mode="json")},
        "appointment.reschedule": {
            "job_id": job_id,
            "window": window(T0 + timedelta(days=1)).model_dump(mode="json"),
            "reason_code": "WEATHER",
        },
        "job.assign": {"job_id": job_id, "technician_ids": [new_id()]},
        "job.start": {"job_id": job_id},
        "change_order.create": {
            "change_order_id": new_id(),
            "job_id": job_id,
            "reason": "Extra outlet",
            "added_lines": [line().model_dump(mode="json")],
            "photo_hashes": [HASH_B],
            "signature": sig,
        },
        "job.complete": {"job_id": job_id, "summary": "Mounted the TV", "signature": sig},
        "job.report_defective": {"job_id": job_id, "note": "Cracked screen"},
        "message.send": {"message_id": new_id(), "job_id": job_id, "body": "Hello"},
        "photo.attach": {
            "photo_id": new_id(),
            "target_kind": "job",
            "target_id": job_id,
            "blob_hash": HASH_A,
        },
    }


def test_command_names_are_the_shared_vocabulary() -> None:
    assert set(PRO_COMMANDS) == EXPECTED_NAMES
    for name, model in PRO_COMMANDS.items():
        assert model.command_name == name


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_command_parses_and_round_trips(name: str) -> None:
    data = valid_args()[name]
    args = parse_command_args(name, data)
    assert isinstance(args, PRO_COMMANDS[name])
    again = parse_command_args(name, args.model_dump(mode="json"))
    assert again == args
    # the entity the outbox tracks exists on every command
    assert args.entity_id()


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_unknown_fields_are_refused(name: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_command_args(name, {**valid_args()[name], "base_version": 3})
    assert info.value.code == "invalid"
    assert info.value.details["command"] == name


def test_unknown_command() -> None:
    with pytest.raises(DomainError) as info:
        parse_command_args("estimate.submit.v99", {})
    assert info.value.code == "invalid"
    assert "estimate.submit" in info.value.details["known"]


@pytest.mark.parametrize(
    ("name", "patch"),
    [
        ("estimate.submit", {"line_items": []}),
        ("estimate.submit", {"valid_days": 0}),
        ("estimate.submit", {"valid_days": 61}),
        ("estimate.submit", {"estimate_id": "nope"}),
        ("visit.propose", {"price_cents": -1}),
        ("visit.propose", {"price_cents": 49.99}),
        ("visit.propose", {"discount_cents": 100}),
        ("visit.propose", {"discount_cents": 9999, "waiver_terms": "DISCOUNT_IF_PROCEED"}),
        (
            "window.propose",
            {"window": {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T09:00:00Z"}},
        ),
        (
            "window.propose",
            {"window": {"start": "2026-12-01T10:00:00", "end": "2026-12-01T12:00:00"}},
        ),
        ("appointment.reschedule", {"reason_code": "OTHER"}),
        ("appointment.reschedule", {"reason_code": "BORED"}),
        ("job.assign", {"technician_ids": []}),
        ("job.assign", {"technician_ids": [new_id() for _ in range(6)]}),
        ("change_order.create", {"added_lines": [], "removed_line_ids": []}),
        ("job.complete", {"summary": ""}),
        ("message.send", {"request_id": new_id()}),
        ("message.send", {"job_id": None}),
        ("message.send", {"body": ""}),
        ("message.send", {"body": "   "}),
        ("message.send", {"body": "x" * 4001}),
        ("photo.attach", {"target_kind": "invoice"}),
        ("photo.attach", {"blob_hash": "g" * 64}),
        ("photo.attach", {"blob_hash": "a" * 63}),
    ],
)
def test_bad_args_are_invalid(name: str, patch: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as info:
        parse_command_args(name, {**valid_args()[name], **patch})
    assert info.value.code == "invalid"
    assert info.value.details["errors"]
    assert name in info.value.message


def test_defaults_and_extras() -> None:
    args = parse_command_args("estimate.submit", valid_args()["estimate.submit"])
    assert isinstance(args, EstimateSubmitArgs)
    assert args.valid_days == 14 and args.notes == "" and args.blob_hashes() == []
    reschedule = parse_command_args(
        "appointment.reschedule",
        {**valid_args()["appointment.reschedule"], "reason_code": "OTHER", "note": "Sick"},
    )
    assert reschedule.entity_kind == "job"


def test_blob_hashes_include_photos_and_signature_png() -> None:
    co = parse_command_args("change_order.create", valid_args()["change_order.create"])
    assert isinstance(co, ChangeOrderCreateArgs)
    assert co.blob_hashes() == [HASH_B, HASH_A]
    photo = parse_command_args("photo.attach", valid_args()["photo.attach"])
    assert isinstance(photo, PhotoAttachArgs)
    assert photo.blob_hashes() == [HASH_A]
    assert photo.entity_id() == photo.photo_id
    complete = parse_command_args("job.complete", valid_args()["job.complete"])
    assert complete.blob_hashes() == [HASH_A]


def test_command_args_are_frozen() -> None:
    args: CommandArgs = parse_command_args("job.start", valid_args()["job.start"])
    with pytest.raises(ValidationError):
        args.job_id = new_id()  # type: ignore[attr-defined]
