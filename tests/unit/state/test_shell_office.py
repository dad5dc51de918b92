"""ShellState for office staff (issue 5): the office rail on wide pages, the field tabs
on phones, stacks kept across a resize."""

from __future__ import annotations

import pytest

from proapp.state.ports import Route
from proapp.state.shell import OFFICE_TABS, TABS, ShellState
from tests.support.fake_office import FakeOfficeRepository
from tests.support.fake_repo import FIXED_NOW, FakeRepository


def office_shell() -> tuple[ShellState, list[int]]:
    state = ShellState(FakeOfficeRepository(), clock=lambda: FIXED_NOW, office=True)
    changes: list[int] = []
    state.subscribe(lambda: changes.append(1))
    return state, changes


def test_staff_on_a_wide_page_start_on_the_dispatch_board() -> None:
    state, changes = office_shell()
    assert state.tabs == TABS  # width not known yet: phone tabs
    state.set_wide(True)
    assert state.tabs == OFFICE_TABS
    assert state.tab == "dispatch" and state.current == Route("dispatch")
    assert state.tab_index == 0 and changes == [1]
    state.set_wide(True)  # no change, no notification
    assert changes == [1]


def test_office_destinations_switch_and_keep_their_stacks_across_a_resize() -> None:
    state, _ = office_shell()
    state.set_wide(True)
    state.select_tab("pipeline")
    state.open(Route("request", {"request_id": "r1"}))
    assert state.stack == (Route("pipeline"), Route("request", {"request_id": "r1"}))
    assert state.tab_index == OFFICE_TABS.index("pipeline")

    state.set_wide(False)  # the window got narrow: field tabs, pipeline is not one
    assert state.tabs == TABS and state.tab == "inbox"
    with pytest.raises(ValueError):
        state.select_tab("pipeline")

    state.set_wide(True)
    state.select_tab("pipeline")  # the stack was kept
    assert state.current == Route("request", {"request_id": "r1"})


def test_sync_and_settings_are_shared_by_both_layouts() -> None:
    state, _ = office_shell()
    state.set_wide(True)
    state.select_tab("settings")
    state.set_wide(False)
    assert state.tab == "settings"
    assert state.tab_index == TABS.index("settings")


def test_opening_an_office_tab_route_selects_it_and_resets_its_stack() -> None:
    state, _ = office_shell()
    state.set_wide(True)
    state.select_tab("reviews")
    state.open(Route("job", {"job_id": "j1"}))
    state.open(Route("reviews"))
    assert state.tab == "reviews" and state.stack == (Route("reviews"),)


def test_technicians_keep_the_field_tabs_on_wide_pages() -> None:
    state = ShellState(FakeRepository(), clock=lambda: FIXED_NOW)
    state.set_wide(True)
    assert state.tabs == TABS and state.tab == "inbox"
    with pytest.raises(ValueError):
        state.select_tab("dispatch")
    # An office route is not a tab for them: it would be pushed, never selected.
    state.open(Route("dispatch"))
    assert state.tab == "inbox" and state.current == Route("dispatch")
