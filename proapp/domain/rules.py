"""Business rules R1..R13 (DESIGN.md section 2) as pure functions.

Functions named ``is_*`` / ``can_*`` answer a question and never raise for valid
input. Functions named ``ensure_*`` enforce a rule: they return nothing (or the thing
they checked) and raise `DomainError` with a stable code when the rule is broken. The
server calls the ``ensure_*`` functions inside its command handlers; the client calls
the same functions to decide what to offer, so both sides agree.

All datetimes are aware; deadlines are returned in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from proapp.domain.calendar import add_business_days
from proapp.domain.enums import (
    ComplianceKind,
    JobStatus,
    LocationType,
    RequestStatus,
    VisitStatus,
    WaiverTerms,
)
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import (
    ComplianceDocument,
    CustomRequest,
    Job,
    LineItem,
    PreferredWindow,
    TimeWindow,
    VisitProposal,
    lines_total,
)
from proapp.domain.money import format_cents

__all__ = [
    "PREFERRED_WINDOW_COUNT",
    "ensure_preferred_windows",
    "COMPLIANCE_WARNING_DAYS",
    "ESTIMATE_ANSWER_BUSINESS_DAYS",
    "ESTIMATE_WINDOW_BUSINESS_DAYS",
    "FREE_CANCEL_NOTICE",
    "MESSAGE_REPLY_BUSINESS_DAYS",
    "MINIMUM_TRIP_CHARGE_CENTS",
    "REVIEW_WINDOW",
    "WINDOW_CONFIRMATION_BUSINESS_DAYS",
    "ComplianceStanding",
    "can_customer_reschedule_or_cancel",
    "can_review",
    "change_order_totals",
    "compliance_standing",
    "ensure_can_review",
    "ensure_customer_can_reschedule_or_cancel",
    "ensure_estimate_window_open",
    "ensure_job_not_cancelled",
    "ensure_trip_charge_accepted",
    "ensure_visit_accepted",
    "ensure_visit_price_allowed",
    "ensure_window_offered",
    "estimate_due_at",
    "estimate_valid_until",
    "estimate_window_closes_at",
    "format_local",
    "free_cancel_cutoff",
    "is_compliance_expiring",
    "is_estimate_overdue",
    "is_estimate_window_open",
    "is_overdue",
    "is_trip_charge_billable",
    "is_window_confirmation_overdue",
    "message_reply_due_at",
    "minimum_trip_charge_cents",
    "required_compliance_kinds",
    "travels_to_homes",
    "review_window_closes_at",
    "visit_charge_cents",
    "window_confirmation_due_at",
]

ESTIMATE_ANSWER_BUSINESS_DAYS: Final = 1
"""R2: pros should answer a custom request within 1 business day."""
ESTIMATE_WINDOW_BUSINESS_DAYS: Final = 3
"""R2: estimates are accepted until 3 business days after submission."""
WINDOW_CONFIRMATION_BUSINESS_DAYS: Final = 1
"""R6: confirm an arrival window within 1 business day of the order."""
FREE_CANCEL_NOTICE: Final = timedelta(hours=24)
"""R7: the customer may reschedule or cancel up to 24 h before the window."""
REVIEW_WINDOW: Final = timedelta(days=90)
"""R11: customers may review within 90 days of the order."""
MESSAGE_REPLY_BUSINESS_DAYS: Final = 2
"""R10: pros answer messages within 2 business days."""
COMPLIANCE_WARNING_DAYS: Final = 30
"""R13: office staff are warned this many days before a document expires."""

MINIMUM_TRIP_CHARGE_CENTS: Mapping[str, int] = MappingProxyType(
    {
        "MA": 3_500,
        "NJ": 4_500,
        "NY": 4_500,
        "WA": 2_500,
    }
)
"""R4: minimum trip charge for an on-site visit, by state.

CONFIGURATION DATA, NOT LAW: illustrative values the marketplace operator maintains
(the seed FAQ only says "in some states, service pros are required to charge at least
a trip charge"). States not listed have no minimum (0). Change the table, not the code.
"""


# --------------------------------------------------------------------------- helpers


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive datetime: rules need aware datetimes")


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """True once ``now`` is strictly after ``due_at``."""
    _require_aware(due_at, now)
    return now > due_at


def format_local(moment: datetime, tz: str) -> str:
    """A deadline for people, in the local zone: ``"Mon Nov 30, 10:00 AM PST"``."""
    _require_aware(moment)
    local = moment.astimezone(ZoneInfo(tz))
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p} {local.tzname()}"


# --------------------------------------------------------------------------- R2, R3


def estimate_due_at(submitted_at: datetime, tz: str) -> datetime:
    """R2: when a pro's answer to a custom request is due (1 business day, local ``tz``)."""
    return add_business_days(submitted_at, ESTIMATE_ANSWER_BUSINESS_DAYS, tz)


def estimate_window_closes_at(submitted_at: datetime, tz: str) -> datetime:
    """R2: when the request stops accepting estimates (3 business days, local ``tz``)."""
    return add_business_days(submitted_at, ESTIMATE_WINDOW_BUSINESS_DAYS, tz)


def is_estimate_window_open(request: CustomRequest, now: datetime) -> bool:
    """R2: the request is OPEN and ``now`` is before ``closes_at``."""
    _require_aware(now)
    return request.status is RequestStatus.OPEN and now < request.closes_at


def ensure_estimate_window_open(request: CustomRequest, now: datetime) -> None:
    """R2: refuse an estimate (or visit proposal) for a request that no longer takes them.

    Raises:
        DomainError: ``estimate_window_closed``.
    """
    if is_estimate_window_open(request, now):
        return
    if request.status is RequestStatus.BOOKED:
        why = "The customer already booked a pro for this request"
    else:
        why = (
            "This request stopped taking estimates on "
            f"{format_local(request.closes_at, request.time_zone)}"
        )
    raise DomainError(
        ErrorCode.ESTIMATE_WINDOW_CLOSED,
        f"{why}. Your draft is kept; you can still message the customer.",
        {
            "request_id": request.id,
            "closes_at": request.closes_at.isoformat(),
            "status": request.status.value,
        },
    )


def is_estimate_overdue(request: CustomRequest, now: datetime, *, answered: bool) -> bool:
    """R2: an open request this business has not answered after ``estimate_due_at``."""
    return (
        not answered
        and request.status is RequestStatus.OPEN
        and is_overdue(request.estimate_due_at, now)
    )


def estimate_valid_until(submitted_at: datetime, valid_days: int) -> datetime:
    """R3: an estimate's offer stays valid ``valid_days`` calendar days after sending."""
    _require_aware(submitted_at)
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    return submitted_at.astimezone(UTC) + timedelta(days=valid_days)


# --------------------------------------------------------------------------- R4, R5


def minimum_trip_charge_cents(state_code: str) -> int:
    """R4: the configured minimum trip charge for a state (0 when none is configured)."""
    return MINIMUM_TRIP_CHARGE_CENTS.get(state_code.strip().upper(), 0)


def ensure_visit_price_allowed(price_cents: int, state_code: str) -> None:
    """R4: a visit may be free, except where a minimum trip charge applies.

    Raises:
        DomainError: ``invalid``, saying the minimum.
    """
    minimum = minimum_trip_charge_cents(state_code)
    if price_cents < minimum:
        raise DomainError(
            ErrorCode.INVALID,
            f"Visits in {state_code.upper()} must cost at least {format_cents(minimum)} "
            f"(trip charge). Raise the price to {format_cents(minimum)} or more.",
            {"minimum_trip_charge_cents": minimum, "price_cents": price_cents},
        )


def ensure_visit_accepted(visit: VisitProposal) -> None:
    """R4: only a visit the customer accepted can be scheduled.

    Raises:
        DomainError: ``visit_not_accepted``.
    """
    if visit.status is VisitStatus.ACCEPTED and visit.accepted_at is not None:
        return
    raise DomainError(
        ErrorCode.VISIT_NOT_ACCEPTED,
        f"The customer has not accepted this visit (it is {visit.status.value}). "
        "Wait for them to accept it before scheduling.",
        {"visit_id": visit.id, "status": visit.status.value},
    )


def is_trip_charge_billable(visit_accepted_before_trip: bool, product_defective: bool) -> bool:
    """R5: bill a trip charge only if accepted before the trip and the product was not
    defective (a defective product means the pro could not work, and no charge)."""
    return visit_accepted_before_trip and not product_defective


def ensure_trip_charge_accepted(visit: VisitProposal, trip_started_at: datetime) -> None:
    """R5: no surprise trip charges; acceptance must come before the trip.

    Raises:
        DomainError: ``trip_charge_not_accepted``.
    """
    _require_aware(trip_started_at)
    if visit.accepted_at is not None and visit.accepted_at <= trip_started_at:
        return
    raise DomainError(
        ErrorCode.TRIP_CHARGE_NOT_ACCEPTED,
        "The customer did not accept this trip charge before the trip, so it cannot be "
        "billed. Do not charge for this visit.",
        {"visit_id": visit.id},
    )


def visit_charge_cents(visit: VisitProposal, *, customer_proceeded: bool) -> int:
    """R4: what the visit costs, after waiver or discount if the customer went ahead."""
    if not customer_proceeded or visit.waiver_terms is WaiverTerms.NONE:
        return visit.price_cents
    if visit.waiver_terms is WaiverTerms.WAIVE_IF_PROCEED:
        return 0
    return max(visit.price_cents - visit.discount_cents, 0)


# --------------------------------------------------------------------------- R6, R7


def window_confirmation_due_at(ordered_at: datetime, tz: str) -> datetime:
    """R6: the pro confirms an arrival window within 1 business day of the order."""
    return add_business_days(ordered_at, WINDOW_CONFIRMATION_BUSINESS_DAYS, tz)


def is_window_confirmation_overdue(job: Job, now: datetime) -> bool:
    """R6: still waiting for a window after ``window_confirmation_due_at``."""
    return job.status is JobStatus.PENDING_SCHEDULE and is_overdue(
        job.window_confirmation_due_at, now
    )


PREFERRED_WINDOW_COUNT: Final = 3
"""R6: after buying or booking, the customer picks exactly 3 preferred arrival windows."""


def ensure_preferred_windows(windows: Sequence[TimeWindow], now: datetime) -> None:
    """R6: exactly 3 distinct preferred arrival windows, all starting after ``now``.

    Raises:
        DomainError: ``invalid``, with a message naming what to change.
    """
    _require_aware(now)
    if len(windows) != PREFERRED_WINDOW_COUNT:
        raise DomainError(
            ErrorCode.INVALID,
            f"Pick exactly {PREFERRED_WINDOW_COUNT} preferred arrival windows "
            f"(you picked {len(windows)}). The pro confirms one of them.",
            {"required": PREFERRED_WINDOW_COUNT, "given": len(windows)},
        )
    if len({(w.start, w.end) for w in windows}) != len(windows):
        raise DomainError(
            ErrorCode.INVALID,
            "Two of your arrival windows are the same. Pick 3 different windows.",
            {},
        )
    if any(w.start <= now for w in windows):
        raise DomainError(
            ErrorCode.INVALID,
            "An arrival window starts in the past. Pick windows that are still ahead.",
            {"now": now.isoformat()},
        )


def ensure_window_offered(job: Job, preferred_window_id: str) -> PreferredWindow:
    """R6: a pro can confirm only a window the customer offered.

    Returns:
        The offered window.

    Raises:
        DomainError: ``window_not_offered``.
    """
    window = job.preferred_window(preferred_window_id)
    if window is None:
        raise DomainError(
            ErrorCode.WINDOW_NOT_OFFERED,
            "The customer did not offer this arrival window. Pick one of their windows, "
            "or propose another window.",
            {"job_id": job.id, "preferred_window_id": preferred_window_id},
        )
    return window


def ensure_job_not_cancelled(job: Job) -> None:
    """Refuse work on a cancelled job (the customer may have cancelled while offline).

    Raises:
        DomainError: ``job_cancelled``.
    """
    if job.status is JobStatus.CANCELLED:
        raise DomainError(
            ErrorCode.JOB_CANCELLED,
            f"The job '{job.title}' was cancelled. Nothing more can be done on it; "
            "your changes are kept in Needs attention.",
            {"job_id": job.id},
        )


def free_cancel_cutoff(window_start: datetime) -> datetime:
    """R7: the last moment the customer may reschedule or cancel without support."""
    _require_aware(window_start)
    return window_start.astimezone(UTC) - FREE_CANCEL_NOTICE


def can_customer_reschedule_or_cancel(window_start: datetime, now: datetime) -> bool:
    """R7: True up to and including exactly 24 h before the window starts."""
    _require_aware(now)
    return now <= free_cancel_cutoff(window_start)


def ensure_customer_can_reschedule_or_cancel(window_start: datetime, now: datetime) -> None:
    """R7: later than 24 h before the window, only support can change it.

    Raises:
        DomainError: ``cancel_cutoff_passed``.
    """
    if can_customer_reschedule_or_cancel(window_start, now):
        return
    raise DomainError(
        ErrorCode.CANCEL_CUTOFF_PASSED,
        "The appointment starts in less than 24 hours, so it can no longer be changed "
        "here. Contact customer support; a fee may apply.",
        {"cutoff": free_cancel_cutoff(window_start).isoformat()},
    )


# --------------------------------------------------------------------------- R8


def change_order_totals(
    original_lines: Sequence[LineItem],
    added_lines: Sequence[LineItem],
    removed_line_ids: Iterable[str],
) -> tuple[int, int, int]:
    """R8: ``(original_total, new_total, delta)`` in cents for a change order.

    Raises:
        DomainError: ``invalid`` if a removed id is not one of the original lines, or
            an added line reuses an existing line id.
    """
    original_ids = {line.id for line in original_lines}
    removed = set(removed_line_ids)
    unknown = sorted(removed - original_ids)
    if unknown:
        raise DomainError(
            ErrorCode.INVALID,
            "The change order removes a line the job does not have. Refresh the job and "
            "build the change order again.",
            {"unknown_line_ids": unknown},
        )
    reused = sorted(original_ids & {line.id for line in added_lines})
    if reused:
        raise DomainError(
            ErrorCode.INVALID,
            "A new line reuses the id of an existing line. Add it as a new line.",
            {"line_ids": reused},
        )
    original_total = lines_total(list(original_lines))
    kept = [line for line in original_lines if line.id not in removed]
    new_total = lines_total(kept) + lines_total(list(added_lines))
    return original_total, new_total, new_total - original_total


# --------------------------------------------------------------------------- R10, R11


def message_reply_due_at(received_at: datetime, tz: str) -> datetime:
    """R10: pros answer a customer's message within 2 business days."""
    return add_business_days(received_at, MESSAGE_REPLY_BUSINESS_DAYS, tz)


def review_window_closes_at(ordered_at: datetime) -> datetime:
    """R11: reviews are accepted until 90 days (exactly) after the order."""
    _require_aware(ordered_at)
    return ordered_at.astimezone(UTC) + REVIEW_WINDOW


def can_review(ordered_at: datetime, now: datetime) -> bool:
    """R11: True until (and including) the moment the review window closes."""
    _require_aware(now)
    return now <= review_window_closes_at(ordered_at)


def ensure_can_review(ordered_at: datetime, now: datetime) -> None:
    """R11.

    Raises:
        DomainError: ``review_window_closed``.
    """
    if not can_review(ordered_at, now):
        raise DomainError(
            ErrorCode.REVIEW_WINDOW_CLOSED,
            "Reviews can be left up to 90 days after the order, and that time has passed.",
            {"closed_at": review_window_closes_at(ordered_at).isoformat()},
        )


# --------------------------------------------------------------------------- R13


class ComplianceStanding(StrEnum):
    """How a vetting document stands today (R13)."""

    OK = "OK"
    EXPIRING_SOON = "EXPIRING_SOON"
    EXPIRED = "EXPIRED"
    UNVERIFIED = "UNVERIFIED"


def is_compliance_expiring(
    document: ComplianceDocument, today: date, within_days: int = COMPLIANCE_WARNING_DAYS
) -> bool:
    """R13: the document expires within ``within_days`` days (not yet expired)."""
    if document.expires_on is None:
        return False
    return today <= document.expires_on <= today + timedelta(days=within_days)


def compliance_standing(document: ComplianceDocument, today: date) -> ComplianceStanding:
    """R13: what office staff should see for a document. A document is valid through
    its ``expires_on`` date and expired the day after."""
    if document.expires_on is not None and document.expires_on < today:
        return ComplianceStanding.EXPIRED
    if not document.verified:
        return ComplianceStanding.UNVERIFIED
    if is_compliance_expiring(document, today):
        return ComplianceStanding.EXPIRING_SOON
    return ComplianceStanding.OK


def required_compliance_kinds(
    travels_to_homes: bool, license_required: bool = False
) -> frozenset[ComplianceKind]:
    """R13: background check and insurance always; a licence where applicable; a
    criminal background check for pros who travel to homes."""
    kinds = {ComplianceKind.BACKGROUND_CHECK, ComplianceKind.INSURANCE}
    if license_required:
        kinds.add(ComplianceKind.LICENSE)
    if travels_to_homes:
        kinds.add(ComplianceKind.CRIMINAL_BACKGROUND_CHECK)
    return frozenset(kinds)


def travels_to_homes(location_type: LocationType) -> bool:
    """R12/R13: in-home work means the pro travels to the customer's home."""
    return location_type is LocationType.IN_HOME
