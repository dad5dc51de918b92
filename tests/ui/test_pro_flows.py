"""The technician's four flows of issue 4, for real: the app in Chromium, a real server.

Each test starts a demo-seeded marketplace (tests/support/servers.py) and runs
``python -m proapp --web --server <it>`` as a subprocess; Tess works on a 390x844 page
found ONLY through semantics identifiers and labels (docs/TESTING.md: the identifiers are
the contract), while the customer and the dispatcher act over the HTTP API
(`tests.support.ui_app.ApiUser`). What the server ends up holding is checked through the
API too, never through the app's own screens alone.

1. custom request -> visit proposal -> customer accepts -> estimate with 2 photos ->
   customer accepts -> a window is confirmed;
2. packaged job -> confirm window -> start -> signed change order -> signed completion
   -> the ledger has the charge;
3. the same with the server down for all of the pro's actions, then back (same port,
   same database) and "Sync now": the server ends in the same state;
4. the customer cancels while the pro is offline: the pro's queued actions come back
   refused, under "needs attention", with the server's reason and the typed content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.demo import CUSTOMERS, DISPATCHER, TESS
from tests.support.servers import MarketplaceServer
from tests.support.ui_app import (
    ApiUser,
    AppProcess,
    Phone,
    future_windows,
    make_jpeg,
    restart_marketplace,
    switched_network,
    wait_until,
)

pytestmark = pytest.mark.ui

ALICE = CUSTOMERS[0]
SYNC_TIMEOUT_S = 45.0


# ----------------------------------------------------------------------------- fixtures


@dataclass
class People:
    """The customer, the dispatcher and Tess herself over the API (for checks)."""

    alice: ApiUser
    dispatch: ApiUser
    tess: ApiUser


@pytest.fixture
def people(marketplace_server: MarketplaceServer) -> Iterator[People]:
    users = [ApiUser(marketplace_server.url, a) for a in (ALICE, DISPATCHER, TESS)]
    try:
        yield People(*users)
    finally:
        for user in users:
            user.close()


def packaged_job_for_tess(people: People, days_ahead: int = 1) -> dict[str, Any]:
    """Alice buys a packaged service and offers 3 windows; the dispatcher assigns Tess.
    Returns the job as the server holds it (PENDING_SCHEDULE, R6)."""
    job = people.alice.buy_service()
    people.alice.choose_windows(job["id"], future_windows(days_ahead))
    people.dispatch.assign(job["id"], [people.tess.user["id"]])
    return people.tess.job(job["id"])


# ----------------------------------------------------------------------------- app moves


def confirm_first_window(phone: Phone, job: dict[str, Any]) -> str:
    """From the inbox, open the order and confirm the customer's first window."""
    phone.tab("inbox", root="inbox-list")
    window_id = str(job["preferred_windows"][0]["id"])
    phone.tap_until(f"inbox-order-{job['id']}", f"windows-confirm-{window_id}")
    phone.tap(f"windows-confirm-{window_id}")
    return window_id


def change_order_and_completion(phone: Phone, job_id: str) -> None:
    """Start the job, add a signed change order (one new part line), complete it signed."""
    phone.open_job(job_id)
    phone.tap_until("job-start", "job-change-order")
    phone.tap_until("job-change-order", "co-reason")
    phone.type("co-reason", "Wall has metal studs: toggle anchors needed.")
    phone.tap("co-add-line")
    line = wait_until(
        lambda: next(iter(sorted(i for i in phone.ids("co-line-") if i.endswith("-description"))),
                     None),
        "a new change-order line",
    )  # fmt: skip
    prefix = line.removesuffix("-description")
    phone.type(f"{prefix}-description", "Heavy-duty toggle anchors (set of 4)")
    phone.type(f"{prefix}-quantity", "2")
    phone.type(f"{prefix}-price", "12.00")
    phone.tap_until("co-handoff", "sign-summary")
    phone.sign_as_customer("Alice Nguyen")
    phone.wait("job-complete", timeout_ms=30_000)
    phone.tap_until("job-complete", "complete-summary")
    phone.type("complete-summary", "Mounted the bracket on toggle anchors; tested.")
    phone.tap_until("complete-handoff", "sign-summary")
    phone.sign_as_customer("Alice Nguyen")


def server_outcome(people: People, job_id: str) -> dict[str, Any]:
    """What the server holds after flow 2: job status and price, change orders, charges."""
    job = people.tess.job(job_id)
    orders = people.tess.change_orders(job_id)
    return {
        "status": job["status"],
        "price_cents": job["price_cents"],
        "lines": sorted((li["description"], li["quantity"], li["unit_price_cents"])
                        for li in job["line_items"]),
        "change_orders": [(co["status"], co["reason"], co["new_total_cents"] - co[
            "original_total_cents"]) for co in orders],
        "charges": [c["amount_cents"] for c in people.alice.charges(job_id)],
    }  # fmt: skip


# ----------------------------------------------------------------------------- flows


def test_flow1_custom_request_visit_estimate_with_photos_then_window(
    phone: Phone,
    marketplace_server: MarketplaceServer,
    people: People,
    tmp_path: Path,
) -> None:
    title = f"Install two hallway sconces {uuid.uuid4().hex[:6]}"
    request = people.alice.create_request(title)
    app = AppProcess(tmp_path / "proapp.log", server_url=marketplace_server.url)
    try:
        phone.open(app.url)
        phone.sign_in(TESS)

        # Inbox -> the new request -> propose an on-site visit (R4).
        phone.tap_until(f"inbox-request-{request['id']}", "request-title")
        assert title in phone.label("request-title")
        phone.tap_until("request-propose-visit", "visit-price")
        phone.type("visit-price", "89.00")
        phone.type("visit-note", "I will check the boxes and the wiring path.")
        phone.tap("visit-submit")
        visit = wait_until(
            lambda: next(iter(people.alice.visits(request["id"])), None),
            "the visit proposal on the server",
            SYNC_TIMEOUT_S,
        )
        assert visit["price_cents"] == 8_900
        people.alice.post(f"/v1/customer/visits/{visit['id']}/accept")

        # The pro sees the acceptance after a sync.
        phone.sync_now()
        phone.tab("inbox", root="inbox-list")
        phone.tap_until(f"inbox-request-{request['id']}", "request-title")
        wait_until(
            lambda: "accept" in phone.label(f"request-visit-{visit['id']}").lower(),
            "the accepted visit on the request screen",
            SYNC_TIMEOUT_S,
        )

        # Estimate: one labor line and two photos picked from files.
        photos = [
            make_jpeg(tmp_path / "wall.jpg", color=(120, 90, 60), label="Hallway wall"),
            make_jpeg(tmp_path / "box.jpg", color=(40, 90, 140), label="Junction box"),
        ]
        phone.tap_until("request-draft-estimate", "estimate-add-line")
        if not any(i.endswith("-description") for i in phone.ids("estimate-line-")):
            phone.tap("estimate-add-line")
        line = wait_until(
            lambda: sorted(i for i in phone.ids("estimate-line-") if i.endswith("-description")),
            "a line to fill in",
        )[0]
        prefix = line.removesuffix("-description")
        phone.type(f"{prefix}-description", "Install two sconces on existing boxes")
        phone.type(f"{prefix}-quantity", "1")
        phone.type(f"{prefix}-price", "240.00")
        phone.pick_files("estimate-add-photo", photos)
        wait_until(
            lambda: (
                len([i for i in phone.ids("estimate-photo-") if not i.endswith("-remove")]) == 2
            ),
            "two photo thumbnails in the estimate",
        )
        phone.tap("estimate-submit")
        estimate = wait_until(
            lambda: next(iter(people.alice.estimates(request["id"])), None),
            "the estimate on the server",
            SYNC_TIMEOUT_S,
        )
        assert estimate["total_cents"] == 24_000
        assert len(estimate["photo_hashes"]) == 2

        # The customer books it and offers 3 windows; the pro confirms the first.
        job = people.alice.post(f"/v1/customer/estimates/{estimate['id']}/accept")
        job = people.alice.choose_windows(job["id"], future_windows(2))
        phone.sync_now()
        window_id = confirm_first_window(phone, job)
        wait_until(
            lambda: people.tess.job(job["id"])["status"] == "SCHEDULED",
            "the job scheduled on the server",
            SYNC_TIMEOUT_S,
        )
        scheduled = people.tess.job(job["id"])
        chosen = next(w for w in job["preferred_windows"] if w["id"] == window_id)
        assert scheduled["appointment"]["window"] == chosen["window"]
    finally:
        app.stop()


def test_flow2_packaged_job_signed_change_order_and_completion_charge(
    phone: Phone,
    marketplace_server: MarketplaceServer,
    people: People,
    tmp_path: Path,
) -> None:
    job = packaged_job_for_tess(people)
    app = AppProcess(tmp_path / "proapp.log", server_url=marketplace_server.url)
    try:
        phone.open(app.url)
        phone.sign_in(TESS)
        confirm_first_window(phone, job)
        change_order_and_completion(phone, job["id"])
        charges = wait_until(
            lambda: people.alice.charges(job["id"]), "the charge in the ledger", SYNC_TIMEOUT_S
        )
    finally:
        app.stop()
    outcome = server_outcome(people, job["id"])
    assert outcome["status"] == "COMPLETED"
    assert outcome["change_orders"] == [
        ("SIGNED", "Wall has metal studs: toggle anchors needed.", 2_400)
    ]
    # R9: exactly one charge, the upfront price plus the signed change order.
    assert [c["amount_cents"] for c in charges] == [job["price_cents"] + 2_400]
    assert outcome["charges"] == [job["price_cents"] + 2_400]


def test_flow3_offline_then_server_back_same_outcome(
    phone: Phone,
    marketplace_server: MarketplaceServer,
    people: People,
    tmp_path: Path,
) -> None:
    job = packaged_job_for_tess(people)
    app = AppProcess(tmp_path / "proapp.log", server_url=marketplace_server.url)
    restarted: MarketplaceServer | None = None
    try:
        phone.open(app.url)
        phone.sign_in(TESS)
        phone.scroll_to(f"inbox-order-{job['id']}")  # the first sync brought the job
        marketplace_server.stop()  # the whole backend is gone, not just the network

        confirm_first_window(phone, job)
        phone.wait("offline-banner", timeout_ms=30_000)
        change_order_and_completion(phone, job["id"])

        restarted = restart_marketplace(marketplace_server, tmp_path / "restarted")
        phone.sync_now()
        charges = wait_until(
            lambda: people.alice.charges(job["id"]),
            "the charge after the server came back",
            SYNC_TIMEOUT_S,
        )
        phone.wait("sync-queue-empty", timeout_ms=int(SYNC_TIMEOUT_S * 1000))
        outcome = server_outcome(people, job["id"])
    finally:
        app.stop()
        if restarted is not None:
            restarted.stop()
    # The same end state as flow 2 reached online.
    assert outcome["status"] == "COMPLETED"
    assert outcome["change_orders"] == [
        ("SIGNED", "Wall has metal studs: toggle anchors needed.", 2_400)
    ]
    assert [c["amount_cents"] for c in charges] == [job["price_cents"] + 2_400]


def test_flow4_customer_cancels_while_pro_offline_needs_attention(
    phone: Phone,
    marketplace_server: MarketplaceServer,
    people: People,
    tmp_path: Path,
) -> None:
    # Scheduled 3 days out, so the customer may still cancel (R7: over 24 h ahead).
    job = packaged_job_for_tess(people, days_ahead=3)
    people.tess.post(
        f"/v1/jobs/{job['id']}/window/confirm",
        {"preferred_window_id": job["preferred_windows"][0]["id"]},
    )
    reason_typed = "Customer wants a second sconce in the hallway."
    with switched_network(marketplace_server.port) as network:
        app = AppProcess(tmp_path / "proapp.log", server_url=network.url)
        try:
            phone.open(app.url)
            phone.sign_in(TESS)
            phone.wait("inbox-list")
            network.offline()

            # Offline, the pro starts the job and takes a signed change order.
            phone.open_job(job["id"])
            phone.tap_until("job-start", "job-change-order")
            phone.wait("offline-banner", timeout_ms=30_000)
            phone.tap_until("job-change-order", "co-reason")
            phone.type("co-reason", reason_typed)
            phone.tap("co-add-line")
            line = wait_until(
                lambda: next(
                    iter(sorted(i for i in phone.ids("co-line-") if i.endswith("-description"))),
                    None,
                ),
                "a new change-order line",
            )
            prefix = line.removesuffix("-description")
            phone.type(f"{prefix}-description", "Second sconce and box")
            phone.type(f"{prefix}-price", "85.00")
            phone.tap_until("co-handoff", "sign-summary")
            phone.sign_as_customer("Alice Nguyen")
            phone.wait("job-title")

            # Meanwhile the customer cancels (the server is up; only the pro is offline).
            people.alice.cancel(job["id"], "Moving out earlier than planned")

            network.online()
            phone.sync_now()
            attention = wait_until(
                lambda: [i for i in phone.ids("sync-attention-")], "needs attention", 45
            )
            labels = " | ".join(phone.label(i) for i in attention)
            assert "cancel" in labels.lower(), labels  # the server's reason (job_cancelled)
            # The refused change order still holds what was typed, word for word.
            cards = [phone.label(i) for i in phone.ids("sync-attention-")]
            assert any(reason_typed in card for card in cards), cards
        finally:
            app.stop()
    job_now = people.tess.job(job["id"])
    assert job_now["status"] == "CANCELLED"
    assert people.tess.change_orders(job["id"]) == []
    assert people.alice.charges(job["id"]) == []
