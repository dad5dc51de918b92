from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proapp.domain import (
    INITIAL_STATES,
    TRANSITIONS,
    AppointmentStatus,
    ChangeOrderStatus,
    DomainError,
    EntityKind,
    EstimateStatus,
    JobStatus,
    RequestStatus,
    VisitStatus,
    allowed_next,
    can_transition,
    ensure_transition,
    is_terminal,
    states_of,
    terminal_states,
)

ENUMS = {
    EntityKind.REQUEST: RequestStatus,
    EntityKind.ESTIMATE: EstimateStatus,
    EntityKind.VISIT: VisitStatus,
    EntityKind.JOB: JobStatus,
    EntityKind.APPOINTMENT: AppointmentStatus,
    EntityKind.CHANGE_ORDER: ChangeOrderStatus,
}

EXPECTED_TERMINALS = {
    EntityKind.REQUEST: {"BOOKED"},
    EntityKind.ESTIMATE: {"WITHDRAWN", "ACCEPTED", "DECLINED", "EXPIRED"},
    EntityKind.VISIT: {"DECLINED", "WITHDRAWN", "COMPLETED", "CANCELLED"},
    EntityKind.JOB: {"COMPLETED", "CANCELLED", "NOT_SERVICED"},
    EntityKind.APPOINTMENT: {"CANCELLED", "COMPLETED"},
    EntityKind.CHANGE_ORDER: {"VOID"},
}


def reachable(kind: EntityKind) -> set[str]:
    seen = {INITIAL_STATES[kind]}
    queue = deque(seen)
    while queue:
        for nxt in allowed_next(kind, queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("kind", list(EntityKind))
def test_tables_cover_every_enum_state(kind: EntityKind) -> None:
    assert states_of(kind) == {s.value for s in ENUMS[kind]}
    for targets in TRANSITIONS[kind].values():
        assert targets <= states_of(kind)


@pytest.mark.parametrize("kind", list(EntityKind))
def test_every_state_is_reachable_from_the_initial_one(kind: EntityKind) -> None:
    assert reachable(kind) == states_of(kind)


@pytest.mark.parametrize("kind", list(EntityKind))
def test_terminal_states_are_the_expected_ones_and_nothing_leaves_them(
    kind: EntityKind,
) -> None:
    assert terminal_states(kind) == EXPECTED_TERMINALS[kind]
    for terminal in terminal_states(kind):
        assert is_terminal(kind, terminal)
        for target in states_of(kind):
            assert not can_transition(kind, terminal, target)


@pytest.mark.parametrize("kind", list(EntityKind))
def test_every_state_can_reach_a_terminal_state(kind: EntityKind) -> None:
    # No dead loops: from anywhere, something ends the entity's life.
    for state in states_of(kind):
        seen, queue = {state}, deque([state])
        while queue:
            for nxt in allowed_next(kind, queue.popleft()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        assert seen & terminal_states(kind)


@pytest.mark.parametrize(
    ("kind", "src", "dst", "ok"),
    [
        ("job", JobStatus.PENDING_SCHEDULE, JobStatus.SCHEDULED, True),
        ("job", JobStatus.PENDING_SCHEDULE, JobStatus.IN_PROGRESS, False),
        ("job", JobStatus.SCHEDULED, JobStatus.NOT_SERVICED, True),  # R5 defective
        ("job", JobStatus.IN_PROGRESS, JobStatus.COMPLETED, True),
        ("job", JobStatus.COMPLETED, JobStatus.SCHEDULED, False),
        ("job", JobStatus.SCHEDULED, JobStatus.SCHEDULED, False),  # no self loop
        ("visit", VisitStatus.PROPOSED, VisitStatus.SCHEDULED, False),  # R4
        ("visit", VisitStatus.ACCEPTED, VisitStatus.SCHEDULED, True),
        ("estimate", EstimateStatus.DRAFT, EstimateStatus.ACCEPTED, False),
        ("estimate", EstimateStatus.SUBMITTED, EstimateStatus.WITHDRAWN, True),
        ("request", RequestStatus.CLOSED, RequestStatus.OPEN, False),
        ("request", RequestStatus.CLOSED, RequestStatus.BOOKED, True),
        ("change_order", ChangeOrderStatus.SIGNED, ChangeOrderStatus.VOID, True),
        ("change_order", ChangeOrderStatus.VOID, ChangeOrderStatus.SIGNED, False),
        ("appointment", AppointmentStatus.ACTIVE, AppointmentStatus.COMPLETED, True),
    ],
)
def test_examples(kind: str, src: str, dst: str, ok: bool) -> None:
    assert can_transition(kind, src, dst) is ok


def test_ensure_transition_names_both_states() -> None:
    ensure_transition(EntityKind.JOB, "SCHEDULED", "IN_PROGRESS")
    with pytest.raises(DomainError) as info:
        ensure_transition(EntityKind.JOB, JobStatus.COMPLETED, JobStatus.IN_PROGRESS)
    err = info.value
    assert err.code == "invalid_transition"
    assert "COMPLETED" in err.message and "IN_PROGRESS" in err.message
    assert err.details == {"kind": "job", "from": "COMPLETED", "to": "IN_PROGRESS", "allowed": []}


def test_unknown_kind_and_state() -> None:
    with pytest.raises(ValueError):
        can_transition("invoice", "A", "B")
    assert not can_transition("job", "NOPE", "SCHEDULED")
    assert allowed_next("job", "NOPE") == frozenset()


@st.composite
def walks(draw: st.DrawFn) -> tuple[EntityKind, list[str]]:
    kind = draw(st.sampled_from(list(EntityKind)))
    every = sorted(states_of(kind))
    return kind, draw(st.lists(st.sampled_from(every), max_size=12))


@settings(max_examples=200, deadline=None)
@given(walks())
def test_random_walks_only_follow_the_table(walk: tuple[EntityKind, list[str]]) -> None:
    kind, attempts = walk
    state = INITIAL_STATES[kind]
    for target in attempts:
        allowed = target in TRANSITIONS[kind][state]
        if allowed:
            ensure_transition(kind, state, target)
            state = target
        else:
            with pytest.raises(DomainError):
                ensure_transition(kind, state, target)
        if is_terminal(kind, state):
            assert allowed_next(kind, state) == frozenset()


EXPECTED_EDGES = {
    EntityKind.REQUEST: {("OPEN", "CLOSED"), ("OPEN", "BOOKED"), ("CLOSED", "BOOKED")},
    EntityKind.ESTIMATE: {
        ("DRAFT", "SUBMITTED"),
        ("DRAFT", "WITHDRAWN"),
        ("SUBMITTED", "WITHDRAWN"),
        ("SUBMITTED", "ACCEPTED"),
        ("SUBMITTED", "DECLINED"),
        ("SUBMITTED", "EXPIRED"),
    },
    EntityKind.VISIT: {
        ("PROPOSED", "ACCEPTED"),
        ("PROPOSED", "DECLINED"),
        ("PROPOSED", "WITHDRAWN"),
        ("ACCEPTED", "SCHEDULED"),
        ("ACCEPTED", "CANCELLED"),
        ("SCHEDULED", "COMPLETED"),
        ("SCHEDULED", "CANCELLED"),
    },
    EntityKind.JOB: {
        ("PENDING_SCHEDULE", "SCHEDULED"),
        ("PENDING_SCHEDULE", "CANCELLED"),
        ("SCHEDULED", "PENDING_SCHEDULE"),
        ("SCHEDULED", "IN_PROGRESS"),
        ("SCHEDULED", "CANCELLED"),
        ("SCHEDULED", "NOT_SERVICED"),
        ("IN_PROGRESS", "COMPLETED"),
        ("IN_PROGRESS", "NOT_SERVICED"),
    },
    EntityKind.APPOINTMENT: {("ACTIVE", "CANCELLED"), ("ACTIVE", "COMPLETED")},
    EntityKind.CHANGE_ORDER: {("SIGNED", "VOID")},
}


@pytest.mark.parametrize("kind", list(EntityKind))
def test_transition_tables_are_exactly_the_agreed_ones(kind: EntityKind) -> None:
    # The tables are a contract between client and server: a change here must be a
    # deliberate change to this list too.
    edges = {(src, dst) for src, targets in TRANSITIONS[kind].items() for dst in targets}
    assert edges == EXPECTED_EDGES[kind]
    for src in states_of(kind):
        for dst in states_of(kind):
            assert can_transition(kind, src, dst) is ((src, dst) in EXPECTED_EDGES[kind])
