"""State of a custom request's detail screen (route ``request`` {request_id}).

Shows what the customer asked for (R1: description, dimensions, product or model info,
location type, site photos), the deadlines (R2) as live countdowns, and what this
business already sent (visit proposals, R4; estimates, R3). Offers the pro's next
steps: ask a question (always possible), propose an on-site visit, draft an estimate.
The last two need the request to still take estimates (R2): once it is closed they are
disabled and `actions_disabled_reason` says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from proapp.domain.enums import (
    EstimateStatus,
    LocationType,
    PartsSupplier,
    RequestStatus,
    VisitStatus,
    WaiverTerms,
)
from proapp.domain.models import CustomRequest, Estimate, VisitProposal
from proapp.domain.money import format_cents
from proapp.domain.rules import format_local, is_estimate_window_open
from proapp.state.inbox import is_answered
from proapp.state.observable import Observable
from proapp.state.ports import RequestRecord, Route, ScreenContext
from proapp.state.screen_support import (
    RepoWatcher,
    Ticker,
    format_countdown,
    read_photo_bytes,
)

__all__ = [
    "ESTIMATE_STATUS_LABELS",
    "EstimateSummary",
    "Loading",
    "LOCATION_LABELS",
    "NotFound",
    "PhotoThumb",
    "Ready",
    "RequestDetail",
    "RequestDetailState",
    "RequestDetailViewState",
    "VISIT_STATUS_LABELS",
    "WAIVER_LABELS",
    "VisitSummary",
    "closed_reason",
    "customer_photo_hashes",
    "request_detail",
    "estimate_draft_key",
    "visit_draft_key",
]

logger = logging.getLogger(__name__)

_EARLIEST = datetime.min.replace(tzinfo=UTC)

LOCATION_LABELS: dict[LocationType, str] = {
    LocationType.IN_HOME: "In the customer's home",
    LocationType.IN_STORE: "In store",
    LocationType.ONLINE: "Online (remote)",
}
"""R12 in plain words."""

ESTIMATE_STATUS_LABELS: dict[EstimateStatus, str] = {
    EstimateStatus.DRAFT: "Draft",
    EstimateStatus.SUBMITTED: "Sent, waiting for the customer",
    EstimateStatus.WITHDRAWN: "Withdrawn",
    EstimateStatus.ACCEPTED: "Accepted by the customer",
    EstimateStatus.DECLINED: "Declined by the customer",
    EstimateStatus.EXPIRED: "Expired",
}

VISIT_STATUS_LABELS: dict[VisitStatus, str] = {
    VisitStatus.PROPOSED: "Proposed, waiting for the customer",
    VisitStatus.ACCEPTED: "Accepted by the customer",
    VisitStatus.DECLINED: "Declined by the customer",
    VisitStatus.WITHDRAWN: "Withdrawn",
    VisitStatus.SCHEDULED: "Scheduled",
    VisitStatus.COMPLETED: "Done",
    VisitStatus.CANCELLED: "Cancelled",
}

WAIVER_LABELS: dict[WaiverTerms, str] = {
    WaiverTerms.NONE: "Charged whether or not the customer goes ahead",
    WaiverTerms.WAIVE_IF_PROCEED: "Waived if the customer goes ahead",
    WaiverTerms.DISCOUNT_IF_PROCEED: "Discounted if the customer goes ahead",
}
"""R4: what happens to a visit's price if the customer goes ahead."""


def estimate_draft_key(request_id: str) -> str:
    """Where the estimate editor autosaves its draft for a request."""
    return f"estimate:{request_id}"


def visit_draft_key(request_id: str) -> str:
    """Where the visit proposal form autosaves its draft for a request."""
    return f"visit:{request_id}"


@dataclass(frozen=True)
class PhotoThumb:
    """A photo to show small; ``data`` is None while it is not on this phone yet."""

    blob_hash: str
    data: bytes | None
    pending: bool = False  # added on this phone, not yet on the server


@dataclass(frozen=True)
class EstimateSummary:
    """One estimate this business sent, in a line or two."""

    estimate_id: str
    total_text: str
    status_text: str
    detail_text: str  # "2 lines · parts by the pro · sent Thu Nov 26, 9:00 AM PST"


@dataclass(frozen=True)
class VisitSummary:
    """One visit proposal, in a line or two."""

    visit_id: str
    price_text: str
    status_text: str
    terms_text: str


@dataclass(frozen=True)
class RequestDetail:
    """Everything the screen shows, as text ready to put on screen."""

    request_id: str
    title: str
    description: str
    dimensions: str
    product_info: str
    location_text: str
    address_text: str
    submitted_text: str
    estimate_due_text: str
    closes_text: str
    status_text: str
    overdue: bool
    pending: bool
    photos: tuple[PhotoThumb, ...]
    estimates: tuple[EstimateSummary, ...]
    visits: tuple[VisitSummary, ...]
    can_estimate: bool
    actions_disabled_reason: str  # "" while visits and estimates are possible
    estimate_action_text: str  # "Draft an estimate" / "Continue your draft estimate"
    has_estimate_draft: bool


@dataclass(frozen=True)
class Loading:
    """Reading the request from the device."""


@dataclass(frozen=True)
class Ready:
    """The request to show."""

    detail: RequestDetail


@dataclass(frozen=True)
class NotFound:
    """The request is not on this device (any more)."""

    message: str = (
        "This request is no longer on this phone. It may have been closed or booked; "
        "go back to the inbox."
    )


RequestDetailViewState = Loading | Ready | NotFound


def _address_text(request: CustomRequest) -> str:
    address = request.address
    if address is None:
        return ""
    street = ", ".join(part for part in (address.line1, address.line2) if part)
    return f"{street}, {address.city}, {address.state} {address.postal_code}"


def _estimate_summary(estimate: Estimate, time_zone: str) -> EstimateSummary:
    count = len(estimate.line_items)
    parts = [f"{count} line{'s' if count != 1 else ''}"]
    by_pro = estimate.parts_supplier is PartsSupplier.PRO
    parts.append("parts by you" if by_pro else "parts by the customer")
    if estimate.submitted_at is not None:
        parts.append(f"sent {format_local(estimate.submitted_at, time_zone)}")
    return EstimateSummary(
        estimate_id=estimate.id,
        total_text=format_cents(estimate.total_cents),
        status_text=ESTIMATE_STATUS_LABELS.get(estimate.status, estimate.status.value),
        detail_text=" · ".join(parts),
    )


def _visit_summary(visit: VisitProposal) -> VisitSummary:
    terms = WAIVER_LABELS.get(visit.waiver_terms, visit.waiver_terms.value)
    if visit.waiver_terms is WaiverTerms.DISCOUNT_IF_PROCEED and visit.discount_cents:
        terms = f"{format_cents(visit.discount_cents)} off if the customer goes ahead"
    price = "Free visit" if visit.price_cents == 0 else f"Visit {format_cents(visit.price_cents)}"
    return VisitSummary(
        visit_id=visit.id,
        price_text=price,
        status_text=VISIT_STATUS_LABELS.get(visit.status, visit.status.value),
        terms_text=terms,
    )


def customer_photo_hashes(record: RequestRecord) -> list[str]:
    """The request's own photos (the customer's site photos first), without repeats;
    photos of this business's estimates are not the customer's and stay out."""
    attached = (p.blob_hash for p in record.photos if p.target_kind == "request")
    return list(dict.fromkeys([*record.request.site_photo_hashes, *attached]))


def closed_reason(request: CustomRequest, now: datetime) -> str:
    """Why new visits and estimates are not possible, or "" if they are (R2)."""
    if is_estimate_window_open(request, now):
        return ""
    if request.status is RequestStatus.BOOKED:
        return "The customer already booked a pro for this request. You can still message them."
    closed_at = format_local(request.closes_at, request.time_zone)
    return (
        f"This request stopped taking estimates on {closed_at}. You can still message the customer."
    )


def request_detail(
    record: RequestRecord,
    now: datetime,
    photos: dict[str, bytes | None],
    *,
    has_estimate_draft: bool,
) -> RequestDetail:
    """Build the screen's texts from a stored request (pure, for tests)."""
    request = record.request
    tz = request.time_zone
    answered = is_answered(record)
    can_estimate = is_estimate_window_open(request, now)
    overdue = can_estimate and not answered and now > request.estimate_due_at
    if answered:
        due_text = f"Estimate sent (was due {format_local(request.estimate_due_at, tz)})"
        status_text = "Estimate sent"
    elif not can_estimate:
        due_text = f"Estimate was due {format_local(request.estimate_due_at, tz)}"
        status_text = "Closed to estimates"
    else:
        countdown = format_countdown(request.estimate_due_at, now)
        local = format_local(request.estimate_due_at, tz)
        if overdue:
            due_text = f"Estimate {countdown} (was due {local})"
        else:
            due_text = f"Estimate due {countdown} ({local})"
        status_text = "Estimate overdue" if overdue else "Waiting for your estimate"
    if can_estimate:
        closes_text = (
            f"Closes to estimates {format_countdown(request.closes_at, now)} "
            f"({format_local(request.closes_at, tz)})"
        )
    else:
        closes_text = f"Closed to estimates {format_local(request.closes_at, tz)}"
    pending_hashes = {p.blob_hash for p in record.photos if p.pending}
    visits = sorted(record.visits, key=lambda v: v.proposed_at or _EARLIEST, reverse=True)
    estimates = sorted(record.estimates, key=lambda e: e.submitted_at or _EARLIEST, reverse=True)
    return RequestDetail(
        request_id=request.id,
        title=request.title,
        description=request.description or "No description given.",
        dimensions=request.dimensions,
        product_info=request.product_info,
        location_text=LOCATION_LABELS.get(request.location_type, request.location_type.value),
        address_text=_address_text(request),
        submitted_text=f"Submitted {format_local(request.submitted_at, tz)}",
        estimate_due_text=due_text,
        closes_text=closes_text,
        status_text=status_text,
        overdue=overdue,
        pending=record.pending,
        photos=tuple(
            PhotoThumb(h, photos.get(h), pending=h in pending_hashes)
            for h in customer_photo_hashes(record)
        ),
        estimates=tuple(_estimate_summary(e, tz) for e in estimates),
        visits=tuple(_visit_summary(v) for v in visits),
        can_estimate=can_estimate,
        actions_disabled_reason=closed_reason(request, now),
        estimate_action_text=(
            "Continue your draft estimate" if has_estimate_draft else "Draft an estimate"
        ),
        has_estimate_draft=has_estimate_draft,
    )


class RequestDetailState(Observable):
    """The request detail screen. `load` reads the request, its photos and whether an
    estimate draft exists; repository changes re-read; deadlines tick."""

    TICK_SECONDS: float = 30.0

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        self.request_id = route.param("request_id")
        self.title = "Request"
        self.view: RequestDetailViewState = Loading()
        self._record: RequestRecord | None = None
        self._photos: dict[str, bytes | None] = {}
        self._has_draft = False
        self._watcher = RepoWatcher(self._read)
        self._ticker = Ticker(self._watcher.tasks, self.TICK_SECONDS, self.tick)
        self._disposed = False

    async def load(self) -> None:
        """Read the request and keep the screen current until `dispose`."""
        if self._disposed:
            return
        self._watcher.watch(self._ctx.repo)
        await self._read()
        if not self._disposed:
            self._ticker.start()

    async def _read(self) -> None:
        repo = self._ctx.repo
        record = await repo.request(self.request_id)
        if record is None:
            self._record = None
            if not self._disposed:
                self.view = NotFound()
                self._notify()
            return
        for blob_hash in customer_photo_hashes(record):
            # Read each photo once; a missing one is retried on every change (a sync
            # may have just downloaded it).
            if self._photos.get(blob_hash) is None:
                self._photos[blob_hash] = await read_photo_bytes(repo, blob_hash)
        self._has_draft = await repo.load_draft(estimate_draft_key(self.request_id)) is not None
        if self._disposed:
            return
        self._record = record
        self._rebuild(force=True)

    def tick(self) -> None:
        """Refresh the countdowns (and whether the request still takes estimates)."""
        if not self._disposed and self._record is not None:
            self._rebuild(force=False)

    def _rebuild(self, *, force: bool) -> None:
        assert self._record is not None
        detail = request_detail(
            self._record, self._ctx.clock(), self._photos, has_estimate_draft=self._has_draft
        )
        new = Ready(detail)
        if force or new != self.view:
            self.view = new
            self._notify()

    # ------------------------------------------------------------------ actions

    def _ready(self) -> RequestDetail | None:
        return self.view.detail if isinstance(self.view, Ready) else None

    def open_photo(self, blob_hash: str) -> None:
        """Enlarge a customer photo."""
        self._ctx.nav.open(Route("photo", {"blob_hash": blob_hash}))

    def ask_question(self) -> None:
        """Open the request's message thread (R3: a pro may ask first; R10)."""
        self._ctx.nav.open(Route("thread", {"request_id": self.request_id}))

    def propose_visit(self) -> None:
        """Open the visit proposal form (R4), unless the request is closed (R2)."""
        detail = self._ready()
        if detail is None or not detail.can_estimate:
            self._explain_closed(detail)
            return
        self._ctx.nav.open(Route("visit", {"request_id": self.request_id}))

    def draft_estimate(self) -> None:
        """Open the estimate editor (R3), unless the request is closed (R2)."""
        detail = self._ready()
        if detail is None or not detail.can_estimate:
            self._explain_closed(detail)
            return
        self._ctx.nav.open(Route("estimate", {"request_id": self.request_id}))

    def _explain_closed(self, detail: RequestDetail | None) -> None:
        # The buttons are disabled in this case; this covers a tap racing the tick.
        if detail is not None and detail.actions_disabled_reason:
            self._ctx.nav.notify(detail.actions_disabled_reason)

    def dispose(self) -> None:
        """Stop ticking and listening."""
        self._disposed = True
        self._ticker.stop()
        self._watcher.stop()
