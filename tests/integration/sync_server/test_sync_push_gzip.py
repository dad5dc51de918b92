"""Gzipped request bodies (``Content-Encoding: gzip``): accepted for JSON, capped once
inflated (a gzip bomb is 413), refused when broken (422) or in another coding (415)."""

from __future__ import annotations

import gzip
import json

from marketplace.app import JSON_BODY_MAX_BYTES
from tests.integration.sync_server.conftest import Crew, Device, message


def _post(device: Device, body: bytes, encoding: str = "gzip", path: str = "/v1/sync/push"
          ) -> tuple[int, dict[str, object]]:
    response = device.user.client.post(
        path, content=body,
        headers={**device.user.headers, "X-Client-Id": device.client_id,
                 "Content-Type": "application/json", "Content-Encoding": encoding},
    )
    return response.status_code, response.json()


def test_a_gzipped_push_is_applied(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    mutations = [device.mutation("message.send", message(job, f"note {i}")) for i in range(3)]
    status, body = _post(device, gzip.compress(json.dumps({"mutations": mutations}).encode()))
    assert status == 200, body
    assert [r["status"] for r in body["results"]] == ["applied"] * 3  # type: ignore[union-attr]


def test_a_gzip_bomb_is_refused_after_the_limit(crew: Crew) -> None:
    device = Device(crew.tess)
    padding = " " * (JSON_BODY_MAX_BYTES + 1)
    bomb = gzip.compress(('{"mutations":[]' + padding + "}").encode())
    assert len(bomb) < 10_000  # tiny on the wire
    status, body = _post(device, bomb)
    assert status == 413 and body["code"] == "payload_too_large"


def test_broken_gzip_and_other_codings_are_refused(crew: Crew) -> None:
    device = Device(crew.tess)
    whole = gzip.compress(b'{"mutations":[]}')
    status, body = _post(device, whole[:-6])
    assert status == 422 and body["code"] == "invalid"
    status, body = _post(device, whole + whole)
    assert status == 422 and body["code"] == "invalid"
    status, body = _post(device, b'{"mutations":[]}', encoding="br")
    assert status == 415 and body["code"] == "unsupported_media_type"
    status, body = _post(device, whole, path=f"/v1/blobs/{'0' * 64}")
    assert status == 415 and body["code"] == "unsupported_media_type"
    # Identity is the same as no coding at all.
    status, body = _post(device, b'{"mutations":[]}', encoding="identity")
    assert status == 200 and body["results"] == []
