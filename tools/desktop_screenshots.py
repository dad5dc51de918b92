"""Desktop screenshots of the office screens (issue 5), for the README.

    .venv/bin/python tools/desktop_screenshots.py [--out docs/screenshots/desktop]

Same machinery as the phone screenshots (``tools/screenshots.py``: its `Shooter`, the
demo-seeded marketplace, ``python -m proapp --web`` with CanvasKit in a throwaway data
directory with an in-memory keyring), but Debian's Chromium at 1440x900 signed in as
the demo dispatcher: dispatch board (day with an overlap, week, the assign dialog),
pipeline (all, overdue with a request open in the detail pane), estimates with charts,
office messages with a thread open, team and compliance, reviews; then the board in
dark mode. Semantics identifiers only, as the UI tests do. Downloads nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests.support` and `tools` importable
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support.demo import CUSTOMERS, DISPATCHER, TESS  # noqa: E402
from tests.support.servers import start_marketplace  # noqa: E402
from tests.support.ui_app import (  # noqa: E402
    CHROMIUM_ARGS,
    ApiUser,
    AppProcess,
    Phone,
    future_windows,
    new_desktop,
    wait_until,
)
from tools.screenshots import Shooter, _first, scratch_session  # noqa: E402


def shot(shoot: Shooter, desk: Phone, name: str) -> None:
    """A screenshot with the pointer parked on the rail's empty end (no hover, no
    tooltip over the content)."""
    desk.page.mouse.move(40, desk.viewport["height"] - 20)
    shoot.shot(name, top=False)


def prepare_world(server_url: str) -> dict[str, str]:
    """Two of Tess's jobs in the same window tomorrow (an overlap for the board) and an
    unassigned scheduled job."""
    with (
        ApiUser(server_url, CUSTOMERS[0]) as alice,
        ApiUser(server_url, DISPATCHER) as office,
        ApiUser(server_url, TESS) as tess,
    ):
        jobs = []
        for _ in range(2):
            job = alice.buy_service()
            job = alice.choose_windows(job["id"], future_windows(1))
            office.post(
                f"/v1/jobs/{job['id']}/window/confirm",
                {"preferred_window_id": job["preferred_windows"][0]["id"]},
            )
            office.assign(job["id"], [tess.user["id"]])
            jobs.append(job["id"])
        return {"overlap_job_id": jobs[0], "tess_id": str(tess.user["id"])}


def office_tour(shoot: Shooter, desk: Phone, app_url: str, world: dict[str, str]) -> None:
    """Every office screen at 1440x900 in light mode, then the board in dark mode."""
    desk.open(app_url)
    desk.wait("signin-email", timeout_ms=90_000)
    desk.type("signin-email", DISPATCHER.email)
    desk.type("signin-password", DISPATCHER.password)
    desk.tap("signin-submit", scroll=False)
    desk.wait("rail-dispatch", timeout_ms=90_000)
    if desk.exists("first-sync"):
        desk.wait_gone("first-sync", timeout_ms=90_000)
    desk.wait("dispatch-board", timeout_ms=60_000)

    # Tomorrow: Tess's two overlapping jobs, one of them selected.
    desk.tap("dispatch-next", scroll=False)
    block = f"dispatch-block-{world['tess_id']}-{world['overlap_job_id']}"
    desk.wait(block, timeout_ms=30_000)
    desk.tap(block, scroll=False)
    shot(shoot, desk, "dispatch-day")
    desk.tap("dispatch-mode-week", scroll=False)
    wait_until(lambda: "selected" in desk.label("dispatch-mode-week"), "the week view")
    desk.wait(block, timeout_ms=30_000)
    shot(shoot, desk, "dispatch-week")
    desk.tap("dispatch-mode-day", scroll=False)
    desk.tap("dispatch-today", scroll=False)
    unassigned = _first(
        desk, "dispatch-unassigned-", exclude=lambda i: i.endswith(("-assign", "-empty"))
    )
    desk.tap(f"{unassigned}-assign", scroll=False)
    desk.wait("dispatch-assign-dialog")
    shot(shoot, desk, "dispatch-assign")
    desk.tap("dispatch-assign-cancel", scroll=False)
    desk.wait_gone("dispatch-assign-dialog")

    desk.tap("rail-pipeline", scroll=False)
    desk.wait("pipeline-table", timeout_ms=30_000)
    shot(shoot, desk, "pipeline")
    desk.tap("pipeline-filter-overdue", scroll=False)
    row = _first(desk, "pipeline-row-")
    desk.tap(row, scroll=False)
    desk.wait("detail-pane")
    shot(shoot, desk, "pipeline-overdue-detail")
    desk.tap("detail-close", scroll=False)

    desk.tap("rail-estimates", scroll=False)
    desk.wait("estimates-status-accepted", timeout_ms=30_000)
    shot(shoot, desk, "estimates")

    desk.tap("rail-messages", scroll=False)
    desk.wait("office-messages-list", timeout_ms=30_000)
    shot(shoot, desk, "messages")
    thread = _first(desk, "office-messages-reply-")
    desk.tap(thread, scroll=False)
    desk.wait("thread-input")
    desk.type("thread-input", "Thanks! Marco can come Thursday between 9 and 11.")
    shot(shoot, desk, "messages-thread")
    desk.tap("detail-close", scroll=False)

    desk.tap("rail-team", scroll=False)
    desk.wait("team-warnings", timeout_ms=30_000)
    shot(shoot, desk, "team")

    desk.tap("rail-reviews", scroll=False)
    desk.wait("reviews-list", timeout_ms=30_000)
    shot(shoot, desk, "reviews")

    desk.tap("rail-settings", scroll=False)
    desk.tap("settings-theme-dark")
    desk.tap("rail-dispatch", scroll=False)
    desk.wait("dispatch-board", timeout_ms=30_000)
    desk.tap("dispatch-next", scroll=False)
    desk.wait(block, timeout_ms=30_000)
    shot(shoot, desk, "dispatch-day-dark")
    desk.tap("rail-settings", scroll=False)
    desk.tap("settings-theme-light")


def capture(out: Path) -> list[Path]:
    """Start a demo server and the app, take every office screenshot into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        scratch_session("proapp-desktop-shots-") as (chromium, scratch),
        start_marketplace(scratch / "server") as server,
    ):
        world = prepare_world(server.url)
        with (
            AppProcess(scratch / "proapp.log", server_url=server.url,
                       renderer="canvaskit", theme="light", timeout=90) as app,
            sync_playwright() as playwright,
        ):  # fmt: skip
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context, desk = new_desktop(browser, timeout_ms=60_000)
            shoot = Shooter(desk, out)
            try:
                office_tour(shoot, desk, app.url, world)
            except BaseException:
                desk.screenshot(scratch.parent / "proapp-desktop-shots-failure.png")
                print(app.output()[-3000:], file=sys.stderr)  # noqa: T201
                raise
            finally:
                context.close()
                browser.close()
    return shoot.made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "desktop")
    args = parser.parse_args()
    for path in capture(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
