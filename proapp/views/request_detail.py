"""A custom request's detail screen: renders `RequestDetailState`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from proapp.state.request_detail import (
    Loading,
    NotFound,
    PhotoThumb,
    RequestDetail,
    RequestDetailState,
)
from proapp.views.screen_parts import (
    chip,
    info_line,
    notice,
    pending_chip,
    photo_thumb,
    primary_button,
    secondary_button,
    section_title,
)
from proapp.views.state_view import StateView
from proapp.views.theme import centered_column

__all__ = ["RequestDetailView"]


def _labelled(label: str, value: str) -> ft.Control:
    return ft.Column(
        [
            ft.Text(label, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(value, size=16, selectable=True),
        ],
        spacing=2,
    )


def _card(*controls: ft.Control) -> ft.Control:
    return ft.Card(
        variant=ft.CardVariant.FILLED,
        margin=0,
        content=ft.Container(padding=16, content=ft.Column(list(controls), spacing=10)),
    )


class RequestDetailView(StateView):
    """Scrolling details above a bar of actions that stays in reach of the thumb."""

    def __init__(self, state: RequestDetailState, refresh: Callable[[], None]) -> None:
        self._state = state
        self.title = state.title
        self._body = ft.Container(expand=True)
        self._details = ft.ListView(
            spacing=14,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            expand=True,
        )
        self._actions_holder = ft.Container()
        self._ready_column = ft.Column(
            [self._details, self._actions_holder], expand=True, spacing=0
        )
        self.control = ft.SafeArea(expand=True, content=self._body)
        self._follow(state, refresh)

    def render(self) -> None:
        """Show the current case (the caller updates the page)."""
        view = self._state.view
        if isinstance(view, Loading):
            self._body.content = ft.Container(
                alignment=ft.Alignment.CENTER,
                expand=True,
                content=ft.Semantics(
                    identifier="request-loading",
                    label="Loading the request",
                    content=ft.ProgressRing(),
                ),
            )
        elif isinstance(view, NotFound):
            self._body.content = ft.Container(
                padding=24,
                content=ft.Semantics(
                    identifier="request-not-found",
                    live_region=True,
                    content=ft.Text(view.message, size=16),
                ),
            )
        else:
            self._body.content = self._ready(view.detail)

    # ------------------------------------------------------------------ building

    def _ready(self, d: RequestDetail) -> ft.Control:
        chips: list[ft.Control] = []
        if d.overdue:
            chips.append(
                chip(
                    d.status_text,
                    ft.Colors.ERROR_CONTAINER,
                    ft.Colors.ON_ERROR_CONTAINER,
                    ft.Icons.ALARM,
                )
            )
        elif d.can_estimate:
            chips.append(
                chip(d.status_text, ft.Colors.PRIMARY_CONTAINER, ft.Colors.ON_PRIMARY_CONTAINER)
            )
        else:
            chips.append(
                chip(
                    d.status_text, ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT
                )
            )
        if d.pending:
            chips.append(pending_chip())

        sections: list[ft.Control] = [
            ft.Semantics(
                identifier="request-title",
                header=True,
                content=ft.Text(d.title, size=22, weight=ft.FontWeight.W_700),
            ),
            ft.Row(chips, wrap=True, spacing=8, run_spacing=4),
            ft.Semantics(
                identifier="request-deadlines",
                container=True,
                content=_card(
                    info_line(
                        ft.Icons.TIMER_OUTLINED,
                        d.estimate_due_text,
                        color=ft.Colors.ERROR if d.overdue else ft.Colors.ON_SURFACE,
                        bold=True,
                    ),
                    info_line(ft.Icons.EVENT_BUSY_OUTLINED, d.closes_text),
                    info_line(ft.Icons.SEND_OUTLINED, d.submitted_text),
                ),
            ),
        ]

        what: list[ft.Control] = [
            section_title("What the customer asked for"),
            ft.Semantics(
                identifier="request-description",
                content=ft.Text(d.description, size=16, selectable=True),
            ),
        ]
        if d.dimensions:
            what.append(_labelled("Dimensions", d.dimensions))
        if d.product_info:
            what.append(_labelled("Product or model", d.product_info))
        what.append(_labelled("Where", d.location_text))
        if d.address_text:
            what.append(_labelled("Address", d.address_text))
        sections.append(_card(*what))

        if d.photos:
            sections.append(section_title(f"Customer photos ({len(d.photos)})"))
            sections.append(
                ft.Row(
                    [self._thumb(photo, i, len(d.photos)) for i, photo in enumerate(d.photos, 1)],
                    wrap=True,
                    spacing=8,
                    run_spacing=8,
                )
            )

        if d.visits:
            sections.append(section_title("Your visit proposals"))
            for visit in d.visits:
                sections.append(
                    ft.Semantics(
                        identifier=f"request-visit-{visit.visit_id}",
                        container=True,
                        label=f"{visit.price_text}. {visit.status_text}. {visit.terms_text}",
                        content=_card(
                            ft.Text(visit.price_text, size=16, weight=ft.FontWeight.W_600),
                            info_line(ft.Icons.INFO_OUTLINE, visit.status_text),
                            info_line(ft.Icons.PERCENT, visit.terms_text),
                        ),
                    )
                )
        if d.estimates:
            sections.append(section_title("Your estimates"))
            for estimate in d.estimates:
                sections.append(
                    ft.Semantics(
                        identifier=f"request-estimate-{estimate.estimate_id}",
                        container=True,
                        label=(
                            f"Estimate {estimate.total_text}. {estimate.status_text}. "
                            f"{estimate.detail_text}"
                        ),
                        content=_card(
                            ft.Text(
                                f"Estimate {estimate.total_text}",
                                size=16,
                                weight=ft.FontWeight.W_600,
                            ),
                            info_line(ft.Icons.INFO_OUTLINE, estimate.status_text),
                            info_line(ft.Icons.LIST_ALT, estimate.detail_text),
                        ),
                    )
                )

        # The same ListView across re-renders (ticks, syncs): the scroll position stays.
        self._details.controls = [centered_column(section) for section in sections]
        self._actions_holder.content = self._actions(d)
        return self._ready_column

    def _thumb(self, photo: PhotoThumb, position: int, count: int) -> ft.Control:
        state = self._state

        async def clicked() -> None:
            state.open_photo(photo.blob_hash)

        return ft.Semantics(
            identifier=f"request-photo-{photo.blob_hash}",
            button=True,
            label=f"Customer photo {position} of {count}. Tap to enlarge.",
            content=ft.Container(
                content=photo_thumb(photo.data, pending=photo.pending),
                on_click=clicked,
                border_radius=12,
                ink=True,
            ),
        )

    def _actions(self, d: RequestDetail) -> ft.Control:
        state = self._state
        enabled = d.can_estimate
        estimate = primary_button(
            d.estimate_action_text, self._call(state.draft_estimate), icon=ft.Icons.REQUEST_QUOTE
        )
        estimate.disabled = not enabled
        visit = secondary_button(
            "Propose a visit",
            self._call(state.propose_visit),
            icon=ft.Icons.DIRECTIONS_CAR,
            expand=True,
        )
        visit.disabled = not enabled
        ask = secondary_button(
            "Ask a question",
            self._call(state.ask_question),
            icon=ft.Icons.CHAT_OUTLINED,
            expand=True,
        )
        rows: list[ft.Control] = []
        if d.actions_disabled_reason:
            rows.append(
                ft.Semantics(
                    identifier="request-closed-reason",
                    live_region=True,
                    content=notice(
                        d.actions_disabled_reason,
                        icon=ft.Icons.LOCK_CLOCK,
                        background=ft.Colors.ERROR_CONTAINER,
                        foreground=ft.Colors.ON_ERROR_CONTAINER,
                    ),
                )
            )
        why = f" Not available: {d.actions_disabled_reason}" if not enabled else ""
        rows += [
            ft.Semantics(
                identifier="request-draft-estimate",
                button=True,
                hint_text=why.strip() or None,
                label=d.estimate_action_text,
                content=ft.Row([ft.Container(estimate, expand=True)]),
            ),
            ft.Row(
                [
                    ft.Semantics(
                        identifier="request-ask",
                        button=True,
                        label="Ask the customer a question",
                        content=ft.Container(ask, expand=True),
                        expand=True,
                    ),
                    ft.Semantics(
                        identifier="request-propose-visit",
                        button=True,
                        hint_text=why.strip() or None,
                        label="Propose an on-site visit",
                        content=ft.Container(visit, expand=True),
                        expand=True,
                    ),
                ],
                spacing=8,
            ),
        ]
        return ft.Container(
            bgcolor=ft.Colors.SURFACE_CONTAINER,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            content=centered_column(ft.Column(rows, spacing=8, tight=True)),
        )

    @staticmethod
    def _call(action: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        async def clicked() -> None:
            action()

        return clicked
