"""`FakeSyncServer`: docs/SYNC.md implemented in memory, served through httpx.MockTransport.

The real `MarketplaceClient` talks to it, so the engine's tests run the real HTTP code.
Faults come from a `FaultPlan` consulted on every request: lose the request (the server
never sees it), lose the response after the server committed, answer 503 with
Retry-After, or duplicate a request (the server handles it twice, the client sees the
second answer). `RandomFaultPlan` draws them from a seeded RNG for the fault-simulation
harness; `ScriptedFaultPlan` fires exact faults for focused tests.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx

from proapp.domain.commands import PRO_COMMANDS
from proapp.domain.wire import REQUEST_CODINGS
from tests.support.faults import decoded_body

USER = {
    "id": "8a0c1f2e-0000-4000-8000-000000000001",
    "email": "tess@brightfix.example",
    "name": "Tess Rivera",
    "role": "technician",
    "business_id": "8a0c1f2e-0000-4000-8000-0000000000b1",
}
PASSWORD = "demo-tech-pass"
BASE_URL = "http://127.0.0.1:8765"


class Fault(Enum):
    """What goes wrong with one request."""

    LOST_REQUEST = "lost_request"  # connection fails before the server sees anything
    LOST_RESPONSE = "lost_response"  # the server commits, the answer never arrives
    UNAVAILABLE = "unavailable"  # 503 + Retry-After, nothing changes
    DUPLICATE = "duplicate"  # the server handles the request twice (a network replay)
    DELAYED = "delayed"  # the client gives up on it; it reaches the server after the next one


class FaultPlan:
    """Decides the fault (or None) for each request. The default injects nothing."""

    retry_after_s: int = 5

    def fault_for(self, request: httpx.Request) -> Fault | None:  # noqa: ARG002 - hook
        return None


@dataclass
class Rule:
    method: str
    path_prefix: str
    fault: Fault
    skip: int = 0  # let this many matching requests through first
    times: int = 1


class ScriptedFaultPlan(FaultPlan):
    """Fires each rule on the matching requests after ``skip`` of them, ``times`` times."""

    def __init__(self, *rules: Rule, retry_after_s: int = 5) -> None:
        self.rules = list(rules)
        self.retry_after_s = retry_after_s

    def fault_for(self, request: httpx.Request) -> Fault | None:
        for rule in self.rules:
            if request.method != rule.method or not request.url.path.startswith(rule.path_prefix):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            if rule.times > 0:
                rule.times -= 1
                return rule.fault
        return None


class RandomFaultPlan(FaultPlan):
    """Seeded random faults on sync traffic (for the fault-simulation harness)."""

    def __init__(self, seed: int, rates: dict[Fault, float]) -> None:
        self.rng = random.Random(seed)
        self.rates = rates

    def fault_for(self, request: httpx.Request) -> Fault | None:
        if request.url.path.startswith("/v1/auth"):
            return None
        roll = self.rng.random()
        acc = 0.0
        for fault, rate in self.rates.items():
            acc += rate
            if roll < acc:
                return fault
        return None


@dataclass
class ClientRecord:
    last_mid: int = 0
    results: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Upload:
    sha256: str
    size: int
    content_type: str
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False


class Rejection(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.body = {"code": code, "message": message, "details": details or {}}


Handler = Callable[[str, dict[str, Any], "int | None"], dict[str, Any]]


class FakeSyncServer:
    """In-memory marketplace: auth, push/pull (docs/SYNC.md), blobs and uploads."""

    def __init__(self, fault_plan: FaultPlan | None = None) -> None:
        self.fault_plan = fault_plan or FaultPlan()
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.clients: dict[str, ClientRecord] = {}
        self.entities: dict[tuple[str, str], dict[str, Any]] = {}  # kind,id -> row
        self.seq = 0
        self.blobs: dict[str, bytes] = {}
        self.uploads: dict[str, Upload] = {}
        self.applied_log: list[tuple[str, int, str]] = []  # (client, mid, mutation id)
        self.reject_names: dict[str, tuple[str, str]] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: list[tuple[str, str]] = []
        self.delayed: list[httpx.Request] = []
        self.push_batches: list[list[int]] = []
        self.patch_bytes = 0  # bytes the server accepted through PATCH
        self.patch_bytes_sent = 0  # bytes clients sent through PATCH (lost ones included)
        self.refreshes = 0
        self.supports_uploads = True

    # ------------------------------------------------------------------ setup helpers

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def issue_tokens(self) -> tuple[str, str]:
        access, refresh = f"a-{uuid.uuid4()}", f"r-{uuid.uuid4()}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def revoke_all(self) -> None:
        self.access_tokens.clear()
        self.refresh_tokens.clear()

    def forget_client(self, client_id: str) -> None:
        self.clients.pop(client_id, None)

    def put_entity(self, kind: str, entity_id: str, data: dict[str, Any] | None) -> int:
        """A change made on the server side (office staff, customer): bumps the feed."""
        self.seq += 1
        row = self.entities.get((kind, entity_id))
        version = (row["version"] if row else 0) + 1
        self.entities[(kind, entity_id)] = {
            "version": version,
            "data": data,
            "seq": self.seq,
        }
        return version

    def reject(
        self,
        name: str,
        code: str = "job_cancelled",
        message: str = "The customer cancelled this job.",
    ) -> None:
        self.reject_names[name] = (code, message)

    # ------------------------------------------------------------------ transport

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.method == "PATCH":
            self.patch_bytes_sent += len(request.content)
        fault = self.fault_plan.fault_for(request)
        if fault is Fault.LOST_REQUEST:
            raise httpx.ConnectError("fault: lost request", request=request)
        if fault is Fault.UNAVAILABLE:
            return self._error(
                503,
                "unavailable",
                "The server is busy.",
                headers={"Retry-After": str(self.fault_plan.retry_after_s)},
            )
        if fault is Fault.DELAYED:
            self.delayed.append(request)
            raise httpx.ReadTimeout("fault: delayed past the client's timeout", request=request)
        response = self._dispatch(request)
        # Requests the network held back arrive now, after a newer one (reordering);
        # nobody hears their answers any more.
        late, self.delayed = self.delayed, []
        for old in late:
            self._dispatch(old)
        if fault is Fault.DUPLICATE:
            response = self._dispatch(request)
        if fault is Fault.LOST_RESPONSE:
            raise httpx.ReadError("fault: lost response", request=request)
        # As the real server: the request codings it accepts, on every answer (RFC 7694).
        response.headers["Accept-Encoding"] = ", ".join(REQUEST_CODINGS)
        return response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/v1/auth/login" and method == "POST":
            return self._login(request)
        if path == "/v1/auth/refresh" and method == "POST":
            return self._refresh(request)
        if path == "/v1/auth/logout" and method == "POST":
            token = json.loads(request.content)["refresh_token"]
            self.refresh_tokens.discard(token)
            return httpx.Response(204)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return self._error(401, "unauthorized", "Sign in again.")
        if path == "/v1/sync/push" and method == "POST":
            return self._push(request)
        if path == "/v1/sync/pull" and method == "GET":
            return self._pull(request)
        if path.startswith("/v1/blobs/") and method == "PUT":
            return self._put_blob(request, path.rsplit("/", 1)[1])
        if path.startswith("/v1/blobs/") and method == "GET":
            data = self.blobs.get(path.rsplit("/", 1)[1])
            if data is None:
                return self._error(404, "not_found", "No such image for your account.")
            return httpx.Response(200, content=data, headers={"Content-Type": "image/jpeg"})
        if path == "/v1/uploads" and method == "POST" and self.supports_uploads:
            return self._create_upload(request)
        if path.startswith("/v1/uploads/") and self.supports_uploads:
            upload_id = path.rsplit("/", 1)[1]
            if method == "HEAD":
                return self._head_upload(upload_id)
            if method == "PATCH":
                return self._patch_upload(request, upload_id)
        return self._error(404, "not_found", "No such endpoint.")

    @staticmethod
    def _error(
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return httpx.Response(
            status,
            json={"code": code, "message": message, "details": details or {}},
            headers=headers,
        )

    def _tokens(self) -> httpx.Response:
        access, refresh = self.issue_tokens()
        return httpx.Response(
            200,
            json={
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "expires_in": 900,
                "user": USER,
            },
        )

    def _login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("email") != USER["email"] or body.get("password") != PASSWORD:
            return self._error(401, "unauthorized", "Wrong email or password.")
        return self._tokens()

    def _refresh(self, request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("refresh_token")
        if token not in self.refresh_tokens:
            return self._error(401, "unauthorized", "Your session has ended.")
        self.refresh_tokens.discard(token)  # rotation: the old one dies
        self.refreshes += 1
        return self._tokens()

    # ------------------------------------------------------------------ push

    def _push(self, request: httpx.Request) -> httpx.Response:
        client_id = request.headers["X-Client-Id"]
        body = json.loads(decoded_body(request.content, request.headers.get("Content-Encoding")))
        mutations = body["mutations"]
        assert len(mutations) <= 100, "batch too large"
        mids = [m["mid"] for m in mutations]
        assert mids == sorted(mids) and len(set(mids)) == len(mids), "mids out of order"
        self.push_batches.append(mids)
        record = self.clients.get(client_id)
        if record is None:
            record = ClientRecord()
            self.clients[client_id] = record
        if body.get("resume_from") and record.last_mid == 0 and not record.results:
            # A record that has processed nothing counts as no record (docs/SYNC.md).
            record.last_mid = int(body["resume_from"]) - 1
        results: list[dict[str, Any]] = []
        stopped = None
        for m in mutations:
            mid = m["mid"]
            if mid <= record.last_mid:
                stored = record.results.get(mid)
                if stored is None:
                    continue  # older than what we keep; the client already had an answer
                if stored["id"] != m["id"]:
                    return self._error(409, "mid_conflict", "Two histories.", {"mid": mid})
                results.append(stored)
                continue
            if mid > record.last_mid + 1:
                stopped = {"code": "out_of_order", "expected_mid": record.last_mid + 1}
                break
            result = self._apply(client_id, m)
            record.results[mid] = result
            record.last_mid = mid
            results.append(result)
        return httpx.Response(
            200, json={"last_mid": record.last_mid, "results": results, "stopped": stopped}
        )

    def _apply(self, client_id: str, m: dict[str, Any]) -> dict[str, Any]:
        name, args = m["name"], m["args"]
        base = {"mid": m["mid"], "id": m["id"]}
        try:
            if name in self.reject_names:
                code, message = self.reject_names[name]
                raise Rejection(code, message, {"name": name})
            for blob in PRO_COMMANDS[name].model_validate(args).blob_hashes():
                if blob not in self.blobs:
                    raise Rejection("invalid", "A photo is missing.", {"missing": blob})
            if name in self.handlers:
                result = self.handlers[name](name, args, m.get("base_version"))
            else:
                result = self._default_handler(name, args, m.get("base_version"))
        except Rejection as exc:
            return {**base, "status": "rejected", "error": exc.body}
        self.applied_log.append((client_id, m["mid"], m["id"]))
        return {**base, "status": "applied", "result": result}

    def _default_handler(
        self, name: str, args: dict[str, Any], base_version: int | None
    ) -> dict[str, Any]:
        model = PRO_COMMANDS[name].model_validate(args)
        kind, entity_id = model.entity_kind, model.entity_id()
        row = self.entities.get((kind, entity_id))
        current = row["version"] if row else 0
        if base_version is not None and base_version != current:
            raise Rejection(
                "stale_base", "Someone changed this meanwhile.", {"current_version": current}
            )
        data = dict(row["data"] or {}) if row else {"id": entity_id}
        data.setdefault("commands", [])
        data["commands"] = [*data["commands"], name]
        version = self.put_entity(kind, entity_id, data)
        return {"kind": kind, "id": entity_id, "version": version}

    # ------------------------------------------------------------------ pull

    def _pull(self, request: httpx.Request) -> httpx.Response:
        client_id = request.headers["X-Client-Id"]
        cursor = int(request.url.params.get("cursor") or 0)
        limit = int(request.url.params.get("limit") or 200)
        rows = sorted(
            (
                (row["seq"], kind, eid, row)
                for (kind, eid), row in self.entities.items()
                if row["seq"] > cursor
            ),
        )
        page = rows[:limit]
        changes = []
        for seq, kind, eid, row in page:
            if row["data"] is None:
                changes.append(
                    {"kind": kind, "id": eid, "version": row["version"], "op": "delete", "seq": seq}
                )
            else:
                changes.append(
                    {
                        "kind": kind,
                        "id": eid,
                        "version": row["version"],
                        "op": "upsert",
                        "data": row["data"],
                        "seq": seq,
                    }
                )
        new_cursor = page[-1][0] if page else max(cursor, 0)
        record = self.clients.get(client_id)
        return httpx.Response(
            200,
            json={
                "changes": changes,
                "cursor": str(new_cursor),
                "has_more": len(rows) > limit,
                "last_mid": record.last_mid if record else 0,
            },
        )

    # ------------------------------------------------------------------ blobs

    def _put_blob(self, request: httpx.Request, sha: str) -> httpx.Response:
        data = request.content
        if hashlib.sha256(data).hexdigest() != sha:
            return self._error(422, "invalid", "Hash mismatch.")
        if request.headers.get("Content-Type") not in {"image/jpeg", "image/png"}:
            return self._error(415, "unsupported_media_type", "Not an image.")
        created = sha not in self.blobs
        self.blobs[sha] = data
        return httpx.Response(
            201 if created else 200,
            json={"sha256": sha, "size": len(data), "content_type": "image/jpeg"},
        )

    def _create_upload(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["sha256"] in self.blobs:
            return httpx.Response(
                200, json={"upload_id": None, "offset": body["size"], "complete": True}
            )
        if body["content_type"] not in {"image/jpeg", "image/png"}:
            return self._error(415, "unsupported_media_type", "Not an image.")
        upload_id = uuid.uuid4().hex
        self.uploads[upload_id] = Upload(body["sha256"], body["size"], body["content_type"])
        return httpx.Response(
            201,
            json={"upload_id": upload_id, "offset": 0, "complete": False},
            headers={"Location": f"/v1/uploads/{upload_id}"},
        )

    def _head_upload(self, upload_id: str) -> httpx.Response:
        upload = self.uploads.get(upload_id)
        if upload is None:
            return httpx.Response(404)
        return httpx.Response(
            200, headers={"Upload-Offset": str(len(upload.data)), "Upload-Length": str(upload.size)}
        )

    def _patch_upload(self, request: httpx.Request, upload_id: str) -> httpx.Response:
        upload = self.uploads.get(upload_id)
        if upload is None:
            return self._error(404, "not_found", "No such upload.")
        assert request.headers["Content-Type"] == "application/offset+octet-stream"
        offset = int(request.headers["Upload-Offset"])
        if offset != len(upload.data):
            return self._error(409, "conflict", "Offset mismatch.", {"offset": len(upload.data)})
        chunk = request.content
        if offset + len(chunk) > upload.size:
            return self._error(413, "payload_too_large", "Past the declared size.")
        upload.data.extend(chunk)
        self.patch_bytes += len(chunk)
        if len(upload.data) == upload.size and not upload.complete:
            if hashlib.sha256(upload.data).hexdigest() != upload.sha256:
                del self.uploads[upload_id]
                return self._error(422, "invalid", "Checksum mismatch.")
            upload.complete = True
            self.blobs[upload.sha256] = bytes(upload.data)
        return httpx.Response(204, headers={"Upload-Offset": str(len(upload.data))})
