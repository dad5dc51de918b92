"""In-memory fakes of the screen-state ports, for fast state unit tests.

`FakeRepository` implements `proapp.state.ports.ProRepository` without SQLite, HTTP or
threads: tests seed requests, jobs and messages, call the state under test, then look at
``performed`` (the commands it sent) and at what the repository now returns.

``perform`` validates like the real repository does (`proapp.sync.optimistic`): a
plainly illegal action raises `DomainError` and records nothing; otherwise the command is
recorded, its optimistic effect is applied to the fake's data (so the state sees the new
estimate, the started job, the sent message...), a pending `OutboxEntry` is queued and
subscribers are told.

`FakeNavigator` records navigation. The ``make_*`` builders return valid domain models
with sensible defaults, times relative to a given ``now``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from proapp.domain.commands import CommandArgs, parse_command_args
from proapp.domain.enums import (
    JobOrigin,
    JobStatus,
    LineItemKind,
    LocationType,
    RequestStatus,
    Role,
)
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import (
    Address,
    Appointment,
    Business,
    ChangeOrder,
    CustomRequest,
    Estimate,
    Job,
    LineItem,
    Message,
    PreferredWindow,
    TimeWindow,
    User,
    VisitProposal,
)
from proapp.state.ports import (
    ChangesListener,
    JobRecord,
    Navigator,
    PhotoRecord,
    ProRepository,
    RequestRecord,
    Route,
)
from proapp.sync.optimistic import ENTITY_MODELS, optimistic_effects
from proapp.sync.outbox import MutationState, OutboxEntry, Rejection
from proapp.sync.status import SyncStatus

__all__ = [
    "DEMO_BUSINESS_ID",
    "DEMO_CUSTOMER_ID",
    "FIXED_NOW",
    "FakeClock",
    "FakeNavigator",
    "FakeRepository",
    "make_job",
    "make_line",
    "make_request",
    "make_user",
    "run",
]

FIXED_NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
"""A Thursday afternoon UTC (morning in the US): default ``now`` of the builders."""

DEMO_BUSINESS_ID = "6f1c2b8e-3d4a-4c5b-9e7f-1a2b3c4d5e6f"
DEMO_CUSTOMER_ID = "0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f"
_TECH_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
_SERVICE_ID = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"


T = TypeVar("T")


class FakeClock:
    """A clock the test moves by hand: ``clock.now += timedelta(...)``."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run(scenario: Coroutine[Any, Any, T] | Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a test scenario (a coroutine, or a function making one) on a fresh loop."""
    return asyncio.run(scenario() if callable(scenario) else scenario)


# --------------------------------------------------------------------------- builders


def make_user(
    *,
    role: Role = Role.TECHNICIAN,
    user_id: str = _TECH_ID,
    name: str = "Tess Rivera",
    email: str = "tess@brightfix.example",
    business_id: str = DEMO_BUSINESS_ID,
) -> User:
    """A signed-in pro (technician Tess by default)."""
    return User(id=user_id, email=email, name=name, role=role, business_id=business_id)


def make_line(
    description: str = "Labor",
    *,
    unit_price_cents: int = 12_000,
    quantity: int = 1,
    kind: LineItemKind = LineItemKind.LABOR,
    line_id: str | None = None,
) -> LineItem:
    """One line item (labor, $120.00 by default)."""
    return LineItem(
        id=line_id or str(uuid.uuid4()),
        kind=kind,
        description=description,
        quantity=quantity,
        unit_price_cents=unit_price_cents,
    )


def _address(state: str = "WA") -> Address:
    return Address(line1="123 Main St", city="Seattle", state=state, postal_code="98101")


def make_request(
    now: datetime = FIXED_NOW,
    *,
    request_id: str | None = None,
    title: str = "Fix a leaking kitchen faucet",
    status: RequestStatus = RequestStatus.OPEN,
    submitted_ago: timedelta = timedelta(hours=2),
    estimate_due_in: timedelta = timedelta(hours=22),
    closes_in: timedelta = timedelta(days=3),
    site_photo_hashes: Sequence[str] = (),
    location_type: LocationType = LocationType.IN_HOME,
    time_zone: str = "America/Los_Angeles",
    description: str = "Drips constantly from the spout.",
    business_id: str = DEMO_BUSINESS_ID,
    customer_id: str = DEMO_CUSTOMER_ID,
    address_state: str = "WA",
) -> CustomRequest:
    """An OPEN custom request submitted ``submitted_ago`` before ``now``, due and closing
    at ``now + estimate_due_in`` / ``now + closes_in`` (pass negative deltas for past)."""
    submitted_at = now - submitted_ago
    due = now + estimate_due_in
    closes = now + closes_in
    return CustomRequest(
        id=request_id or str(uuid.uuid4()),
        business_id=business_id,
        customer_id=customer_id,
        title=title,
        description=description,
        site_photo_hashes=list(site_photo_hashes),
        dimensions="",
        product_info="",
        location_type=location_type,
        address=_address(address_state) if location_type is LocationType.IN_HOME else None,
        time_zone=time_zone,
        submitted_at=min(submitted_at, due),
        status=status,
        estimate_due_at=due,
        closes_at=max(closes, due),
    )


def make_job(
    now: datetime = FIXED_NOW,
    *,
    job_id: str | None = None,
    title: str = "Garbage disposal install",
    status: JobStatus = JobStatus.PENDING_SCHEDULE,
    window_start_in: timedelta = timedelta(days=1),
    window_hours: int = 2,
    lines: Sequence[LineItem] | None = None,
    assigned_technician_ids: Sequence[str] = (_TECH_ID,),
    customer_name: str = "Alice Adams",
    customer_phone: str | None = None,
    time_zone: str = "America/Los_Angeles",
    version: int = 1,
    confirmation_due_in: timedelta = timedelta(hours=24),
    business_id: str = DEMO_BUSINESS_ID,
    customer_id: str = DEMO_CUSTOMER_ID,
) -> Job:
    """A packaged in-home job with 3 preferred windows starting ``window_start_in`` after
    ``now`` (one a day). SCHEDULED/IN_PROGRESS/COMPLETED jobs get an appointment in the
    first preferred window."""
    jid = job_id or str(uuid.uuid4())
    items = list(lines) if lines is not None else [make_line("Install disposal")]
    preferred = [
        PreferredWindow(
            id=str(uuid.uuid4()),
            window=TimeWindow(
                start=now + window_start_in + timedelta(days=day),
                end=now + window_start_in + timedelta(days=day, hours=window_hours),
            ),
        )
        for day in range(3)
    ]
    needs_appointment = {JobStatus.SCHEDULED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED}
    appointment = (
        Appointment(
            id=str(uuid.uuid4()),
            job_id=jid,
            window=preferred[0].window,
            assigned_technician_ids=list(assigned_technician_ids),
        )
        if status in needs_appointment
        else None
    )
    return Job(
        id=jid,
        business_id=business_id,
        customer_id=customer_id,
        origin=JobOrigin.PACKAGED,
        service_id=_SERVICE_ID,
        title=title,
        scope="Remove the old unit and install the new one.",
        whats_included=["Disposal unit", "Haul-away"],
        line_items=items,
        location_type=LocationType.IN_HOME,
        address=_address(),
        time_zone=time_zone,
        customer_name=customer_name,
        customer_phone=customer_phone,
        status=status,
        ordered_at=now - timedelta(hours=3),
        preferred_windows=preferred,
        appointment=appointment,
        assigned_technician_ids=list(assigned_technician_ids),
        price_cents=sum(line.total_cents for line in items),
        window_confirmation_due_at=now + confirmation_due_in,
        version=version,
    )


# --------------------------------------------------------------------------- repository


class FakeRepository:
    """An in-memory `ProRepository` for state tests (see the module docstring).

    Seed with `add_request`, `add_job`, `add_message`; inspect ``performed``, ``drafts``,
    ``blobs``, ``entries``; steer with `fail_next`, `set_status`, `reject`.
    """

    def __init__(
        self,
        user: User | None = None,
        *,
        clock: Callable[[], datetime] = lambda: FIXED_NOW,
        device_id: str = "fake-device-1",
        photo_dir: Path | None = None,
        optimistic: bool = True,
    ) -> None:
        self._user = user or make_user()
        self._device_id = device_id
        self.clock = clock
        self.photo_dir = photo_dir
        self.optimistic = optimistic
        self.requests_by_id: dict[str, CustomRequest] = {}
        self.estimates_by_id: dict[str, Estimate] = {}
        self.visits_by_id: dict[str, VisitProposal] = {}
        self.jobs_by_id: dict[str, Job] = {}
        self.business_record: Business | None = None
        self.change_orders_by_id: dict[str, ChangeOrder] = {}
        self.messages_by_id: dict[str, Message] = {}
        self.photos_by_id: dict[str, PhotoRecord] = {}
        self.pending_ids: set[str] = set()  # entity ids with a local unsent change
        self.performed: list[CommandArgs] = []
        self.drafts: dict[str, tuple[str, dict[str, Any]]] = {}
        self.blobs: dict[str, bytes] = {}
        self.entries: list[OutboxEntry] = []
        self.status = SyncStatus()
        self.sync_now_calls = 0
        self._listeners: list[ChangesListener] = []
        self._fail_next: Exception | None = None
        self._next_mid = 1

    # --- seeding -----------------------------------------------------------------------
    def add_request(
        self,
        request: CustomRequest,
        *,
        estimates: Sequence[Estimate] = (),
        visits: Sequence[VisitProposal] = (),
        photos: Sequence[PhotoRecord] = (),
    ) -> CustomRequest:
        """Seed a request (and its estimates, visits, photos) as if synced."""
        self.requests_by_id[request.id] = request
        for estimate in estimates:
            self.estimates_by_id[estimate.id] = estimate
        for visit in visits:
            self.visits_by_id[visit.id] = visit
        for photo in photos:
            self.photos_by_id[photo.id] = photo
        return request

    def add_job(
        self,
        job: Job,
        *,
        change_orders: Sequence[ChangeOrder] = (),
        photos: Sequence[PhotoRecord] = (),
    ) -> Job:
        """Seed a job (and its change orders, photos) as if synced."""
        self.jobs_by_id[job.id] = job
        for change_order in change_orders:
            self.change_orders_by_id[change_order.id] = change_order
        for photo in photos:
            self.photos_by_id[photo.id] = photo
        return job

    def add_message(self, message: Message) -> Message:
        """Seed a message as if synced."""
        self.messages_by_id[message.id] = message
        return message

    def add_blob(self, data: bytes) -> str:
        """Make bytes "downloaded" so `photo_file` finds them; returns their hash."""
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def fail_next(self, exc: Exception) -> None:
        """Make the next `perform` raise ``exc`` (recording nothing)."""
        self._fail_next = exc

    def set_status(self, status: SyncStatus) -> None:
        """Replace the sync status (e.g. offline) and tell subscribers."""
        self.status = status
        self.notify()

    def reject(self, mid: int, code: str, message: str, **details: Any) -> OutboxEntry:
        """Mark a queued entry as refused by the server (it then needs attention)."""
        for i, entry in enumerate(self.entries):
            if entry.mid == mid:
                new = replace(
                    entry,
                    state=MutationState.REJECTED,
                    rejection=Rejection(code=code, message=message, details=dict(details)),
                    last_error=message,
                    updated_at=self.clock(),
                )
                self.entries[i] = new
                self.notify()
                return new
        raise KeyError(mid)

    def notify(self) -> None:
        """Call every subscriber (as after a local action or a sync)."""
        for listener in list(self._listeners):
            listener()

    # --- ProRepository: identity ---------------------------------------------------------
    @property
    def user(self) -> User:
        """Who is signed in."""
        return self._user

    @property
    def device_id(self) -> str:
        """This fake install's id."""
        return self._device_id

    # --- reads ---------------------------------------------------------------------------
    def _request_record(self, request: CustomRequest) -> RequestRecord:
        estimates = tuple(e for e in self.estimates_by_id.values() if e.request_id == request.id)
        visits = tuple(v for v in self.visits_by_id.values() if v.request_id == request.id)
        photos = tuple(
            p
            for p in self.photos_by_id.values()
            if (p.target_kind == "request" and p.target_id == request.id)
            or (p.target_kind == "estimate" and p.target_id in {e.id for e in estimates})
        )
        ids = {request.id, *(e.id for e in estimates), *(v.id for v in visits)}
        pending = bool(ids & self.pending_ids) or any(p.pending for p in photos)
        return RequestRecord(request, estimates, visits, photos, pending)

    def _job_record(self, job: Job) -> JobRecord:
        orders = tuple(c for c in self.change_orders_by_id.values() if c.job_id == job.id)
        photos = tuple(
            p
            for p in self.photos_by_id.values()
            if p.target_kind == "job" and p.target_id == job.id
        )
        ids = {job.id, *(c.id for c in orders)}
        pending = bool(ids & self.pending_ids) or any(p.pending for p in photos)
        return JobRecord(job, orders, photos, pending)

    async def requests(self) -> list[RequestRecord]:
        """Every seeded request, newest first."""
        items = sorted(self.requests_by_id.values(), key=lambda r: r.submitted_at, reverse=True)
        return [self._request_record(r) for r in items]

    async def request(self, request_id: str) -> RequestRecord | None:
        """One request, or None."""
        found = self.requests_by_id.get(request_id)
        return None if found is None else self._request_record(found)

    async def jobs(self) -> list[JobRecord]:
        """Every seeded job, by arrival window (unscheduled ones by order time), like
        the real repository."""
        items = sorted(
            self.jobs_by_id.values(),
            key=lambda j: j.appointment.window.start if j.appointment else j.ordered_at,
        )
        return [self._job_record(j) for j in items]

    async def job(self, job_id: str) -> JobRecord | None:
        """One job, or None."""
        found = self.jobs_by_id.get(job_id)
        return None if found is None else self._job_record(found)

    async def business(self) -> Business | None:
        """The business set with `set_business` (None until then, as before a sync)."""
        return self.business_record

    def set_business(self, business: Business) -> None:
        """What a sync would have brought: the pro's business."""
        self.business_record = business
        self.notify()

    async def messages(
        self, *, job_id: str | None = None, request_id: str | None = None
    ) -> list[Message]:
        """Messages of a thread (or all), oldest first."""
        items = [
            m
            for m in self.messages_by_id.values()
            if (job_id is None or m.job_id == job_id)
            and (request_id is None or m.request_id == request_id)
        ]
        return sorted(items, key=lambda m: (m.sent_at, m.id))

    async def photo_file(self, blob_hash: str) -> Path | None:
        """A file for a known blob (written under ``photo_dir`` if given), else None."""
        data = self.blobs.get(blob_hash)
        if data is None:
            return None
        if self.photo_dir is None:
            return Path("/fake-photos") / blob_hash
        path = self.photo_dir / blob_hash
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return path

    # --- drafts --------------------------------------------------------------------------
    async def load_draft(self, key: str) -> Mapping[str, Any] | None:
        """The saved draft's data, or None."""
        found = self.drafts.get(key)
        return None if found is None else json.loads(json.dumps(found[1]))

    async def save_draft(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Keep a JSON copy (so non-JSON data fails here like it would in SQLite)."""
        self.drafts[key] = (kind, json.loads(json.dumps(dict(data))))

    async def delete_draft(self, key: str) -> None:
        """Forget a draft."""
        self.drafts.pop(key, None)

    # --- actions -------------------------------------------------------------------------
    async def add_photo(self, data: bytes) -> str:
        """Keep the bytes; return their SHA-256. Non-image bytes (no JPEG/PNG magic)
        raise DomainError ``unsupported_media_type`` like the real repository."""
        if not data.startswith((b"\xff\xd8", b"\x89PNG")):
            raise DomainError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "This file is not a photo the app can read. Take the photo again, or pick "
                "a JPEG or PNG image.",
            )
        return self.add_blob(data)

    async def add_signature(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> str:
        """A stand-in PNG derived from the strokes; returns its hash."""
        if not strokes or not any(strokes):
            raise DomainError(
                ErrorCode.INVALID, "The signature is empty. Ask the customer to sign."
            )
        payload = json.dumps([[list(p) for p in stroke] for stroke in strokes]).encode()
        return self.add_blob(b"\x89PNG fake signature " + payload)

    async def perform(self, command: CommandArgs) -> OutboxEntry:
        """Validate, record, apply the optimistic effect, queue and notify."""
        if self._fail_next is not None:
            exc, self._fail_next = self._fail_next, None
            raise exc
        if self.optimistic:
            self._apply_optimistic(command)
        self.performed.append(command)
        entry = self._new_entry(command.command_name, command.model_dump(mode="json"), None)
        self.entries.append(entry)
        self.notify()
        return entry

    def _apply_optimistic(self, command: CommandArgs) -> None:
        # The real repository's checks and effects (one implementation for both).
        effects = optimistic_effects(command, self._lookup, now=self.clock(), user=self._user)
        for effect in effects:
            self._store_effect(effect.kind, effect.data)
            self.pending_ids.add(effect.id)

    def _lookup(self, kind: str, entity_id: str) -> Mapping[str, Any] | None:
        table: Mapping[str, Any] = self._tables().get(kind, {})
        found = table.get(entity_id)
        if found is None:
            return None
        if isinstance(found, PhotoRecord):
            return {
                "id": found.id,
                "target_kind": found.target_kind,
                "target_id": found.target_id,
                "blob_hash": found.blob_hash,
                "caption": found.caption,
            }
        data: dict[str, Any] = found.model_dump(mode="json")
        return data

    def _tables(self) -> dict[str, dict[str, Any]]:
        return {
            "request": self.requests_by_id,
            "estimate": self.estimates_by_id,
            "visit": self.visits_by_id,
            "job": self.jobs_by_id,
            "change_order": self.change_orders_by_id,
            "message": self.messages_by_id,
            "photo": self.photos_by_id,
        }

    def _store_effect(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "photo":
            photo = PhotoRecord(
                id=str(data["id"]),
                target_kind=str(data["target_kind"]),
                target_id=str(data["target_id"]),
                blob_hash=str(data["blob_hash"]),
                caption=str(data.get("caption", "")),
                pending=True,
            )
            self.photos_by_id[photo.id] = photo
            return
        model = ENTITY_MODELS[kind].model_validate(data)
        self._tables()[kind][str(data["id"])] = model

    def _new_entry(self, name: str, args: dict[str, Any], replaces: int | None) -> OutboxEntry:
        now = self.clock()
        entry = OutboxEntry(
            mid=self._next_mid,
            mutation_id=str(uuid.uuid4()),
            name=name,
            args=args,
            base_version=None,
            blob_hashes=tuple(parse_command_args(name, args).blob_hashes()),
            state=MutationState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
            last_error=None,
            rejection=None,
            resolution=None,
            resolved_at=None,
            replaces_mid=replaces,
        )
        self._next_mid += 1
        return entry

    # --- outbox --------------------------------------------------------------------------
    async def queue(self) -> list[OutboxEntry]:
        """Entries not applied and not resolved, oldest first."""
        return [
            e for e in self.entries if e.state is not MutationState.APPLIED and e.resolution is None
        ]

    async def discard(self, mid: int) -> None:
        """Drop a refused entry (DomainError ``invalid_transition`` if not refused)."""
        entry = self._entry(mid)
        if not entry.needs_attention:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, "Only an action the server refused can be discarded."
            )
        self.entries.remove(entry)
        self.notify()

    async def resubmit(self, mid: int, args: Mapping[str, Any]) -> OutboxEntry:
        """Replace a refused entry with a new pending one carrying ``args``."""
        entry = self._entry(mid)
        if not entry.needs_attention:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, "Only an action the server refused can be resent."
            )
        command = parse_command_args(entry.name, args)
        self.entries.remove(entry)
        new = self._new_entry(entry.name, command.model_dump(mode="json"), entry.mid)
        self.entries.append(new)
        self.performed.append(command)
        self.notify()
        return new

    def _entry(self, mid: int) -> OutboxEntry:
        for entry in self.entries:
            if entry.mid == mid:
                return entry
        raise DomainError(ErrorCode.NOT_FOUND, "That queued action is gone.", {"mid": mid})

    def sync_status(self) -> SyncStatus:
        """The status last set with `set_status`."""
        return self.status

    def sync_now(self) -> None:
        """Count the request (``sync_now_calls``)."""
        self.sync_now_calls += 1

    def subscribe(self, listener: ChangesListener) -> Callable[[], None]:
        """Register ``listener``; returns its unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    @property
    def listener_count(self) -> int:
        """How many subscribers are registered (tests check `dispose` unsubscribes)."""
        return len(self._listeners)


# --------------------------------------------------------------------------- navigator


class FakeNavigator:
    """Records navigation: ``opened`` routes, ``backs`` count, ``notices`` shown."""

    def __init__(self) -> None:
        self.opened: list[Route] = []
        self.backs = 0
        self.notices: list[str] = []

    def open(self, route: Route) -> None:
        """Record ``route``."""
        self.opened.append(route)

    def back(self) -> None:
        """Count a back navigation."""
        self.backs += 1

    def notify(self, message: str) -> None:
        """Record a snackbar message."""
        self.notices.append(message)

    @property
    def last(self) -> Route | None:
        """The most recently opened route, if any."""
        return self.opened[-1] if self.opened else None


def _conforms(repo: FakeRepository, nav: FakeNavigator) -> tuple[ProRepository, Navigator]:
    """mypy --strict checks here that the fakes satisfy the protocols they stand in for."""
    return repo, nav
