"""What the sync badge shows: an immutable `SyncStatus` snapshot and an observable.

No Flet here (import-linter ``sync-no-ui``): views subscribe with a plain callback and
redraw. Every change publishes a new frozen snapshot, so a listener can keep it or
compare it without locks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from proapp.sync.connectivity import Connectivity

__all__ = ["BlobProgress", "SyncPhase", "SyncStatus", "SyncStatusListener", "SyncStatusObservable"]

logger = logging.getLogger(__name__)


class SyncPhase(StrEnum):
    """What the engine is doing right now."""

    IDLE = "idle"
    UPLOADING = "uploading"
    PUSHING = "pushing"
    PULLING = "pulling"
    WAITING_RETRY = "waiting_retry"
    SIGNED_OUT = "signed_out"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class BlobProgress:
    """One photo or signature on its way up: bytes the server confirmed of ``size``."""

    hash: str
    sent: int
    size: int

    @property
    def fraction(self) -> float:
        """Progress 0..1 for a progress bar (display only)."""
        return 1.0 if self.size <= 0 else min(1.0, self.sent / self.size)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """A snapshot for the sync badge and the "needs attention" entry point.

    ``last_error`` is in plain words (what happened, what to do) or None when the last
    attempt went through. ``signed_out``: the session ended; queued work is kept and
    goes out after the pro signs in again (DESIGN §4).
    """

    connectivity: Connectivity = Connectivity.UNKNOWN
    phase: SyncPhase = SyncPhase.IDLE
    pending: int = 0
    oldest_pending_age: timedelta | None = None
    needs_attention: int = 0
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    signed_out: bool = False
    uploads: tuple[BlobProgress, ...] = field(default_factory=tuple)

    @property
    def all_sent(self) -> bool:
        """Nothing waits to go to the server (needs-attention items are not "waiting")."""
        return self.pending == 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (CLI, diagnostics)."""
        return {
            "connectivity": str(self.connectivity),
            "phase": str(self.phase),
            "pending": self.pending,
            "oldest_pending_age_s": _seconds(self.oldest_pending_age),
            "needs_attention": self.needs_attention,
            "last_success_at": _iso(self.last_success_at),
            "last_attempt_at": _iso(self.last_attempt_at),
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_error": self.last_error,
            "signed_out": self.signed_out,
            "uploads": [{"hash": u.hash, "sent": u.sent, "size": u.size} for u in self.uploads],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else delta // timedelta(seconds=1)


SyncStatusListener = Callable[[SyncStatus], None]
"""Called with each new snapshot, on the engine's event loop thread."""


class SyncStatusObservable:
    """Holds the current `SyncStatus` and tells subscribers about every change."""

    def __init__(self, initial: SyncStatus | None = None) -> None:
        self._value = initial or SyncStatus()
        self._listeners: list[SyncStatusListener] = []

    @property
    def value(self) -> SyncStatus:
        """The latest snapshot."""
        return self._value

    def subscribe(self, listener: SyncStatusListener, *, replay: bool = True) -> None:
        """Call ``listener`` on every change (and once now with the current value,
        unless ``replay`` is False, so a new screen draws without waiting)."""
        self._listeners.append(listener)
        if replay:
            self._call(listener, self._value)

    def unsubscribe(self, listener: SyncStatusListener) -> None:
        """Stop calling ``listener`` (unknown listeners are ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def update(self, **changes: Any) -> SyncStatus:
        """Replace some fields; publish if anything changed. Returns the new value."""
        new = replace(self._value, **changes)
        if new != self._value:
            self._value = new
            for listener in list(self._listeners):
                self._call(listener, new)
        return self._value

    @staticmethod
    def _call(listener: SyncStatusListener, value: SyncStatus) -> None:
        try:
            listener(value)
        except Exception:
            # A listener of a closed page must not break sync for the others.
            logger.exception("sync status listener failed")
