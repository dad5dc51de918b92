"""Group ``office``: the office desktop's Python-side work over a 10,000-job store.

A real `Store` is filled the way pulls fill it (`SyncChange` pages through
`proapp.sync.repositories.server_entity_from_change` into `EntityCache.put_server`),
then the real screen states run on the real `LocalOfficeRepository` (store reads on its
worker thread; the sync engine is built but never started, so nothing touches the
network). Timings are wall-clock around the awaited state calls, i.e. everything the
desktop does in Python and SQLite before it can draw: reads, parsing, building rows.

The business (`office_world`): 12 technicians and 2 office staff; 10,000 jobs spread
over a year (300 days back, 65 ahead, 8 AM to 6 PM local), past ones completed (some
cancelled or not serviced), future ones scheduled (12% still waiting for a window);
about 2% nobody is assigned to; 300 open custom requests (40% with a sent estimate).

``dispatch_open_ms``
    `DispatchState` constructed and loaded for today (team, today's board, the
    unassigned list), p95 of the samples.
``dispatch_switch_day_ms``
    `DispatchState.next_period` / `previous_period` (one day read and laid out), p95.
``pipeline_filter_ms``
    On a loaded `PipelineState`: one filter chip change or one search query (filter,
    sort, page), p95. The pipeline's load is logged.

Stress, no target: the same figures over the dense layout of ``bench.data.job_json``
(all 10,000 jobs within 17 days: about 600 appointments a day, 2,500 waiting for a
window), to show how the cost scales with a day's size rather than the cache's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import Context, Figure, benchmark, percentile
from bench.data import job_json, new_id

__all__ = ["OfficeFigures", "bench_office", "fill_store", "measure", "office_world"]

JOBS = 10_000
TECHNICIANS = 12
OPEN_REQUESTS = 300
NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # Thursday, 9:00 AM in Los Angeles
BUSINESS_ID = "5b0f8a4e-8c1e-4a53-9f7b-2b7a3c9d0e11"  # the one bench.data.job_json uses
ZONE = "America/Los_Angeles"
_QUERIES = ("oak", "faucet", "san jose", "dev patel", "95112", "zzz", "", "mission st", "")


def _team(rng: random.Random) -> list[dict[str, Any]]:
    names = ["Tess Rivera", "Marco Chen", "Priya Patel", "Sam Okafor", "Lena Novak",
             "Omar Haddad", "Kim Tran", "Ravi Iyer", "Ana Souza", "Jon Berg", "Mia Rossi",
             "Eli Cohen", "Dana Dispatch", "Olive Owner"]
    members = []
    for n, name in enumerate(names):
        role = "technician" if n < TECHNICIANS else ("dispatcher" if n == TECHNICIANS else "owner")
        members.append({"id": new_id(rng), "name": name, "role": role, "active": True,
                        "email": f"{name.split()[0].lower()}@bench.example",
                        "business_id": BUSINESS_ID})
    return members


def _spread_job(
    rng: random.Random, index: int, jobs: int, technicians: list[str]
) -> dict[str, Any]:
    """Job ``index`` of ``jobs`` in the year-long layout (see the module docstring)."""
    data = job_json(rng, index, technicians[index % len(technicians)])
    day = -300 + (index * 365) // jobs
    midnight = datetime(2026, 11, 26, 8, 0, tzinfo=UTC) + timedelta(days=day)  # LA midnight
    start = midnight + timedelta(hours=rng.randint(8, 16), minutes=30 * rng.randint(0, 1))
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    for offset, preferred in enumerate(data["preferred_windows"]):
        preferred["window"] = {
            "start": (start + timedelta(days=offset)).isoformat(),
            "end": (start + timedelta(days=offset, hours=2)).isoformat(),
        }
    ordered = start - timedelta(days=5)
    data["ordered_at"] = ordered.isoformat()
    data["window_confirmation_due_at"] = (ordered + timedelta(days=1)).isoformat()
    roll = rng.random()
    if start < NOW - timedelta(days=1):
        status = "COMPLETED" if roll < 0.92 else ("CANCELLED" if roll < 0.97 else "NOT_SERVICED")
    else:
        status = "PENDING_SCHEDULE" if roll < 0.12 else "SCHEDULED"
    crew = [technicians[index % len(technicians)]]
    if rng.random() < 0.03:
        crew.append(technicians[(index + 5) % len(technicians)])
    if status in ("PENDING_SCHEDULE", "SCHEDULED") and rng.random() < 0.02:
        crew = []
    data["status"] = status
    data["assigned_technician_ids"] = crew
    data["appointment"] = (
        None if status in ("PENDING_SCHEDULE", "CANCELLED") else {
            "id": new_id(rng), "job_id": data["id"], "window": window, "status": "ACTIVE",
            "assigned_technician_ids": crew,
        }
    )
    return data


def _request(rng: random.Random, index: int) -> dict[str, Any]:
    submitted = NOW - timedelta(hours=1 + (index * 71) % 70)
    return {
        "id": new_id(rng), "business_id": BUSINESS_ID, "customer_id": new_id(rng),
        "title": rng.choice(["Replace kitchen faucet", "Fence repair", "Deck stain",
                             "Bathroom fan install", "Drywall patch"]),
        "description": "Photos attached. Weekday mornings work best.",
        "location_type": "IN_HOME",
        "address": {"line1": f"{rng.randint(10, 9999)} Oak St", "city": "San Jose",
                    "state": "CA", "postal_code": "95112"},
        "time_zone": ZONE, "submitted_at": submitted.isoformat(), "status": "OPEN",
        "estimate_due_at": (submitted + timedelta(days=1)).isoformat(),
        "closes_at": (submitted + timedelta(days=3)).isoformat(),
    }


def _estimate(rng: random.Random, request: dict[str, Any], technician: str) -> dict[str, Any]:
    return {
        "id": new_id(rng), "request_id": request["id"], "business_id": BUSINESS_ID,
        "technician_id": technician, "parts_supplier": "PRO", "status": "SUBMITTED",
        "submitted_at": request["estimate_due_at"].replace("+00:00", "Z"),
        "line_items": [{"id": new_id(rng), "kind": "LABOR", "description": "Labor",
                        "quantity": 1, "unit_price_cents": rng.randrange(10_000, 90_000, 500)}],
    }


@dataclass(frozen=True)
class World:
    """What `office_world` generated (entity JSONs by kind)."""

    entities: dict[str, list[dict[str, Any]]]
    technicians: list[str]


def office_world(seed: int, *, jobs: int = JOBS, dense: bool = False) -> World:
    """The bench business (module docstring); ``dense`` uses job_json's 17-day layout."""
    from proapp.domain.models import CustomRequest, Estimate, Job

    rng = random.Random(seed)
    team = _team(rng)
    technicians = [m["id"] for m in team if m["role"] == "technician"]
    job_rows = []
    for index in range(jobs):
        if dense:
            data = job_json(rng, index, technicians[index % len(technicians)])
        else:
            data = _spread_job(rng, index, jobs, technicians)
        job_rows.append(Job.model_validate(data).model_dump(mode="json"))
    requests = [CustomRequest.model_validate(_request(rng, i)).model_dump(mode="json")
                for i in range(OPEN_REQUESTS)]
    estimates = [
        Estimate.model_validate(_estimate(rng, r, technicians[i % len(technicians)]))
        .model_dump(mode="json")
        for i, r in enumerate(requests) if i % 5 < 2
    ]
    return World({"team_member": team, "job": job_rows, "request": requests,
                  "estimate": estimates}, technicians)


def fill_store(path: Path, world: World) -> Any:
    """A `Store` at ``path`` holding ``world``, written as pulls write (pages of 500)."""
    from proapp.api.models import SyncChange
    from proapp.sync.repositories import server_entity_from_change
    from proapp.sync.store import Store

    store = Store(path, clock=lambda: NOW)
    seq = 0
    for kind, rows in world.entities.items():
        for start in range(0, len(rows), 500):
            entities = []
            for data in rows[start : start + 500]:
                seq += 1
                entities.append(server_entity_from_change(
                    SyncChange(kind=kind, id=data["id"], data=data, seq=seq)))
            with store.transaction() as tx:
                store.cache.put_server(tx, entities)
    return store


@dataclass(frozen=True)
class OfficeFigures:
    """Samples (ms) of one run of `measure`, plus what the screens showed."""

    open_ms: list[float]
    switch_ms: list[float]
    filter_ms: list[float]
    pipeline_load_ms: float
    week_ms: float
    blocks_today: int
    unassigned: int
    pipeline_rows: int


async def _timed(action: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000


def measure(store: Any, *, samples: int) -> OfficeFigures:
    """Run the office states over ``store`` ``samples`` times each (see the module
    docstring); blocking (runs its own event loop)."""
    from proapp.api import MarketplaceClient
    from proapp.domain.models import User
    from proapp.state.dispatch import BoardMode, DispatchState
    from proapp.state.office_ports import OfficeContext
    from proapp.state.pipeline import PipelineFilter, PipelineState
    from proapp.state.ports import Route
    from proapp.sync.engine import SyncEngine
    from proapp.sync.office import LocalOfficeRepository

    class _Nav:
        def open(self, route: Route) -> None:
            """Not used by the measured calls."""

        def back(self) -> None:
            """Not used by the measured calls."""

        def notify(self, message: str) -> None:
            """Not used by the measured calls."""

    async def run() -> OfficeFigures:
        # The engine is never started: no request is ever sent to this address.
        client = MarketplaceClient("http://127.0.0.1:9", clock=lambda: NOW)
        engine = SyncEngine(store, client, clock=lambda: NOW)
        user = User(id=new_id(random.Random(1)), email="dana@bench.example",
                    name="Dana Dispatch", role="dispatcher", business_id=BUSINESS_ID)
        repo = LocalOfficeRepository(store, engine, user, clock=lambda: NOW)
        ctx = OfficeContext(repo, _Nav(), lambda: NOW)
        try:
            await DispatchState(ctx, Route("dispatch")).load()  # warm-up (imports, caches)
            open_ms: list[float] = []
            state = DispatchState(ctx, Route("dispatch"))
            for _ in range(samples):
                state.dispose()
                state = DispatchState(ctx, Route("dispatch"))
                open_ms.append(await _timed(state.load))
            blocks = sum(len(lane.blocks) for lane in state.lanes)
            unassigned = len(state.unassigned)
            switch_ms = []
            for n in range(samples):
                step = state.next_period if (n // 7) % 2 == 0 else state.previous_period
                switch_ms.append(await _timed(step))
            await state.set_mode(BoardMode.WEEK)
            week_ms = await _timed(state.next_period)
            state.dispose()

            pipeline = PipelineState(ctx, Route("pipeline"))
            load_ms = await _timed(pipeline.load)
            chips = list(PipelineFilter)
            filter_ms = []
            for n in range(samples):
                started = time.perf_counter()
                if n % 2:
                    pipeline.set_query(_QUERIES[n % len(_QUERIES)])
                else:
                    pipeline.set_filter(chips[n % len(chips)])
                filter_ms.append((time.perf_counter() - started) * 1000)
            rows = pipeline.counts[PipelineFilter.ALL]
            pipeline.dispose()
            return OfficeFigures(open_ms, switch_ms, filter_ms, load_ms, week_ms, blocks,
                                 unassigned, rows)
        finally:
            repo.close()
            await client.aclose()

    return asyncio.run(run())


@benchmark(
    "office",
    group="office",
    figures=(
        "dispatch_open_ms", "dispatch_switch_day_ms", "pipeline_filter_ms",
        "dispatch_open_dense_ms", "dispatch_switch_day_dense_ms", "pipeline_filter_dense_ms",
    ),
)
def bench_office(ctx: Context) -> Iterator[Figure]:
    """p95 of opening the dispatch board, switching its day and filtering the pipeline
    over 10,000 cached jobs (a year-long business, then the dense stress layout)."""
    samples = 20 if ctx.quick else 100
    for dense in (False, True):
        label = "dense" if dense else "year"
        started = time.perf_counter()
        world = office_world(20261126, dense=dense)
        store = fill_store(ctx.workdir / label / "store.sqlite3", world)
        ctx.log(f"office ({label}): {JOBS} jobs cached in {time.perf_counter() - started:.1f} s")
        try:
            got = measure(store, samples=samples)
        finally:
            store.close()
        ctx.log(
            f"office ({label}): today {got.blocks_today} blocks, {got.unassigned} unassigned; "
            f"pipeline {got.pipeline_rows} rows loaded in {got.pipeline_load_ms:.1f} ms; "
            f"a week switched in {got.week_ms:.1f} ms; medians open "
            f"{percentile(got.open_ms, 50):.1f}, switch {percentile(got.switch_ms, 50):.1f}, "
            f"filter {percentile(got.filter_ms, 50):.2f} ms"
        )
        suffix, target = ("_dense", None) if dense else ("", "<= 100")
        yield Figure(f"dispatch_open{suffix}_ms", percentile(got.open_ms, 95), "ms", target)
        yield Figure(f"dispatch_switch_day{suffix}_ms", percentile(got.switch_ms, 95), "ms",
                     target)
        yield Figure(f"pipeline_filter{suffix}_ms", percentile(got.filter_ms, 95), "ms", target)
