"""Phone screenshots of every screen, for the README and for looking at changes.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots/phone]

Starts a demo-seeded marketplace (``python -m marketplace serve --demo``) and
``python -m proapp --web --server ...`` with the CanvasKit renderer (the default
renderer's screenshots can lag the page by a frame) in a throwaway data directory with an
in-memory keyring, with a cuttable TCP hop between them (so the offline banner and a
refused action can be shown), then drives Debian's Chromium at 390x844 through every
screen as the demo technician Tess, the way tests/ui does (semantics identifiers only):
sign in, inbox, request, visit proposal, estimate editor, windows, today, job, change
order, customer signing, completion, messages, thread, offline banner, sync center with
"needs attention", settings; then a few in dark mode. Needs ``apt-get install
chromium``; downloads nothing. The customer's part (windows, a cancellation) is played
over the API.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests.support` importable
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support.demo import CUSTOMERS, DISPATCHER, TESS  # noqa: E402
from tests.support.servers import start_marketplace  # noqa: E402
from tests.support.ui_app import (  # noqa: E402
    CHROMIUM_ARGS,
    ApiUser,
    AppProcess,
    NetworkSwitch,
    Phone,
    future_windows,
    make_jpeg,
    new_phone,
    switched_network,
    wait_until,
)

SETTLE_MS = 1_200  # CanvasKit: fonts, images and animations settle before a shot


class Shooter:
    """Takes named screenshots into ``out`` and remembers them."""

    def __init__(self, phone: Phone, out: Path) -> None:
        self.phone = phone
        self.out = out
        self.made: list[Path] = []

    def shot(self, name: str, *, top: bool = True) -> None:
        if top:
            self.phone.swipe_down()
        # A snackbar ("Saved on this phone...") would cover the bottom of the screen.
        if self.phone.exists("notice"):
            with contextlib.suppress(AssertionError):
                self.phone.wait_gone("notice", timeout_ms=15_000)
        self.phone.page.wait_for_timeout(SETTLE_MS)
        self.made.append(self.phone.screenshot(self.out / f"{name}.png"))
        print(f"  {name}.png", flush=True)  # noqa: T201


def _first(phone: Phone, prefix: str, *, exclude: Callable[[str], bool] = lambda _i: False) -> str:
    ids = [i for i in phone.ids(prefix) if not exclude(i)]
    if not ids:
        raise SystemExit(f"no {prefix}* on screen; {phone.describe()}")
    return ids[0]


def light_tour(
    shoot: Shooter,
    phone: Phone,
    app_url: str,
    scratch: Path,
    world: dict[str, str],
    network: NetworkSwitch,
) -> None:
    """Every screen in light mode, in the order a technician meets them."""
    phone.open(app_url)
    phone.wait("signin-email", timeout_ms=90_000)
    phone.type("signin-email", TESS.email)
    shoot.shot("signin")
    phone.type("signin-password", TESS.password)
    phone.tap("signin-submit", scroll=False)
    phone.wait("inbox-list", timeout_ms=90_000)
    if phone.exists("first-sync"):
        phone.wait_gone("first-sync", timeout_ms=90_000)
    shoot.shot("inbox")

    # A request, the visit proposal and the estimate editor.
    phone.tap_until(f"inbox-request-{world['request_id']}", "request-title")
    shoot.shot("request")
    phone.tap_until("request-propose-visit", "visit-price")
    phone.type("visit-price", "89.00")
    phone.type("visit-note", "I will check the wall and the wiring path first.")
    shoot.shot("visit-proposal")
    phone.back()
    phone.tap_until("request-draft-estimate", "estimate-add-line")
    if not any(i.endswith("-description") for i in phone.ids("estimate-line-")):
        phone.tap("estimate-add-line")
    line = sorted(i for i in phone.ids("estimate-line-") if i.endswith("-description"))[0]
    prefix = line.removesuffix("-description")
    phone.type(f"{prefix}-description", "Mount TV on brick with sleeve anchors")
    phone.type(f"{prefix}-quantity", "1")
    phone.type(f"{prefix}-price", "260.00")
    photo = make_jpeg(scratch / "brick.jpg", color=(150, 70, 50), label="Brick wall")
    phone.pick_files("estimate-add-photo", [photo])
    wait_until(
        lambda: [i for i in phone.ids("estimate-photo-") if not i.endswith("-remove")],
        "the photo thumbnail",
    )
    shoot.shot("estimate-editor")
    phone.back()

    # An order waiting for a window (R6).
    phone.tab("inbox", root="inbox-list")
    first_window = world["window_id"]
    phone.tap_until(f"inbox-order-{world['order_id']}", f"windows-confirm-{first_window}")
    shoot.shot("windows")
    phone.back()

    # Today, the job in progress, a change order and the customer's signing sheet.
    phone.tab("today", root="today-day-label")
    phone.wait_any(["today-list", "today-empty"])
    shoot.shot("today")
    phone.open_job(world["job_id"])
    shoot.shot("job")
    phone.tap_until("job-change-order", "co-reason")
    phone.type("co-reason", "Wall has metal studs: toggle anchors needed.")
    phone.tap("co-add-line")
    line = sorted(i for i in phone.ids("co-line-") if i.endswith("-description"))[0]
    prefix = line.removesuffix("-description")
    phone.type(f"{prefix}-description", "Heavy-duty toggle anchors (set of 4)")
    phone.type(f"{prefix}-quantity", "2")
    phone.type(f"{prefix}-price", "12.00")
    shoot.shot("change-order")
    phone.tap_until("co-handoff", "sign-summary")
    shoot.shot("customer-signing")
    phone.type("sign-name", "Erin O'Brien")
    phone.draw_signature("sign-pad")
    shoot.shot("customer-signing-signed", top=False)
    phone.tap("sign-accept")
    phone.wait("job-title", timeout_ms=30_000)
    phone.tap_until("job-complete", "complete-summary")
    phone.type("complete-summary", "Mounted the bracket on toggle anchors, hid the cables.")
    shoot.shot("completion")
    phone.back()

    # Messages and a thread.
    phone.tab("messages")
    phone.wait("messages-list")
    shoot.shot("messages")
    phone.tap_until(_first(phone, "messages-thread-"), "thread-input")
    phone.type("thread-input", "On my way, about 15 minutes out.")
    shoot.shot("thread", top=False)

    # Offline: the banner, then an action the customer's cancellation will refuse.
    network.offline()
    phone.tap("thread-send")
    phone.wait("offline-banner", timeout_ms=30_000)
    shoot.shot("offline-banner", top=False)
    phone.open_job(world["cancel_job_id"])
    phone.tap_until("job-start", "job-change-order")
    phone.tap_until("job-change-order", "co-reason")
    phone.type("co-reason", "Customer wants a second sconce in the hallway.")
    phone.tap("co-add-line")
    line = sorted(i for i in phone.ids("co-line-") if i.endswith("-description"))[0]
    prefix = line.removesuffix("-description")
    phone.type(f"{prefix}-description", "Second sconce and box")
    phone.type(f"{prefix}-price", "85.00")
    phone.tap_until("co-handoff", "sign-summary")
    phone.sign_as_customer("Alice Johnson")
    phone.wait("job-title", timeout_ms=30_000)
    phone.tab("sync")
    phone.wait("sync-status")
    shoot.shot("sync-center-offline")
    with ApiUser(world["server_url"], CUSTOMERS[0]) as alice:
        alice.cancel(world["cancel_job_id"], "Moving out earlier than planned")
    network.online()
    phone.tap("sync-now")
    phone.page.locator('[flt-semantics-identifier^="sync-attention-"]').first.wait_for(
        state="attached", timeout=60_000
    )
    shoot.shot("sync-center-needs-attention")

    phone.tab("settings")
    phone.wait("settings-signout")
    shoot.shot("settings")


def dark_tour(shoot: Shooter, phone: Phone, world: dict[str, str]) -> None:
    """A few screens in dark mode (the settings switch; same session)."""
    phone.tab("settings")
    phone.tap("settings-theme-dark")
    shoot.shot("settings-dark")
    phone.tab("inbox", root="inbox-list")
    shoot.shot("inbox-dark")
    phone.open_job(world["job_id"])
    shoot.shot("job-dark")
    phone.tab("settings")
    phone.tap("settings-theme-light")


def prepare_world(server_url: str) -> dict[str, str]:
    """Things for the tour to find: a fresh request, an order with windows, Tess's job
    in progress (from the demo seed) and a job the customer will cancel."""
    with (
        ApiUser(server_url, CUSTOMERS[0]) as alice,
        ApiUser(server_url, DISPATCHER) as dispatch,
        ApiUser(server_url, TESS) as tess,
    ):
        request = alice.create_request(
            "Mount 65-inch TV above the fireplace",
            description="Brick fireplace, outlet on the left; hide the cables if possible.",
            dimensions="Fireplace 52 in wide, mantel at 54 in",
            product_info="LG C3 65 in, VESA 300x200",
        )
        order = alice.buy_service()
        order = alice.choose_windows(order["id"], future_windows(1))
        dispatch.assign(order["id"], [tess.user["id"]])
        cancel = alice.buy_service()
        cancel = alice.choose_windows(cancel["id"], future_windows(3))
        dispatch.assign(cancel["id"], [tess.user["id"]])
        tess.post(
            f"/v1/jobs/{cancel['id']}/window/confirm",
            {"preferred_window_id": cancel["preferred_windows"][0]["id"]},
        )
        in_progress = [j for j in tess.all("/v1/jobs") if j["status"] == "IN_PROGRESS"]
        if not in_progress:
            raise SystemExit("the demo seed has no job in progress for Tess")
        return {
            "server_url": server_url,
            "request_id": request["id"],
            "order_id": order["id"],
            "window_id": order["preferred_windows"][0]["id"],
            "job_id": in_progress[0]["id"],
            "cancel_job_id": cancel["id"],
        }


@contextlib.contextmanager
def scratch_session(prefix: str) -> Iterator[tuple[str, Path]]:
    """Chromium's path and a scratch folder holding this process's app data, keyring and
    server database: screenshots must not depend on (or write to) this machine's own."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        scratch = Path(tmp)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                    "PROAPP_DATA_DIR"):  # fmt: skip
            (scratch / var.lower()).mkdir()
            os.environ[var] = str(scratch / var.lower())
        os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.keyring_memory.InMemoryKeyring"
        os.environ.pop("MARKETPLACE_DATABASE_URL", None)
        yield chromium, scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "phone")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with (
        scratch_session("proapp-shots-") as (chromium, scratch),
        start_marketplace(scratch / "server") as server,
    ):
        world = prepare_world(server.url)
        with (
            switched_network(server.port) as network,
            AppProcess(
                scratch / "proapp.log",
                server_url=network.url,
                renderer="canvaskit",
                theme="light",
                timeout=90,
            ) as app,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context, phone = new_phone(browser, timeout_ms=60_000)
            shoot = Shooter(phone, args.out)
            try:
                light_tour(shoot, phone, app.url, scratch, world, network)
                dark_tour(shoot, phone, world)
            except BaseException:
                phone.screenshot(scratch.parent / "proapp-shots-failure.png")
                print(app.output()[-3000:], file=sys.stderr)  # noqa: T201
                raise
            finally:
                context.close()
                browser.close()
    for path in shoot.made:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
