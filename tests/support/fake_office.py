"""An in-memory `OfficeRepository` for the office states' unit tests.

`FakeOfficeRepository` is the field app's `FakeRepository` (same seeding, same
``perform`` with the real optimistic effects, so ``job.assign`` really moves a job)
plus the office reads, answered from its in-memory tables with the same meaning as
`proapp.sync.office.OfficeQueries` (which has its own tests over a real store). Seed
team members, compliance documents and reviews with `add_member`, `add_document`,
`add_review`; the ``make_*`` builders give valid models with sensible defaults.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable, Coroutine, Sequence
from datetime import date, datetime, timedelta

from proapp.domain.enums import (
    ComplianceKind,
    EstimateStatus,
    JobStatus,
    PartsSupplier,
    RequestStatus,
    Role,
)
from proapp.domain.models import (
    ComplianceDocument,
    Estimate,
    Job,
    LineItem,
    Message,
    Review,
    User,
)
from proapp.state.office_ports import (
    EstimateFact,
    OfficeJob,
    OfficeRepository,
    OpenRequest,
    ReviewRecord,
    TeamMember,
    TechnicianRating,
    ThreadPage,
    ThreadSummary,
)
from proapp.sync.office import BOARD_STATUSES, OPEN_JOB_STATUSES
from tests.support.fake_repo import (
    DEMO_BUSINESS_ID,
    FIXED_NOW,
    FakeRepository,
    make_line,
    make_user,
)

__all__ = [
    "DISPATCHER_ID",
    "async_test",
    "MARCO_ID",
    "PRIYA_ID",
    "TESS_ID",
    "FakeOfficeRepository",
    "make_document",
    "make_estimate",
    "make_member",
    "make_review",
]

TESS_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"  # the field fakes' default technician
MARCO_ID = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
PRIYA_ID = "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f"
DISPATCHER_ID = "d4e5f6a7-b8c9-4d0e-8f2a-3b4c5d6e7f80"


def async_test(
    fn: Callable[..., Coroutine[object, object, None]],
) -> Callable[..., None]:
    """Run an ``async def`` test with `asyncio.run` (the suite has no asyncio plugin)."""

    @functools.wraps(fn)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def make_member(
    user_id: str, name: str, role: Role = Role.TECHNICIAN, *, active: bool = True
) -> TeamMember:
    """A team member (e-mail made from the first name)."""
    email = f"{name.split()[0].lower()}@brightfix.example"
    return TeamMember(id=user_id, name=name, email=email, role=role, active=active)


def make_document(
    user_id: str,
    kind: ComplianceKind = ComplianceKind.INSURANCE,
    *,
    expires_on: date | None = None,
    verified: bool = True,
) -> ComplianceDocument:
    """A vetting document (R13)."""
    return ComplianceDocument(
        id=str(uuid.uuid4()),
        user_id=user_id,
        kind=kind,
        number="N-1",
        issuer="Issuer",
        expires_on=expires_on,
        verified=verified,
    )


def make_review(
    job_id: str,
    technician_id: str | None,
    rating: int,
    *,
    comment: str = "",
    created_at: datetime = FIXED_NOW,
) -> Review:
    """A customer's review (R11)."""
    return Review(
        id=str(uuid.uuid4()),
        job_id=job_id,
        technician_id=technician_id,
        rating=rating,
        comment=comment,
        created_at=created_at,
    )


def make_estimate(
    request_id: str,
    *,
    technician_id: str | None = TESS_ID,
    status: EstimateStatus = EstimateStatus.SUBMITTED,
    lines: Sequence[LineItem] | None = None,
    submitted_at: datetime = FIXED_NOW - timedelta(days=1),
) -> Estimate:
    """A sent estimate ($120.00 of labor by default)."""
    return Estimate(
        id=str(uuid.uuid4()),
        request_id=request_id,
        business_id=DEMO_BUSINESS_ID,
        technician_id=technician_id,
        line_items=list(lines or [make_line()]),
        parts_supplier=PartsSupplier.PRO,
        status=status,
        submitted_at=None if status is EstimateStatus.DRAFT else submitted_at,
    )


def _office_job(job: Job, pending: bool) -> OfficeJob:
    return OfficeJob.from_json(job.model_dump(mode="json"), pending=pending)


class FakeOfficeRepository(FakeRepository):
    """`FakeRepository` signed in as a dispatcher, plus the office reads."""

    def __init__(
        self,
        user: User | None = None,
        *,
        clock: Callable[[], datetime] = lambda: FIXED_NOW,
        optimistic: bool = True,
    ) -> None:
        dispatcher = make_user(
            role=Role.DISPATCHER,
            user_id=DISPATCHER_ID,
            name="Dana Dispatch",
            email="dispatch@brightfix.example",
        )
        super().__init__(user or dispatcher, clock=clock, optimistic=optimistic)
        self.members: dict[str, TeamMember] = {}
        self.documents: dict[str, ComplianceDocument] = {}
        self.reviews_by_id: dict[str, Review] = {}
        self.time_zone: str | None = "America/Los_Angeles"
        self.board_reads: list[tuple[datetime, datetime]] = []

    # --- seeding -----------------------------------------------------------------------
    def add_member(self, member: TeamMember) -> TeamMember:
        """Seed a team member."""
        self.members[member.id] = member
        return member

    def add_document(self, document: ComplianceDocument) -> ComplianceDocument:
        """Seed a compliance document."""
        self.documents[document.id] = document
        return document

    def add_review(self, review: Review) -> Review:
        """Seed a review."""
        self.reviews_by_id[review.id] = review
        return review

    def add_estimate(self, estimate: Estimate) -> Estimate:
        """Seed an estimate of an already seeded request."""
        self.estimates_by_id[estimate.id] = estimate
        return estimate

    # --- office reads --------------------------------------------------------------------
    def _office_jobs(self) -> list[OfficeJob]:
        jobs = sorted(
            self.jobs_by_id.values(),
            key=lambda j: (j.appointment.window.start if j.appointment else j.ordered_at, j.id),
        )
        return [_office_job(j, j.id in self.pending_ids) for j in jobs]

    async def board_jobs(self, start: datetime, end: datetime) -> list[OfficeJob]:
        """Jobs with an appointment window overlapping ``[start, end)``."""
        self.board_reads.append((start, end))
        return [
            j
            for j in self._office_jobs()
            if j.status in BOARD_STATUSES
            and j.window_start is not None
            and j.window_end is not None
            and not j.appointment_cancelled
            and j.window_start < end
            and j.window_end > start
        ]

    async def unassigned_jobs(self, limit: int = 500) -> list[OfficeJob]:
        """Open jobs with nobody assigned."""
        return [
            j for j in self._office_jobs() if j.status in OPEN_JOB_STATUSES and not j.technician_ids
        ][:limit]

    async def pending_jobs(self) -> list[OfficeJob]:
        """PENDING_SCHEDULE jobs."""
        return [j for j in self._office_jobs() if j.status is JobStatus.PENDING_SCHEDULE]

    async def open_requests(self) -> list[OpenRequest]:
        """OPEN requests with how they were answered."""
        out = []
        for request in sorted(self.requests_by_id.values(), key=lambda r: r.submitted_at):
            if request.status is not RequestStatus.OPEN:
                continue
            sent = sorted(
                (
                    e
                    for e in self.estimates_by_id.values()
                    if e.request_id == request.id
                    and e.status not in (EstimateStatus.DRAFT, EstimateStatus.WITHDRAWN)
                ),
                key=lambda e: (e.submitted_at or FIXED_NOW, e.id),
            )
            replied = any(
                m.request_id == request.id and m.author_role.value == "pro"
                for m in self.messages_by_id.values()
            ) or any(v.request_id == request.id for v in self.visits_by_id.values())
            technicians = tuple(dict.fromkeys(e.technician_id for e in sent if e.technician_id))
            out.append(
                OpenRequest(
                    request=request,
                    answered=bool(sent) or replied,
                    estimate_total_cents=sent[-1].total_cents if sent else None,
                    technician_ids=technicians,
                    pending=request.id in self.pending_ids,
                )
            )
        return out

    async def estimates_since(self, since: datetime) -> list[EstimateFact]:
        """Sent estimates since ``since``."""
        facts = []
        for e in sorted(
            self.estimates_by_id.values(), key=lambda e: (e.submitted_at or since, e.id)
        ):
            if e.status is EstimateStatus.DRAFT or e.submitted_at is None or e.submitted_at < since:
                continue
            request = self.requests_by_id.get(e.request_id)
            facts.append(
                EstimateFact(
                    id=e.id,
                    request_id=e.request_id,
                    status=e.status,
                    technician_id=e.technician_id,
                    total_cents=e.total_cents,
                    submitted_at=e.submitted_at,
                    service=request.title if request else "",
                )
            )
        return facts

    async def message_threads(
        self, *, waiting_only: bool = False, limit: int = 50, offset: int = 0
    ) -> ThreadPage:
        """Threads, waiting ones first (longest wait first)."""
        threads: dict[str, list[Message]] = {}
        for m in sorted(self.messages_by_id.values(), key=lambda m: (m.sent_at, m.id)):
            threads.setdefault(m.job_id or m.request_id or "", []).append(m)
        summaries = []
        for parent_id, messages in threads.items():
            answered_at = max(
                (m.sent_at for m in messages if m.author_role.value == "pro"),
                default=None,
            )
            waiting = [
                m.sent_at
                for m in messages
                if m.author_role.value == "customer"
                and (answered_at is None or m.sent_at > answered_at)
            ]
            job = self.jobs_by_id.get(parent_id)
            request = self.requests_by_id.get(parent_id)
            parent = job or request
            summaries.append(
                ThreadSummary(
                    parent_kind="job" if job else "request" if request else "",
                    parent_id=parent_id,
                    title=parent.title if parent else "",
                    customer_name=job.customer_name if job else "",
                    time_zone=parent.time_zone if parent else None,
                    message_count=len(messages),
                    last_message_at=messages[-1].sent_at,
                    waiting_since=min(waiting) if waiting else None,
                )
            )
        waiting_total = sum(1 for t in summaries if t.waiting_since is not None)
        if waiting_only:
            summaries = [t for t in summaries if t.waiting_since is not None]
        summaries.sort(
            key=lambda t: (
                t.waiting_since is None,
                t.waiting_since or FIXED_NOW,
                -(t.last_message_at or FIXED_NOW).timestamp(),
                t.parent_id,
            )
        )
        return ThreadPage(tuple(summaries[offset : offset + limit]), len(summaries), waiting_total)

    async def team(self) -> list[TeamMember]:
        """Team members by name."""
        return sorted(self.members.values(), key=lambda m: (m.name, m.id))

    async def compliance_documents(self) -> list[ComplianceDocument]:
        """Documents, soonest expiry first, never-expiring last."""
        return sorted(
            self.documents.values(),
            key=lambda d: (d.expires_on is None, d.expires_on or date.max, d.id),
        )

    async def reviews(
        self, *, limit: int = 50, offset: int = 0, technician_id: str | None = None
    ) -> list[ReviewRecord]:
        """Reviews newest first."""
        chosen = sorted(
            (
                r
                for r in self.reviews_by_id.values()
                if technician_id is None or r.technician_id == technician_id
            ),
            key=lambda r: (r.created_at, r.id),
            reverse=True,
        )[offset : offset + limit]
        out = []
        for r in chosen:
            job = self.jobs_by_id.get(r.job_id)
            out.append(ReviewRecord(r, job.title if job else "", job.customer_name if job else ""))
        return out

    async def review_stats(self) -> list[TechnicianRating]:
        """Count and sum per technician."""
        stats: dict[str | None, list[int]] = {}
        for r in self.reviews_by_id.values():
            entry = stats.setdefault(r.technician_id, [0, 0])
            entry[0] += 1
            entry[1] += r.rating
        return [
            TechnicianRating(t, c, s)
            for t, (c, s) in sorted(stats.items(), key=lambda i: i[0] or "")
        ]

    async def find_jobs(self, ids: Sequence[str]) -> dict[str, OfficeJob]:
        """Cached jobs among ``ids``."""
        return {j.id: j for j in self._office_jobs() if j.id in set(ids)}

    async def business_time_zone(self) -> str | None:
        """The configured zone (Los Angeles by default)."""
        return self.time_zone


def _conforms(repo: FakeOfficeRepository) -> OfficeRepository:
    """mypy --strict checks here that the fake satisfies the protocol."""
    return repo
