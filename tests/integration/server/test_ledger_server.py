"""R9: the card is charged only by a completion with a verified signature; nothing else
writes the payments ledger, and no endpoint lets a pro take money."""

from __future__ import annotations

import ast
from pathlib import Path

from marketplace import orm
from marketplace.app import openapi_document
from proapp.domain import signing
from proapp.domain.models import LineItem
from tests.integration.server.world import World, line, new_id, png_bytes, signature

MARKETPLACE = Path(__file__).resolve().parents[3] / "marketplace"
# Demo history only: the seed's already-completed demo jobs come with their past charge.
# It runs from the CLI (`seed`, `serve --demo` on an empty database), never per request.
SEED_EXCEPTION = "seed.py"


def _ledger_writers() -> set[str]:
    """Functions (module:function) that construct an orm.LedgerEntry row."""
    writers: set[str] = set()
    for path in MARKETPLACE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "LedgerEntry"
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "orm"):
                    writers.add(f"{path.relative_to(MARKETPLACE)}:{func.name}")
    return writers


def test_only_job_complete_writes_the_ledger() -> None:
    writers = {w for w in _ledger_writers() if not w.startswith(SEED_EXCEPTION)}
    assert writers == {"commands/pro.py:complete_job"}


def test_no_endpoint_takes_money() -> None:
    document = openapi_document()
    money_words = ("pay", "charge", "refund", "payout", "card", "ledger")
    writes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }
    suspicious = {(m, p) for m, p in writes if any(word in p.lower() for word in money_words)}
    assert suspicious == set()
    # The only command that charges is completion, and it takes a signature, no amount.
    complete = document["paths"]["/v1/jobs/{job_id}/complete"]["post"]
    schema_ref = complete["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"summary", "signature"}


def test_a_whole_job_charges_once_and_only_at_completion(world: World) -> None:
    biz = world.business()
    owner = world.api_user("owner", biz)
    tech = world.api_user("technician", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    window_id = owner.get(f"/v1/jobs/{job_id}").json()["preferred_windows"][0]["id"]
    png = tech.upload(png_bytes())
    steps = [
        (owner, f"/v1/jobs/{job_id}/assign", {"technician_ids": [tech.user_id]}),
        (owner, f"/v1/jobs/{job_id}/window/confirm", {"preferred_window_id": window_id}),
        (tech, "/v1/messages", {"message_id": new_id(), "job_id": job_id, "body": "Hi"}),
        (tech, "/v1/photos", {"photo_id": new_id(), "target_kind": "job", "target_id": job_id,
                              "blob_hash": png}),
        (tech, f"/v1/jobs/{job_id}/start", None),
    ]
    for user, path, body in steps:
        response = user.command(path, body)
        assert response.status_code in (200, 201), (path, response.text)
        assert world.count(orm.LedgerEntry) == 0, path
    added = [line(1_000)]
    co_id = new_id()
    content = signing.change_order_signed_content(
        change_order_id=co_id, job_id=job_id, reason="Extra", original_lines=world.job_lines(
            job_id), added_lines=[LineItem.model_validate(x) for x in added],
        removed_line_ids=[])
    response = tech.command(f"/v1/jobs/{job_id}/change-orders", {
        "change_order_id": co_id, "reason": "Extra", "added_lines": added,
        "signature": signature(tech.user_id, png, content)})
    assert response.status_code == 201
    assert world.count(orm.LedgerEntry) == 0
    completion = signing.completion_signed_content(
        job_id=job_id, summary="Done", total_cents=21_000, line_items=world.job_lines(job_id))
    key = new_id()
    body = {"summary": "Done", "signature": signature(tech.user_id, png, completion)}
    assert tech.command(f"/v1/jobs/{job_id}/complete", body, key=key).status_code == 200
    # A retry of the same completion (same key) replays; it never charges twice.
    assert tech.command(f"/v1/jobs/{job_id}/complete", body, key=key).status_code == 200
    assert world.count(orm.LedgerEntry) == 1
    with world.session_factory() as s:
        entry = s.query(orm.LedgerEntry).one()
        assert entry.amount_cents == 21_000
        signed = s.get_one(orm.Signature, entry.signature_id)
        assert signed.purpose == "completion"
        assert signed.content_sha256 == signing.content_sha256(completion)
