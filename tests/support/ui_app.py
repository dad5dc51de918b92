"""Drive the real app from tests and tools: ``python -m proapp --web`` in Debian's Chromium.

Three parts, all used by tests/ui/, tools/screenshots.py and bench/app.py:

* `AppProcess` runs the app exactly as a person would (``python -m proapp --web
  --no-browser --server URL --port N``) as a subprocess in its own process group.
* `Phone` wraps a Playwright page at 390x844 and finds controls ONLY by their
  ``ft.Semantics(identifier=...)`` ids (``[flt-semantics-identifier="..."]``) and labels,
  so the same steps translate one to one to Flet's device test runner (docs/TESTING.md).
* `ApiUser` plays the other people over plain HTTP: the customer (``/v1/customer/...``:
  accept a visit or an estimate, choose windows, cancel), the dispatcher (assign), and a
  pro reading the server's view to check what the app sent.

Plus `restart_marketplace` (same port, same database file: the pro's device must not
notice anything but an outage) and `NetworkSwitch`, a TCP hop between app and server
that can be cut (the pro is offline while the customer is not).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.demo import DemoAccount
from tests.support.servers import (
    REPO_ROOT,
    MarketplaceServer,
    MarketplaceStartError,
    free_port,
    start_marketplace,
)
from tests.support.tcp_proxy import FaultyTcpProxy, _abort

__all__ = [
    "APP_START_TIMEOUT_S",
    "CHROMIUM_ARGS",
    "DESKTOP",
    "PHONE",
    "UI_TIMEOUT_MS",
    "ApiUser",
    "AppProcess",
    "NetworkSwitch",
    "Phone",
    "future_windows",
    "make_jpeg",
    "new_desktop",
    "new_phone",
    "restart_marketplace",
    "sel",
    "wait_until",
]

PHONE: ViewportSize = {"width": 390, "height": 844}
# The office desktop (issue 5): a common laptop/desktop browser window.
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
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
APP_START_TIMEOUT_S = 45.0
UI_TIMEOUT_MS = 20_000
# A tiny pause after an action whose effect Flutter draws on the next frame(s); never a
# substitute for waiting on an identifier.
SETTLE_MS = 120

T = TypeVar("T")


def sel(identifier: str) -> str:
    """CSS selector of the semantics node with this ``ft.Semantics(identifier=...)``."""
    return f'[flt-semantics-identifier="{identifier}"]'


def sel_prefix(prefix: str) -> str:
    """CSS selector of every semantics node whose identifier starts with ``prefix``."""
    return f'[flt-semantics-identifier^="{prefix}"]'


def wait_until(
    check: Callable[[], T | None], what: str, timeout_s: float = 20.0, every_s: float = 0.2
) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {last!r})")


# ----------------------------------------------------------------------------- the app


def _wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"proapp exited with {process.returncode}:\n{_read(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"proapp did not serve {url} within {timeout:.0f} s:\n{_read(log)}")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class AppProcess:
    """``python -m proapp --web --no-browser`` as a subprocess (its own process group).

    ``server_url`` None runs the embedded demo server, as the README's command does.
    ``env`` is layered over the current environment (the autouse fixtures in
    tests/conftest.py already point data dirs and the keyring at temporary places).
    """

    def __init__(
        self,
        log: Path,
        *,
        server_url: str | None = None,
        theme: str = "light",
        renderer: str | None = None,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        wait: bool = True,
        timeout: float = APP_START_TIMEOUT_S,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.started_at = time.monotonic()
        command = [
            sys.executable, "-m", "proapp", "--web", "--no-browser",
            "--port", str(self.port), "--theme", theme,
        ]  # fmt: skip
        if server_url:
            command += ["--server", server_url]
        if renderer:
            command += ["--web-renderer", renderer]
        command += list(extra_args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            try:
                _wait_for_http(self.url, self.process, log, timeout)
            except BaseException:
                self.stop()
                raise

    def output(self) -> str:
        """What the app printed so far (for failure messages)."""
        return _read(self.log)

    def stop(self) -> None:
        """SIGTERM, as a service manager would; the app must shut down cleanly."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# ----------------------------------------------------------------------------- the phone


class UiTimeout(AssertionError, PlaywrightTimeoutError):
    """An identifier did not appear in time (the message says what was on screen)."""


def new_phone(
    browser: Browser,
    *,
    color_scheme: str = "light",
    timeout_ms: int = UI_TIMEOUT_MS,
    viewport: ViewportSize = PHONE,
) -> tuple[BrowserContext, Phone]:
    """A fresh browser context (no cookies, no localStorage) at phone size (or
    ``viewport``)."""
    context = browser.new_context(
        viewport=viewport,
        color_scheme="dark" if color_scheme == "dark" else "light",
        device_scale_factor=1,
    )
    context.set_default_timeout(timeout_ms)
    phone = Phone(context.new_page(), viewport=viewport)
    phone.page.on("console", lambda message: phone.console.append(message.text[:300]))
    return context, phone


def new_desktop(
    browser: Browser, *, color_scheme: str = "light", timeout_ms: int = UI_TIMEOUT_MS
) -> tuple[BrowserContext, Phone]:
    """A fresh browser context at 1440x900 (the office desktop); same driver."""
    return new_phone(browser, color_scheme=color_scheme, timeout_ms=timeout_ms, viewport=DESKTOP)


@dataclass
class Phone:
    """The app in a browser tab, driven by semantics identifiers and labels only
    (``viewport``: a phone by default, `DESKTOP` for the office screens)."""

    page: Page
    # The browser console (for failure messages).
    console: list[str] = dataclass_field(default_factory=list)
    viewport: ViewportSize = dataclass_field(default_factory=lambda: PHONE)

    # --- finding -----------------------------------------------------------------------
    def find(self, identifier: str) -> Locator:
        """The semantics node with ``identifier`` (may not exist yet)."""
        return self.page.locator(sel(identifier))

    def exists(self, identifier: str) -> bool:
        return self.find(identifier).count() > 0

    def wait(self, identifier: str, timeout_ms: int | None = None) -> Locator:
        """Wait until ``identifier`` is in the semantics tree; return it."""
        locator = self.find(identifier).first
        try:
            locator.wait_for(state="attached", timeout=timeout_ms)
        except PlaywrightTimeoutError:
            raise UiTimeout(f"{identifier!r} did not appear; {self.describe()}") from None
        return locator

    def wait_gone(self, identifier: str, timeout_ms: int | None = None) -> None:
        """Wait until ``identifier`` left the semantics tree."""
        try:
            self.find(identifier).first.wait_for(state="detached", timeout=timeout_ms)
        except PlaywrightTimeoutError:
            raise UiTimeout(f"{identifier!r} did not go away; {self.describe()}") from None

    def wait_any(self, identifiers: Sequence[str], timeout_ms: int = UI_TIMEOUT_MS) -> str:
        """Wait until one of ``identifiers`` shows; return which."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            for identifier in identifiers:
                if self.exists(identifier):
                    return identifier
            self.page.wait_for_timeout(100)
        raise AssertionError(f"none of {list(identifiers)} appeared; {self.describe()}")

    def ids(self, prefix: str = "") -> list[str]:
        """Identifiers now in the semantics tree (document order), optionally by prefix."""
        nodes = self.page.locator(sel_prefix(prefix) if prefix else "[flt-semantics-identifier]")
        found: list[str] = nodes.evaluate_all(
            "ns => ns.map(n => n.getAttribute('flt-semantics-identifier'))"
        )
        return [str(i) for i in found]

    def label(self, identifier: str) -> str:
        """What a screen reader says for ``identifier``: aria-label plus inner text."""
        node = self.wait(identifier)
        aria = node.get_attribute("aria-label") or ""
        text = node.inner_text() or ""
        return f"{aria} {text}".strip()

    def text(self) -> str:
        """Everything the semantics tree says right now (labels and texts)."""
        parts: list[str] = self.page.locator("flt-semantics").evaluate_all(
            "ns => ns.map(n => (n.getAttribute('aria-label') || '') + ' ' + "
            "(n.childElementCount ? '' : (n.textContent || '')))"
        )
        return " ".join(p.strip() for p in parts if p.strip())

    def describe(self) -> str:
        """For failure messages: the identifiers on screen (and, if there are none, the
        end of the browser console: Flet's "Working..." screen means the client lost its
        connection to the app's session)."""
        ids = self.ids()
        if not ids:
            return f"NO identifiers on screen; browser console: {self.console[-15:]}"
        return f"identifiers on screen: {ids}"

    # --- acting ------------------------------------------------------------------------
    def tap(self, identifier: str, *, scroll: bool = True) -> None:
        """Tap a control (scrolling its list until it is on screen)."""
        if scroll:
            self.scroll_to(identifier)
        try:
            self.wait(identifier).click()
        except PlaywrightTimeoutError:
            raise AssertionError(f"could not tap {identifier!r}; {self.describe()}") from None
        self.page.wait_for_timeout(SETTLE_MS)

    def tap_until(
        self, identifier: str, expect: str, *, attempts: int = 3, timeout_ms: int = 8_000
    ) -> None:
        """Tap ``identifier`` until ``expect`` shows (a list being rebuilt by a sync can
        swallow a tap: the row under the pointer was replaced between down and up)."""
        for attempt in range(attempts):
            if self.exists(expect):
                return
            if attempt == 0 or self.exists(identifier):
                self.tap(identifier)
            try:
                self.wait(expect, timeout_ms=timeout_ms)
                return
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(f"tapping {identifier!r} never showed {expect!r}; {self.describe()}")

    def tap_label(self, role: str, name: str) -> None:
        """Tap by accessible role and name (e.g. a dialog's "Discard" button)."""
        self.page.get_by_role(role, name=name).first.click()  # type: ignore[arg-type]
        self.page.wait_for_timeout(SETTLE_MS)

    def field(self, identifier: str) -> Locator:
        return self.wait(identifier).locator("input, textarea").first

    def type(self, identifier: str, text: str) -> None:
        """Type like a person: focus the field, clear it, press the keys.

        On a loaded machine Flutter can drop a keystroke that arrives while it is still
        wiring up the focused field's editing state, so the value is read back (the
        field is focused, so its DOM value is current) and typed again if it is wrong.
        """
        self.scroll_to(identifier)
        field = self.field(identifier)
        value = ""
        for _ in range(3):
            field.click()
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Delete")
            self.page.keyboard.type(text)
            self.page.wait_for_timeout(SETTLE_MS)
            value = field.input_value()
            if value == text:
                return
        raise AssertionError(f"{identifier} holds {value!r} after typing {text!r} three times")

    def value(self, identifier: str) -> str:
        """A text field's value (focused first: an unfocused Flutter field's DOM value
        can be stale)."""
        field = self.field(identifier)
        field.click()
        self.page.wait_for_timeout(200)
        return field.input_value()

    def in_view(self, identifier: str) -> bool:
        """True if ``identifier`` exists and its centre is inside the viewport."""
        locator = self.find(identifier)
        if locator.count() == 0:
            return False
        box = locator.first.bounding_box()
        if box is None:
            return False
        cy = box["y"] + box["height"] / 2
        cx = box["x"] + box["width"] / 2
        # Keep clear of the app bar (top) and the bottom navigation bar.
        size = self.viewport
        return 56 <= cy <= size["height"] - 90 and 0 <= cx <= size["width"]

    def scroll_to(self, identifier: str, *, max_steps: int = 40) -> None:
        """Scroll the screen's list (mouse wheel) until ``identifier`` is on screen.

        Flutter builds list rows lazily, so an off-screen row is not in the semantics
        tree at all: scroll down until it appears, then up if the list ended first.
        """
        if self.in_view(identifier):
            return
        self.page.mouse.move(self.viewport["width"] / 2, self.viewport["height"] / 2)
        for direction in (1, -1):
            unchanged = 0
            last: list[str] = []
            for _ in range(max_steps):
                locator = self.find(identifier)
                if locator.count():
                    box = locator.first.bounding_box()
                    if box is not None and not self.in_view(identifier):
                        # It exists but is under the bars or below: nudge it into view.
                        delta = box["y"] - self.viewport["height"] / 2
                        self.page.mouse.wheel(0, delta)
                        self.page.wait_for_timeout(250)
                    if self.in_view(identifier):
                        return
                self.page.mouse.wheel(0, 350 * direction)
                self.page.wait_for_timeout(200)
                now = self.ids()
                unchanged = unchanged + 1 if now == last else 0
                last = now
                if unchanged >= 3:
                    break
        if not self.exists(identifier):
            raise AssertionError(f"{identifier!r} never scrolled into view; {self.describe()}")

    def swipe_down(self) -> None:
        """Scroll to the top of the current list."""
        self.page.mouse.move(self.viewport["width"] / 2, self.viewport["height"] / 2)
        for _ in range(5):
            self.page.mouse.wheel(0, -2000)
            self.page.wait_for_timeout(100)

    def pick_files(self, identifier: str, paths: Sequence[Path]) -> None:
        """Tap a control that opens the file picker and choose ``paths``."""
        self.scroll_to(identifier)
        with self.page.expect_file_chooser() as chooser:
            self.wait(identifier).click()
        chooser.value.set_files([str(p) for p in paths])
        self.page.wait_for_timeout(SETTLE_MS)

    def draw_signature(self, identifier: str) -> None:
        """Sign with the mouse inside the signature pad's box: two strokes, like a name
        and an underline (Flutter's pan gestures get real pointer events)."""
        self.scroll_to(identifier)
        box = self.wait(identifier).bounding_box()
        assert box is not None, f"{identifier} has no box"
        x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
        strokes = [
            [(0.15, 0.6), (0.25, 0.3), (0.35, 0.7), (0.45, 0.3), (0.55, 0.7), (0.65, 0.35)],
            [(0.2, 0.8), (0.8, 0.78)],
        ]
        mouse = self.page.mouse
        for stroke in strokes:
            fx, fy = stroke[0]
            mouse.move(x0 + w * fx, y0 + h * fy)
            mouse.down()
            for fx, fy in stroke[1:]:
                mouse.move(x0 + w * fx, y0 + h * fy, steps=6)
            mouse.up()
            self.page.wait_for_timeout(80)
        self.page.wait_for_timeout(SETTLE_MS)

    # --- the app's own moves -----------------------------------------------------------
    def open(self, url: str) -> None:
        """Load the app and turn on Flutter's accessibility tree."""
        self.page.goto(url)
        # Flutter's semantics are off until this 1x1 px off-screen element is
        # "clicked"; it is not clickable for real, so dispatch the event.
        placeholder = self.page.locator("flt-semantics-placeholder")
        placeholder.wait_for(state="attached", timeout=60_000)
        placeholder.dispatch_event("click")

    def sign_in(self, account: DemoAccount, *, landing: str = "nav-inbox") -> None:
        """Sign in on the sign-in screen; wait for ``landing`` (the bottom nav)."""
        self.wait("signin-email", timeout_ms=60_000)
        self.type("signin-email", account.email)
        self.type("signin-password", account.password)
        self.tap("signin-submit", scroll=False)
        try:
            self.wait(landing, timeout_ms=60_000)
        except PlaywrightTimeoutError:
            error = self.find("signin-error")
            shown = error.inner_text() if error.count() else "(no sign-in error shown)"
            raise AssertionError(
                f"{landing} did not appear after signing in; sign-in said: {shown}; "
                f"{self.describe()}"
            ) from None

    def tab(self, name: str, root: str | None = None) -> None:
        """Switch to a bottom-navigation tab: inbox, today, messages, sync, settings.

        A tab keeps its own stack of screens; with ``root`` (an identifier of the tab's
        first screen, e.g. ``inbox-list``) go back until that screen shows.
        """
        self.tap(f"nav-{name}", scroll=False)
        if root is None:
            return
        for _ in range(6):
            self.page.wait_for_timeout(SETTLE_MS)
            if self.exists(root) or not self.exists("back"):
                break
            self.back()
        self.wait(root)

    def back(self) -> None:
        """The app bar's back arrow (the shell's ``back``)."""
        self.tap("back", scroll=False)

    def sync_now(self) -> None:
        """The sync tab's "Sync now"."""
        self.tab("sync")
        self.tap("sync-now")

    def open_job(self, job_id: str, *, days: int = 8) -> None:
        """Find the job on the Today tab (stepping through the days) and open it."""
        self.tab("today", root="today-day-label")
        row = f"today-job-{job_id}"
        for _ in range(days):
            self.wait_any(["today-list", "today-empty"])
            self.page.wait_for_timeout(200)
            if self.exists(row):
                self.tap_until(row, "job-title")
                return
            self.tap("today-day-next", scroll=False)
        raise AssertionError(f"{row} is on none of the next {days} days; {self.describe()}")

    def sign_as_customer(self, name: str) -> None:
        """The customer's part of a hand-off (change order, completion): read, type the
        name, sign on the pad, accept."""
        self.wait("sign-summary")
        self.type("sign-name", name)
        self.draw_signature("sign-pad")
        self.tap("sign-accept")

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return path


# ----------------------------------------------------------------------------- other people


class ApiUser:
    """Somebody else at the marketplace, over plain HTTP with a bearer token.

    Commands carry a fresh ``Idempotency-Key``; non-2xx answers raise `ApiRefused`
    with the server's error body, so a test can assert on the stable ``code``.
    """

    def __init__(self, base_url: str, account: DemoAccount) -> None:
        self.account = account
        self.http = httpx.Client(base_url=base_url, timeout=30)
        tokens = self._check(
            self.http.post(
                "/v1/auth/login", json={"email": account.email, "password": account.password}
            )
        )
        self.user: dict[str, Any] = tokens["user"]
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiUser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @staticmethod
    def _check(response: httpx.Response) -> Any:
        if response.is_success:
            return response.json() if response.content else None
        try:
            body = response.json()
        except ValueError:
            body = {"code": "http_error", "message": response.text[:300]}
        raise ApiRefused(response.status_code, body)

    def get(self, path: str, **params: Any) -> Any:
        return self._check(self.http.get(path, params=params or None))

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return self._check(self.http.post(path, json=dict(body or {}), headers=headers))

    def all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paged list."""
        items: list[Any] = []
        token: str | None = None
        while True:
            query = {"limit": 200, **params} | ({"page_token": token} if token else {})
            page = self.get(path, **query)
            items += page["items"]
            token = page.get("next_page_token")
            if not token:
                return items

    # --- customer ----------------------------------------------------------------------
    def business_id(self, name: str = "BrightFix Home Services") -> str:
        for business in self.all("/v1/customer/businesses"):
            if business["name"] == name:
                return str(business["id"])
        raise AssertionError(f"no business named {name!r}")

    def create_request(self, title: str, **fields: Any) -> dict[str, Any]:
        body = {
            "business_id": self.business_id(),
            "title": title,
            "description": "Two wall lamps, existing junction boxes, 9 ft ceiling.",
            "dimensions": "Hallway 12 ft long",
            "product_info": "Globe Electric 65931 sconces",
            "location_type": "IN_HOME",
            "address": _ADDRESS,
            **fields,
        }
        result: dict[str, Any] = self.post("/v1/customer/requests", body)
        return result

    def buy_service(self, title_contains: str = "") -> dict[str, Any]:
        """Buy an in-home packaged service of BrightFix; returns the new job."""
        business = self.business_id()
        for service in self.all("/v1/customer/services"):
            if (
                service["business_id"] == business
                and service["location_type"] == "IN_HOME"
                and title_contains.lower() in service["title"].lower()
            ):
                body = {"address": _ADDRESS, "share_phone": True}
                job: dict[str, Any] = self.post(f"/v1/customer/services/{service['id']}/buy", body)
                return job
        raise AssertionError(f"BrightFix sells no in-home service like {title_contains!r}")

    def choose_windows(self, job_id: str, windows: Sequence[Mapping[str, str]]) -> Any:
        return self.post(f"/v1/customer/jobs/{job_id}/windows", {"windows": list(windows)})

    def visits(self, request_id: str) -> list[dict[str, Any]]:
        return [v for v in self.all("/v1/customer/visits") if v["request_id"] == request_id]

    def estimates(self, request_id: str) -> list[dict[str, Any]]:
        return [e for e in self.all("/v1/customer/estimates") if e["request_id"] == request_id]

    def charges(self, job_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(f"/v1/customer/jobs/{job_id}/charges")
        return result

    def cancel(self, job_id: str, reason: str) -> Any:
        return self.post(f"/v1/customer/jobs/{job_id}/cancel", {"reason": reason})

    # --- staff and pros ----------------------------------------------------------------
    def assign(self, job_id: str, technician_ids: Sequence[str]) -> Any:
        return self.post(f"/v1/jobs/{job_id}/assign", {"technician_ids": list(technician_ids)})

    def job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/v1/jobs/{job_id}")
        return result

    def change_orders(self, job_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(f"/v1/jobs/{job_id}/change-orders")
        return result

    def team(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/v1/team")
        return result


class ApiRefused(AssertionError):
    """The server said no; ``body`` is its ``{"code", "message", "details"}``."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = dict(body)


_ADDRESS = {
    "line1": "742 Evergreen Terrace",
    "line2": "",
    "city": "San Jose",
    "state": "CA",
    "postal_code": "95112",
}


def future_windows(
    days_ahead: int = 3, hour_utc: int = 17, length_h: int = 2
) -> list[dict[str, str]]:
    """Three distinct arrival windows on consecutive days, the first ``days_ahead`` days
    out (R6: exactly 3, all in the future), as the customer API takes them."""
    today = datetime.now(UTC).date()
    first = datetime(today.year, today.month, today.day, hour_utc, tzinfo=UTC) + timedelta(
        days=days_ahead
    )
    return [
        {
            "start": (first + timedelta(days=d)).isoformat(),
            "end": (first + timedelta(days=d, hours=length_h)).isoformat(),
        }
        for d in range(3)
    ]


def make_jpeg(path: Path, *, color: tuple[int, int, int], label: str, size: int = 640) -> Path:
    """A small real JPEG (Pillow) for the file picker: a coloured square with text."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size * 3 // 4), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, size - 20, size * 3 // 4 - 20], outline=(255, 255, 255), width=6)
    draw.text((40, 40), label, fill=(255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85)
    return path


# ----------------------------------------------------------------------------- outages


def restart_marketplace(
    server: MarketplaceServer, tmp_path: Path, *, attempts: int = 20
) -> MarketplaceServer:
    """Start ``marketplace serve`` again on the SAME port with the SAME database (after
    ``server.stop()``): to the app it is the same server coming back from an outage."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return start_marketplace(tmp_path, database_url=server.database_url, port=server.port)
        except MarketplaceStartError as exc:
            # The old socket can linger a moment after the old process died.
            last = exc
            time.sleep(0.3)
    raise AssertionError(f"the marketplace did not come back on port {server.port}: {last}")


class NetworkSwitch(FaultyTcpProxy):
    """A TCP hop between the app and the server that can be cut: the pro's signal.

    Online (the default), bytes pass. `offline` aborts every open connection (RST, as a
    lost mobile link) and drops new ones until `online`; the server itself stays up, so
    the customer can act meanwhile.
    """

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port, seed=0, rates={"drop": 1.0})
        self.enabled = False  # FaultyTcpProxy: disabled means every connection passes

    def offline(self) -> None:
        self.enabled = True
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _abort(sock)

    def online(self) -> None:
        self.enabled = False


@contextlib.contextmanager
def switched_network(upstream_port: int) -> Iterator[NetworkSwitch]:
    """A running `NetworkSwitch` for the duration of a ``with`` block."""
    switch = NetworkSwitch(upstream_port)
    switch.start()
    try:
        yield switch
    finally:
        switch.stop()
