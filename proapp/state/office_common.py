"""Small pieces shared by the office desktop's states (no Flet import): names of team
members, local clock ranges, waiting times, paging, and the repository-following base.

Office screens run on a wide screen all day, next to the field app's states; they
reuse `proapp.state.schedule.RepoFollowingState` (re-read on every local action or sync,
one read at a time) through `OfficeFollowingState`, which adds the office context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from proapp.domain.enums import Role
from proapp.state.formatting import format_clock
from proapp.state.office_ports import OfficeContext, TeamMember
from proapp.state.schedule import RepoFollowingState

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "OfficeFollowingState",
    "Paging",
    "clock_range",
    "local_today",
    "member_names",
    "names_text",
    "technicians",
    "waited_text",
]

DEFAULT_PAGE_SIZE = 50
"""Rows per page of office tables (the view shows one page; memory stays flat)."""


class OfficeFollowingState(RepoFollowingState):
    """Base of office states: follows the office repository like the field screens do."""

    def __init__(self, ctx: OfficeContext) -> None:
        super().__init__(ctx.repo)
        self._ctx = ctx
        self.loaded = False
        self.error: str | None = None


def member_names(members: Iterable[TeamMember]) -> dict[str, str]:
    """Team member id -> name."""
    return {m.id: m.name for m in members}


def names_text(ids: Iterable[str], names: Mapping[str, str], empty: str = "Unassigned") -> str:
    """``Tess Rivera, Marco Chen`` (unknown ids as "Former team member")."""
    shown = [names.get(i, "Former team member") for i in ids]
    return ", ".join(shown) if shown else empty


def technicians(members: Iterable[TeamMember]) -> list[TeamMember]:
    """Active technicians by name: the people work is assigned to."""
    return sorted(
        (m for m in members if m.role is Role.TECHNICIAN and m.active),
        key=lambda m: (m.name.casefold(), m.id),
    )


def clock_range(start: datetime, end: datetime, time_zone: str) -> str:
    """``9:00 AM – 11:00 AM PST`` in ``time_zone``."""
    zone = ZoneInfo(time_zone)
    local_end = end.astimezone(zone)
    return (
        f"{format_clock(start.astimezone(zone))} – {format_clock(local_end)} "
        f"{local_end.tzname() or ''}"
    ).rstrip()


def local_today(now: datetime, time_zone: str) -> date:
    """Today's date in ``time_zone``."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def waited_text(since: datetime, now: datetime) -> str:
    """How long something has waited: ``45 min``, ``3 h 20 min``, ``2 d 4 h``."""
    waited = max(now - since, timedelta(0))
    minutes = waited // timedelta(minutes=1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class Paging:
    """Which page of ``total`` rows is shown (0-based ``page``)."""

    page: int
    page_size: int
    total: int

    @property
    def page_count(self) -> int:
        """At least 1 (an empty table is one empty page)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def start(self) -> int:
        """Index of the page's first row."""
        return self.page * self.page_size

    @property
    def text(self) -> str:
        """``51–100 of 734`` (``0 of 0`` when empty)."""
        if self.total == 0:
            return "0 of 0"
        end = min(self.start + self.page_size, self.total)
        return f"{self.start + 1}–{end} of {self.total}"

    def clamped(self, page: int) -> Paging:
        """The same paging on ``page``, kept within the existing pages."""
        return Paging(min(max(page, 0), self.page_count - 1), self.page_size, self.total)
