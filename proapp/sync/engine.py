"""The sync engine: uploads blobs, pushes the outbox, pulls changes into the cache.

Runs on the app's asyncio loop (no Flet); every store access goes through `Store.run`,
so the UI's event loop never waits on disk. One engine per account and process (Flet
web tabs share it, DESIGN §3). The wire contract is docs/SYNC.md.

One round (`SyncEngine.sync_once`)
    1. **Blobs.** Photos and signatures that unsent mutations reference go up first,
       small ones with one ``PUT``, larger ones resumably in 256 KiB chunks (the upload
       URL and confirmed offset are stored after every chunk; after any interruption the
       engine asks the server with ``HEAD`` and continues there, so a cut costs at most
       one chunk). The local file stays until the server confirmed the hash. A blob the
       server refuses for good (not an image, too large) or that is damaged on the
       device is "given up": its mutation is still pushed, so the server rejects it with
       a reason the pro sees, instead of one bad photo wedging the queue.
    2. **Push.** The sendable head of the outbox, up to 100 mutations in ``mid`` order,
       marked in flight. ``applied`` → `Outbox.mark_applied`; ``rejected`` →
       `Outbox.mark_rejected` (needs attention) and its overlay dropped; an
       ``out_of_order`` stop from a server that lost this install's record
       (``expected_mid: 1``) is answered by resending with ``resume_from``. A lost
       answer is harmless: the same ``mid`` and ``id`` go again and the server replays.
    3. **Pull.** Pages until ``has_more`` is false; each page is stored in ONE local
       transaction with the cursor and the rebase step below, and with the hashes of
       the images it references that this device lacks (`proapp.sync.downloads`).
    4. **Downloads.** Up to ``download_batch`` of those images (customer site photos,
       photo attachments, signature PNGs) are fetched so they show offline, and kept as
       blobs the server already has. A failed download is tried again in a later
       round (after a short pause per image); it never fails the round or holds up
       push and pull.

Rebase semantics (how local changes and server data combine)
    The cache row of an entity holds the server copy and, on top, at most one
    optimistic overlay tagged with the ``mid`` of the mutation that wrote it; the UI
    sees the overlay while there is one.

    * Pulled server data replaces the server copy underneath; overlays stay on top.
    * A pull page carries the server's ``last_mid`` for this install, read in the same
      snapshot as the page. In the page's transaction the engine drops every overlay
      whose mutation the server has answered (``mid <= last_mid``, no longer pending or
      in flight): the pulled copy already contains its effect. Overlays of mutations not
      yet answered stay, i.e. pending work is re-applied on top of the pulled state.
    * A rejected mutation's overlay is dropped when the rejection is recorded (the
      entity falls back to the server copy), while the mutation itself, with
      everything the pro entered and the server's code, message and details, stays in
      the outbox as "needs attention" until the pro discards or resubmits it. Nothing
      is silently dropped.
    * If several queued mutations edit one entity, its overlay belongs to the latest;
      it stays until that one is answered.

Failures
    Network errors, 5xx (``503`` with ``Retry-After``), 429 and protocol surprises
    reschedule the in-flight mutations (same ``mid`` and ``id`` later) with exponential
    backoff and full jitter (`proapp.sync.backoff.Backoff`); ``Retry-After`` is a floor.
    A 401 that the API client could not cure by refreshing means "signed out": the
    outbox is kept intact and sync resumes after the pro signs in again.

The loop (`SyncEngine.run_forever`) runs a round at start, shortly after
`SyncEngine.notify_local_change` (debounced), when connectivity returns, and on a timer
(30 s; the backoff delay while failing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from proapp.api.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationFailedError,
)
from proapp.api.models import PullResponse, PushMutation, PushResponse, SyncChange
from proapp.api.ports import SyncApi
from proapp.sync.backoff import Backoff
from proapp.sync.blobs import BlobInfo, BlobStore
from proapp.sync.connectivity import (
    Connectivity,
    ConnectivityMonitor,
    RequestConnectivityMonitor,
)
from proapp.sync.downloads import (
    mark_wanted,
    scan_cache_for_wanted,
    store_downloaded,
    wanted_blobs,
)
from proapp.sync.outbox import Outbox, OutboxEntry
from proapp.sync.repositories import server_entity_from_change
from proapp.sync.session import PendingWorkSummary, pending_work_summary
from proapp.sync.status import BlobProgress, SyncPhase, SyncStatus, SyncStatusObservable
from proapp.sync.store import (
    Clock,
    ServerEntity,
    Store,
    StoreError,
    Transaction,
    from_ms,
    to_ms,
)

__all__ = [
    "CHUNK_SIZE",
    "DEBOUNCE_S",
    "DEFAULT_INTERVAL_S",
    "DOWNLOAD_BATCH",
    "META_CURSOR",
    "META_LAST_SUCCESS",
    "META_SERVER_LAST_MID",
    "PULL_LIMIT",
    "PUSH_BATCH",
    "Sleep",
    "SyncEngine",
    "SyncProtocolError",
    "SyncReport",
]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
"""``asyncio.sleep``-like; injected so tests drive time."""

DEFAULT_INTERVAL_S = 30.0
"""Seconds between rounds when all is well (catch up with changes made elsewhere)."""
DEBOUNCE_S = 0.3
"""Wait after a local change, so a burst of taps goes out as one push."""
PUSH_BATCH = 100
"""Most mutations per push (docs/SYNC.md)."""
PULL_LIMIT = 500
"""Changes asked for per pull page (the server's default; it allows up to 1,000)."""
CHUNK_SIZE = 256 * 1024
"""Bytes per resumable-upload chunk; also the largest blob sent with one ``PUT``."""
MAX_PULL_PAGES = 10_000
"""Pages per round at most; a longer catch-up continues next round from the cursor."""
MAX_PUSH_ROUNDS = 1_000
"""Push requests per round at most (a guard against a server that never progresses)."""
COUNTS_REFRESH_S = 0.5
"""While a long queue drains, the pending count shown is re-read at most this often (it
is always re-read at the end of the round): a person cannot follow faster updates, and
with thousands queued each re-read costs more than sending a batch locally does."""
DOWNLOAD_BATCH = 20
"""Images downloaded per round at most (the rest follow in later rounds)."""
DOWNLOAD_RETRY_S = 300.0
"""After a failed download, wait at least this long before trying that image again."""

META_CURSOR = "sync.cursor"
META_LAST_SUCCESS = "sync.last_success_ms"
META_SERVER_LAST_MID = "sync.server_last_mid"
META_BLOB_GIVEN_UP = "sync.blob_given_up:"

_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_SIGNED_OUT = (
    "You are signed out, so changes are waiting on this device. Sign in again to send them."
)


class SyncProtocolError(ServerError):
    """The server's answers do not let sync make progress (e.g. its record of this
    device is behind what the device knows). Retried with backoff like a 5xx."""

    default_code = "sync_protocol"
    default_message = (
        "The server and this device disagree about what was sent. Your changes are kept "
        "on this device; if this message stays, contact support."
    )


@dataclass(slots=True)
class SyncReport:
    """What one `SyncEngine.sync_once` round did (for logs, the CLI and tests)."""

    ok: bool = True
    blobs_uploaded: int = 0
    blobs_given_up: int = 0
    applied: int = 0
    rejected: int = 0
    pushes: int = 0
    pulled: int = 0
    pages: int = 0
    blobs_downloaded: int = 0
    downloads_failed: int = 0
    signed_out: bool = False
    error: str | None = None
    error_code: str | None = None
    retry_at: datetime | None = None
    notes: list[str] = field(default_factory=list)


def _permanent_blob_error(exc: Exception) -> bool:
    """A blob upload failure that retrying cannot fix."""
    if isinstance(exc, StoreError):  # the local file is missing or damaged
        return True
    if isinstance(exc, ValidationFailedError | PermissionDeniedError):
        return True
    return isinstance(exc, ApiError) and exc.status in {413, 415}


class SyncEngine:
    """Keeps one account's store and the marketplace in step (see the module docstring).

    Args:
        store: the account's store (one per process and account).
        api: the marketplace client (`proapp.api.MarketplaceClient`); it refreshes the
            access token by itself, once per 401.
        outbox, blobs: views on ``store`` (default: new ones).
        connectivity: told about every request outcome; its "online again" restarts sync.
        clock: UTC "now" (default: the store's clock).
        sleep: awaited for every wait (default `asyncio.sleep`).
        rng: randomness for backoff jitter (seed it for reproducible runs).
        entity_mapper: pulled change → cache row (default: `server_entity_from_change`).
        download_batch: images downloaded per round at most (0 turns downloads off).
    """

    def __init__(
        self,
        store: Store,
        api: SyncApi,
        *,
        outbox: Outbox | None = None,
        blobs: BlobStore | None = None,
        connectivity: ConnectivityMonitor | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        debounce_s: float = DEBOUNCE_S,
        push_batch: int = PUSH_BATCH,
        pull_limit: int = PULL_LIMIT,
        chunk_size: int = CHUNK_SIZE,
        entity_mapper: Callable[[SyncChange], ServerEntity] = server_entity_from_change,
        download_batch: int = DOWNLOAD_BATCH,
    ) -> None:
        if not 1 <= push_batch <= PUSH_BATCH:
            raise ValueError(f"push_batch must be 1..{PUSH_BATCH}")
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self._store = store
        self._api = api
        self._outbox = outbox or Outbox(store)
        self._blobs = blobs or BlobStore(store)
        self.connectivity: ConnectivityMonitor = connectivity or RequestConnectivityMonitor()
        self._clock: Clock = clock or store.clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._backoff = backoff or Backoff()
        self._interval_s = interval_s
        self._debounce_s = debounce_s
        self._push_batch = push_batch
        self._pull_limit = pull_limit
        self._chunk_size = chunk_size
        self._entity_mapper = entity_mapper
        self._download_batch = max(0, download_batch)
        self._download_not_before: dict[str, datetime] = {}  # failed downloads back off
        self._scanned_for_downloads = False
        self.status = SyncStatusObservable(SyncStatus(connectivity=self.connectivity.state))
        self.connectivity.subscribe(self._on_connectivity)
        self._client_id: str | None = None
        self._recovered = False
        self._given_up: dict[str, str] | None = None
        self._in_flight: list[int] = []
        self._failures = 0
        self._next_attempt_at: datetime | None = None
        self._server_floor: datetime | None = None  # Retry-After: never earlier
        self._uploads: dict[str, BlobProgress] = {}
        self._syncing = False
        # Loop machinery, bound to the loop that runs run_forever.
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._reasons: set[str] = set()
        self._stopping = False

    # ------------------------------------------------------------------ public

    @property
    def api(self) -> SyncApi:
        """The marketplace client the engine talks through."""
        return self._api

    def set_api(self, api: SyncApi) -> None:
        """Use another client (the pro signed in again); wakes the loop."""
        self._api = api
        self.notify_signed_in()

    async def pending_work_summary(self) -> PendingWorkSummary:
        """What would be lost by wiping this account now (see `proapp.sync.session`)."""
        return await self._store.run(pending_work_summary, self._store)

    async def refresh_status(self) -> SyncStatus:
        """Re-read the outbox counts into `status` (e.g. after a local change)."""
        await self._refresh_counts()
        return self.status.value

    async def sync_once(self, *, force: bool = False) -> SyncReport:
        """One round: blobs, push, pull. Never raises for network or server trouble;
        the outcome is in the returned report and in `status`.

        ``force`` ignores the per-mutation retry times (the pro asked to sync now, or
        connectivity just returned). One round runs at a time.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._syncing = True
            try:
                return await self._round(force)
            finally:
                self._syncing = False

    async def run_forever(self) -> None:
        """Sync now, then again on every trigger, until `stop` is called.

        Triggers: `notify_local_change` (debounced), connectivity turning online,
        `notify_signed_in`, `sync_soon`, and the timer (``interval_s``; the backoff delay
        while failing; nothing while signed out).
        """
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._stopping = False
        try:
            while not self._stopping:
                await self.sync_once(force=True)
                if self._stopping:
                    break
                await self._wait_for_trigger()
        finally:
            self.status.update(phase=SyncPhase.STOPPED)
            self._loop = None
            self._wake = None

    def close(self) -> None:
        """Detach from the connectivity monitor (it may outlive this engine)."""
        self.stop()
        self.connectivity.unsubscribe(self._on_connectivity)

    def stop(self) -> None:
        """Ask `run_forever` to return after the current step (thread-safe)."""
        self._stopping = True
        self._signal("stop")

    def notify_local_change(self) -> None:
        """The pro queued something: sync shortly (bursts coalesce; thread-safe)."""
        self._signal("local")

    def notify_signed_in(self) -> None:
        """A session is available again: resume at once (thread-safe)."""
        self._signal("signed_in")

    def sync_soon(self) -> None:
        """The pro asked to sync now ("pull to refresh"); honours a server's
        ``Retry-After`` but not the backoff (thread-safe)."""
        self._signal("manual")

    # ------------------------------------------------------------------ loop

    def _signal(self, reason: str) -> None:
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._add_reason(reason)
        else:
            loop.call_soon_threadsafe(self._add_reason, reason)

    def _add_reason(self, reason: str) -> None:
        self._reasons.add(reason)
        if self._wake is not None:
            self._wake.set()

    def _on_connectivity(self, state: Connectivity) -> None:
        self.status.update(connectivity=state)
        # Our own successful request flips it too; only an outside signal should wake us.
        if state is Connectivity.ONLINE and not self._syncing:
            self._signal("online")

    async def _wait(self, timeout_s: float | None) -> set[str]:
        """Wait until a trigger or ``timeout_s``; returns the reasons ({"timer"} on time)."""
        wake = self._wake
        if wake is None:  # pragma: no cover - only inside run_forever
            return {"stop"}
        if not self._reasons:
            wake.clear()
            waiter: asyncio.Future[Any] = asyncio.ensure_future(wake.wait())
            tasks: set[asyncio.Future[Any]] = {waiter}
            sleeper: asyncio.Future[Any] | None = None
            if timeout_s is not None:
                sleeper = asyncio.ensure_future(self._sleep(max(0.0, timeout_s)))
                tasks.add(sleeper)
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    if not task.done():
                        task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if not self._reasons and sleeper is not None and sleeper.done():
                return {"timer"}
        reasons, self._reasons = self._reasons, set()
        wake.clear()
        return reasons

    async def _wait_for_trigger(self) -> None:
        while not self._stopping:
            now = self._clock()
            signed_out = self.status.value.signed_out
            deadline: datetime | None
            if signed_out:
                deadline = None
            elif self._next_attempt_at is not None:
                deadline = self._next_attempt_at
            else:
                deadline = now + timedelta(seconds=self._interval_s)
            timeout = None if deadline is None else (deadline - now).total_seconds()
            reasons = await self._wait(timeout)
            if "stop" in reasons or self._stopping:
                return
            now = self._clock()
            if "timer" in reasons:
                return
            if signed_out and not reasons & {"signed_in", "manual"}:
                continue
            floor = self._server_floor
            if floor is not None and now < floor:
                continue  # the server asked us to wait (Retry-After): nothing overrides it
            if reasons & {"online", "signed_in", "manual"}:
                return
            if "local" in reasons and self._next_attempt_at is None:
                # Debounce: let a burst of taps land, then send them together.
                await self._sleep(self._debounce_s)
                self._reasons.discard("local")
                return
            # A local change while backing off: the backoff timer decides.

    # ------------------------------------------------------------------ one round

    async def _db(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._store.run(fn, *args, **kwargs)

    async def _round(self, force: bool) -> SyncReport:
        report = SyncReport()
        if not self._recovered:
            # Rows a crash left in flight are pending again (the server replays by mid).
            await self._db(self._outbox.reset_in_flight)
            self._recovered = True
        if self._client_id is None:
            self._client_id = self._store.client_id
        if self._given_up is None:
            self._given_up = await self._db(self._load_given_up)
        if self._api.session is None:
            report.ok = False
            report.signed_out = True
            report.error = _SIGNED_OUT
            report.error_code = "unauthorized"
            self.status.update(signed_out=True, phase=SyncPhase.SIGNED_OUT, last_error=_SIGNED_OUT)
            await self._refresh_counts()
            return report
        started = self._clock()
        self.status.update(last_attempt_at=started, signed_out=False)
        try:
            upload_error: ApiError | None = None
            try:
                await self._upload_blobs(report)
            except ApiError as exc:
                if isinstance(exc, AuthenticationError | NetworkError):
                    raise
                # The upload service is in trouble, not necessarily sync: mutations ahead
                # of the waiting photo still go, and the cache still catches up.
                upload_error = exc
            await self._push(report, force)
            await self._pull(report)
            await self._download_blobs(report)
            if upload_error is not None:
                raise upload_error
        except AuthenticationError as exc:
            await self._db(self._outbox.reset_in_flight)
            self._in_flight = []
            self._failures = 0
            self._next_attempt_at = None
            report.ok = False
            report.signed_out = True
            report.error = _SIGNED_OUT
            report.error_code = exc.code
            self.connectivity.report_success()
            self.status.update(signed_out=True, phase=SyncPhase.SIGNED_OUT, last_error=_SIGNED_OUT)
            logger.info("sync: signed out (%s); the outbox is kept", exc.code)
        except (ApiError, StoreError) as exc:
            await self._failed(report, exc)
        else:
            self._failures = 0
            self._next_attempt_at = None
            self._server_floor = None
            await self._db(self._store.set_meta, META_LAST_SUCCESS, str(to_ms(started)))
            note = report.notes[-1] if report.notes else None
            self.status.update(
                last_success_at=started,
                last_error=note,
                next_attempt_at=None,
                phase=SyncPhase.IDLE,
            )
        finally:
            self._uploads.clear()
            self.status.update(uploads=())
            await self._refresh_counts()
        return report

    async def _failed(self, report: SyncReport, exc: ApiError | StoreError) -> None:
        if isinstance(exc, NetworkError):
            self.connectivity.report_failure()
        elif isinstance(exc, ApiError):
            self.connectivity.report_success()  # the server answered, even if with 5xx
        self._failures += 1
        retry_after = None
        if isinstance(exc, ServerError | RateLimitedError):
            retry_after = exc.retry_after
        delay = self._backoff.delay(self._failures, self._rng, retry_after)
        now = self._clock()
        retry_at = now + timedelta(seconds=delay)
        self._next_attempt_at = retry_at
        self._server_floor = (
            now + timedelta(seconds=min(retry_after, self._backoff.max_retry_after_s))
            if retry_after is not None
            else None
        )
        message = exc.message
        mids, self._in_flight = self._in_flight, []
        if mids:
            await self._db(self._schedule_retry, mids, retry_at, message)
        report.ok = False
        report.error = message
        report.error_code = getattr(exc, "code", "store")
        report.retry_at = retry_at
        self.status.update(
            last_error=message, next_attempt_at=retry_at, phase=SyncPhase.WAITING_RETRY
        )
        logger.info(
            "sync failed (%s); retry in %.1f s (failure %d)",
            report.error_code,
            delay,
            self._failures,
        )

    def _schedule_retry(self, mids: Sequence[int], at: datetime, message: str) -> None:
        with self._store.transaction() as tx:
            for mid in mids:
                self._outbox.schedule_retry(mid, at, message, tx)

    async def _refresh_counts(self) -> None:
        st = await self._db(self._outbox.status)
        last = await self._db(self._store.get_meta, META_LAST_SUCCESS)
        self.status.update(
            pending=st.unsent,
            oldest_pending_age=st.oldest_pending_age,
            needs_attention=st.needs_attention,
            last_success_at=from_ms(int(last)) if last else self.status.value.last_success_at,
        )

    # ------------------------------------------------------------------ blobs

    def _load_given_up(self) -> dict[str, str]:
        rows = (
            self._store.connection()
            .execute("SELECT key, value FROM meta WHERE key LIKE ?", (META_BLOB_GIVEN_UP + "%",))
            .fetchall()
        )
        return {str(k)[len(META_BLOB_GIVEN_UP) :]: str(v) for k, v in rows}

    async def _upload_blobs(self, report: SyncReport) -> None:
        given_up = self._given_up or {}
        todo = [
            b for b in await self._db(self._blobs.pending_uploads, 50) if b.hash not in given_up
        ]
        if not todo:
            return
        self._uploads = {b.hash: BlobProgress(b.hash, b.upload_offset, b.size) for b in todo}
        self.status.update(phase=SyncPhase.UPLOADING, uploads=tuple(self._uploads.values()))
        for info in todo:
            try:
                await self._upload_one(info)
            except (ApiError, StoreError) as exc:
                if not _permanent_blob_error(exc):
                    raise
                await self._give_up_blob(info, exc.message, report)
                continue
            report.blobs_uploaded += 1
            self._progress(info.hash, info.size, info.size)

    async def _give_up_blob(self, info: BlobInfo, message: str, report: SyncReport) -> None:
        text = f"A photo could not be uploaded: {message}"
        await self._db(self._store.set_meta, META_BLOB_GIVEN_UP + info.hash, text)
        if self._given_up is not None:
            self._given_up[info.hash] = text
        report.blobs_given_up += 1
        report.notes.append(text)
        logger.warning("sync: gave up blob %s: %s", info.hash[:12], message)

    def _progress(self, blob_hash: str, sent: int, size: int) -> None:
        self._uploads[blob_hash] = BlobProgress(blob_hash, sent, size)
        self.status.update(uploads=tuple(self._uploads.values()))

    async def _upload_one(self, info: BlobInfo) -> None:
        data = await self._db(self._blobs.read, info.hash)  # verified against the hash
        if len(data) <= self._chunk_size:
            await self._api.put_blob(info.hash, data, info.media_type)
        else:
            await self._upload_resumable(info, data)
        self.connectivity.report_success()
        await self._db(self._blobs.mark_uploaded, info.hash)

    async def _start_upload(self, info: BlobInfo, data: bytes) -> tuple[str | None, int]:
        """Create a resumable upload; (None, size) when the server needs nothing more."""
        try:
            created = await self._api.create_upload(info.hash, len(data), info.media_type)
        except ApiError as exc:
            if isinstance(exc, NotFoundError) or exc.status == 405:
                # A server without resumable uploads: one PUT of the whole blob.
                await self._api.put_blob(info.hash, data, info.media_type)
                return None, len(data)
            raise
        if created.complete or created.url is None:
            return None, len(data)
        await self._db(self._blobs.record_upload_progress, info.hash, created.url, created.offset)
        return created.url, created.offset

    async def _upload_resumable(self, info: BlobInfo, data: bytes) -> None:
        size = len(data)
        url = info.upload_url
        offset = 0
        if url is not None:
            try:
                offset = await self._api.upload_offset(url)
            except NotFoundError:
                url = None  # expired or unknown upload: start a new one
        if url is None:
            url, offset = await self._start_upload(info, data)
            if url is None:
                return
        restarts = conflicts = 0
        while offset < size:
            self._progress(info.hash, offset, size)
            chunk = data[offset : offset + self._chunk_size]
            try:
                new_offset = await self._api.patch_upload(url, offset, chunk)
            except ConflictError as exc:
                # We and the server disagree on the offset: continue from the server's.
                conflicts += 1
                if conflicts > 3:
                    raise
                server_offset = exc.details.get("offset")
                if isinstance(server_offset, int) and 0 <= server_offset <= size:
                    offset = server_offset
                else:
                    offset = await self._api.upload_offset(url)
                await self._db(self._blobs.record_upload_progress, info.hash, url, offset)
                continue
            except (NotFoundError, ValidationFailedError):
                # Expired, or the finished bytes failed the checksum (the server threw
                # the upload away): start over once; a second failure is permanent.
                restarts += 1
                if restarts > 1:
                    raise
                url, offset = await self._start_upload(info, data)
                if url is None:
                    return
                continue
            if not offset < new_offset <= size:
                raise SyncProtocolError(
                    details={"reason": "upload offset went backwards or past the end"}
                )
            offset = new_offset
            await self._db(self._blobs.record_upload_progress, info.hash, url, offset)

    # ------------------------------------------------------------------ downloads

    async def _download_blobs(self, report: SyncReport) -> None:
        """Fetch images the cache references and this device lacks (bounded). Never
        raises: a failure leaves the image wanted for a later round."""
        if self._download_batch == 0:
            return
        try:
            if not self._scanned_for_downloads:
                await self._db(scan_cache_for_wanted, self._store)
                self._scanned_for_downloads = True
            now = self._clock()
            waiting = {h for h, t in self._download_not_before.items() if t > now}
            todo = [
                h
                for h in await self._db(
                    wanted_blobs, self._store, self._download_batch + len(waiting)
                )
                if h not in waiting
            ][: self._download_batch]
        except StoreError:
            logger.warning("sync: could not read the download list", exc_info=True)
            return
        for blob_hash in todo:
            if self._reasons & {"local", "manual", "stop"}:
                break  # the pro queued something: let its push go first, finish later
            try:
                data = await self._api.get_blob(blob_hash)
                await self._db(store_downloaded, self._store, self._blobs, blob_hash, data)
            except (AuthenticationError, NetworkError) as exc:
                # Offline or signed out: the next round tries again; push/pull decide.
                logger.info("sync: downloads paused (%s)", exc.code)
                report.downloads_failed += 1
                return
            except (ApiError, StoreError, ValueError) as exc:
                self._download_not_before[blob_hash] = self._clock() + timedelta(
                    seconds=DOWNLOAD_RETRY_S
                )
                report.downloads_failed += 1
                logger.info("sync: download of %s failed: %s", blob_hash[:12], exc)
                continue
            self._download_not_before.pop(blob_hash, None)
            report.blobs_downloaded += 1

    # ------------------------------------------------------------------ push

    def _sendable(self, force: bool) -> list[OutboxEntry]:
        now = _FAR_FUTURE if force else self._clock()
        return self._outbox.sendable(
            self._push_batch, now, blobs_given_up=tuple(self._given_up or ())
        )

    def _take_batch(self, force: bool, tx: Transaction | None = None) -> list[OutboxEntry]:
        # The next batch, marked in flight in the same transaction (the caller's, after a
        # push: see `_record_push`). The mark is only for the UI ("sending"); a crash
        # leaves the rows pending in effect, since `sendable` includes in-flight rows.
        with self._store.writing(tx) as t:
            batch = self._sendable(force)
            if batch:
                self._outbox.mark_in_flight([e.mid for e in batch], t)
        return batch

    async def _push(self, report: SyncReport, force: bool) -> None:
        client_id = self._client_id or self._store.client_id
        resume_from: int | None = None
        tried_resume = False
        taken: list[OutboxEntry] | None = None
        counts_at: float | None = None
        for _round in range(MAX_PUSH_ROUNDS):
            batch = taken if taken is not None else await self._db(self._take_batch, force)
            taken = None
            if not batch:
                self._in_flight = []
                return
            self.status.update(phase=SyncPhase.PUSHING)
            mids = [e.mid for e in batch]
            self._in_flight = mids
            if counts_at is None or time.monotonic() - counts_at >= COUNTS_REFRESH_S:
                await self._refresh_counts()
                counts_at = time.monotonic()
            response = await self._api.push(
                client_id,
                [
                    PushMutation(
                        mid=e.mid,
                        id=e.mutation_id,
                        name=e.name,
                        args=e.args,
                        base_version=e.base_version,
                    )
                    for e in batch
                ],
                resume_from,
            )
            self.connectivity.report_success()
            report.pushes += 1
            applied, rejected, answered_mids, mismatched, taken = await self._db(
                self._record_push, batch, response, force
            )
            answered = len(answered_mids)
            # Unanswered rows are pending again; if we give up below they get the retry.
            self._in_flight = [m for m in mids if m not in answered_mids]
            report.applied += applied
            report.rejected += rejected
            if mismatched:
                raise SyncProtocolError(details={"reason": "result ids do not match", "mids": mids})
            stopped = response.stopped
            if stopped is None:
                if answered == 0:
                    raise SyncProtocolError(details={"reason": "push answered nothing"})
                continue
            expected = stopped.expected_mid
            if stopped.code != "out_of_order" or expected is None:
                raise SyncProtocolError(details={"reason": f"push stopped: {stopped.code}"})
            if expected < mids[0]:
                if expected == 1 and not tried_resume:
                    # The server has no record of this install: tell it where we are.
                    resume_from = mids[0]
                    tried_resume = True
                    logger.info("sync: server forgot this install; resuming from %d", mids[0])
                    continue
                raise SyncProtocolError(
                    details={"reason": "server is behind", "expected_mid": expected}
                )
            if answered == 0:
                raise SyncProtocolError(
                    details={"reason": "out_of_order without progress", "expected_mid": expected}
                )
            # Otherwise the next round sends again from the first unanswered mutation.
        if taken:
            # A batch taken but never sent: it must not show as "sending" until next time.
            await self._db(self._outbox.reset_in_flight)
        raise SyncProtocolError(details={"reason": "too many push rounds"})

    def _record_push(
        self, batch: Sequence[OutboxEntry], response: PushResponse, force: bool
    ) -> tuple[int, int, set[int], int, list[OutboxEntry] | None]:
        """Store the push's answers; if the push went through cleanly, also take the
        next batch (marked in flight) in the same transaction, which spares each push
        round a commit of its own (an fsync of the store) before the next request.
        Otherwise the fifth value is None and `_push` takes the next batch itself."""
        by_mid = {e.mid: e for e in batch}
        rejected = mismatched = 0
        answered: set[int] = set()
        applied_mids: list[int] = []
        with self._store.transaction() as tx:
            for result in response.results:
                entry = by_mid.get(result.mid)
                if entry is None:
                    continue  # not something we sent in this batch
                if entry.mutation_id != result.id:
                    mismatched += 1
                    continue
                answered.add(result.mid)
                if result.status == "applied":
                    applied_mids.append(result.mid)
                    continue
                error = result.error
                code = error.code if error else "rejected"
                message = (
                    error.message
                    if error and error.message
                    else "The server refused this change. Check it and send it again."
                )
                details = dict(error.details) if error else {}
                if self._outbox.mark_rejected(result.mid, code, message, details, tx):
                    rejected += 1
                    # Rebase: the entity falls back to the server copy; the mutation and
                    # everything the pro entered stay in "needs attention".
                    self._store.cache.drop_overlays(tx, [result.mid])
            applied = self._outbox.mark_applied(applied_mids, tx)
            # Whatever the server did not reach goes back to pending, ready to resend.
            self._outbox.reset_in_flight(tx)
            self._store.set_meta(META_SERVER_LAST_MID, str(response.last_mid), tx)
            clean = not mismatched and response.stopped is None and answered
            taken = self._take_batch(force, tx) if clean else None
        return applied, rejected, answered, mismatched, taken

    # ------------------------------------------------------------------ pull

    async def _pull(self, report: SyncReport) -> None:
        client_id = self._client_id or self._store.client_id
        self.status.update(phase=SyncPhase.PULLING)
        cursor = await self._db(self._store.get_meta, META_CURSOR)
        fetch = asyncio.ensure_future(self._api.pull(client_id, cursor, self._pull_limit))
        try:
            for page_number in range(MAX_PULL_PAGES):
                page = await fetch
                self.connectivity.report_success()
                more = page.has_more and page_number + 1 < MAX_PULL_PAGES
                if more and page.cursor == cursor and not page.changes:
                    raise SyncProtocolError(details={"reason": "pull repeated its cursor"})
                if more:
                    # Pipelining: the next page is on its way (the server reads and
                    # renders it) while this one is mapped and stored on the store's
                    # thread. The stored cursor still only moves with a stored page.
                    fetch = asyncio.ensure_future(
                        self._api.pull(client_id, page.cursor, self._pull_limit)
                    )
                await self._db(self._store_pulled, page)
                report.pulled += len(page.changes)
                report.pages += 1
                if not more:
                    return
                cursor = page.cursor
            # A very long catch-up continues next round from the stored cursor.
        finally:
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch

    def _store_pulled(self, page: PullResponse) -> None:
        self._store_page([self._entity_mapper(change) for change in page.changes], page)

    def _store_page(self, entities: Sequence[ServerEntity], page: PullResponse) -> None:
        # One transaction: the page, the rebase (drop overlays the server has answered;
        # pending ones stay on top), and the cursor. A crash leaves all or none of it.
        with self._store.transaction() as tx:
            self._store.cache.put_server(tx, entities)
            mark_wanted(tx, entities)
            self._store.cache.drop_settled_overlays(tx, page.last_mid)
            self._store.set_meta(META_CURSOR, page.cursor, tx)
            self._store.set_meta(META_SERVER_LAST_MID, str(page.last_mid), tx)
