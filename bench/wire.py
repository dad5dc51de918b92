"""Group ``wire``: how many bytes one pro action costs on the wire in a push.

The push body is the one `proapp.api.client.MarketplaceClient.push` sends, made by the
same function, `proapp.api.client.push_request_body` (args as
`proapp.sync.outbox.validate_pro_command` stores them, compact `PushMutation` JSON,
gzipped with ``Content-Encoding: gzip`` at level 6, mtime 0, the 18-byte gzip frame
included, when that is smaller). The push body carries one mutation here; the
``_batched`` figure is the per-mutation share of a 100-mutation push (key names and
framing amortised). No network: this counts bytes, it does not time anything.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator
from typing import Any

from bench import Context, Figure, benchmark
from bench.data import estimate_submit_args, message_send_args, new_id

__all__ = ["bench_mutation_wire", "push_body"]


def push_body(mutations: list[tuple[str, dict[str, Any]]], rng: random.Random) -> bytes:
    """The exact request body of a push of ``(name, args)`` mutations, mids from 1, as
    the client sends it (gzipped when that is smaller; see `_raw`)."""
    from proapp.api.client import push_request_body
    from proapp.api.models import PushMutation
    from proapp.sync.outbox import validate_pro_command

    wire = [
        PushMutation(
            mid=mid,
            id=new_id(rng),
            name=name,
            args=validate_pro_command(name, args).args,
            base_version=None,
        )
        for mid, (name, args) in enumerate(mutations, start=1)
    ]
    body, _headers = push_request_body(wire)
    return body


def _sent(data: bytes) -> int:
    return len(data)


def _raw(data: bytes) -> int:
    # The JSON before the content coding.
    return len(gzip.decompress(data)) if data[:2] == b"\x1f\x8b" else len(data)


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

    yield Figure("mutation_wire_bytes_gzip", mean_size(estimate, _sent), "bytes", "<= 200")
    yield Figure("mutation_wire_bytes_raw", mean_size(estimate, _raw), "bytes")
    batched = sum(_sent(batch()) for _ in range(5)) / 5 / 100
    yield Figure("mutation_wire_bytes_gzip_batched", batched, "bytes")
    yield Figure("message_wire_bytes_gzip", mean_size(message, _sent), "bytes")
