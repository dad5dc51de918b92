"""State of the jobs screen: the signed-in pro's jobs, as a closed set of cases.

For this first screen the jobs come straight from the API; when the local store lands
(offline-first, DESIGN.md section 3) `JobsState` will read the repository instead and
the view will not change: it only sees `JobsViewState`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from proapp.api.errors import ApiError, AuthenticationError
from proapp.api.ports import MarketplaceApi, collect_pages
from proapp.domain.enums import JobStatus
from proapp.domain.models import Job, TimeWindow
from proapp.domain.money import format_cents
from proapp.state.formatting import format_window, job_place, status_label
from proapp.state.observable import Observable

__all__ = [
    "Empty",
    "Failed",
    "JobRow",
    "JobsState",
    "JobsViewState",
    "Loading",
    "Ready",
    "job_rows",
    "next_window",
]

# Order among jobs whose next window starts at the same time: what needs the pro first.
_STATUS_RANK: dict[JobStatus, int] = {
    JobStatus.IN_PROGRESS: 0,
    JobStatus.SCHEDULED: 1,
    JobStatus.PENDING_SCHEDULE: 2,
    JobStatus.COMPLETED: 3,
    JobStatus.NOT_SERVICED: 4,
    JobStatus.CANCELLED: 5,
}
_FINISHED = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.NOT_SERVICED})
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JobRow:
    """One line of the jobs list, ready to show."""

    job_id: str
    title: str
    place: str
    status: JobStatus
    status_text: str
    window_text: str
    price_text: str


@dataclass(frozen=True)
class Loading:
    """Jobs are being fetched."""


@dataclass(frozen=True)
class Ready:
    """Jobs to show, in display order."""

    rows: tuple[JobRow, ...]


@dataclass(frozen=True)
class Empty:
    """Fetched fine; this pro has no jobs."""

    message: str = "No jobs yet. New jobs assigned to you will show up here."


@dataclass(frozen=True)
class Failed:
    """Fetching failed. ``sign_in_again`` when only a new sign-in can fix it."""

    message: str
    sign_in_again: bool = False


JobsViewState = Loading | Ready | Empty | Failed


def next_window(job: Job) -> tuple[TimeWindow | None, bool]:
    """The window to show and sort by, and whether it is confirmed.

    The appointment's window once confirmed; before that, the earliest window the
    customer offered (R6), marked unconfirmed.
    """
    if job.appointment is not None:
        return job.appointment.window, True
    offered = sorted((pw.window for pw in job.preferred_windows), key=lambda w: w.start)
    return (offered[0], False) if offered else (None, False)


def _sort_key(job: Job) -> tuple[bool, datetime, int, str, str]:
    window, _ = next_window(job)
    return (
        job.status in _FINISHED,  # finished jobs sink to the bottom
        window.start if window is not None else _LATEST,
        _STATUS_RANK.get(job.status, len(_STATUS_RANK)),
        job.title.casefold(),
        job.id,  # total order: the same jobs always show in the same order
    )


def job_rows(jobs: Sequence[Job], now: datetime) -> tuple[JobRow, ...]:
    """Rows sorted by next window (unfinished first), then status, then title."""
    rows = []
    for job in sorted(jobs, key=_sort_key):
        window, confirmed = next_window(job)
        if window is None:
            window_text = "No arrival window yet"
        elif confirmed:
            window_text = format_window(window, job.time_zone, now)
        else:
            window_text = f"Customer prefers {format_window(window, job.time_zone, now)}"
        rows.append(
            JobRow(
                job_id=job.id,
                title=job.title,
                place=job_place(job),
                status=job.status,
                status_text=status_label(job.status),
                window_text=window_text,
                price_text=format_cents(job.price_cents),
            )
        )
    return tuple(rows)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class JobsState(Observable):
    """The jobs screen: `load` fetches every page of jobs; `view` is what to show.

    Args:
        api: a signed-in marketplace client.
        user_name: shown in the header ("Tess Rivera").
        on_sign_out: awaited when the pro asks to sign out (or must sign in again).
        clock: "now" in UTC; decides "Today"/"Tomorrow" labels.
    """

    def __init__(
        self,
        api: MarketplaceApi,
        *,
        user_name: str,
        on_sign_out: Callable[[], Awaitable[None]],
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__()
        self._api = api
        self._on_sign_out = on_sign_out
        self._clock = clock
        self.user_name = user_name
        self.view: JobsViewState = Loading()
        self._loading = False

    async def load(self) -> None:
        """Fetch all jobs and move to Ready, Empty or Failed. A second call while one
        is running does nothing (a double tap on "Try again")."""
        if self._loading:
            return
        self._loading = True
        self.view = Loading()
        self._notify()
        try:
            jobs = await collect_pages(lambda token: self._api.list_jobs(page_token=token))
        except AuthenticationError as exc:
            self.view = Failed(exc.message, sign_in_again=True)
        except ApiError as exc:
            self.view = Failed(exc.message)
        else:
            rows = job_rows(jobs, self._clock())
            self.view = Ready(rows) if rows else Empty()
        finally:
            self._loading = False
        self._notify()

    async def sign_out(self) -> None:
        """Forward the pro's "Sign out" to the app."""
        await self._on_sign_out()
