"""Seeded network faults for sync tests, plus a file-backed keyring for subprocesses.

`FaultyTransport` wraps any httpx transport (in the sync simulation: an ASGI transport on
the real marketplace app) and, per request, lets a seeded `FaultPlan` choose what goes
wrong: the request never arrives, the answer is lost after the server committed, a 503,
a server restart, a duplicate or an out-of-order (stale) resend, or the client process
"dies" before or after the server handled the request. Every decision is appended to a
trace, so a failing seed prints what happened and replays exactly.

`FileKeyring` is a ``keyring`` backend that keeps secrets in a JSON file named by
``PROAPP_TEST_KEYRING_FILE``: a test and the ``python -m proapp.sync`` subprocesses it
starts (select it with ``PYTHON_KEYRING_BACKEND=tests.support.faults.FileKeyring``) then
share one refresh token, including its rotations. Tests only; never shipped.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import threading
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from proapp.domain.wire import DICTIONARY_CODING, stream_dictionary

__all__ = [
    "FILE_KEYRING_ENV",
    "FILE_KEYRING_PATH",
    "ClientKilled",
    "Fault",
    "FaultPlan",
    "FaultyTransport",
    "FileKeyring",
    "raw_body",
]

FILE_KEYRING_ENV = "PROAPP_TEST_KEYRING_FILE"
FILE_KEYRING_PATH = "tests.support.faults.FileKeyring"
"""Dotted path for ``PYTHON_KEYRING_BACKEND`` in subprocesses."""


class Fault(StrEnum):
    """What happens to one request."""

    PASS = "pass"
    LOST_REQUEST = "lost_request"  # never reaches the server
    LOST_RESPONSE = "lost_response"  # the server handled (committed) it; the answer is lost
    UNAVAILABLE = "503"  # the server (a proxy in front of it) answers 503 + Retry-After
    RESTART = "restart"  # the server restarts (new app, same database) before handling it
    DUPLICATE = "duplicate"  # the request arrives twice (a retrying proxy)
    STALE_REPLAY = "stale_replay"  # an earlier push body arrives again first (out of order)
    REORDER = "reorder"  # the batch's tail arrives first (a later request overtook it)
    CANCEL_RACE = "cancel_race"  # a customer cancels a job this push touches, just before
    KILL_BEFORE = "kill_before"  # the client dies after sending, before the server got it
    KILL_AFTER = "kill_after"  # the client dies after the server handled it


class ClientKilled(Exception):  # noqa: N818 - it is an event, not an error
    """Raised through the client and engine to simulate the app process dying mid-call.

    Not an httpx error, so the API client does not turn it into a NetworkError and the
    engine does not record a failure: whatever the store held at that moment is what a
    crashed app leaves behind (e.g. rows still marked in flight).
    """


@dataclass
class FaultPlan:
    """Chooses a `Fault` per request from seeded rates (the rest pass).

    ``rates`` maps a fault to its probability; only faults whose ``applies`` predicate
    accepts the request (e.g. stale replays only for pushes) are considered. Set
    ``enabled`` False for the final, fault-free sync.
    """

    rng: random.Random
    rates: Mapping[Fault, float]
    enabled: bool = True

    def choose(self, allowed: frozenset[Fault]) -> Fault:
        if not self.enabled:
            return Fault.PASS
        roll = self.rng.random()
        for fault, rate in self.rates.items():
            if fault not in allowed:
                continue
            if roll < rate:
                return fault
            roll -= rate
        return Fault.PASS


def decoded_body(content: bytes, coding: str | None) -> bytes:
    """A request body without its content coding: gzip, or ``deflate-dict`` (zlib from
    the push dictionary its header names; `proapp.domain.wire`)."""
    coding = (coding or "").lower()
    if coding == "gzip":
        return gzip.decompress(content)
    if coding == DICTIONARY_CODING:
        dictionary = stream_dictionary(content)
        assert dictionary is not None, "a push dictionary this code does not know"
        return zlib.decompressobj(zdict=dictionary).decompress(content)
    assert coding in ("", "identity"), coding
    return content


def _plain(request: httpx.Request) -> bytes:
    """The request body without its content coding (the client compresses pushes)."""
    return decoded_body(request.content, request.headers.get("Content-Encoding"))


async def raw_body(response: httpx.Response) -> bytes:
    """A transport's response body as it came, still in its content coding (pull pages
    are gzipped): a wrapping transport passes these bytes on with the same headers, and
    the client decodes them once (``aread`` would decode here, and the client again)."""
    return b"".join([chunk async for chunk in response.aiter_raw()])


def _copy(request: httpx.Request, content: bytes | None = None) -> httpx.Request:
    # Content-Length is recomputed: a stale or reordered body has another length. A
    # replacement body is plain JSON (see `_plain`), so the content coding goes too.
    dropped = {b"content-length"} if content is None else {b"content-length",
                                                           b"content-encoding"}
    headers = [(k, v) for k, v in request.headers.raw if k.lower() not in dropped]
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=request.content if content is None else content,
    )


PushHook = Callable[[bytes], Awaitable[str | None]]
"""Called with a push body just before it is forwarded (customer races); returns a note."""


@dataclass
class FaultyTransport(httpx.AsyncBaseTransport):
    """An httpx transport that injects the faults a `FaultPlan` chooses.

    Args:
        label: names the device in the trace (``tech``, ``dispatcher``).
        target: returns the current inner transport (it changes on a server restart).
        restart: restarts the server (a new app on the same database).
        plan: the seeded fault plan, shared by every device of a run.
        trace: where decisions are recorded (shared, in order).
        on_push: a race to run before a push is forwarded (`Fault.CANCEL_RACE`).
        faulty_paths: path prefixes that get faults; others (sign-in) always pass.
    """

    label: str
    target: Callable[[], httpx.AsyncBaseTransport]
    restart: Callable[[], None]
    plan: FaultPlan
    trace: list[str]
    on_push: PushHook | None = None
    faulty_paths: tuple[str, ...] = ("/v1/sync/", "/v1/blobs/", "/v1/uploads")
    push_history: list[bytes] = field(default_factory=list)
    requests_seen: int = 0

    async def _forward(self, request: httpx.Request) -> httpx.Response:
        response = await self.target().handle_async_request(_copy(request))
        body = await raw_body(response)
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests_seen += 1
        path = request.url.path
        if not path.startswith(self.faulty_paths):
            return await self._forward(request)
        is_push = path == "/v1/sync/push"
        allowed = set(Fault) - {Fault.PASS}
        if not is_push:
            allowed -= {Fault.STALE_REPLAY, Fault.CANCEL_RACE, Fault.REORDER}
        if is_push and self.on_push is None:
            allowed.discard(Fault.CANCEL_RACE)
        if is_push and not self.push_history:
            allowed.discard(Fault.STALE_REPLAY)
        fault = self.plan.choose(frozenset(allowed))
        entry = f"{self.label} {request.method} {path} {fault.value}"
        if fault is Fault.LOST_REQUEST:
            self.trace.append(entry)
            raise httpx.ConnectError("simulated: request lost", request=request)
        if fault is Fault.KILL_BEFORE:
            self.trace.append(entry)
            raise ClientKilled(entry)
        if fault is Fault.UNAVAILABLE:
            self.trace.append(entry)
            return httpx.Response(
                503,
                headers={"Retry-After": "1"},
                json={"code": "unavailable", "message": "simulated", "details": {}},
                request=request,
            )
        if fault is Fault.RESTART:
            self.restart()
        if fault is Fault.CANCEL_RACE and self.on_push is not None:
            note = await self.on_push(_plain(request))
            entry += f" ({note or 'nothing to cancel'})"
        if fault is Fault.STALE_REPLAY:
            old = self.plan.rng.choice(self.push_history)
            stale = await self._forward(_copy(request, old))
            entry += f" (stale answered {stale.status_code})"
        if fault is Fault.REORDER:
            body = json.loads(_plain(request))
            if len(body["mutations"]) > 1:
                body["mutations"] = body["mutations"][1:]
                body.pop("resume_from", None)
                ahead = await self._forward(_copy(request, json.dumps(body).encode()))
                entry += f" (tail answered {ahead.status_code})"
        self.trace.append(entry)
        if is_push:
            self.push_history.append(_plain(request))
        response = await self._forward(request)
        if fault is Fault.DUPLICATE:
            response = await self._forward(request)
        if fault is Fault.LOST_RESPONSE:
            raise httpx.ReadError("simulated: response lost", request=request)
        if fault is Fault.KILL_AFTER:
            raise ClientKilled(entry)
        return response


class FileKeyring(KeyringBackend):
    """A keyring in a JSON file (path from ``PROAPP_TEST_KEYRING_FILE``), so a test and
    its subprocesses share secrets. Writes replace the file atomically."""

    # Never auto-selected: tests choose it through PYTHON_KEYRING_BACKEND.
    priority = -1
    _lock = threading.Lock()

    @staticmethod
    def _path() -> Path:
        value = os.environ.get(FILE_KEYRING_ENV)
        if not value:
            raise RuntimeError(f"FileKeyring needs {FILE_KEYRING_ENV}")
        return Path(value)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        path = self._path()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, sort_keys=True))
        os.replace(tmp, path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\x1f{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            data = self._load()
            data[self._key(service, username)] = password
            self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            data = self._load()
            if data.pop(self._key(service, username), None) is None:
                raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
            self._save(data)
