"""Change order screen state (R8): the pro builds it, the customer verifies and signs it.

Step 1 (the pro): a reason, added lines, existing lines to remove, photos; original vs
new price live. "Hand to customer" validates everything first. Step 2 (the customer):
the change in large type, consent text, typed name and signature. Accept renders the
signature, binds it to exactly the content `proapp.domain.signing.change_order_signed_content`
defines for these args and the job's current lines (the server recomputes the same
hash and refuses a mismatch, DESIGN.md section 5), and queues ``change_order.create``.

Step 1 is autosaved as a draft (``change_order:<job_id>``) with the change order id, so
a retry after a crash or a refusal reuses the same id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import ChangeOrderCreateArgs
from proapp.domain.enums import JobStatus, LineItemKind
from proapp.domain.errors import DomainError
from proapp.domain.models import MAX_PHOTOS, Job, LineItem, new_id
from proapp.domain.money import format_cents, parse_money
from proapp.domain.signing import change_order_signed_content
from proapp.state.formatting import line_item_text
from proapp.state.ports import Route, ScreenContext
from proapp.state.screen_support import read_photo_bytes
from proapp.state.signature import SignOffState, SignOffStep

__all__ = [
    "KIND_LABELS",
    "ChangeOrderState",
    "ChangeSummary",
    "ExistingLineRow",
    "LineDraft",
    "Step",
    "draft_key",
    "format_delta",
    "validation_messages",
]

KIND_LABELS: dict[str, str] = {
    LineItemKind.LABOR.value: "Labor",
    LineItemKind.PART.value: "Part",
    LineItemKind.FEE.value: "Fee",
}

_FIELD_NAMES = {"description": "Description", "quantity": "Qty", "price": "Price"}
MAX_QUANTITY = 10_000


def draft_key(job_id: str) -> str:
    """Where step 1 of a job's change order is autosaved."""
    return f"change_order:{job_id}"


def format_delta(cents: int) -> str:
    """A price change with its sign: ``+$40.00``, ``-$12.50``, ``$0.00``."""
    return f"+{format_cents(cents)}" if cents > 0 else format_cents(cents)


def validation_messages(exc: ValidationError) -> list[str]:
    """Pydantic's errors as short sentences (a fallback; fields are checked first)."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in err["loc"]) or "change order"
        out.append(f"{where}: {err['msg']}")
    return out


Step = SignOffStep
"""Which half of the screen shows (the shared signing-screen steps)."""


@dataclass(frozen=True)
class LineDraft:
    """One added line as typed (strings until validated)."""

    line_id: str
    kind: str = LineItemKind.PART.value
    description: str = ""
    quantity: str = "1"
    price: str = ""


@dataclass(frozen=True)
class ExistingLineRow:
    """A line the job has now; ``removed`` when the pro ticked it off."""

    line_id: str
    text: str  # "2 × Valve"
    amount_text: str
    removed: bool


@dataclass(frozen=True)
class ChangeSummary:
    """What the customer sees in large type (and signs)."""

    title: str
    reason: str
    added: tuple[str, ...]  # "+ 2 × Valve  $80.00"
    removed: tuple[str, ...]
    before_text: str
    change_text: str
    after_text: str
    consent_text: str


@dataclass
class _Built:
    added: list[LineItem] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _quantity(text: str) -> int | None:
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= MAX_QUANTITY else None


class ChangeOrderState(SignOffState):
    """State of ``change_order {job_id}`` (see the module docstring)."""

    CHANGED_WHILE_SIGNING = (
        "The job changed while the customer was signing (an update came in). "
        "Check the change order and hand the phone over again."
    )
    FORM_TITLE = "Change order"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx, route, draft_key=draft_key, draft_kind="change_order")
        self.change_order_id = new_id()
        self.reason = ""
        self.lines: list[LineDraft] = []
        self.removed_ids: set[str] = set()
        self.photo_hashes: list[str] = []
        self.photo_previews: dict[str, bytes | None] = {}
        self.errors: dict[str, str] = {}
        self.summary: ChangeSummary | None = None

    # --- loading -------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the job and any saved draft; listen for changes."""
        self._watcher.watch(self._ctx.repo)
        await self._read_job()
        if self.step is Step.LOADING or self.step is Step.EDIT:
            draft = await self._drafts.load()
            if draft is not None:
                self._restore(draft)
            if self.step is Step.LOADING:
                self.step = Step.EDIT
            await self._load_previews()
        self._notify()

    def _not_in_progress(self, job: Job) -> str:
        return _not_in_progress(job)

    def _job_read(self, job: Job) -> None:
        if self.step is Step.UNAVAILABLE:
            self.step = Step.EDIT
        # A line the pro ticked may have disappeared in a sync; it cannot be removed twice.
        current = {line.id for line in job.line_items}
        self.removed_ids &= current

    def _restore(self, draft: Mapping[str, Any]) -> None:
        try:
            self.change_order_id = str(draft.get("change_order_id") or self.change_order_id)
            self.reason = str(draft.get("reason", ""))
            self.lines = [
                LineDraft(
                    line_id=str(item["line_id"]),
                    kind=str(item.get("kind", LineItemKind.PART.value)),
                    description=str(item.get("description", "")),
                    quantity=str(item.get("quantity", "1")),
                    price=str(item.get("price", "")),
                )
                for item in draft.get("lines", [])
            ]
            current = {line.id for line in self.job.line_items} if self.job else set()
            self.removed_ids = {str(i) for i in draft.get("removed_ids", [])} & current
            self.photo_hashes = [str(h) for h in draft.get("photo_hashes", [])][:MAX_PHOTOS]
        except (KeyError, TypeError, AttributeError):
            # A draft from an older app version: start clean rather than fail the screen.
            self.error = "An older unsaved change order could not be restored."

    def _draft_data(self) -> dict[str, Any]:
        return {
            "change_order_id": self.change_order_id,
            "reason": self.reason,
            "lines": [
                {
                    "line_id": d.line_id,
                    "kind": d.kind,
                    "description": d.description,
                    "quantity": d.quantity,
                    "price": d.price,
                }
                for d in self.lines
            ],
            "removed_ids": sorted(self.removed_ids),
            "photo_hashes": list(self.photo_hashes),
        }

    async def _save_draft(self) -> None:
        await self._drafts.save(self._draft_data())

    async def _load_previews(self) -> None:
        for blob_hash in self.photo_hashes:
            if self.photo_previews.get(blob_hash) is None:
                self.photo_previews[blob_hash] = await self._preview(blob_hash)

    async def _preview(self, blob_hash: str) -> bytes | None:
        return await read_photo_bytes(self._ctx.repo, blob_hash)

    # --- display values ------------------------------------------------------------------
    def existing_rows(self) -> list[ExistingLineRow]:
        """The job's current lines with their remove ticks."""
        if self.job is None:
            return []
        return [
            ExistingLineRow(
                line_id=line.id,
                text=line_item_text(line),
                amount_text=format_cents(line.total_cents),
                removed=line.id in self.removed_ids,
            )
            for line in self.job.line_items
        ]

    def line_total_text(self, index: int) -> str:
        """The line's total if its quantity and price are valid, else ""."""
        draft = self.lines[index]
        qty = _quantity(draft.quantity)
        try:
            price = parse_money(draft.price)
        except DomainError:
            return ""
        return "" if qty is None else format_cents(qty * price)

    def _live_delta(self) -> tuple[int, bool]:
        """(delta in cents, whether every added line counted)."""
        if self.job is None:
            return 0, True
        complete = True
        added = 0
        for draft in self.lines:
            qty = _quantity(draft.quantity)
            try:
                price = parse_money(draft.price)
            except DomainError:
                complete = False
                continue
            if qty is None:
                complete = False
                continue
            added += qty * price
        removed = sum(
            line.total_cents for line in self.job.line_items if line.id in self.removed_ids
        )
        return added - removed, complete

    @property
    def original_total_text(self) -> str:
        """The job's price now."""
        return format_cents(self.job.price_cents) if self.job else ""

    @property
    def change_text(self) -> str:
        """The live price change, signed."""
        return format_delta(self._live_delta()[0])

    @property
    def new_total_text(self) -> str:
        """The job's price after this change order."""
        if self.job is None:
            return ""
        return format_cents(self.job.price_cents + self._live_delta()[0])

    @property
    def totals_note(self) -> str:
        """Says when some lines are not counted yet."""
        return (
            ""
            if self._live_delta()[1]
            else "Lines with a missing quantity or price are not counted yet."
        )

    @property
    def totals_label(self) -> str:
        """One sentence for screen readers."""
        return (
            f"Price now {self.original_total_text}. Change {self.change_text}. "
            f"New price {self.new_total_text}."
        )

    # --- step 1 edits (each autosaves) ---------------------------------------------------
    async def set_reason(self, text: str) -> None:
        """The reason the scope or price changes."""
        self.reason = text
        self.errors.pop("reason", None)
        self._notify()
        await self._save_draft()

    async def add_line(self) -> None:
        """Append an empty line (kind Part, quantity 1)."""
        self.lines.append(LineDraft(line_id=new_id()))
        self.errors.pop("lines", None)
        self._notify()
        await self._save_draft()

    async def remove_line(self, index: int) -> None:
        """Drop an added line."""
        if 0 <= index < len(self.lines):
            del self.lines[index]
            self.errors = {k: v for k, v in self.errors.items() if not k.startswith("line-")}
            self._notify()
            await self._save_draft()

    async def set_line_field(self, index: int, name: str, value: str) -> None:
        """Edit one field (``kind``, ``description``, ``quantity`` or ``price``)."""
        if not 0 <= index < len(self.lines) or name not in {
            "kind",
            "description",
            "quantity",
            "price",
        }:
            return
        self.lines[index] = replace(self.lines[index], **{name: value})
        self.errors.pop(f"line-{index}-{name}", None)
        self._notify()
        await self._save_draft()

    async def set_removed(self, line_id: str, removed: bool) -> None:
        """Tick (or untick) an existing job line to remove it."""
        if self.job is None or line_id not in {line.id for line in self.job.line_items}:
            return
        if removed:
            self.removed_ids.add(line_id)
        else:
            self.removed_ids.discard(line_id)
        self.errors.pop("lines", None)
        self._notify()
        await self._save_draft()

    async def add_photos(self, files: Sequence[bytes]) -> None:
        """Keep picked photos (prepared by the repository) and attach them."""
        problems = []
        for data in files:
            if len(self.photo_hashes) >= MAX_PHOTOS:
                problems.append(f"A change order holds at most {MAX_PHOTOS} photos.")
                break
            try:
                blob_hash = await self._ctx.repo.add_photo(data)
            except DomainError as exc:
                problems.append(exc.message)
                continue
            if blob_hash not in self.photo_hashes:
                self.photo_hashes.append(blob_hash)
                self.photo_previews[blob_hash] = await self._preview(blob_hash)
        self.errors.pop("photos", None)
        if problems:
            self.errors["photos"] = " ".join(dict.fromkeys(problems))
        self._notify()
        await self._save_draft()

    async def remove_photo(self, blob_hash: str) -> None:
        """Detach a photo."""
        if blob_hash in self.photo_hashes:
            self.photo_hashes.remove(blob_hash)
            self._notify()
            await self._save_draft()

    # --- validation ----------------------------------------------------------------------
    def _build(self) -> _Built:
        built = _Built()
        if not self.reason.strip():
            built.errors["reason"] = "Say why the work or price changes (the customer reads it)."
        elif len(self.reason.strip()) > 2000:
            built.errors["reason"] = "The reason is too long; keep it under 2,000 characters."
        for index, draft in enumerate(self.lines):
            prefix = f"line-{index}"
            description = draft.description.strip()
            if not description:
                built.errors[f"{prefix}-description"] = "Describe the line, e.g. 'Shut-off valve'."
            elif len(description) > 200:
                built.errors[f"{prefix}-description"] = "Keep the description under 200 characters."
            qty = _quantity(draft.quantity)
            if qty is None:
                built.errors[f"{prefix}-quantity"] = f"Whole number, 1 to {MAX_QUANTITY:,}."
            try:
                price: int | None = parse_money(draft.price)
            except DomainError as exc:
                price = None
                built.errors[f"{prefix}-price"] = (
                    "Type the price, e.g. 45.00." if not draft.price.strip() else exc.message
                )
            if draft.kind not in KIND_LABELS:
                built.errors[f"{prefix}-kind"] = "Choose Labor, Part or Fee."
            if any(k.startswith(prefix + "-") for k in built.errors):
                continue
            assert qty is not None and price is not None
            try:
                built.added.append(
                    LineItem(
                        id=draft.line_id,
                        kind=LineItemKind(draft.kind),
                        description=description,
                        quantity=qty,
                        unit_price_cents=price,
                    )
                )
            except ValidationError as exc:
                built.errors[f"{prefix}-description"] = "; ".join(validation_messages(exc))
        if not self.lines and not self.removed_ids:
            built.errors["lines"] = "Add a line or tick a line to remove; nothing changes yet."
        return built

    def _content(self, job: Job, added: Sequence[LineItem]) -> dict[str, Any]:
        return change_order_signed_content(
            change_order_id=self.change_order_id,
            job_id=job.id,
            reason=self.reason.strip(),
            original_lines=job.line_items,
            added_lines=added,
            removed_line_ids=self.removed_ids,
        )

    def _basis(self) -> tuple[Any, ...] | None:
        if self.job is None:
            return None
        return (self.job.price_cents, tuple(line.model_dump_json() for line in self.job.line_items))

    def _summary(
        self, job: Job, added: Sequence[LineItem], content: Mapping[str, Any]
    ) -> ChangeSummary:
        delta = int(content["delta_cents"])
        before = job.price_cents
        after = before + delta
        removed = [line for line in job.line_items if line.id in self.removed_ids]
        consent = (
            f'I reviewed this change order for "{job.title}" with '
            f"{self._ctx.repo.user.name}. I agree to the work added and removed above and "
            f"to the new job price of {format_cents(after)} (it was {format_cents(before)}). "
            "My card on file is charged through the marketplace only after I sign that the "
            "job is complete; I pay the pro nothing directly."
        )
        return ChangeSummary(
            title=f"Change to: {job.title}",
            reason=self.reason.strip(),
            added=tuple(
                f"Add: {line_item_text(line)}, {format_cents(line.total_cents)}" for line in added
            ),
            removed=tuple(
                f"Remove: {line_item_text(line)}, -{format_cents(line.total_cents)}"
                for line in removed
            ),
            before_text=format_cents(before),
            change_text=format_delta(delta),
            after_text=format_cents(after),
            consent_text=consent,
        )

    # --- hand-over -----------------------------------------------------------------------
    async def hand_to_customer(self) -> bool:
        """Validate step 1; if it is complete, show the customer's signing panel."""
        if self.busy or self.step is not Step.EDIT or self.job is None:
            return False
        built = self._build()
        self.errors = built.errors
        self.error = None
        if not built.errors:
            try:
                content = self._content(self.job, built.added)
            except DomainError as exc:
                self.error = exc.message
            else:
                after = self.job.price_cents + int(content["delta_cents"])
                if after < 0:
                    self.error = "The new price would be below zero. Check the lines you remove."
                else:
                    self.summary = self._summary(self.job, built.added, content)
                    self._start_signing()
        else:
            self.error = "Fix the marked fields, then hand the phone over."
        self._notify()
        return self._signing_now()

    def _back_to_edit(self, message: str | None) -> None:
        super()._back_to_edit(message)
        self.summary = None

    async def _queue(self, job: Job) -> bool:
        built = self._build()
        if built.errors:
            self._back_to_edit("Some fields need fixing before the customer can sign.")
            self.errors = built.errors
            return False
        try:
            content = self._content(job, built.added)
            record = await self._signature(
                content, self.summary.consent_text if self.summary else ""
            )
            args = ChangeOrderCreateArgs(
                change_order_id=self.change_order_id,
                job_id=job.id,
                reason=self.reason.strip(),
                added_lines=built.added,
                removed_line_ids=sorted(self.removed_ids),
                photo_hashes=list(self.photo_hashes),
                signature=record,
            )
            await self._ctx.repo.perform(args)
        except ValidationError as exc:
            self.error = "The change order could not be saved: " + "; ".join(
                validation_messages(exc)
            )
            return False
        except DomainError as exc:
            self.error = exc.message
            return False
        await self._leave(
            f"Change order signed by {record.signer_name}. New price "
            f"{format_cents(job.price_cents + int(content['delta_cents']))}; "
            "it goes to the marketplace as soon as you are online.",
        )
        return True


def _not_in_progress(job: Job) -> str:
    if job.status in (JobStatus.PENDING_SCHEDULE, JobStatus.SCHEDULED):
        return "Start the job first: change orders are made while the work is in progress (R8)."
    if job.status is JobStatus.CANCELLED:
        return "The customer cancelled this job, so there is nothing to change."
    if job.status is JobStatus.COMPLETED:
        return "This job is complete; its price can no longer change."
    return "This job was closed without service, so there is nothing to change."
