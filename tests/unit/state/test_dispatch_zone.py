"""DispatchState on a new device: the business's zone arrives with the first sync."""

from __future__ import annotations

from datetime import date

from proapp.state.dispatch import DispatchState
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from tests.support.fake_office import FakeOfficeRepository, async_test
from tests.support.fake_repo import FIXED_NOW, FakeNavigator


@async_test
async def test_the_zone_is_read_again_until_the_cache_knows_it() -> None:
    repo = FakeOfficeRepository()
    repo.time_zone = None  # nothing cached yet: the board starts on UTC
    state = DispatchState(OfficeContext(repo, FakeNavigator(), lambda: FIXED_NOW),
                          Route("dispatch"))
    await state.load()
    assert state.time_zone == "UTC"

    repo.time_zone = "America/Los_Angeles"  # the first sync brought jobs
    repo.notify()
    await state.settle()
    assert state.time_zone == "America/Los_Angeles"
    # FIXED_NOW is Thu Nov 26 2026, 7:00 AM in Los Angeles.
    assert state.day == state.today == date(2026, 11, 26)

    repo.time_zone = None  # once known it is kept (no flapping back to UTC)
    repo.notify()
    await state.settle()
    assert state.time_zone == "America/Los_Angeles"
