"""Group ``store``: the cost of one durable pro action on the device.

``enqueue``: one user action as the UI performs it (DESIGN §3): ``Store.transaction()``
holding the optimistic overlay (`EntityCache.put_overlay`) and `Outbox.enqueue`
(validation with the shared command model included), committed in WAL mode with
``synchronous=FULL`` (fsync on every commit). Actions alternate ``message.send`` and
``estimate.submit`` (3 line items).

Baseline, interleaved sample by sample so both see the same machine noise: a bare
``sqlite3`` one-row INSERT + COMMIT of a similar-size row in another file with the same
pragmas, i.e. the price of the fsync alone. The ratio is our overhead on top of the disk.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bench import Context, Figure, benchmark, percentile
from bench.data import estimate_submit_args, message_send_args, new_id

__all__ = ["bench_enqueue"]


def _bare_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return conn


@benchmark("enqueue", group="store", figures=("enqueue_p50_ms", "enqueue_p99_ms"))
def bench_enqueue(ctx: Context) -> Iterator[Figure]:
    """p50/p99 of one durable action (overlay + outbox row, one fsynced commit)."""
    from proapp.sync.outbox import Outbox
    from proapp.sync.store import Store

    samples_n = 300 if ctx.quick else 2000
    warmup = 30 if ctx.quick else 100
    rng = random.Random(20261126)
    store = Store(ctx.workdir / "account" / "store.sqlite3")
    outbox = Outbox(store)
    bare = _bare_connection(ctx.workdir / "bare.sqlite3")
    job_id = new_id(rng)
    ours: list[float] = []
    base: list[float] = []
    try:
        for i in range(warmup + samples_n):
            if i % 2:
                name, kind = "estimate.submit", "estimate"
                args = estimate_submit_args(rng)
                entity_id, parent = args["estimate_id"], args["request_id"]
            else:
                name, kind = "message.send", "message"
                args = message_send_args(rng, job_id, i)
                entity_id, parent = args["message_id"], job_id
            overlay = {**args, "id": entity_id, "status": "SENDING"}
            list_key = f"2026-11-26T10:{i // 60 % 60:02d}:{i % 60:02d}+00:00"
            body = json.dumps(args)

            t0 = time.perf_counter_ns()
            with store.transaction() as tx:
                entry = outbox.enqueue(tx, name, args)
                store.cache.put_overlay(
                    tx, kind, entity_id, overlay, entry.mid, list_key=list_key, parent_id=parent
                )
            t1 = time.perf_counter_ns()
            bare.execute("BEGIN IMMEDIATE")
            bare.execute("INSERT INTO t(body) VALUES (?)", (body,))
            bare.execute("COMMIT")
            t2 = time.perf_counter_ns()
            if i >= warmup:
                ours.append((t1 - t0) / 1e6)
                base.append((t2 - t1) / 1e6)
        if outbox.status().pending != warmup + samples_n:
            raise AssertionError("not every enqueued action is in the outbox")
    finally:
        bare.close()
        store.close()
    ctx.log(
        f"enqueue: {samples_n} samples after {warmup} warm-up; bare commit p50 "
        f"{percentile(base, 50):.2f} ms"
    )
    yield Figure("enqueue_p50_ms", percentile(ours, 50), "ms", None, percentile(base, 50))
    yield Figure("enqueue_p99_ms", percentile(ours, 99), "ms", "<= 5", percentile(base, 99))
