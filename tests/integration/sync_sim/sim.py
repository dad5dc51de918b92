"""One seeded fault simulation: the REAL marketplace app (in-process, on a SQLite copy of
the seeded world) and REAL devices (Store + Outbox + MarketplaceClient + SyncEngine in a
temp dir), talking through `tests.support.faults.FaultyTransport`.

A run interleaves pro actions (a technician's device and a dispatcher's device), sync
rounds and faults chosen by the seed: lost requests and answers, 503s, server restarts,
duplicate and stale resends, client kills (also between "in flight" and the answer) and
customer cancellations racing the pro's queued work. Then the network heals, both devices
sync until idle, and `check` proves the sync invariants (see its docstring).

Time is fake: the engine's clock and sleep are injected, nothing really waits.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session as DbSession

from marketplace import orm
from marketplace.app import create_app
from marketplace.authz import Actor
from marketplace.commands.framework import execute_command
from marketplace.config import Settings
from marketplace.db import make_engine, make_session_factory
from marketplace.sync import MutationIn, PushIn, pull, push
from proapp.api import MarketplaceClient
from proapp.api.models import Session
from proapp.domain import signing
from proapp.domain.models import LineItem
from proapp.sync import BlobStore, Outbox, Store, account_paths
from proapp.sync.engine import SyncEngine
from proapp.sync.outbox import MutationState
from tests.integration.server.world import FakeClock, sha, signature
from tests.integration.sync_sim.world import (
    PASSWORD,
    START,
    SeededWorld,
    copy_world,
    line_item,
    photo,
    seeded_uuid,
    window,
)
from tests.support.faults import ClientKilled, Fault, FaultPlan, FaultyTransport

BASE_URL = "http://127.0.0.1:9"  # never dialled: the transport is the in-process app

RATES = {
    Fault.LOST_REQUEST: 0.07,
    Fault.LOST_RESPONSE: 0.08,
    Fault.UNAVAILABLE: 0.05,
    Fault.RESTART: 0.015,
    Fault.DUPLICATE: 0.05,
    Fault.STALE_REPLAY: 0.06,
    Fault.REORDER: 0.05,
    Fault.CANCEL_RACE: 0.05,
    Fault.KILL_BEFORE: 0.03,
    Fault.KILL_AFTER: 0.04,
}

JOB_STATE_COMMANDS = frozenset(
    {
        "window.confirm",
        "window.propose",
        "appointment.reschedule",
        "job.start",
        "job.report_defective",
        "job.assign",
        "change_order.create",
        "job.complete",
    }
)
"""Pro commands that a customer's cancellation turns into ``job_cancelled``."""

CREATES: dict[str, tuple[Any, str]] = {
    "message.send": (orm.Message, "message_id"),
    "estimate.submit": (orm.Estimate, "estimate_id"),
    "visit.propose": (orm.Visit, "visit_id"),
    "photo.attach": (orm.Photo, "photo_id"),
    "change_order.create": (orm.ChangeOrder, "change_order_id"),
}
"""Commands that create a row with a client-generated id: (table, args field)."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ServerHolder:
    """The in-process server: an app on the seed's database file; `restart` builds a new
    app (new engine, no in-memory state) on the same file."""

    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        self.settings = settings
        self.clock = clock
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        self.app = create_app(self.settings, clock=self.clock)
        self.transport = httpx.ASGITransport(app=self.app)

    def restart(self) -> None:
        old = self.app
        self._start()
        old.state.engine.dispose()
        self.restarts += 1

    def current(self) -> httpx.AsyncBaseTransport:
        return self.transport

    def close(self) -> None:
        self.app.state.engine.dispose()


@dataclass
class FakeSleep:
    clock: FakeClock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


@dataclass
class Device:
    """One install of one pro: store, client and engine; `kill` and `open` simulate the
    app dying and starting again on the same files."""

    label: str
    user_id: str
    email: str
    base: Path
    transport: FaultyTransport
    clock: FakeClock
    rng: random.Random
    session: Session | None = None
    store: Store | None = None
    client: MarketplaceClient | None = None
    engine: SyncEngine | None = None
    enqueued: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    kills: int = 0

    async def open(self) -> None:
        self.store = Store(account_paths(self.user_id, self.base).database, clock=self.clock)
        self.client = MarketplaceClient(BASE_URL, transport=self.transport, session=self.session)
        if self.session is None:
            self.session = await self.client.login(self.email, PASSWORD)
        self.engine = SyncEngine(
            self.store,
            self.client,
            clock=self.clock,
            sleep=FakeSleep(self.clock),
            rng=random.Random(self.rng.random()),
            push_batch=self.rng.choice([1, 3, 5, 100]),
            pull_limit=self.rng.choice([3, 10, 200]),
        )

    async def kill(self) -> None:
        """The process dies: nothing but the committed store survives."""
        self.kills += 1
        assert self.client is not None and self.store is not None
        if self.client.session is not None:
            self.session = self.client.session
        await self.client.aclose()
        self.store.close()
        self.store = self.client = self.engine = None

    @property
    def outbox(self) -> Outbox:
        assert self.store is not None
        return Outbox(self.store)

    def enqueue(
        self,
        name: str,
        args: dict[str, Any],
        overlay_job: str | None = None,
        blob: bytes | None = None,
    ) -> int:
        assert self.store is not None
        with self.store.transaction() as tx:
            if blob is not None:
                BlobStore(self.store).put(blob, "image/png", tx=tx)
            entry = self.outbox.enqueue(tx, name, args)
            if overlay_job is not None:
                # The optimistic overlay the UI would show; a settled sync must drop it.
                self.store.cache.put_overlay(
                    tx, "job", overlay_job, {"id": overlay_job, "local": name}, entry.mid
                )
        self.enqueued[entry.mid] = (name, entry.args)
        return entry.mid

    async def sync(self, force: bool) -> str:
        assert self.engine is not None
        try:
            report = await self.engine.sync_once(force=force)
        except ClientKilled:
            await self.kill()
            await self.open()
            return "killed"
        return "ok" if report.ok else f"failed:{report.error_code}"


@dataclass
class Cancel:
    """A customer cancellation that raced the pro: where it landed in the server's order."""

    job_id: str
    applied: bool
    position: int  # sync_results rows (by rowid) that existed when it ran
    last_mids: dict[str, int]  # client_id -> last_mid at that moment


@dataclass
class Run:
    seed: int
    world: SeededWorld
    database: Path
    settings: Settings
    server: ServerHolder
    devices: list[Device]
    trace: list[str]
    cancels: list[Cancel]

    def trace_text(self) -> str:
        return "\n".join(self.trace)


class _Actions:
    """Random pro actions that make sense on the seeded world."""

    def __init__(self, world: SeededWorld, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.estimates: list[str] = []
        # What the device believes a job's lines and price are (its optimistic view):
        # signatures are computed over it, so a change the server refused makes later
        # signatures mismatch, which the server must refuse with a reason.
        self.lines = {job: [dict(line) for line in ls] for job, ls in world.lines.items()}
        self.prices = dict(world.prices)

    def _signed(self, content: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        png = photo(self.rng)
        return signature(self.world.tess_id, sha(png), content), png

    def change_order(self, device: Device, job: str) -> int:
        change_order_id = seeded_uuid(self.rng)
        added = [line_item(self.rng)]
        content = signing.change_order_signed_content(
            change_order_id=change_order_id,
            job_id=job,
            reason="Extra valve",
            original_lines=[LineItem.model_validate(line) for line in self.lines[job]],
            added_lines=[LineItem.model_validate(line) for line in added],
            removed_line_ids=[],
        )
        record, png = self._signed(content)
        self.lines[job] = [*self.lines[job], *added]
        self.prices[job] += int(content["delta_cents"])
        return device.enqueue(
            "change_order.create",
            {
                "change_order_id": change_order_id,
                "job_id": job,
                "reason": "Extra valve",
                "added_lines": added,
                "signature": record,
            },
            overlay_job=job,
            blob=png,
        )

    def complete(self, device: Device, job: str) -> int:
        content = signing.completion_signed_content(
            job_id=job,
            summary="All done",
            total_cents=self.prices[job],
            line_items=[LineItem.model_validate(line) for line in self.lines[job]],
        )
        record, png = self._signed(content)
        return device.enqueue(
            "job.complete",
            {"job_id": job, "summary": "All done", "signature": record},
            overlay_job=job,
            blob=png,
        )

    def all_jobs(self) -> list[str]:
        return [*self.world.jobs, *self.world.scheduled_jobs, *self.world.working_jobs]

    def tech(self, device: Device) -> int:
        rng, w = self.rng, self.world
        job = rng.choice(self.all_jobs())
        kind = rng.choices(
            [
                "message",
                "estimate",
                "withdraw",
                "visit",
                "confirm",
                "propose",
                "reschedule",
                "start",
                "defective",
                "photo",
                "change_order",
                "complete",
            ],
            weights=[30, 10, 4, 5, 10, 4, 4, 8, 2, 5, 6, 4],
        )[0]
        if kind == "message":
            target = (
                {"job_id": job} if rng.random() < 0.7 else {"request_id": rng.choice(w.requests)}
            )
            return device.enqueue(
                "message.send",
                {"message_id": seeded_uuid(rng), "body": f"note {rng.randrange(10**6)}", **target},
            )
        if kind == "estimate":
            estimate_id = seeded_uuid(rng)
            self.estimates.append(estimate_id)
            return device.enqueue(
                "estimate.submit",
                {
                    "estimate_id": estimate_id,
                    "request_id": rng.choice(w.requests),
                    "line_items": [line_item(rng) for _ in range(rng.randint(1, 3))],
                    "parts_supplier": "PRO",
                },
            )
        if kind == "withdraw" and self.estimates:
            return device.enqueue("estimate.withdraw", {"estimate_id": rng.choice(self.estimates)})
        if kind == "visit":
            return device.enqueue(
                "visit.propose",
                {
                    "visit_id": seeded_uuid(rng),
                    "request_id": rng.choice(w.requests),
                    "price_cents": rng.choice([0, 4_900, 15_000]),
                },
            )
        if kind == "confirm":
            return device.enqueue(
                "window.confirm",
                {"job_id": job, "preferred_window_id": rng.choice(w.windows[job])},
                overlay_job=job,
            )
        if kind == "propose":
            return device.enqueue(
                "window.propose",
                {"job_id": job, "window": window(rng.randint(3, 9))},
                overlay_job=job,
            )
        if kind == "reschedule":
            return device.enqueue(
                "appointment.reschedule",
                {
                    "job_id": job,
                    "window": window(rng.randint(3, 9)),
                    "reason_code": "TECHNICIAN_ISSUE",
                },
                overlay_job=job,
            )
        if kind == "start":
            return device.enqueue("job.start", {"job_id": job}, overlay_job=job)
        if kind == "defective":
            return device.enqueue(
                "job.report_defective",
                {"job_id": job, "note": "The unit is cracked."},
                overlay_job=job,
            )
        if kind in ("change_order", "complete") and rng.random() < 0.7:
            job = rng.choice(w.working_jobs)
        if kind == "change_order":
            return self.change_order(device, job)
        if kind == "complete":
            return self.complete(device, job)
        if kind == "photo":
            data = photo(rng)
            return device.enqueue(
                "photo.attach",
                {
                    "photo_id": seeded_uuid(rng),
                    "target_kind": "job",
                    "target_id": job,
                    "blob_hash": sha(data),
                },
                blob=data,
            )
        return device.enqueue(
            "message.send", {"message_id": seeded_uuid(rng), "job_id": job, "body": "fallback"}
        )

    def dispatcher(self, device: Device) -> int:
        rng, w = self.rng, self.world
        job = rng.choice(self.all_jobs())
        if rng.random() < 0.6:
            techs = [w.tess_id] if rng.random() < 0.5 else [w.tess_id, w.marco_id]
            return device.enqueue(
                "job.assign", {"job_id": job, "technician_ids": techs}, overlay_job=job
            )
        return device.enqueue(
            "message.send",
            {"message_id": seeded_uuid(rng), "job_id": job, "body": "from the office"},
        )


def _actor(session: DbSession, user_id: str) -> Actor:
    return Actor.from_user(session.get_one(orm.User, user_id))


async def simulate(seed: int, world: SeededWorld, tmp: Path) -> Run:
    """Run seed ``seed`` to the end (faults, then a healed network) and return the run."""
    rng = random.Random(seed)
    database = copy_world(world, tmp / "server.sqlite3")
    settings = world.settings(database)
    server_clock = FakeClock(START)
    server = ServerHolder(settings, server_clock)
    trace: list[str] = []
    cancels: list[Cancel] = []
    plan = FaultPlan(random.Random(rng.random()), RATES)
    device_clock = FakeClock(START)
    cancel_rng = random.Random(rng.random())

    async def cancel_race(body: bytes) -> str | None:
        # A customer cancels a job this push is about to act on (R7): the pro's queued
        # command must come back rejected job_cancelled, content intact.
        mutations = json.loads(body)["mutations"]
        done = {c.job_id for c in cancels if c.applied}
        # In order of appearance (not by id), so the choice is the same in every process.
        jobs = [
            job
            for job in dict.fromkeys(
                m["args"]["job_id"] for m in mutations if m["name"] in JOB_STATE_COMMANDS
            )
            if job not in done
        ]
        if not jobs:
            return None
        job = cancel_rng.choice(jobs)
        factory = server.app.state.session_factory
        with factory() as s, s.begin():
            outcome = execute_command(
                s,
                _actor(s, world.customer_id),
                "customer.job.cancel",
                {"job_id": job, "reason": ""},
                seeded_uuid(cancel_rng),
                settings=settings,
                clock=server_clock,
            )
            rows = s.execute(select(orm.SyncClient.client_id, orm.SyncClient.last_mid)).all()
        with sqlite3.connect(database) as conn:
            pos = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM sync_results").fetchone()[0]
        cancels.append(Cancel(job, outcome.applied, int(pos), {c: int(m) for c, m in rows}))
        return f"cancel {job[:8]} {'applied' if outcome.applied else outcome.body.get('code')}"

    devices: list[Device] = []
    for label, user_id, email in (
        ("tech", world.tess_id, world.tess_email),
        ("office", world.dispatcher_id, world.dispatcher_email),
    ):
        transport = FaultyTransport(
            label=label,
            target=server.current,
            restart=server.restart,
            plan=plan,
            trace=trace,
            on_push=cancel_race,
        )
        device = Device(
            label,
            user_id,
            email,
            tmp / f"device-{label}",
            transport,
            device_clock,
            random.Random(rng.random()),
        )
        await device.open()
        devices.append(device)
    tech, office = devices
    actions = _Actions(world, random.Random(rng.random()))
    run = Run(seed, world, database, settings, server, devices, trace, cancels)

    for step in range(rng.randint(4, 10)):
        device = tech if rng.random() < 0.75 else office
        for _ in range(rng.randint(1, 3)):
            if device is tech:
                actions.tech(device)
            else:
                actions.dispatcher(device)
        if rng.random() < 0.75:
            outcome = await device.sync(force=rng.random() < 0.5)
            trace.append(f"step {step}: {device.label} sync {outcome}")
        if rng.random() < 0.08:
            await device.kill()
            await device.open()
            trace.append(f"step {step}: {device.label} killed between rounds")
        device_clock.advance(seconds=rng.randint(1, 90))

    # The network heals: sync both devices until nothing is waiting, then once more each
    # (the other device's last changes arrive by pull).
    plan.enabled = False
    for device in devices:
        for _ in range(8):
            device_clock.advance(seconds=600)
            outcome = await device.sync(force=True)
            assert device.store is not None
            if outcome == "ok" and Outbox(device.store).status().unsent == 0:
                break
        trace.append(f"final: {device.label} sync {outcome}")
    for device in devices:
        trace.append(f"final pull: {device.label} {await device.sync(force=True)}")
    return run


async def close(run: Run) -> None:
    for device in run.devices:
        if device.client is not None:
            await device.client.aclose()
        if device.store is not None:
            device.store.close()
    run.server.close()


# --------------------------------------------------------------------------- checks


def _pull_everything(engine: Engine, factory: Any, actor: Actor) -> dict[tuple[str, str], Any]:
    """The server's serialized view for ``actor``: a first pull, every page."""
    view: dict[tuple[str, str], Any] = {}
    cursor: str | None = None
    client_id = "00000000-0000-4000-8000-000000000000"
    for _ in range(1000):
        page = pull(engine, factory, actor, client_id, cursor, 500)
        for change in page.changes:
            if change.op == "delete":
                view.pop((change.kind, change.id), None)
            else:
                view[(change.kind, change.id)] = (change.version, change.data)
        cursor = page.cursor
        if not page.has_more:
            return view
    raise AssertionError("pull never finished")


def _normalise(value: Any, known: set[str]) -> Any:
    """Replace ids the SERVER generated (appointments, signatures) by a placeholder, so
    two databases that did the same things compare equal."""
    if isinstance(value, dict):
        return {k: _normalise(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, known) for v in value]
    if isinstance(value, str) and _UUID.match(value) and value not in known:
        return "<server-id>"
    return value


def _ids_in(value: Any, into: set[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _ids_in(v, into)
    elif isinstance(value, list):
        for v in value:
            _ids_in(v, into)
    elif isinstance(value, str) and _UUID.match(value):
        into.add(value)


@dataclass(frozen=True)
class Outcome:
    status: str
    code: str | None


def _server_results(database: Path) -> list[tuple[int, str, int, str, str, str | None]]:
    """(rowid, client_id, mid, mutation_id, status, code) in the order the server ran them."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT r.rowid, c.client_id, r.mid, r.mutation_id, r.status, r.result "
            "FROM sync_results r JOIN sync_clients c ON c.id = r.client_pk ORDER BY r.rowid"
        ).fetchall()
    out = []
    for rowid, client_id, mid, mutation_id, status, result in rows:
        error = json.loads(result).get("error") or {}
        out.append(
            (int(rowid), str(client_id), int(mid), str(mutation_id), str(status), error.get("code"))
        )
    return out


def _table_counts(factory: Any) -> dict[str, int]:
    with factory() as s:
        return {
            model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (
                orm.LedgerEntry,
                orm.Signature,
                orm.ChangeOrder,
                orm.Message,
                orm.Estimate,
                orm.Visit,
                orm.Photo,
                orm.Appointment,
                orm.JobAssignment,
                orm.Change,
                orm.IdempotencyRecord,
                orm.SyncResult,
            )
        }


def _changes(factory: Any) -> list[tuple[str, str]]:
    with factory() as s:
        return [
            (e, i)
            for e, i in s.execute(
                select(orm.Change.entity, orm.Change.entity_id).order_by(orm.Change.seq)
            )
        ]


def _reference(
    run: Run,
    tmp: Path,
    order: list[tuple[int, str, int, str, str, str | None]],
    entries: dict[str, dict[int, Any]],
) -> tuple[dict[tuple[str, int], Outcome], Path]:
    """Apply every mutation ONCE, fault-free, in the order the faulty server ran them
    (cancellations at the same points), on a fresh copy of the world."""
    database = copy_world(run.world, tmp / "reference.sqlite3")
    with sqlite3.connect(database) as conn:  # the blobs the devices uploaded
        conn.execute("ATTACH DATABASE ? AS faulty", (str(run.database),))
        conn.execute("INSERT INTO blobs SELECT * FROM faulty.blobs")
        conn.commit()
        conn.execute("DETACH DATABASE faulty")
    settings = run.world.settings(database)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    clock = FakeClock(START)
    users = {d.store_client_id: d.user_id for d in _clients(run)}
    outcomes: dict[tuple[str, int], Outcome] = {}
    pending_cancels = sorted(run.cancels, key=lambda c: c.position)
    try:

        def cancel_upto(rowid: int) -> None:
            while pending_cancels and pending_cancels[0].position < rowid:
                cancel = pending_cancels.pop(0)
                with factory() as s, s.begin():
                    outcome = execute_command(
                        s,
                        _actor(s, run.world.customer_id),
                        "customer.job.cancel",
                        {"job_id": cancel.job_id, "reason": ""},
                        seeded_uuid(random.Random()),
                        settings=settings,
                        clock=clock,
                    )
                if outcome.applied != cancel.applied:
                    raise AssertionError(
                        f"the customer's cancel of {cancel.job_id} went "
                        f"differently in the fault-free run: {outcome.body}"
                    )

        for rowid, client_id, mid, _mutation_id, _status, _code in order:
            cancel_upto(rowid)
            entry = entries[client_id][mid]
            with factory() as s:
                actor = _actor(s, users[client_id])
            answer = push(
                factory,
                actor,
                client_id,
                PushIn(
                    mutations=[
                        MutationIn(
                            mid=mid,
                            id=entry.mutation_id,
                            name=entry.name,
                            args=entry.args,
                            base_version=entry.base_version,
                        )
                    ]
                ),
                settings=settings,
                clock=clock,
            )
            result = answer.results[0]
            outcomes[(client_id, mid)] = Outcome(
                result.status, result.error.code if result.error else None
            )
        cancel_upto(10**12)
    finally:
        engine.dispose()
    return outcomes, database


@dataclass
class _ClientInfo:
    label: str
    user_id: str
    store_client_id: str


def _clients(run: Run) -> list[_ClientInfo]:
    out = []
    for d in run.devices:
        assert d.store is not None
        out.append(_ClientInfo(d.label, d.user_id, d.store.client_id))
    return out


def check(run: Run, tmp: Path) -> None:
    """The invariants, after the healed network's final sync:

    1. Every mutation ends applied or rejected-with-reason: no pending or in-flight rows;
       rejected ones keep their original args and carry code and message.
    2. Per-install order and exactly-once bookkeeping: the server processed each
       install's mids 1..N, each once, in rising order, under the device's mutation id,
       and its stored outcome is what the device recorded.
    3. Each effect exactly once: every applied create has exactly one row with its id, a
       rejected one none; and a fault-free replay of the same mutations, once each, in
       the server's order, gives the same outcomes, the same change feed (entity by
       entity, in order), the same row counts and the same serialized entities.
    4. Customer cancellations racing the pro: every queued job command on the cancelled
       job ends rejected ``job_cancelled``, in needs-attention, content intact.
    5. Each device's cache equals the server's serialized view for its user (a fresh
       first pull), with no optimistic overlay left.
    """
    problems: list[str] = []
    entries: dict[str, dict[int, Any]] = {}
    for device in run.devices:
        assert device.store is not None
        store = device.store
        rows = {e.mid: e for e in _all_entries(store)}
        entries[store.client_id] = rows
        if sorted(rows) != sorted(device.enqueued):
            problems.append(f"{device.label}: outbox mids {sorted(rows)} != enqueued")
        for mid, entry in rows.items():
            if entry.state not in (MutationState.APPLIED, MutationState.REJECTED):
                problems.append(f"{device.label} mid {mid} {entry.name} left {entry.state}")
            if entry.args != device.enqueued[mid][1]:
                problems.append(f"{device.label} mid {mid}: args changed")
            if entry.state is MutationState.REJECTED:
                rej = entry.rejection
                if rej is None or not rej.code or not rej.message or not entry.needs_attention:
                    problems.append(f"{device.label} mid {mid}: rejected without a reason")

    order = _server_results(run.database)
    per_client: dict[str, list[tuple[int, str, str, str | None]]] = {}
    for _rowid, client_id, mid, mutation_id, status, code in order:
        per_client.setdefault(client_id, []).append((mid, mutation_id, status, code))
    for client_id, rows in entries.items():
        seen = per_client.get(client_id, [])
        mids = [m for m, *_ in seen]
        if mids != list(range(1, len(rows) + 1)):
            problems.append(
                f"client {client_id[:8]}: server ran mids {mids}, device has 1..{len(rows)}"
            )
        for mid, mutation_id, status, code in seen:
            entry = rows.get(mid)
            if entry is None:
                continue
            if mutation_id != entry.mutation_id:
                problems.append(
                    f"mid {mid}: server ran mutation {mutation_id}, device has {entry.mutation_id}"
                )
            device_code = entry.rejection.code if entry.rejection else None
            if (status, code) != (str(entry.state), device_code):
                problems.append(
                    f"mid {mid} {entry.name}: server {status}/{code}, device "
                    f"{entry.state}/{device_code}"
                )

    engine = make_engine(run.settings.database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as s:
            for rows in entries.values():
                for entry in rows.values():
                    if entry.name not in CREATES:
                        continue
                    model, field_name = CREATES[entry.name]
                    n = int(
                        s.scalar(
                            select(func.count())
                            .select_from(model)
                            .where(model.id == entry.args[field_name])
                        )
                        or 0
                    )
                    want = 1 if entry.state is MutationState.APPLIED else 0
                    if n != want:
                        problems.append(
                            f"{entry.name} {entry.args[field_name][:8]} "
                            f"({entry.state}): {n} rows, want {want}"
                        )

            # R9: a completed job is charged exactly once, however often it was resent.
            for rows in entries.values():
                for entry in rows.values():
                    if entry.name != "job.complete":
                        continue
                    charges = int(
                        s.scalar(
                            select(func.count())
                            .select_from(orm.LedgerEntry)
                            .where(
                                orm.LedgerEntry.job_id == entry.args["job_id"],
                                orm.LedgerEntry.kind == "CHARGE",
                            )
                        )
                        or 0
                    )
                    if entry.state is MutationState.APPLIED and charges != 1:
                        problems.append(f"job {entry.args['job_id'][:8]} charged {charges}x")
                    if charges > 1:
                        problems.append(f"job {entry.args['job_id'][:8]} charged {charges}x")

        reference, ref_db = _reference(run, tmp, order, entries)
        for _rowid, client_id, mid, _mid_id, status, code in order:
            want_outcome = reference[(client_id, mid)]
            if want_outcome != Outcome(status, code):
                problems.append(
                    f"mid {mid}: ran as {status}/{code}, a single fault-free "
                    f"run gives {want_outcome.status}/{want_outcome.code}"
                )
        ref_engine = make_engine(run.world.settings(ref_db).database_url)
        ref_factory = make_session_factory(ref_engine)
        try:
            if _table_counts(factory) != _table_counts(ref_factory):
                problems.append(
                    f"row counts {_table_counts(factory)} != fault-free "
                    f"{_table_counts(ref_factory)}"
                )
            known: set[str] = set()
            _ids_in([e.args for rows in entries.values() for e in rows.values()], known)
            _ids_in(
                [
                    run.world.business_id,
                    run.world.dispatcher_id,
                    run.world.tess_id,
                    run.world.marco_id,
                    run.world.customer_id,
                    *run.world.jobs,
                    *run.world.scheduled_jobs,
                    *run.world.working_jobs,
                    *run.world.requests,
                    *[w for ws in run.world.windows.values() for w in ws],
                ],
                known,
            )
            # Ledger entries (R9 charges) get server-made ids: compare them as "<server-id>".
            feed, ref_feed = (
                _normalise(_changes(factory), known),
                _normalise(_changes(ref_factory), known),
            )
            if feed != ref_feed:
                first = next(
                    (i for i, (a, b) in enumerate(zip(feed, ref_feed, strict=False)) if a != b),
                    min(len(feed), len(ref_feed)),
                )
                problems.append(
                    "the change feed differs from a fault-free run (effects duplicated, lost "
                    f"or reordered) from seq {first + 1}: {feed[first : first + 3]} vs "
                    f"{ref_feed[first : first + 3]}"
                )
            with factory() as s:
                office = _actor(s, run.world.dispatcher_id)
            faulty_view = _normalise(
                {f"{k}/{i}": v for (k, i), v in _pull_everything(engine, factory, office).items()},
                known,
            )
            ref_view = _normalise(
                {
                    f"{k}/{i}": v
                    for (k, i), v in _pull_everything(ref_engine, ref_factory, office).items()
                },
                known,
            )
            if faulty_view != ref_view:
                diff = sorted(
                    k
                    for k in set(faulty_view) | set(ref_view)
                    if faulty_view.get(k) != ref_view.get(k)
                )
                problems.append(f"server entities differ from a fault-free run: {diff[:5]}")
                for key in diff[:2]:
                    problems.append(
                        f"  {key}:\n    run:       {faulty_view.get(key)}\n"
                        f"    fault-free: {ref_view.get(key)}"
                    )
        finally:
            ref_engine.dispose()

        for cancel in run.cancels:
            if not cancel.applied:
                continue
            for device in run.devices:
                assert device.store is not None
                last = cancel.last_mids.get(device.store.client_id, 0)
                for mid, entry in entries[device.store.client_id].items():
                    if (
                        mid > last
                        and entry.name in JOB_STATE_COMMANDS
                        and entry.args["job_id"] == cancel.job_id
                    ):
                        code = entry.rejection.code if entry.rejection else None
                        if code != "job_cancelled" or not entry.needs_attention:
                            problems.append(
                                f"{entry.name} mid {mid} after the customer "
                                f"cancelled: {entry.state}/{code}"
                            )

        for device in run.devices:
            assert device.store is not None
            with factory() as s:
                actor = _actor(s, device.user_id)
            server_view = _pull_everything(engine, factory, actor)
            conn = device.store.connection()
            cached = {
                (k, i): (v, json.loads(j) if j else None, om)
                for k, i, v, j, om in conn.execute(
                    "SELECT kind, id, version, json, overlay_mid FROM entities"
                )
            }
            overlays = [key for key, (_v, _j, om) in cached.items() if om is not None]
            if overlays:
                problems.append(f"{device.label}: overlays left on {overlays[:3]}")
            mine = {key: (v, j) for key, (v, j, _om) in cached.items()}
            if mine != server_view:
                diff = sorted(
                    k for k in set(mine) | set(server_view) if mine.get(k) != server_view.get(k)
                )
                problems.append(f"{device.label}: cache != server for {diff[:5]}")
    finally:
        engine.dispose()

    if problems:
        raise AssertionError(
            f"seed={run.seed} (replay: PROAPP_SIM_SEED={run.seed})\n"
            + "\n".join(problems)
            + "\n--- fault trace ---\n"
            + run.trace_text()
        )


def _all_entries(store: Store) -> list[Any]:
    outbox = Outbox(store)
    rows = store.connection().execute("SELECT mid FROM outbox ORDER BY mid").fetchall()
    out = []
    for (mid,) in rows:
        entry = outbox.get(int(mid))
        assert entry is not None
        out.append(entry)
    return out
