"""State machines of the domain, as explicit transition tables.

Every status change on the server goes through `ensure_transition`; the client uses
`can_transition` to decide which actions to offer. A state with no outgoing transitions
is terminal: nothing leaves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from proapp.domain.enums import (
    AppointmentStatus,
    ChangeOrderStatus,
    EstimateStatus,
    JobStatus,
    RequestStatus,
    VisitStatus,
)
from proapp.domain.errors import DomainError, ErrorCode

__all__ = [
    "INITIAL_STATES",
    "TRANSITIONS",
    "EntityKind",
    "allowed_next",
    "can_transition",
    "ensure_transition",
    "is_terminal",
    "states_of",
    "terminal_states",
]


class EntityKind(StrEnum):
    """The things that have a status."""

    REQUEST = "request"
    ESTIMATE = "estimate"
    VISIT = "visit"
    JOB = "job"
    APPOINTMENT = "appointment"
    CHANGE_ORDER = "change_order"


_Table = Mapping[str, frozenset[str]]


def _table(rows: dict[StrEnum, set[StrEnum]], every: type[StrEnum]) -> _Table:
    # Terminal states are listed with an empty set; check the table names every state
    # so a new enum member cannot silently become a dead end.
    missing = {s.value for s in every} - {s.value for s in rows}
    if missing:  # pragma: no cover - import-time guard
        raise AssertionError(f"{every.__name__} states without a row: {sorted(missing)}")
    return MappingProxyType({k.value: frozenset(v.value for v in vs) for k, vs in rows.items()})


_R, _E, _V = RequestStatus, EstimateStatus, VisitStatus
_J, _A, _C = JobStatus, AppointmentStatus, ChangeOrderStatus

TRANSITIONS: Mapping[EntityKind, _Table] = MappingProxyType(
    {
        # R2: OPEN until closes_at; an estimate sent in time may still be booked after.
        EntityKind.REQUEST: _table(
            {_R.OPEN: {_R.CLOSED, _R.BOOKED}, _R.CLOSED: {_R.BOOKED}, _R.BOOKED: set()},
            RequestStatus,
        ),
        # R3: a draft is sent or discarded; the customer decides on a sent one.
        EntityKind.ESTIMATE: _table(
            {
                _E.DRAFT: {_E.SUBMITTED, _E.WITHDRAWN},
                _E.SUBMITTED: {_E.WITHDRAWN, _E.ACCEPTED, _E.DECLINED, _E.EXPIRED},
                _E.WITHDRAWN: set(),
                _E.ACCEPTED: set(),
                _E.DECLINED: set(),
                _E.EXPIRED: set(),
            },
            EstimateStatus,
        ),
        # R4: only an accepted visit can be scheduled.
        EntityKind.VISIT: _table(
            {
                _V.PROPOSED: {_V.ACCEPTED, _V.DECLINED, _V.WITHDRAWN},
                _V.ACCEPTED: {_V.SCHEDULED, _V.CANCELLED},
                _V.SCHEDULED: {_V.COMPLETED, _V.CANCELLED},
                _V.DECLINED: set(),
                _V.WITHDRAWN: set(),
                _V.COMPLETED: set(),
                _V.CANCELLED: set(),
            },
            VisitStatus,
        ),
        # R6 confirm a window; R7 the customer's reschedule puts the job back to
        # PENDING_SCHEDULE (new preferred windows); R5 a defective product ends the job
        # NOT_SERVICED; R9 completion is signed.
        EntityKind.JOB: _table(
            {
                _J.PENDING_SCHEDULE: {_J.SCHEDULED, _J.CANCELLED},
                _J.SCHEDULED: {
                    _J.PENDING_SCHEDULE,
                    _J.IN_PROGRESS,
                    _J.CANCELLED,
                    _J.NOT_SERVICED,
                },
                _J.IN_PROGRESS: {_J.COMPLETED, _J.NOT_SERVICED},
                _J.COMPLETED: set(),
                _J.CANCELLED: set(),
                _J.NOT_SERVICED: set(),
            },
            JobStatus,
        ),
        EntityKind.APPOINTMENT: _table(
            {
                _A.ACTIVE: {_A.CANCELLED, _A.COMPLETED},
                _A.CANCELLED: set(),
                _A.COMPLETED: set(),
            },
            AppointmentStatus,
        ),
        # R8: created already signed; it can only be voided.
        EntityKind.CHANGE_ORDER: _table(
            {_C.SIGNED: {_C.VOID}, _C.VOID: set()},
            ChangeOrderStatus,
        ),
    }
)

INITIAL_STATES: Mapping[EntityKind, str] = MappingProxyType(
    {
        EntityKind.REQUEST: RequestStatus.OPEN.value,
        EntityKind.ESTIMATE: EstimateStatus.DRAFT.value,
        EntityKind.VISIT: VisitStatus.PROPOSED.value,
        EntityKind.JOB: JobStatus.PENDING_SCHEDULE.value,
        EntityKind.APPOINTMENT: AppointmentStatus.ACTIVE.value,
        EntityKind.CHANGE_ORDER: ChangeOrderStatus.SIGNED.value,
    }
)
"""The state each thing is created in."""


def _rows(kind: EntityKind | str) -> _Table:
    try:
        return TRANSITIONS[EntityKind(kind)]
    except ValueError as exc:
        raise ValueError(f"unknown entity kind {kind!r}") from exc


def states_of(kind: EntityKind | str) -> frozenset[str]:
    """Every state of ``kind``."""
    return frozenset(_rows(kind))


def allowed_next(kind: EntityKind | str, state: str) -> frozenset[str]:
    """States reachable from ``state`` in one step (empty for terminal or unknown)."""
    return _rows(kind).get(str(state), frozenset())


def terminal_states(kind: EntityKind | str) -> frozenset[str]:
    """States nothing leaves."""
    return frozenset(state for state, nxt in _rows(kind).items() if not nxt)


def is_terminal(kind: EntityKind | str, state: str) -> bool:
    """True if nothing leaves ``state``."""
    return str(state) in terminal_states(kind)


def can_transition(kind: EntityKind | str, from_state: str, to_state: str) -> bool:
    """True if ``kind`` may go from ``from_state`` to ``to_state`` in one step.

    Staying in the same state is not a transition and returns False.
    """
    return str(to_state) in allowed_next(kind, from_state)


def ensure_transition(kind: EntityKind | str, from_state: str, to_state: str) -> None:
    """Raise unless the transition is allowed.

    Raises:
        DomainError: code ``invalid_transition``, naming both states.
    """
    if can_transition(kind, from_state, to_state):
        return
    entity = EntityKind(kind).value.replace("_", " ")
    src, dst = str(from_state), str(to_state)
    raise DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"This {entity} is {src} and cannot become {dst}. "
        "Refresh to see its current state, then try again if it still applies.",
        {
            "kind": EntityKind(kind).value,
            "from": src,
            "to": dst,
            "allowed": sorted(allowed_next(kind, src)),
        },
    )
