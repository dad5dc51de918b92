"""Start the reference marketplace server as a real subprocess for tests.

Every integration and UI test that needs a backend goes through :func:`start_marketplace`:
it runs ``python -m marketplace serve`` exactly as a developer would, on a free loopback
port, and waits for ``GET /v1/health``. Nothing is imported from ``marketplace`` here, so
a test exercises the same process boundary the app uses for its embedded demo server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

__all__ = ["MarketplaceServer", "MarketplaceStartError", "free_port", "start_marketplace"]

REPO_ROOT = Path(__file__).resolve().parents[2]
HEALTH_PATH = "/v1/health"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# A port from free_port() can be taken by someone else before the server binds it;
# retrying with a new port makes that race harmless instead of a flaky test.
_PORT_ATTEMPTS = 3


class MarketplaceStartError(RuntimeError):
    """The server process exited or never became healthy; carries its output."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MarketplaceServer:
    """A running ``marketplace serve`` subprocess. Use as a context manager or call stop()."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        database_url: str,
        log_path: Path,
    ) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database_url = database_url
        self.log_path = log_path

    def __enter__(self) -> MarketplaceServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MarketplaceServer(url={self.url!r}, pid={self.process.pid})"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """The server's combined stdout/stderr so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Terminate the server's process group, then kill it if it does not exit."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_S)
        else:
            # The leader is gone, but a worker it spawned could still hold the port.
            _signal_group(self.process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _default_database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'marketplace.sqlite3'}"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_marketplace(
    tmp_path: Path,
    database_url: str | None = None,
    demo: bool = True,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_S,
) -> MarketplaceServer:
    """Run ``python -m marketplace serve`` on a free 127.0.0.1 port and wait until healthy.

    ``database_url`` defaults to a fresh SQLite file under ``tmp_path``. ``demo`` adds
    ``--demo`` (seeded demo business and accounts). ``extra_env`` is layered over the
    current environment (which the autouse fixtures in tests/conftest.py already point
    at temporary directories). Raises :class:`MarketplaceStartError` with the server's
    output if it exits or is not healthy within ``timeout`` seconds.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    database_url = database_url or _default_database_url(tmp_path)
    env = dict(os.environ)
    env.update(extra_env or {})
    env.setdefault("PYTHONUNBUFFERED", "1")

    last_error: MarketplaceStartError | None = None
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port = free_port()
        log_path = tmp_path / f"marketplace-{port}.log"
        command = [
            sys.executable, "-m", "marketplace", "serve",
            "--host", "127.0.0.1", "--port", str(port), "--database", database_url,
        ]  # fmt: skip
        if demo:
            command.append("--demo")
        with log_path.open("wb") as log:
            # Output goes to a file, not a pipe: a chatty server must never block on a
            # full pipe nobody reads. A new session lets stop() signal the whole group.
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = MarketplaceServer(process, port, database_url, log_path)
        try:
            _wait_healthy(server, command, timeout)
        except MarketplaceStartError as exc:
            server.stop()
            last_error = exc
            if "address already in use" in server.output().lower() and attempt < _PORT_ATTEMPTS:
                continue
            raise
        return server
    assert last_error is not None
    raise last_error


def _wait_healthy(server: MarketplaceServer, command: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.running:
            raise MarketplaceStartError(
                f"marketplace server exited with code {server.process.returncode} before it "
                f"was healthy.\ncommand: {' '.join(command)}\n--- output ---\n{server.output()}"
            )
        if _healthy(server.url):
            return
        time.sleep(0.1)
    raise MarketplaceStartError(
        f"marketplace server did not answer 200 on {server.url}{HEALTH_PATH} within "
        f"{timeout:.0f} s.\ncommand: {' '.join(command)}\n--- output ---\n{server.output()}"
    )
