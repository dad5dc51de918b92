"""State of the office reviews screen: customers' ratings and comments per job and per
technician (R11: customers rate a job within 90 days of the order; pros see them).

Per-technician averages come from integer counts and sums the store aggregates (no
review is parsed for them); the list below is the newest reviews, one page at a time,
optionally narrowed to one technician.
"""

from __future__ import annotations

from dataclasses import dataclass

from proapp.domain import rules
from proapp.state.office_common import (
    DEFAULT_PAGE_SIZE,
    OfficeFollowingState,
    member_names,
)
from proapp.state.office_ports import OfficeContext, ReviewRecord, TechnicianRating
from proapp.state.ports import Route

__all__ = ["RatingRow", "ReviewRow", "ReviewsState", "average_text"]


def average_text(rating_sum: int, count: int) -> str:
    """``4.6`` (one decimal, rounded half up, integer arithmetic); ``–`` for none."""
    if count == 0:
        return "–"
    tenths = (rating_sum * 20 + count) // (2 * count)
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class RatingRow:
    """A technician's ratings (``technician_id`` None: reviews of unassigned jobs)."""

    technician_id: str | None
    name: str
    count: int
    average_text: str
    average_tenths: int  # for sorting and bar lengths (46 = 4.6 stars)


@dataclass(frozen=True)
class ReviewRow:
    """One review, ready to show."""

    review_id: str
    job_id: str
    job_title: str
    customer_name: str
    technician_name: str
    rating: int
    stars_text: str  # "★★★★☆"
    comment: str
    date_text: str
    route: Route


class ReviewsState(OfficeFollowingState):
    """Reviews (see the module docstring)."""

    title = "Reviews"

    def __init__(self, ctx: OfficeContext, route: Route, *,
                 page_size: int = DEFAULT_PAGE_SIZE) -> None:
        super().__init__(ctx)
        self.technician_id: str | None = route.params.get("technician_id")
        self.page_size = page_size
        self.page = 0
        self.has_more = False
        self.ratings: tuple[RatingRow, ...] = ()
        self.overall = RatingRow(None, "Everyone", 0, "–", 0)
        self.rows: tuple[ReviewRow, ...] = ()

    async def _read(self) -> None:
        repo = self._ctx.repo
        zone = await repo.business_time_zone() or "UTC"
        names = member_names(await repo.team())
        stats = await repo.review_stats()
        self.ratings = tuple(
            sorted((self._rating(s, names) for s in stats),
                   key=lambda r: (-r.average_tenths, -r.count, r.name.casefold()))
        )
        count = sum(s.count for s in stats)
        total = sum(s.rating_sum for s in stats)
        self.overall = RatingRow(None, "Everyone", count, average_text(total, count),
                                 _tenths(total, count))
        # One more than a page tells whether a next page exists without counting.
        records = await repo.reviews(limit=self.page_size + 1, offset=self.page * self.page_size,
                                     technician_id=self.technician_id)
        self.has_more = len(records) > self.page_size
        self.rows = tuple(self._row(r, names, zone) for r in records[: self.page_size])
        self.loaded = True

    @staticmethod
    def _rating(stat: TechnicianRating, names: dict[str, str]) -> RatingRow:
        name = (
            names.get(stat.technician_id, "Former team member")
            if stat.technician_id else "No technician"
        )
        return RatingRow(stat.technician_id, name, stat.count,
                         average_text(stat.rating_sum, stat.count),
                         _tenths(stat.rating_sum, stat.count))

    @staticmethod
    def _row(record: ReviewRecord, names: dict[str, str], zone: str) -> ReviewRow:
        review = record.review
        technician = (
            names.get(review.technician_id, "Former team member")
            if review.technician_id else "No technician"
        )
        return ReviewRow(
            review_id=review.id,
            job_id=review.job_id,
            job_title=record.job_title or "Job",
            customer_name=record.customer_name or "Customer",
            technician_name=technician,
            rating=review.rating,
            stars_text="★" * review.rating + "☆" * (5 - review.rating),
            comment=review.comment,
            # "Thu Nov 26": the date part of the one local-time format.
            date_text=rules.format_local(review.created_at, zone).split(",")[0],
            route=Route("job", {"job_id": review.job_id}),
        )

    async def show_technician(self, technician_id: str | None) -> None:
        """Only one technician's reviews (None: everyone's), from the first page."""
        self.technician_id = technician_id
        self.page = 0
        await self._read()
        self._notify()

    async def next_page(self) -> None:
        """Older reviews."""
        if self.has_more:
            self.page += 1
            await self._read()
            self._notify()

    async def previous_page(self) -> None:
        """Newer reviews."""
        if self.page > 0:
            self.page -= 1
            await self._read()
            self._notify()


def _tenths(rating_sum: int, count: int) -> int:
    return (rating_sum * 20 + count) // (2 * count) if count else 0
