"""The first screen for real: `python -m proapp --web` in Debian's Chromium via Playwright.

A demo-seeded marketplace runs as a subprocess (tests/support/servers.py); the app runs
as another subprocess, exactly as a person would start it, against that server. Flutter
draws on a canvas, so the tests turn on its accessibility tree and find controls by
their ``ft.Semantics(identifier=...)`` ids (tests/support/ui_app.py, docs/TESTING.md).
"""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.support.demo import TESS
from tests.support.servers import MarketplaceServer
from tests.support.ui_app import ApiUser, AppProcess, Phone

pytestmark = pytest.mark.ui


def all_inbox_rows(phone: Phone) -> dict[str, str]:
    """Scroll the (lazily built) inbox to its end; every row id with its label."""
    rows: dict[str, str] = {}
    phone.swipe_down()
    unchanged = 0
    phone.page.mouse.move(195, 420)
    while unchanged < 3:
        before = len(rows)
        for row in phone.ids("inbox-"):
            if row.startswith(("inbox-request-", "inbox-order-")) and row not in rows:
                rows[row] = phone.label(row)
        unchanged = unchanged + 1 if len(rows) == before else 0
        phone.page.mouse.wheel(0, 500)
        phone.page.wait_for_timeout(250)
    return rows


def test_technician_signs_in_and_sees_her_inbox_from_the_server(
    phone: Phone, app: AppProcess, marketplace_server: MarketplaceServer
) -> None:
    with ApiUser(marketplace_server.url, TESS) as tess:
        requests = tess.all("/v1/requests")
    open_requests = {r["id"]: r["title"] for r in requests if r["status"] == "OPEN"}
    assert open_requests, "the demo seed has open requests; an empty inbox would prove nothing"

    phone.open(app.url)
    phone.sign_in(TESS)
    phone.wait("inbox-list")
    if phone.exists("first-sync"):
        phone.wait_gone("first-sync", timeout_ms=60_000)
    rows = all_inbox_rows(phone)

    # Every open request of her business is in the inbox, under its own title.
    shown = {row.removeprefix("inbox-request-"): label for row, label in rows.items()
             if row.startswith("inbox-request-")}  # fmt: skip
    assert set(open_requests) <= set(shown), set(open_requests) - set(shown)
    for request_id, title in open_requests.items():
        assert title in shown[request_id]
    # Nothing that is not the server's: every request row is one the API returned.
    assert set(shown) <= {r["id"] for r in requests}

    # Sign out from the settings tab: back at the sign-in form, nothing of hers shown.
    phone.tab("settings")
    phone.tap("settings-signout")
    phone.wait("signin-email")
    assert not phone.exists("inbox-list")


def test_wrong_password_shows_the_error_and_keeps_the_email(
    phone: Phone, app: AppProcess, marketplace_server: MarketplaceServer
) -> None:
    refused = httpx.post(
        f"{marketplace_server.url}/v1/auth/login",
        json={"email": TESS.email, "password": "not-her-password"},
        timeout=10,
    )
    assert refused.status_code == 401
    server_message = refused.json()["message"]

    phone.open(app.url)
    phone.wait("signin-email", timeout_ms=60_000)
    phone.type("signin-email", TESS.email)
    phone.type("signin-password", "not-her-password")
    phone.tap("signin-submit", scroll=False)

    error = phone.wait("signin-error")
    assert server_message in error.inner_text()
    # The DOM <input> of an unfocused Flutter field can hold a stale value; focusing it
    # makes Flutter sync its real editing state, so `value` focuses before reading.
    assert phone.value("signin-email") == TESS.email
    assert phone.value("signin-password") == ""  # cleared after a refusal
    assert not phone.exists("nav-inbox")

    # The kept email really is in the form: the right password alone now signs in.
    phone.type("signin-password", TESS.password)
    phone.tap("signin-submit", scroll=False)
    phone.wait("nav-inbox", timeout_ms=60_000)


def test_demo_mode_runs_its_own_server_offers_demo_accounts_and_stops_it(
    phone: Phone, tmp_path: Path, isolated_environment: Path
) -> None:
    app = AppProcess(tmp_path / "proapp.log")  # no --server: embedded demo server
    try:
        data_dir = Path(os.environ["PROAPP_DATA_DIR"])
        assert (data_dir / "demo-marketplace.sqlite3").is_file()
        phone.open(app.url)
        phone.wait("signin-demo-tess", timeout_ms=60_000)
        phone.tap("signin-demo-tess", scroll=False)  # fills email and password
        phone.tap("signin-submit", scroll=False)
        phone.wait("inbox-list", timeout_ms=60_000)
        phone.page.locator('[flt-semantics-identifier^="inbox-request-"]').first.wait_for()
    finally:
        app.stop()
    assert app.process.returncode == 0, app.output()
    # The demo server went down with the app: its port no longer answers.
    demo_log = (data_dir / "demo-marketplace.log").read_text()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", demo_log)
    assert match, demo_log
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{match[1]}/v1/health", timeout=2)
