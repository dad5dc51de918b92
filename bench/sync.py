"""Group ``sync``: the sync engine against the real marketplace server (a subprocess).

Every benchmark starts ``python -m marketplace serve`` on a loopback port through
`tests.support.servers.start_marketplace` (SQLite file in the scratch folder, XDG and
ProApp data folders pointed there too), signs in as the demo technician Tess, and drives
the real `proapp.sync.engine.SyncEngine` with the real `proapp.api.MarketplaceClient`.

``drain``
    10,000 ``message.send`` actions on one of Tess's jobs are queued offline (each with
    its optimistic overlay, as the UI writes them), then ONE `SyncEngine.sync_once`
    round sends them: 100 pushes of 100 mutations, then the pull that brings the
    10,000 sent messages back and settles the overlays. The figure counts that whole
    round; every mutation must come back ``applied``. The push phase alone is logged.
    Before going offline the device syncs until idle (images included), so the timed
    round does nothing but the drain.
    Baseline, measured in the same run against the same server: one REST request per
    mutation (``POST /v1/messages`` with an ``Idempotency-Key``, keep-alive connection),
    500 sequential requests, the rate extrapolated.
``first_pull_10k``
    10,000 jobs assigned to Tess are written straight into the server's database (on
    top of the demo data), then a fresh device store does its first pull (the paged
    snapshot) in one `sync_once`; all 10,000 jobs must end up in the cache.
``idle_sync``
    After that first pull, one more `sync_once` with nothing pending and nothing new,
    through a counting TCP proxy (bytes in both directions: request and response lines,
    headers and bodies, exactly what crossed the socket) and a counting httpx transport
    (HTTP requests = round trips).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import Context, Figure, benchmark
from bench.data import message_send_args, new_id

__all__ = ["CountingProxy", "bench_drain", "bench_first_pull", "demo_database", "seed_jobs"]

TESS = ("tess@brightfix.example", "demo-tech-pass")
DRAIN_MUTATIONS = 10_000
BASELINE_REQUESTS = 500
FIRST_PULL_JOBS = 10_000


# --- plumbing ---------------------------------------------------------------------------


def _server(ctx: Context, name: str, database: Path) -> Any:
    from tests.support.servers import start_marketplace

    folder = ctx.workdir / name
    env: dict[str, str] = {}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                "PROAPP_DATA_DIR"):  # fmt: skip
        path = folder / "env" / var.lower()
        path.mkdir(parents=True)
        env[var] = str(path)
    return start_marketplace(folder, database_url=f"sqlite:///{database}", extra_env=env)


class CountingTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that counts the HTTP requests it sends (round trips)."""

    def __init__(self) -> None:
        super().__init__(retries=0)
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


class CountingProxy:
    """A loopback TCP proxy that counts the bytes crossing it in each direction."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.sent = 0  # client -> server
        self.received = 0  # server -> client
        self.port = 0

    async def start(self) -> None:
        """Listen on a free 127.0.0.1 port (``self.port``)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and let open connections finish (close the client first)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._connections:
            await asyncio.wait(self._connections, timeout=5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        await asyncio.gather(
            self._pipe(reader, up_writer, upstream=True),
            self._pipe(up_reader, writer, upstream=False),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if upstream:
                    self.sent += len(data)
                else:
                    self.received += len(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


def _timed_client_class() -> type[Any]:
    from proapp.api.client import MarketplaceClient
    from proapp.api.models import PullResponse, PushMutation, PushResponse

    class TimedClient(MarketplaceClient):
        """`MarketplaceClient` that adds up the seconds spent in push and pull calls."""

        push_s = 0.0
        pull_s = 0.0

        async def push(
            self,
            client_id: str,
            mutations: Sequence[PushMutation],
            resume_from: int | None = None,
        ) -> PushResponse:
            t0 = time.perf_counter()
            try:
                return await super().push(client_id, mutations, resume_from)
            finally:
                self.push_s += time.perf_counter() - t0

        async def pull(self, client_id: str, cursor: str | None, limit: int = 200) -> PullResponse:
            t0 = time.perf_counter()
            try:
                return await super().pull(client_id, cursor, limit)
            finally:
                self.pull_s += time.perf_counter() - t0

    return TimedClient


# --- drain ------------------------------------------------------------------------------


def _enqueue_messages(store: Any, job_id: str, count: int, rng: random.Random) -> None:
    from proapp.sync.outbox import Outbox

    outbox = Outbox(store)
    sent_at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    for start in range(0, count, 500):
        # Setup, not measured: 500 actions per transaction. Each is still one outbox
        # row plus its overlay, exactly what the UI would have written.
        with store.transaction() as tx:
            for i in range(start, min(start + 500, count)):
                args = message_send_args(rng, job_id, i)
                entry = outbox.enqueue(tx, "message.send", args)
                moment = (sent_at + timedelta(milliseconds=i)).isoformat()
                overlay = {**args, "id": args["message_id"], "sent_at": moment}
                store.cache.put_overlay(
                    tx, "message", args["message_id"], overlay, entry.mid,
                    list_key=moment, parent_id=job_id,
                )  # fmt: skip


async def _per_request_rate(url: str, token: str, job_id: str, count: int) -> float:
    rng = random.Random(500)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        warm = message_send_args(rng, job_id, 0)  # connection set up outside the timing
        response = await http.post(
            "/v1/messages", json=warm, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        response.raise_for_status()
        t0 = time.perf_counter()
        for i in range(count):
            response = await http.post(
                "/v1/messages",
                json=message_send_args(rng, job_id, i),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            response.raise_for_status()
        return count / (time.perf_counter() - t0)


async def _drain(ctx: Context, url: str, mutations: int, baseline_requests: int) -> list[Figure]:
    from proapp.domain.enums import JobStatus
    from proapp.sync.engine import SyncEngine
    from proapp.sync.store import Store

    client = _timed_client_class()(url)
    try:
        session = await client.login(*TESS)
        job_id = ""
        async for job in client.iter_jobs():
            if job.status in (JobStatus.SCHEDULED, JobStatus.IN_PROGRESS):
                job_id = job.id
                break
        if not job_id:
            raise RuntimeError("the demo technician has no scheduled job to message about")

        baseline_rate = await _per_request_rate(
            url, session.access_token, job_id, baseline_requests
        )
        ctx.log(f"drain: per-request baseline {baseline_rate:.0f} mutations/s")

        store = Store(ctx.workdir / "device" / "store.sqlite3")
        try:
            engine = SyncEngine(store, client)
            # The device was in sync before going offline: its data AND the images that
            # data names, which a device fetches at most DOWNLOAD_BATCH a round. Without
            # these extra rounds the timed round below also downloaded the demo's last
            # photos (~0.2 s), which has nothing to do with draining the queue.
            for _ in range(50):
                first = await engine.sync_once()
                if not first.ok:
                    raise RuntimeError(f"first sync failed: {first.error}")
                if not first.blobs_downloaded:
                    break
            _enqueue_messages(store, job_id, mutations, random.Random(10_000))
            client.push_s = client.pull_s = 0.0
            t0 = time.perf_counter()
            report = await engine.sync_once(force=True)
            elapsed = time.perf_counter() - t0
            engine.close()
        finally:
            store.close()
    finally:
        await client.aclose()
    if not report.ok or report.applied != mutations or report.rejected:
        raise RuntimeError(f"drain did not apply every mutation: {report}")
    if report.blobs_downloaded:
        raise RuntimeError(f"the drain round also downloaded images: {report}")
    rate = mutations / elapsed
    ctx.log(
        f"drain: {mutations} in {elapsed:.2f} s ({report.pushes} pushes, {report.pages} pull "
        f"pages); in push calls {client.push_s:.2f} s, in pull calls {client.pull_s:.2f} s"
    )
    return [
        Figure("drain_mutations_per_s", rate, "mutations/s", ">= 2000", baseline_rate),
        Figure("drain_vs_per_request_ratio", rate / baseline_rate, "x", ">= 10"),
        Figure("drain_push_only_mutations_per_s", mutations / client.push_s, "mutations/s"),
        Figure("per_request_mutations_per_s", baseline_rate, "mutations/s"),
    ]


@benchmark(
    "drain",
    group="sync",
    figures=(
        "drain_mutations_per_s",
        "drain_vs_per_request_ratio",
        "drain_push_only_mutations_per_s",
        "per_request_mutations_per_s",
    ),
)
def bench_drain(ctx: Context) -> Iterator[Figure]:
    """10,000 queued mutations drained in one sync round vs one request per mutation."""
    mutations = 1_000 if ctx.quick else DRAIN_MUTATIONS
    baseline = 100 if ctx.quick else BASELINE_REQUESTS
    server = _server(ctx, "server", ctx.workdir / "marketplace.sqlite3")
    try:
        figures = asyncio.run(_drain(ctx, server.url, mutations, baseline))
    finally:
        server.stop()
    yield from figures


# --- first pull and idle sync -----------------------------------------------------------


def seed_jobs(database_url: str, email: str, count: int) -> None:
    """Write ``count`` jobs assigned to technician ``email`` straight into a migrated,
    demo-seeded database, with their windows, appointments and change-feed entries."""
    from sqlalchemy import insert, select

    from marketplace import orm
    from marketplace.db import make_engine, make_session_factory
    from proapp.domain.enums import LineItemKind
    from proapp.domain.models import LineItem

    rng = random.Random(count)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as s, s.begin():
            tech = s.scalars(select(orm.User).where(orm.User.email == email)).one()
            business = s.get_one(orm.Business, tech.business_id)
            service = s.scalars(
                select(orm.PackagedService).where(orm.PackagedService.business_id == business.id)
            ).first()
            customer = s.scalars(select(orm.User).where(orm.User.role == "customer")).first()
            if service is None or customer is None:
                raise RuntimeError("the demo data has no service or customer to book")
            now = datetime.now(UTC).replace(microsecond=0)
            jobs: list[dict[str, Any]] = []
            windows: list[dict[str, Any]] = []
            appointments: list[dict[str, Any]] = []
            assignments: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            seq = business.change_seq
            for i in range(count):
                job_id = new_id(rng)
                ordered = now - timedelta(days=3, minutes=i)
                start = now + timedelta(hours=2 * (i % 300) - 200)
                lines = [
                    LineItem(
                        id=new_id(rng), kind=LineItemKind.LABOR, description=service.title,
                        quantity=1, unit_price_cents=service.price_cents,
                    ).model_dump(mode="json"),
                    LineItem(
                        id=new_id(rng), kind=LineItemKind.PART,
                        description="Braided supply lines (2)", quantity=2,
                        unit_price_cents=1_850,
                    ).model_dump(mode="json"),
                ]  # fmt: skip
                scheduled = i % 4 != 0
                jobs.append({
                    "id": job_id, "business_id": business.id, "customer_id": customer.id,
                    "origin": "PACKAGED", "service_id": service.id, "estimate_id": None,
                    "request_id": None, "title": service.title,
                    "scope": service.description or "Access through the garage.",
                    "whats_included": list(service.whats_included), "line_items": lines,
                    "location_type": "IN_HOME",
                    "address": {"line1": f"{100 + i} Oak St", "line2": "", "city": "San Jose",
                                "state": "CA", "postal_code": "95112"},
                    "time_zone": business.time_zone, "customer_name": customer.name,
                    "customer_phone": None,
                    "status": "SCHEDULED" if scheduled else "PENDING_SCHEDULE",
                    "ordered_at": ordered, "price_cents": service.price_cents + 3_700,
                    "window_confirmation_due_at": ordered + timedelta(days=1),
                    "completed_at": None, "outcome_note": "", "version": 1,
                    "updated_at": ordered,
                })  # fmt: skip
                for position in range(3):
                    windows.append({
                        "id": new_id(rng), "job_id": job_id, "position": position,
                        "start_at": start + timedelta(days=position),
                        "end_at": start + timedelta(days=position, hours=2),
                    })  # fmt: skip
                if scheduled:
                    appointments.append({
                        "id": new_id(rng), "job_id": job_id, "start_at": start,
                        "end_at": start + timedelta(hours=2), "status": "ACTIVE",
                        "reschedule_reason": None, "reschedule_note": "",
                        "previous_appointment_id": None, "created_by": tech.id,
                        "created_at": ordered,
                    })  # fmt: skip
                assignments.append({
                    "job_id": job_id, "user_id": tech.id, "position": 0,
                    "assigned_at": ordered, "assigned_by": tech.id,
                })  # fmt: skip
                seq += 1
                changes.append({
                    "business_id": business.id, "seq": seq, "entity": "job",
                    "entity_id": job_id, "changed_at": ordered,
                })  # fmt: skip
            s.execute(insert(orm.Job), jobs)
            s.execute(insert(orm.PreferredWindow), windows)
            s.execute(insert(orm.Appointment), appointments)
            s.execute(insert(orm.JobAssignment), assignments)
            s.execute(insert(orm.Change), changes)
            business.change_seq = seq
    finally:
        engine.dispose()


def demo_database(path: Path) -> str:
    """A migrated SQLite database at ``path`` with the demo seed; its URL."""
    from marketplace.config import Settings
    from marketplace.db import make_engine, make_session_factory
    from marketplace.migrate import upgrade_database
    from marketplace.seed import seed_demo

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade_database(url, engine)
        seed_demo(make_session_factory(engine), Settings(database_url=url))
    finally:
        engine.dispose()
    return url


def _prepare_database(path: Path, jobs: int) -> str:
    url = demo_database(path)
    seed_jobs(url, TESS[0], jobs)
    return url


async def _first_pull_and_idle(ctx: Context, url: str, port: int, jobs: int) -> list[Figure]:
    from proapp.api.client import MarketplaceClient
    from proapp.sync.engine import SyncEngine
    from proapp.sync.store import Store

    client = _timed_client_class()(url)
    store = Store(ctx.workdir / "device" / "store.sqlite3")
    try:
        session = await client.login(*TESS)
        # The server process started a moment ago. Its first requests pay one-time costs
        # that a phone pulling from a running server never sees: FastAPI builds a
        # router's route table on the first request that reaches it (the login reached
        # only the auth router's), SQLAlchemy compiles and caches each statement once.
        # One untimed pull of one entity, as another install, pays them here; it reads
        # nothing of the 10,000 jobs (the snapshot starts with requests).
        await client.pull(str(uuid.uuid4()), None, 1)
        # The pull itself: the jobs (and everything else the device may see) stored and
        # shown page by page. The images those entities name are fetched after the pull,
        # in the background (docs/SYNC.md, Downloads); they are timed separately below,
        # so the figure is the pull of 10,000 jobs the target speaks of.
        pull_only = SyncEngine(store, client, download_batch=0)
        client.pull_s = 0.0
        t0 = time.perf_counter()
        report = await pull_only.sync_once()
        elapsed = time.perf_counter() - t0
        pull_only.close()
        cached = store.cache.count("job")
        if not report.ok or cached < jobs:
            raise RuntimeError(f"first pull cached {cached} jobs: {report}")
        ctx.log(
            f"first pull: {report.pulled} changes in {report.pages} pages, {elapsed:.2f} s, "
            f"of which {client.pull_s:.2f} s waiting in pull calls (server + transfer + "
            "parsing); the rest is the device storing pages"
        )
        # The device downloads at most DOWNLOAD_BATCH images a round, so the demo's
        # photos may take more rounds; only after them is it really idle.
        engine = SyncEngine(store, client)
        t1 = time.perf_counter()
        images = 0
        for _ in range(50):
            more = await engine.sync_once()
            images += more.blobs_downloaded
            if not more.ok or not more.blobs_downloaded:
                break
        images_s = time.perf_counter() - t1
        engine.close()
        ctx.log(f"then {images} images downloaded in {images_s:.2f} s (background rounds)")

        # Idle: the same device, a new connection through the counting proxy.
        proxy = CountingProxy(port)
        await proxy.start()
        transport = CountingTransport()
        counted = MarketplaceClient(
            f"http://127.0.0.1:{proxy.port}", transport=transport, session=session
        )
        try:
            idle_engine = SyncEngine(store, counted)
            idle = await idle_engine.sync_once()
            idle_engine.close()
        finally:
            await counted.aclose()
            await proxy.close()
        if not idle.ok or idle.pulled or idle.pushes:
            raise RuntimeError(f"the idle sync was not idle: {idle}")
        ctx.log(f"idle sync: sent {proxy.sent} bytes, received {proxy.received} bytes")
    finally:
        store.close()
        await client.aclose()
    return [
        Figure("first_pull_10k_s", elapsed, "s", "<= 3"),
        Figure("first_pull_images_s", images_s, "s"),
        Figure("idle_sync_round_trips", transport.requests, "requests", "== 1"),
        Figure("idle_sync_bytes", proxy.sent + proxy.received, "bytes", "< 1024"),
    ]


@benchmark(
    "first_pull",
    group="sync",
    figures=("first_pull_10k_s", "first_pull_images_s", "idle_sync_round_trips",
             "idle_sync_bytes"),
)
def bench_first_pull(ctx: Context) -> Iterator[Figure]:
    """First pull of 10,000 jobs, then one idle sync counted on the wire."""
    jobs = FIRST_PULL_JOBS  # the same in a quick run: the seeding is the slow part
    database = ctx.workdir / "marketplace.sqlite3"
    _prepare_database(database, jobs)
    server: AbstractContextManager[Any] = _server(ctx, "server", database)
    with server as running:
        figures = asyncio.run(_first_pull_and_idle(ctx, running.url, running.port, jobs))
    yield from figures
