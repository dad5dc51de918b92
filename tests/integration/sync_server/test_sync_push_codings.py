"""Compressed request bodies (``Content-Encoding: gzip`` or ``deflate-dict``): accepted
for JSON, capped once inflated (a bomb is 413), refused when broken (422), in another
coding or with an unknown dictionary (415); every answer says what is accepted."""

from __future__ import annotations

import gzip
import json
import zlib

from marketplace.app import JSON_BODY_MAX_BYTES
from proapp.api.client import push_request_body
from proapp.api.models import PushMutation
from proapp.domain.wire import CURRENT_DICTIONARY, deflate_with_dictionary
from tests.integration.sync_server.conftest import Crew, Device, message


def _post(device: Device, body: bytes, encoding: str = "gzip", path: str = "/v1/sync/push"
          ) -> tuple[int, dict[str, object]]:
    response = device.user.client.post(
        path, content=body,
        headers={**device.user.headers, "X-Client-Id": device.client_id,
                 "Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert response.headers["Accept-Encoding"] == "gzip, deflate-dict"  # RFC 7694
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


def test_a_push_as_the_client_sends_it_with_the_dictionary_is_applied(crew: Crew) -> None:
    job = crew.job(crew.tess)
    device = Device(crew.tess)
    args = {**message(job, "Gate code 4417"), "request_id": None}
    mutations = [PushMutation.model_validate(device.mutation("message.send", args))]
    body, headers = push_request_body(mutations, codings=("gzip", "deflate-dict"))
    assert headers["Content-Encoding"] == "deflate-dict"
    status, answer = _post(device, body, encoding="deflate-dict")
    assert status == 200, answer
    assert [r["status"] for r in answer["results"]] == ["applied"]  # type: ignore[union-attr]
    assert b"request_id" not in zlib.decompressobj(zdict=CURRENT_DICTIONARY).decompress(body)
    # The argument left out as its default (request_id) was restored by validation.
    messages = crew.tess.client.get("/v1/messages", params={"job_id": job},
                                    headers=crew.tess.headers)
    assert messages.status_code == 200 and "Gate code 4417" in messages.text


def test_broken_unknown_and_oversized_dictionary_streams_are_refused(crew: Crew) -> None:
    device = Device(crew.tess)
    whole = deflate_with_dictionary(b'{"mutations":[]}')
    status, body = _post(device, whole[:-3], encoding="deflate-dict")
    assert status == 422 and body["code"] == "invalid"
    status, body = _post(device, zlib.compress(b'{"mutations":[]}'), encoding="deflate-dict")
    assert status == 422 and body["code"] == "invalid"  # zlib, but no dictionary named
    newer = zlib.compressobj(zdict=b"a dictionary only a newer app has")
    status, body = _post(device, newer.compress(b'{"mutations":[]}') + newer.flush(),
                         encoding="deflate-dict")
    assert status == 415 and body["code"] == "unsupported_media_type"
    bomb = deflate_with_dictionary(('{"mutations":[]' + " " * JSON_BODY_MAX_BYTES + "}").encode())
    assert len(bomb) < 10_000
    status, body = _post(device, bomb, encoding="deflate-dict")
    assert status == 413 and body["code"] == "payload_too_large"
