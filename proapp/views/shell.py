"""The signed-in app's frame: navigation (bottom bar on phones, rail on wide screens),
app bar with back, the offline banner, first-sync progress, snackbars, and the screen
on top of the selected tab's stack.

Office staff on a wide page (issue 5) get the office rail (`OFFICE_TABS`) and, on the
list screens of `SPLIT_TABS`, a master-detail layout: the list stays on the left while
the detail route (a field-app screen: request, windows, job, thread...) shows in a pane
on the right. Keys reach the screen on top through ``page.on_keyboard_event``
(`ShellView._key_pressed`): "?" opens its shortcut help.

One screen state and view live at a time (the visible route); navigating disposes them
and builds the next from `ROUTES`. Going back rebuilds the previous screen from the
local store, which is fast (reads never touch the network).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import flet as ft

from proapp.state.app_state import ShellScreen
from proapp.state.change_order import ChangeOrderState
from proapp.state.completion import CompletionState
from proapp.state.dispatch import DispatchState
from proapp.state.estimate_editor import EstimateEditorState
from proapp.state.estimates_report import EstimatesReportState
from proapp.state.inbox import InboxState
from proapp.state.job_detail import JobDetailState
from proapp.state.messages import MessagesState
from proapp.state.office_messages import OfficeMessagesState
from proapp.state.office_ports import OfficeContext
from proapp.state.pipeline import PipelineState
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import RequestDetailState
from proapp.state.reviews import ReviewsState
from proapp.state.settings import SettingsState
from proapp.state.shell import TAB_TITLES, TABS, PhotoViewerState, ShellState
from proapp.state.sync_center import SyncCenterState
from proapp.state.team import TeamState
from proapp.state.thread import ThreadState
from proapp.state.today import TodayState
from proapp.state.visit_proposal import VisitProposalState
from proapp.state.windows import WindowsState
from proapp.views.dispatch import DispatchView
from proapp.views.estimate_editor import EstimateEditorView
from proapp.views.inbox import InboxView
from proapp.views.job_detail import JobDetailView
from proapp.views.messages import MessagesView
from proapp.views.office_messages import OfficeMessagesView
from proapp.views.office_parts import show_shortcut_help
from proapp.views.photo_viewer import PhotoViewerView
from proapp.views.pipeline import PipelineView
from proapp.views.request_detail import RequestDetailView
from proapp.views.reviews import ReviewsView
from proapp.views.settings import SettingsView
from proapp.views.sync_center import SyncCenterView
from proapp.views.team import TeamView
from proapp.views.thread import ThreadView
from proapp.views.today import TodayView
from proapp.views.visit_proposal import VisitProposalView
from proapp.views.windows import WindowsView

__all__ = ["ROUTES", "SPLIT_TABS", "WIDE_MIN_WIDTH", "ScreenView", "ShellView"]

logger = logging.getLogger(__name__)

WIDE_MIN_WIDTH = 1024
"""From this page width on, a navigation rail replaces the bottom bar (and office staff
get the office screens)."""

SPLIT_TABS = frozenset({"pipeline", "office_messages", "reviews"})
"""Office list screens that keep the list on screen while a row's detail shows beside it."""

DETAIL_WIDTH = 600
"""Width of the detail pane: a phone screen and a half, so the field app's screens read
as designed while the list keeps most of a 1440 px window."""


class ScreenView(Protocol):
    """What every screen view offers the shell (see the BRIEF's screen pattern)."""

    @property
    def control(self) -> ft.Control: ...

    @property
    def title(self) -> str: ...

    def dispose(self) -> None: ...


StateFactory = Callable[[ScreenContext, Route, ShellScreen], Any]
ViewFactory = Callable[[Any, Callable[[], None]], ScreenView]


def _plain(state_class: Callable[[ScreenContext, Route], Any]) -> StateFactory:
    def build(ctx: ScreenContext, route: Route, _screen: ShellScreen) -> Any:
        return state_class(ctx, route)

    return build


def _settings(ctx: ScreenContext, route: Route, screen: ShellScreen) -> Any:
    return SettingsState(ctx, route, screen.settings)


def _office(state_class: Callable[[OfficeContext, Route], Any]) -> StateFactory:
    def build(ctx: ScreenContext, route: Route, _screen: ShellScreen) -> Any:
        return state_class(OfficeContext.from_screen(ctx), route)

    return build


def _lazy_view(module: str, name: str) -> ViewFactory:
    # Imported on first use: the signing screens pull in flet.canvas and the estimates
    # report flet_charts, ~0.15 s of every launch and none of it on the first frame.
    def build(state: Any, refresh: Callable[[], None]) -> ScreenView:
        view: ScreenView = getattr(importlib.import_module(module), name)(state, refresh)
        return view

    return build


ROUTES: dict[str, tuple[StateFactory, ViewFactory]] = {
    # tabs
    "inbox": (_plain(InboxState), InboxView),
    "today": (_plain(TodayState), TodayView),
    "messages": (_plain(MessagesState), MessagesView),
    "sync": (_plain(SyncCenterState), SyncCenterView),
    "settings": (_settings, SettingsView),
    # details
    "request": (_plain(RequestDetailState), RequestDetailView),
    "visit": (_plain(VisitProposalState), VisitProposalView),
    "estimate": (_plain(EstimateEditorState), EstimateEditorView),
    "windows": (_plain(WindowsState), WindowsView),
    "job": (_plain(JobDetailState), JobDetailView),
    "change_order": (
        _plain(ChangeOrderState),
        _lazy_view("proapp.views.change_order", "ChangeOrderView"),
    ),
    "complete": (_plain(CompletionState), _lazy_view("proapp.views.completion", "CompletionView")),
    "thread": (_plain(ThreadState), ThreadView),
    "photo": (_plain(PhotoViewerState), PhotoViewerView),
    # office desktop (staff on a wide page)
    "dispatch": (_office(DispatchState), DispatchView),
    "pipeline": (_office(PipelineState), PipelineView),
    "estimates": (
        _office(EstimatesReportState),
        _lazy_view("proapp.views.estimates_report", "EstimatesReportView"),
    ),
    "office_messages": (_office(OfficeMessagesState), OfficeMessagesView),
    "team": (_office(TeamState), TeamView),
    "reviews": (_office(ReviewsState), ReviewsView),
}
"""Route.screen -> (state factory, view class). Every screen of the BRIEF is here."""

_TAB_ICONS: dict[str, tuple[ft.IconData, ft.IconData]] = {
    "inbox": (ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX),
    "today": (ft.Icons.CALENDAR_TODAY_OUTLINED, ft.Icons.CALENDAR_TODAY),
    "messages": (ft.Icons.CHAT_BUBBLE_OUTLINE, ft.Icons.CHAT_BUBBLE),
    "sync": (ft.Icons.SYNC, ft.Icons.SYNC),
    "settings": (ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
    "dispatch": (ft.Icons.VIEW_TIMELINE_OUTLINED, ft.Icons.VIEW_TIMELINE),
    "pipeline": (ft.Icons.VIEW_LIST_OUTLINED, ft.Icons.VIEW_LIST),
    "estimates": (ft.Icons.BAR_CHART_OUTLINED, ft.Icons.BAR_CHART),
    "office_messages": (ft.Icons.FORUM_OUTLINED, ft.Icons.FORUM),
    "team": (ft.Icons.BADGE_OUTLINED, ft.Icons.BADGE),
    "reviews": (ft.Icons.STAR_OUTLINE, ft.Icons.STAR),
}
_FULL_SCREEN = frozenset({"photo"})
# "rail-<name>" identifiers of the office rail (the office inbox is just "Messages").
_RAIL_NAMES = {"office_messages": "messages"}


@dataclass
class _Mounted:
    """A live screen: its route, state and view (the master of a split layout)."""

    route: Route
    state: Any
    view: ScreenView


class _MissingView:
    """Shown for a route no screen is registered for (a bug, said in plain words)."""

    title = "Not available"

    def __init__(self, route: Route) -> None:
        self.control = ft.Semantics(
            identifier="screen-missing",
            content=ft.Container(
                padding=24,
                content=ft.Text(
                    f"This screen ({route.screen}) is not available in this version of "
                    "the app. Go back and try another way."
                ),
            ),
        )

    def dispose(self) -> None:
        return None


class ShellView:
    """Renders a `ShellScreen` on ``page`` (app bar, navigation, body)."""

    def __init__(self, page: ft.Page, screen: ShellScreen) -> None:
        self._page = page
        self._screen = screen
        self._shell: ShellState = screen.shell
        self._route: Route | None = None
        self._state: Any = None
        self._view: ScreenView | None = None
        self._master: _Mounted | None = None  # the list of a split (office) layout
        self._snack_open = False
        self._wide = self._is_wide(page.width)
        self._shell.set_wide(self._wide)
        self._rail_tabs: tuple[str, ...] = self._shell.tabs

        self._title = ft.Text("", size=20, weight=ft.FontWeight.W_600, max_lines=2)
        self._back = ft.Semantics(
            identifier="back",
            button=True,
            label="Back",
            content=ft.IconButton(
                icon=ft.Icons.ARROW_BACK, tooltip="Back", icon_size=26, on_click=self._go_back
            ),
        )
        self.appbar = ft.AppBar(
            leading=self._back, title=self._title, automatically_imply_leading=False
        )

        self._banner_text = ft.Text("", color=ft.Colors.ON_TERTIARY_CONTAINER, expand=True)
        self._banner_icon = ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.ON_TERTIARY_CONTAINER)
        self._banner_action = ft.Semantics(
            identifier="offline-banner-action",
            button=True,
            content=ft.TextButton("Sync now", on_click=self._banner_clicked),
        )
        self._banner = ft.Semantics(
            identifier="offline-banner",
            live_region=True,
            container=True,
            visible=False,
            content=ft.Container(
                bgcolor=ft.Colors.TERTIARY_CONTAINER,
                padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                content=ft.Row(
                    [self._banner_icon, self._banner_text, self._banner_action],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    wrap=False,
                ),
            ),
        )
        self._first_sync_text = ft.Text("")
        self._first_sync_bar = ft.ProgressBar(value=None)
        self._first_sync = ft.Semantics(
            identifier="first-sync",
            live_region=True,
            container=True,
            visible=False,
            content=ft.Container(
                padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                bgcolor=ft.Colors.SECONDARY_CONTAINER,
                content=ft.Column([self._first_sync_bar, self._first_sync_text], spacing=6),
            ),
        )
        self._body = ft.Container(expand=True)
        self._pane_title = ft.Text("", size=18, weight=ft.FontWeight.W_600, expand=True,
                                   max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        self._pane_body = ft.Container(expand=True)
        self._pane = ft.Container(
            width=DETAIL_WIDTH,
            content=ft.Column(
                [
                    ft.Container(
                        padding=ft.Padding.only(left=8, right=8, top=4),
                        content=ft.Row(
                            [
                                ft.Semantics(
                                    identifier="detail-back", button=True, label="Back",
                                    content=ft.IconButton(ft.Icons.ARROW_BACK, tooltip="Back",
                                                          on_click=self._go_back),
                                ),
                                self._pane_title,
                                ft.Semantics(
                                    identifier="detail-close", button=True,
                                    label="Close the detail pane (Escape)",
                                    content=ft.IconButton(ft.Icons.CLOSE,
                                                          tooltip="Close (Escape)",
                                                          on_click=self._close_detail),
                                ),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        ),
                    ),
                    ft.Divider(height=1),
                    self._pane_body,
                ],
                spacing=0,
                expand=True,
            ),
        )
        self._split = ft.Row(
            expand=True,
            spacing=0,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                ft.Container(expand=True),
                ft.VerticalDivider(width=1),
                ft.Semantics(identifier="detail-pane", container=True, content=self._pane),
            ],
        )
        self._nav_bar = ft.NavigationBar(
            destinations=[self._bar_destination(tab) for tab in TABS],
            on_change=self._nav_changed,
            label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
        )
        self._rail = ft.NavigationRail(
            destinations=[self._rail_destination(tab) for tab in self._rail_tabs],
            label_type=ft.NavigationRailLabelType.ALL,
            on_change=self._nav_changed,
            min_width=88,
        )
        self._rail_box = ft.Row([self._rail, ft.VerticalDivider(width=1)], spacing=0)
        self.control = ft.Row(
            expand=True,
            spacing=0,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                self._rail_box,
                ft.Column(
                    expand=True,
                    spacing=0,
                    controls=[self._banner, self._first_sync, self._body],
                ),
            ],
        )
        self._unsubscribe = self._shell.subscribe(self._shell_changed)
        self.render()

    # ------------------------------------------------------------------ page wiring

    def attach(self) -> None:
        """Put the frame on the page (the root view calls this, then updates)."""
        self._page.controls = [self.control]
        self._page.on_keyboard_event = self._key_pressed
        self._apply_chrome()

    def dispose(self) -> None:
        """Drop the visible screen and stop listening."""
        self._unsubscribe()
        if self._page.on_keyboard_event == self._key_pressed:
            self._page.on_keyboard_event = None
        self._drop_screen()
        self._drop_master()

    def resized(self, width: float | None) -> None:
        """The page changed size: bottom bar or rail (office staff: office rail)."""
        wide = self._is_wide(width)
        if wide != self._wide:
            self._wide = wide
            self._apply_chrome()
            self._shell.set_wide(wide)  # notifies (and re-renders) if the tabs change
            self.render()
            self._refresh()

    @staticmethod
    def _is_wide(width: float | None) -> bool:
        return bool(width and width >= WIDE_MIN_WIDTH)

    def _apply_chrome(self) -> None:
        full = self._route is not None and self._route.screen in _FULL_SCREEN
        self._page.appbar = None if full else self.appbar
        self._page.navigation_bar = None if (self._wide or full) else self._nav_bar
        self._rail_box.visible = self._wide and not full

    # ------------------------------------------------------------------ destinations

    def _office_rail(self) -> bool:
        return self._shell.office and self._wide

    def _tab_icon(self, tab: str, selected: bool, *, rail: bool = False) -> ft.Control:
        outline, filled = _TAB_ICONS[tab]
        icon = ft.Icon(filled if selected else outline)
        if tab == "sync" and self._shell.attention_count:
            icon.badge = str(self._shell.attention_count)
        label = TAB_TITLES[tab]
        if tab == "sync" and self._shell.attention_count:
            label += f", {self._shell.attention_count} need attention"
        identifier = f"nav-{tab}"
        if rail and self._office_rail():
            identifier = f"rail-{_RAIL_NAMES.get(tab, tab)}"
            position = self._shell.tabs.index(tab) + 1
            label += f" (Alt+{position})"
        return ft.Semantics(identifier=identifier, button=True, label=label, content=icon)

    def _bar_destination(self, tab: str) -> ft.NavigationBarDestination:
        return ft.NavigationBarDestination(
            icon=self._tab_icon(tab, False),
            selected_icon=self._tab_icon(tab, True),
            label=TAB_TITLES[tab],
        )

    def _rail_destination(self, tab: str) -> ft.NavigationRailDestination:
        return ft.NavigationRailDestination(
            icon=self._tab_icon(tab, False, rail=True),
            selected_icon=self._tab_icon(tab, True, rail=True),
            label=TAB_TITLES[tab],
        )

    # ------------------------------------------------------------------ rendering

    def render(self) -> None:
        """Copy the shell state into the frame; swap the screen if the route changed."""
        shell = self._shell
        self._place_screens()
        if shell.tabs != self._rail_tabs:
            self._rail_tabs = shell.tabs
            self._rail.destinations = [self._rail_destination(t) for t in self._rail_tabs]
        index = shell.tab_index
        if shell.tab in TABS:
            self._nav_bar.selected_index = TABS.index(shell.tab)
        self._rail.selected_index = index
        # The badge count lives in the icons: rebuild the Sync destinations.
        self._nav_bar.destinations[TABS.index("sync")] = self._bar_destination("sync")
        self._rail.destinations[self._rail_tabs.index("sync")] = self._rail_destination("sync")
        self._back.visible = shell.can_go_back and self._master is None
        self._title.value = self._title_text()
        banner = shell.banner
        self._banner.visible = banner is not None
        if banner is not None:
            self._banner_text.value = banner.text
            self._banner.label = banner.text
            signed_out = banner.kind == "signed_out"
            self._banner_icon.icon = ft.Icons.LOGIN if signed_out else ft.Icons.CLOUD_OFF
            button = self._banner_action.content
            if isinstance(button, ft.TextButton):
                button.content = "Sign in" if signed_out else "Sync now"
        first = shell.first_sync
        self._first_sync.visible = first is not None
        if first is not None:
            self._first_sync_text.value = first.text
            self._first_sync_bar.value = 0 if first.waiting else None
        self._apply_chrome()
        self._show_next_notice()

    def _split_root(self) -> Route | None:
        """The list route of a split layout (office staff, wide page), else None."""
        shell = self._shell
        if not self._office_rail() or shell.tab not in SPLIT_TABS:
            return None
        return shell.stack[0]

    def _place_screens(self) -> None:
        """Build what the routes need and put it in the body: one screen, or the list
        (master) with the top route in the detail pane."""
        shell = self._shell
        root = self._split_root()
        if root is None:
            self._drop_master()
            if shell.current is not self._route:
                self._show(shell.current)
            self._body.content = self._view.control if self._view is not None else None
            return
        if self._master is None or self._master.route is not root:
            self._drop_master()
            self._master = self._mount(root)
        if shell.current is root:
            # Only the list: no detail is open.
            self._drop_screen()
            self._body.content = self._master.view.control
            return
        if shell.current is not self._route:
            self._show(shell.current)
        view = self._view
        if view is None:
            return
        if shell.current.screen in _FULL_SCREEN:
            self._body.content = view.control
            return
        self._pane_title.value = view.title
        self._pane_body.content = view.control
        self._split.controls[0] = ft.Container(expand=True, content=self._master.view.control)
        self._body.content = self._split

    def _title_text(self) -> str:
        if self._master is not None:
            return self._master.view.title
        return self._view.title if self._view is not None else ""

    def _mount(self, route: Route) -> _Mounted:
        entry = ROUTES.get(route.screen)
        if entry is None:
            logger.error("no screen registered for route %r", route.screen)
            return _Mounted(route, None, _MissingView(route))
        state_factory, view_factory = entry
        state = state_factory(self._shell.context, route, self._screen)
        view = view_factory(state, self._screen_refresh)
        load = getattr(state, "load", None)
        if load is not None:
            with contextlib.suppress(RuntimeError):
                self._page.run_task(load)
        return _Mounted(route, state, view)

    def _show(self, route: Route) -> None:
        self._drop_screen()
        mounted = self._mount(route)
        self._route, self._state, self._view = route, mounted.state, mounted.view

    def _drop_screen(self) -> None:
        self._route = None
        view, self._view = self._view, None
        state, self._state = self._state, None
        _dispose(view, state)

    def _drop_master(self) -> None:
        master, self._master = self._master, None
        if master is not None:
            _dispose(master.view, master.state)

    def _show_next_notice(self) -> None:
        if self._snack_open:
            return
        message = self._shell.take_notice()
        if message is None:
            return
        self._snack_open = True
        snack = ft.SnackBar(
            ft.Semantics(identifier="notice", live_region=True, content=ft.Text(message)),
            duration=ft.Duration(seconds=5),
            on_dismiss=self._snack_dismissed,
        )
        with contextlib.suppress(RuntimeError):
            self._page.show_dialog(snack)

    # ------------------------------------------------------------------ events

    def _shell_changed(self) -> None:
        self.render()
        self._refresh()

    def _screen_refresh(self) -> None:
        # The screen redrew (maybe with a new title once its data loaded).
        self._title.value = self._title_text()
        if self._master is not None and self._view is not None:
            self._pane_title.value = self._view.title
        self._refresh()

    def _refresh(self) -> None:
        # A change can arrive after the browser tab closed; nothing to draw then.
        with contextlib.suppress(RuntimeError):
            self._page.update()

    async def _go_back(self) -> None:
        self._shell.back()

    async def _nav_changed(self, e: ft.Event[Any]) -> None:
        index = int(e.control.selected_index or 0)
        tabs = self._rail_tabs if e.control is self._rail else TABS
        self._shell.select_tab(tabs[index])

    async def _close_detail(self) -> None:
        shell = self._shell
        if len(shell.stack) > 1:
            shell.open(shell.stack[0])

    async def _key_pressed(self, e: ft.KeyboardEvent) -> None:
        """Shortcuts: Alt+digit picks an office destination; "?" opens the screen's
        help; Escape closes the detail pane; other keys go to the screen's
        ``handle_key`` unless the person is typing (a focused search box, or anything
        in the detail pane, whose fields are the field app's)."""
        key = e.key
        shell = self._shell
        if e.alt and not e.ctrl and key.isdigit() and self._office_rail():
            number = int(key)
            if 1 <= number <= len(shell.tabs):
                shell.select_tab(shell.tabs[number - 1])
            return
        if e.ctrl or e.alt or e.meta:
            return
        detail_open = self._master is not None and self._view is not None
        if detail_open:
            if key == "Escape":
                await self._close_detail()
            return
        target: Any = self._master.view if self._master is not None else self._view
        if target is None or getattr(target, "typing", False):
            return
        if key == "?" or (key == "/" and e.shift):
            shortcuts = getattr(target, "shortcuts", None)
            if shortcuts:
                show_shortcut_help(target.control, target.title, shortcuts)
                self._refresh()
            return
        handle = getattr(target, "handle_key", None)
        if handle is not None and await handle(key):
            self._refresh()

    async def _banner_clicked(self) -> None:
        banner = self._shell.banner
        if banner is not None and banner.kind == "signed_out":
            await self._shell.sign_in_again()
        else:
            self._shell.sync_now()
            self._shell.notify("Trying to sync now…")

    async def _snack_dismissed(self) -> None:
        self._snack_open = False
        self._show_next_notice()
        self._refresh()


def _dispose(view: ScreenView | None, state: Any) -> None:
    if view is not None:
        view.dispose()
    dispose = getattr(state, "dispose", None)
    if dispose is not None:
        dispose()
