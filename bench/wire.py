"""Group ``wire``: how many bytes one pro action costs on the wire in a push.

The push body is the one `proapp.api.client.MarketplaceClient.push` sends, made by the
same function, `proapp.api.client.push_request_body`: args as
`proapp.sync.outbox.validate_pro_command` stores them, compact `PushMutation` JSON
without defaults, compressed in the best coding the server accepts. The marketplace
accepts ``deflate-dict`` (zlib, i.e. DEFLATE as in gzip, starting from the shared push
dictionary of `proapp.domain.wire`; its 2-byte header, 4-byte dictionary id and 4-byte
checksum included), so that is what a device sends; the ``baseline`` of each figure is
the same body as a client without the dictionary sends it (gzip at level 6 with its
18-byte frame, or plain JSON when that is smaller), measured in the same run.

"A typical mutation" is the median over one technician's realistic day of actions
(`bench.data.pro_day_mutations`: 44 actions across every pro command), each pushed on
its own, as a device with signal does a moment after each action. The largest routine
ones are reported on their own (a 3-line estimate; a signed completion, which carries
the signature's strokes), and so is the whole day pushed as one batch after a day
offline. No network: this counts bytes, it does not time anything.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator, Sequence
from typing import Any

from bench import Context, Figure, benchmark
from bench.data import estimate_submit_args, message_send_args, new_id, pro_day_mutations

__all__ = ["bench_mutation_wire", "push_body"]

Action = tuple[str, dict[str, Any], int | None]
"""``(command, args, base_version)``."""

_DICTIONARY = ("gzip", "deflate-dict")
_GZIP_ONLY = ("gzip",)


def push_body(actions: Sequence[Action], rng: random.Random,
              codings: Sequence[str] = _DICTIONARY) -> bytes:
    """The exact request body of a push of ``actions``, mids from 1, as the client sends
    it to a server accepting ``codings``."""
    from proapp.api.client import push_request_body
    from proapp.api.models import PushMutation
    from proapp.sync.outbox import validate_pro_command

    wire = [
        PushMutation(
            mid=mid,
            id=new_id(rng),
            name=name,
            args=validate_pro_command(name, args).args,
            base_version=base_version,
        )
        for mid, (name, args, base_version) in enumerate(actions, start=1)
    ]
    body, _headers = push_request_body(wire, codings=codings)
    return body


def _sizes(actions: Sequence[Action], seed: int, codings: Sequence[str]) -> list[int]:
    # The same seed draws the same mutation ids for both codings.
    rng = random.Random(seed)
    return [len(push_body([action], rng, codings)) for action in actions]


@benchmark(
    "mutation_wire",
    group="wire",
    figures=(
        "mutation_wire_bytes_gzip",
        "mutation_wire_bytes_p90",
        "mutation_wire_bytes_gzip_batched",
        "message_wire_bytes_gzip",
        "estimate_wire_bytes_gzip",
        "signed_completion_wire_bytes_gzip",
    ),
)
def bench_mutation_wire(ctx: Context) -> Iterator[Figure]:
    """Compressed push-body bytes of a pro's day of actions, one push each (median,
    90th percentile) and all in one push; a message, a 3-line estimate and a signed
    completion on their own. Baselines: the same bodies without the dictionary."""
    del ctx  # sizes are the same in a quick run
    days = [pro_day_mutations(random.Random(seed)) for seed in range(5)]
    actions = [action for day in days for action in day]  # 220 actions
    sent = _sizes(actions, 1, _DICTIONARY)
    without = _sizes(actions, 1, _GZIP_ONLY)
    yield Figure("mutation_wire_bytes_gzip", statistics.median(sent), "bytes", "<= 200",
                 statistics.median(without))
    yield Figure("mutation_wire_bytes_p90", _p90(sent), "bytes", None, _p90(without))

    rng = random.Random(2)
    batched = statistics.mean(len(push_body(day, rng)) / len(day) for day in days)
    rng = random.Random(2)
    batched_without = statistics.mean(len(push_body(day, rng, _GZIP_ONLY)) / len(day)
                                      for day in days)
    yield Figure("mutation_wire_bytes_gzip_batched", batched, "bytes", None, batched_without)

    rng = random.Random(7)
    job_id = new_id(rng)
    messages = [("message.send", message_send_args(rng, job_id, i), None) for i in range(50)]
    estimates = [("estimate.submit", estimate_submit_args(rng), None) for _ in range(50)]
    completions = [a for a in actions if a[0] == "job.complete"]
    for name, group in (("message_wire_bytes_gzip", messages),
                        ("estimate_wire_bytes_gzip", estimates),
                        ("signed_completion_wire_bytes_gzip", completions)):
        yield Figure(name, statistics.mean(_sizes(group, 3, _DICTIONARY)), "bytes", None,
                     statistics.mean(_sizes(group, 3, _GZIP_ONLY)))


def _p90(values: Sequence[int]) -> float:
    return statistics.quantiles(values, n=10)[-1]
