"""The pro's repository on this device: local reads, drafts, photos and queued actions.

Implements `proapp.state.ports.ProRepository` over the local store (DESIGN.md section
3: repositories are the only way the UI reads or writes; the store is the UI's single
source of truth). Nothing here touches the network: reads come from `EntityCache` (the
server copy with the pro's unsent changes laid over it), and an action is ONE store
transaction holding the optimistic overlay (`proapp.sync.optimistic`) and its outbox row
(DESIGN.md section 4); the sync engine sends it when it can.

All store work runs on the store's worker thread (`Store.run`), so the event loop keeps
drawing. Subscribers hear about every local action and every sync status change (the
engine publishes one after each round, which is when pulled data lands).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from proapp.api.models import SyncChange
from proapp.domain.commands import CommandArgs, parse_command_args
from proapp.domain.models import (
    Business,
    ChangeOrder,
    CustomRequest,
    Estimate,
    Job,
    Message,
    User,
    VisitProposal,
)
from proapp.sync.blobs import BlobStore
from proapp.sync.engine import SyncEngine
from proapp.sync.optimistic import Effect, plan_command
from proapp.sync.outbox import Outbox, OutboxEntry
from proapp.sync.photos import prepare_photo, render_signature
from proapp.sync.records import ChangesListener, JobRecord, PhotoRecord, RequestRecord
from proapp.sync.repositories import server_entity_from_change
from proapp.sync.status import SyncStatus
from proapp.sync.store import Clock, Drafts, EntityCache, Store, Transaction

__all__ = ["LocalRepository"]

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

_VISIBLE = "COALESCE(overlay_json, json)"
_ROWS_SQL = (
    f"SELECT id, {_VISIBLE}, parent_id, overlay_mid FROM entities "
    f"WHERE kind = ? AND {_VISIBLE} IS NOT NULL ORDER BY list_key, id"
)
_CHILD_ROWS_SQL = (
    f"SELECT id, {_VISIBLE}, parent_id, overlay_mid FROM entities "
    f"WHERE kind = ? AND parent_id = ? AND {_VISIBLE} IS NOT NULL ORDER BY list_key, id"
)
_QUEUE_SQL = (
    "SELECT mid FROM outbox WHERE state IN ('pending', 'in_flight') "
    "OR (state = 'rejected' AND resolution IS NULL) ORDER BY mid"
)

_Row = tuple[str, str, str | None, int | None]  # id, visible json, parent_id, overlay_mid


class _Parsed:
    """One cached entity parsed into its domain model, with its local-change flag."""

    __slots__ = ("model", "parent_id", "pending")

    def __init__(self, model: Any, parent_id: str | None, pending: bool) -> None:
        self.model = model
        self.parent_id = parent_id
        self.pending = pending


class _ModelCache:
    """Parsed models by ``(model, id)``, reused while the cached JSON text is unchanged.

    Screens re-read whole lists after every change; validating 1,000 jobs again each
    time costs tens of milliseconds, comparing their JSON text costs almost nothing.
    Models are frozen, so sharing one instance between reads is safe. Used only on the
    store's single worker thread.
    """

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self._entries: dict[tuple[type[BaseModel], str], tuple[str, BaseModel]] = {}

    def parse(self, model: type[M], row: _Row) -> M | None:
        key = (model, row[0])
        hit = self._entries.get(key)
        if hit is not None and hit[0] == row[1]:
            return hit[1]  # type: ignore[return-value]  # stored under its own model
        try:
            parsed = model.model_validate_json(row[1])
        except ValidationError:
            # A copy this app version cannot read (a newer server's shape, or damage):
            # leave it out of the screen rather than fail the whole list.
            logger.warning("skipping unreadable cached %s %s", model.__name__, row[0])
            return None
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (row[1], parsed)
        return parsed


def _photo(row: _Row) -> PhotoRecord | None:
    try:
        data = json.loads(row[1])
        return PhotoRecord(
            id=str(data["id"]),
            target_kind=str(data["target_kind"]),
            target_id=str(data["target_id"]),
            blob_hash=str(data["blob_hash"]),
            caption=str(data.get("caption") or ""),
            pending=row[3] is not None,
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("skipping unreadable cached photo %s", row[0])
        return None


class LocalRepository:
    """`ProRepository` on the local store (see the module docstring).

    Args:
        store: the signed-in account's store.
        engine: that store's sync engine (told about local changes; its status is
            `sync_status` and is forwarded to subscribers).
        user: who is signed in (author of messages, checked as the signing pro).
        clock: UTC "now" for optimistic effects (default: the store's clock).
        device_id: this install's id for signature records (default: the store's
            client id, stable for the account on this device).
    """

    def __init__(
        self,
        store: Store,
        engine: SyncEngine,
        user: User,
        *,
        clock: Clock | None = None,
        device_id: str | None = None,
    ) -> None:
        self._store = store
        self._engine = engine
        self._user = user
        self._clock: Clock = clock or store.clock
        self._device_id = device_id
        self._cache: EntityCache = store.cache
        self._outbox = Outbox(store)
        self._blobs = BlobStore(store)
        self._drafts = Drafts(store)
        self._listeners: list[ChangesListener] = []
        self._quiet = 0
        self._models = _ModelCache()
        engine.status.subscribe(self._on_status, replay=False)

    def close(self) -> None:
        """Stop forwarding sync status changes (the account is being signed out)."""
        self._engine.status.unsubscribe(self._on_status)
        self._listeners.clear()

    # --- identity ------------------------------------------------------------------------

    @property
    def user(self) -> User:
        """Who is signed in."""
        return self._user

    @property
    def device_id(self) -> str:
        """This install's stable id (recorded in signatures, DESIGN.md section 5)."""
        if self._device_id is None:
            self._device_id = self._store.client_id
        return self._device_id

    # --- reads ---------------------------------------------------------------------------

    def _rows(self, kind: str) -> list[_Row]:
        return list(self._store.connection().execute(_ROWS_SQL, (kind,)).fetchall())

    def _child_rows(self, kind: str, parent_id: str) -> list[_Row]:
        rows = self._store.connection().execute(_CHILD_ROWS_SQL, (kind, parent_id))
        return list(rows.fetchall())

    def _grouped(self, model: type[M], rows: Iterable[_Row]) -> dict[str, list[_Parsed]]:
        groups: dict[str, list[_Parsed]] = defaultdict(list)
        for row in rows:
            parsed = self._models.parse(model, row)
            if parsed is not None and row[2] is not None:
                groups[row[2]].append(_Parsed(parsed, row[2], row[3] is not None))
        return groups

    @staticmethod
    def _photos_by_parent(rows: Iterable[_Row]) -> dict[str, list[PhotoRecord]]:
        groups: dict[str, list[PhotoRecord]] = defaultdict(list)
        for row in rows:
            photo = _photo(row)
            if photo is not None:
                groups[photo.target_id].append(photo)
        return groups

    @staticmethod
    def _request_record(
        request: CustomRequest,
        pending: bool,
        estimates: Sequence[_Parsed],
        visits: Sequence[_Parsed],
        photos: Mapping[str, Sequence[PhotoRecord]],
    ) -> RequestRecord:
        own_photos = [
            *photos.get(request.id, ()),
            *(p for e in estimates for p in photos.get(e.model.id, ())),
        ]
        return RequestRecord(
            request=request,
            estimates=tuple(e.model for e in estimates),
            visits=tuple(v.model for v in visits),
            photos=tuple(own_photos),
            pending=pending
            or any(e.pending for e in estimates)
            or any(v.pending for v in visits)
            or any(p.pending for p in own_photos),
        )

    @staticmethod
    def _job_record(
        job: Job,
        pending: bool,
        orders: Sequence[_Parsed],
        photos: Sequence[PhotoRecord],
    ) -> JobRecord:
        return JobRecord(
            job=job,
            change_orders=tuple(o.model for o in orders),
            photos=tuple(photos),
            pending=pending or any(o.pending for o in orders) or any(p.pending for p in photos),
        )

    def _read_requests(self) -> list[RequestRecord]:
        estimates = self._grouped(Estimate, self._rows("estimate"))
        visits = self._grouped(VisitProposal, self._rows("visit"))
        photos = self._photos_by_parent(self._rows("photo"))
        records: list[RequestRecord] = []
        for row in self._rows("request"):
            request = self._models.parse(CustomRequest, row)
            if request is None:
                continue
            records.append(
                self._request_record(
                    request,
                    row[3] is not None,
                    estimates.get(request.id, ()),
                    visits.get(request.id, ()),
                    photos,
                )
            )
        records.reverse()  # newest submitted first (list_key is submitted_at)
        return records

    def _read_request(self, request_id: str) -> RequestRecord | None:
        cached = self._cache.get("request", request_id)
        if cached is None:
            return None
        row: _Row = (cached.id, cached.json, cached.parent_id, cached.overlay_mid)
        request = self._models.parse(CustomRequest, row)
        if request is None:
            return None
        estimates = self._grouped(Estimate, self._child_rows("estimate", request_id))
        visits = self._grouped(VisitProposal, self._child_rows("visit", request_id))
        photo_rows = list(self._child_rows("photo", request_id))
        for estimate in estimates.get(request_id, ()):
            photo_rows += self._child_rows("photo", estimate.model.id)
        return self._request_record(
            request,
            cached.has_local_changes,
            estimates.get(request_id, ()),
            visits.get(request_id, ()),
            self._photos_by_parent(photo_rows),
        )

    def _read_jobs(self) -> list[JobRecord]:
        orders = self._grouped(ChangeOrder, self._rows("change_order"))
        photos = self._photos_by_parent(self._rows("photo"))
        records: list[JobRecord] = []
        for row in self._rows("job"):
            job = self._models.parse(Job, row)
            if job is None:
                continue
            job_photos = [p for p in photos.get(job.id, ()) if p.target_kind == "job"]
            records.append(
                self._job_record(job, row[3] is not None, orders.get(job.id, ()), job_photos)
            )
        return records

    def _read_job(self, job_id: str) -> JobRecord | None:
        cached = self._cache.get("job", job_id)
        if cached is None:
            return None
        job = self._models.parse(
            Job, (cached.id, cached.json, cached.parent_id, cached.overlay_mid)
        )
        if job is None:
            return None
        orders = self._grouped(ChangeOrder, self._child_rows("change_order", job_id))
        photos = self._photos_by_parent(self._child_rows("photo", job_id))
        job_photos = [p for p in photos.get(job_id, ()) if p.target_kind == "job"]
        return self._job_record(job, cached.has_local_changes, orders.get(job_id, ()), job_photos)

    def _read_messages(self, job_id: str | None, request_id: str | None) -> list[Message]:
        if job_id is not None and request_id is not None:
            raise ValueError("give job_id or request_id, not both")
        parent = job_id or request_id
        rows = self._rows("message") if parent is None else self._child_rows("message", parent)
        messages = [m for m in (self._models.parse(Message, r) for r in rows) if m is not None]
        if job_id is not None:
            messages = [m for m in messages if m.job_id == job_id]
        elif request_id is not None:
            messages = [m for m in messages if m.request_id == request_id]
        messages.sort(key=lambda m: (m.sent_at, m.id))
        return messages

    async def requests(self) -> list[RequestRecord]:
        """Every cached custom request with its estimates, visits and photos, newest
        submitted first."""
        return await self._store.run(self._read_requests)

    async def request(self, request_id: str) -> RequestRecord | None:
        """One request, or None if this device does not have it (any more)."""
        return await self._store.run(self._read_request, request_id)

    async def jobs(self) -> list[JobRecord]:
        """Every cached job with change orders and photos, by arrival window (jobs not
        scheduled yet by when they were ordered)."""
        return await self._store.run(self._read_jobs)

    async def job(self, job_id: str) -> JobRecord | None:
        """One job, or None."""
        return await self._store.run(self._read_job, job_id)

    async def business(self) -> Business | None:
        """The pro's business as last synced (None before the first sync)."""
        return await self._store.run(self._read_business)

    def _read_business(self) -> Business | None:
        business_id = self.user.business_id
        cached = None if business_id is None else self._cache.get("business", business_id)
        if cached is None:
            return None
        return self._models.parse(
            Business, (cached.id, cached.json, cached.parent_id, cached.overlay_mid)
        )

    async def messages(
        self, *, job_id: str | None = None, request_id: str | None = None
    ) -> list[Message]:
        """Messages of one job or request (or all with neither), oldest first."""
        return await self._store.run(self._read_messages, job_id, request_id)

    def _photo_path(self, blob_hash: str) -> Path | None:
        try:
            path = self._blobs.path(blob_hash)
        except ValueError:
            return None
        return path if self._blobs.has(blob_hash) else None

    async def photo_file(self, blob_hash: str) -> Path | None:
        """The local file of a photo or signature, or None if not downloaded yet."""
        return await self._store.run(self._photo_path, blob_hash)

    # --- drafts --------------------------------------------------------------------------

    async def load_draft(self, key: str) -> Mapping[str, Any] | None:
        """A form's saved draft, or None."""
        draft = await self._store.run(self._drafts.load, key)
        if draft is None or not isinstance(draft.data, Mapping):
            return None
        return draft.data

    async def save_draft(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Save a form's draft (JSON-able ``data``) under ``key``."""
        await self._store.run(self._drafts.save, key, kind, dict(data))

    async def delete_draft(self, key: str) -> None:
        """Forget a draft."""
        await self._store.run(self._drafts.delete, key)

    # --- photos and signatures -----------------------------------------------------------

    def _keep_photo(self, data: bytes) -> str:
        prepared = prepare_photo(data)  # upright, resized, metadata stripped (DESIGN 4)
        return self._blobs.put(prepared.data, prepared.media_type)

    async def add_photo(self, data: bytes) -> str:
        """Prepare a photo, keep it on this device, return its hash. Raises DomainError
        ``invalid`` if the bytes are not a usable image."""
        return await self._store.run(self._keep_photo, data)

    def _keep_signature(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> str:
        rendered = render_signature(strokes)
        return self._blobs.put(rendered.data, rendered.media_type)

    async def add_signature(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> str:
        """Render signature strokes to PNG (deterministic), keep it, return its hash."""
        return await self._store.run(self._keep_signature, strokes)

    # --- actions -------------------------------------------------------------------------

    def _lookup(self, kind: str, entity_id: str) -> Mapping[str, Any] | None:
        cached = self._cache.get(kind, entity_id)
        if cached is None:
            return None
        data = cached.data()
        return data if isinstance(data, Mapping) else None

    def _put_effects(self, tx: Transaction, effects: Iterable[Effect], mid: int) -> None:
        for effect in effects:
            # The same sort key and parent as the pulled copy will get.
            row = server_entity_from_change(
                SyncChange(kind=effect.kind, id=effect.id, data=effect.data)
            )
            self._cache.put_overlay(
                tx,
                effect.kind,
                effect.id,
                effect.data,
                mid,
                list_key=row.list_key,
                parent_id=row.parent_id or effect.parent_id,
            )

    def _perform_in(self, tx: Transaction, command: CommandArgs) -> OutboxEntry:
        plan = plan_command(command, self._lookup, now=self._clock(), user=self._user)
        entry = self._outbox.enqueue(
            tx,
            command.command_name,
            command.model_dump(mode="json", round_trip=True),
            plan.base_version,
        )
        self._put_effects(tx, plan.effects, entry.mid)
        return entry

    async def perform(self, command: CommandArgs) -> OutboxEntry:
        """Check ``command`` against what this device knows, apply its optimistic effect
        and queue it, in one transaction; then wake the sync engine.

        Raises:
            DomainError: refused locally (nothing changed), e.g. ``job_cancelled``,
                ``estimate_window_closed``, ``invalid_transition``, ``invalid``.
        """
        entry = await self._store.run_transaction(self._perform_in, command)
        await self._after_local_change()
        return entry

    # --- the outbox ----------------------------------------------------------------------

    def _read_queue(self) -> list[OutboxEntry]:
        mids = [int(r[0]) for r in self._store.connection().execute(_QUEUE_SQL).fetchall()]
        entries = (self._outbox.get(mid) for mid in mids)
        return [e for e in entries if e is not None]

    async def queue(self) -> list[OutboxEntry]:
        """Actions the server has not applied yet, oldest first: pending, sending, and
        refused ones awaiting the pro."""
        return await self._store.run(self._read_queue)

    async def discard(self, mid: int) -> None:
        """Throw away a refused action; its local effect disappears.

        Raises:
            DomainError: ``invalid_transition`` unless the action needs attention,
                ``not_found`` for an unknown ``mid``.
        """
        await self._store.run(self._outbox.discard, mid)
        await self._after_local_change()

    def _resubmit_in(self, tx: Transaction, mid: int, args: Mapping[str, Any]) -> OutboxEntry:
        old = self._outbox.get(mid)
        if old is None or not old.needs_attention:
            # Outbox explains why (not found, or not refused) in the pro's words.
            return self._outbox.resubmit(mid, args, tx=tx)
        command = parse_command_args(old.name, args)
        # The refusal dropped the old overlay; the edited action gets its own, checked
        # against the server copy the pro now sees (and its version as the new base).
        plan = plan_command(command, self._lookup, now=self._clock(), user=self._user)
        new = self._outbox.resubmit(
            mid,
            command.model_dump(mode="json", round_trip=True),
            base_version=plan.base_version,
            tx=tx,
        )
        self._put_effects(tx, plan.effects, new.mid)
        return new

    async def resubmit(self, mid: int, args: Mapping[str, Any]) -> OutboxEntry:
        """Send a refused action again with edited ``args`` (a new queued action that
        replaces it).

        Raises:
            DomainError: ``invalid`` for bad args, a local refusal as in `perform`, or
                ``invalid_transition`` unless the action needs attention.
        """
        entry = await self._store.run_transaction(self._resubmit_in, mid, dict(args))
        await self._after_local_change()
        return entry

    def sync_status(self) -> SyncStatus:
        """The sync engine's current status."""
        return self._engine.status.value

    def sync_now(self) -> None:
        """Ask the engine to sync right away."""
        self._engine.sync_soon()

    # --- change notification -------------------------------------------------------------

    def subscribe(self, listener: ChangesListener) -> Callable[[], None]:
        """Call ``listener`` after every local action, and on every sync status change
        (including the end of each sync round); returns an unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def _after_local_change(self) -> None:
        self._engine.notify_local_change()
        # Refresh the badge counts first (quietly), then tell subscribers once.
        self._quiet += 1
        try:
            await self._engine.refresh_status()
        except Exception:  # the badge is cosmetic; the action itself is committed
            logger.warning("could not refresh the sync status", exc_info=True)
        finally:
            self._quiet -= 1
        self._notify()

    def _on_status(self, _status: SyncStatus) -> None:
        if not self._quiet:
            self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                # One closed screen's listener must not keep the others stale.
                logger.exception("repository listener failed")
