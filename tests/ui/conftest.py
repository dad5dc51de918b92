"""UI-suite plumbing: run the browser tests after every other test.

Playwright's sync API drives its own asyncio loop on the main thread, and that loop
counts as "running" for as long as the session-scoped browser is open. Any later test
that calls ``asyncio.run()`` would then fail with "cannot be called from a running
event loop". Running the ``ui`` tests last keeps one browser per session (FLET-NOTES:
~0.5 GB a tab) without breaking the async unit tests that sort after ``tests/ui``.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable partition: the order within each group is kept.
    items[:] = [i for i in items if not i.get_closest_marker("ui")] + [
        i for i in items if i.get_closest_marker("ui")
    ]
