"""The embedded demo backend: the reference marketplace server as a child process.

``python -m proapp`` with no ``--server`` starts ``python -m marketplace serve --demo``
on a free loopback port, with its SQLite database in ProApp's data directory, so a
newcomer gets a working app with demo data from one command. The server is a separate
process on purpose: proapp never imports marketplace (import-linter forbids it), the
app talks to it over HTTP exactly as it would to a real deployment, and a phone build
simply leaves it out.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import platformdirs

__all__ = [
    "DATA_DIR_ENV",
    "DemoAccount",
    "EmbeddedServer",
    "EmbeddedServerError",
    "app_data_dir",
    "fetch_demo_accounts",
    "free_port",
    "start_embedded_server",
    "start_marketplace_process",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "PROAPP_DATA_DIR"
"""Environment variable that overrides ProApp's data directory (tests set it)."""

HEALTH_PATH = "/v1/health"
_START_TIMEOUT_S = 45.0
_STOP_TIMEOUT_S = 10.0
_PORT_ATTEMPTS = 3


class EmbeddedServerError(RuntimeError):
    """The demo server could not be started; the message includes its output."""


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in the embedded server seeds (``marketplace demo-accounts``)."""

    role: str
    email: str
    password: str
    name: str = ""


def app_data_dir() -> Path:
    """ProApp's per-user data directory (``$PROAPP_DATA_DIR`` or the platform's), created."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir("proapp"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def fetch_demo_accounts(timeout: float = 30.0) -> list[DemoAccount]:
    """The demo accounts, from ``python -m marketplace demo-accounts`` (JSON).

    Returns an empty list (and logs why) if the command fails: the sign-in screen then
    simply shows no shortcuts.
    """
    command = [sys.executable, "-m", "marketplace", "demo-accounts"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            logger.warning("marketplace demo-accounts failed: %s", done.stderr.strip()[-500:])
            return []
        raw = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        logger.warning("could not read the demo accounts", exc_info=True)
        return []
    accounts = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and all(
            isinstance(item.get(k), str) for k in ("role", "email", "password")
        ):
            name = item.get("name")
            accounts.append(
                DemoAccount(
                    item["role"],
                    item["email"],
                    item["password"],
                    name if isinstance(name, str) else "",
                )
            )
    return accounts


class EmbeddedServer:
    """A running ``marketplace serve`` child process on 127.0.0.1. `stop` ends it."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        log_path: Path,
        database_url: str = "",
    ) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.database_url = database_url

    def __repr__(self) -> str:
        return f"EmbeddedServer(url={self.url!r}, pid={self.process.pid})"

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """The server's log so far (for error messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Ask the server to stop, then kill it if it does not exit in time."""
        if self.process.poll() is not None:
            # The leader is gone, but a worker it spawned could still hold the port.
            self._signal(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
            self.process.wait(timeout=_STOP_TIMEOUT_S)

    def _signal(self, sig: signal.Signals) -> None:
        try:
            if os.name == "posix":
                # The server runs in its own process group: reach workers it spawned too.
                os.killpg(self.process.pid, sig)
            else:  # pragma: no cover - Windows
                self.process.terminate()
        except ProcessLookupError:
            pass

    def wait_healthy(self, timeout: float) -> None:
        """Poll ``GET /v1/health`` until 200; raise `EmbeddedServerError` on exit/timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise EmbeddedServerError(
                    f"The marketplace server stopped (exit code {self.process.returncode}) before "
                    f"it was ready. Its log ({self.log_path}):\n{self.output()[-4000:]}"
                )
            try:
                with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise EmbeddedServerError(
            f"The marketplace server did not become ready within {timeout:.0f} s. "
            f"Its log ({self.log_path}):\n{self.output()[-4000:]}"
        )


def start_embedded_server(
    data_dir: Path | None = None, timeout: float = _START_TIMEOUT_S
) -> EmbeddedServer:
    """Start the demo marketplace on a free 127.0.0.1 port and wait until it is healthy.

    Its SQLite database is ``<data dir>/demo-marketplace.sqlite3`` (kept between runs, so
    what a newcomer does in the demo is still there next time); its log is
    ``<data dir>/demo-marketplace.log``.
    """
    data_dir = data_dir or app_data_dir()
    database = data_dir / "demo-marketplace.sqlite3"
    server = start_marketplace_process(
        database_url=f"sqlite:///{database}",
        log_path=lambda _port: data_dir / "demo-marketplace.log",
        timeout=timeout,
    )
    logger.info("demo server ready at %s (database %s)", server.url, database)
    return server


def start_marketplace_process(
    *,
    database_url: str,
    log_path: Callable[[int], Path],
    demo: bool = True,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = _START_TIMEOUT_S,
) -> EmbeddedServer:
    """Run ``python -m marketplace serve`` on 127.0.0.1 and wait until it is healthy.

    The one launcher for the embedded demo server and the test suite's servers.
    ``log_path(port)`` names the file its output goes to; ``port`` None picks a free one
    (retrying if another process takes it first); ``env`` defaults to this process's.
    Raises `EmbeddedServerError` with the server's log if it exits or is not healthy
    within ``timeout`` seconds.
    """
    last_error: EmbeddedServerError | None = None
    attempts = 1 if port is not None else _PORT_ATTEMPTS
    for attempt in range(1, attempts + 1):
        chosen = port if port is not None else free_port()
        command = [
            sys.executable, "-m", "marketplace", "serve",
            "--host", "127.0.0.1", "--port", str(chosen), "--database", database_url,
        ]  # fmt: skip
        if demo:
            command.append("--demo")
        log = log_path(chosen)
        with log.open("wb") as out:
            # A file, not a pipe: nobody reads a pipe while the app runs, and a full
            # pipe would freeze the server. Its own session lets stop() reach workers.
            process = subprocess.Popen(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"},
                start_new_session=(os.name == "posix"),
            )
        server = EmbeddedServer(process, chosen, log, database_url)
        try:
            server.wait_healthy(timeout)
        except EmbeddedServerError as exc:
            server.stop()
            last_error = exc
            # Someone took the port between free_port() and the bind: try another.
            if "address already in use" in server.output().lower() and attempt < attempts:
                continue
            raise
        return server
    assert last_error is not None
    raise last_error
