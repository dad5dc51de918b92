"""Args models of the customer commands (server-only: the pro app never sends these).

Same conventions as the pro commands in `proapp.domain.commands`: unknown fields are
refused, models are frozen, ids are UUID strings. Ids of things a command creates
(job, request, message, review) are optional: a REST caller may leave them out and the
server picks one; the Idempotency-Key still makes a retry return the same object.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from proapp.domain import (
    MAX_PHOTOS,
    Address,
    Id,
    LocationType,
    Sha256Hex,
    TimeWindow,
    TimeZoneName,
)

__all__ = [
    "CUSTOMER_COMMAND_NAMES",
    "CustomerArgs",
    "EstimateAcceptArgs",
    "EstimateDeclineArgs",
    "JobCancelArgs",
    "JobRescheduleArgs",
    "MessageCreateArgs",
    "RequestCreateArgs",
    "ReviewCreateArgs",
    "ServiceBuyArgs",
    "VisitDecisionArgs",
    "WindowsChooseArgs",
]

_Note = Annotated[str, Field(max_length=2000)]
# More than 3 passes validation on purpose: the handler refuses with a message that
# names R6 instead of pydantic's generic "list too long".
_Windows = Annotated[list[TimeWindow], Field(max_length=10)]


class CustomerArgs(BaseModel):
    """Base of customer command args: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceBuyArgs(CustomerArgs):
    """Buy a packaged service (R1) at its upfront price; then choose windows (R6)."""

    service_id: Id
    job_id: Id | None = None
    share_phone: StrictBool = False
    location_type: LocationType | None = None
    address: Address | None = None
    time_zone: TimeZoneName | None = None
    notes: _Note = ""


class RequestCreateArgs(CustomerArgs):
    """Send a custom request to one business (R1); estimates are due per R2."""

    business_id: Id
    request_id: Id | None = None
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=4000)] = ""
    dimensions: Annotated[str, Field(max_length=1000)] = ""
    product_info: Annotated[str, Field(max_length=1000)] = ""
    location_type: LocationType = LocationType.IN_HOME
    address: Address | None = None
    time_zone: TimeZoneName | None = None
    site_photo_hashes: Annotated[list[Sha256Hex], Field(max_length=MAX_PHOTOS)] = Field(
        default_factory=list
    )
    share_phone: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> RequestCreateArgs:
        if not self.title.strip():
            raise ValueError("the title is empty")
        # R12: in-home work happens at an address; in-store and online work need none.
        if self.location_type is LocationType.IN_HOME and self.address is None:
            raise ValueError("an in-home request needs an address")
        if len(set(self.site_photo_hashes)) != len(self.site_photo_hashes):
            raise ValueError("site photos must not repeat")
        return self


class WindowsChooseArgs(CustomerArgs):
    """Pick the preferred arrival windows of a job (R6: exactly 3)."""

    job_id: Id
    windows: _Windows


class VisitDecisionArgs(CustomerArgs):
    """Accept or decline an on-site visit proposal, in advance (R4, R5)."""

    visit_id: Id


class EstimateAcceptArgs(CustomerArgs):
    """Book the pro of an estimate: creates the job (origin ESTIMATE)."""

    estimate_id: Id
    job_id: Id | None = None
    share_phone: StrictBool = False


class EstimateDeclineArgs(CustomerArgs):
    """Decline an estimate (R3: no obligation)."""

    estimate_id: Id


class JobRescheduleArgs(CustomerArgs):
    """Give 3 new preferred windows, up to 24 h before the window (R6, R7)."""

    job_id: Id
    windows: _Windows
    reason: _Note = ""


class JobCancelArgs(CustomerArgs):
    """Cancel a job, up to 24 h before the window (R7)."""

    job_id: Id
    reason: _Note = ""


class MessageCreateArgs(CustomerArgs):
    """Message the pro about one job or one request (R10)."""

    message_id: Id | None = None
    job_id: Id | None = None
    request_id: Id | None = None
    body: Annotated[str, Field(min_length=1, max_length=4000)]

    @model_validator(mode="after")
    def _check(self) -> MessageCreateArgs:
        if (self.job_id is None) == (self.request_id is None):
            raise ValueError("give exactly one of job_id or request_id")
        if not self.body.strip():
            raise ValueError("the message is empty")
        return self


class ReviewCreateArgs(CustomerArgs):
    """Rate a completed job within 90 days of the order (R11)."""

    job_id: Id
    review_id: Id | None = None
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=4000)] = ""


CUSTOMER_COMMAND_NAMES: Final[dict[str, type[CustomerArgs]]] = {
    "customer.service.buy": ServiceBuyArgs,
    "customer.request.create": RequestCreateArgs,
    "customer.windows.choose": WindowsChooseArgs,
    "customer.visit.accept": VisitDecisionArgs,
    "customer.visit.decline": VisitDecisionArgs,
    "customer.estimate.accept": EstimateAcceptArgs,
    "customer.estimate.decline": EstimateDeclineArgs,
    "customer.appointment.reschedule": JobRescheduleArgs,
    "customer.job.cancel": JobCancelArgs,
    "customer.message.send": MessageCreateArgs,
    "customer.review.create": ReviewCreateArgs,
}
"""Every customer command and its args model."""
