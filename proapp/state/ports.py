"""What screen states need from the rest of the app: the pro's repository and navigation.

Screen states (``proapp.state.*``) depend on these protocols only, never on SQLite,
httpx or Flet, so they are unit-tested with fakes (``tests/support/fake_repo.py``) and
run against `proapp.sync.repository.LocalRepository` in the app (DESIGN.md section 3:
repositories are the only way the UI reads or writes).

Reads never touch the network: they return what the local store holds (server copy
with the pro's unsent changes laid over it). Writes are pro *actions*: one validated
command (`proapp.domain.commands`) applied locally and queued in the outbox in one
transaction, then synced when the network allows (DESIGN.md section 4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from proapp.domain.commands import CommandArgs
from proapp.domain.models import Business, Message, User
from proapp.sync.outbox import OutboxEntry

# The records are built by the sync layer's repository, so they live there (state sits
# above sync); re-exported here so screen states import everything from this module.
from proapp.sync.records import ChangesListener, JobRecord, PhotoRecord, RequestRecord
from proapp.sync.status import SyncStatus

__all__ = [
    "ChangesListener",
    "JobRecord",
    "Navigator",
    "PhotoRecord",
    "ProRepository",
    "RequestRecord",
    "Route",
    "ScreenContext",
]


class ProRepository(Protocol):
    """The signed-in pro's data on this device, and the actions they can take.

    Every method is async: the store works in a worker thread so the UI never blocks.
    """

    @property
    def user(self) -> User:
        """Who is signed in."""
        ...

    @property
    def device_id(self) -> str:
        """This install's stable id (recorded in signatures, DESIGN.md section 5)."""
        ...

    # --- reads (local only) ------------------------------------------------------------
    async def requests(self) -> list[RequestRecord]:
        """Every cached custom request with its estimates, visits and photos."""
        ...

    async def request(self, request_id: str) -> RequestRecord | None:
        """One request, or None if this device does not have it (any more)."""
        ...

    async def jobs(self) -> list[JobRecord]:
        """Every cached job the pro may see, with change orders and photos."""
        ...

    async def job(self, job_id: str) -> JobRecord | None:
        """One job, or None."""
        ...

    async def messages(
        self, *, job_id: str | None = None, request_id: str | None = None
    ) -> list[Message]:
        """Messages of one job or request (or all with neither), oldest first."""
        ...

    async def photo_file(self, blob_hash: str) -> Path | None:
        """The local file of a photo or signature, or None if not downloaded yet."""
        ...

    async def business(self) -> Business | None:
        """The pro's business as last synced (None before the first sync)."""
        ...

    # --- drafts (autosave of unfinished forms) -----------------------------------------
    async def load_draft(self, key: str) -> Mapping[str, Any] | None:
        """A form's saved draft, or None."""
        ...

    async def save_draft(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Save a form's draft (JSON-able ``data``) under ``key``."""
        ...

    async def delete_draft(self, key: str) -> None:
        """Forget a draft (after its form was submitted or thrown away)."""
        ...

    # --- actions -----------------------------------------------------------------------
    async def add_photo(self, data: bytes) -> str:
        """Prepare a photo (orientation, size, metadata stripped), keep it on this
        device, return its hash for a command's ``photo_hashes``. Raises DomainError
        ``unsupported_media_type`` (plain-words message) if the bytes are not a usable
        image."""
        ...

    async def add_signature(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> str:
        """Render signature strokes to PNG, keep it, return its hash."""
        ...

    async def perform(self, command: CommandArgs) -> OutboxEntry:
        """Apply ``command`` to the local data and queue it, in one transaction; sync
        starts shortly after. Raises DomainError (nothing changed) if it is refused
        locally, e.g. a rule the device can already check."""
        ...

    # --- the outbox (sync center) ------------------------------------------------------
    async def queue(self) -> list[OutboxEntry]:
        """Actions not yet applied by the server, oldest first (pending, sending,
        refused awaiting the pro)."""
        ...

    async def discard(self, mid: int) -> None:
        """Throw away a refused action (its local effect disappears)."""
        ...

    async def resubmit(self, mid: int, args: Mapping[str, Any]) -> OutboxEntry:
        """Send a refused action again with edited ``args``."""
        ...

    def sync_status(self) -> SyncStatus:
        """The sync engine's current status (online, pending, last sync, uploads...)."""
        ...

    def sync_now(self) -> None:
        """Ask the engine to sync right away (pull-to-refresh, "Sync now")."""
        ...

    def subscribe(self, listener: ChangesListener) -> Callable[[], None]:
        """Call ``listener`` after every local action or sync that changed data, and
        on every sync status change; returns an unsubscribe function."""
        ...


@dataclass(frozen=True, slots=True)
class Route:
    """A place in the app. ``screen`` names it ("inbox", "request", "job", ...);
    ``params`` its ids, e.g. ``{"request_id": ...}``. Tabs have no params."""

    screen: str
    params: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        """A required parameter (KeyError names it if missing)."""
        return self.params[name]


class Navigator(Protocol):
    """Moves between screens. Tabs replace the stack; details push onto it."""

    def open(self, route: Route) -> None:
        """Show ``route`` (a tab route resets the stack to that tab)."""
        ...

    def back(self) -> None:
        """Return to the previous screen (no-op at a tab's root)."""
        ...

    def notify(self, message: str) -> None:
        """Show a short message (a snackbar), e.g. "Estimate queued; it will send when
        you are online"."""
        ...


@dataclass(frozen=True, slots=True)
class ScreenContext:
    """What every screen state is built with."""

    repo: ProRepository
    nav: Navigator
    clock: Callable[[], datetime]
