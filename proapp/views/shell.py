"""The signed-in app's frame: navigation (bottom bar on phones, rail on wide screens),
app bar with back, the offline banner, first-sync progress, snackbars, and the screen
on top of the selected tab's stack.

One screen state and view live at a time (the visible route); navigating disposes them
and builds the next from `ROUTES`. Going back rebuilds the previous screen from the
local store, which is fast (reads never touch the network).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from proapp.state.app_state import ShellScreen
from proapp.state.change_order import ChangeOrderState
from proapp.state.completion import CompletionState
from proapp.state.estimate_editor import EstimateEditorState
from proapp.state.inbox import InboxState
from proapp.state.job_detail import JobDetailState
from proapp.state.messages import MessagesState
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import RequestDetailState
from proapp.state.settings import SettingsState
from proapp.state.shell import TAB_TITLES, TABS, PhotoViewerState, ShellState
from proapp.state.sync_center import SyncCenterState
from proapp.state.thread import ThreadState
from proapp.state.today import TodayState
from proapp.state.visit_proposal import VisitProposalState
from proapp.state.windows import WindowsState
from proapp.views.change_order import ChangeOrderView
from proapp.views.completion import CompletionView
from proapp.views.estimate_editor import EstimateEditorView
from proapp.views.inbox import InboxView
from proapp.views.job_detail import JobDetailView
from proapp.views.messages import MessagesView
from proapp.views.photo_viewer import PhotoViewerView
from proapp.views.request_detail import RequestDetailView
from proapp.views.settings import SettingsView
from proapp.views.sync_center import SyncCenterView
from proapp.views.thread import ThreadView
from proapp.views.today import TodayView
from proapp.views.visit_proposal import VisitProposalView
from proapp.views.windows import WindowsView

__all__ = ["ROUTES", "WIDE_MIN_WIDTH", "ScreenView", "ShellView"]

logger = logging.getLogger(__name__)

WIDE_MIN_WIDTH = 1024
"""From this page width on, a navigation rail replaces the bottom bar (issue 5 grows
the office layout from here)."""


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
    "change_order": (_plain(ChangeOrderState), ChangeOrderView),
    "complete": (_plain(CompletionState), CompletionView),
    "thread": (_plain(ThreadState), ThreadView),
    "photo": (_plain(PhotoViewerState), PhotoViewerView),
}
"""Route.screen -> (state factory, view class). Every screen of the BRIEF is here."""

_TAB_ICONS: dict[str, tuple[ft.IconData, ft.IconData]] = {
    "inbox": (ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX),
    "today": (ft.Icons.CALENDAR_TODAY_OUTLINED, ft.Icons.CALENDAR_TODAY),
    "messages": (ft.Icons.CHAT_BUBBLE_OUTLINE, ft.Icons.CHAT_BUBBLE),
    "sync": (ft.Icons.SYNC, ft.Icons.SYNC),
    "settings": (ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
}
_FULL_SCREEN = frozenset({"photo"})


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
        self._snack_open = False
        self._wide = self._is_wide(page.width)

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
        self._nav_bar = ft.NavigationBar(
            destinations=[self._bar_destination(tab) for tab in TABS],
            on_change=self._nav_changed,
            label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
        )
        self._rail = ft.NavigationRail(
            destinations=[self._rail_destination(tab) for tab in TABS],
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
        self._apply_chrome()

    def dispose(self) -> None:
        """Drop the visible screen and stop listening."""
        self._unsubscribe()
        self._drop_screen()

    def resized(self, width: float | None) -> None:
        """The page changed size: bottom bar or rail."""
        wide = self._is_wide(width)
        if wide != self._wide:
            self._wide = wide
            self._apply_chrome()
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

    def _tab_icon(self, tab: str, selected: bool) -> ft.Control:
        outline, filled = _TAB_ICONS[tab]
        icon = ft.Icon(filled if selected else outline)
        if tab == "sync" and self._shell.attention_count:
            icon.badge = str(self._shell.attention_count)
        label = TAB_TITLES[tab]
        if tab == "sync" and self._shell.attention_count:
            label += f", {self._shell.attention_count} need attention"
        return ft.Semantics(identifier=f"nav-{tab}", button=True, label=label, content=icon)

    def _bar_destination(self, tab: str) -> ft.NavigationBarDestination:
        return ft.NavigationBarDestination(
            icon=self._tab_icon(tab, False),
            selected_icon=self._tab_icon(tab, True),
            label=TAB_TITLES[tab],
        )

    def _rail_destination(self, tab: str) -> ft.NavigationRailDestination:
        return ft.NavigationRailDestination(
            icon=self._tab_icon(tab, False),
            selected_icon=self._tab_icon(tab, True),
            label=TAB_TITLES[tab],
        )

    # ------------------------------------------------------------------ rendering

    def render(self) -> None:
        """Copy the shell state into the frame; swap the screen if the route changed."""
        shell = self._shell
        if shell.current is not self._route:
            self._show(shell.current)
        index = shell.tab_index
        self._nav_bar.selected_index = index
        self._rail.selected_index = index
        # The badge count lives in the icons: rebuild the Sync destinations.
        sync = TABS.index("sync")
        self._nav_bar.destinations[sync] = self._bar_destination("sync")
        self._rail.destinations[sync] = self._rail_destination("sync")
        self._back.visible = shell.can_go_back
        self._title.value = self._view.title if self._view is not None else ""
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

    def _show(self, route: Route) -> None:
        self._drop_screen()
        self._route = route
        entry = ROUTES.get(route.screen)
        if entry is None:
            logger.error("no screen registered for route %r", route.screen)
            view: ScreenView = _MissingView(route)
        else:
            state_factory, view_factory = entry
            state = state_factory(self._shell.context, route, self._screen)
            self._state = state
            view = view_factory(state, self._screen_refresh)
            load = getattr(state, "load", None)
            if load is not None:
                with contextlib.suppress(RuntimeError):
                    self._page.run_task(load)
        self._view = view
        self._body.content = view.control

    def _drop_screen(self) -> None:
        view, self._view = self._view, None
        state, self._state = self._state, None
        if view is not None:
            view.dispose()
        dispose = getattr(state, "dispose", None)
        if dispose is not None:
            dispose()

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
        if self._view is not None:
            self._title.value = self._view.title
        self._refresh()

    def _refresh(self) -> None:
        # A change can arrive after the browser tab closed; nothing to draw then.
        with contextlib.suppress(RuntimeError):
            self._page.update()

    async def _go_back(self) -> None:
        self._shell.back()

    async def _nav_changed(self, e: ft.Event[Any]) -> None:
        index = int(e.control.selected_index or 0)
        self._shell.select_tab(TABS[index])

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
