"""State of the office estimates report: how estimates fare, per technician and service.

Over a chosen period (30, 90 or 365 days of sending): counts by status (R3: sent
estimates wait for the customer, who accepts or declines, or lets them expire), the
conversion rate (accepted of sent) and the accepted revenue, per technician and per
service, as bars ready for a chart. A custom request names no catalogue service, so an
estimate's "service" is its request's title (the kind of work asked for).

Money stays integer cents; a bar's length is integer per-mille of the longest bar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from proapp.domain.enums import EstimateStatus
from proapp.domain.money import format_cents
from proapp.state.office_common import OfficeFollowingState, member_names
from proapp.state.office_ports import EstimateFact, OfficeContext
from proapp.state.ports import Route

__all__ = [
    "PERIODS",
    "Bar",
    "EstimatesReportState",
    "GroupFigures",
    "StatusCount",
    "group_figures",
]

PERIODS: tuple[int, ...] = (30, 90, 365)
"""Periods (days) the report offers."""

STATUS_TEXT: dict[EstimateStatus, str] = {
    EstimateStatus.SUBMITTED: "Sent, awaiting customer",
    EstimateStatus.ACCEPTED: "Accepted",
    EstimateStatus.DECLINED: "Declined",
    EstimateStatus.EXPIRED: "Expired",
    EstimateStatus.WITHDRAWN: "Withdrawn",
}


@dataclass(frozen=True)
class StatusCount:
    """How many estimates of the period are in one status."""

    status: EstimateStatus
    label: str
    count: int


@dataclass(frozen=True)
class GroupFigures:
    """A technician's or a service's figures."""

    key: str
    label: str
    sent: int
    accepted: int
    revenue_cents: int

    @property
    def conversion_permille(self) -> int:
        """Accepted of sent, in tenths of a percent (0 when nothing was sent)."""
        return self.accepted * 1000 // self.sent if self.sent else 0

    @property
    def conversion_text(self) -> str:
        """``42%`` (rounded down)."""
        return f"{self.conversion_permille // 10}%"

    @property
    def revenue_text(self) -> str:
        """Accepted revenue in dollars."""
        return format_cents(self.revenue_cents)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: ``length_permille`` of the longest bar (0..1000)."""

    key: str
    label: str
    value: int
    value_text: str
    length_permille: int


def group_figures(
    facts: Iterable[EstimateFact], key: Callable[[EstimateFact], str],
    label: Callable[[str], str],
) -> list[GroupFigures]:
    """Sent / accepted / accepted revenue per ``key`` (withdrawn estimates are not
    counted as sent: the customer never got to decide), most revenue first."""
    sums: dict[str, list[int]] = {}
    for fact in facts:
        if fact.status is EstimateStatus.WITHDRAWN:
            continue
        entry = sums.setdefault(key(fact), [0, 0, 0])
        entry[0] += 1
        if fact.status is EstimateStatus.ACCEPTED:
            entry[1] += 1
            entry[2] += fact.total_cents
    groups = [GroupFigures(k, label(k), s, a, r) for k, (s, a, r) in sums.items()]
    groups.sort(key=lambda g: (-g.revenue_cents, -g.accepted, g.label.casefold(), g.key))
    return groups


def _bars(groups: list[GroupFigures], value: Callable[[GroupFigures], int],
          text: Callable[[GroupFigures], str]) -> tuple[Bar, ...]:
    longest = max((value(g) for g in groups), default=0)
    return tuple(
        Bar(g.key, g.label, value(g), text(g), value(g) * 1000 // longest if longest else 0)
        for g in sorted(groups, key=lambda g: (-value(g), g.label.casefold(), g.key))
    )


def _service_key(fact: EstimateFact) -> str:
    # Titles typed by customers: "Faucet repair" and "faucet repair " are one service.
    return " ".join(fact.service.split()).casefold() or "(untitled)"


class EstimatesReportState(OfficeFollowingState):
    """The estimates report (see the module docstring).

    Route params (optional): ``days`` (one of `PERIODS`).
    """

    title = "Estimates"

    def __init__(self, ctx: OfficeContext, route: Route) -> None:
        super().__init__(ctx)
        days = int(route.params.get("days", "90"))
        self.days = days if days in PERIODS else 90
        self.status_counts: tuple[StatusCount, ...] = ()
        self.sent = 0
        self.accepted = 0
        self.revenue_cents = 0
        self.by_technician: tuple[GroupFigures, ...] = ()
        self.by_service: tuple[GroupFigures, ...] = ()
        self.conversion_by_technician: tuple[Bar, ...] = ()
        self.revenue_by_technician: tuple[Bar, ...] = ()
        self.conversion_by_service: tuple[Bar, ...] = ()
        self.revenue_by_service: tuple[Bar, ...] = ()

    @property
    def conversion_text(self) -> str:
        """The period's overall conversion, ``42%``."""
        return GroupFigures("", "", self.sent, self.accepted, 0).conversion_text

    @property
    def revenue_text(self) -> str:
        """The period's accepted revenue."""
        return format_cents(self.revenue_cents)

    async def _read(self) -> None:
        repo = self._ctx.repo
        names = member_names(await repo.team())
        since = self._ctx.clock() - timedelta(days=self.days)
        facts = await repo.estimates_since(since)
        counts = {status: 0 for status in STATUS_TEXT}
        for fact in facts:
            if fact.status in counts:
                counts[fact.status] += 1
        self.status_counts = tuple(StatusCount(s, STATUS_TEXT[s], n) for s, n in counts.items())
        overall = group_figures(facts, lambda _f: "all", lambda _k: "All")
        total = overall[0] if overall else GroupFigures("all", "All", 0, 0, 0)
        self.sent, self.accepted, self.revenue_cents = (
            total.sent, total.accepted, total.revenue_cents
        )
        self.by_technician = tuple(group_figures(
            facts, lambda f: f.technician_id or "",
            lambda k: names.get(k, "Former team member") if k else "Office (no technician)",
        ))
        spellings: dict[str, Counter[str]] = {}
        for fact in facts:
            spellings.setdefault(_service_key(fact), Counter())[fact.service.strip()] += 1
        # A service is shown as its most used spelling (ties: the first in order).
        service_labels = {
            key: min(counter.items(), key=lambda item: (-item[1], item[0]))[0] or "(untitled)"
            for key, counter in spellings.items()
        }
        self.by_service = tuple(
            group_figures(facts, _service_key, lambda k: service_labels.get(k, k))
        )
        self.conversion_by_technician = _bars(
            list(self.by_technician), lambda g: g.conversion_permille, lambda g: g.conversion_text
        )
        self.revenue_by_technician = _bars(
            list(self.by_technician), lambda g: g.revenue_cents, lambda g: g.revenue_text
        )
        self.conversion_by_service = _bars(
            list(self.by_service), lambda g: g.conversion_permille, lambda g: g.conversion_text
        )
        self.revenue_by_service = _bars(
            list(self.by_service), lambda g: g.revenue_cents, lambda g: g.revenue_text
        )
        self.loaded = True

    async def set_period(self, days: int) -> None:
        """Report over the last ``days`` days (one of `PERIODS`)."""
        if days not in PERIODS:
            raise ValueError(f"the report offers {PERIODS} days")
        self.days = days
        await self._read()
        self._notify()
