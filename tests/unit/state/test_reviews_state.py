"""ReviewsState: per-technician averages and the newest reviews with their jobs (R11)."""

from __future__ import annotations

from datetime import timedelta

from proapp.domain.enums import JobStatus
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from proapp.state.reviews import ReviewsState, average_text
from tests.support.fake_office import (
    MARCO_ID,
    TESS_ID,
    FakeOfficeRepository,
    async_test,
    make_member,
    make_review,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator, make_job


def test_average_is_rounded_half_up_with_integers() -> None:
    assert average_text(9, 2) == "4.5"
    assert average_text(14, 3) == "4.7"  # 4.666...
    assert average_text(13, 3) == "4.3"  # 4.333...
    assert average_text(0, 0) == "–"


async def _state(repo: FakeOfficeRepository, page_size: int = 50) -> ReviewsState:
    state = ReviewsState(
        OfficeContext(repo, FakeNavigator(), lambda: FIXED_NOW),
        Route("reviews"),
        page_size=page_size,
    )
    await state.load()
    return state


def _seed() -> FakeOfficeRepository:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    for n, (tech, rating) in enumerate(
        [(TESS_ID, 5), (TESS_ID, 4), (MARCO_ID, 3), (TESS_ID, 5), (None, 2)]
    ):
        job = repo.add_job(
            make_job(title=f"Job {n}", status=JobStatus.COMPLETED, customer_name=f"Customer {n}")
        )
        repo.add_review(
            make_review(
                job.id,
                tech,
                rating,
                comment=f"Comment {n}",
                created_at=FIXED_NOW - timedelta(days=10 - n),
            )
        )
    return repo


@async_test
async def test_ratings_per_technician_and_newest_reviews_first() -> None:
    state = await _state(_seed())
    assert [(r.name, r.count, r.average_text) for r in state.ratings] == [
        ("Tess Rivera", 3, "4.7"),
        ("Marco Chen", 1, "3.0"),
        ("No technician", 1, "2.0"),
    ]
    assert (state.overall.count, state.overall.average_text) == (5, "3.8")
    first = state.rows[0]
    assert (first.job_title, first.customer_name, first.technician_name) == (
        "Job 4",
        "Customer 4",
        "No technician",
    )
    assert first.stars_text == "★★☆☆☆" and first.comment == "Comment 4"
    assert first.date_text == "Fri Nov 20"  # 6 days before Thu Nov 26, local
    assert first.route.screen == "job"


@async_test
async def test_one_technicians_reviews_and_paging() -> None:
    state = await _state(_seed(), page_size=2)
    assert [r.job_title for r in state.rows] == ["Job 4", "Job 3"] and state.has_more
    await state.next_page()
    assert [r.job_title for r in state.rows] == ["Job 2", "Job 1"]
    await state.show_technician(TESS_ID)
    assert [r.job_title for r in state.rows] == ["Job 3", "Job 1"] and state.has_more
    await state.next_page()
    assert [r.job_title for r in state.rows] == ["Job 0"] and not state.has_more
    await state.next_page()  # nothing older: stays
    assert [r.job_title for r in state.rows] == ["Job 0"]
    await state.previous_page()
    assert state.page == 0
