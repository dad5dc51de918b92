"""Phone screenshots of the app's screens, for docs and for looking at changes.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots/phone]

Starts ``python -m proapp`` exactly as a newcomer would (embedded demo server, web
mode) with the CanvasKit renderer (the default renderer's screenshots can lag a frame)
in a throwaway data directory and an in-memory keyring, then drives Debian's Chromium
at 390x844 through sign-in to the jobs list, in light and dark mode. Needs
``apt-get install chromium``; downloads nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Literal

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"proapp exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"proapp did not answer at {url}")


def _id(identifier: str) -> str:
    return f'[flt-semantics-identifier="{identifier}"]'


def _shoot(page: Page, url: str, out: Path, suffix: str) -> list[Path]:
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached")
    placeholder.dispatch_event("click")
    page.locator(_id("signin-email")).wait_for()
    page.wait_for_timeout(1500)  # let CanvasKit finish fonts and images
    signin = out / f"signin{suffix}.png"
    page.screenshot(path=str(signin))
    page.locator(_id("signin-demo-tess")).click()
    page.locator(_id("signin-submit")).click()
    page.locator(_id("jobs-list")).wait_for()
    page.wait_for_timeout(1500)
    jobs = out / f"jobs{suffix}.png"
    page.screenshot(path=str(jobs))
    # Sign out: forgets the saved session, so the next run starts at sign-in again.
    page.locator(_id("signout")).click()
    page.locator(_id("signin-email")).wait_for()
    return [signin, jobs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "phone")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium not found: apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="proapp-shots-") as data:
        env = dict(
            os.environ,
            PROAPP_DATA_DIR=data,
            # Screenshots must not depend on (or write to) this machine's keyring.
            PYTHON_KEYRING_BACKEND="tests.support.keyring_memory.InMemoryKeyring",
        )
        command = [
            sys.executable, "-m", "proapp", "--web", "--no-browser", "--port", str(port),
            "--web-renderer", "canvaskit",
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(url, process)
            made: list[Path] = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                schemes: tuple[tuple[Literal["light", "dark"], str], ...] = (
                    ("light", ""),
                    ("dark", "-dark"),
                )
                for scheme, suffix in schemes:
                    context = browser.new_context(
                        viewport={"width": 390, "height": 844}, color_scheme=scheme
                    )
                    context.set_default_timeout(60_000)
                    made += _shoot(context.new_page(), url, args.out, suffix)
                    context.close()
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
    for path in made:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
