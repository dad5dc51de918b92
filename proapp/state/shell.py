"""The signed-in app's frame: tabs, a back stack per tab, notices, the sync banner.

`ShellState` is the `Navigator` every screen state gets in its `ScreenContext`: screens
ask it to open routes, go back and show notices; the shell view (`proapp.views.shell`)
renders whatever route is on top of the selected tab's stack. No Flet import here.

Also here: what the frame shows about sync on every screen (DESIGN.md section 4: the UI
shows online/offline and the pending count everywhere), the first-sync progress of a
new sign-in, and the tiny state of the full-screen photo viewer (route ``photo``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from proapp.state.observable import Observable
from proapp.state.ports import ProRepository, Route, ScreenContext
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus

__all__ = [
    "OFFLINE_TEXT",
    "TABS",
    "TAB_TITLES",
    "Banner",
    "FirstSync",
    "PhotoViewerState",
    "ShellState",
]

logger = logging.getLogger(__name__)

TABS: tuple[str, ...] = ("inbox", "today", "messages", "sync", "settings")
"""The bottom-navigation tabs, in order (their Route.screen names)."""

TAB_TITLES: dict[str, str] = {
    "inbox": "Inbox",
    "today": "Today",
    "messages": "Messages",
    "sync": "Sync",
    "settings": "Settings",
}

OFFLINE_TEXT = "Offline - your changes are saved on this phone and will sync"
SIGNED_OUT_TEXT = (
    "Your session ended. Your changes are kept on this phone; sign in again to send them."
)


@dataclass(frozen=True)
class Banner:
    """The strip shown above every screen while something about sync needs saying.

    ``kind``: "offline" (no connection) or "signed_out" (the server ended the session;
    the view offers "Sign in").
    """

    kind: str
    text: str


@dataclass(frozen=True)
class FirstSync:
    """A new sign-in on an empty phone: the first download is running.

    ``text`` says what has arrived so far; ``waiting`` is True while there is no
    connection to download over (the bar then stops moving).
    """

    text: str
    waiting: bool = False


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def pending_words(count: int) -> str:
    """``"1 change waiting to sync"`` / ``"3 changes waiting to sync"``."""
    return f"{_plural(count, 'change')} waiting to sync"


class ShellState(Observable):
    """Navigation and the always-visible sync cues of the signed-in app.

    Args:
        repo: the signed-in pro's repository.
        clock: UTC "now", passed on to every screen.
        on_sign_in_again: awaited when the pro taps "Sign in" on the signed-out banner.

    Tabs (`TABS`) each keep their own stack of routes; the bottom of a stack is the
    tab's own route. `open` with a tab route selects that tab and resets its stack (the
    `Navigator` contract); `select_tab` (the navigation bar) keeps the tab's stack, and
    a second tap on the selected tab returns to its root, as phones do.
    """

    def __init__(
        self,
        repo: ProRepository,
        *,
        clock: Callable[[], datetime] = _utcnow,
        on_sign_in_again: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self.repo = repo
        self.context = ScreenContext(repo=repo, nav=self, clock=clock)
        self._on_sign_in_again = on_sign_in_again
        self.tab = TABS[0]
        self._stacks: dict[str, list[Route]] = {tab: [Route(tab)] for tab in TABS}
        self._notices: deque[str] = deque()
        self.status: SyncStatus = repo.sync_status()
        self.first_sync: FirstSync | None = None
        self._first_sync_checked = False
        self._counting = False
        self._recount = False
        self._count_task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = repo.subscribe(self._repo_changed)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Decide whether this is a first sync (empty phone, nothing pulled yet)."""
        self.status = self.repo.sync_status()
        if self.status.last_success_at is None:
            requests, jobs = await self._counts()
            if requests == 0 and jobs == 0 and self.status.last_success_at is None:
                self.first_sync = self._first_sync_text(0, 0)
        self._first_sync_checked = True
        self._notify()

    def dispose(self) -> None:
        """Stop listening to the repository (the pro signed out or the page closed)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._count_task is not None and not self._count_task.done():
            self._count_task.cancel()

    # ------------------------------------------------------------------ navigation

    @property
    def stack(self) -> tuple[Route, ...]:
        """The selected tab's routes, root first."""
        return tuple(self._stacks[self.tab])

    @property
    def current(self) -> Route:
        """The route on screen."""
        return self._stacks[self.tab][-1]

    @property
    def can_go_back(self) -> bool:
        """True on a detail screen (the app bar then shows a back button)."""
        return len(self._stacks[self.tab]) > 1

    @property
    def tab_index(self) -> int:
        """The selected tab's position in `TABS` (the navigation bar's index)."""
        return TABS.index(self.tab)

    def open(self, route: Route) -> None:
        """Show ``route``: a tab route selects the tab with a fresh stack; any other
        route is pushed on the selected tab (opening what is already on top does
        nothing, so a double tap does not stack two copies)."""
        if route.screen in TABS:
            self.tab = route.screen
            self._stacks[route.screen] = [route]
        else:
            stack = self._stacks[self.tab]
            if stack[-1] == route:
                return
            stack.append(route)
        self._notify()

    def select_tab(self, tab: str) -> None:
        """A tap on the navigation bar: switch to ``tab`` keeping its stack; a tap on
        the tab already shown goes back to its root."""
        if tab not in TABS:
            raise ValueError(f"unknown tab {tab!r}")
        if tab == self.tab:
            if len(self._stacks[tab]) == 1:
                return
            self._stacks[tab] = self._stacks[tab][:1]
        self.tab = tab
        self._notify()

    def back(self) -> None:
        """Pop the top detail screen (nothing at a tab's root)."""
        stack = self._stacks[self.tab]
        if len(stack) > 1:
            stack.pop()
            self._notify()

    # ------------------------------------------------------------------ notices

    def notify(self, message: str) -> None:
        """Queue a short message for the snackbar."""
        if message:
            self._notices.append(message)
            self._notify()

    def take_notice(self) -> str | None:
        """The next queued notice (the view shows it), or None."""
        return self._notices.popleft() if self._notices else None

    @property
    def has_notice(self) -> bool:
        """True while notices wait to be shown."""
        return bool(self._notices)

    # ------------------------------------------------------------------ sync cues

    @property
    def banner(self) -> Banner | None:
        """What the strip above every screen says, or None when all is well."""
        status = self.status
        if status.signed_out:
            return Banner("signed_out", SIGNED_OUT_TEXT)
        if status.connectivity is Connectivity.OFFLINE:
            text = OFFLINE_TEXT
            if status.pending:
                text += f" ({pending_words(status.pending)})"
            return Banner("offline", text)
        return None

    @property
    def attention_count(self) -> int:
        """Refused actions waiting for the pro (the badge on the Sync tab)."""
        return self.status.needs_attention

    @property
    def pending_count(self) -> int:
        """Actions not yet sent."""
        return self.status.pending

    async def sign_in_again(self) -> None:
        """The signed-out banner's "Sign in": hand over to the app."""
        if self._on_sign_in_again is not None:
            await self._on_sign_in_again()

    def sync_now(self) -> None:
        """Ask for a sync right away (the banner's and sync center's "Sync now")."""
        self.repo.sync_now()

    # ------------------------------------------------------------------ internals

    def _repo_changed(self) -> None:
        self.status = self.repo.sync_status()
        if self.first_sync is not None:
            if self.status.last_success_at is not None:
                self.first_sync = None  # the first round finished: everything is here
            else:
                self._schedule_count()
        self._notify()

    def _schedule_count(self) -> None:
        if self._counting:
            self._recount = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # called outside the loop (a sync test): nothing to schedule on
        self._count_task = loop.create_task(self._update_first_sync())

    async def _update_first_sync(self) -> None:
        self._counting = True
        try:
            while True:
                self._recount = False
                requests, jobs = await self._counts()
                if self.first_sync is None:
                    return
                self.first_sync = self._first_sync_text(requests, jobs)
                self._notify()
                if not self._recount:
                    return
        except Exception:
            # Progress text is a nicety; a failed count must not break the shell.
            logger.exception("could not count the first sync's progress")
        finally:
            self._counting = False

    async def _counts(self) -> tuple[int, int]:
        return len(await self.repo.requests()), len(await self.repo.jobs())

    def _first_sync_text(self, requests: int, jobs: int) -> FirstSync:
        status = self.status
        if status.connectivity is Connectivity.OFFLINE or status.signed_out:
            return FirstSync(
                "Waiting for a connection to download your work. What arrives is kept on "
                "this phone.",
                waiting=True,
            )
        if requests == 0 and jobs == 0:
            return FirstSync("Downloading your requests and jobs…")
        return FirstSync(
            f"Downloading your work… {_plural(requests, 'request')} and "
            f"{_plural(jobs, 'job')} so far."
        )


class PhotoViewerState(Observable):
    """The full-screen photo of route ``photo`` {blob_hash}.

    ``path`` is the local file once `load` found it and ``data`` its bytes (the web
    client cannot open a file on the server, so the view sends the bytes); ``missing``
    is True when the photo is not on this phone yet (it downloads with the next sync).
    """

    title = "Photo"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        self.blob_hash = route.param("blob_hash")
        self.caption = route.params.get("caption", "")
        self.path: Path | None = None
        self.data: bytes | None = None
        self.loading = True
        self.missing = False
        self._unsubscribe: Callable[[], None] | None = ctx.repo.subscribe(self._changed)

    async def load(self) -> None:
        """Find the photo's local file."""
        self.path = await self._ctx.repo.photo_file(self.blob_hash)
        self.data = None
        if self.path is not None:
            try:
                self.data = await asyncio.to_thread(self.path.read_bytes)
            except OSError:
                logger.warning("photo %s is listed but unreadable", self.blob_hash[:12])
        self.loading = False
        self.missing = self.data is None
        self._notify()

    def close(self) -> None:
        """Leave the viewer."""
        self._ctx.nav.back()

    def dispose(self) -> None:
        """Stop listening."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _changed(self) -> None:
        # A sync may have just downloaded the photo we are waiting for.
        if self.missing:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().create_task(self.load())
