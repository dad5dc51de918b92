"""UI-suite plumbing: one Chromium per run, a fresh phone-sized context per test, and the
browser tests sorted after every other test.

Playwright's sync API drives its own asyncio loop on the main thread, and that loop
counts as "running" for as long as the session-scoped browser is open. Any later test
that calls ``asyncio.run()`` would then fail with "cannot be called from a running
event loop". Running the ``ui`` tests last keeps one browser per session (FLET-NOTES:
~0.5 GB a tab) without breaking the async unit tests that sort after ``tests/ui``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.servers import MarketplaceServer
from tests.support.ui_app import CHROMIUM_ARGS, AppProcess, Phone, new_phone


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable partition: the order within each group is kept.
    items[:] = [i for i in items if not i.get_closest_marker("ui")] + [
        i for i in items if i.get_closest_marker("ui")
    ]


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One Chromium for the whole session (~0.5 GB a tab); a fresh context per test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Browser, tmp_path: Path) -> Iterator[Phone]:
    """A fresh browser context at 390x844 (no cookies or storage from other tests).

    The last screen is kept as ``<tmp_path>/last-screen.png``.
    """
    context, driver = new_phone(browser)
    try:
        yield driver
    finally:
        # The last screen, for a person looking into a failure: a courtesy, never a
        # failure of its own.
        with contextlib.suppress(Exception):
            driver.page.screenshot(path=str(tmp_path / "last-screen.png"))
        context.close()


@pytest.fixture
def app(marketplace_server: MarketplaceServer, tmp_path: Path) -> Iterator[AppProcess]:
    """``python -m proapp --web --server <test marketplace>`` in light theme."""
    with AppProcess(tmp_path / "proapp.log", server_url=marketplace_server.url) as running:
        yield running
