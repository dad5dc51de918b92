"""How a sync push is made small on the wire (docs/SYNC.md, "Push bodies").

Pros push from phones on weak, metered signal, one action at a time more often than
not, so a push body is mostly what every push repeats: the envelope, the command name,
the argument keys, enum values, the consent sentence of the signing sheet. Two things
take that out, and both sides of the protocol share this module for them:

- `strip_defaults` leaves out top-level arguments equal to their default: the server
  validates the args with the same `proapp.domain.commands` model, which puts them back.
- ``Content-Encoding: deflate-dict`` (`DICTIONARY_CODING`): a zlib stream (RFC 1950)
  that starts from a preset dictionary holding those repeated strings, so even a
  one-mutation push compresses well (plain gzip cannot: it has nothing to refer back
  to yet). The stream's header names its dictionary (FDICT with the dictionary's
  Adler-32, the DICTID), so a server knows which one a client used.

A dictionary, once released, never changes: clients in the field send streams that
need it byte for byte. A better one is a new entry in `DICTIONARIES` (the old ones stay
decodable) and becomes `CURRENT_DICTIONARY`; tests/unit/domain/test_domain_wire.py pins
each one's SHA-256, so an edit in place fails the build.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from pydantic_core import PydanticUndefined, to_jsonable_python

from proapp.domain.commands import PRO_COMMANDS

__all__ = [
    "CURRENT_DICTIONARY",
    "DICTIONARIES",
    "DICTIONARY_CODING",
    "REQUEST_CODINGS",
    "deflate_with_dictionary",
    "stream_dictionary",
    "strip_defaults",
]

DICTIONARY_CODING: Final = "deflate-dict"
"""The content coding of a zlib stream with a preset dictionary from `DICTIONARIES`."""

REQUEST_CODINGS: Final = ("gzip", DICTIONARY_CODING)
"""The content codings a server accepts on JSON request bodies; it says so on every
answer in ``Accept-Encoding`` (RFC 7694), so a client learns what it may send."""

# Version 1. Least useful first: deflate reaches back 32 KiB, and the nearer the end of
# the dictionary a match is, the fewer bits its distance costs, so the envelope and the
# most frequent commands come last. Values are left empty: ids, hashes and free text
# differ every time; what repeats is the JSON around them, as the client writes it
# (compact, keys in the order of the domain models).
_V1_FRAGMENTS: Final = (
    # The signing sheet's consent sentences (R8, R9) and the signature record.
    'I reviewed this change order for "" with . I agree to the work added and removed '
    "above and to the new job price of $ (it was $). My card on file is charged through "
    "the marketplace only after I sign that the job is complete; I pay the pro nothing "
    'directly.I confirm the work on "" is complete as described above. I authorise the '
    "marketplace to charge $ to my card on file. I have not paid the pro directly and "
    "will not be asked to.",
    '"signature":{"signer_name":"","strokes":[[[],[]],[[]]],"png_sha256":"",'
    '"device_signed_at":"2026-","consent_text":"","pro_user_id":"","device_id":"",'
    '"location":{"lat_e6":,"lon_e6":-},"content_sha256":""}}',
    # The rarer commands.
    '"name":"job.assign","args":{"job_id":"","technician_ids":["",""]}',
    '"name":"estimate.withdraw","args":{"estimate_id":""}}',
    '"name":"job.report_defective","args":{"job_id":"","note":"","photo_hashes":[""]}',
    '"name":"change_order.create","args":{"change_order_id":"","job_id":"","reason":"",'
    '"added_lines":[{"id":"","kind":"PART","description":"","quantity":1,'
    '"unit_price_cents":}],"removed_line_ids":[""],"photo_hashes":[""],',
    '"name":"job.complete","args":{"job_id":"","summary":"",',
    '"name":"appointment.reschedule","args":{"job_id":"","window":{"start":"2026-T:00:00Z",'
    '"end":"2026-T:00:00Z"},"reason_code":"APPOINTMENT_REQUESTED_BY_CUSTOMER",'
    '"reason_code":"TECHNICIAN_ISSUE","reason_code":"WEATHER","reason_code":"OTHER",'
    '"reason_code":"PARTS_DELAYED","note":""},"base_version":',
    '"name":"window.propose","args":{"job_id":"","window":{"start":"2026-T:00:00Z",'
    '"end":"2026-T:00:00Z"},"note":""},"base_version":',
    '"name":"visit.propose","args":{"visit_id":"","request_id":"","price_cents":,'
    '"waiver_terms":"DISCOUNT_IF_PROCEED","discount_cents":,'
    '"waiver_terms":"WAIVE_IF_PROCEED","note":""}}',
    '"name":"estimate.submit","args":{"estimate_id":"","request_id":"","line_items":['
    '{"id":"","kind":"LABOR","description":"","quantity":1,"unit_price_cents":},'
    '{"id":"","kind":"FEE","description":"","quantity":1,"unit_price_cents":},'
    '{"id":"","kind":"PART","description":"","quantity":1,"unit_price_cents":}],'
    '"parts_supplier":"CUSTOMER","parts_supplier":"PRO","notes":"","photo_hashes":[""],'
    '"valid_days":}}',
    # The everyday ones, and the envelope.
    '"name":"photo.attach","args":{"photo_id":"","target_kind":"estimate",'
    '"target_kind":"request","target_kind":"job","target_id":"","blob_hash":"",'
    '"caption":""}}',
    '"name":"window.confirm","args":{"job_id":"","preferred_window_id":""},'
    '"base_version":',
    '"name":"job.start","args":{"job_id":""},"base_version":',
    '"name":"message.send","args":{"message_id":"","request_id":"","body":""}}',
    '"name":"message.send","args":{"message_id":"","job_id":"","body":""}}',
    '],"resume_from":{"mutations":[{"mid":1,"id":"',
)

PUSH_DICTIONARY_V1: Final = "".join(_V1_FRAGMENTS).encode()
"""Version 1 of the push dictionary (frozen; see the module docstring)."""

DICTIONARIES: Final[Mapping[int, bytes]] = {
    zlib.adler32(dictionary): dictionary for dictionary in (PUSH_DICTIONARY_V1,)
}
"""Every released dictionary by DICTID (its Adler-32), as a zlib header names it."""

CURRENT_DICTIONARY: Final = PUSH_DICTIONARY_V1
"""The dictionary this version of the client compresses with."""

_FDICT: Final = 0x20


def deflate_with_dictionary(raw: bytes) -> bytes:
    """``raw`` as a ``deflate-dict`` stream: zlib, best compression, the current
    dictionary (named in the header)."""
    packer = zlib.compressobj(
        level=9, wbits=zlib.MAX_WBITS, memLevel=9, zdict=CURRENT_DICTIONARY
    )
    return packer.compress(raw) + packer.flush()


def stream_dictionary(data: bytes) -> bytes | None:
    """The dictionary a ``deflate-dict`` stream starts from; None if it is not one we
    know (a newer client than this server: the server says so with 415).

    Raises:
        ValueError: ``data`` does not start with a zlib header naming a dictionary.
    """
    if len(data) < 6:
        raise ValueError("too short for a zlib header with a dictionary id")
    cmf, flg = data[0], data[1]
    if cmf & 0x0F != zlib.DEFLATED or (cmf << 8 | flg) % 31 or not flg & _FDICT:
        raise ValueError("not a zlib stream with a preset dictionary")
    return DICTIONARIES.get(int.from_bytes(data[2:6], "big"))


@cache
def _defaults(name: str) -> Mapping[str, Any]:
    """The JSON form of each top-level argument's default for command ``name``."""
    model = PRO_COMMANDS.get(name)
    if model is None:
        return {}
    defaults: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if info.default is not PydanticUndefined:
            defaults[field] = to_jsonable_python(info.default)
        elif info.default_factory is not None:
            defaults[field] = to_jsonable_python(info.default_factory())  # type: ignore[call-arg]
    return defaults


def strip_defaults(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` without the top-level arguments equal to their default in the command's
    model (the server's validation restores them); unknown commands are left whole."""
    defaults = _defaults(name)
    return {
        key: value
        for key, value in args.items()
        # The type too: 0 == False, and a value must only go when it IS the default.
        if not (key in defaults and type(value) is type(defaults[key]) and value == defaults[key])
    }
