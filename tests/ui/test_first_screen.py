"""The first screen for real: `python -m proapp --web` in Debian's Chromium via Playwright.

A demo-seeded marketplace runs as a subprocess (tests/support/servers.py); the app runs
as another subprocess, exactly as a person would start it, against that server. Flutter
draws on a canvas, so the tests turn on its accessibility tree and find controls by
their ``ft.Semantics(identifier=...)`` ids.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from proapp.api.models import ApiJobPage, job_to_domain
from proapp.domain.models import Job
from proapp.domain.money import format_cents
from proapp.state.jobs import job_rows
from tests.support.demo import TESS
from tests.support.servers import REPO_ROOT, MarketplaceServer, free_port

pytestmark = pytest.mark.ui

PHONE: ViewportSize = {"width": 390, "height": 844}
# FLET-NOTES.md: run as root, and keep this closed network free of background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP_START_TIMEOUT_S = 30.0
UI_TIMEOUT_MS = 30_000


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One Chromium for the whole session (~0.5 GB a tab); a fresh context per test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + APP_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"proapp exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(f"proapp did not serve {url} within {APP_START_TIMEOUT_S} s:\n{log.read_text()}")


class AppProcess:
    """``python -m proapp --web`` as a subprocess (its own process group)."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            sys.executable, "-m", "proapp", "--web", "--no-browser",
            "--port", str(self.port), "--theme", "light", *args,
        ]  # fmt: skip
        with log.open("wb") as out:
            # The environment comes from the autouse fixtures: temp data dirs and an
            # in-memory keyring (PYTHON_KEYRING_BACKEND), so no real secret is touched.
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_for_http(self.url, self.process, log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM, as a service manager would; the app must shut down cleanly."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def app_url(marketplace_server: MarketplaceServer, tmp_path: Path) -> Iterator[str]:
    """``python -m proapp --web --server <test marketplace>``; yields the page URL."""
    app = AppProcess(["--server", marketplace_server.url], tmp_path / "proapp.log")
    try:
        yield app.url
    finally:
        app.stop()


# ---------------------------------------------------------------- helpers


def by_id(page: Page, identifier: str) -> str:
    return f'[flt-semantics-identifier="{identifier}"]'


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    # Flutter's accessibility tree is off until this 1x1 px off-screen element is
    # "clicked"; it is not clickable for real, so dispatch the event.
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached")
    placeholder.dispatch_event("click")
    page.locator(by_id(page, "signin-email")).wait_for()


def type_into(page: Page, identifier: str, text: str) -> None:
    """Type like a person: focus the field, clear it, press the keys.

    On a loaded machine Flutter can drop a keystroke that arrives while it is still
    wiring up the focused field's editing state, so the value is read back (the field
    is focused, so its DOM value is current) and typed again if it came out wrong.
    """
    field = page.locator(by_id(page, identifier)).locator("input")
    value = ""
    for _ in range(3):
        field.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type(text)
        page.wait_for_timeout(100)
        value = field.input_value()
        if value == text:
            return
    raise AssertionError(f"{identifier} holds {value!r} after typing {text!r} three times")


def wait_for_jobs(page: Page) -> None:
    """The jobs screen; on a timeout, say what the sign-in screen showed instead."""
    try:
        page.locator(by_id(page, "jobs-list")).wait_for()
    except PlaywrightTimeoutError:
        error = page.locator(by_id(page, "signin-error"))
        shown = error.inner_text() if error.count() else "(no sign-in error shown)"
        raise AssertionError(f"the jobs screen did not appear; sign-in said: {shown}") from None


def field_value(page: Page, identifier: str) -> str:
    field = page.locator(by_id(page, identifier)).locator("input")
    field.click()
    page.wait_for_timeout(200)
    return field.input_value()


def jobs_for(server_url: str, email: str, password: str) -> list[Job]:
    """What GET /v1/jobs returns for this account, every page (independent of the app)."""
    with httpx.Client(base_url=server_url, timeout=10) as http:
        tokens = http.post("/v1/auth/login", json={"email": email, "password": password})
        tokens.raise_for_status()
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        jobs: list[Job] = []
        token: str | None = None
        while True:
            params = {"limit": 50} | ({"page_token": token} if token else {})
            response = http.get("/v1/jobs", params=params, headers=headers)
            response.raise_for_status()
            page = ApiJobPage.model_validate(response.json())
            jobs += [job_to_domain(item) for item in page.items]
            token = page.next_page_token
            if token is None:
                return jobs


def visible_row_ids(page: Page) -> list[str]:
    ids = page.locator('[flt-semantics-identifier^="job-row-"]').evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('flt-semantics-identifier'))"
    )
    return [str(i).removeprefix("job-row-") for i in ids]


def all_row_ids(page: Page) -> tuple[list[str], dict[str, str]]:
    """Scroll the (lazily built) list to the end; row ids in order and their labels."""
    order: list[str] = []
    labels: dict[str, str] = {}
    box = page.locator(by_id(page, "jobs-list")).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    unchanged = 0
    while unchanged < 3:
        before = len(order)
        for job_id in visible_row_ids(page):
            if job_id not in labels:
                order.append(job_id)
                label = page.locator(by_id(page, f"job-row-{job_id}")).get_attribute("aria-label")
                labels[job_id] = label or ""
        unchanged = unchanged + 1 if len(order) == before else 0
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(250)
    return order, labels


# ---------------------------------------------------------------- tests


def test_technician_signs_in_and_sees_her_jobs_from_the_server(
    page: Page, app_url: str, marketplace_server: MarketplaceServer
) -> None:
    expected = jobs_for(marketplace_server.url, TESS.email, TESS.password)
    assert expected, "the demo seed gives Tess jobs; an empty list would prove nothing"

    open_app(page, app_url)
    type_into(page, "signin-email", TESS.email)
    type_into(page, "signin-password", TESS.password)
    page.locator(by_id(page, "signin-submit")).click()
    wait_for_jobs(page)

    order, labels = all_row_ids(page)
    # Same jobs as the API returns for her, in the order the jobs screen promises.
    expected_order = [row.job_id for row in job_rows(expected, datetime.now(UTC))]
    assert order == expected_order
    for job in expected:
        assert job.title in labels[job.id]
        assert format_cents(job.price_cents) in labels[job.id]

    page.locator(by_id(page, "signout")).click()
    page.locator(by_id(page, "signin-email")).wait_for()
    assert page.locator(by_id(page, "jobs-list")).count() == 0


def test_wrong_password_shows_the_error_and_keeps_the_email(
    page: Page, app_url: str, marketplace_server: MarketplaceServer
) -> None:
    refused = httpx.post(
        f"{marketplace_server.url}/v1/auth/login",
        json={"email": TESS.email, "password": "not-her-password"},
        timeout=10,
    )
    assert refused.status_code == 401
    server_message = refused.json()["message"]

    open_app(page, app_url)
    type_into(page, "signin-email", TESS.email)
    type_into(page, "signin-password", "not-her-password")
    page.locator(by_id(page, "signin-submit")).click()

    error = page.locator(by_id(page, "signin-error"))
    error.wait_for()
    assert server_message in error.inner_text()
    # The DOM <input> of an unfocused Flutter field can hold a stale value; focusing it
    # makes Flutter sync its real editing state, so focus before reading.
    assert field_value(page, "signin-email") == TESS.email
    assert field_value(page, "signin-password") == ""  # cleared after a refusal
    assert page.locator(by_id(page, "jobs-list")).count() == 0

    # The kept email really is in the form: the right password alone now signs in.
    type_into(page, "signin-password", TESS.password)
    page.locator(by_id(page, "signin-submit")).click()
    wait_for_jobs(page)


def test_demo_mode_runs_its_own_server_offers_demo_accounts_and_stops_it(
    page: Page, tmp_path: Path, isolated_environment: Path
) -> None:
    app = AppProcess([], tmp_path / "proapp.log")  # no --server: embedded demo server
    try:
        data_dir = Path(os.environ["PROAPP_DATA_DIR"])
        assert (data_dir / "demo-marketplace.sqlite3").is_file()
        open_app(page, app.url)
        page.locator(by_id(page, "signin-demo-tess")).click()  # fills email and password
        page.locator(by_id(page, "signin-submit")).click()
        wait_for_jobs(page)
        assert visible_row_ids(page), "Tess has demo jobs"
    finally:
        app.stop()
    assert app.process.returncode == 0, app.log.read_text()
    # The demo server went down with the app: its port no longer answers.
    demo_log = (data_dir / "demo-marketplace.log").read_text()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", demo_log)
    assert match, demo_log
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{match[1]}/v1/health", timeout=2)
