"""Wire models (exactly what the marketplace sends) and their conversion to domain models.

One model per layer (STYLE.md): ``Api*`` classes mirror the JSON of the HTTP API and
tolerate unknown fields (a newer server may add some); the rest of the app only ever
sees `proapp.domain.models` objects, produced by the explicit ``to_domain`` functions
below. When the wire format changes, only this file changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from proapp.domain.models import Job, User

__all__ = [
    "ApiAddress",
    "ApiAppointment",
    "ApiJob",
    "ApiJobPage",
    "ApiLineItem",
    "ApiPreferredWindow",
    "ApiTimeWindow",
    "ApiTokenResponse",
    "ApiUser",
    "BlobStored",
    "MutationResult",
    "PullResponse",
    "PushMutation",
    "PushResponse",
    "PushStopped",
    "Session",
    "SyncChange",
    "SyncError",
    "UploadCreated",
    "UploadSession",
    "job_to_domain",
    "user_to_domain",
]


class ApiModel(BaseModel):
    """Base of wire models: ignore unknown fields, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ApiUser(ApiModel):
    """``user`` in the login answer and the body of ``GET /v1/me``."""

    id: str
    email: str
    name: str
    role: str
    business_id: str | None = None


class ApiTokenResponse(ApiModel):
    """Answer of ``POST /v1/auth/login`` and ``POST /v1/auth/refresh``."""

    access_token: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    token_type: str = "bearer"
    expires_in: int = Field(ge=0)
    user: ApiUser


class ApiAddress(ApiModel):
    """A job's street address."""

    line1: str
    line2: str = ""
    city: str
    state: str
    postal_code: str


class ApiTimeWindow(ApiModel):
    """An arrival window, ISO-8601 datetimes with offset (the server sends UTC "Z")."""

    start: datetime
    end: datetime


class ApiPreferredWindow(ApiModel):
    """One of the customer's preferred arrival windows (R6)."""

    id: str
    window: ApiTimeWindow


class ApiAppointment(ApiModel):
    """The confirmed appointment of a job."""

    id: str
    job_id: str
    window: ApiTimeWindow
    status: str = "ACTIVE"
    assigned_technician_ids: list[str] = Field(default_factory=list)
    reschedule_reason: str | None = None


class ApiLineItem(ApiModel):
    """A priced line; ``unit_price_cents`` is integer cents."""

    id: str
    kind: str
    description: str
    quantity: int = 1
    unit_price_cents: int


class ApiJob(ApiModel):
    """One item of ``GET /v1/jobs`` and the body of ``GET /v1/jobs/{id}``."""

    id: str
    business_id: str
    customer_id: str
    origin: str
    service_id: str | None = None
    estimate_id: str | None = None
    title: str
    scope: str = ""
    whats_included: list[str] = Field(default_factory=list)
    line_items: list[ApiLineItem] = Field(default_factory=list)
    location_type: str = "IN_HOME"
    address: ApiAddress | None = None
    time_zone: str
    customer_name: str = ""
    customer_phone: str | None = None
    status: str
    ordered_at: datetime
    preferred_windows: list[ApiPreferredWindow] = Field(default_factory=list)
    appointment: ApiAppointment | None = None
    assigned_technician_ids: list[str] = Field(default_factory=list)
    price_cents: int
    window_confirmation_due_at: datetime
    version: int = 0


class ApiJobPage(ApiModel):
    """One page of ``GET /v1/jobs``."""

    items: list[ApiJob]
    next_page_token: str | None = None


@dataclass(frozen=True)
class Session:
    """A signed-in session: tokens plus who is signed in.

    Tokens are excluded from ``repr`` so a session printed in a log or a traceback never
    leaks them. ``access_expires_at`` is UTC and only advisory (the server decides).
    """

    user: User
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime


# --------------------------------------------------------------------------- sync (docs/SYNC.md)
# The sync protocol's own types: the engine consumes them as they are (they ARE the
# contract between proapp/sync and marketplace/sync), so there is no domain twin.


class PushMutation(ApiModel):
    """One outbox row as sent in ``POST /v1/sync/push``."""

    mid: int = Field(ge=1)
    id: str
    name: str
    args: dict[str, Any]
    base_version: int | None = None


class SyncError(ApiModel):
    """The one error body, as carried by a rejected mutation's result."""

    code: str
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class MutationResult(ApiModel):
    """The server's answer for one mutation: applied (with the handler's result) or
    rejected (with the stable error body). A replayed ``mid`` gets its stored answer."""

    mid: int
    id: str
    status: Literal["applied", "rejected"]
    result: dict[str, Any] | None = None
    error: SyncError | None = None


class PushStopped(ApiModel):
    """Why the server stopped before the end of a batch (``out_of_order``)."""

    code: str
    expected_mid: int | None = None


class PushResponse(ApiModel):
    """Answer of ``POST /v1/sync/push``."""

    last_mid: int = Field(ge=0)
    results: list[MutationResult] = Field(default_factory=list)
    stopped: PushStopped | None = None


class SyncChange(ApiModel):
    """One entry of a pull page: the entity's full current state, or its deletion."""

    kind: str
    id: str
    version: int | None = None
    op: Literal["upsert", "delete"] = "upsert"
    data: dict[str, Any] | None = None
    seq: int | None = None


class PullResponse(ApiModel):
    """Answer of ``GET /v1/sync/pull``: one consistent page of changes."""

    changes: list[SyncChange] = Field(default_factory=list)
    cursor: str
    has_more: bool = False
    last_mid: int = Field(default=0, ge=0)


class BlobStored(ApiModel):
    """Answer of ``PUT /v1/blobs/{sha256}``."""

    sha256: str
    size: int
    content_type: str


class UploadCreated(ApiModel):
    """Answer of ``POST /v1/uploads`` (``complete``: the server already has the blob)."""

    upload_id: str | None = None
    offset: int = Field(default=0, ge=0)
    complete: bool = False


@dataclass(frozen=True, slots=True)
class UploadSession:
    """A resumable upload as the client uses it: where to ``PATCH``, from which offset,
    and whether the server already holds the blob (then ``url`` may be None)."""

    url: str | None
    offset: int
    complete: bool


# --------------------------------------------------------------------------- conversion


def user_to_domain(api: ApiUser) -> User:
    """Convert a wire user to the domain `User` (raises pydantic ValidationError)."""
    return User.model_validate(
        {
            "id": api.id,
            "email": api.email,
            "name": api.name,
            "role": api.role,
            "business_id": api.business_id,
        }
    )


def _window(api: ApiTimeWindow) -> dict[str, Any]:
    return {"start": api.start, "end": api.end}


def job_to_domain(api: ApiJob) -> Job:
    """Convert a wire job to the domain `Job` (raises pydantic ValidationError)."""
    address = None
    if api.address is not None:
        address = {
            "line1": api.address.line1,
            "line2": api.address.line2,
            "city": api.address.city,
            "state": api.address.state,
            "postal_code": api.address.postal_code,
        }
    appointment = None
    if api.appointment is not None:
        appointment = {
            "id": api.appointment.id,
            "job_id": api.appointment.job_id,
            "window": _window(api.appointment.window),
            "status": api.appointment.status,
            "assigned_technician_ids": list(api.appointment.assigned_technician_ids),
            "reschedule_reason": api.appointment.reschedule_reason,
        }
    return Job.model_validate(
        {
            "id": api.id,
            "business_id": api.business_id,
            "customer_id": api.customer_id,
            "origin": api.origin,
            "service_id": api.service_id,
            "estimate_id": api.estimate_id,
            "title": api.title,
            "scope": api.scope,
            "whats_included": list(api.whats_included),
            "line_items": [
                {
                    "id": line.id,
                    "kind": line.kind,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                }
                for line in api.line_items
            ],
            "location_type": api.location_type,
            "address": address,
            "time_zone": api.time_zone,
            "customer_name": api.customer_name,
            "customer_phone": api.customer_phone,
            "status": api.status,
            "ordered_at": api.ordered_at,
            "preferred_windows": [
                {"id": pw.id, "window": _window(pw.window)} for pw in api.preferred_windows
            ],
            "appointment": appointment,
            "assigned_technician_ids": list(api.assigned_technician_ids),
            "price_cents": api.price_cents,
            "window_confirmation_due_at": api.window_confirmation_due_at,
            "version": api.version,
        }
    )
