"""Reviews (office desktop, issue 5; R11): average ratings per technician (from the
store's counts and sums) and the newest reviews with their comments, one page at a
time; a technician narrows the list, a review opens its job beside the list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.reviews import RatingRow, ReviewRow, ReviewsState
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    pager,
    screen_header,
)

__all__ = ["ReviewsView"]


class ReviewsView(OfficeScreen[ReviewsState]):
    """Renders `ReviewsState`."""

    title = "Reviews"
    prefix = "reviews"

    def render_loaded(self) -> None:
        """Ratings per technician on the left, the reviews on the right."""
        s = self.state
        subtitle = f"{s.overall.count} reviews · average {s.overall.average_text} of 5"
        ratings: list[ft.Control] = [self._rating(s.overall, all_row=True)]
        ratings += [self._rating(r) for r in s.ratings]
        rows: ft.Control
        if s.rows:
            rows = ft.ListView([self._review(r) for r in s.rows], expand=True, spacing=8)
        else:
            rows = empty_box("reviews-empty", "No reviews yet.", ft.Icons.STAR_OUTLINE)
        narrowed = next((r.name for r in s.ratings if r.technician_id == s.technician_id
                         and s.technician_id is not None), None)  # fmt: skip
        self._body.content = ft.Column(
            [
                screen_header("Reviews", subtitle, prefix="reviews"),
                ft.Row(
                    [
                        ft.Container(
                            width=320,
                            content=labelled(
                                "reviews-ratings", "Average rating per technician",
                                ft.Column(ratings, spacing=6, scroll=ft.ScrollMode.AUTO),
                            ),
                        ),
                        ft.Column(
                            [
                                ft.Text(f"Reviews of {narrowed}" if narrowed
                                        else "Newest reviews", size=18,
                                        weight=ft.FontWeight.W_700),
                                labelled("reviews-list", "Reviews", rows, expand=True),
                                ft.Row([ft.Container(expand=True),
                                        pager("reviews", f"page {s.page + 1}",
                                              can_previous=s.page > 0, can_next=s.has_more,
                                              on_previous=s.previous_page,
                                              on_next=s.next_page)]),
                            ],
                            expand=True,
                            spacing=8,
                        ),
                    ],
                    expand=True,
                    spacing=16,
                    vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
            ],
            expand=True,
            spacing=10,
        )  # fmt: skip

    def _rating(self, rating: RatingRow, *, all_row: bool = False) -> ft.Control:
        s = self.state
        selected = (s.technician_id is None) if all_row else (
            rating.technician_id == s.technician_id and s.technician_id is not None)
        identifier = (
            "reviews-all" if all_row else f"reviews-technician-{rating.technician_id or 'none'}"
        )
        # Bar length of the average (display only: no money, no rounding that matters).
        stars = rating.average_tenths / 50 if rating.count else 0
        return labelled(
            identifier,
            f"{rating.name}: {rating.average_text} of 5 from {rating.count} reviews"
            f"{', selected' if selected else ''}",
            ft.Container(
                padding=10,
                border_radius=10,
                bgcolor=ft.Colors.SECONDARY_CONTAINER if selected else ft.Colors.SURFACE_CONTAINER,
                border=ft.Border.all(2, ft.Colors.PRIMARY) if selected else None,
                ink=True,
                on_click=self._narrow(None if all_row else rating.technician_id, all_row),
                content=ft.Column(
                    [
                        ft.Row([
                            ft.Text(rating.name, weight=ft.FontWeight.W_700, expand=True),
                            ft.Icon(ft.Icons.STAR, size=18, color=ft.Colors.PRIMARY),
                            ft.Text(rating.average_text, weight=ft.FontWeight.W_700),
                        ]),
                        ft.ProgressBar(value=stars, bar_height=6,
                                       color=ft.Colors.PRIMARY,
                                       bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
                        ft.Text(f"{rating.count} reviews", size=12,
                                color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                    spacing=4,
                    tight=True,
                ),
            ),
            button=True,
            selected=selected,
        )  # fmt: skip

    def _review(self, row: ReviewRow) -> ft.Control:
        low = row.rating <= 2
        return labelled(
            f"reviews-review-{row.review_id}",
            f"{row.rating} of 5 stars for {row.job_title} by {row.technician_name}, "
            f"from {row.customer_name} on {row.date_text}. {row.comment}",
            ft.Container(
                padding=12,
                border_radius=10,
                bgcolor=ft.Colors.ERROR_CONTAINER if low else ft.Colors.SURFACE_CONTAINER_LOW,
                ink=True,
                on_click=self._opener(row),
                content=ft.Column(
                    [
                        ft.Row(
                            [
                                _stars(row.rating, ft.Colors.ERROR if low else ft.Colors.PRIMARY),
                                ft.Text(row.job_title, weight=ft.FontWeight.W_700, expand=True,
                                        max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                                badge("Low rating", "error") if low else ft.Container(),
                                ft.Text(row.date_text, size=12,
                                        color=ft.Colors.ON_SURFACE_VARIANT),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        ),
                        ft.Text(row.comment or "(no comment)", size=14,
                                italic=not row.comment),
                        ft.Text(f"{row.customer_name} · technician {row.technician_name}",
                                size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                    spacing=4,
                    tight=True,
                ),
            ),
            button=True,
        )  # fmt: skip

    def _opener(self, row: ReviewRow) -> Callable[[], None]:
        def open_job() -> None:
            self.state.open(row.review_id)

        return open_job

    def _narrow(self, technician_id: str | None, all_row: bool) -> Callable[[], Awaitable[None]]:
        async def narrow() -> None:
            # "No technician" reviews have no id to narrow to: show everyone's.
            await self.state.show_technician(None if all_row else technician_id)

        return narrow


def _stars(rating: int, color: str) -> ft.Control:
    # Icons, not "★" characters: the bundled web font has no star glyph.
    return ft.Row(
        [ft.Icon(ft.Icons.STAR if i < rating else ft.Icons.STAR_BORDER, size=18, color=color)
         for i in range(5)],
        spacing=0,
        tight=True,
    )  # fmt: skip
