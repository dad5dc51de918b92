"""SQLAlchemy 2 table models of the marketplace (typed declarative).

Conventions:

* Ids are UUID strings (``String(36)``); clients may generate them for things they
  create offline (estimates, change orders, messages), so the server never invents ids
  the client already chose.
* Money is integer cents in ``BigInteger`` columns. No floats anywhere.
* Times are timezone-aware UTC datetimes (`UtcDateTime`). SQLite has no time zone type,
  so values are stored as naive UTC there and made aware again on read.
* Small structured values that are always read and written whole (line items, address,
  signature strokes, signed content) are JSON columns; things that are queried or
  joined are tables.
* Blob bytes are stored IN the database (``blobs.data``): uploads are capped at
  `Settings.blob_max_bytes` (10 MiB), a blob and the rows referring to it commit in one
  transaction (nothing half-written), and SQLite and PostgreSQL behave the same. A
  deployment that outgrows this can move ``data`` to object storage behind the same
  table.
* Every row a pro can see carries ``business_id``; `Change` rows (one per business
  sequence number) are the future sync change feed (DESIGN.md section 4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccessToken",
    "Appointment",
    "Base",
    "Blob",
    "BlobUpload",
    "Business",
    "Change",
    "ChangeOrder",
    "ComplianceDocument",
    "CustomRequest",
    "Estimate",
    "IdempotencyRecord",
    "Job",
    "JobAssignment",
    "LedgerEntry",
    "LoginAttempt",
    "Message",
    "PackagedService",
    "Photo",
    "PreferredWindow",
    "RefreshToken",
    "RequestPhoto",
    "Review",
    "Signature",
    "SyncClient",
    "SyncResult",
    "Upload",
    "User",
    "UtcDateTime",
    "Visit",
    "utcnow",
]

# Deterministic constraint names: migrations can then drop/alter them by name on both
# SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
SHA256 = String(64)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    Naive datetimes are refused on write (we never guess a zone). PostgreSQL keeps
    ``timestamptz``; SQLite stores naive UTC text and gets ``tzinfo=UTC`` back on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect  # noqa: ARG002 (SQLAlchemy API)
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention and common type mappings."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


# --------------------------------------------------------------------------- parties


class Business(Base):
    """A pro business. ``change_seq`` is the last sequence number of its change feed."""

    __tablename__ = "businesses"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(2))
    # The business decides whether technicians also see jobs nobody is assigned to yet.
    technicians_see_unassigned: Mapped[bool] = mapped_column(Boolean, default=False)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who signs in: a pro (technician, dispatcher, owner) or a customer."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Stored lower-cased; login compares lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    business_id: Mapped[str | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="RESTRICT"), index=True
    )
    # argon2id hash in PHC string form; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshToken(Base):
    """A refresh token (only its SHA-256 is stored). Each refresh rotates it; a reused
    rotated token revokes its whole ``family_id`` (stolen-token detection)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(ID, index=True)
    token_hash: Mapped[str] = mapped_column(SHA256, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AccessToken(Base):
    """A short-lived opaque bearer token (only its SHA-256 is stored)."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(SHA256, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(ID, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """A failed (or successful) login, for rate limiting. The email is kept only as a
    SHA-256 so the table holds no personal data."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email_hash", "attempted_at"),
        Index("ix_login_attempts_ip_at", "client_ip", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email_hash: Mapped[str] = mapped_column(SHA256)
    client_ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ComplianceDocument(Base):
    """A vetting document of a pro (R13); staff watch ``expires_on``."""

    __tablename__ = "compliance_documents"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    expires_on: Mapped[date | None]
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))


# --------------------------------------------------------------------------- blobs


class Blob(Base):
    """Content-addressed bytes (photos, signature PNGs). Stored once per hash."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(SHA256, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobUpload(Base):
    """Who uploaded a blob (a blob uploaded twice by two users has two rows). Uploaders
    may always read their own blobs back."""

    __tablename__ = "blob_uploads"

    sha256: Mapped[str] = mapped_column(
        ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- catalogue


class PackagedService(Base):
    """A service sold at an upfront price (R1)."""

    __tablename__ = "packaged_services"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(BigInteger)
    whats_included: Mapped[list[Any]] = mapped_column(default=list)
    parts_supplier: Mapped[str] = mapped_column(String(20))
    location_type: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- requests


class CustomRequest(Base):
    """A customer's custom project addressed to one business (R1, R2)."""

    __tablename__ = "custom_requests"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    dimensions: Mapped[str] = mapped_column(Text, default="")
    product_info: Mapped[str] = mapped_column(Text, default="")
    location_type: Mapped[str] = mapped_column(String(20))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    time_zone: Mapped[str] = mapped_column(String(64))
    # Shared with the pro only if the customer chose to (R10).
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime]
    estimate_due_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestPhoto(Base):
    """A site photo the customer attached to a request (R1), in order."""

    __tablename__ = "request_photos"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("custom_requests.id", ondelete="CASCADE"), primary_key=True
    )
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Visit(Base):
    """An on-site visit proposal (R4); its trip charge is billable only if accepted in
    advance and the product was not defective (R5)."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("custom_requests.id"), index=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    proposed_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    minimum_trip_charge_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    waiver_terms: Mapped[str] = mapped_column(String(30))
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    proposed_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    product_defective: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Estimate(Base):
    """A pro's estimate for a custom request (R3)."""

    __tablename__ = "estimates"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("custom_requests.id"), index=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    technician_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    line_items: Mapped[list[Any]] = mapped_column(default=list)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    parts_supplier: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_hashes: Mapped[list[Any]] = mapped_column(default=list)
    valid_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)


# --------------------------------------------------------------------------- jobs


class Job(Base):
    """A booked service job: a packaged purchase or an accepted estimate."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    origin: Mapped[str] = mapped_column(String(20))
    service_id: Mapped[str | None] = mapped_column(ForeignKey("packaged_services.id"))
    estimate_id: Mapped[str | None] = mapped_column(ForeignKey("estimates.id"))
    # The custom request behind an estimate job: its accepted visit may carry a
    # billable trip charge (R5).
    request_id: Mapped[str | None] = mapped_column(ForeignKey("custom_requests.id"))
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")
    whats_included: Mapped[list[Any]] = mapped_column(default=list)
    line_items: Mapped[list[Any]] = mapped_column(default=list)
    location_type: Mapped[str] = mapped_column(String(20))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    time_zone: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), index=True)
    ordered_at: Mapped[datetime]
    price_cents: Mapped[int] = mapped_column(BigInteger)
    window_confirmation_due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # Why the job ended NOT_SERVICED (R5: product defective), in the pro's words.
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobAssignment(Base):
    """A technician assigned to a job (the source of technician visibility)."""

    __tablename__ = "job_assignments"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class PreferredWindow(Base):
    """One of the arrival windows the customer picked for a job (R6)."""

    __tablename__ = "preferred_windows"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]


class Appointment(Base):
    """A confirmed arrival window of a job (SP-API appointment). Rescheduling cancels
    the ACTIVE appointment and creates a new one pointing back at it (R7)."""

    __tablename__ = "appointments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    reschedule_reason: Mapped[str | None] = mapped_column(String(60))
    reschedule_note: Mapped[str] = mapped_column(Text, default="")
    previous_appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Signature(Base):
    """A customer's signature taken on the pro's device (DESIGN.md section 5).

    ``content`` is the canonical content the server computed and ``content_sha256`` its
    hash; the device's hash had to match it or the signature was refused.
    """

    __tablename__ = "signatures"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    signer_name: Mapped[str] = mapped_column(String(200))
    strokes: Mapped[list[Any]] = mapped_column()
    png_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    device_signed_at: Mapped[datetime]
    server_received_at: Mapped[datetime]
    consent_text: Mapped[str] = mapped_column(Text)
    pro_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(200))
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column()
    content_sha256: Mapped[str] = mapped_column(SHA256)


class ChangeOrder(Base):
    """A signed change of scope or price (R8)."""

    __tablename__ = "change_orders"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    added_lines: Mapped[list[Any]] = mapped_column(default=list)
    removed_line_ids: Mapped[list[Any]] = mapped_column(default=list)
    original_total_cents: Mapped[int] = mapped_column(BigInteger)
    new_total_cents: Mapped[int] = mapped_column(BigInteger)
    photo_hashes: Mapped[list[Any]] = mapped_column(default=list)
    signature_id: Mapped[str] = mapped_column(ForeignKey("signatures.id"))
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Photo(Base):
    """A photo a pro attached to a job, request or estimate."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_target", "target_kind", "target_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(ID)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    caption: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Message(Base):
    """A marketplace message about one job or one request (R10)."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))  # see end of file
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("custom_requests.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]


class Review(Base):
    """A customer's rating of a job (R11)."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    technician_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    """A charge to the customer's card on file (R9). Written ONLY by the job.complete
    command after a verified completion signature; at most one CHARGE per job."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("job_id", "kind", name="uq_ledger_entries_job_kind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    breakdown: Mapped[dict[str, Any]] = mapped_column()
    signature_id: Mapped[str] = mapped_column(ForeignKey("signatures.id"))
    signature_sha256: Mapped[str] = mapped_column(SHA256)
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------- infrastructure


class IdempotencyRecord(Base):
    """The stored outcome of one command, keyed per actor by the client's key.

    Same key + same fingerprint replays ``status_code`` and ``response``; same key with
    another fingerprint is refused (``idempotency_mismatch``).
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    command: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(SHA256)
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]


class Change(Base):
    """One entry of a business's change feed: entity ``entity_id`` changed at ``seq``.

    ``seq`` comes from ``businesses.change_seq``, incremented with a row lock in the
    writing transaction, so within one business sequence numbers are gap-free and
    commit in order (a reader paging by ``seq > cursor`` never skips a late commit).
    """

    __tablename__ = "changes"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]


# --------------------------------------------------------------------------- sync (docs/SYNC.md)
# Owned by the sync server (marketplace/sync.py, marketplace/uploads.py); migration 0002.


class SyncClient(Base):
    """One install (``client_id``) of one user: the last processed mutation ``mid``.

    ``base_mid`` is the ``last_mid`` the record started from (0, or ``resume_from - 1``
    for a client the server had forgotten); ``last_mid == base_mid`` means the record
    has processed no mutation yet, so a ``resume_from`` may still move it.
    """

    __tablename__ = "sync_clients"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id", name="uq_sync_clients_user_client"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ID)
    last_mid: Mapped[int] = mapped_column(BigInteger, default=0)
    base_mid: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SyncResult(Base):
    """The stored answer to one processed mutation (replayed for ``mid <= last_mid``).

    ``result`` is the wire form ``{"mid", "id", "status", "result" | "error"}``. Kept at
    least 30 days (`marketplace.sync.prune_sync_results`).
    """

    __tablename__ = "sync_results"

    client_pk: Mapped[int] = mapped_column(
        ForeignKey("sync_clients.id", ondelete="CASCADE"), primary_key=True
    )
    mid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    mutation_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(index=True)


class Upload(Base):
    """A resumable (tus-like) blob upload of one user, bytes so far in ``data``.

    Completed uploads keep their row (``completed_at`` set, ``data`` emptied) so a
    client whose final PATCH answer was lost can still learn the offset from HEAD.
    Rows past ``expires_at`` are dead and deleted by `marketplace.uploads.purge_expired`.
    """

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(SHA256)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    offset: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]


# The pull resolves a change's entity version and the latest change of an entity.
Index("ix_changes_entity", Change.business_id, Change.entity, Change.entity_id)

# Snapshot pages (sync pull) and REST lists read one business's rows in id order: with
# (business_id, id) the database seeks to the page and walks the index, instead of
# collecting and sorting every row of the business for each page. The indexes also
# serve every lookup by business_id alone (migration 0003 replaced those).
for _table in (CustomRequest, Visit, Estimate, Job, Photo, Message):
    Index(f"ix_{_table.__tablename__}_business_id_id", _table.business_id, _table.id)
del _table
