"""Group ``memory``: the client's peak memory with 10,000 cached jobs.

Each figure comes from a FRESH Python subprocess (``python -c``), so nothing this
process loaded counts. Both children import the same client modules (`CLIENT_MODULES`:
the store, outbox, pull mapping, domain models and the jobs screen state):

* baseline: imports only, then reports its peak RSS;
* 10k: opens a `Store`, fills the entity cache with 10,000 realistic job JSONs the way a
  pull does (pages of 200 `SyncChange` through
  `proapp.sync.repositories.server_entity_from_change` into `EntityCache.put_server`, one
  transaction per page), then reads the jobs list's first page the way a screen does
  (`EntityCache.page`, parse into `Job`, format each row's texts), and reports its
  peak RSS.

Peak RSS is ``VmHWM`` from /proc/self/status (the high-water mark of resident memory),
or ``ru_maxrss`` where /proc is missing.
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench import Context, Figure, benchmark

__all__ = ["CLIENT_MODULES", "bench_client_rss", "child_main", "peak_rss_mb"]

CLIENT_MODULES: tuple[str, ...] = (
    "proapp.domain.models",
    "proapp.api.models",
    "proapp.sync.store",
    "proapp.sync.outbox",
    "proapp.sync.repositories",
    "proapp.state.today",
    "bench.data",
)
JOBS = 10_000
PULL_PAGE = 200
SCREEN_PAGE = 50


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    # ru_maxrss is kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _fill_and_read(folder: Path, jobs: int) -> dict[str, object]:
    import random

    from bench.data import job_json, new_id
    from proapp.api.models import SyncChange
    from proapp.domain.models import Job
    from proapp.domain.money import format_cents
    from proapp.state.formatting import job_place, status_label
    from proapp.sync.repositories import server_entity_from_change
    from proapp.sync.store import Store

    rng = random.Random(10_000)
    technician = new_id(rng)
    store = Store(folder / "account" / "store.sqlite3")
    try:
        seq = 0
        for start in range(0, jobs, PULL_PAGE):
            changes = []
            for index in range(start, min(start + PULL_PAGE, jobs)):
                seq += 1
                data = job_json(rng, index, technician)
                changes.append(
                    SyncChange(
                        kind="job", id=data["id"], version=data["version"], data=data, seq=seq
                    )
                )
            entities = [server_entity_from_change(change) for change in changes]
            with store.transaction() as tx:
                store.cache.put_server(tx, entities)
            del changes, entities
        cached = store.cache.count("job")
        page = store.cache.page("job", limit=SCREEN_PAGE)
        # What a list screen formats per row (title, status, place, price).
        rows = [
            (job.title, status_label(job.status), job_place(job), format_cents(job.price_cents))
            for job in (Job.model_validate_json(entity.json) for entity in page)
        ]
    finally:
        store.close()
    return {"cached": cached, "rows": len(rows)}


def child_main() -> None:
    """Entry point of the measured subprocess: ``argv = [mode, folder, jobs]``."""
    mode, folder, jobs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    for module in CLIENT_MODULES:
        importlib.import_module(module)
    result: dict[str, object] = {"mode": mode}
    if mode == "fill":
        result.update(_fill_and_read(folder, jobs))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def _run_child(ctx: Context, mode: str, jobs: int) -> dict[str, object]:
    folder = ctx.workdir / mode
    folder.mkdir()
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bench.memory import child_main; child_main()",
            mode,
            str(folder),
            str(jobs),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"memory child ({mode}) exited {completed.returncode}:\n{completed.stderr}"
        )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


@benchmark(
    "client_rss",
    group="memory",
    figures=("client_rss_10k_mb", "client_rss_baseline_mb", "client_rss_10k_delta_mb"),
)
def bench_client_rss(ctx: Context) -> Iterator[Figure]:
    """Peak RSS of a client process holding 10,000 cached jobs, next to an idle one."""
    jobs = JOBS  # the same in a quick run: it takes a few seconds
    baseline = _run_child(ctx, "baseline", jobs)
    filled = _run_child(ctx, "fill", jobs)
    if filled["cached"] != jobs or filled["rows"] != SCREEN_PAGE:
        raise AssertionError(f"cache fill went wrong: {filled}")
    base_mb = float(str(baseline["peak_rss_mb"]))
    full_mb = float(str(filled["peak_rss_mb"]))
    ctx.log(f"client_rss: {jobs} jobs cached; baseline {base_mb:.1f} MiB, filled {full_mb:.1f}")
    yield Figure("client_rss_10k_mb", full_mb, "MiB", "<= 150", base_mb)
    yield Figure("client_rss_baseline_mb", base_mb, "MiB")
    yield Figure("client_rss_10k_delta_mb", full_mb - base_mb, "MiB")
