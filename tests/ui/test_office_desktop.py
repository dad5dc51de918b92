"""The office desktop of issue 5, for real: the app in Chromium at 1440x900, a real server.

Each test starts a demo-seeded marketplace and ``python -m proapp --web --server <it>``;
the dispatcher works on a desktop-sized page (navigation rail, master-detail layouts)
found ONLY through semantics identifiers and labels, while the customer acts over the
HTTP API. What the server ends up holding is checked over the API too.

1. assign an unassigned, scheduled job to Tess on the dispatch board; Tess's phone
   (a second browser context at 390x844, already signed in) shows it on Today after
   "Sync now";
2. filter the pipeline to overdue items (filter chip, then the keyboard), and the "?"
   shortcut help;
3. answer a customer's message from the office inbox (the thread opens in the detail
   pane beside the list).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.support.demo import CUSTOMERS, DISPATCHER, TESS
from tests.support.servers import MarketplaceServer
from tests.support.ui_app import ApiUser, AppProcess, Phone, future_windows, new_desktop, wait_until

pytestmark = pytest.mark.ui

ALICE = CUSTOMERS[0]
SYNC_TIMEOUT_S = 45.0


@pytest.fixture
def desk(browser: Browser, tmp_path: Path) -> Iterator[Phone]:
    """A fresh 1440x900 browser context (the office desktop)."""
    context, driver = new_desktop(browser)
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.page.screenshot(path=str(tmp_path / "last-desktop.png"))
        context.close()


def scroll_into(desk: Phone, container: str, identifier: str, *, steps: int = 30) -> None:
    """Wheel the list ``container`` (with the pointer over it: a desktop page has
    several lists side by side) until ``identifier`` is built and fully on screen."""
    # Attached is not yet laid out: under load the list can be in the tree a moment
    # before it has a box.
    box = wait_until(lambda: desk.wait(container).bounding_box(), f"{container} laid out")
    desk.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    height = desk.viewport["height"]
    for _ in range(steps):
        found = desk.find(identifier)
        if found.count():
            target = found.first.bounding_box()
            if target is not None and target["y"] >= 0 and target["y"] + target["height"] <= height:
                return
        desk.page.mouse.wheel(0, 300)
        desk.page.wait_for_timeout(200)
    raise AssertionError(f"{identifier!r} never scrolled into view; {desk.describe()}")


def sign_in_office(desk: Phone, app: AppProcess) -> None:
    """The dispatcher signs in and waits for the first sync to finish."""
    desk.open(app.url)
    desk.sign_in(DISPATCHER, landing="rail-dispatch")
    if desk.exists("first-sync"):
        desk.wait_gone("first-sync", timeout_ms=90_000)


def scheduled_unassigned_job(server: MarketplaceServer) -> dict[str, Any]:
    """Alice buys a service and offers windows; the office confirms one without
    assigning anybody: a SCHEDULED job with no technician, tomorrow."""
    with ApiUser(server.url, ALICE) as alice, ApiUser(server.url, DISPATCHER) as office:
        job = alice.buy_service()
        job = alice.choose_windows(job["id"], future_windows(1))
        confirmed: dict[str, Any] = office.post(
            f"/v1/jobs/{job['id']}/window/confirm",
            {"preferred_window_id": job["preferred_windows"][0]["id"]},
        )
        assert confirmed["status"] == "SCHEDULED"
        assert not confirmed.get("assigned_technician_ids")
        return confirmed


def test_dispatcher_assigns_a_job_that_shows_on_the_technicians_phone(
    app: AppProcess,
    marketplace_server: MarketplaceServer,
    desk: Phone,
    phone: Phone,
    tmp_path: Path,
) -> None:
    job = scheduled_unassigned_job(marketplace_server)
    # Tess's phone is another device: its own app process, data folder and keyring (one
    # web app process resumes the session saved last, which would be the dispatcher's).
    with (
        ApiUser(marketplace_server.url, TESS) as tess_api,
        AppProcess(tmp_path / "tess-phone.log", server_url=marketplace_server.url,
                   env={"PROAPP_DATA_DIR": str(tmp_path / "tess-phone")}) as tess_app,
    ):  # fmt: skip
        tess_id = str(tess_api.user["id"])

        # Tess is signed in on her phone; the job is not on her schedule yet.
        phone.open(tess_app.url)
        phone.sign_in(TESS)
        if phone.exists("first-sync"):
            phone.wait_gone("first-sync", timeout_ms=90_000)
        with pytest.raises(AssertionError, match="is on none of the next"):
            phone.open_job(job["id"], days=3)

        # The dispatcher finds it in the unassigned list and gives it to Tess.
        sign_in_office(desk, app)
        row = f"dispatch-unassigned-{job['id']}"
        desk.wait(row, timeout_ms=60_000)
        scroll_into(desk, "dispatch-unassigned", f"{row}-assign")
        desk.tap(f"{row}-assign", scroll=False)
        desk.wait("dispatch-assign-dialog")
        assert "Tess Rivera" in desk.label(f"dispatch-assign-{tess_id}")
        desk.tap(f"dispatch-assign-{tess_id}", scroll=False)
        desk.wait_gone(row, timeout_ms=30_000)

        # The board moves to the job's day (next day: "]") and shows it in Tess's lane.
        block = f"dispatch-block-{tess_id}-{job['id']}"
        for _ in range(3):
            if desk.exists(block):
                break
            desk.page.keyboard.press("BracketRight")
            desk.page.wait_for_timeout(500)
        desk.wait(block, timeout_ms=30_000)
        assert "Tess Rivera" in desk.label(block)

        # The server got the assignment (the office queues it like any pro action).
        def assigned() -> bool:
            server_job = tess_api.job(job["id"])
            ids = set(server_job.get("assigned_technician_ids") or [])
            return tess_id in ids

        wait_until(assigned, "the assignment to reach the server", timeout_s=SYNC_TIMEOUT_S)

        # Tess syncs and finds it on her Today tab.
        phone.sync_now()
        wait_until(lambda: _job_on_today(phone, job["id"]), "the job on Tess's Today",
                   timeout_s=SYNC_TIMEOUT_S, every_s=1.0)  # fmt: skip
        phone.wait("job-title")


def _job_on_today(phone: Phone, job_id: str) -> bool:
    try:
        phone.open_job(job_id, days=3)
    except AssertionError:
        phone.sync_now()
        return False
    return True


def test_pipeline_filters_to_overdue_items(app: AppProcess, desk: Phone) -> None:
    sign_in_office(desk, app)
    desk.tap("rail-pipeline", scroll=False)
    desk.wait("pipeline-filter-overdue", timeout_ms=30_000)
    every = desk.ids("pipeline-row-")
    overdue_chip = desk.label("pipeline-filter-overdue")
    count = int(overdue_chip.split(":")[1].split("items")[0].strip())
    assert count > 0, f"the demo seed has overdue pipeline items; chip says {overdue_chip!r}"
    assert len(every) > count

    desk.tap("pipeline-filter-overdue", scroll=False)
    wait_until(lambda: len(desk.ids("pipeline-row-")) == count, "only the overdue rows")
    for row in desk.ids("pipeline-row-"):
        assert "Overdue" in desk.label(row), row
    assert "selected" in desk.label("pipeline-filter-overdue")

    # The same from the keyboard: 1 = all, 2 = overdue; "?" lists the shortcuts.
    desk.page.keyboard.press("1")
    wait_until(lambda: len(desk.ids("pipeline-row-")) == len(every), "all rows again")
    desk.page.keyboard.press("2")
    wait_until(lambda: len(desk.ids("pipeline-row-")) == count, "overdue rows by key")
    desk.page.keyboard.press("Shift+Slash")
    desk.wait("shortcuts-dialog")
    assert any("Search" in desk.label(r) for r in desk.ids("shortcuts-row-")), desk.text()
    desk.tap("shortcuts-close", scroll=False)
    desk.wait_gone("shortcuts-dialog")

    # Opening a row shows its detail beside the table (master-detail). (The semantics
    # tree is rebuilt as the dialog closes: wait for the rows to be back in it.)
    first = wait_until(lambda: desk.ids("pipeline-row-"), "the rows after the dialog")[0]
    desk.tap(first, scroll=False)
    desk.wait("detail-pane")
    assert desk.exists(first), "the table stays on screen beside the detail"
    desk.page.keyboard.press("Escape")
    desk.wait_gone("detail-pane")


def test_office_answers_a_customer_message(
    app: AppProcess, marketplace_server: MarketplaceServer, desk: Phone
) -> None:
    sign_in_office(desk, app)
    desk.tap("rail-messages", scroll=False)
    desk.tap("office-messages-filter-waiting", scroll=False)
    desk.wait_any(["office-messages-list"])
    threads = wait_until(lambda: desk.ids("office-messages-thread-"), "a waiting thread")
    first = threads[0]
    parent_id = first.removeprefix("office-messages-thread-")
    assert "Waiting" in desk.label(first)

    desk.tap(f"office-messages-reply-{parent_id}", scroll=False)
    desk.wait("detail-pane")
    desk.wait("thread-input")
    answer = f"We can come Thursday morning. ({uuid.uuid4().hex[:6]})"
    desk.type("thread-input", answer)
    desk.tap("thread-send", scroll=False)

    # The answer reaches the server; the thread stops waiting in the office inbox.
    with ApiUser(marketplace_server.url, DISPATCHER) as office:
        def sent() -> bool:
            return any(m.get("body") == answer for m in office.all("/v1/messages"))

        wait_until(sent, "the answer on the server", timeout_s=SYNC_TIMEOUT_S, every_s=1.0)
    desk.page.keyboard.press("Escape")
    desk.wait_gone("detail-pane")
    wait_until(lambda: not desk.exists(first), "the answered thread to leave the waiting list",
               timeout_s=SYNC_TIMEOUT_S)  # fmt: skip
