"""What the office desktop's screen states need: the pro repository plus indexed reads.

`OfficeRepository` extends `proapp.state.ports.ProRepository` (staff act through the
same ``perform(command)``: assigning a technician is ``perform(JobAssignArgs(...))``,
applied optimistically and queued like any pro action). Its extra reads are local and
indexed (`proapp.sync.office.OfficeQueries`): they select a day, a status or a page
rather than the whole 10,000-job cache. The app wires
`proapp.sync.office.LocalOfficeRepository`; state tests use
``tests/support/fake_office.py``.

The record types are built by the sync layer and re-exported here, so office states
import everything from this module (state sits above sync).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from proapp.domain.models import ComplianceDocument
from proapp.state.ports import Navigator, ProRepository, ScreenContext
from proapp.sync.office import (
    EstimateFact,
    OfficeJob,
    OpenRequest,
    ReviewRecord,
    TeamMember,
    TechnicianRating,
    ThreadPage,
    ThreadSummary,
)

__all__ = [
    "EstimateFact",
    "OfficeContext",
    "OfficeJob",
    "OfficeRepository",
    "OpenRequest",
    "ReviewRecord",
    "TeamMember",
    "TechnicianRating",
    "ThreadPage",
    "ThreadSummary",
]


@runtime_checkable
class OfficeRepository(ProRepository, Protocol):
    """The signed-in office user's data on this device (reads never touch the network)."""

    async def board_jobs(self, start: datetime, end: datetime) -> list[OfficeJob]:
        """Jobs whose appointment window overlaps ``[start, end)``, by window start."""
        ...

    async def unassigned_jobs(self, limit: int = 500) -> list[OfficeJob]:
        """Open jobs (pending, scheduled, in progress) nobody is assigned to."""
        ...

    async def pending_jobs(self) -> list[OfficeJob]:
        """Jobs waiting for a confirmed arrival window (PENDING_SCHEDULE, R6)."""
        ...

    async def open_requests(self) -> list[OpenRequest]:
        """Every OPEN custom request, with whether the business answered it (R2)."""
        ...

    async def estimates_since(self, since: datetime) -> list[EstimateFact]:
        """Estimates sent at or after ``since`` (never drafts)."""
        ...

    async def message_threads(
        self, *, waiting_only: bool = False, limit: int = 50, offset: int = 0
    ) -> ThreadPage:
        """A page of threads: those waiting for a pro's answer first (R10)."""
        ...

    async def team(self) -> list[TeamMember]:
        """The business's pros, by name."""
        ...

    async def compliance_documents(self) -> list[ComplianceDocument]:
        """Every vetting document this device has (R13)."""
        ...

    async def reviews(
        self, *, limit: int = 50, offset: int = 0, technician_id: str | None = None
    ) -> list[ReviewRecord]:
        """Reviews newest first with their jobs (R11)."""
        ...

    async def review_stats(self) -> list[TechnicianRating]:
        """Count and sum of ratings per technician."""
        ...

    async def find_jobs(self, ids: Sequence[str]) -> dict[str, OfficeJob]:
        """The cached jobs among ``ids``."""
        ...

    async def business_time_zone(self) -> str | None:
        """The business's time zone (None before anything is cached)."""
        ...


@dataclass(frozen=True, slots=True)
class OfficeContext:
    """What every office screen state is built with (`ScreenContext` with an office
    repository)."""

    repo: OfficeRepository
    nav: Navigator
    clock: Callable[[], datetime]

    @classmethod
    def from_screen(cls, ctx: ScreenContext) -> OfficeContext:
        """The office context of a shell's `ScreenContext`.

        Raises:
            TypeError: the repository has no office reads (a field-app wiring).
        """
        if not isinstance(ctx.repo, OfficeRepository):
            raise TypeError("office screens need an OfficeRepository (LocalOfficeRepository)")
        return cls(ctx.repo, ctx.nav, ctx.clock)
