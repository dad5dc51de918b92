"""The API client's sync calls on the wire, the connectivity monitor, the cache mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from proapp.api import (
    InvalidResponseError,
    MarketplaceClient,
    PushMutation,
    ServerError,
    SyncChange,
)
from proapp.api.models import Session
from proapp.sync.connectivity import Connectivity, RequestConnectivityMonitor
from proapp.sync.repositories import server_entity_from_change
from tests.unit.client.fakes import NOW, make_user
from tests.unit.sync_engine.conftest import run

BASE = "https://pros.example.com"


def _client(handler: httpx.MockTransport) -> MarketplaceClient:
    session = Session(
        user=make_user(), access_token="tok", refresh_token="ref", access_expires_at=NOW
    )
    return MarketplaceClient(BASE, transport=handler, session=session)


def test_push_and_pull_requests_follow_the_contract() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/sync/push":
            return httpx.Response(
                200,
                json={
                    "last_mid": 7,
                    "results": [
                        {
                            "mid": 7,
                            "id": "m7",
                            "status": "applied",
                            "result": {"ok": True},
                            "extra": 1,
                        }
                    ],
                    "stopped": None,
                    "server_time": "later",
                },
            )
        return httpx.Response(
            200, json={"changes": [], "cursor": "c2", "has_more": False, "last_mid": 7}
        )

    async def body() -> None:
        client = _client(httpx.MockTransport(handler))
        response = await client.push(
            "cid",
            [PushMutation(mid=7, id="m7", name="job.start", args={"job_id": "j"}, base_version=3)],
            resume_from=7,
        )
        assert response.last_mid == 7 and response.results[0].status == "applied"
        page = await client.pull("cid", "c1", limit=50)
        assert page.cursor == "c2"
        await client.aclose()

    run(body())
    push, pull = seen
    assert push.headers["X-Client-Id"] == "cid" and push.headers["Authorization"] == "Bearer tok"
    assert json.loads(push.content) == {
        "mutations": [
            {"mid": 7, "id": "m7", "name": "job.start", "args": {"job_id": "j"}, "base_version": 3}
        ],
        "resume_from": 7,
    }
    assert pull.url.params["cursor"] == "c1" and pull.url.params["limit"] == "50"
    assert pull.headers["X-Client-Id"] == "cid"


def test_503_carries_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            headers={"Retry-After": "12"},
            json={"code": "unavailable", "message": "Busy.", "details": {}},
        )

    async def body() -> None:
        client = _client(httpx.MockTransport(handler))
        with pytest.raises(ServerError) as caught:
            await client.push("cid", [])
        assert caught.value.retry_after == 12 and caught.value.code == "unavailable"
        await client.aclose()

    run(body())


def test_upload_calls_and_url_guard() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(
                201,
                json={"upload_id": "u 1", "offset": 0},
                headers={"Location": "https://evil.example/steal"},
            )
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Upload-Offset": "5"})
        return httpx.Response(204, headers={"Upload-Offset": "9"})

    async def body() -> None:
        client = _client(httpx.MockTransport(handler))
        upload = await client.create_upload("a" * 64, 9, "image/jpeg")
        assert upload.url == "/v1/uploads/u%201" and not upload.complete  # Location ignored
        assert await client.upload_offset(upload.url) == 5
        assert await client.patch_upload(upload.url, 5, b"abcd") == 9
        with pytest.raises(InvalidResponseError):
            await client.upload_offset("https://evil.example/v1/uploads/x")
        await client.aclose()

    run(body())
    patch = seen[-1]
    assert patch.method == "PATCH" and patch.content == b"abcd"
    assert patch.headers["Upload-Offset"] == "5"
    assert patch.headers["Content-Type"] == "application/offset+octet-stream"
    assert all(r.url.host == "pros.example.com" for r in seen)


def test_connectivity_monitor_reports_changes_only() -> None:
    monitor = RequestConnectivityMonitor()
    changes: list[Connectivity] = []
    monitor.subscribe(changes.append)
    monitor.report_failure()
    monitor.report_failure()
    monitor.report_success()
    monitor.set_online(False)
    monitor.unsubscribe(changes.append)
    monitor.set_online(True)
    assert changes == [Connectivity.OFFLINE, Connectivity.ONLINE, Connectivity.OFFLINE]
    assert monitor.state is Connectivity.ONLINE


def test_pulled_changes_map_to_cache_rows() -> None:
    job = server_entity_from_change(
        SyncChange(
            kind="job",
            id="j1",
            version=4,
            seq=9,
            data={
                "appointment": {"window": {"start": "2026-11-27T16:00:00Z"}},
                "ordered_at": "2026-11-20",
            },
        )
    )
    assert job.list_key == "2026-11-27T16:00:00Z" and job.version == 4 and job.updated_seq == 9
    unscheduled = server_entity_from_change(
        SyncChange(kind="job", id="j2", data={"appointment": None, "ordered_at": "2026-11-20"})
    )
    assert unscheduled.list_key == "2026-11-20"
    estimate = server_entity_from_change(
        SyncChange(
            kind="estimate", id="e1", data={"request_id": "r1", "created_at": "x", "version": 2}
        )
    )
    assert estimate.parent_id == "r1" and estimate.version == 2
    gone = server_entity_from_change(SyncChange(kind="job", id="j3", op="delete"))
    assert gone.json is None
    unknown = server_entity_from_change(SyncChange(kind="gizmo", id="g", data={"a": 1}))
    assert unknown.list_key == "" and unknown.json == '{"a":1}'
