"""Group ``wire``: how many bytes one pro action costs on the wire in a push.

The push body is built exactly as `proapp.api.client.MarketplaceClient.push` builds it
(args as `proapp.sync.outbox.validate_pro_command` stores them, `PushMutation` JSON,
encoded by httpx's ``json=``), then gzipped (level 6, no file name, mtime 0: the 18-byte
gzip frame included). The push body carries one mutation here; the ``_batched`` figure
is the per-mutation share of a 100-mutation push (key names and framing amortised).
No network: this counts bytes, it does not time anything.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator
from typing import Any

from bench import Context, Figure, benchmark
from bench.data import estimate_submit_args, message_send_args, new_id

__all__ = ["bench_mutation_wire", "push_body"]

_URL = "http://127.0.0.1:8000/v1/sync/push"


def push_body(mutations: list[tuple[str, dict[str, Any]]], rng: random.Random) -> bytes:
    """The exact request body of a push of ``(name, args)`` mutations, mids from 1."""
    import httpx

    from proapp.api.models import PushMutation
    from proapp.sync.outbox import validate_pro_command

    wire = [
        PushMutation(
            mid=mid,
            id=new_id(rng),
            name=name,
            args=validate_pro_command(name, args).args,
            base_version=None,
        ).model_dump(mode="json")
        for mid, (name, args) in enumerate(mutations, start=1)
    ]
    return httpx.Request("POST", _URL, json={"mutations": wire}).content


def _gzip(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


@benchmark(
    "mutation_wire",
    group="wire",
    figures=(
        "mutation_wire_bytes_gzip",
        "mutation_wire_bytes_raw",
        "mutation_wire_bytes_gzip_batched",
        "message_wire_bytes_gzip",
    ),
)
def bench_mutation_wire(ctx: Context) -> Iterator[Figure]:
    """Gzipped push-body bytes of one estimate.submit (3 line items) and one message."""
    del ctx  # sizes are the same in a quick run
    rng = random.Random(7)
    job_id = new_id(rng)
    samples = 50

    def mean_size(make: Callable[[], bytes], measure: Callable[[bytes], int]) -> float:
        return sum(measure(make()) for _ in range(samples)) / samples

    # Means over 50 differently-drawn actions: ids are random, so sizes vary by a byte
    # or two between draws.
    def estimate() -> bytes:
        return push_body([("estimate.submit", estimate_submit_args(rng))], rng)

    def message() -> bytes:
        return push_body([("message.send", message_send_args(rng, job_id, 1))], rng)

    def batch() -> bytes:
        return push_body([("estimate.submit", estimate_submit_args(rng)) for _ in range(100)], rng)

    yield Figure("mutation_wire_bytes_gzip", mean_size(estimate, _gzip), "bytes", "<= 200")
    yield Figure("mutation_wire_bytes_raw", mean_size(estimate, len), "bytes")
    batched = sum(_gzip(batch()) for _ in range(5)) / 5 / 100
    yield Figure("mutation_wire_bytes_gzip_batched", batched, "bytes")
    yield Figure("message_wire_bytes_gzip", mean_size(message, _gzip), "bytes")
