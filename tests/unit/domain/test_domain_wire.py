"""The push body's wire format shared by client and server: `proapp.domain.wire`."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from typing import Any

import pytest

from proapp.domain.commands import PRO_COMMANDS, parse_command_args
from proapp.domain.wire import (
    CURRENT_DICTIONARY,
    DICTIONARIES,
    deflate_with_dictionary,
    stream_dictionary,
    strip_defaults,
)
from tests.unit.domain.test_domain_commands import valid_args

# Every released dictionary, by DICTID, with its SHA-256. Clients in the field send
# streams that need these exact bytes: never edit one, add the next version instead.
RELEASED = {
    340217046: "383c7167237cfc7a52f6cc945eb86af855fb2d706b032e26eef08f54b5feb6c7",
}


def _inflate(data: bytes) -> bytes:
    dictionary = stream_dictionary(data)
    assert dictionary is not None
    inflater = zlib.decompressobj(zdict=dictionary)
    out = inflater.decompress(data)
    assert inflater.eof and not inflater.unused_data
    return out


def test_released_dictionaries_never_change() -> None:
    assert {
        dict_id: hashlib.sha256(data).hexdigest() for dict_id, data in DICTIONARIES.items()
    } == RELEASED
    for dict_id, data in DICTIONARIES.items():
        assert zlib.adler32(data) == dict_id
        assert len(data) <= 32 * 1024  # deflate's window: more would never be used
    assert CURRENT_DICTIONARY in DICTIONARIES.values()


def test_a_stream_names_its_dictionary_and_round_trips() -> None:
    raw = json.dumps({"mutations": [{"mid": 1, "id": "x", "name": "job.start",
                                     "args": {"job_id": "é"}}]}).encode()
    packed = deflate_with_dictionary(raw)
    assert stream_dictionary(packed) is CURRENT_DICTIONARY
    assert _inflate(packed) == raw
    # The point of the dictionary: a single small mutation compresses, where gzip
    # (which has nothing earlier to refer to) makes it bigger.
    assert len(packed) < len(raw) < len(gzip.compress(raw))
    # Without the dictionary the stream cannot be read.
    with pytest.raises(zlib.error):
        zlib.decompress(packed)


def test_streams_without_a_known_dictionary_are_told_apart() -> None:
    raw = b'{"mutations":[]}'
    with pytest.raises(ValueError, match="preset dictionary"):
        stream_dictionary(zlib.compress(raw))  # zlib, but no dictionary
    with pytest.raises(ValueError, match="preset dictionary"):
        stream_dictionary(gzip.compress(raw))
    with pytest.raises(ValueError, match="too short"):
        stream_dictionary(b"\x78\xbb")
    other = zlib.compressobj(zdict=b"some dictionary a newer client has")
    unknown = other.compress(raw) + other.flush()
    assert stream_dictionary(unknown) is None


@pytest.mark.parametrize("name", sorted(PRO_COMMANDS))
def test_stripping_defaults_loses_nothing_the_server_restores(name: str) -> None:
    full = parse_command_args(name, valid_args()[name]).model_dump(mode="json")
    stripped = strip_defaults(name, full)
    assert parse_command_args(name, stripped) == parse_command_args(name, full)
    # Exactly the arguments equal to their defaults went.
    gone = set(full) - set(stripped)
    fields = PRO_COMMANDS[name].model_fields
    assert all(not fields[key].is_required() for key in gone)
    assert all(stripped[key] == full[key] for key in stripped)


def test_only_values_that_are_the_default_are_stripped() -> None:
    args: dict[str, Any] = {
        "message_id": "m", "job_id": "j", "request_id": None, "body": "Hi",
    }
    assert strip_defaults("message.send", args) == {"message_id": "m", "job_id": "j",
                                                    "body": "Hi"}
    visit = {"price_cents": 5000, "discount_cents": 0, "note": "", "waiver_terms": "NONE"}
    assert strip_defaults("visit.propose", visit) == {"price_cents": 5000}
    # Equal is not enough: False == 0, but False is not the default 0.
    assert strip_defaults("visit.propose", {"discount_cents": False}) == {
        "discount_cents": False
    }
    assert strip_defaults("estimate.submit", {"valid_days": 30, "photo_hashes": []}) == {
        "valid_days": 30
    }
    # A command this build does not know travels whole (the server will say why).
    assert strip_defaults("job.start.v9", {"note": ""}) == {"note": ""}
