"""Domain models shared by the client (proapp) and the server (marketplace).

Conventions every model follows:

* ``extra="ignore"``: a newer server may send fields this client does not know yet.
* ``frozen=True``: change a model with ``model.model_copy(update=...)`` (then re-validate
  with ``Model.model_validate(copy.model_dump())`` if the update comes from outside).
* Ids are UUID strings, normalised to lowercase canonical form.
* Money is ``int`` cents (strict: a float or a bool is refused, never rounded).
* Datetimes must be timezone-aware and are converted to UTC; serialised with a "Z".
* Blob references (photos, signature PNGs) are lowercase SHA-256 hex digests.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    computed_field,
    model_validator,
)

from proapp.domain.enums import (
    PRO_ROLES,
    AppointmentStatus,
    ChangeOrderStatus,
    ComplianceKind,
    EstimateStatus,
    JobOrigin,
    JobStatus,
    LedgerEntryKind,
    LineItemKind,
    LocationType,
    MessageAuthorRole,
    PartsSupplier,
    RequestStatus,
    RescheduleReasonCode,
    Role,
    VisitStatus,
    WaiverTerms,
)
from proapp.domain.money import MAX_CENTS

__all__ = [
    "MAX_ASSIGNED_TECHNICIANS",
    "MAX_PHOTOS",
    "Address",
    "Appointment",
    "Business",
    "ChangeOrder",
    "ComplianceDocument",
    "CustomRequest",
    "DomainModel",
    "ErrorBody",
    "Estimate",
    "GeoPoint",
    "Id",
    "Job",
    "LedgerEntry",
    "LineItem",
    "Message",
    "NonNegativeCents",
    "PackagedService",
    "Page",
    "PositiveCents",
    "PreferredWindow",
    "Review",
    "Sha256Hex",
    "SignatureRecord",
    "StateCode",
    "StrokePoint",
    "TimeWindow",
    "TimeZoneName",
    "User",
    "UtcDatetime",
    "VisitProposal",
    "format_utc",
    "lines_total",
    "new_id",
]

MAX_PHOTOS = 20
"""Most photos one request, estimate, change order or report may reference."""

MAX_ASSIGNED_TECHNICIANS = 5
"""Most technicians one appointment may have."""


# --------------------------------------------------------------------------- field types


_CANONICAL_UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _normalise_uuid(value: str) -> str:
    # Already canonical (what we store and send): str(uuid.UUID(value)) == value.
    if _CANONICAL_UUID_RE.fullmatch(value):
        return value
    # uuid.UUID also accepts braces, "urn:uuid:" and no hyphens; we store one form only.
    if len(value) > 45:
        raise ValueError("is not a UUID (too long)")
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a UUID") from exc


def new_id() -> str:
    """A fresh random id (UUID4 string), e.g. for things the client creates offline."""
    return str(uuid.uuid4())


Id = Annotated[str, AfterValidator(_normalise_uuid)]
"""A UUID string in canonical lowercase form."""

_SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")


def _check_sha256(value: str) -> str:
    lowered = value.lower()
    if not _SHA256_RE.match(lowered):
        raise ValueError("must be a SHA-256 digest: 64 hexadecimal characters")
    return lowered


Sha256Hex = Annotated[str, AfterValidator(_check_sha256)]
"""A lowercase SHA-256 hex digest (content address of a blob or of signed content)."""


def _to_utc(value: datetime) -> datetime:
    # Most values are UTC already (what we store and send): skip the conversion.
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """ISO-8601 UTC with a "Z" suffix, e.g. ``2026-11-26T09:30:00Z``.

    This is the one datetime wire format (also used inside signed content).

    Raises:
        ValueError: for a naive datetime (we never guess a time zone).
    """
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: attach a time zone before formatting")
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime, stored in UTC; naive datetimes are refused."""


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{value}' is not an IANA time zone like 'America/New_York'") from exc
    return value


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_time_zone)]
"""An IANA time zone name, e.g. ``America/Los_Angeles``."""

NonNegativeCents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
"""Integer cents, zero or more (strict: floats are refused)."""

PositiveCents = Annotated[StrictInt, Field(gt=0, le=MAX_CENTS)]
"""Integer cents, more than zero."""

StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""A two-letter US state code, upper case, e.g. ``WA``."""

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=4000)]
PhotoHashes = Annotated[list[Sha256Hex], Field(max_length=MAX_PHOTOS)]


def _unique(values: list[Any], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must not repeat")


# --------------------------------------------------------------------------- base models


class DomainModel(BaseModel):
    """Base of every domain model: tolerant of unknown fields, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)


class ErrorBody(DomainModel):
    """The one API error body: ``{"code", "message", "details"}``."""

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


T = TypeVar("T")


class Page(DomainModel, Generic[T]):
    """One page of a list endpoint; pass ``next_page_token`` back to get the next."""

    items: list[T]
    next_page_token: str | None = None


class Address(DomainModel):
    """A US street address where work takes place."""

    line1: ShortText
    line2: Annotated[str, Field(max_length=200)] = ""
    city: ShortText
    state: StateCode
    postal_code: Annotated[str, Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]


class GeoPoint(DomainModel):
    """A location in micro-degrees (integers, so signed content never holds a float)."""

    lat_e6: Annotated[StrictInt, Field(ge=-90_000_000, le=90_000_000)]
    lon_e6: Annotated[StrictInt, Field(ge=-180_000_000, le=180_000_000)]


class TimeWindow(DomainModel):
    """An arrival window (R6: windows, not appointment times). UTC, ``end > start``."""

    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _end_after_start(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("a time window must end after it starts")
        return self

    def contains(self, moment: datetime) -> bool:
        """True if ``moment`` (aware) is inside ``[start, end)``."""
        return self.start <= moment < self.end


# --------------------------------------------------------------------------- parties


class Business(DomainModel):
    """A pro business. ``time_zone`` is where its business days are counted."""

    id: Id
    name: ShortText
    time_zone: TimeZoneName
    technicians_see_unassigned: StrictBool = False
    state: StateCode


class User(DomainModel):
    """A signed-in person. Pro roles always belong to a business; customers never do."""

    id: Id
    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    name: ShortText
    role: Role
    business_id: Id | None = None

    @model_validator(mode="after")
    def _business_matches_role(self) -> User:
        if self.role in PRO_ROLES and self.business_id is None:
            raise ValueError(f"a {self.role.value} must belong to a business")
        if self.role is Role.CUSTOMER and self.business_id is not None:
            raise ValueError("a customer does not belong to a business")
        return self

    @property
    def is_staff(self) -> bool:
        """Dispatcher or owner: sees all jobs of the business."""
        return self.role in (Role.DISPATCHER, Role.OWNER)


class ComplianceDocument(DomainModel):
    """A vetting document (R13). ``expires_on`` is None for documents that do not expire."""

    id: Id
    user_id: Id
    kind: ComplianceKind
    number: Annotated[str, Field(max_length=100)] = ""
    issuer: Annotated[str, Field(max_length=200)] = ""
    expires_on: date | None = None
    verified: StrictBool = False


# --------------------------------------------------------------------------- catalogue


class LineItem(DomainModel):
    """One priced line of an estimate, job or change order (R3)."""

    id: Id
    kind: LineItemKind
    description: ShortText
    quantity: Annotated[StrictInt, Field(gt=0, le=10_000)] = 1
    unit_price_cents: NonNegativeCents

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_cents(self) -> int:
        """``quantity * unit_price_cents``; derived, so it can never disagree."""
        return self.quantity * self.unit_price_cents


def lines_total(lines: list[LineItem]) -> int:
    """Sum of line totals in cents."""
    return sum(line.total_cents for line in lines)


class PackagedService(DomainModel):
    """A service sold at an upfront price (R1); ``whats_included`` lists parts."""

    id: Id
    business_id: Id
    title: ShortText
    description: LongText = ""
    price_cents: NonNegativeCents
    whats_included: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    parts_supplier: PartsSupplier
    location_type: LocationType
    duration_minutes: Annotated[StrictInt, Field(gt=0, le=24 * 60)]


# --------------------------------------------------------------------------- requests


class CustomRequest(DomainModel):
    """A customer's custom project (R1); OPEN for estimates until ``closes_at`` (R2)."""

    id: Id
    business_id: Id
    customer_id: Id
    customer_name: Annotated[str, Field(max_length=200)] = ""
    title: ShortText
    description: LongText = ""
    site_photo_hashes: PhotoHashes = Field(default_factory=list)
    dimensions: Annotated[str, Field(max_length=1000)] = ""
    product_info: Annotated[str, Field(max_length=1000)] = ""
    location_type: LocationType
    address: Address | None = None
    time_zone: TimeZoneName
    submitted_at: UtcDatetime
    status: RequestStatus = RequestStatus.OPEN
    estimate_due_at: UtcDatetime
    closes_at: UtcDatetime

    @model_validator(mode="after")
    def _check(self) -> CustomRequest:
        if self.location_type is LocationType.IN_HOME and self.address is None:
            raise ValueError("an in-home request needs an address")
        if not self.submitted_at <= self.estimate_due_at <= self.closes_at:
            raise ValueError("need submitted_at <= estimate_due_at <= closes_at")
        return self


class Estimate(DomainModel):
    """A pro's estimate for a custom request (R3). No obligation for the customer."""

    id: Id
    request_id: Id
    business_id: Id
    technician_id: Id | None = None
    line_items: Annotated[list[LineItem], Field(max_length=100)] = Field(default_factory=list)
    parts_supplier: PartsSupplier
    notes: LongText = ""
    photo_hashes: PhotoHashes = Field(default_factory=list)
    valid_until: UtcDatetime | None = None
    status: EstimateStatus = EstimateStatus.DRAFT
    submitted_at: UtcDatetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_cents(self) -> int:
        """Sum of the line totals."""
        return lines_total(self.line_items)

    @model_validator(mode="after")
    def _check(self) -> Estimate:
        _unique([line.id for line in self.line_items], "line item ids")
        if self.status is not EstimateStatus.DRAFT:
            if self.submitted_at is None:
                raise ValueError("a sent estimate needs submitted_at")
            if not self.line_items:
                raise ValueError("a sent estimate needs at least one line item")
        if (
            self.valid_until is not None
            and self.submitted_at is not None
            and self.valid_until <= self.submitted_at
        ):
            raise ValueError("valid_until must be after submitted_at")
        return self


class VisitProposal(DomainModel):
    """A paid or free on-site visit a pro proposes before estimating (R4).

    ``price_cents`` must be at least ``minimum_trip_charge_cents`` (the state minimum
    known when proposing). The trip charge is billable only if ``accepted_at`` is set
    before the trip (R5).
    """

    id: Id
    request_id: Id
    business_id: Id
    price_cents: NonNegativeCents
    minimum_trip_charge_cents: NonNegativeCents = 0
    waiver_terms: WaiverTerms = WaiverTerms.NONE
    discount_cents: NonNegativeCents = 0
    note: LongText = ""
    status: VisitStatus = VisitStatus.PROPOSED
    proposed_at: UtcDatetime | None = None
    accepted_at: UtcDatetime | None = None
    window: TimeWindow | None = None

    @model_validator(mode="after")
    def _check(self) -> VisitProposal:
        if self.price_cents < self.minimum_trip_charge_cents:
            raise ValueError("the visit price is below the state's minimum trip charge")
        if self.discount_cents > self.price_cents:
            raise ValueError("the discount cannot exceed the visit price")
        if self.discount_cents and self.waiver_terms is not WaiverTerms.DISCOUNT_IF_PROCEED:
            raise ValueError("a discount needs waiver_terms DISCOUNT_IF_PROCEED")
        accepted = {VisitStatus.ACCEPTED, VisitStatus.SCHEDULED, VisitStatus.COMPLETED}
        if self.status in accepted and self.accepted_at is None:
            raise ValueError("an accepted visit needs accepted_at")
        if self.status is VisitStatus.SCHEDULED and self.window is None:
            raise ValueError("a scheduled visit needs a window")
        return self

    @property
    def trip_charge_accepted(self) -> bool:
        """True once the customer accepted the price in advance (R4, R5)."""
        return self.accepted_at is not None


# --------------------------------------------------------------------------- jobs


class PreferredWindow(DomainModel):
    """One of the (up to) 3 arrival windows the customer picked (R6)."""

    id: Id
    window: TimeWindow


class Appointment(DomainModel):
    """The confirmed arrival window of a job and who goes (SP-API appointment)."""

    id: Id
    job_id: Id
    window: TimeWindow
    status: AppointmentStatus = AppointmentStatus.ACTIVE
    assigned_technician_ids: Annotated[list[Id], Field(max_length=MAX_ASSIGNED_TECHNICIANS)] = (
        Field(default_factory=list)
    )
    reschedule_reason: RescheduleReasonCode | None = None

    @model_validator(mode="after")
    def _check(self) -> Appointment:
        _unique(self.assigned_technician_ids, "assigned technicians")
        return self


class Job(DomainModel):
    """A booked service job (packaged purchase or accepted estimate).

    ``customer_phone`` is present only when the customer chose to share it (R10).
    ``version`` increases with every server-side change; the outbox sends it as the
    base version so the server can refuse edits made on a stale copy (``stale_base``).
    """

    id: Id
    business_id: Id
    customer_id: Id
    origin: JobOrigin
    service_id: Id | None = None
    estimate_id: Id | None = None
    title: ShortText
    scope: LongText = ""
    whats_included: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    line_items: Annotated[list[LineItem], Field(max_length=200)] = Field(default_factory=list)
    location_type: LocationType = LocationType.IN_HOME
    address: Address | None = None
    time_zone: TimeZoneName
    customer_name: Annotated[str, Field(max_length=200)] = ""
    customer_phone: Annotated[str, Field(max_length=32)] | None = None
    status: JobStatus = JobStatus.PENDING_SCHEDULE
    ordered_at: UtcDatetime
    preferred_windows: Annotated[list[PreferredWindow], Field(max_length=3)] = Field(
        default_factory=list
    )
    appointment: Appointment | None = None
    # Who works the job. Assignment happens before or after scheduling, so it lives on
    # the job; the active appointment repeats it in SP-API's vocabulary.
    assigned_technician_ids: Annotated[list[Id], Field(max_length=MAX_ASSIGNED_TECHNICIANS)] = (
        Field(default_factory=list)
    )
    price_cents: NonNegativeCents
    trip_charge_cents: NonNegativeCents = 0
    """R5: the visit's trip charge that completing this job adds to ``price_cents``
    (billable only if the customer accepted the visit before the trip and the product
    was not defective; computed by the server)."""
    window_confirmation_due_at: UtcDatetime
    version: Annotated[StrictInt, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _check(self) -> Job:
        if self.origin is JobOrigin.PACKAGED and self.service_id is None:
            raise ValueError("a packaged job needs service_id")
        if self.origin is JobOrigin.ESTIMATE and self.estimate_id is None:
            raise ValueError("a job booked from an estimate needs estimate_id")
        if self.location_type is LocationType.IN_HOME and self.address is None:
            raise ValueError("an in-home job needs an address")
        needs_appointment = {JobStatus.SCHEDULED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED}
        if self.status in needs_appointment and self.appointment is None:
            raise ValueError(f"a {self.status.value} job needs an appointment")
        if self.appointment is not None and self.appointment.job_id != self.id:
            raise ValueError("the appointment belongs to another job")
        _unique([w.id for w in self.preferred_windows], "preferred window ids")
        _unique([line.id for line in self.line_items], "line item ids")
        _unique(self.assigned_technician_ids, "assigned technicians")
        return self

    def preferred_window(self, preferred_window_id: str) -> PreferredWindow | None:
        """The customer's preferred window with that id, if the customer offered it."""
        return next((w for w in self.preferred_windows if w.id == preferred_window_id), None)


StrokePoint = tuple[
    Annotated[StrictInt, Field(ge=0, le=100_000)], Annotated[StrictInt, Field(ge=0, le=100_000)]
]
"""One sampled point of a signature stroke, ``(x, y)`` in integer pixels."""


class SignatureRecord(DomainModel):
    """A customer's signature taken on the pro's device (DESIGN.md section 5, R8, R9).

    Binds the typed name, the vector strokes (integer pixels), the rendered PNG (by
    hash), device and server times, the consent text shown, the pro and device, the
    location if allowed, and ``content_sha256``: the SHA-256 of the canonical JSON of
    exactly what was signed (see `proapp.domain.signing`).
    """

    signer_name: ShortText
    strokes: Annotated[
        list[Annotated[list[StrokePoint], Field(min_length=1, max_length=5000)]],
        Field(min_length=1, max_length=500),
    ]
    png_sha256: Sha256Hex
    device_signed_at: UtcDatetime
    server_received_at: UtcDatetime | None = None
    consent_text: Annotated[str, Field(min_length=1, max_length=4000)]
    pro_user_id: Id
    device_id: Annotated[str, Field(min_length=1, max_length=200)]
    location: GeoPoint | None = None
    content_sha256: Sha256Hex


class ChangeOrder(DomainModel):
    """A change of scope or price, verified and signed by the customer in person (R8).

    Created already SIGNED; the only later change is VOID.
    """

    id: Id
    job_id: Id
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    added_lines: Annotated[list[LineItem], Field(max_length=100)] = Field(default_factory=list)
    removed_line_ids: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)
    original_total_cents: NonNegativeCents
    new_total_cents: NonNegativeCents
    photo_hashes: PhotoHashes = Field(default_factory=list)
    signature: SignatureRecord
    status: ChangeOrderStatus = ChangeOrderStatus.SIGNED
    created_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _check(self) -> ChangeOrder:
        if not self.added_lines and not self.removed_line_ids:
            raise ValueError("a change order must add or remove at least one line")
        _unique([line.id for line in self.added_lines], "added line ids")
        _unique(self.removed_line_ids, "removed line ids")
        return self

    @property
    def delta_cents(self) -> int:
        """How much the price changes (negative when it goes down)."""
        return self.new_total_cents - self.original_total_cents


# --------------------------------------------------------------------------- talk, money


class Message(DomainModel):
    """A marketplace message (R10) about exactly one job or one request."""

    id: Id
    job_id: Id | None = None
    request_id: Id | None = None
    author_id: Id
    author_role: MessageAuthorRole
    body: Annotated[str, Field(min_length=1, max_length=4000)]
    sent_at: UtcDatetime

    @model_validator(mode="after")
    def _exactly_one_thread(self) -> Message:
        if (self.job_id is None) == (self.request_id is None):
            raise ValueError("a message belongs to exactly one job or one request")
        return self


class Review(DomainModel):
    """A customer's rating of a job (R11), visible to the pros."""

    id: Id
    job_id: Id
    technician_id: Id | None = None
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    comment: LongText = ""
    created_at: UtcDatetime


class LedgerEntry(DomainModel):
    """A charge on the customer's card on file, made by the marketplace only after the
    completion signature (R9). The app never collects money itself."""

    id: Id
    job_id: Id
    amount_cents: PositiveCents
    kind: LedgerEntryKind = LedgerEntryKind.CHARGE
    created_at: UtcDatetime
    signature_sha256: Sha256Hex
