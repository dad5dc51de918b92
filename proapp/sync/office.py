"""Indexed reads over the local store for the office desktop (issue 5): the dispatch
board, the request pipeline, estimates, message threads, team and compliance, reviews.

The office reads a cache that may hold 10,000 jobs, and opening the dispatch board,
switching its day or filtering the pipeline must each stay within 100 ms of Python
time. So every read here selects an index range first and parses only the rows it
returns:

* the board: jobs with an appointment, by window start (``entities_by_facet``: kind,
  status, list_key), so a day costs the jobs of that day, not of the whole cache;
* unassigned work: "open jobs nobody is assigned to" is one range of the small partial
  index of ownerless rows (``entities_unowned``);
* the pipeline: OPEN requests and PENDING_SCHEDULE jobs (``entities_by_facet``);
* threads: one aggregate over the messages' ``(kind, parent_id, list_key)`` index,
  titles only for the page shown.

Board and pipeline jobs are parsed from JSON into the small `OfficeJob` (not the full
pydantic `Job`, about three times slower to build): a busy day or a pipeline of hundreds
of pending orders stays cheap. Requests, documents and reviews are few and are validated
with the shared domain models.

`OfficeQueries` is blocking (call it on the store's worker thread);
`LocalOfficeRepository` is the async `LocalRepository` plus these reads, which the office
screen states use through `proapp.state.office_ports.OfficeRepository`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from proapp.domain.enums import EstimateStatus, JobOrigin, JobStatus, Role
from proapp.domain.models import ComplianceDocument, CustomRequest, Review, format_utc
from proapp.sync.repository import LocalRepository
from proapp.sync.store import Store

__all__ = [
    "BOARD_STATUSES",
    "OPEN_JOB_STATUSES",
    "EstimateFact",
    "LocalOfficeRepository",
    "OfficeJob",
    "OfficeQueries",
    "OpenRequest",
    "ReviewRecord",
    "TeamMember",
    "TechnicianRating",
    "ThreadPage",
    "ThreadSummary",
]

logger = logging.getLogger(__name__)

BOARD_STATUSES: tuple[JobStatus, ...] = (
    JobStatus.SCHEDULED,
    JobStatus.IN_PROGRESS,
    JobStatus.COMPLETED,
    JobStatus.NOT_SERVICED,
)
"""Jobs that sit on the dispatch board at their appointment (a cancelled job's
appointment is cancelled with it; a pending one has none yet)."""

OPEN_JOB_STATUSES: tuple[JobStatus, ...] = (
    JobStatus.PENDING_SCHEDULE,
    JobStatus.SCHEDULED,
    JobStatus.IN_PROGRESS,
)
"""Jobs still to be worked: the ones that need a technician."""

MAX_WINDOW = timedelta(hours=12)
"""How far before the shown period the board looks for windows that run into it. Arrival
windows are hours long (R6) and start in working hours, so 12 h finds any that crosses
midnight; a longer lookback would parse half a day more of jobs on every switch."""

_VISIBLE = "COALESCE(overlay_json, json)"


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class OfficeJob:
    """What office lists show of a job, parsed straight from its cached JSON.

    ``window_start``/``window_end`` are the active appointment's (None before a window is
    confirmed, R6); ``pending`` is True while a change made on this device is unsent.
    """

    id: str
    title: str
    status: JobStatus
    origin: JobOrigin
    customer_name: str
    address_line: str
    city: str
    postal_code: str
    time_zone: str
    technician_ids: tuple[str, ...]
    window_start: datetime | None
    window_end: datetime | None
    ordered_at: datetime
    window_confirmation_due_at: datetime
    price_cents: int
    version: int
    scope: str = ""
    pending: bool = False
    appointment_cancelled: bool = False
    """The window is a cancelled job's last appointment (kept to show where it was)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, pending: bool = False) -> OfficeJob:
        """Build from the job's JSON (the server's `Job` shape).

        Raises:
            ValueError, KeyError, TypeError: the JSON is not a job.
        """
        appointment = data.get("appointment") or {}
        window = appointment.get("window") or {}
        address = data.get("address") or {}
        ordered_at = _dt(data["ordered_at"])
        due_at = _dt(data["window_confirmation_due_at"])
        if ordered_at is None or due_at is None:
            raise ValueError("a job needs ordered_at and window_confirmation_due_at")
        price = data.get("price_cents", 0)
        version = data.get("version", 0)
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            status=JobStatus(data["status"]),
            origin=JobOrigin(data.get("origin", JobOrigin.PACKAGED.value)),
            customer_name=str(data.get("customer_name") or ""),
            address_line=str(address.get("line1") or ""),
            city=str(address.get("city") or ""),
            postal_code=str(address.get("postal_code") or ""),
            time_zone=str(data["time_zone"]),
            technician_ids=tuple(str(t) for t in data.get("assigned_technician_ids") or ()),
            window_start=_dt(window.get("start")),
            window_end=_dt(window.get("end")),
            ordered_at=ordered_at,
            window_confirmation_due_at=due_at,
            price_cents=price if isinstance(price, int) else 0,
            version=version if isinstance(version, int) else 0,
            scope=str(data.get("scope") or ""),
            pending=pending,
            appointment_cancelled=appointment.get("status") == "CANCELLED",
        )


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """An OPEN custom request with what the business did about it (R2).

    ``answered``: an estimate was sent, a visit proposed or a pro wrote in its thread.
    ``estimate_total_cents``: the latest sent estimate's total (None before one).
    ``technician_ids``: who estimated it.
    """

    request: CustomRequest
    answered: bool
    estimate_total_cents: int | None
    technician_ids: tuple[str, ...]
    pending: bool = False


@dataclass(frozen=True, slots=True)
class EstimateFact:
    """One sent estimate as reports need it; ``service`` is its request's title (a
    custom request names no catalogue service, so its title is the kind of work)."""

    id: str
    request_id: str
    status: EstimateStatus
    technician_id: str | None
    total_cents: int
    submitted_at: datetime | None
    service: str


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A job's or request's message thread (R10).

    ``waiting_since``: the first customer message after the pros' last reply (None when
    nothing waits for an answer); ``title``/``time_zone`` come from the thread's job or
    request ("" / None when this device does not have it).
    """

    parent_kind: str
    parent_id: str
    title: str
    customer_name: str
    time_zone: str | None
    message_count: int
    last_message_at: datetime | None
    waiting_since: datetime | None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """One page of threads (waiting ones first, oldest wait first) and how many exist."""

    threads: tuple[ThreadSummary, ...]
    total: int
    waiting_total: int


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A pro of the business (synced ``team_member``)."""

    id: str
    name: str
    email: str
    role: Role
    active: bool = True


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A review with the job it rates (title "" when the job is not on this device)."""

    review: Review
    job_title: str
    customer_name: str


@dataclass(frozen=True, slots=True)
class TechnicianRating:
    """Ratings of one technician (``technician_id`` None: reviews naming nobody)."""

    technician_id: str | None
    count: int
    rating_sum: int


class OfficeQueries:
    """Blocking, indexed reads for the office screens (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._store.connection().execute(sql, params).fetchall())

    def _by_list_key(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (selecting ``..., list_key, id`` last) in ``(list_key, id)``
        order, without the last two columns. The sort is done here, not in SQL: with an
        ORDER BY list_key, SQLite's planner (no ANALYZE statistics) walks the whole
        ``(kind, list_key)`` index to skip a sort instead of using the facet index."""
        rows = sorted(self._rows(sql, params), key=lambda r: (r[-2], r[-1]))
        return [r[:-2] for r in rows]

    @staticmethod
    def _jobs(rows: Iterable[tuple[Any, ...]]) -> list[OfficeJob]:
        jobs = []
        for entity_id, body, overlay_mid in rows:
            try:
                jobs.append(OfficeJob.from_json(json.loads(body), pending=overlay_mid is not None))
            except (ValueError, KeyError, TypeError, AttributeError):
                logger.warning("skipping unreadable cached job %s", entity_id)
        return jobs

    # --- dispatch board ------------------------------------------------------------------

    def board_jobs(self, start: datetime, end: datetime) -> list[OfficeJob]:
        """Jobs whose appointment window overlaps ``[start, end)``, by window start."""
        statuses = [s.value for s in BOARD_STATUSES]
        marks = ", ".join("?" for _ in statuses)
        rows = self._by_list_key(
            f"SELECT id, {_VISIBLE}, overlay_mid, list_key, id FROM entities "
            f"WHERE kind = 'job' AND facet IN ({marks}) AND list_key >= ? AND list_key < ? "
            f"AND {_VISIBLE} IS NOT NULL",
            [*statuses, format_utc(start - MAX_WINDOW), format_utc(end)],
        )
        return [
            job
            for job in self._jobs(rows)
            if job.window_start is not None
            and job.window_end is not None
            and not job.appointment_cancelled
            and job.window_start < end
            and job.window_end > start
        ]

    def unassigned_jobs(self, limit: int = 500) -> list[OfficeJob]:
        """Open jobs nobody is assigned to, soonest first (``limit`` caps a runaway list;
        past it, which jobs are left out follows the index, not the date)."""
        statuses = [s.value for s in OPEN_JOB_STATUSES]
        marks = ", ".join("?" for _ in statuses)
        rows = self._by_list_key(
            f"SELECT id, {_VISIBLE}, overlay_mid, list_key, id FROM entities "
            f"WHERE kind = 'job' AND owner = '' AND facet IN ({marks}) "
            f"AND {_VISIBLE} IS NOT NULL LIMIT ?",
            [*statuses, limit],
        )
        return self._jobs(rows)

    def jobs_by_id(self, ids: Iterable[str]) -> dict[str, OfficeJob]:
        """The cached jobs among ``ids``."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, OfficeJob] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ", ".join("?" for _ in part)
            rows = self._rows(
                f"SELECT id, {_VISIBLE}, overlay_mid FROM entities WHERE kind = 'job' "
                f"AND id IN ({marks}) AND {_VISIBLE} IS NOT NULL",
                part,
            )
            found.update((job.id, job) for job in self._jobs(rows))
        return found

    def business_time_zone(self) -> str | None:
        """The business's time zone: the synced business's, else as its newest job or
        request states it (a store synced before businesses were; jobs and
        requests are created in the business's zone); None with an empty cache."""
        for kind in ("business", "job", "request"):
            row = self._store.connection().execute(
                f"SELECT {_VISIBLE} FROM entities WHERE kind = ? AND {_VISIBLE} IS NOT NULL "
                "ORDER BY list_key DESC LIMIT 1",
                (kind,),
            ).fetchone()
            if row is not None:
                zone = json.loads(row[0]).get("time_zone")
                if isinstance(zone, str) and zone:
                    return zone
        return None

    # --- pipeline ------------------------------------------------------------------------

    def pending_jobs(self) -> list[OfficeJob]:
        """Jobs waiting for a confirmed arrival window (PENDING_SCHEDULE, R6)."""
        rows = self._by_list_key(
            f"SELECT id, {_VISIBLE}, overlay_mid, list_key, id FROM entities "
            f"WHERE kind = 'job' AND facet = ? AND {_VISIBLE} IS NOT NULL",
            [JobStatus.PENDING_SCHEDULE.value],
        )
        return self._jobs(rows)

    def open_requests(self) -> list[OpenRequest]:
        """Every OPEN custom request with whether (and how) the business answered (R2)."""
        rows = self._by_list_key(
            f"SELECT id, {_VISIBLE}, overlay_mid, list_key, id FROM entities "
            f"WHERE kind = 'request' AND facet = 'OPEN' AND {_VISIBLE} IS NOT NULL"
        )
        requests: list[tuple[CustomRequest, bool]] = []
        for entity_id, body, overlay_mid in rows:
            try:
                requests.append(
                    (CustomRequest.model_validate_json(body), overlay_mid is not None)
                )
            except ValidationError:
                logger.warning("skipping unreadable cached request %s", entity_id)
        ids = [r.id for r, _ in requests]
        answered: set[str] = set()
        totals: dict[str, tuple[str, int]] = {}
        technicians: dict[str, list[str]] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ", ".join("?" for _ in part)
            # A pro's reply in the request's thread or a visit proposal answers it too.
            for (parent_id,) in self._rows(
                "SELECT DISTINCT parent_id FROM entities WHERE kind IN ('message', 'visit') "
                f"AND parent_id IN ({marks}) AND (kind = 'visit' OR facet = 'pro')",
                part,
            ):
                answered.add(str(parent_id))
            for parent_id, list_key, body in self._rows(
                f"SELECT parent_id, list_key, {_VISIBLE} FROM entities WHERE kind = 'estimate' "
                f"AND parent_id IN ({marks}) AND facet NOT IN ('DRAFT', 'WITHDRAWN') "
                f"AND {_VISIBLE} IS NOT NULL",
                part,
            ):
                data = json.loads(body)
                request_id = str(parent_id)
                answered.add(request_id)
                total = data.get("total_cents")
                if isinstance(total, int) and (
                    request_id not in totals or list_key >= totals[request_id][0]
                ):
                    totals[request_id] = (str(list_key), total)
                technician = data.get("technician_id")
                if isinstance(technician, str) and technician not in technicians.get(
                    request_id, []
                ):
                    technicians.setdefault(request_id, []).append(technician)
        return [
            OpenRequest(
                request=request,
                answered=request.id in answered,
                estimate_total_cents=totals[request.id][1] if request.id in totals else None,
                technician_ids=tuple(technicians.get(request.id, ())),
                pending=pending,
            )
            for request, pending in requests
        ]

    # --- estimates -----------------------------------------------------------------------

    def estimates_since(self, since: datetime) -> list[EstimateFact]:
        """Estimates sent at or after ``since`` (drafts never count), oldest first, each
        with its request's title as its ``service``."""
        rows = self._rows(
            f"SELECT id, {_VISIBLE} FROM entities WHERE kind = 'estimate' "
            f"AND list_key >= ? AND facet != 'DRAFT' AND {_VISIBLE} IS NOT NULL "
            "ORDER BY list_key, id",
            [format_utc(since)],
        )
        parsed = []
        for entity_id, body in rows:
            data = json.loads(body)
            try:
                status = EstimateStatus(data["status"])
                parsed.append((data, status))
            except (KeyError, ValueError):
                logger.warning("skipping unreadable cached estimate %s", entity_id)
        titles = self._titles("request", {str(d.get("request_id")) for d, _ in parsed})
        facts = []
        for data, status in parsed:
            total = data.get("total_cents")
            technician = data.get("technician_id")
            facts.append(
                EstimateFact(
                    id=str(data["id"]),
                    request_id=str(data.get("request_id")),
                    status=status,
                    technician_id=technician if isinstance(technician, str) else None,
                    total_cents=total if isinstance(total, int) else 0,
                    submitted_at=_dt(data.get("submitted_at")),
                    service=titles.get(str(data.get("request_id")), ""),
                )
            )
        return facts

    def _titles(self, kind: str, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(ids)
        titles: dict[str, str] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ", ".join("?" for _ in part)
            for entity_id, body in self._rows(
                f"SELECT id, {_VISIBLE} FROM entities WHERE kind = ? AND id IN ({marks}) "
                f"AND {_VISIBLE} IS NOT NULL",
                [kind, *part],
            ):
                titles[str(entity_id)] = str(json.loads(body).get("title", ""))
        return titles

    # --- messages ------------------------------------------------------------------------

    # Per thread: its size, last message, the pros' last reply, and the first customer
    # message after it. "+m.facet" keeps SQLite on the (kind, parent_id, list_key) index
    # for the inner lookup (one short range per thread) instead of the facet index.
    _THREADS_SQL = f"""
        WITH t AS (
            SELECT parent_id AS pid, COUNT(*) AS n, MAX(list_key) AS last_at,
                   MAX(CASE WHEN facet = 'pro' THEN list_key END) AS answered_at
            FROM entities
            WHERE kind = 'message' AND parent_id IS NOT NULL AND {_VISIBLE} IS NOT NULL
            GROUP BY parent_id
        ), w AS (
            SELECT t.pid, t.n, t.last_at, (
                SELECT MIN(m.list_key) FROM entities m
                WHERE m.kind = 'message' AND m.parent_id = t.pid
                  AND m.list_key > COALESCE(t.answered_at, '') AND +m.facet = 'customer'
            ) AS waiting_since
            FROM t
        )
    """

    def message_threads(
        self, *, waiting_only: bool = False, limit: int = 50, offset: int = 0
    ) -> ThreadPage:
        """Threads that wait for a pro's answer first (longest wait first, R10), then
        the rest by latest message; ``waiting_only`` keeps only the waiting ones."""
        where = "WHERE waiting_since IS NOT NULL" if waiting_only else ""
        rows = self._rows(
            f"{self._THREADS_SQL} SELECT pid, n, last_at, waiting_since FROM w {where} "
            "ORDER BY waiting_since IS NULL, waiting_since, last_at DESC, pid LIMIT ? OFFSET ?",
            [limit, offset],
        )
        counts = self._store.connection().execute(
            f"{self._THREADS_SQL} SELECT COUNT(*), COUNT(waiting_since) FROM w"
        ).fetchone()
        parents = self._parents([str(r[0]) for r in rows])
        threads = []
        for pid, count, last_at, waiting_since in rows:
            kind, data = parents.get(str(pid), ("", {}))
            zone = data.get("time_zone")
            threads.append(
                ThreadSummary(
                    parent_kind=kind,
                    parent_id=str(pid),
                    title=str(data.get("title", "")),
                    customer_name=str(data.get("customer_name") or ""),
                    time_zone=zone if isinstance(zone, str) else None,
                    message_count=int(count),
                    last_message_at=_dt(last_at),
                    waiting_since=_dt(waiting_since),
                )
            )
        total, waiting = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        return ThreadPage(tuple(threads), total if not waiting_only else waiting, waiting)

    def _parents(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for kind, entity_id, body in self._rows(
            f"SELECT kind, id, {_VISIBLE} FROM entities WHERE kind IN ('job', 'request') "
            f"AND id IN ({marks}) AND {_VISIBLE} IS NOT NULL",
            list(ids),
        ):
            found[str(entity_id)] = (str(kind), json.loads(body))
        return found

    # --- team, compliance, reviews -------------------------------------------------------

    def team(self) -> list[TeamMember]:
        """The business's pros, by name."""
        members = []
        for entity_id, body in self._rows(
            f"SELECT id, {_VISIBLE} FROM entities WHERE kind = 'team_member' "
            f"AND {_VISIBLE} IS NOT NULL ORDER BY list_key, id"
        ):
            data = json.loads(body)
            try:
                members.append(
                    TeamMember(
                        id=str(data["id"]),
                        name=str(data.get("name", "")),
                        email=str(data.get("email", "")),
                        role=Role(data["role"]),
                        active=bool(data.get("active", True)),
                    )
                )
            except (KeyError, ValueError):
                logger.warning("skipping unreadable cached team member %s", entity_id)
        return members

    def compliance_documents(self) -> list[ComplianceDocument]:
        """Every cached vetting document (R13), soonest expiry first (no expiry last)."""
        documents = []
        for entity_id, body in self._rows(
            f"SELECT id, {_VISIBLE} FROM entities WHERE kind = 'compliance_document' "
            f"AND {_VISIBLE} IS NOT NULL ORDER BY list_key = '', list_key, id"
        ):
            try:
                documents.append(ComplianceDocument.model_validate_json(body))
            except ValidationError:
                logger.warning("skipping unreadable cached document %s", entity_id)
        return documents

    def reviews(self, *, limit: int = 50, offset: int = 0,
                technician_id: str | None = None) -> list[ReviewRecord]:
        """Reviews newest first (R11), with their jobs' titles; ``technician_id``
        narrows to one technician's."""
        where, params = "", []
        if technician_id is not None:
            where, params = "AND owner = ?", [technician_id]
        rows = self._rows(
            f"SELECT id, {_VISIBLE} FROM entities WHERE kind = 'review' {where} "
            f"AND {_VISIBLE} IS NOT NULL ORDER BY list_key DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        reviews = []
        for entity_id, body in rows:
            try:
                reviews.append(Review.model_validate_json(body))
            except ValidationError:
                logger.warning("skipping unreadable cached review %s", entity_id)
        jobs = self.jobs_by_id(r.job_id for r in reviews)
        return [
            ReviewRecord(
                review=r,
                job_title=jobs[r.job_id].title if r.job_id in jobs else "",
                customer_name=jobs[r.job_id].customer_name if r.job_id in jobs else "",
            )
            for r in reviews
        ]

    def review_stats(self) -> list[TechnicianRating]:
        """Count and sum of ratings per technician (integers: averages are shown, never
        stored)."""
        rows = self._rows(
            "SELECT owner, COUNT(*), SUM(CAST(facet AS INTEGER)) FROM entities "
            f"WHERE kind = 'review' AND {_VISIBLE} IS NOT NULL GROUP BY owner ORDER BY owner"
        )
        return [
            TechnicianRating(str(owner) or None, int(count), int(total or 0))
            for owner, count, total in rows
        ]


class LocalOfficeRepository(LocalRepository):
    """`LocalRepository` plus the office reads (implements
    `proapp.state.office_ports.OfficeRepository`). Reads run on the store's worker
    thread like every other read, so the desktop's event loop keeps drawing."""

    @cached_property
    def office(self) -> OfficeQueries:
        """The office queries, on this repository's store."""
        return OfficeQueries(self._store)

    async def board_jobs(self, start: datetime, end: datetime) -> list[OfficeJob]:
        """Jobs whose appointment window overlaps ``[start, end)``."""
        return await self._store.run(self.office.board_jobs, start, end)

    async def unassigned_jobs(self, limit: int = 500) -> list[OfficeJob]:
        """Open jobs nobody is assigned to."""
        return await self._store.run(self.office.unassigned_jobs, limit)

    async def pending_jobs(self) -> list[OfficeJob]:
        """Jobs waiting for a confirmed window (R6)."""
        return await self._store.run(self.office.pending_jobs)

    async def open_requests(self) -> list[OpenRequest]:
        """OPEN custom requests with how they were answered (R2)."""
        return await self._store.run(self.office.open_requests)

    async def estimates_since(self, since: datetime) -> list[EstimateFact]:
        """Estimates sent since ``since``."""
        return await self._store.run(self.office.estimates_since, since)

    async def message_threads(
        self, *, waiting_only: bool = False, limit: int = 50, offset: int = 0
    ) -> ThreadPage:
        """A page of message threads, waiting ones first (R10)."""
        return await self._store.run(
            lambda: self.office.message_threads(
                waiting_only=waiting_only, limit=limit, offset=offset
            )
        )

    async def team(self) -> list[TeamMember]:
        """The business's pros."""
        return await self._store.run(self.office.team)

    async def compliance_documents(self) -> list[ComplianceDocument]:
        """Vetting documents (R13)."""
        return await self._store.run(self.office.compliance_documents)

    async def reviews(
        self, *, limit: int = 50, offset: int = 0, technician_id: str | None = None
    ) -> list[ReviewRecord]:
        """Reviews newest first (R11)."""
        return await self._store.run(
            lambda: self.office.reviews(limit=limit, offset=offset, technician_id=technician_id)
        )

    async def review_stats(self) -> list[TechnicianRating]:
        """Ratings per technician."""
        return await self._store.run(self.office.review_stats)

    async def find_jobs(self, ids: Sequence[str]) -> dict[str, OfficeJob]:
        """The cached jobs among ``ids``."""
        return await self._store.run(self.office.jobs_by_id, list(ids))

    async def business_time_zone(self) -> str | None:
        """The business's time zone as its jobs state it (None: nothing cached yet)."""
        return await self._store.run(self.office.business_time_zone)
