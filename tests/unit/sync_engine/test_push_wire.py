"""What one push costs on the wire: `proapp.api.client.push_request_body`."""

from __future__ import annotations

import gzip
import json

from proapp.api.client import GZIP_MIN_BYTES, push_request_body
from proapp.api.models import PushMutation

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
