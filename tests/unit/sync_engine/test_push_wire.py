"""What one push costs on the wire: `proapp.api.client.push_request_body`, and how the
client learns the codings a server takes (``Accept-Encoding`` on its answers)."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import UTC, datetime

import httpx

from proapp.api.client import GZIP_MIN_BYTES, MarketplaceClient, push_request_body
from proapp.api.models import PushMutation, Session
from proapp.domain.enums import Role
from proapp.domain.models import User
from proapp.domain.wire import DICTIONARY_CODING
from tests.support.faults import decoded_body

_ID = "0f21ddb6-6cad-4a26-8d11-6ece1738f7d9"


def _message(mid: int, body: str, base_version: int | None = None) -> PushMutation:
    return PushMutation(mid=mid, id=_ID, name="message.send",
                        args={"message_id": _ID, "job_id": _ID, "body": body},
                        base_version=base_version)


def test_small_push_is_compact_json_without_null_base_version() -> None:
    body, headers = push_request_body([_message(1, "hi")])
    assert headers == {"Content-Type": "application/json"}
    assert b" " not in body  # compact separators
    assert json.loads(body) == {"mutations": [
        {"mid": 1, "id": _ID, "name": "message.send",
         "args": {"message_id": _ID, "job_id": _ID, "body": "hi"}}
    ]}
    assert len(body) < GZIP_MIN_BYTES


def test_larger_push_is_gzipped_and_keeps_what_differs_from_defaults() -> None:
    mutations = [_message(mid, "On my way, about 15 minutes out. é", base_version=mid)
                 for mid in range(1, 4)]
    body, headers = push_request_body(mutations, resume_from=1)
    assert headers == {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    decoded = json.loads(gzip.decompress(body))
    assert decoded["resume_from"] == 1
    assert [m["base_version"] for m in decoded["mutations"]] == [1, 2, 3]
    assert decoded["mutations"][0]["args"]["body"].endswith("é")
    raw = json.dumps(decoded, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(body) < len(raw)


# ------------------------------------------------- the dictionary coding, negotiated

_BOTH = ("gzip", DICTIONARY_CODING)


def test_with_the_dictionary_even_one_small_mutation_is_compressed() -> None:
    mutation = PushMutation(mid=1, id=_ID, name="message.send",
                            args={"message_id": _ID, "job_id": _ID, "request_id": None,
                                  "body": "On my way"})
    plain, _ = push_request_body([mutation])
    body, headers = push_request_body([mutation], codings=_BOTH)
    assert headers == {"Content-Type": "application/json", "Content-Encoding": "deflate-dict"}
    assert len(body) < len(plain) * 0.7
    # The null request_id is the default: the server's validation puts it back.
    assert json.loads(decoded_body(body, "deflate-dict")) == {"mutations": [
        {"mid": 1, "id": _ID, "name": "message.send",
         "args": {"message_id": _ID, "job_id": _ID, "body": "On my way"}}
    ]}
    # A server that takes nothing but plain bodies gets one.
    raw, headers = push_request_body([mutation], codings=())
    assert "Content-Encoding" not in headers and json.loads(raw)["mutations"][0]["mid"] == 1


def _push_answer(request: httpx.Request) -> httpx.Response:
    mids = [m["mid"] for m in json.loads(
        decoded_body(request.content, request.headers.get("Content-Encoding")))["mutations"]]
    return httpx.Response(200, json={"last_mid": mids[-1], "results": [
        {"mid": mid, "id": _ID, "status": "applied", "result": {}} for mid in mids
    ]}, headers={"Accept-Encoding": "gzip, deflate-dict"})


def _session() -> Session:
    user = User(id=_ID, email="tess@brightfix.example", name="Tess", role=Role.TECHNICIAN,
                business_id=_ID)
    return Session(user=user, access_token="a", refresh_token="r",
                   access_expires_at=datetime(2030, 1, 1, tzinfo=UTC))


def test_the_client_uses_the_dictionary_once_the_server_says_it_takes_it() -> None:
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return _push_answer(request)

    async def scenario() -> None:
        async with MarketplaceClient("https://pros.example.com", session=_session(),
                                     transport=httpx.MockTransport(server)) as client:
            long = "On my way, about 15 minutes out. " * 8
            await client.push("device-1", [_message(1, long)])  # before any answer: gzip
            await client.push("device-1", [_message(2, "hi")])

    asyncio.run(scenario())
    assert [r.headers.get("Content-Encoding") for r in sent] == ["gzip", "deflate-dict"]


def test_a_server_refusing_the_dictionary_gets_the_same_push_again_without_it() -> None:
    sent: list[httpx.Request] = []

    def old_server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.headers.get("Content-Encoding") == "deflate-dict":
            # It knows the coding but not this dictionary (the app is newer).
            return httpx.Response(415, json={"code": "unsupported_media_type",
                                             "message": "no", "details": {}},
                                  headers={"Accept-Encoding": "gzip, deflate-dict"})
        return _push_answer(request)

    async def scenario() -> list[int]:
        async with MarketplaceClient("https://pros.example.com", session=_session(),
                                     transport=httpx.MockTransport(old_server)) as client:
            first = await client.push("device-1", [_message(1, "hi")])  # learns, plain
            second = await client.push("device-1", [_message(2, "hi"), _message(3, "yo")])
            third = await client.push("device-1", [_message(4, "hi")])
            return [first.last_mid, second.last_mid, third.last_mid]

    assert asyncio.run(scenario()) == [1, 3, 4]
    codings = [r.headers.get("Content-Encoding") for r in sent]
    # Refused once, resent gzipped; never tried again even though still advertised.
    assert codings == [None, "deflate-dict", "gzip", None]
    assert decoded_body(sent[1].content, "deflate-dict") == gzip.decompress(sent[2].content)
