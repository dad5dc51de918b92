"""A fault-injecting TCP proxy for tests against real server processes.

`FaultyTcpProxy` listens on 127.0.0.1 (a free port) and forwards each accepted
connection to an upstream port. Per connection a seeded RNG picks what happens:

* ``pass`` - bytes flow both ways untouched;
* ``drop`` - the connection is closed before anything is forwarded;
* ``reset_request`` / ``reset_response`` - after a random number of bytes in that
  direction the proxy aborts both sides (RST), i.e. a body cut in the middle;
* ``stall`` - after a random number of bytes one direction pauses for a while, then
  continues (a flaky mobile link).

Threads, not asyncio, so it runs beside any test code. The choice per connection is
deterministic for a seed (the connection's index); the timing of real processes is not.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

__all__ = ["ACTIONS", "FaultyTcpProxy", "Plan"]

ACTIONS = ("pass", "drop", "reset_request", "reset_response", "stall")
_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Plan:
    """What one connection gets: an action, the byte offset it strikes at, a stall."""

    action: str
    at_byte: int = 0
    stall_s: float = 0.0


def _abort(sock: socket.socket) -> None:
    # SO_LINGER 0: close sends RST, as a dropped mobile link or a killed proxy would.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultyTcpProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:``upstream_port`` with seeded faults.

    ``rates`` maps actions other than ``pass`` to probabilities. ``enabled`` False
    makes every new connection pass (the network healed). ``stats`` counts the actions.
    """

    def __init__(
        self,
        upstream_port: int,
        seed: int,
        rates: Mapping[str, float],
        *,
        max_stall_s: float = 0.6,
    ) -> None:
        unknown = set(rates) - set(ACTIONS)
        if unknown:
            raise ValueError(f"unknown proxy actions: {sorted(unknown)}")
        self.upstream_port = upstream_port
        self.rates = dict(rates)
        self.seed = seed
        self.max_stall_s = max_stall_s
        self.enabled = True
        self.stats: Counter[str] = Counter()
        self.trace: list[str] = []
        self._lock = threading.Lock()
        self._connections = 0
        self._closing = False
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyTcpProxy:
        self._acceptor.start()
        return self

    def __enter__(self) -> FaultyTcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def plan_for(self, index: int) -> Plan:
        """The (seeded) plan of connection number ``index``."""
        rng = random.Random(self.seed * 1_000_003 + index)
        roll = rng.random()
        action = "pass"
        for name, rate in self.rates.items():
            if roll < rate:
                action = name
                break
            roll -= rate
        return Plan(action, rng.randint(1, 900), rng.uniform(0.05, self.max_stall_s))

    def stop(self) -> None:
        """Stop accepting and abort every open connection."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _abort(sock)
        for thread in [self._acceptor, *self._threads]:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=5)

    # ------------------------------------------------------------------ internals

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                index = self._connections
                self._connections += 1
                self._threads = [t for t in self._threads if t.is_alive()]
            plan = self.plan_for(index) if self.enabled else Plan("pass")
            with self._lock:
                self.stats[plan.action] += 1
                self.trace.append(f"conn {index}: {plan.action}@{plan.at_byte}")
            thread = threading.Thread(target=self._serve, args=(client, plan), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._sockets.update(socks)

    def _untrack(self, *socks: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update(socks)

    def _serve(self, client: socket.socket, plan: Plan) -> None:
        if plan.action == "drop":
            _abort(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        except OSError:
            _abort(client)
            return
        upstream.settimeout(None)
        self._track(client, upstream)
        done = threading.Event()
        pumps = [
            threading.Thread(
                target=self._pump,
                args=(client, upstream, plan, plan.action in ("reset_request", "stall"), done),
                daemon=True,
            ),
            threading.Thread(
                target=self._pump,
                args=(upstream, client, plan, plan.action == "reset_response", done),
                daemon=True,
            ),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        _abort(client)
        _abort(upstream)
        self._untrack(client, upstream)

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        plan: Plan,
        strikes_here: bool,
        done: threading.Event,
    ) -> None:
        sent = 0
        struck = not strikes_here
        try:
            while not done.is_set():
                data = source.recv(_CHUNK)
                if not data:
                    break
                if not struck and sent + len(data) >= plan.at_byte:
                    cut = max(plan.at_byte - sent, 0)
                    if cut:
                        sink.sendall(data[:cut])
                    struck = True
                    if plan.action.startswith("reset"):
                        break  # abort both sides below
                    time.sleep(plan.stall_s)
                    data = data[cut:]
                if data:
                    sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            done.set()
            # Wake the other direction: both sockets go down together.
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
