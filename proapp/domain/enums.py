"""Closed vocabularies of the domain.

Values follow the public Amazon Selling Partner Services API v1 where that API has the
concept (job and appointment statuses, reschedule reason codes); estimates, visits,
trip charges and change orders are ours. Values are the wire strings: never rename one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AppointmentStatus",
    "ChangeOrderStatus",
    "ComplianceKind",
    "EstimateStatus",
    "JobOrigin",
    "JobStatus",
    "LedgerEntryKind",
    "LineItemKind",
    "LocationType",
    "MessageAuthorRole",
    "PartsSupplier",
    "PhotoTargetKind",
    "RequestStatus",
    "RescheduleReasonCode",
    "Role",
    "VisitStatus",
    "WaiverTerms",
    "PRO_ROLES",
    "STAFF_ROLES",
]


class Role(StrEnum):
    """Who a user is. Staff = dispatcher or owner; customers exist on the server side."""

    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    OWNER = "owner"
    CUSTOMER = "customer"


STAFF_ROLES: frozenset[Role] = frozenset({Role.DISPATCHER, Role.OWNER})
"""Office staff: see and manage everything of their own business."""

PRO_ROLES: frozenset[Role] = frozenset({Role.TECHNICIAN, Role.DISPATCHER, Role.OWNER})
"""Everyone on the pro side; these users always belong to a business."""


class LocationType(StrEnum):
    """Where the service takes place (R12)."""

    IN_HOME = "IN_HOME"
    IN_STORE = "IN_STORE"
    ONLINE = "ONLINE"


class PartsSupplier(StrEnum):
    """Who supplies the parts (R3)."""

    CUSTOMER = "CUSTOMER"
    PRO = "PRO"


class RequestStatus(StrEnum):
    """A custom request. OPEN accepts estimates until `closes_at` (R2)."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"
    BOOKED = "BOOKED"


class EstimateStatus(StrEnum):
    """An estimate's life (R3): drafted by the pro, then the customer decides."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    WITHDRAWN = "WITHDRAWN"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"


class VisitStatus(StrEnum):
    """An on-site visit proposal (R4): only an ACCEPTED visit can be SCHEDULED."""

    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"
    SCHEDULED = "SCHEDULED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class JobStatus(StrEnum):
    """A service job (SP-API vocabulary)."""

    PENDING_SCHEDULE = "PENDING_SCHEDULE"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NOT_SERVICED = "NOT_SERVICED"


class JobOrigin(StrEnum):
    """How a job came to be (R1): a packaged service bought directly, or an estimate."""

    PACKAGED = "PACKAGED"
    ESTIMATE = "ESTIMATE"


class AppointmentStatus(StrEnum):
    """An appointment (SP-API vocabulary)."""

    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


class RescheduleReasonCode(StrEnum):
    """Why an appointment moved (R7: a pro may reschedule with a reason)."""

    APPOINTMENT_REQUESTED_BY_CUSTOMER = "APPOINTMENT_REQUESTED_BY_CUSTOMER"
    TECHNICIAN_ISSUE = "TECHNICIAN_ISSUE"
    WEATHER = "WEATHER"
    PARTS_DELAYED = "PARTS_DELAYED"
    OTHER = "OTHER"


class ChangeOrderStatus(StrEnum):
    """A change order is created already signed in person (R8); it can only be voided."""

    SIGNED = "SIGNED"
    VOID = "VOID"


class LineItemKind(StrEnum):
    """What a line item charges for (R3)."""

    LABOR = "LABOR"
    PART = "PART"
    FEE = "FEE"


class WaiverTerms(StrEnum):
    """What happens to a visit's price if the customer goes ahead (R4)."""

    NONE = "NONE"
    WAIVE_IF_PROCEED = "WAIVE_IF_PROCEED"
    DISCOUNT_IF_PROCEED = "DISCOUNT_IF_PROCEED"


class ComplianceKind(StrEnum):
    """Vetting documents (R13)."""

    LICENSE = "LICENSE"
    INSURANCE = "INSURANCE"
    BACKGROUND_CHECK = "BACKGROUND_CHECK"
    CRIMINAL_BACKGROUND_CHECK = "CRIMINAL_BACKGROUND_CHECK"


class MessageAuthorRole(StrEnum):
    """Which side wrote a message (R10). Pro-side staff and technicians are all "pro"."""

    CUSTOMER = "customer"
    PRO = "pro"
    SUPPORT = "support"


class LedgerEntryKind(StrEnum):
    """Money movements recorded by the marketplace (R9: charged only after signing)."""

    CHARGE = "CHARGE"


class PhotoTargetKind(StrEnum):
    """What a photo can be attached to."""

    JOB = "job"
    REQUEST = "request"
    ESTIMATE = "estimate"
