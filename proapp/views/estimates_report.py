"""Estimates report (office desktop, issue 5): counts by status, and conversion and
accepted revenue per technician and per service as bar charts (flet-charts, which the
prebuilt web client already renders), each with the same figures in a table below for
screen readers and exact values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import flet as ft
import flet_charts as fch  # type: ignore[import-untyped]

from proapp.state.estimates_report import PERIODS, Bar, EstimatesReportState, GroupFigures
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    screen_header,
    toggle_button,
)

__all__ = ["EstimatesReportView", "bar_chart"]

MAX_BARS = 8
"""Bars per chart (the longest first); the table below lists every group."""
CHART_HEIGHT = 230


def _slug(key: str) -> str:
    """An identifier-safe form of a group key (service keys are titles)."""
    return "-".join("".join(c if c.isalnum() else " " for c in key.casefold()).split())


def _nice_ceiling(value: int) -> int:
    """The axis top: the next 1, 2 or 5 times a power of ten at or above ``value``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return max(1, factor * step)
        step *= 10


def _short(text: str, length: int = 12) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def bar_chart(identifier: str, title: str, bars: Sequence[Bar], *, percent: bool) -> ft.Control:
    """A labelled card with one vertical bar chart of ``bars`` (values are per-mille
    conversion or cents; the axis shows percent or whole dollars)."""
    shown = list(bars[:MAX_BARS])
    spoken = "; ".join(f"{b.label} {b.value_text}" for b in shown) or "no estimates"
    if not shown or all(b.value == 0 for b in shown):
        body: ft.Control = ft.Container(
            height=CHART_HEIGHT, alignment=ft.Alignment.CENTER,
            content=ft.Text("Nothing to chart in this period.", color=ft.Colors.ON_SURFACE_VARIANT),
        )  # fmt: skip
    else:
        # Display only: whole percent or whole dollars on the axis (money stays cents
        # in the state; nothing is computed from these numbers).
        values = [b.value // 10 if percent else b.value // 100 for b in shown]
        top = 100 if percent else _nice_ceiling(max(values))
        body = fch.BarChart(
            height=CHART_HEIGHT,
            max_y=top,
            min_y=0,
            interactive=True,
            groups=[
                fch.BarChartGroup(
                    x=index,
                    rods=[
                        fch.BarChartRod(
                            from_y=0,
                            to_y=value,
                            width=26,
                            color=ft.Colors.PRIMARY,
                            border_radius=ft.BorderRadius.only(top_left=4, top_right=4),
                            tooltip=f"{bar.label}: {bar.value_text}",
                        )
                    ],
                )
                for index, (bar, value) in enumerate(zip(shown, values, strict=True))
            ],
            bottom_axis=fch.ChartAxis(
                label_size=34,
                labels=[
                    fch.ChartAxisLabel(
                        value=index,
                        label=ft.Container(
                            padding=ft.Padding.only(top=6),
                            content=ft.Text(_short(bar.label), size=11),
                        ),
                    )
                    for index, bar in enumerate(shown)
                ],
            ),
            left_axis=fch.ChartAxis(label_size=52, title_size=0, show_labels=True),
            horizontal_grid_lines=fch.ChartGridLines(
                color=ft.Colors.OUTLINE_VARIANT, width=1, dash_pattern=[3, 3]
            ),
            tooltip=fch.BarChartTooltip(bgcolor=ft.Colors.INVERSE_SURFACE),
        )
    return labelled(
        identifier,
        f"Chart, {title}: {spoken}",
        ft.Container(
            padding=14,
            border_radius=12,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            content=ft.Column(
                [ft.Text(title, size=16, weight=ft.FontWeight.W_700), body],
                spacing=8,
                tight=True,
            ),
        ),
        expand=True,  # on the Row's direct child: the chart needs a bounded width
    )


class EstimatesReportView(OfficeScreen[EstimatesReportState]):
    """Renders `EstimatesReportState`."""

    title = "Estimates"
    prefix = "estimates"

    def render_loaded(self) -> None:
        """Period switch, status counts, four charts, two tables."""
        s = self.state
        periods: list[ft.Control] = [
            toggle_button(f"estimates-period-{days}", f"{days} days", days == s.days,
                          self._period_setter(days), label=f"Last {days} days")
            for days in PERIODS
        ]  # fmt: skip
        subtitle = (
            f"Last {s.days} days · {s.sent} sent · {s.accepted} accepted · "
            f"{s.conversion_text} conversion · {s.revenue_text} accepted"
        )
        content: list[ft.Control] = [
            screen_header("Estimates", subtitle, periods, prefix="estimates"),
            self._status_row(),
        ]
        if s.sent == 0 and not any(c.count for c in s.status_counts):
            content.append(
                empty_box("estimates-empty",
                          f"No estimates were sent in the last {s.days} days.",
                          ft.Icons.REQUEST_QUOTE_OUTLINED)
            )  # fmt: skip
        else:
            content += [
                ft.Row(
                    [
                        bar_chart("estimates-chart-conversion-technician",
                                  "Conversion by technician (%)", s.conversion_by_technician,
                                  percent=True),
                        bar_chart("estimates-chart-revenue-technician",
                                  "Accepted revenue by technician ($)",
                                  s.revenue_by_technician,
                                  percent=False),
                    ],
                    spacing=12,
                ),
                ft.Row(
                    [
                        bar_chart("estimates-chart-conversion-service",
                                  "Conversion by service (%)",
                                  s.conversion_by_service, percent=True),
                        bar_chart("estimates-chart-revenue-service",
                                  "Accepted revenue by service ($)", s.revenue_by_service,
                                  percent=False),
                    ],
                    spacing=12,
                ),
                ft.Row(
                    [
                        self._table("technician", "By technician", s.by_technician),
                        self._table("service", "By service", s.by_service),
                    ],
                    spacing=12,
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
            ]  # fmt: skip
        self._body.content = ft.Column(content, expand=True, spacing=14,
                                       scroll=ft.ScrollMode.AUTO)

    def _status_row(self) -> ft.Control:
        cards: list[ft.Control] = []
        for item in self.state.status_counts:
            cards.append(
                labelled(
                    f"estimates-status-{item.status.value.lower()}",
                    f"{item.label}: {item.count}",
                    ft.Container(
                        padding=12,
                        border_radius=12,
                        bgcolor=ft.Colors.SURFACE_CONTAINER,
                        content=ft.Column(
                            [
                                ft.Text(str(item.count), size=26, weight=ft.FontWeight.W_700),
                                ft.Text(item.label, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                            ],
                            spacing=0,
                            tight=True,
                        ),
                    ),
                    expand=True,
                )
            )
        return ft.Row(cards, spacing=10)

    def _table(self, kind: str, title: str, groups: Sequence[GroupFigures]) -> ft.Control:
        header = ft.Row(
            [
                ft.Text(title, expand=3, weight=ft.FontWeight.W_700),
                ft.Text("Sent", expand=1, weight=ft.FontWeight.W_700),
                ft.Text("Accepted", expand=1, weight=ft.FontWeight.W_700),
                ft.Text("Conversion", expand=2, weight=ft.FontWeight.W_700),
                ft.Text("Revenue", expand=2, weight=ft.FontWeight.W_700,
                        text_align=ft.TextAlign.RIGHT),
            ]
        )  # fmt: skip
        rows: list[ft.Control] = [header, ft.Divider(height=1)]
        for group in groups:
            rows.append(
                labelled(
                    f"estimates-{kind}-{_slug(group.key) or 'none'}",
                    f"{group.label}: {group.sent} sent, {group.accepted} accepted, "
                    f"{group.conversion_text} conversion, {group.revenue_text} revenue",
                    ft.Row(
                        [
                            ft.Text(group.label, expand=3, max_lines=1,
                                    overflow=ft.TextOverflow.ELLIPSIS),
                            ft.Text(str(group.sent), expand=1),
                            ft.Text(str(group.accepted), expand=1),
                            ft.Container(expand=2, content=badge(
                                group.conversion_text,
                                "ok" if group.conversion_permille >= 500 else "muted")),
                            ft.Text(group.revenue_text, expand=2, text_align=ft.TextAlign.RIGHT),
                        ]
                    ),
                )
            )  # fmt: skip
        if not groups:
            rows.append(ft.Text("None in this period.", color=ft.Colors.ON_SURFACE_VARIANT))
        return ft.Container(
            expand=True,
            padding=14,
            border_radius=12,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            content=ft.Column(rows, spacing=6, tight=True),
        )

    def _period_setter(self, days: int) -> Callable[[], Awaitable[None]]:
        async def choose() -> None:
            await self.state.set_period(days)

        return choose
