"""Demo data: the "BrightFix Home Services" business, its people, and a lively month.

`seed_demo` fills an empty (migrated) database with a business whose requests, estimates,
visits, jobs, appointments, change orders, signatures, charges, messages and reviews
cover EVERY state of the domain, with times relative to ``now`` so the demo always looks
alive (deadlines due soon and overdue, jobs today and tomorrow for each technician). A
second small business, "Other Co Plumbing", has its own staff, customers and jobs so
cross-business isolation is visible.

Validity: deadlines come from the domain rules (R2, R6), visit prices pass R4, signed
content comes from `proapp.domain.signing` and the completion charge from the same
function `job.complete` uses (R5, R9), so every row reads back through the shared domain
models. Rows are written directly (not through the command handlers) because most of
the history lies in the past, which the handlers rightly refuse.

Deterministic: ids, photos and choices come from a seeded RNG, so the same ``now``
gives the same data. Idempotent: a database that already holds the demo owner is left
untouched. Fast: one transaction, password hashes computed once per distinct password.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.authz import Actor
from marketplace.commands import CommandContext
from marketplace.commands.pro import completion_total_cents
from marketplace.config import Settings
from marketplace.db import SessionFactory
from marketplace.demo_photos import (
    demo_signature_strokes,
    make_signature_png,
    make_site_photo,
    photo_sha256,
)
from marketplace.passwords import hash_password
from proapp.domain import (
    Address,
    AppointmentStatus,
    ChangeOrderStatus,
    ComplianceKind,
    EstimateStatus,
    JobOrigin,
    JobStatus,
    LedgerEntryKind,
    LineItem,
    LineItemKind,
    LocationType,
    MessageAuthorRole,
    PartsSupplier,
    PhotoTargetKind,
    RequestStatus,
    RescheduleReasonCode,
    Role,
    SignatureRecord,
    TimeWindow,
    VisitStatus,
    WaiverTerms,
    ensure_visit_price_allowed,
    estimate_due_at,
    estimate_valid_until,
    estimate_window_closes_at,
    minimum_trip_charge_cents,
    signing,
    window_confirmation_due_at,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_BUSINESS_NAME",
    "OTHER_BUSINESS_ACCOUNTS",
    "OTHER_BUSINESS_NAME",
    "is_seeded",
    "seed_demo",
]

DEMO_BUSINESS_NAME: Final = "BrightFix Home Services"
OTHER_BUSINESS_NAME: Final = "Other Co Plumbing"

DEMO_ACCOUNTS: Final[list[dict[str, str]]] = [
    {"role": "owner", "email": "owner@brightfix.example", "password": "demo-owner-pass"},
    {"role": "dispatcher", "email": "dispatch@brightfix.example",
     "password": "demo-dispatch-pass"},
    {"role": "technician", "email": "tess@brightfix.example", "password": "demo-tech-pass"},
    {"role": "technician", "email": "marco@brightfix.example", "password": "demo-tech-pass"},
    {"role": "technician", "email": "priya@brightfix.example", "password": "demo-tech-pass"},
    {"role": "customer", "email": "alice@customer.example", "password": "demo-customer-pass"},
    {"role": "customer", "email": "bob@customer.example", "password": "demo-customer-pass"},
    {"role": "customer", "email": "carmen@customer.example", "password": "demo-customer-pass"},
]
"""The fixed demo accounts of BRIEF/README (``python -m marketplace demo-accounts``)."""

OTHER_BUSINESS_ACCOUNTS: Final[list[dict[str, str]]] = [
    {"role": "owner", "email": "owner@othercoplumbing.example", "password": "demo-otherco-pass"},
    {"role": "technician", "email": "sam@othercoplumbing.example",
     "password": "demo-otherco-pass"},
    {"role": "customer", "email": "frank@customer.example", "password": "demo-customer-pass"},
]
"""Accounts of the second business (for showing isolation; not part of the README set)."""

_SEED: Final = 20261126
_BRIGHTFIX_TZ: Final = "America/Los_Angeles"
WORK_DAY_START: Final = 8
WORK_DAY_END: Final = 19
"""Local hours the demo's "soon" appointments fall between."""
_OTHERCO_TZ: Final = "America/Denver"
_CONSENT_COMPLETION: Final = (
    "I confirm the work described above is complete. I understand my card on file will "
    "be charged the total shown, through the marketplace."
)
_CONSENT_CHANGE: Final = (
    "I reviewed this change to the scope and price of my job and approve the new total."
)


def _name_for(email: str) -> str:
    return email.split("@", 1)[0]


# --------------------------------------------------------------------------- public API


def is_seeded(session: Session) -> bool:
    """True if the demo business's owner already exists (seeding is then a no-op)."""
    owner_email = DEMO_ACCOUNTS[0]["email"]
    return session.scalars(
        select(orm.User.id).where(orm.User.email == owner_email).limit(1)
    ).first() is not None


def seed_demo(
    target: SessionFactory | Session,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> None:
    """Create the demo businesses, accounts and data, unless already seeded.

    Args:
        target: a session factory (the seed runs in its own transaction and commits) or
            an open session (rows are added and flushed; the caller commits).
        settings: server settings (password hash cost). Defaults to `Settings()`.
        now: the moment the demo is built around (aware). Defaults to the current time.

    Raises:
        ValueError: for a naive ``now``.
    """
    settings = settings or Settings()
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("seed_demo needs an aware 'now'")
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if isinstance(target, Session):
        if not is_seeded(target):
            _DemoSeeder(target, settings, moment).run()
            target.flush()
        return
    try:
        with target() as session, session.begin():
            if is_seeded(session):
                return
            _DemoSeeder(session, settings, moment).run()
    except IntegrityError:
        # Another process seeded the same database at the same moment (unique emails):
        # theirs won, which is exactly the state we wanted.
        with target() as session:
            if not is_seeded(session):
                raise


# --------------------------------------------------------------------------- the seeder


@dataclass
class _Person:
    row: orm.User
    address: Address | None = None

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name


@dataclass
class _Biz:
    row: orm.Business
    owner: _Person
    staff: list[_Person]
    techs: dict[str, _Person]
    services: dict[str, orm.PackagedService] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def tz(self) -> str:
        return self.row.time_zone


class _DemoSeeder:
    """Builds the demo world in one session. Every helper takes explicit times."""

    def __init__(self, session: Session, settings: Settings, now: datetime) -> None:
        self.s = session
        self.settings = settings
        self.now = now
        self.rng = random.Random(_SEED)
        # argon2 runs in C without the GIL: hashing in the background overlaps it with
        # building the rows (users get their hash just before the flush that needs it).
        self._hash_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-hash")
        self._hashes: dict[str, Future[str]] = {}
        self._users: list[tuple[orm.User, str]] = []
        self._changes: list[tuple[str, str, str, datetime]] = []
        self._photo_seq = 0
        self._blobs: set[str] = set()
        self._uploads: set[tuple[str, str]] = set()

    # ---------------------------------------------------------------- small helpers

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def changed(self, business_id: str, entity: str, entity_id: str, at: datetime) -> None:
        # Seeded rows go into the change feed like any other write, so a device that
        # syncs from cursor 0 sees them (DESIGN.md section 4). Collected here and
        # written in one go by `write_change_feed`.
        self._changes.append((business_id, entity, entity_id, at))

    def write_change_feed(self) -> None:
        """Append the collected changes to each business's feed, in the order they were
        made: the same rows `marketplace.changes.record_change` writes one at a time
        (gap-free ``seq`` per business, ``businesses.change_seq`` = the last one)."""
        self.s.flush()
        for business_id in dict.fromkeys(b for b, _e, _i, _t in self._changes):
            business = self.s.get_one(orm.Business, business_id)
            seq = business.change_seq
            for owner, entity, entity_id, at in self._changes:
                if owner != business_id:
                    continue
                seq += 1
                self.s.add(orm.Change(business_id=business_id, seq=seq, entity=entity,
                                      entity_id=entity_id, changed_at=at))
            business.change_seq = seq
        self._changes.clear()

    def password_hash(self, password: str) -> Future[str]:
        # argon2 is slow on purpose; one hash per distinct demo password keeps seeding
        # fast. (Demo passwords are public anyway.)
        if password not in self._hashes:
            self._hashes[password] = self._hash_pool.submit(
                hash_password, password, self.settings
            )
        return self._hashes[password]

    def finish_users(self) -> None:
        """Give every user its password hash (waits for the background hashing)."""
        for row, password in self._users:
            row.password_hash = self.password_hash(password).result()
        self._users.clear()

    def local(self, tz: str, day_offset: int, hour: int, minute: int = 0) -> datetime:
        """``day_offset`` days from today (in ``tz``) at ``hour:minute`` local, in UTC."""
        zone = ZoneInfo(tz)
        today = self.now.astimezone(zone).date()
        wall = datetime.combine(today + timedelta(days=day_offset), time(hour, minute), zone)
        return wall.astimezone(UTC)

    def soon(self, tz: str, hours: int, length_hours: int = 2) -> TimeWindow:
        """A window ``hours`` after the next full hour, inside working hours (8:00-19:00
        local): a demo opened at night shows tomorrow morning's jobs, not 3 am visits."""
        zone = ZoneInfo(tz)
        top = self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        local = top.astimezone(zone)
        if local.hour < WORK_DAY_START:
            top = self.local(tz, 0, WORK_DAY_START)
        elif local.hour + hours + length_hours > WORK_DAY_END:
            top = self.local(tz, 1, WORK_DAY_START)
        start = top + timedelta(hours=hours)
        return TimeWindow(start=start, end=start + timedelta(hours=length_hours))

    def window(self, tz: str, day_offset: int, hour: int, length_hours: int = 2) -> TimeWindow:
        start = self.local(tz, day_offset, hour)
        return TimeWindow(start=start, end=start + timedelta(hours=length_hours))

    def submitted_where(
        self, tz: str, rule: Callable[[datetime, datetime, datetime], bool],
        start_hours: int = 1, default: datetime | None = None,
    ) -> datetime:
        """The most recent hourly moment before now whose R2 deadlines satisfy ``rule``.

        ``rule(submitted_at, estimate_due_at, closes_at)``. Searching (instead of a fixed
        "3 days ago") keeps the demo right across weekends and holidays.
        """
        for hours in range(start_hours, start_hours + 24 * 40):
            submitted = self.now - timedelta(hours=hours, minutes=17)
            due = estimate_due_at(submitted, tz)
            closes = estimate_window_closes_at(submitted, tz)
            if rule(submitted, due, closes):
                return submitted
        if default is not None:
            return default
        raise AssertionError("no submission time satisfies the rule")  # pragma: no cover

    def ordered_where(self, tz: str, rule: Callable[[datetime, datetime], bool]) -> datetime:
        """The most recent moment before now whose R6 confirmation deadline fits ``rule``."""
        for minutes in range(20, 60 * 24 * 30, 30):
            ordered = self.now - timedelta(minutes=minutes)
            if rule(ordered, window_confirmation_due_at(ordered, tz)):
                return ordered
        raise AssertionError("no order time satisfies the rule")  # pragma: no cover

    def line(
        self, kind: LineItemKind, description: str, unit_cents: int, qty: int = 1
    ) -> LineItem:
        return LineItem(
            id=self.new_id(), kind=kind, description=description, quantity=qty,
            unit_price_cents=unit_cents,
        )

    # ---------------------------------------------------------------- blobs

    def blob(self, data: bytes, content_type: str, uploader_id: str, at: datetime) -> str:
        sha = photo_sha256(data)
        if sha not in self._blobs:
            self.s.add(orm.Blob(sha256=sha, size=len(data), content_type=content_type,
                                data=data, created_at=at))
            self._blobs.add(sha)
        if (sha, uploader_id) not in self._uploads:
            self.s.add(orm.BlobUpload(sha256=sha, user_id=uploader_id, uploaded_at=at))
            self._uploads.add((sha, uploader_id))
        return sha

    def site_photo(self, label: str, uploader_id: str, at: datetime) -> str:
        self._photo_seq += 1
        return self.blob(make_site_photo(self._photo_seq, label), "image/jpeg", uploader_id, at)

    def pro_photo(
        self, business: _Biz, pro: _Person, kind: PhotoTargetKind, target_id: str,
        label: str, at: datetime,
    ) -> str:
        sha = self.site_photo(label, pro.id, at)
        photo_id = self.new_id()
        self.s.add(orm.Photo(
            id=photo_id, business_id=business.id, target_kind=kind.value, target_id=target_id,
            blob_sha256=sha, caption=label, uploaded_by=pro.id, created_at=at,
        ))
        self.changed(business.id, "photo", photo_id, at)
        return sha

    # ---------------------------------------------------------------- parties

    def user(
        self, email: str, name: str, role: Role, password: str, business: orm.Business | None,
        phone: str | None = None, address: Address | None = None,
    ) -> _Person:
        row = orm.User(
            id=self.new_id(), email=email.lower(), name=name, role=role.value,
            business_id=business.id if business else None,
            # A placeholder that can never verify; the real hash lands in finish_users,
            # inside the same transaction, so no committed row ever carries it.
            password_hash="!pending", phone=phone, active=True,
            created_at=self.now - timedelta(days=400),
        )
        self.password_hash(password)
        self._users.append((row, password))
        self.s.add(row)
        return _Person(row, address)

    def business(self, name: str, tz: str, state: str, see_unassigned: bool) -> orm.Business:
        row = orm.Business(
            id=self.new_id(), name=name, time_zone=tz, state=state,
            technicians_see_unassigned=see_unassigned, change_seq=0,
            created_at=self.now - timedelta(days=400),
        )
        self.s.add(row)
        self.s.flush()
        return row

    def compliance(
        self, business: _Biz, person: _Person, kind: ComplianceKind, expires_in_days: int | None,
        verified: bool = True, number: str = "", issuer: str = "",
    ) -> None:
        today: date = self.now.astimezone(ZoneInfo(business.tz)).date()
        expires = None if expires_in_days is None else today + timedelta(days=expires_in_days)
        self.s.add(orm.ComplianceDocument(
            id=self.new_id(), business_id=business.id, user_id=person.id, kind=kind.value,
            number=number or f"{kind.value[:3]}-{self.rng.randint(100000, 999999)}",
            issuer=issuer, expires_on=expires, verified=verified,
        ))

    def service(
        self, business: _Biz, key: str, title: str, price_cents: int, included: list[str],
        supplier: PartsSupplier, minutes: int, description: str,
        location: LocationType = LocationType.IN_HOME,
    ) -> None:
        row = orm.PackagedService(
            id=self.new_id(), business_id=business.id, title=title, description=description,
            price_cents=price_cents, whats_included=included, parts_supplier=supplier.value,
            location_type=location.value, duration_minutes=minutes, active=True,
            # Catalogue order = creation order (the services list sorts by it).
            created_at=self.now - timedelta(days=300) + timedelta(minutes=len(business.services)),
        )
        self.s.add(row)
        business.services[key] = row

    # ---------------------------------------------------------------- requests, estimates

    def request(
        self, business: _Biz, customer: _Person, submitted_at: datetime, title: str, *,
        description: str, dimensions: str = "", product_info: str = "",
        location: LocationType = LocationType.IN_HOME, photos: Sequence[str] = (),
        share_phone: bool = False, status: RequestStatus | None = None,
    ) -> orm.CustomRequest:
        tz = business.tz
        due = estimate_due_at(submitted_at, tz)
        closes = estimate_window_closes_at(submitted_at, tz)
        if status is None:  # R2: open until closes_at
            status = RequestStatus.OPEN if self.now < closes else RequestStatus.CLOSED
        if status is RequestStatus.OPEN and self.now >= closes:  # pragma: no cover
            raise AssertionError(f"request '{title}' would be OPEN after it closed")
        address = customer.address if location is LocationType.IN_HOME else None
        row = orm.CustomRequest(
            id=self.new_id(), business_id=business.id, customer_id=customer.id, title=title,
            description=description, dimensions=dimensions, product_info=product_info,
            location_type=location.value,
            address=address.model_dump(mode="json") if address else None, time_zone=tz,
            customer_phone=customer.row.phone if share_phone else None, status=status.value,
            submitted_at=submitted_at, estimate_due_at=due, closes_at=closes,
            version=1 if status is RequestStatus.OPEN else 2, updated_at=submitted_at,
        )
        self.s.add(row)
        self.s.flush()
        for position, label in enumerate(photos):
            sha = self.site_photo(label, customer.id, submitted_at)
            self.s.add(orm.RequestPhoto(request_id=row.id, blob_sha256=sha, position=position))
        self.changed(business.id, "request", row.id, submitted_at)
        return row

    def estimate(
        self, business: _Biz, request: orm.CustomRequest, tech: _Person | None,
        submitted_at: datetime, lines: list[LineItem], status: EstimateStatus, *,
        notes: str = "", supplier: PartsSupplier = PartsSupplier.PRO, valid_days: int = 14,
        decided_at: datetime | None = None, photo_label: str | None = None,
    ) -> orm.Estimate:
        if not request.submitted_at <= submitted_at <= request.closes_at:  # pragma: no cover
            raise AssertionError("an estimate must be sent while the request is open (R2)")
        author = tech or business.staff[-1]
        valid_until = estimate_valid_until(submitted_at, valid_days)
        if status is EstimateStatus.EXPIRED and decided_at is None:
            decided_at = valid_until  # it expired when its validity ended (R3)
        photos = [] if photo_label is None else [self.site_photo(photo_label, author.id,
                                                                 submitted_at)]
        row = orm.Estimate(
            id=self.new_id(), request_id=request.id, business_id=business.id,
            technician_id=tech.id if tech else None, created_by=author.id,
            line_items=[line.model_dump(mode="json") for line in lines],
            total_cents=sum(line.total_cents for line in lines),
            parts_supplier=supplier.value, notes=notes, photo_hashes=photos,
            valid_until=valid_until, status=status.value,
            submitted_at=submitted_at,
            withdrawn_at=decided_at if status is EstimateStatus.WITHDRAWN else None,
            decided_at=decided_at if status in (EstimateStatus.ACCEPTED, EstimateStatus.DECLINED,
                                                EstimateStatus.EXPIRED) else None,
            version=1 if status is EstimateStatus.SUBMITTED else 2,
        )
        self.s.add(row)
        self.s.flush()
        self.changed(business.id, "estimate", row.id, decided_at or submitted_at)
        return row

    def visit(
        self, business: _Biz, request: orm.CustomRequest, tech: _Person, proposed_at: datetime,
        price_cents: int, status: VisitStatus, *, waiver: WaiverTerms = WaiverTerms.NONE,
        discount_cents: int = 0, accepted_at: datetime | None = None,
        decided_at: datetime | None = None, window: TimeWindow | None = None,
        defective: bool = False, note: str = "",
    ) -> orm.Visit:
        state = (request.address or {}).get("state") or business.row.state
        ensure_visit_price_allowed(price_cents, state)  # R4: state minimum trip charge
        row = orm.Visit(
            id=self.new_id(), request_id=request.id, business_id=business.id,
            proposed_by=tech.id, price_cents=price_cents,
            minimum_trip_charge_cents=minimum_trip_charge_cents(state),
            waiver_terms=waiver.value, discount_cents=discount_cents, note=note,
            status=status.value, proposed_at=proposed_at, accepted_at=accepted_at,
            decided_at=decided_at or accepted_at,
            window_start=window.start if window else None,
            window_end=window.end if window else None,
            product_defective=defective, version=1,
        )
        self.s.add(row)
        self.s.flush()
        self.changed(business.id, "visit", row.id, decided_at or accepted_at or proposed_at)
        return row

    # ---------------------------------------------------------------- jobs

    def job(
        self, business: _Biz, customer: _Person, ordered_at: datetime, *,
        service_key: str | None = None, estimate: orm.Estimate | None = None,
        request: orm.CustomRequest | None = None, windows: Sequence[TimeWindow] = (),
        confirmed: TimeWindow | None = None, techs: Sequence[_Person] = (),
        status: JobStatus = JobStatus.PENDING_SCHEDULE, share_phone: bool = False,
        notes: str = "", rescheduled_from: tuple[TimeWindow, RescheduleReasonCode] | None = None,
    ) -> orm.Job:
        """A job as the customer bought or booked it, scheduled if ``confirmed`` is set.

        ``windows`` are the customer's 3 preferred windows (R6); a confirmed window is
        one of them unless it was proposed by the pro.
        """
        tz = business.tz
        if estimate is not None:
            assert request is not None
            origin, title = JobOrigin.ESTIMATE, request.title
            lines = list(estimate.line_items)
            price = estimate.total_cents
            included: list[Any] = []
            scope = "\n\n".join(p for p in (request.description, estimate.notes) if p)
            location = LocationType(request.location_type)
            address = request.address
        else:
            assert service_key is not None
            service = business.services[service_key]
            origin, title = JobOrigin.PACKAGED, service.title
            lines = [self.line(LineItemKind.LABOR, service.title, service.price_cents)
                     .model_dump(mode="json")]
            price = service.price_cents
            included = list(service.whats_included)
            scope = service.description if not notes else f"{service.description}\n\n{notes}"
            location = LocationType(service.location_type)
            address = (customer.address.model_dump(mode="json")
                       if customer.address and location is LocationType.IN_HOME else None)
        row = orm.Job(
            id=self.new_id(), business_id=business.id, customer_id=customer.id,
            origin=origin.value,
            service_id=business.services[service_key].id if service_key else None,
            estimate_id=estimate.id if estimate else None,
            request_id=request.id if request else None, title=title, scope=scope,
            whats_included=included, line_items=lines, location_type=location.value,
            address=address, time_zone=tz, customer_name=customer.name,
            customer_phone=customer.row.phone if share_phone else None, status=status.value,
            ordered_at=ordered_at, price_cents=price,
            window_confirmation_due_at=window_confirmation_due_at(ordered_at, tz),
            completed_at=None, version=1, updated_at=ordered_at,
        )
        self.s.add(row)
        self.s.flush()
        chosen_at = ordered_at + timedelta(minutes=10)
        for position, w in enumerate(sorted(windows, key=lambda w: w.start)):
            self.s.add(orm.PreferredWindow(
                id=self.new_id(), job_id=row.id, position=position,
                start_at=w.start, end_at=w.end,
            ))
        assigner = business.staff[-1]
        for position, tech in enumerate(techs):
            self.s.add(orm.JobAssignment(
                job_id=row.id, user_id=tech.id, position=position,
                assigned_at=chosen_at + timedelta(minutes=5), assigned_by=assigner.id,
            ))
        if confirmed is not None:
            confirmed_at = min(chosen_at + timedelta(hours=3), self.now)
            previous_id: str | None = None
            if rescheduled_from is not None:
                old_window, _reason = rescheduled_from
                previous_id = self.new_id()
                self.s.add(orm.Appointment(
                    id=previous_id, job_id=row.id, start_at=old_window.start,
                    end_at=old_window.end, status=AppointmentStatus.CANCELLED.value,
                    created_by=assigner.id, created_at=confirmed_at,
                ))
                confirmed_at = min(confirmed_at + timedelta(hours=5), self.now)
                row.version += 1
            appointment_status = {
                JobStatus.COMPLETED: AppointmentStatus.COMPLETED,
                JobStatus.NOT_SERVICED: AppointmentStatus.COMPLETED,
                JobStatus.CANCELLED: AppointmentStatus.CANCELLED,
            }.get(status, AppointmentStatus.ACTIVE)
            self.s.add(orm.Appointment(
                id=self.new_id(), job_id=row.id, start_at=confirmed.start, end_at=confirmed.end,
                status=appointment_status.value,
                reschedule_reason=rescheduled_from[1].value if rescheduled_from else None,
                reschedule_note="Van in the shop; moved to the next free slot."
                if rescheduled_from else "",
                previous_appointment_id=previous_id, created_by=assigner.id,
                created_at=confirmed_at,
            ))
            row.version += 2  # confirmed + assigned
        self.s.flush()
        self.changed(business.id, "job", row.id, ordered_at)
        return row

    def book(
        self, business: _Biz, request: orm.CustomRequest, estimate: orm.Estimate,
        booked_at: datetime, others: Sequence[orm.Estimate] = (),
    ) -> None:
        """The customer accepted ``estimate`` (request BOOKED, the others DECLINED)."""
        estimate.status = EstimateStatus.ACCEPTED.value
        estimate.decided_at = booked_at
        estimate.version = 2
        for other in others:
            other.status = EstimateStatus.DECLINED.value
            other.decided_at = booked_at
            other.version = 2
            self.changed(business.id, "estimate", other.id, booked_at)
        request.status = RequestStatus.BOOKED.value
        request.version = 2
        request.updated_at = booked_at
        self.changed(business.id, "request", request.id, booked_at)

    def _signature(
        self, business: _Biz, job: orm.Job, purpose: str, signer: _Person, pro: _Person,
        content: dict[str, Any], signed_at: datetime, consent: str,
    ) -> tuple[orm.Signature, SignatureRecord]:
        strokes = demo_signature_strokes(self.rng.randint(0, 10**6), signer.name)
        png = self.blob(make_signature_png(strokes), "image/png", pro.id, signed_at)
        record = SignatureRecord(
            signer_name=signer.name, strokes=strokes, png_sha256=png,
            device_signed_at=signed_at, server_received_at=signed_at + timedelta(seconds=20),
            consent_text=consent, pro_user_id=pro.id,
            device_id=f"demo-device-{_name_for(pro.row.email)}",
            content_sha256=signing.content_sha256(content),
        )
        row = orm.Signature(
            id=self.new_id(), business_id=business.id, job_id=job.id, purpose=purpose,
            signer_name=record.signer_name,
            strokes=[[list(point) for point in stroke] for stroke in record.strokes],
            png_sha256=png, device_signed_at=signed_at,
            server_received_at=signed_at + timedelta(seconds=20), consent_text=consent,
            pro_user_id=pro.id, device_id=record.device_id, location=None, content=content,
            content_sha256=record.content_sha256,
        )
        self.s.add(row)
        self.s.flush()
        return row, record

    def change_order(
        self, business: _Biz, job: orm.Job, customer: _Person, pro: _Person, at: datetime,
        reason: str, added: list[LineItem], removed_ids: Sequence[str] = (), void: bool = False,
    ) -> None:
        """R8: a change order the customer verified and signed on the pro's device.

        A ``void`` one was signed and then voided: it leaves the job's lines and price
        as they were.
        """
        original = [LineItem.model_validate(line) for line in job.line_items]
        change_id = self.new_id()
        content = signing.change_order_signed_content(
            change_order_id=change_id, job_id=job.id, reason=reason, original_lines=original,
            added_lines=added, removed_line_ids=removed_ids,
        )
        signature, _record = self._signature(
            business, job, "change_order", customer, pro, content, at, _CONSENT_CHANGE
        )
        self.s.add(orm.ChangeOrder(
            id=change_id, job_id=job.id, business_id=business.id, reason=reason,
            added_lines=[line.model_dump(mode="json") for line in added],
            removed_line_ids=sorted(set(removed_ids)),
            original_total_cents=content["original_total_cents"],
            new_total_cents=content["new_total_cents"], photo_hashes=[],
            signature_id=signature.id,
            status=(ChangeOrderStatus.VOID if void else ChangeOrderStatus.SIGNED).value,
            created_by=pro.id, created_at=at,
        ))
        self.changed(business.id, "change_order", change_id, at)
        if void:
            return
        removed = set(removed_ids)
        job.line_items = [
            *(line.model_dump(mode="json") for line in original if line.id not in removed),
            *(line.model_dump(mode="json") for line in added),
        ]
        job.price_cents += int(content["delta_cents"])
        job.version += 1
        self.s.flush()

    def complete(
        self, business: _Biz, job: orm.Job, customer: _Person, pro: _Person, at: datetime,
        summary: str,
    ) -> None:
        """R9: the customer signed completion; the marketplace charged the card once.

        The charge and its breakdown come from `completion_total_cents`, the function
        the ``job.complete`` handler uses, so trip charges follow R5 exactly.
        """
        self.s.flush()
        ctx = CommandContext(
            session=self.s, actor=Actor(pro.id, Role(pro.row.role), business.id, pro.name),
            now=at, settings=self.settings, command="seed",
        )
        total, breakdown = completion_total_cents(ctx, job)
        content = signing.completion_signed_content(
            job_id=job.id, summary=summary, total_cents=total,
            line_items=[LineItem.model_validate(line) for line in job.line_items],
        )
        signature, record = self._signature(
            business, job, "completion", customer, pro, content, at, _CONSENT_COMPLETION
        )
        if total > 0:
            entry_id = self.new_id()
            self.s.add(orm.LedgerEntry(
                id=entry_id, business_id=business.id, job_id=job.id,
                kind=LedgerEntryKind.CHARGE.value, amount_cents=total, breakdown=breakdown,
                signature_id=signature.id,
                signature_sha256=signing.signature_record_sha256(record), created_at=at,
            ))
            self.changed(business.id, "ledger_entry", entry_id, at)
        job.completed_at = at
        job.updated_at = at
        job.version += 2  # started, completed

    def message(
        self, business: _Biz, author: _Person, at: datetime, body: str, *,
        job: orm.Job | None = None, request: orm.CustomRequest | None = None,
    ) -> None:
        role = (MessageAuthorRole.CUSTOMER if author.row.role == Role.CUSTOMER.value
                else MessageAuthorRole.PRO)
        at = min(at, self.now - timedelta(minutes=1))  # a story beat never lies ahead
        message_id = self.new_id()
        self.s.add(orm.Message(
            id=message_id, business_id=business.id, job_id=job.id if job else None,
            request_id=request.id if request else None, author_id=author.id,
            author_role=role.value, body=body, sent_at=at,
        ))
        self.changed(business.id, "message", message_id, at)

    def review(
        self, business: _Biz, job: orm.Job, customer: _Person, tech: _Person | None,
        at: datetime, rating: int, comment: str,
    ) -> None:
        at = min(at, self.now - timedelta(minutes=1))
        review_id = self.new_id()
        self.s.add(orm.Review(
            id=review_id, job_id=job.id, business_id=business.id, customer_id=customer.id,
            technician_id=tech.id if tech else None, rating=rating, comment=comment,
            created_at=at,
        ))
        self.changed(business.id, "review", review_id, at)

    # ---------------------------------------------------------------- the story

    def run(self) -> None:
        try:
            brightfix = self.seed_brightfix_people()
            customers = self.seed_customers()
            self.seed_brightfix_catalogue(brightfix)
            self.s.flush()  # parents first: the tables have foreign keys, no relationships
            self.seed_brightfix_requests(brightfix, customers)
            self.seed_brightfix_jobs(brightfix, customers)
            self.seed_other_business(customers)
            self.finish_users()
            self.write_change_feed()
            self.s.flush()
        finally:
            self._hash_pool.shutdown(wait=True, cancel_futures=True)

    def seed_brightfix_people(self) -> _Biz:
        row = self.business(DEMO_BUSINESS_NAME, _BRIGHTFIX_TZ, "WA", see_unassigned=True)
        accounts = {a["email"]: a["password"] for a in DEMO_ACCOUNTS}

        def person(email: str, name: str, role: Role, phone: str) -> _Person:
            return self.user(email, name, role, accounts[email], row, phone=phone)

        owner = person("owner@brightfix.example", "Olivia Brandt", Role.OWNER, "+1 206 555 0140")
        dispatcher = person("dispatch@brightfix.example", "Dana Kim", Role.DISPATCHER,
                            "+1 206 555 0141")
        techs = {
            "tess": person("tess@brightfix.example", "Tess Rivera", Role.TECHNICIAN,
                           "+1 206 555 0150"),
            "marco": person("marco@brightfix.example", "Marco Chen", Role.TECHNICIAN,
                            "+1 206 555 0151"),
            "priya": person("priya@brightfix.example", "Priya Patel", Role.TECHNICIAN,
                            "+1 206 555 0152"),
        }
        biz = _Biz(row, owner, [owner, dispatcher], techs)
        self.s.flush()
        # R13: vetting documents; some expire within 30 days, one has expired, one is
        # not verified yet, so the office sees every standing.
        tess, marco, priya = techs["tess"], techs["marco"], techs["priya"]
        bg, crim = ComplianceKind.BACKGROUND_CHECK, ComplianceKind.CRIMINAL_BACKGROUND_CHECK
        ins, lic = ComplianceKind.INSURANCE, ComplianceKind.LICENSE
        self.compliance(biz, tess, bg, 300, issuer="Sterling Check")
        self.compliance(biz, tess, crim, 210, issuer="Sterling Check")
        self.compliance(biz, tess, ins, 12, issuer="Evergreen Mutual")
        self.compliance(biz, marco, bg, 150, issuer="Sterling Check")
        self.compliance(biz, marco, crim, 150, issuer="Sterling Check")
        self.compliance(biz, marco, ins, 400, issuer="Evergreen Mutual")
        self.compliance(biz, marco, lic, 20, issuer="WA Dept. of Labor & Industries",
                        number="EL-02-417730")
        self.compliance(biz, priya, bg, 90, issuer="Sterling Check")
        self.compliance(biz, priya, crim, -3, issuer="Sterling Check")
        self.compliance(biz, priya, ins, 365, verified=False, issuer="Evergreen Mutual")
        return biz

    def seed_customers(self) -> dict[str, _Person]:
        password = "demo-customer-pass"

        def customer(email: str, name: str, phone: str, line1: str, city: str,
                     postal: str) -> _Person:
            address = Address(line1=line1, city=city, state="WA", postal_code=postal)
            return self.user(email, name, Role.CUSTOMER, password, None, phone, address)

        return {
            "alice": customer("alice@customer.example", "Alice Johnson", "+1 206 555 0101",
                              "1420 Pine St", "Seattle", "98101"),
            "bob": customer("bob@customer.example", "Bob Martinez", "+1 425 555 0102",
                            "88 Lakeview Ave", "Bellevue", "98004"),
            "carmen": customer("carmen@customer.example", "Carmen Lopez", "+1 425 555 0103",
                               "702 Maple Ct", "Kirkland", "98033"),
            "dev": customer("dev@customer.example", "Dev Okafor", "+1 206 555 0104",
                            "3310 Fremont Ave N", "Seattle", "98103"),
            "erin": customer("erin@customer.example", "Erin Walsh", "+1 253 555 0105",
                             "19 Harbor View Dr", "Tacoma", "98402"),
        }

    def seed_brightfix_catalogue(self, biz: _Biz) -> None:
        cust, pro = PartsSupplier.CUSTOMER, PartsSupplier.PRO
        self.service(
            biz, "tv", "TV Wall Mounting (up to 65 in, your bracket)", 12_900,
            ["Mounting on drywall into studs", "Level and secure installation",
             "Hiding cables along the wall with a cord cover", "Haul-away of packaging"],
            cust, 90, "We mount your TV on the bracket you provide (R1: parts from you).",
        )
        self.service(
            biz, "tv_bracket", "TV Wall Mounting with Bracket (up to 65 in)", 19_900,
            ["Tilting wall bracket for 32-65 in TVs", "Mounting on drywall into studs",
             "Level and secure installation", "Cord cover kit"],
            pro, 90, "Bracket included: the pro brings a tilting bracket that fits your TV.",
        )
        self.service(
            biz, "furniture", "Furniture Assembly (up to 3 items)", 9_900,
            ["Assembly of up to 3 flat-pack items", "Wall anchoring of tall furniture",
             "Packaging broken down and removed"],
            cust, 120, "Beds, desks, dressers, shelves: bought anywhere, assembled at home.",
        )
        self.service(
            biz, "faucet", "Faucet Replacement", 14_900,
            ["Removal of the old faucet", "Installation of your new faucet",
             "Two new braided supply lines", "Leak test"],
            cust, 90, "Kitchen or bathroom faucet; you provide the new faucet.",
        )
        self.service(
            biz, "fan", "Ceiling Fan Installation", 17_900,
            ["Removal of the existing light fixture", "Fan-rated box check",
             "Assembly, wiring and balancing of your fan", "Wall switch test"],
            cust, 120, "Replaces an existing fixture on a standard ceiling (up to 10 ft).",
        )
        self.service(
            biz, "thermostat", "Smart Thermostat Installation", 11_900,
            ["Removal of the old thermostat", "C-wire adapter if needed",
             "Wi-Fi setup and app pairing", "Wall plate patch"],
            cust, 60, "Nest, ecobee, Honeywell and others; you provide the thermostat.",
        )
        self.service(
            biz, "cleaning", "House Cleaning (2 bedrooms, 1 bath)", 14_000,
            ["Kitchen and bathroom deep clean", "Dusting and vacuuming all rooms",
             "Floors mopped", "Cleaning supplies and equipment"],
            pro, 180, "A standard clean for homes up to 1,200 sq ft; supplies included.",
        )
        self.service(
            biz, "remote", "Remote Smart Home Setup (video call)", 4_900,
            ["45-minute video session", "Wi-Fi, speaker and camera setup help",
             "Written summary of settings"],
            cust, 45, "Online help with your smart home devices (R12: online service).",
            location=LocationType.ONLINE,
        )
        self.service(
            biz, "tools", "Garden Tool Sharpening (in store)", 3_900,
            ["Sharpening of up to 5 tools", "Rust removal and oiling"],
            pro, 30, "Drop your tools at our Seattle shop (R12: in-store service).",
            location=LocationType.IN_STORE,
        )

    # ---------------------------------------------------------------- requests

    def seed_brightfix_requests(self, biz: _Biz, c: dict[str, _Person]) -> None:
        tz, now = biz.tz, self.now
        tess, marco, priya = biz.techs["tess"], biz.techs["marco"], biz.techs["priya"]
        labor, part, fee = LineItemKind.LABOR, LineItemKind.PART, LineItemKind.FEE

        def open_fresh(hours: int) -> datetime:
            return self.submitted_where(tz, lambda _s, d, cl: d > now and cl > now, hours)

        def open_overdue(min_hours: int = 2) -> datetime:
            # R2: past the 1-business-day answer deadline but still taking estimates.
            return self.submitted_where(
                tz, lambda _s, d, cl: d < now - timedelta(hours=1)
                and cl > now + timedelta(hours=2), min_hours,
            )

        def closed(min_days: int) -> datetime:
            return self.submitted_where(tz, lambda _s, _d, cl: cl < now, min_days * 24)

        def between(a: datetime, b: datetime, fraction: float) -> datetime:
            return a + (b - a) * fraction

        # --- OPEN, nobody answered yet: one fresh, one due soon, two overdue.
        r = self.request(
            biz, c["alice"], open_fresh(2), "Mount 75-inch TV above brick fireplace",
            description="Want the TV centered above the fireplace, cables hidden if possible.",
            dimensions="Fireplace opening 48 in wide; mantel top at 54 in; wall is brick.",
            product_info="Samsung QN75Q80C, VESA 400x300, 72 lb.",
            photos=["Brick fireplace wall", "Mantel and outlet"],
        )
        self.message(biz, c["alice"], r.submitted_at + timedelta(minutes=5),
                     "Is drilling into brick OK? The house is from 1952.", request=r)
        due_soon = self.submitted_where(
            tz, lambda _s, d, _cl: now < d <= now + timedelta(hours=30), 1,
            default=open_fresh(6),
        )
        self.request(
            biz, c["bob"], due_soon, "Replace noisy bathroom exhaust fan",
            description="Fan rattles and barely pulls air. Same size replacement if possible.",
            dimensions="Grille 10.5 x 10.5 in; attic access above the hallway.",
            product_info="Existing: Broan 688 (50 CFM). Open to a quieter model.",
            photos=["Bathroom ceiling fan grille"], share_phone=True,
        )
        self.request(
            biz, c["carmen"], open_overdue(), "Install under-cabinet lighting in kitchen",
            description="LED strips under 4 upper cabinets, switched from the existing switch.",
            dimensions="Cabinet run 11 ft total, split 7 ft + 4 ft around the range hood.",
            photos=["Kitchen upper cabinets"],
        )
        self.request(
            biz, c["dev"], open_overdue(6), "Patch and paint 5 drywall holes",
            description="Holes from old shelf anchors, one is about 3 inches across.",
            dimensions="Largest hole 3 in; wall color Benjamin Moore Chantilly Lace.",
            photos=["Drywall hole near window", "Anchor holes in hallway"],
        )

        # --- OPEN with estimates: one submitted; two competing + one withdrawn.
        r = self.request(
            biz, c["alice"], open_fresh(5), "Assemble and anchor IKEA PAX wardrobe",
            description="Two PAX frames with doors and interior organisers, anchored to wall.",
            dimensions="Frames 39 in wide each, 93 in tall; ceiling 96 in.",
            product_info="IKEA PAX 2x 100x58x236 cm, HASVIK sliding doors.",
            photos=["Bedroom wall for wardrobe"],
        )
        self.estimate(biz, r, tess, between(r.submitted_at, now, 0.5), [
            self.line(labor, "Assembly of 2 PAX frames with sliding doors", 26_000),
            self.line(labor, "Interior organisers (drawers, rails)", 6_000),
            self.line(part, "Wall anchoring kit", 1_500),
        ], EstimateStatus.SUBMITTED, notes="About 5 hours. Sliding doors need a level floor.",
            supplier=PartsSupplier.CUSTOMER)

        r = self.request(
            biz, c["bob"], open_overdue(3), "Replace garbage disposal",
            description="Disposal hums but does not spin; reset button does nothing.",
            product_info="Existing InSinkErator Badger 5, 1/2 HP.",
            photos=["Under-sink disposal"],
        )
        self.estimate(biz, r, tess, between(r.submitted_at, now, 0.2), [
            self.line(labor, "Disposal replacement", 12_000),
            self.line(part, "InSinkErator Badger 5 (1/2 HP)", 11_900),
        ], EstimateStatus.WITHDRAWN, decided_at=between(r.submitted_at, now, 0.3),
            notes="Withdrawn: Marco is closer and has the part in his van.")
        self.estimate(biz, r, marco, between(r.submitted_at, now, 0.4), [
            self.line(labor, "Disposal replacement", 11_000),
            self.line(part, "InSinkErator Badger 5XP (3/4 HP)", 16_900),
        ], EstimateStatus.SUBMITTED, notes="Upgraded 3/4 HP model, quieter.",
            photo_label="Badger 5XP in van")
        self.estimate(biz, r, priya, between(r.submitted_at, now, 0.6), [
            self.line(labor, "Disposal replacement", 11_500),
            self.line(part, "InSinkErator Badger 5 (1/2 HP)", 11_900),
            self.line(fee, "Old unit disposal", 1_500),
        ], EstimateStatus.SUBMITTED)
        self.message(biz, marco, between(r.submitted_at, now, 0.45),
                     "I can bring the 3/4 HP unit tomorrow morning if that works.", request=r)

        # --- OPEN with visit proposals in every customer-facing state (R4).
        r = self.request(
            biz, c["carmen"], open_fresh(4), "Repair sagging gate and fence post",
            description="Wood gate drags on the ground; the latch post is leaning.",
            dimensions="Gate 42 in wide, 6 ft tall; post 4x4 cedar.",
            photos=["Sagging side gate", "Leaning fence post"],
        )
        self.visit(biz, r, marco, between(r.submitted_at, now, 0.5), 4_900,
                   VisitStatus.PROPOSED, waiver=WaiverTerms.WAIVE_IF_PROCEED,
                   note="I need to see if the post footing is rotten before pricing.")

        r = self.request(
            biz, c["alice"], open_overdue(4), "Hang pendant lights over kitchen island",
            description="Three pendants replacing one flush mount; need new boxes.",
            dimensions="Island 8 ft long; ceiling 9 ft.",
            product_info="Schoolhouse Isaac pendants x3 (customer has them).",
            photos=["Kitchen island ceiling"],
        )
        visit_at = between(r.submitted_at, now, 0.3)
        self.visit(biz, r, marco, visit_at, 5_900, VisitStatus.ACCEPTED,
                   accepted_at=between(r.submitted_at, now, 0.6),
                   note="Need to check the joist direction and attic access.")

        r = self.request(
            biz, c["bob"], open_fresh(3), "Mount floating shelves in living room",
            description="Four 36-inch floating shelves on a drywall wall, evenly spaced.",
            dimensions="Wall 12 ft wide; shelves 36 in x 10 in deep.",
            product_info="Shelves from Wayfair with hidden brackets, 50 lb rating each.",
            photos=["Living room blank wall"],
        )
        self.visit(biz, r, priya, between(r.submitted_at, now, 0.2), 2_500, VisitStatus.DECLINED,
                   decided_at=between(r.submitted_at, now, 0.4))
        self.estimate(biz, r, priya, between(r.submitted_at, now, 0.7), [
            self.line(labor, "Mount 4 floating shelves into studs", 16_000),
        ], EstimateStatus.SUBMITTED, supplier=PartsSupplier.CUSTOMER,
            notes="Estimated from your photos after you declined the visit.")

        r = self.request(
            biz, c["erin"], open_fresh(8), "Install smart doorbell and chime",
            description="Replace wired doorbell with a Ring Pro 2; keep the indoor chime.",
            product_info="Ring Video Doorbell Pro 2; existing 16V transformer (unverified).",
            photos=["Front door doorbell"],
        )
        self.visit(biz, r, marco, between(r.submitted_at, now, 0.2), 2_500,
                   VisitStatus.SCHEDULED, accepted_at=between(r.submitted_at, now, 0.4),
                   window=self.window(tz, 1, 8), note="Transformer check on site.")

        visited = self.submitted_where(
            tz, lambda s, _d, cl: s < now - timedelta(hours=30) and cl > now + timedelta(hours=2)
        )
        r = self.request(
            biz, c["carmen"], visited, "Weatherstrip three exterior doors",
            description="Drafts around the front, back and garage doors.",
            dimensions="Two 36 in doors, one 32 in garage entry door.",
            photos=["Daylight under front door"],
        )
        visit_window = TimeWindow(start=between(visited, now, 0.5),
                                  end=between(visited, now, 0.5) + timedelta(hours=1))
        self.visit(biz, r, tess, visited + timedelta(hours=1), 3_500, VisitStatus.COMPLETED,
                   waiver=WaiverTerms.DISCOUNT_IF_PROCEED, discount_cents=1_000,
                   accepted_at=visited + timedelta(hours=2), window=visit_window)
        self.estimate(biz, r, tess, between(visited, now, 0.8), [
            self.line(labor, "Weatherstrip and sweep, 3 doors", 18_000),
            self.line(part, "Door sweep kits", 2_800, qty=3),
        ], EstimateStatus.SUBMITTED, notes="Measured on site; $10 off the visit if you book.",
            photo_label="Front door gap measured")

        # --- R12: online and in-store requests.
        r = self.request(
            biz, c["dev"], open_fresh(1), "Set up home office network (remote help)",
            description="Mesh Wi-Fi keeps dropping video calls; want a video session.",
            product_info="Eero 6 (3 nodes), Comcast modem.", location=LocationType.ONLINE,
        )
        self.request(
            biz, c["erin"], open_overdue(5), "Restore antique porch light (drop-off)",
            description="Brass porch light needs rewiring and a new socket.",
            dimensions="14 in tall, brass, 1 socket.", location=LocationType.IN_STORE,
            photos=["Antique brass porch light"],
        )

        # --- CLOSED (R2: 3 business days passed): expired, declined, unanswered.
        r = self.request(
            biz, c["alice"], closed(21), "Install dishwasher (new, customer-supplied)",
            description="Replacing a 15-year-old dishwasher with a Bosch 300.",
            product_info="Bosch SHE53C85N, 24 in.", photos=["Old dishwasher"],
        )
        self.estimate(biz, r, marco, between(r.submitted_at, r.closes_at, 0.3), [
            self.line(labor, "Dishwasher swap and hookup", 18_500),
            self.line(part, "Braided supply line and elbow", 2_400),
        ], EstimateStatus.EXPIRED, supplier=PartsSupplier.CUSTOMER)
        self.visit(biz, r, tess, between(r.submitted_at, r.closes_at, 0.1), 2_500,
                   VisitStatus.WITHDRAWN, decided_at=between(r.submitted_at, r.closes_at, 0.2),
                   note="Withdrawn: Marco estimated from the photos instead.")
        r = self.request(
            biz, c["bob"], closed(10), "Replace kitchen faucet with pull-down model",
            description="Single-hole pull-down faucet; existing has a deck plate.",
            product_info="Moen Arbor 7594SRS.", photos=["Kitchen faucet"],
        )
        self.estimate(biz, r, tess, between(r.submitted_at, r.closes_at, 0.2), [
            self.line(labor, "Faucet replacement", 15_000),
        ], EstimateStatus.DECLINED, decided_at=between(r.submitted_at, r.closes_at, 0.8),
            supplier=PartsSupplier.CUSTOMER)
        r = self.request(
            biz, c["carmen"], closed(9), "Caulk and reseal bathtub",
            description="Old caulk is moldy; want a full strip and reseal.",
            dimensions="Standard 60 in alcove tub.", photos=["Moldy tub caulk"],
        )
        self.visit(biz, r, priya, between(r.submitted_at, r.closes_at, 0.2), 2_500,
                   VisitStatus.CANCELLED, accepted_at=between(r.submitted_at, r.closes_at, 0.3),
                   decided_at=between(r.submitted_at, r.closes_at, 0.6),
                   note="Cancelled: the customer fixed it themselves.")

        # Requests that were BOOKED become the estimate jobs (see seed_estimate_jobs).

    # ---------------------------------------------------------------- jobs

    def seed_brightfix_jobs(self, biz: _Biz, c: dict[str, _Person]) -> None:
        tz, now = biz.tz, self.now
        tess, marco, priya = biz.techs["tess"], biz.techs["marco"], biz.techs["priya"]
        labor, part = LineItemKind.LABOR, LineItemKind.PART

        def three(first: TimeWindow) -> list[TimeWindow]:
            # The customer's 3 preferred windows (R6): the first and the same slot on the
            # next two days.
            return [first] + [
                TimeWindow(start=first.start + timedelta(days=d), end=first.end + timedelta(days=d))
                for d in (1, 2)
            ]

        def ordered_before(moment: datetime, days: float) -> datetime:
            return min(moment - timedelta(days=days), now - timedelta(minutes=30))

        # --- PENDING_SCHEDULE (R6): confirmation due soon, overdue, no windows yet, and
        # one the customer rescheduled.
        fresh = now - timedelta(hours=1)
        self.job(biz, c["alice"], fresh, service_key="tv_bracket",
                 windows=three(self.window(tz, 2, 9)), share_phone=True)
        self.job(biz, c["bob"], now - timedelta(minutes=20), service_key="furniture")
        overdue = self.ordered_where(tz, lambda _o, d: d < now - timedelta(hours=2))
        j = self.job(biz, c["carmen"], overdue, service_key="faucet",
                     windows=three(self.window(tz, 3, 13)))
        self.message(biz, c["carmen"], overdue + timedelta(hours=20),
                     "Hi, just checking that someone will confirm a time?", job=j)
        dev_ordered = self.ordered_where(tz, lambda _o, d: d < now - timedelta(hours=6))
        self.job(biz, c["dev"], dev_ordered,
                 service_key="cleaning", windows=three(self.window(tz, 4, 10, 3)),
                 share_phone=True)
        j = self.job(biz, c["erin"], now - timedelta(days=6), service_key="fan",
                     windows=three(self.window(tz, 5, 15)))
        # R7: the customer moved it more than 24 h ahead; the old appointment is kept.
        self.s.add(orm.Appointment(
            id=self.new_id(), job_id=j.id, start_at=self.local(tz, 3, 9),
            end_at=self.local(tz, 3, 11), status=AppointmentStatus.CANCELLED.value,
            reschedule_reason=RescheduleReasonCode.APPOINTMENT_REQUESTED_BY_CUSTOMER.value,
            reschedule_note="Family visiting that week.", created_by=c["erin"].id,
            created_at=now - timedelta(days=5),
        ))
        j.window_confirmation_due_at = window_confirmation_due_at(now - timedelta(hours=3), tz)
        j.version += 3

        # --- SCHEDULED: today, tomorrow and this week for every technician, one
        # unassigned (technicians_see_unassigned), one rescheduled by the pro.
        schedule: list[tuple[_Person | None, str, str, TimeWindow]] = [
            (tess, "alice", "tv", self.soon(tz, 0)),
            (tess, "bob", "thermostat", self.soon(tz, 3, 1)),
            (marco, "carmen", "fan", self.soon(tz, 1)),
            (priya, "dev", "cleaning", self.soon(tz, 2, 3)),
            (tess, "carmen", "furniture", self.window(tz, 1, 9)),
            (marco, "alice", "faucet", self.window(tz, 1, 13)),
            (priya, "bob", "tv_bracket", self.window(tz, 1, 10)),
            (tess, "erin", "fan", self.window(tz, 3, 13)),
            (marco, "bob", "cleaning", self.window(tz, 4, 9, 3)),
            (priya, "alice", "thermostat", self.window(tz, 2, 15)),
            (None, "carmen", "furniture", self.window(tz, 2, 11)),
            (priya, "dev", "remote", self.window(tz, 1, 18, 1)),
        ]
        scheduled: list[orm.Job] = []
        for index, (tech, who, service, confirmed) in enumerate(schedule):
            ordered = ordered_before(confirmed.start, 2 + index % 4)
            scheduled.append(self.job(
                biz, c[who], ordered, service_key=service, windows=three(confirmed),
                confirmed=confirmed, techs=[tech] if tech else [],
                status=JobStatus.SCHEDULED, share_phone=index % 3 == 0,
            ))
        moved = self.window(tz, 5, 8)
        scheduled.append(self.job(
            biz, c["dev"], now - timedelta(days=3), service_key="tv",
            windows=three(self.window(tz, 2, 8)), confirmed=moved, techs=[marco],
            status=JobStatus.SCHEDULED,
            rescheduled_from=(self.window(tz, 2, 8), RescheduleReasonCode.TECHNICIAN_ISSUE),
        ))
        self.message(biz, tess, now - timedelta(hours=2),
                     "Hi Alice, I'm on schedule. Please clear the wall around the TV spot.",
                     job=scheduled[0])
        self.message(biz, c["alice"], now - timedelta(hours=1, minutes=40),
                     "Will do, thanks! Street parking is free after 9.", job=scheduled[0])
        self.message(biz, c["carmen"], now - timedelta(days=1),
                     "The fan box is already up there from the old light.", job=scheduled[2])

        # --- IN_PROGRESS, one with a signed change order (R8).
        started = TimeWindow(start=now - timedelta(hours=1), end=now + timedelta(hours=1))
        j = self.job(biz, c["erin"], now - timedelta(days=4), service_key="tv_bracket",
                     windows=three(started), confirmed=started, techs=[tess],
                     status=JobStatus.IN_PROGRESS)
        j.version += 1
        self.change_order(
            biz, j, c["erin"], tess, now - timedelta(minutes=30),
            "Wall has metal studs: toggle anchors needed, plus an in-wall cable kit.",
            [self.line(part, "Heavy-duty toggle anchors (set of 4)", 2_400),
             self.line(part, "In-wall power and cable kit", 8_900),
             self.line(labor, "In-wall cable routing", 6_000)],
        )
        self.pro_photo(biz, tess, PhotoTargetKind.JOB, j.id, "Metal studs behind drywall",
                       now - timedelta(minutes=35))
        started2 = TimeWindow(start=now - timedelta(hours=2), end=now)
        self.job(biz, c["bob"], now - timedelta(days=3), service_key="cleaning",
                 windows=three(started2), confirmed=started2, techs=[priya],
                 status=JobStatus.IN_PROGRESS).version += 1

        # --- COMPLETED packaged jobs: signatures, charges, change orders, reviews (R9, R11).
        completed: list[tuple[_Person, str, str, int, int | None, str]] = [
            (tess, "alice", "furniture", 2, 5, "Fast, tidy and anchored everything. Thanks!"),
            (marco, "bob", "faucet", 5, 4, "Good job; had to come back for a part."),
            (priya, "carmen", "cleaning", 12, None, ""),
            (tess, "dev", "thermostat", 30, 5, "Explained the app setup really well."),
            (priya, "erin", "tv_bracket", 1, None, ""),
            (marco, "alice", "fan", 100, None, ""),  # R11: review window already closed
            (tess, "carmen", "tv", 45, 3, "Mounted fine but arrived late in the window."),
        ]
        for tech, who, service, days_ago, rating, comment in completed:
            window = self.window(tz, -days_ago, 10)
            ordered = window.start - timedelta(days=4)
            j = self.job(biz, c[who], ordered, service_key=service, windows=three(window),
                         confirmed=window, techs=[tech], status=JobStatus.COMPLETED)
            if service == "faucet":
                self.change_order(
                    biz, j, c[who], tech, window.start + timedelta(minutes=40),
                    "Shut-off valves seized; replaced both angle stops.",
                    [self.line(part, "Quarter-turn angle stop valves", 1_800, qty=2),
                     self.line(labor, "Valve replacement", 4_500)],
                )
            if service == "thermostat":
                self.change_order(
                    biz, j, c[who], tech, window.start + timedelta(minutes=10),
                    "C-wire adapter needed.", [self.line(part, "C-wire adapter", 2_900)],
                    void=True,  # the old wiring had a spare conductor after all
                )
            if service == "tv_bracket":
                old = j.line_items[0]["id"]
                self.change_order(
                    biz, j, c[who], tech, window.start + timedelta(minutes=20),
                    "Customer chose a full-motion bracket instead of the tilting one.",
                    [self.line(labor, "TV mounting, full-motion bracket", 19_900),
                     self.line(part, "Full-motion bracket upgrade", 4_000)],
                    removed_ids=[old],
                )
            done = window.start + timedelta(hours=1, minutes=30)
            self.complete(biz, j, c[who], tech, done,
                          f"{j.title}: done and tested with the customer.")
            self.pro_photo(biz, tech, PhotoTargetKind.JOB, j.id, f"Finished: {j.title[:40]}",
                           done - timedelta(minutes=2))
            if rating is not None:
                self.review(biz, j, c[who], tech, done + timedelta(days=1), rating, comment)

        # --- CANCELLED (R7): one before any window, one more than 24 h ahead.
        j = self.job(biz, c["bob"], now - timedelta(days=2), service_key="furniture",
                     windows=three(self.window(tz, 3, 9)), status=JobStatus.CANCELLED)
        j.version += 1
        self.message(biz, c["bob"], now - timedelta(days=1),
                     "Cancelled: the desk arrived damaged, returning it.", job=j)
        window = self.window(tz, 4, 14)
        j = self.job(biz, c["carmen"], now - timedelta(days=5), service_key="tv",
                     windows=three(window), confirmed=window, techs=[marco],
                     status=JobStatus.CANCELLED)
        j.version += 1

        # --- NOT_SERVICED (R5): the customer's faucet arrived cracked; nothing charged.
        window = self.window(tz, -1, 13)
        j = self.job(biz, c["alice"], window.start - timedelta(days=3), service_key="faucet",
                     windows=three(window), confirmed=window, techs=[marco],
                     status=JobStatus.NOT_SERVICED)
        j.outcome_note = "New faucet body is cracked out of the box; could not install."
        j.version += 2
        self.pro_photo(biz, marco, PhotoTargetKind.JOB, j.id, "Cracked faucet body",
                       window.start + timedelta(minutes=15))

        self.seed_estimate_jobs(biz, c)

    def seed_estimate_jobs(self, biz: _Biz, c: dict[str, _Person]) -> None:
        """BOOKED requests: an accepted estimate became a job (origin ESTIMATE)."""
        tz, now = biz.tz, self.now
        tess, marco, priya = biz.techs["tess"], biz.techs["marco"], biz.techs["priya"]
        labor, part, fee = LineItemKind.LABOR, LineItemKind.PART, LineItemKind.FEE

        def booked_story(
            who: str, title: str, days_ago: int, tech: _Person, lines: list[LineItem], *,
            description: str, visit: tuple[int, WaiverTerms, int] | None = None,
            rival: _Person | None = None, photos: Sequence[str] = (),
        ) -> tuple[orm.CustomRequest, orm.Estimate, datetime]:
            submitted = self.submitted_where(
                tz, lambda _s, _d, _cl: True, max(1, days_ago * 24)
            )
            r = self.request(biz, c[who], submitted, title, description=description,
                             photos=photos, status=RequestStatus.BOOKED)
            if visit is not None:
                price, waiver, discount = visit
                trip = TimeWindow(start=submitted + timedelta(hours=20),
                                  end=submitted + timedelta(hours=22))
                self.visit(biz, r, tech, submitted + timedelta(hours=2), price,
                           VisitStatus.COMPLETED, waiver=waiver, discount_cents=discount,
                           accepted_at=submitted + timedelta(hours=4), window=trip)
                sent = submitted + timedelta(hours=23)
            else:
                sent = submitted + timedelta(hours=3)
            sent = min(sent, r.closes_at, now - timedelta(minutes=50))
            e = self.estimate(biz, r, tech, sent, lines, EstimateStatus.SUBMITTED)
            others = []
            if rival is not None:
                others.append(self.estimate(
                    biz, r, rival, sent - timedelta(minutes=30),
                    [LineItem(**{**line.model_dump(exclude={"total_cents"}),
                                 "id": self.new_id(),
                                 "unit_price_cents": line.unit_price_cents + 2_000})
                     for line in lines],
                    EstimateStatus.SUBMITTED,
                ))
            booked = min(sent + timedelta(hours=5), now - timedelta(minutes=40))
            self.book(biz, r, e, booked, others)
            return r, e, booked

        def job_for(
            who: str, r: orm.CustomRequest, e: orm.Estimate, booked: datetime,
            status: JobStatus, confirmed: TimeWindow | None, techs: Sequence[_Person],
        ) -> orm.Job:
            first = confirmed or self.window(tz, 2, 10)
            windows = [first] + [TimeWindow(start=first.start + timedelta(days=d),
                                            end=first.end + timedelta(days=d)) for d in (1, 2)]
            return self.job(biz, c[who], booked, estimate=e, request=r, windows=windows,
                            confirmed=confirmed, techs=techs, status=status)

        # Booked today, waiting for a window (R6).
        r, e, booked = booked_story(
            "alice", "Install closet shelving system", 1, priya,
            [self.line(labor, "Install closet system", 22_000),
             self.line(part, "Elfa shelving components", 38_500)],
            description="Walk-in closet, 6 x 5 ft, replace wire shelving.", rival=tess,
            photos=["Walk-in closet wire shelves"],
        )
        job_for("alice", r, e, booked, JobStatus.PENDING_SCHEDULE, None, [])

        # Scheduled this week, after an accepted visit with a discount (R4).
        r, e, booked = booked_story(
            "bob", "Install ceiling fan on vaulted ceiling", 6, priya,
            [self.line(labor, "Fan install with sloped-ceiling adapter", 24_000),
             self.line(part, "Sloped ceiling adapter and 24 in downrod", 4_500)],
            description="14 ft vaulted ceiling, existing light box.",
            visit=(4_900, WaiverTerms.DISCOUNT_IF_PROCEED, 2_000),
            photos=["Vaulted living room ceiling"],
        )
        job_for("bob", r, e, booked, JobStatus.SCHEDULED, self.window(tz, 3, 10), [priya])

        # Completed: the visit's trip charge was accepted in advance, so it is billed (R5).
        r, e, booked = booked_story(
            "carmen", "Replace rotted deck boards", 20, marco,
            [self.line(labor, "Replace 8 deck boards", 32_000),
             self.line(part, "Cedar 5/4 x 6 boards", 2_600, qty=8)],
            description="Several soft boards near the stairs.",
            visit=(5_900, WaiverTerms.NONE, 0), photos=["Soft deck boards"],
        )
        window = self.window(tz, -12, 9, 4)
        j = job_for("carmen", r, e, booked, JobStatus.COMPLETED, window, [marco])
        self.complete(biz, j, c["carmen"], marco, window.start + timedelta(hours=3),
                      "Eight boards replaced and sealed.")
        self.review(biz, j, c["carmen"], marco, window.end + timedelta(days=2), 5,
                    "Deck looks great, trip charge was clear from the start.")

        # Completed: the visit fee was waived because the customer went ahead (R4).
        r, e, booked = booked_story(
            "alice", "Repair leaking shower valve", 15, tess,
            [self.line(labor, "Shower cartridge replacement", 16_000),
             self.line(part, "Moen 1222 cartridge", 3_900)],
            description="Shower drips constantly after turning off.",
            visit=(3_500, WaiverTerms.WAIVE_IF_PROCEED, 0), photos=["Dripping shower head"],
        )
        window = self.window(tz, -8, 13)
        j = job_for("alice", r, e, booked, JobStatus.COMPLETED, window, [tess])
        self.complete(biz, j, c["alice"], tess, window.start + timedelta(hours=1),
                      "Cartridge replaced, no more drip.")

        # NOT_SERVICED: accepted visit, but the product was defective (R5: no trip charge).
        r, e, booked = booked_story(
            "bob", "Install customer-supplied range hood", 9, marco,
            [self.line(labor, "Range hood install and venting", 28_000)],
            description="30 in under-cabinet hood, venting to exterior.",
            visit=(5_900, WaiverTerms.NONE, 0), photos=["Range hood location"],
        )
        window = self.window(tz, -2, 10)
        j = job_for("bob", r, e, booked, JobStatus.NOT_SERVICED, window, [marco])
        j.outcome_note = "Hood arrived with a dented blower housing; return it to the store."
        j.version += 2
        for visit in self.s.scalars(select(orm.Visit).where(orm.Visit.request_id == r.id)):
            visit.product_defective = True

        # IN_PROGRESS with a change order (R8).
        r, e, booked = booked_story(
            "dev", "Build garage storage shelving", 7, marco,
            [self.line(labor, "Build 2 wall-mounted shelving units", 30_000),
             self.line(part, "Lumber and brackets", 14_000)],
            description="Two 8 ft units along the garage side wall.", rival=priya,
        )
        started = TimeWindow(start=now - timedelta(hours=2), end=now + timedelta(hours=1))
        j = job_for("dev", r, e, booked, JobStatus.IN_PROGRESS, started, [marco])
        j.version += 1
        self.change_order(
            biz, j, c["dev"], marco, now - timedelta(minutes=45),
            "Added a third unit over the workbench at the customer's request.",
            [self.line(labor, "Third shelving unit", 12_000),
             self.line(part, "Extra lumber and brackets", 6_500)],
        )

        # CANCELLED after booking (R7).
        r, e, booked = booked_story(
            "erin", "Replace sliding door rollers", 8, tess,
            [self.line(labor, "Roller replacement", 14_000),
             self.line(part, "Roller set", 3_500), self.line(fee, "Glass panel lift", 2_500)],
            description="Patio door is very hard to slide.",
        )
        j = job_for("erin", r, e, booked, JobStatus.CANCELLED, None, [])
        self.message(biz, c["erin"], booked + timedelta(hours=2),
                     "Cancelled: the landlord is sending their handyman.", job=j)

        # Completed long ago, with a review (R11).
        r, e, booked = booked_story(
            "carmen", "Hang 12-frame gallery wall", 42, tess,
            [self.line(labor, "Layout and hanging, 12 frames", 18_000)],
            description="Mixed frame sizes on the stair wall.", photos=["Stair wall"],
        )
        window = self.window(tz, -38, 10)
        j = job_for("carmen", r, e, booked, JobStatus.COMPLETED, window, [tess])
        self.complete(biz, j, c["carmen"], tess, window.start + timedelta(hours=2),
                      "Gallery wall hung and levelled.")
        self.review(biz, j, c["carmen"], tess, window.end + timedelta(days=3), 5,
                    "Perfect spacing, she used a paper template first.")

    # ---------------------------------------------------------------- second business

    def seed_other_business(self, c: dict[str, _Person]) -> None:
        row = self.business(OTHER_BUSINESS_NAME, _OTHERCO_TZ, "CO", see_unassigned=False)
        accounts = {a["email"]: a["password"] for a in OTHER_BUSINESS_ACCOUNTS}
        owner = self.user("owner@othercoplumbing.example", "Olga Novak", Role.OWNER,
                          accounts["owner@othercoplumbing.example"], row, "+1 303 555 0170")
        sam = self.user("sam@othercoplumbing.example", "Sam Ortiz", Role.TECHNICIAN,
                        accounts["sam@othercoplumbing.example"], row, "+1 303 555 0171")
        frank = self.user(
            "frank@customer.example", "Frank Mills", Role.CUSTOMER,
            accounts["frank@customer.example"], None, "+1 720 555 0106",
            Address(line1="455 Larimer St", city="Denver", state="CO", postal_code="80202"),
        )
        biz = _Biz(row, owner, [owner], {"sam": sam})
        self.s.flush()
        tz, now = biz.tz, self.now
        self.compliance(biz, sam, ComplianceKind.LICENSE, 200, issuer="Colorado DORA",
                        number="PL-1183920")
        self.compliance(biz, sam, ComplianceKind.INSURANCE, 250)
        self.compliance(biz, sam, ComplianceKind.BACKGROUND_CHECK, 300)
        self.compliance(biz, sam, ComplianceKind.CRIMINAL_BACKGROUND_CHECK, 300)
        self.service(biz, "drain", "Drain Unclogging (one drain)", 13_900,
                     ["Snaking of one sink, tub or shower drain", "Flow test"],
                     PartsSupplier.PRO, 60, "One clogged drain cleared with a hand auger.")
        self.service(biz, "heater", "Water Heater Flush", 9_900,
                     ["Tank drain and flush", "Anode rod inspection"],
                     PartsSupplier.PRO, 60, "Annual sediment flush for tank water heaters.")
        self.s.flush()

        window = self.window(tz, 1, 9)
        three = [window] + [TimeWindow(start=window.start + timedelta(days=d),
                                       end=window.end + timedelta(days=d)) for d in (1, 2)]
        self.job(biz, frank, now - timedelta(days=2), service_key="drain", windows=three,
                 confirmed=window, techs=[sam], status=JobStatus.SCHEDULED)
        self.job(biz, frank, now - timedelta(hours=2), service_key="heater",
                 windows=[TimeWindow(start=w.start + timedelta(days=3),
                                     end=w.end + timedelta(days=3)) for w in three])
        done = self.window(tz, -6, 13)
        done_three = [done] + [TimeWindow(start=done.start + timedelta(days=d),
                                          end=done.end + timedelta(days=d)) for d in (1, 2)]
        j = self.job(biz, frank, done.start - timedelta(days=2), service_key="drain",
                     windows=done_three, confirmed=done, techs=[sam], status=JobStatus.COMPLETED)
        self.complete(biz, j, frank, sam, done.start + timedelta(minutes=50),
                      "Kitchen drain cleared.")
        self.review(biz, j, frank, sam, done.end + timedelta(days=1), 4, "Quick and clean.")
        r = self.request(
            biz, frank, self.submitted_where(tz, lambda _s, _d, cl: cl > now, 3),
            "Reroute basement laundry drain", description="Washer standpipe overflows.",
            photos=["Basement laundry standpipe"],
        )
        self.message(biz, sam, r.submitted_at + timedelta(hours=1),
                     "How tall is the standpipe from the floor?", request=r)
        # A BrightFix customer asks Other Co too: each business sees only its own request.
        r = self.request(
            biz, c["bob"], self.submitted_where(tz, lambda _s, _d, cl: cl > now, 2),
            "Video consult: low water pressure", location=LocationType.ONLINE,
            description="Whole-house pressure dropped last month.",
        )
        self.estimate(biz, r, sam, r.submitted_at + timedelta(minutes=40),
                      [self.line(LineItemKind.LABOR, "30-minute video consult", 4_500)],
                      EstimateStatus.SUBMITTED)
