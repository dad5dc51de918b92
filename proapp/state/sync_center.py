"""The sync center (tab ``sync``): what is waiting, what is moving, what the server refused.

Everything here is read from the repository: the engine's `SyncStatus` (online, pending,
oldest age, last sync, uploads) and the outbox (`ProRepository.queue`). Each queued
action is described in plain words ("Estimate for Fix a leaking faucet"), and a refused
one ("needs attention", DESIGN.md section 4: nothing the pro entered is silently
dropped) shows the server's reason and everything the pro entered.

Edit & resubmit is a generic form over the text and number fields of the action's
args (money fields as dollars). Actions carrying a customer's signature (change order,
completion; R8, R9) are not editable here: the signature binds exactly what was signed
(DESIGN.md section 5), so such an action can only be sent again unchanged or discarded.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from proapp.domain.errors import DomainError
from proapp.domain.money import format_cents, parse_money
from proapp.state.formatting import format_clock
from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.state.screen_support import RepoWatcher
from proapp.sync.connectivity import Connectivity
from proapp.sync.outbox import MutationState, OutboxEntry
from proapp.sync.status import BlobProgress, SyncPhase, SyncStatus

__all__ = [
    "AttentionItem",
    "EditField",
    "EditForm",
    "QueueItem",
    "SyncCenterState",
    "UploadRow",
    "describe_age",
    "describe_ago",
    "readable_args",
]

logger = logging.getLogger(__name__)

_TEMPLATES: dict[str, str] = {
    "estimate.submit": "Estimate for {request}",
    "estimate.withdraw": "Withdraw an estimate",
    "visit.propose": "On-site visit offer for {request}",
    "window.confirm": "Confirm the arrival window of {job}",
    "window.propose": "Propose another window for {job}",
    "appointment.reschedule": "Reschedule {job}",
    "job.assign": "Assign technicians to {job}",
    "job.start": "Start job {job}",
    "change_order.create": "Change order for {job}",
    "job.complete": "Complete job {job}",
    "job.report_defective": "Could not perform {job} (product defective)",
    "message.send": "Message about {subject}",
    "photo.attach": "Photo for {subject}",
}

# Args never shown or edited: identities and references the pro did not type.
_HIDDEN_KEYS = frozenset(
    {"strokes", "png_sha256", "content_sha256", "pro_user_id", "device_id", "consent_text"}
)
_LABELS: dict[str, str] = {
    "body": "Message",
    "note": "Note",
    "notes": "Notes",
    "summary": "Work summary",
    "reason": "Reason",
    "reason_code": "Reason",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price_cents": "Unit price",
    "price_cents": "Price",
    "discount_cents": "Discount",
    "parts_supplier": "Parts supplied by",
    "waiver_terms": "Waiver terms",
    "valid_days": "Valid for (days)",
    "kind": "Kind",
    "caption": "Caption",
    "signer_name": "Signed by",
    "window": "Window",
    "line_items": "Line",
    "added_lines": "Added line",
}
_MULTILINE = frozenset({"body", "note", "notes", "summary", "reason", "description"})


def describe_age(age: timedelta | None) -> str:
    """``"just now"``, ``"5 min"``, ``"2 h 10 min"``, ``"3 days"``."""
    if age is None:
        return "—"
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = hours // 24
    return f"{days} day{'s' if days != 1 else ''}"


def describe_ago(age: timedelta | None) -> str:
    """``"just now"``, ``"5 min ago"``, ``"3 days ago"``."""
    text = describe_age(age)
    return text if text in ("just now", "—") else f"{text} ago"


def _is_reference(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "_ids", "_hash", "_hashes"))


def _label(path: Sequence[str | int]) -> str:
    words: list[str] = []
    for part in path:
        if isinstance(part, int):
            if words:
                words[-1] = f"{words[-1]} {part + 1}"
            continue
        if part == "signature":
            continue
        words.append(_LABELS.get(part, part.replace("_", " ").capitalize()))
    text = " · ".join(words) if words else "Value"
    return text[0].upper() + text[1:]


def _value_text(key: str, value: Any) -> str:
    if key.endswith("_cents") and isinstance(value, int) and not isinstance(value, bool):
        return format_cents(value)
    if isinstance(value, str) and value.isupper() and " " not in value:
        return value.replace("_", " ").capitalize()  # an enum such as PRO or IN_HOME
    return str(value)


def _window_text(window: Mapping[str, Any]) -> str:
    try:
        start = datetime.fromisoformat(str(window["start"]))
        end = datetime.fromisoformat(str(window["end"]))
    except (KeyError, ValueError):
        return str(dict(window))
    return f"{start:%a %b} {start.day}, {format_clock(start)} – {format_clock(end)} UTC"


def readable_args(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the pro entered, as (label, text) rows: money as dollars, line items on
    one row each, photos counted, ids and signature internals left out."""
    rows: list[tuple[str, str]] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        if key in _HIDDEN_KEYS:
            return
        if key in {"photo_hashes"}:
            if value:
                rows.append(("Photos", f"{len(value)} attached"))
            return
        if _is_reference(key):
            return
        if key == "window" and isinstance(value, Mapping):
            rows.append((_label(path), _window_text(value)))
            return
        if key in {"line_items", "added_lines"} and isinstance(value, list):
            for i, line in enumerate(value):
                if isinstance(line, Mapping):
                    qty = line.get("quantity", 1)
                    price = line.get("unit_price_cents", 0)
                    text = f"{qty} × {line.get('description', '')} at {format_cents(int(price))}"
                    rows.append((_label((*path, i)), text))
            return
        if isinstance(value, Mapping):
            for sub_key, sub in value.items():
                walk(sub, (*path, str(sub_key)))
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
            return
        if value is None or value == "":
            return
        rows.append((_label(path), _value_text(key, value)))

    walk(dict(args), ())
    return rows


@dataclass
class EditField:
    """One editable value of a refused action. ``kind``: "text", "multiline", "money"
    (typed as dollars, stored as cents) or "int"."""

    path: tuple[str | int, ...]
    label: str
    kind: str
    text: str
    error: str | None = None

    @property
    def key(self) -> str:
        """A stable name for the field (used in semantics ids)."""
        return "-".join(str(p) for p in self.path).replace("_", "-")


@dataclass
class EditForm:
    """The Edit & resubmit form of one refused action."""

    mid: int
    title: str
    fields: list[EditField]
    error: str | None = None
    busy: bool = False


def editable_fields(args: Mapping[str, Any]) -> list[EditField]:
    """The text and number leaves of ``args`` the pro typed (not ids, enums, times)."""
    found: list[EditField] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        if key in _HIDDEN_KEYS or _is_reference(key) or key in {"window", "signature"}:
            return
        if isinstance(value, Mapping):
            for sub_key, sub in value.items():
                walk(sub, (*path, str(sub_key)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
        elif isinstance(value, bool):
            return
        elif isinstance(value, int):
            if key.endswith("_cents"):
                found.append(EditField(path, _label(path), "money", _money_text(value)))
            else:
                found.append(EditField(path, _label(path), "int", str(value)))
        elif isinstance(value, str):
            if value.isupper() and " " not in value:
                return  # an enum value: not free text
            kind = "multiline" if key in _MULTILINE else "text"
            found.append(EditField(path, _label(path), kind, value))

    walk(dict(args), ())
    return found


def _money_text(cents: int) -> str:
    # Integer maths only: no float ever touches a price (house rule).
    return f"{cents // 100}.{cents % 100:02d}"


def _set_path(target: Any, path: Sequence[str | int], value: Any) -> None:
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def is_signed(args: Mapping[str, Any]) -> bool:
    """True when the action carries a customer's signature (R8, R9)."""
    return isinstance(args.get("signature"), Mapping)


@dataclass(frozen=True)
class UploadRow:
    """One photo of a queued action on its way up."""

    blob_hash: str
    text: str  # "Queued", "Uploading 40%", "Uploaded"
    fraction: float | None  # None: not started (an indeterminate-free empty bar)
    done: bool


@dataclass(frozen=True)
class QueueItem:
    """One action waiting to reach the server."""

    mid: int
    title: str
    state_text: str
    detail: str
    uploads: tuple[UploadRow, ...] = ()


@dataclass(frozen=True)
class AttentionItem:
    """One action the server refused, with its reason and everything the pro entered."""

    mid: int
    title: str
    reason: str
    entered: tuple[tuple[str, str], ...]
    signed: bool
    when: str


@dataclass
class _Confirm:
    mid: int
    title: str


@dataclass
class _Snapshot:
    queue: list[QueueItem] = field(default_factory=list)
    attention: list[AttentionItem] = field(default_factory=list)


class SyncCenterState(Observable):
    """The sync center screen (see the module docstring).

    Display values: `status_text`, `pending_text`, `last_sync_text`, `error_text`,
    ``queue`` (`QueueItem`), ``attention`` (`AttentionItem`), ``loading``; the discard
    confirmation (`confirming`), and the edit form (`editing`).
    """

    title = "Sync"

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        del route  # a tab: no parameters
        self._ctx = ctx
        self._repo = ctx.repo
        self.status: SyncStatus = ctx.repo.sync_status()
        self.loading = True
        self.queue: list[QueueItem] = []
        self.attention: list[AttentionItem] = []
        self.confirming: _Confirm | None = None
        self.editing: EditForm | None = None
        self.busy = False
        self._entries: dict[int, OutboxEntry] = {}
        self._watcher = RepoWatcher(self._reload_queue)
        self._unsubscribe: Callable[[], None] | None = ctx.repo.subscribe(self._changed)

    # ------------------------------------------------------------------ display

    @property
    def online(self) -> bool:
        """True unless the app knows it cannot reach the server."""
        return self.status.connectivity is not Connectivity.OFFLINE

    @property
    def status_text(self) -> str:
        """One line: online/offline and what sync is doing."""
        status = self.status
        if status.signed_out:
            return "Signed out - sign in again to send your changes"
        if status.connectivity is Connectivity.OFFLINE:
            return "Offline - your changes are saved on this phone and will sync"
        phase = {
            SyncPhase.UPLOADING: "Online - uploading photos…",
            SyncPhase.PUSHING: "Online - sending your changes…",
            SyncPhase.PULLING: "Online - getting updates…",
            SyncPhase.WAITING_RETRY: "Online - will try again shortly",
        }.get(status.phase)
        if phase:
            return phase
        if status.connectivity is Connectivity.UNKNOWN:
            return "Connecting…"
        return "Online"

    @property
    def pending_text(self) -> str:
        """How much waits, and for how long."""
        status = self.status
        if status.pending == 0:
            return "Everything is sent."
        what = f"{status.pending} change{'s' if status.pending != 1 else ''} waiting to send"
        if status.oldest_pending_age is not None:
            what += f"; the oldest for {describe_age(status.oldest_pending_age)}"
        return what + "."

    @property
    def last_sync_text(self) -> str:
        """When the last sync went through, in plain words."""
        last = self.status.last_success_at
        if last is None:
            return "Not synced yet on this phone."
        return f"Last synced {describe_ago(self._ctx.clock() - last)}."

    @property
    def error_text(self) -> str | None:
        """The last problem, in the engine's plain words (None when fine)."""
        return self.status.last_error

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        """Read the status and the queue."""
        self.status = self._repo.sync_status()
        entries = await self._repo.queue()
        snapshot = _Snapshot()
        self._entries = {e.mid: e for e in entries}
        titles = _TitleCache(self._ctx)
        uploads = {u.hash: u for u in self.status.uploads}
        for entry in entries:
            title = await titles.describe(entry)
            if entry.needs_attention:
                rejection = entry.rejection
                snapshot.attention.append(
                    AttentionItem(
                        mid=entry.mid,
                        title=title,
                        reason=rejection.message if rejection else (entry.last_error or ""),
                        entered=tuple(readable_args(entry.args)),
                        signed=is_signed(entry.args),
                        when=f"Refused {describe_ago(self._ctx.clock() - entry.updated_at)}",
                    )
                )
            elif entry.state in (MutationState.PENDING, MutationState.IN_FLIGHT):
                snapshot.queue.append(self._queue_item(entry, title, uploads))
        self.queue, self.attention = snapshot.queue, snapshot.attention
        if self.editing is not None and self.editing.mid not in self._entries:
            self.editing = None
        self.loading = False
        self._notify()

    def _queue_item(
        self, entry: OutboxEntry, title: str, uploads: Mapping[str, BlobProgress]
    ) -> QueueItem:
        rows: list[UploadRow] = []
        for blob in entry.blob_hashes:
            progress = uploads.get(blob)
            if progress is None:
                rows.append(UploadRow(blob, "Photo queued", None, False))
            elif progress.sent >= progress.size:
                rows.append(UploadRow(blob, "Photo uploaded", 1.0, True))
            else:
                percent = progress.sent * 100 // max(progress.size, 1)
                rows.append(
                    UploadRow(blob, f"Uploading photo {percent}%", progress.fraction, False)
                )
        uploading = any(u.fraction is not None and not u.done for u in rows)
        if entry.state is MutationState.IN_FLIGHT:
            state = "Sending…"
        elif uploading:
            state = "Waiting for photos to upload"
        elif self.status.connectivity is Connectivity.OFFLINE:
            state = "Waiting for a connection"
        else:
            state = "Waiting to send"
        detail = f"Saved {describe_ago(self._ctx.clock() - entry.created_at)}"
        if entry.attempts and entry.last_error:
            detail += f" · tried {entry.attempts}×: {entry.last_error}"
        return QueueItem(entry.mid, title, state, detail, tuple(rows))

    def dispose(self) -> None:
        """Stop listening to the repository."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._watcher.stop()

    def _changed(self) -> None:
        self.status = self._repo.sync_status()
        self._notify()  # status lines redraw at once; the queue re-reads below
        self._watcher.changed()

    async def _reload_queue(self) -> None:
        try:
            await self.load()
        except Exception:
            logger.exception("sync center could not re-read the queue")

    # ------------------------------------------------------------------ actions

    def sync_now(self) -> None:
        """The "Sync now" button."""
        self._repo.sync_now()
        self._ctx.nav.notify("Syncing now…")

    def ask_discard(self, mid: int) -> None:
        """Discard was tapped: ask to confirm."""
        item = next((a for a in self.attention if a.mid == mid), None)
        if item is not None:
            self.confirming = _Confirm(mid, item.title)
            self._notify()

    def cancel_discard(self) -> None:
        """Keep the action."""
        self.confirming = None
        self._notify()

    async def confirm_discard(self) -> None:
        """Throw the refused action away (its local effect disappears)."""
        confirm, self.confirming = self.confirming, None
        if confirm is None:
            return
        try:
            await self._repo.discard(confirm.mid)
        except DomainError as exc:
            self._ctx.nav.notify(exc.message)
        else:
            self._ctx.nav.notify(f"Discarded: {confirm.title}")
        await self.load()

    def start_edit(self, mid: int) -> None:
        """Open the Edit & resubmit form for a refused action."""
        entry = self._entries.get(mid)
        item = next((a for a in self.attention if a.mid == mid), None)
        if entry is None or item is None:
            return
        fields = [] if item.signed else editable_fields(entry.args)
        self.editing = EditForm(mid=mid, title=item.title, fields=fields)
        self._notify()

    def set_field(self, key: str, text: str) -> None:
        """The pro typed in the edit form. Listeners hear only when a message went
        away (so the form is not rebuilt under the cursor on every key)."""
        if self.editing is None:
            return
        cleared = self.editing.error is not None
        for edit in self.editing.fields:
            if edit.key == key:
                edit.text = text
                cleared = cleared or edit.error is not None
                edit.error = None
        self.editing.error = None
        if cleared:
            self._notify()

    def cancel_edit(self) -> None:
        """Close the form without sending (nothing typed there is kept)."""
        self.editing = None
        self._notify()

    async def resubmit(self) -> bool:
        """Send the edited action again. Per-field messages on bad input; what was
        typed stays in the form whatever goes wrong. True when queued."""
        form = self.editing
        if form is None or form.busy:
            return False
        entry = self._entries.get(form.mid)
        if entry is None:
            self.editing = None
            self._notify()
            return False
        args = copy.deepcopy(entry.args)
        ok = True
        for edit in form.fields:
            try:
                _set_path(args, edit.path, _parse(edit))
            except DomainError as exc:
                edit.error = exc.message
                ok = False
        if not ok:
            form.error = "Correct the marked fields, then send again."
            self._notify()
            return False
        form.busy = True
        self._notify()
        try:
            await self._repo.resubmit(form.mid, args)
        except DomainError as exc:
            form.busy = False
            form.error = exc.message
            self._notify()
            return False
        self.editing = None
        self._ctx.nav.notify(f"Sent again: {form.title}")
        await self.load()
        return True


def _parse(edit: EditField) -> Any:
    text = edit.text.strip()
    if edit.kind == "money":
        return parse_money(text)
    if edit.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise DomainError("invalid", f"{edit.label}: type a whole number.") from None
    return edit.text if edit.kind == "multiline" else text


class _TitleCache:
    """Looks up request and job titles once per load."""

    def __init__(self, ctx: ScreenContext) -> None:
        self._ctx = ctx
        self._requests: dict[str, str] = {}
        self._jobs: dict[str, str] = {}

    async def request(self, request_id: str | None) -> str:
        if not request_id:
            return "a request"
        if request_id not in self._requests:
            record = await self._ctx.repo.request(request_id)
            self._requests[request_id] = (
                f"“{record.request.title}”" if record is not None else "a request"
            )
        return self._requests[request_id]

    async def job(self, job_id: str | None) -> str:
        if not job_id:
            return "a job"
        if job_id not in self._jobs:
            record = await self._ctx.repo.job(job_id)
            self._jobs[job_id] = f"“{record.job.title}”" if record is not None else "a job"
        return self._jobs[job_id]

    async def describe(self, entry: OutboxEntry) -> str:
        args = entry.args
        template = _TEMPLATES.get(entry.name)
        if template is None:
            return entry.name.replace(".", " ").replace("_", " ").capitalize()
        request = await self.request(args.get("request_id"))
        job = await self.job(args.get("job_id"))
        subject = job if args.get("job_id") else request
        if entry.name == "photo.attach":
            kind, target = args.get("target_kind"), args.get("target_id")
            kind_text = str(kind).lower() if kind else ""
            if kind_text == "job":
                subject = await self.job(target)
            elif kind_text == "request":
                subject = await self.request(target)
            else:
                subject = f"an {kind_text}" if kind_text.startswith(("a", "e")) else "a record"
        return template.format(request=request, job=job, subject=subject)
