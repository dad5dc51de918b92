"""Is the server reachable? A small port the sync engine reports to and listens on.

Phones and desktops may know about the network (Flet events, OS callbacks) and call
`ConnectivityMonitor.set_online`; everywhere else `RequestConnectivityMonitor` infers
it from traffic: any answered request means online, a `NetworkError` means offline.
The engine syncs as soon as the state turns online (DESIGN §4: sync runs when
connectivity returns).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

__all__ = [
    "Connectivity",
    "ConnectivityListener",
    "ConnectivityMonitor",
    "RequestConnectivityMonitor",
]

logger = logging.getLogger(__name__)


class Connectivity(StrEnum):
    """What the app believes about reaching the server."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


ConnectivityListener = Callable[[Connectivity], None]
"""Called with the new state whenever it changes (on the caller's thread)."""


class ConnectivityMonitor(Protocol):
    """The engine's view of connectivity: it reports outcomes and listens for changes."""

    @property
    def state(self) -> Connectivity:
        """The current belief."""
        ...

    def report_success(self) -> None:
        """A request got an answer from the server (any HTTP status)."""
        ...

    def report_failure(self) -> None:
        """A request got no answer (connection refused, dropped, timed out)."""
        ...

    def set_online(self, online: bool) -> None:
        """The platform knows better (e.g. the OS said the network is back)."""
        ...

    def subscribe(self, listener: ConnectivityListener) -> None:
        """Call ``listener`` on every change."""
        ...

    def unsubscribe(self, listener: ConnectivityListener) -> None:
        """Stop calling ``listener``."""
        ...


class RequestConnectivityMonitor:
    """`ConnectivityMonitor` that believes the last request (and the platform)."""

    def __init__(self) -> None:
        self._state = Connectivity.UNKNOWN
        self._listeners: list[ConnectivityListener] = []

    @property
    def state(self) -> Connectivity:
        """The current belief (UNKNOWN until the first request or platform signal)."""
        return self._state

    def report_success(self) -> None:
        """A request was answered: online."""
        self._set(Connectivity.ONLINE)

    def report_failure(self) -> None:
        """A request got no answer: offline."""
        self._set(Connectivity.OFFLINE)

    def set_online(self, online: bool) -> None:
        """Platform signal."""
        self._set(Connectivity.ONLINE if online else Connectivity.OFFLINE)

    def subscribe(self, listener: ConnectivityListener) -> None:
        """Call ``listener`` on every change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: ConnectivityListener) -> None:
        """Stop calling ``listener`` (unknown listeners are ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set(self, state: Connectivity) -> None:
        if state is self._state:
            return
        self._state = state
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                # One broken listener (a closed page) must not stop the others.
                logger.exception("connectivity listener failed")
