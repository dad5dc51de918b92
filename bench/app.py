"""Group ``app``: how fast the field app shows the technician's work.

``launch``
    A marketplace (subprocess, SQLite) holds the demo data plus 1,000 extra OPEN custom
    requests for BrightFix; Tess signed in once on this "device" (data folder and a
    file-backed keyring in the scratch folder) and her first sync cached them all.
    Then, each sample: start ``python -m proapp --web --server URL`` as a new process
    (the saved session is restored from the keyring) and time from just before the
    process starts until
    - ``launch_to_inbox_s``: the first page update carrying an inbox row
      (``inbox-request-...``) is SENT to a client. The client is a minimal Flet web
      client in this process (a WebSocket speaking Flet's msgpack protocol: register,
      then read the patches), so no browser time is included: this is the Python side
      (interpreter start, imports, store, session restore, building the inbox).
      Baseline, interleaved sample by sample: a bare Flet web app (`FLOOR_APP`: the
      interpreter, ``import flet``, its web server, one row sent) timed the same way;
      the ratio is the app's launch in units of the machine's floor.
    - ``browser_launch_to_inbox_s``: the same, until an inbox row is in the
      accessibility tree of Debian's Chromium at 390x844 (page load of ~14 MB of
      Flutter web client included). Reported, no target yet.
``screen_build``
    Every screen's state class and view are constructed with a `FakeRepository` holding
    10,000 jobs and 1,000 requests (with messages and queued actions): state
    construction + ``load()`` + view construction, timed per screen. The figure is the
    slowest screen's median; the per-screen medians go to the log. Baseline, interleaved
    with every sample: reading the jobs and requests from the same repository once
    (``jobs()`` + ``requests()``), the floor of any screen that lists them.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import Context, Figure, benchmark
from bench.sync import demo_database

__all__ = ["bench_launch", "bench_screen_build", "seed_requests"]

TESS = ("tess@brightfix.example", "demo-tech-pass")
CACHED_REQUESTS = 1_000
INBOX_ROW = b"inbox-request-"
LAUNCH_TARGET_S = "<= 2"


# --- data -------------------------------------------------------------------------------


def seed_requests(database_url: str, business_name: str, count: int) -> None:
    """Write ``count`` OPEN custom requests for ``business_name`` straight into a
    migrated, demo-seeded database, with change-feed entries (so a pull brings them)."""
    import random

    from sqlalchemy import insert, select

    from bench.data import new_id
    from marketplace import orm
    from marketplace.db import make_engine, make_session_factory
    from proapp.domain.rules import estimate_due_at, estimate_window_closes_at

    rng = random.Random(count)
    titles = [
        "Install two hallway sconces", "Replace bathroom vanity faucet",
        "Hang floating shelves in living room", "Fix sticking sliding door",
        "Mount soundbar under TV", "Replace kitchen light fixture",
    ]  # fmt: skip
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as s, s.begin():
            business = s.scalars(
                select(orm.Business).where(orm.Business.name == business_name)
            ).one()
            customers = s.scalars(select(orm.User).where(orm.User.role == "customer")).all()
            now = datetime.now(UTC).replace(microsecond=0)
            rows: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            seq = business.change_seq
            for i in range(count):
                submitted = now - timedelta(minutes=5 + i)
                customer = customers[i % len(customers)]
                rows.append({
                    "id": new_id(rng), "business_id": business.id, "customer_id": customer.id,
                    "title": f"{titles[i % len(titles)]} #{i + 1}",
                    "description": "Customer wants it done this week; access via the side gate.",
                    "dimensions": "About 8 ft of wall", "product_info": "",
                    "location_type": "IN_HOME",
                    "address": {"line1": f"{100 + i} Oak St", "line2": "", "city": "San Jose",
                                "state": "CA", "postal_code": "95112"},
                    "time_zone": business.time_zone, "customer_phone": None, "status": "OPEN",
                    "submitted_at": submitted,
                    "estimate_due_at": estimate_due_at(submitted, business.time_zone),
                    "closes_at": estimate_window_closes_at(submitted, business.time_zone),
                    "version": 1, "updated_at": submitted,
                })  # fmt: skip
                seq += 1
                changes.append({
                    "business_id": business.id, "seq": seq, "entity": "request",
                    "entity_id": rows[-1]["id"], "changed_at": submitted,
                })  # fmt: skip
            s.execute(insert(orm.CustomRequest), rows)
            s.execute(insert(orm.Change), changes)
            business.change_seq = seq
    finally:
        engine.dispose()


def _prepare_database(path: Path, requests: int) -> str:
    from marketplace.seed import DEMO_BUSINESS_NAME

    url = demo_database(path)
    seed_requests(url, DEMO_BUSINESS_NAME, requests)
    return url


def _device_env(root: Path) -> dict[str, str]:
    """A device of its own: data folders and a keyring file that outlive one process."""
    env: dict[str, str] = {}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                "PROAPP_DATA_DIR"):  # fmt: skip
        path = root / var.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["PYTHON_KEYRING_BACKEND"] = "tests.support.faults.FileKeyring"
    env["PROAPP_TEST_KEYRING_FILE"] = str(root / "keyring.json")
    return env


# --- a minimal Flet web client ------------------------------------------------------------


async def _first_inbox_update(
    url: str, deadline: float, alive: Callable[[], bool]
) -> tuple[float, float, float]:
    """Connect to the app's WebSocket as Flet's web client does (retrying until the
    server listens), register a 390x844 page, and return ``time.monotonic()`` when the
    connection was accepted, when the first message came back and when a message
    carrying an inbox row arrived (``deadline`` is on the same clock)."""
    import msgpack  # type: ignore[import-untyped]
    import websockets

    page = {
        "route": "/", "width": 390.0, "height": 844.0, "web": True, "platform": "android",
        "media": {
            "padding": {"left": 0, "top": 0, "right": 0, "bottom": 0},
            "view_padding": {"left": 0, "top": 0, "right": 0, "bottom": 0},
            "view_insets": {"left": 0, "top": 0, "right": 0, "bottom": 0},
            "device_pixel_ratio": 1.0,
        },
    }  # fmt: skip
    register = b"\x00" + msgpack.packb([1, {"session_id": "", "page_name": "", "page": page}])
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the app never answered on its WebSocket")
        if not alive():
            raise RuntimeError("the app exited before it served its page")
        try:
            connection = await websockets.connect(url, max_size=None, open_timeout=5)
        except (OSError, websockets.exceptions.InvalidStatus):
            await asyncio.sleep(0.02)
            continue
        break
    connected = time.monotonic()
    first: float | None = None
    async with connection as ws:
        await ws.send(register)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no inbox row was sent")
            data = await asyncio.wait_for(ws.recv(), remaining)
            first = first or time.monotonic()
            if isinstance(data, bytes) and INBOX_ROW in data:
                return connected, first, time.monotonic()


def _start_app(ctx: Context, server_url: str, env: dict[str, str], log_name: str) -> Any:
    from tests.support.ui_app import AppProcess

    return AppProcess(ctx.workdir / "logs" / log_name, server_url=server_url, env=env, wait=False)


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.02)
    raise TimeoutError(f"{url} never answered")


def _sign_in_once(ctx: Context, server_url: str, env: dict[str, str], chromium: str) -> None:
    """The one-time sign-in of this device, through the real UI; waits for the first
    sync to cache every request (the inbox lists them)."""
    from playwright.sync_api import sync_playwright

    from tests.support.demo import TESS as TESS_ACCOUNT
    from tests.support.ui_app import CHROMIUM_ARGS, new_phone

    app = _start_app(ctx, server_url, env, "first-sign-in.log")
    try:
        _wait_http(app.url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                context, phone = new_phone(browser, timeout_ms=120_000)
                phone.open(app.url)
                phone.sign_in(TESS_ACCOUNT)
                phone.page.locator('[flt-semantics-identifier^="inbox-request-"]').first.wait_for(
                    state="attached", timeout=180_000
                )
                # The first sync is over when its progress strip goes away.
                phone.page.wait_for_timeout(500)
                if phone.exists("first-sync"):
                    phone.wait_gone("first-sync", timeout_ms=180_000)
                context.close()
            finally:
                browser.close()
    finally:
        app.stop()


FLOOR_APP = """\
import sys

import flet as ft


def main(page: ft.Page) -> None:
    page.add(ft.Semantics(identifier="inbox-request-floor", content=ft.Text("floor")))


ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
"""
"""The floor of any Flet web app on this machine: the interpreter, ``import flet``, the
web server, one row sent. Timed the same way, interleaved with the app's launches."""


def _floor_launch(ctx: Context, n: int) -> float:
    """One launch of `FLOOR_APP`: process start to its row sent (seconds)."""
    import os
    import subprocess
    import sys

    from proapp.embedded import free_port

    script = ctx.workdir / "floor_app.py"
    if not script.exists():
        script.write_text(FLOOR_APP)
    port = free_port()
    env = {**os.environ, "FLET_FORCE_WEB_SERVER": "true"}
    log = ctx.workdir / "logs" / f"floor-{n}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(script), str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _, _, done = asyncio.run(
            _first_inbox_update(
                f"ws://127.0.0.1:{port}/ws", started + 60, lambda: process.poll() is None
            )
        )
        return done - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _python_launch(ctx: Context, server_url: str, env: dict[str, str], n: int) -> float:
    """One launch; logs where the time went (listening, first answer, inbox row)."""
    app = _start_app(ctx, server_url, env, f"launch-{n}.log")
    try:
        # AppProcess notes time.monotonic() just before it starts the process.
        try:
            connected, first, done = asyncio.run(
                _first_inbox_update(
                    f"ws://127.0.0.1:{app.port}/ws",
                    app.started_at + 60,
                    lambda: app.process.poll() is None,
                )
            )
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; the app said:\n{app.output()[-2000:]}") from exc
        t0: float = app.started_at
        ctx.log(
            f"launch {n}: listening after {connected - t0:.2f} s, first answer "
            f"{first - t0:.2f} s, inbox row {done - t0:.2f} s"
        )
        return done - t0
    finally:
        app.stop()


def _browser_launch(
    ctx: Context, server_url: str, env: dict[str, str], browser: Any, n: int
) -> float:
    from tests.support.ui_app import new_phone

    app = _start_app(ctx, server_url, env, f"browser-launch-{n}.log")
    try:
        context, phone = new_phone(browser, timeout_ms=60_000)
        try:
            _wait_http(app.url)
            phone.open(app.url)
            phone.page.locator('[flt-semantics-identifier^="inbox-request-"]').first.wait_for(
                state="attached", timeout=60_000
            )
            started: float = app.started_at
            return time.monotonic() - started
        finally:
            context.close()
    finally:
        app.stop()


@benchmark("launch", group="app", figures=("launch_to_inbox_s", "browser_launch_to_inbox_s"))
def bench_launch(ctx: Context) -> Iterator[Figure]:
    """Process start to the first inbox update (Python side; and visible in Chromium)."""
    from playwright.sync_api import sync_playwright

    from tests.support.servers import start_marketplace
    from tests.support.ui_app import CHROMIUM_ARGS

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("needs Chromium for the one-time sign-in: apt-get install chromium")
    samples = 3 if ctx.quick else 7
    database = ctx.workdir / "marketplace.sqlite3"
    _prepare_database(database, CACHED_REQUESTS)
    server_env = _device_env(ctx.workdir / "server-env")
    device_env = _device_env(ctx.workdir / "device")
    with start_marketplace(
        ctx.workdir / "server", database_url=f"sqlite:///{database}", extra_env=server_env
    ) as server:
        t0 = time.monotonic()
        _sign_in_once(ctx, server.url, device_env, chromium)
        ctx.log(f"one-time sign-in and first sync of {CACHED_REQUESTS} requests: "
                f"{time.monotonic() - t0:.1f} s")  # fmt: skip
        python_side: list[float] = []
        floor: list[float] = []
        for n in range(samples):  # interleaved: both see the same machine load
            floor.append(_floor_launch(ctx, n))
            python_side.append(_python_launch(ctx, server.url, device_env, n))
        ctx.log("launch_to_inbox_s samples: " + ", ".join(f"{s:.2f}" for s in python_side))
        ctx.log("baseline (a bare Flet web app sending one row) samples: "
                + ", ".join(f"{s:.2f}" for s in floor))  # fmt: skip
        yield Figure(
            "launch_to_inbox_s",
            statistics.median(python_side),
            "s",
            LAUNCH_TARGET_S,
            baseline=statistics.median(floor),
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                in_browser = [
                    _browser_launch(ctx, server.url, device_env, browser, n)
                    for n in range(max(3, samples // 2))
                ]
            finally:
                browser.close()
        ctx.log("browser_launch_to_inbox_s samples: " + ", ".join(f"{s:.2f}" for s in in_browser))
        yield Figure("browser_launch_to_inbox_s", statistics.median(in_browser), "s")


# --- screen build -------------------------------------------------------------------------

# Route.screen -> (module, state class, view class, params builder); the shell's table.
_SCREENS: dict[str, tuple[str, str, str]] = {
    "inbox": ("inbox", "InboxState", "InboxView"),
    "today": ("today", "TodayState", "TodayView"),
    "messages": ("messages", "MessagesState", "MessagesView"),
    "sync": ("sync_center", "SyncCenterState", "SyncCenterView"),
    "settings": ("settings", "SettingsState", "SettingsView"),
    "request": ("request_detail", "RequestDetailState", "RequestDetailView"),
    "visit": ("visit_proposal", "VisitProposalState", "VisitProposalView"),
    "estimate": ("estimate_editor", "EstimateEditorState", "EstimateEditorView"),
    "windows": ("windows", "WindowsState", "WindowsView"),
    "job": ("job_detail", "JobDetailState", "JobDetailView"),
    "change_order": ("change_order", "ChangeOrderState", "ChangeOrderView"),
    "complete": ("completion", "CompletionState", "CompletionView"),
    "thread": ("thread", "ThreadState", "ThreadView"),
}
SCREEN_JOBS = 10_000
SCREEN_REQUESTS = 1_000


def _fake_data(now: datetime) -> tuple[Any, str, str, str]:
    """A FakeRepository with 10k jobs, 1k requests, messages and a queue; returns it
    with the ids of a pending job, a started job and an open request."""
    import random
    import uuid

    from proapp.domain.enums import JobStatus, MessageAuthorRole
    from proapp.domain.models import Message
    from tests.support.fake_repo import FakeRepository, make_job, make_line, make_request

    rng = random.Random(SCREEN_JOBS)
    repo = FakeRepository(clock=lambda: now)
    statuses = [JobStatus.PENDING_SCHEDULE, JobStatus.SCHEDULED, JobStatus.SCHEDULED,
                JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.CANCELLED]  # fmt: skip
    first: dict[JobStatus, str] = {}
    for i in range(SCREEN_JOBS):
        status = statuses[i % len(statuses)]
        job = make_job(
            now,
            title=f"Job {i}: ceiling fan swap",
            status=status,
            window_start_in=timedelta(hours=rng.randint(-200, 300)),
            lines=[make_line("Labor", unit_price_cents=12_000),
                   make_line("Fan bracket", unit_price_cents=2_400, quantity=2)],
        )  # fmt: skip
        repo.add_job(job)
        first.setdefault(status, job.id)
    request_id = ""
    for i in range(SCREEN_REQUESTS):
        request = make_request(
            now,
            title=f"Request {i}: hang shelves",
            submitted_ago=timedelta(minutes=10 + i),
            estimate_due_in=timedelta(hours=rng.randint(-20, 30)),
            closes_in=timedelta(days=3),
        )
        repo.add_request(request)
        request_id = request_id or request.id
    job_id = first[JobStatus.IN_PROGRESS]
    for i in range(200):
        repo.add_message(
            Message(
                id=str(uuid.uuid4()),
                job_id=job_id,
                author_id=repo.user.id if i % 2 else str(uuid.uuid4()),
                author_role=MessageAuthorRole.PRO if i % 2 else MessageAuthorRole.CUSTOMER,
                body=f"Message {i}: running a few minutes late.",
                sent_at=now - timedelta(minutes=300 - i),
            )
        )
    return repo, first[JobStatus.PENDING_SCHEDULE], job_id, request_id


def _route_params(screen: str, pending_job: str, started_job: str, request: str) -> dict[str, str]:
    if screen in ("request", "visit", "estimate"):
        return {"request_id": request}
    if screen == "windows":
        return {"job_id": pending_job}
    if screen in ("job", "change_order", "complete", "thread"):
        return {"job_id": started_job}
    return {}


async def _build_once(screen: str, ctx_factory: Callable[[], Any], params: dict[str, str]) -> float:
    """Build one screen (state + load + view) and dispose it; milliseconds taken."""
    from proapp.state.ports import Route

    module, state_name, view_name = _SCREENS[screen]
    state_cls = getattr(importlib.import_module(f"proapp.state.{module}"), state_name)
    view_cls = getattr(importlib.import_module(f"proapp.views.{module}"), view_name)
    screen_ctx = ctx_factory()
    route = Route(screen, params)
    extra = [_settings_services()] if screen == "settings" else []
    t0 = time.perf_counter()
    state = state_cls(screen_ctx, route, *extra)
    await state.load()
    view = view_cls(state, lambda: None)
    _ = view.control
    elapsed = (time.perf_counter() - t0) * 1000
    view.dispose()
    state.dispose()
    return elapsed


def _settings_services() -> Any:
    """What the shell hands the settings screen (it takes no repository data)."""
    from proapp.state.settings import AccountInfo, SettingsServices

    async def sign_out(_discard: bool) -> None:
        return None

    account = AccountInfo(
        name="Tess Rivera", email="tess@brightfix.example", role="technician",
        business="BrightFix Home Services", server_url="http://127.0.0.1:8000",
        data_folder="/tmp/proapp",
    )  # fmt: skip
    return SettingsServices(
        account=account, sign_out=sign_out, theme=lambda: "light", set_theme=lambda _t: None
    )


async def _read_once(repo: Any) -> float:
    """The baseline: read the cached jobs and requests once (what the list screens read
    before doing anything of their own); milliseconds taken."""
    t0 = time.perf_counter()
    await repo.jobs()
    await repo.requests()
    return (time.perf_counter() - t0) * 1000


async def _build_all(
    screens: list[str],
    ctx_factory: Callable[[], Any],
    params: dict[str, dict[str, str]],
    samples: int,
) -> tuple[dict[str, float], list[float], list[str]]:
    medians: dict[str, float] = {}
    reads: list[float] = []
    missing: list[str] = []
    repo = ctx_factory().repo
    for screen in screens:
        times: list[float] = []
        try:
            for _ in range(samples):  # interleaved with the baseline: same machine load
                reads.append(await _read_once(repo))
                times.append(await _build_once(screen, ctx_factory, params[screen]))
        except (ImportError, AttributeError) as exc:
            missing.append(f"{screen} ({exc})")
            continue
        medians[screen] = statistics.median(times)
    return medians, reads, missing


@benchmark("screen_build", group="app", figures=("screen_build_ms_max",))
def bench_screen_build(ctx: Context) -> Iterator[Figure]:
    """Slowest screen's Python-side build (state + load + view) with 10k jobs/1k requests."""
    from proapp.state.ports import ScreenContext
    from tests.support.fake_repo import FIXED_NOW, FakeNavigator

    repo, pending_job, started_job, request_id = _fake_data(FIXED_NOW)

    def make_ctx() -> Any:
        return ScreenContext(repo=repo, nav=FakeNavigator(), clock=lambda: FIXED_NOW)

    samples = 5 if ctx.quick else 15
    params = {
        screen: _route_params(screen, pending_job, started_job, request_id) for screen in _SCREENS
    }
    medians, reads, missing = asyncio.run(_build_all(list(_SCREENS), make_ctx, params, samples))
    ctx.log(
        "screen build medians (ms): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(medians.items(), key=lambda x: -x[1]))
    )
    read = statistics.median(reads)
    ctx.log(f"baseline: reading {SCREEN_JOBS:,} jobs + {SCREEN_REQUESTS:,} requests from the "
            f"fake repository, median {read:.1f} ms")  # fmt: skip
    if missing:
        ctx.log("screens not measured (not built yet?): " + "; ".join(missing))
    if not medians:
        raise RuntimeError("no screen could be built")
    yield Figure("screen_build_ms_max", max(medians.values()), "ms", "<= 100", baseline=read)
