"""State of the on-site visit proposal form (route ``visit`` {request_id}).

R4: before estimating, a pro may ask for an in-person visit at a stated price. It may be
free, except where the state requires at least a trip charge
(`proapp.domain.rules.minimum_trip_charge_cents`); the price may be waived or
discounted if the customer goes ahead (`WaiverTerms`). The form shows the minimum and
refuses a lower price with a message saying what to type instead.

What the pro types is kept as typed (strings) and autosaved as a draft (debounced), so
leaving the screen, a refused submit or a crash never loses it; the visit id is made
once and kept in the draft, so a retry never creates a second proposal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import VisitProposeArgs
from proapp.domain.enums import WaiverTerms
from proapp.domain.errors import DomainError
from proapp.domain.models import new_id
from proapp.domain.money import format_cents, parse_money
from proapp.domain.rules import (
    minimum_trip_charge_cents,
)
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import VISIT_STATUS_LABELS, closed_reason, visit_draft_key
from proapp.state.request_form import (
    AUTOSAVE_SECONDS,
    MISSING_REQUEST,
    RequestFormState,
    queued_notice,
)

__all__ = [
    "AUTOSAVE_SECONDS",
    "NOTE_MAX",
    "WAIVER_CHOICES",
    "VisitProposalState",
    "queued_notice",
]

logger = logging.getLogger(__name__)

_EARLIEST = datetime.min.replace(tzinfo=UTC)

NOTE_MAX = 2000
"""Longest note `VisitProposeArgs` accepts."""

WAIVER_CHOICES: tuple[tuple[WaiverTerms, str], ...] = (
    (WaiverTerms.NONE, "No waiver: the visit is charged either way"),
    (WaiverTerms.WAIVE_IF_PROCEED, "Free if the customer goes ahead with the work"),
    (WaiverTerms.DISCOUNT_IF_PROCEED, "Discount if the customer goes ahead"),
)
"""R4 waiver terms in the order the form offers them, with their labels."""


class VisitProposalState(RequestFormState):
    """The visit proposal form. Setters take what the pro typed; `submit` validates,
    queues `VisitProposeArgs`, then goes back with a notice.

    Display values: ``price_text``, ``waiver``, ``discount_text``, ``note`` (as typed),
    their ``*_error`` (None when fine), ``error`` (the form's message), ``minimum_text``,
    ``closed_reason``, ``busy``, ``discount_enabled``.
    """

    DRAFT_KIND = "visit"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx, route)
        self.title = "Propose a visit"
        self.visit_id = new_id()
        self.price_text = ""
        self.waiver = WaiverTerms.NONE
        self.discount_text = ""
        self.note = ""
        self.price_error: str | None = None
        self.discount_error: str | None = None
        self.note_error: str | None = None
        self.state_code = ""
        self.minimum_cents = 0
        self.minimum_text = ""
        self.existing_text = ""

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        """Read the request (for the state's minimum trip charge) and any saved draft."""
        record = await self._ctx.repo.request(self.request_id)
        if record is None:
            self.error = MISSING_REQUEST
            self.closed_reason = self.error
            self.loaded = True
            self._notify()
            return
        request = record.request
        self.request = request
        self.request_title = request.title
        # R4: the minimum of the state where the work is (the same rule the repository
        # and the server apply: the request's address, when it has one).
        if request.address is not None:
            self.state_code = request.address.state
        self.minimum_cents = minimum_trip_charge_cents(self.state_code) if self.state_code else 0
        if self.minimum_cents:
            self.minimum_text = (
                f"{self.state_code} requires a trip charge of at least "
                f"{format_cents(self.minimum_cents)} for on-site visits."
            )
        elif self.state_code:
            self.minimum_text = f"No minimum trip charge applies in {self.state_code}."
        else:
            # Without an address the server checks the business's own state (R4).
            self.minimum_text = (
                "This request has no address: the marketplace applies your business's "
                "state minimum trip charge, if there is one."
            )
        if record.visits:
            latest = max(record.visits, key=lambda v: v.proposed_at or _EARLIEST)
            price = "a free visit" if latest.price_cents == 0 else format_cents(latest.price_cents)
            status = VISIT_STATUS_LABELS.get(latest.status, latest.status.value).lower()
            self.existing_text = f"You already proposed {price} for this request ({status})."
        self.closed_reason = closed_reason(request, self._ctx.clock())
        draft = await self._ctx.repo.load_draft(visit_draft_key(self.request_id))
        if draft is not None:
            self._restore(draft)
        self.loaded = True
        self._validate_live()
        self._notify()

    def _restore(self, data: Mapping[str, Any]) -> None:
        visit_id = data.get("visit_id")
        if isinstance(visit_id, str) and visit_id:
            self.visit_id = visit_id
        self.price_text = str(data.get("price", ""))
        try:
            self.waiver = WaiverTerms(str(data.get("waiver", WaiverTerms.NONE.value)))
        except ValueError:
            self.waiver = WaiverTerms.NONE
        self.discount_text = str(data.get("discount", ""))
        self.note = str(data.get("note", ""))

    def _draft(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "price": self.price_text,
            "waiver": self.waiver.value,
            "discount": self.discount_text,
            "note": self.note,
        }

    def _draft_key(self) -> str:
        return visit_draft_key(self.request_id)

    # ------------------------------------------------------------------ editing

    @property
    def discount_enabled(self) -> bool:
        """The discount field only means something with DISCOUNT_IF_PROCEED (R4)."""
        return self.waiver is WaiverTerms.DISCOUNT_IF_PROCEED

    def set_price(self, text: str) -> None:
        """The price as typed (dollars, e.g. ``45`` or ``45.00``)."""
        self.price_text = text
        self._edited()

    def set_waiver(self, value: WaiverTerms | str) -> None:
        """What happens to the price if the customer goes ahead (R4)."""
        self.waiver = WaiverTerms(value)
        self._edited()

    def set_discount(self, text: str) -> None:
        """The discount as typed (only used with DISCOUNT_IF_PROCEED)."""
        self.discount_text = text
        self._edited()

    def set_note(self, text: str) -> None:
        """A note to the customer."""
        self.note = text
        self._edited()

    def _revalidate(self) -> None:
        self._validate_live()

    # ------------------------------------------------------------------ validation

    def _parse_price(self) -> int | None:
        text = self.price_text.strip()
        if not text:
            if self._tried:
                self.price_error = (
                    "Type the visit price, e.g. 45.00 (0 for a free visit where allowed)."
                )
            return None
        try:
            cents = parse_money(text)
        except DomainError as exc:
            self.price_error = exc.message
            return None
        if cents < self.minimum_cents:
            # R4: state minimum trip charge.
            self.price_error = (
                f"{self.state_code} requires at least {format_cents(self.minimum_cents)} "
                f"for a visit. Type {format_cents(self.minimum_cents)} or more."
            )
            return None
        return cents

    def _parse_discount(self, price: int | None) -> int:
        if not self.discount_enabled:
            return 0
        text = self.discount_text.strip()
        if not text:
            if self._tried:
                self.discount_error = (
                    "Type the discount, e.g. 20.00, or pick another waiver option."
                )
            return 0
        try:
            cents = parse_money(text)
        except DomainError as exc:
            self.discount_error = exc.message
            return 0
        if cents == 0 and self._tried:
            self.discount_error = "A discount of $0.00 is no discount. Type an amount above zero."
        elif price is not None and cents > price:
            self.discount_error = (
                f"The discount cannot be more than the visit price ({format_cents(price)})."
            )
        return cents

    def _validate_live(self) -> tuple[int | None, int]:
        self.price_error = None
        self.discount_error = None
        self.note_error = None
        price = self._parse_price()
        discount = self._parse_discount(price)
        if len(self.note) > NOTE_MAX:
            self.note_error = (
                f"The note is {len(self.note)} characters; shorten it to {NOTE_MAX} or fewer."
            )
        return price, discount

    @property
    def has_field_errors(self) -> bool:
        """True if any field shows an error."""
        return any((self.price_error, self.discount_error, self.note_error))

    # ------------------------------------------------------------------ submitting

    async def submit(self) -> None:
        """Validate and queue the proposal; on success go back and say when it is sent.
        On any refusal everything typed stays and ``error`` says what to do."""
        if self.busy or self._done:
            return
        self._tried = True
        price, discount = self._validate_live()
        request = self.request
        if request is None:
            self.error = MISSING_REQUEST
            self._notify()
            return
        if self.has_field_errors or price is None:
            self.error = "Check the fields marked in red, then send again."
            self._notify()
            return
        # R2: a closed request takes no visit proposals either.
        await self._submit(
            request,
            lambda: VisitProposeArgs(
                visit_id=self.visit_id,
                request_id=self.request_id,
                price_cents=price,
                waiver_terms=self.waiver,
                discount_cents=discount,
                note=self.note.strip(),
            ),
            "Visit proposal",
        )

    def _show_validation(self, exc: ValidationError) -> None:
        # The live checks catch nearly everything; this maps what is left to a field.
        messages = []
        for err in exc.errors(include_url=False, include_input=False):
            field = str(err["loc"][0]) if err["loc"] else ""
            text = str(err["msg"]).removeprefix("Value error, ")
            if field == "price_cents":
                self.price_error = text
            elif field == "discount_cents":
                self.discount_error = text
            elif field == "note":
                self.note_error = text
            else:
                messages.append(text)
        self.error = (
            f"This proposal cannot be sent: {'; '.join(messages)}."
            if messages
            else "Check the fields marked in red, then send again."
        )
