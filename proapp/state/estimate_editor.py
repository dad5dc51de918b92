"""State of the estimate editor (route ``estimate`` {request_id}).

R3: an estimate has line items (labor, parts, fees) with a quantity and a unit price,
says who supplies the parts, has notes and photos, and stays valid for some days. The
editor keeps every field exactly as typed (strings), checks each one live with a message
that says what to type, shows each line's subtotal and the total as the pro types
(`format_cents`; money is parsed with `parse_money`, never through a float), and
autosaves a draft 0.5 s after the last change. The draft carries the estimate id (made
once), so a submit retried after a refusal or a crash never creates a second estimate.

Submitting queues `EstimateSubmitArgs` through the repository (works offline) and
deletes the draft; a refused submit (closed request, R2; anything the repository
refuses) keeps everything and says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import EstimateSubmitArgs
from proapp.domain.enums import EstimateStatus, LineItemKind, PartsSupplier
from proapp.domain.errors import DomainError
from proapp.domain.models import MAX_PHOTOS, LineItem, new_id
from proapp.domain.money import format_cents, parse_money
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import (
    ESTIMATE_STATUS_LABELS,
    closed_reason,
    estimate_draft_key,
)
from proapp.state.request_form import MISSING_REQUEST, RequestFormState
from proapp.state.screen_support import read_photo_bytes

__all__ = [
    "DEFAULT_VALID_DAYS",
    "DESCRIPTION_MAX",
    "KIND_LABELS",
    "MAX_LINES",
    "NOTES_MAX",
    "QUANTITY_MAX",
    "SUPPLIER_LABELS",
    "EstimateEditorState",
    "LineDraft",
    "LineView",
    "PickedPhoto",
    "check_line",
]

logger = logging.getLogger(__name__)

DEFAULT_VALID_DAYS = 14
"""How long an estimate stays valid unless the pro says otherwise (R3)."""
VALID_DAYS_MIN, VALID_DAYS_MAX = 1, 60
DESCRIPTION_MAX = 200
QUANTITY_MAX = 10_000
NOTES_MAX = 4000
MAX_LINES = 100
# Limits above mirror `EstimateSubmitArgs` / `LineItem`, so the form says what is wrong
# in words before the model would refuse it in its own terms.

KIND_LABELS: dict[LineItemKind, str] = {
    LineItemKind.LABOR: "Labor",
    LineItemKind.PART: "Parts",
    LineItemKind.FEE: "Fee",
}
"""R3 line kinds as the editor names them."""

SUPPLIER_LABELS: dict[PartsSupplier, str] = {
    PartsSupplier.PRO: "I supply the parts",
    PartsSupplier.CUSTOMER: "The customer supplies the parts",
}
"""R3: who supplies the parts."""

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PickedPhoto:
    """A photo the pro picked or took: its bytes, or (desktop pickers) a file path."""

    name: str
    data: bytes | None = None
    path: str | None = None


@dataclass(frozen=True)
class LineDraft:
    """One line as typed. ``line_id`` becomes the `LineItem` id when sent."""

    line_id: str
    kind: LineItemKind = LineItemKind.LABOR
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""


@dataclass(frozen=True)
class LineView:
    """One line ready to show: the typed texts, their errors, its subtotal."""

    position: int  # 1-based, as the screen and its identifiers number lines
    line_id: str
    kind: LineItemKind
    description: str
    quantity: str
    unit_price: str
    description_error: str | None
    quantity_error: str | None
    price_error: str | None
    subtotal_text: str  # "2 × $45.00 = $90.00", or "" until quantity and price parse

    @property
    def has_errors(self) -> bool:
        """True if any field of the line shows an error."""
        return any((self.description_error, self.quantity_error, self.price_error))


def _parse_quantity(text: str, *, required: bool) -> tuple[int | None, str | None]:
    raw = text.strip()
    if not raw:
        return None, ("Type a quantity, e.g. 1." if required else None)
    if not raw.isascii() or not raw.isdigit():
        return None, f"'{raw}' is not a whole number. Type a quantity like 1 or 2."
    value = int(raw)
    if value < 1:
        return None, "The quantity must be at least 1. Remove the line if it is not needed."
    if value > QUANTITY_MAX:
        return None, f"The quantity can be at most {QUANTITY_MAX:,}."
    return value, None


def _parse_price(text: str, *, required: bool) -> tuple[int | None, str | None]:
    raw = text.strip()
    if not raw:
        return None, ("Type the unit price, e.g. 45.00." if required else None)
    try:
        return parse_money(raw), None
    except DomainError as exc:
        return None, exc.message


def check_line(
    line: LineDraft, position: int, *, required: bool
) -> tuple[LineView, LineItem | None]:
    """Validate one typed line: what to show, and the `LineItem` if it is complete.

    With ``required`` False (before the first submit attempt) an empty field is not an
    error yet, but a wrong one (``12.345``, ``1.5`` pieces) is, right away.
    """
    description = line.description.strip()
    description_error = None
    if not description:
        if required:
            description_error = "Describe this line, e.g. 'Replace faucet cartridge'."
    elif len(description) > DESCRIPTION_MAX:
        description_error = (
            f"The description has {len(description)} characters; shorten it to {DESCRIPTION_MAX}."
        )
    quantity, quantity_error = _parse_quantity(line.quantity, required=required)
    price, price_error = _parse_price(line.unit_price, required=required)
    subtotal_text = ""
    if quantity is not None and price is not None:
        subtotal_text = f"{quantity} × {format_cents(price)} = {format_cents(quantity * price)}"
    view = LineView(
        position=position,
        line_id=line.line_id,
        kind=line.kind,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        description_error=description_error,
        quantity_error=quantity_error,
        price_error=price_error,
        subtotal_text=subtotal_text,
    )
    item = None
    if quantity is not None and price is not None and description and not view.has_errors:
        item = LineItem(
            id=line.line_id,
            kind=line.kind,
            description=description,
            quantity=quantity,
            unit_price_cents=price,
        )
    return view, item


async def _read_file(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        # Not the path: it can name the person (a home folder).
        logger.warning("a picked photo could not be read (%s)", type(exc).__name__)
        return None


class EstimateEditorState(RequestFormState):
    """The estimate editor. Setters take what the pro typed (lines by ``line_id``);
    `submit` validates, queues, deletes the draft and goes back with a notice.

    Display values: ``lines`` (`LineView`, in order), ``parts_supplier``, ``notes``,
    ``valid_days``, ``photo_hashes`` with ``photo_data`` (thumbnail bytes or None),
    ``total_text``/``total_note``, the ``*_error`` fields, ``error`` (the form's
    message), ``closed_reason`` (R2), ``existing_text``, ``busy``, ``adding_photo``.
    """

    DRAFT_KIND = "estimate"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__(ctx, route)
        self.title = "Estimate"
        self.estimate_id = new_id()
        self._lines: list[LineDraft] = [LineDraft(new_id())]
        self.parts_supplier = PartsSupplier.PRO
        self.notes = ""
        self.valid_days = str(DEFAULT_VALID_DAYS)
        self.photo_hashes: list[str] = []
        self.photo_data: dict[str, bytes | None] = {}
        self.lines: tuple[LineView, ...] = ()
        self.total_cents = 0
        self.total_text = format_cents(0)
        self.total_note = ""
        self.notes_error: str | None = None
        self.valid_days_error: str | None = None
        self.photos_error: str | None = None
        self.lines_error: str | None = None
        self.existing_text = ""
        self.restored = False  # True when the form came back from a saved draft
        self.adding_photo = False
        self._items: list[LineItem | None] = []
        self._recompute()

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        """Read the request and restore the saved draft, if any."""
        repo = self._ctx.repo
        record = await repo.request(self.request_id)
        if record is None:
            self.closed_reason = MISSING_REQUEST
        else:
            self.request = record.request
            self.request_title = record.request.title
            self.closed_reason = closed_reason(record.request, self._ctx.clock())
            sent = [e for e in record.estimates if e.status is EstimateStatus.SUBMITTED]
            if sent:
                latest = max(sent, key=lambda e: e.submitted_at or _EARLIEST)
                status = ESTIMATE_STATUS_LABELS[latest.status].lower()
                self.existing_text = (
                    f"You already sent an estimate of {format_cents(latest.total_cents)} "
                    f"({status}). Sending this one adds a second estimate."
                )
        draft = await repo.load_draft(estimate_draft_key(self.request_id))
        if draft is not None:
            self._restore(draft)
            self.restored = True
            for blob_hash in self.photo_hashes:
                self.photo_data[blob_hash] = await read_photo_bytes(repo, blob_hash)
        self.loaded = True
        self._recompute()
        self._notify()

    def _restore(self, data: Mapping[str, Any]) -> None:
        # Defensive: a draft written by an older version may lack fields.
        estimate_id = data.get("estimate_id")
        if isinstance(estimate_id, str) and estimate_id:
            self.estimate_id = estimate_id
        lines = []
        raw_lines = data.get("lines")
        for raw in raw_lines if isinstance(raw_lines, list) else []:
            if not isinstance(raw, Mapping):
                continue
            try:
                kind = LineItemKind(str(raw.get("kind", LineItemKind.LABOR.value)))
            except ValueError:
                kind = LineItemKind.LABOR
            lines.append(
                LineDraft(
                    line_id=str(raw.get("id") or new_id()),
                    kind=kind,
                    description=str(raw.get("description", "")),
                    quantity=str(raw.get("quantity", "1")),
                    unit_price=str(raw.get("unit_price", "")),
                )
            )
        self._lines = lines
        try:
            self.parts_supplier = PartsSupplier(str(data.get("parts_supplier", "PRO")))
        except ValueError:
            self.parts_supplier = PartsSupplier.PRO
        self.notes = str(data.get("notes", ""))
        self.valid_days = str(data.get("valid_days", DEFAULT_VALID_DAYS))
        hashes = data.get("photo_hashes")
        self.photo_hashes = [str(h) for h in hashes] if isinstance(hashes, list) else []

    def _draft(self) -> dict[str, Any]:
        return {
            "estimate_id": self.estimate_id,
            "lines": [
                {
                    "id": line.line_id,
                    "kind": line.kind.value,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in self._lines
            ],
            "parts_supplier": self.parts_supplier.value,
            "notes": self.notes,
            "valid_days": self.valid_days,
            "photo_hashes": list(self.photo_hashes),
        }

    def _draft_key(self) -> str:
        return estimate_draft_key(self.request_id)

    # ------------------------------------------------------------------ derived values

    def _recompute(self) -> None:
        views = []
        items: list[LineItem | None] = []
        for position, line in enumerate(self._lines, start=1):
            view, item = check_line(line, position, required=self._tried)
            views.append(view)
            items.append(item)
        self.lines = tuple(views)
        self._items = items
        self.total_cents = sum(item.total_cents for item in items if item is not None)
        self.total_text = format_cents(self.total_cents)
        left_out = sum(1 for item in items if item is None)
        # Said once something counts (or after a submit attempt): on a fresh form it is noise.
        if left_out and (left_out < len(items) or self._tried):
            self.total_note = (
                f"{left_out} line{' is' if left_out == 1 else 's are'} not complete "
                "and not counted yet."
            )
        else:
            self.total_note = ""
        self.lines_error = (
            "Add at least one line: labor, parts or a fee." if self._tried and not views else None
        )
        self.notes_error = (
            f"The notes have {len(self.notes)} characters; shorten them to {NOTES_MAX}."
            if len(self.notes) > NOTES_MAX
            else None
        )
        self.valid_days_error = self._valid_days_problem()

    def _parsed_valid_days(self) -> int | None:
        raw = self.valid_days.strip()
        if not raw.isascii() or not raw.isdigit():
            return None
        value = int(raw)
        return value if VALID_DAYS_MIN <= value <= VALID_DAYS_MAX else None

    def _valid_days_problem(self) -> str | None:
        if not self.valid_days.strip() and not self._tried:
            return None
        if self._parsed_valid_days() is None:
            return (
                f"Type how many days the estimate stays valid: a whole number from "
                f"{VALID_DAYS_MIN} to {VALID_DAYS_MAX}."
            )
        return None

    @property
    def can_submit(self) -> bool:
        """False while sending, or when the request no longer takes estimates (R2)."""
        return self.loaded and not self.busy and not self.closed_reason

    @property
    def can_add_photo(self) -> bool:
        """False at the photo limit or while a photo is being prepared."""
        return not self.adding_photo and len(self.photo_hashes) < MAX_PHOTOS

    def _revalidate(self) -> None:
        self._recompute()

    def _index(self, line_id: str) -> int:
        for index, line in enumerate(self._lines):
            if line.line_id == line_id:
                return index
        raise KeyError(line_id)

    def _update_line(self, line_id: str, **changes: Any) -> None:
        index = self._index(line_id)
        self._lines[index] = replace(self._lines[index], **changes)
        self._edited()

    # ------------------------------------------------------------------ editing

    def add_line(self, kind: LineItemKind = LineItemKind.LABOR) -> str:
        """Add an empty line at the end; returns its ``line_id``."""
        if len(self._lines) >= MAX_LINES:
            self.error = f"An estimate can have at most {MAX_LINES} lines."
            self._notify()
            return ""
        line = LineDraft(new_id(), kind=kind)
        self._lines.append(line)
        self._edited()
        return line.line_id

    def remove_line(self, line_id: str) -> None:
        """Remove a line (the lines after it move up one position)."""
        del self._lines[self._index(line_id)]
        self._edited()

    def set_line_kind(self, line_id: str, kind: LineItemKind | str) -> None:
        """Labor, parts or fee (R3)."""
        self._update_line(line_id, kind=LineItemKind(kind))

    def set_line_description(self, line_id: str, text: str) -> None:
        """What the line is for."""
        self._update_line(line_id, description=text)

    def set_line_quantity(self, line_id: str, text: str) -> None:
        """How many (a whole number), as typed."""
        self._update_line(line_id, quantity=text)

    def set_line_price(self, line_id: str, text: str) -> None:
        """The unit price in dollars, as typed (``45``, ``45.00``, ``1,200``)."""
        self._update_line(line_id, unit_price=text)

    def set_parts_supplier(self, supplier: PartsSupplier | str) -> None:
        """Who supplies the parts (R3)."""
        self.parts_supplier = PartsSupplier(supplier)
        self._edited()

    def set_notes(self, text: str) -> None:
        """Notes for the customer."""
        self.notes = text
        self._edited()

    def set_valid_days(self, text: str) -> None:
        """How many days the estimate stays valid, as typed."""
        self.valid_days = text
        self._edited()

    # ------------------------------------------------------------------ photos

    async def add_photos(self, files: Sequence[PickedPhoto]) -> None:
        """Add picked or captured photos: each is prepared by the repository (resized,
        location stripped) and kept on this phone until it is uploaded. A file that is
        not a usable photo is named in ``photos_error``; the others are still added."""
        if not files:
            return
        self.adding_photo = True
        self.photos_error = None
        self._notify()
        problems: list[str] = []
        added = 0
        try:
            for picked in files:
                name = picked.name or "The photo"
                if len(self.photo_hashes) >= MAX_PHOTOS:
                    problems.append(
                        f"An estimate can have at most {MAX_PHOTOS} photos; {name} was not added."
                    )
                    break
                data = picked.data or await _read_file(picked.path)
                if not data:
                    problems.append(f"{name} could not be read. Pick it again.")
                    continue
                try:
                    blob_hash = await self._ctx.repo.add_photo(data)
                except DomainError as exc:
                    problems.append(f"{name}: {exc.message}")
                    continue
                if blob_hash in self.photo_hashes:
                    problems.append(f"{name} is already on this estimate.")
                    continue
                self.photo_hashes.append(blob_hash)
                self.photo_data[blob_hash] = (
                    await read_photo_bytes(self._ctx.repo, blob_hash) or data
                )
                added += 1
        finally:
            self.adding_photo = False
        self.photos_error = " ".join(problems) or None
        if added:
            self._edited()
        else:
            self._notify()

    def remove_photo(self, blob_hash: str) -> None:
        """Take a photo off the estimate (the file stays on the phone until cleanup)."""
        if blob_hash in self.photo_hashes:
            self.photo_hashes.remove(blob_hash)
            self.photo_data.pop(blob_hash, None)
            self.photos_error = None
            self._edited()

    def open_photo(self, blob_hash: str) -> None:
        """Show a photo full screen."""
        self._ctx.nav.open(Route("photo", {"blob_hash": blob_hash}))

    # ------------------------------------------------------------------ submitting

    def _field_problems(self) -> list[str]:
        problems = []
        for view in self.lines:
            for what, message in (
                ("description", view.description_error),
                ("quantity", view.quantity_error),
                ("unit price", view.price_error),
            ):
                if message:
                    problems.append(f"Line {view.position} {what}: {message}")
        for what, message in (
            ("Valid for", self.valid_days_error),
            ("Notes", self.notes_error),
        ):
            if message:
                problems.append(f"{what}: {message}")
        return problems

    async def submit(self) -> None:
        """Validate and queue the estimate (works offline), delete the draft, go back.
        On any refusal everything typed stays and ``error`` says what to do."""
        if self.busy or self._done:
            return
        self._tried = True
        self._recompute()
        request = self.request
        if request is None:
            self.error = MISSING_REQUEST
            self._notify()
            return
        if self.lines_error:
            self.error = self.lines_error
            self._notify()
            return
        problems = self._field_problems()
        if problems:
            count = len(problems)
            self.error = (
                f"{count} field{' needs' if count == 1 else 's need'} fixing (marked in red). "
                f"{problems[0]}"
            )
            self._notify()
            return
        items = [item for item in self._items if item is not None]
        valid_days = self._parsed_valid_days()
        assert valid_days is not None and len(items) == len(self._lines)  # checked above
        await self._submit(
            request,
            lambda: EstimateSubmitArgs(
                estimate_id=self.estimate_id,
                request_id=self.request_id,
                line_items=items,
                parts_supplier=self.parts_supplier,
                notes=self.notes.strip(),
                photo_hashes=list(self.photo_hashes),
                valid_days=valid_days,
            ),
            "Estimate",
        )

    def _show_validation(self, exc: ValidationError) -> None:
        # The live checks mirror the model's limits; this is the safety net for the rest.
        messages = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = err["loc"]
            text = str(err["msg"]).removeprefix("Value error, ")
            if loc and loc[0] == "photo_hashes":
                self.photos_error = f"Photos: {text}"
            elif loc and loc[0] == "notes":
                self.notes_error = text
            elif len(loc) >= 2 and loc[0] == "line_items" and isinstance(loc[1], int):
                messages.append(f"Line {loc[1] + 1}: {text}")
            else:
                messages.append(text)
        detail = "; ".join(messages) or "check the fields marked in red"
        self.error = f"This estimate cannot be sent yet: {detail}."

    async def discard_draft(self) -> None:
        """Throw the draft away and leave (the pro asked to)."""
        self._done = True
        await self._autosave.cancel()
        await self._ctx.repo.delete_draft(estimate_draft_key(self.request_id))
        self._ctx.nav.back()
        self._ctx.nav.notify("Draft estimate discarded.")
