"""TeamState: technicians with their documents and standing, 30-day expiry warnings and
missing documents (R13), counted in the business's time zone."""

from __future__ import annotations

from datetime import date, timedelta

from proapp.domain.enums import ComplianceKind, Role
from proapp.domain.rules import ComplianceStanding
from proapp.state.office_ports import OfficeContext
from proapp.state.ports import Route
from proapp.state.team import TeamState
from tests.support.fake_office import (
    DISPATCHER_ID,
    MARCO_ID,
    PRIYA_ID,
    TESS_ID,
    FakeOfficeRepository,
    async_test,
    make_document,
    make_member,
)
from tests.support.fake_repo import FIXED_NOW, FakeNavigator

TODAY = date(2026, 11, 26)  # FIXED_NOW in Los Angeles


def _complete(repo: FakeOfficeRepository, user_id: str, **insurance: object) -> None:
    repo.add_document(make_document(user_id, ComplianceKind.BACKGROUND_CHECK))
    repo.add_document(make_document(user_id, ComplianceKind.CRIMINAL_BACKGROUND_CHECK))
    repo.add_document(make_document(user_id, ComplianceKind.INSURANCE, **insurance))  # type: ignore[arg-type]


async def _state(repo: FakeOfficeRepository) -> TeamState:
    state = TeamState(OfficeContext(repo, FakeNavigator(), lambda: FIXED_NOW), Route("team"))
    await state.load()
    return state


@async_test
async def test_documents_standing_and_warnings() -> None:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen"))
    repo.add_member(make_member(PRIYA_ID, "Priya Patel"))
    repo.add_member(make_member(DISPATCHER_ID, "Dana Dispatch", Role.DISPATCHER))
    _complete(repo, TESS_ID, expires_on=TODAY + timedelta(days=365))
    _complete(repo, MARCO_ID, expires_on=TODAY + timedelta(days=30))  # warned: 30 days ahead
    repo.add_document(
        make_document(PRIYA_ID, ComplianceKind.INSURANCE, expires_on=TODAY - timedelta(days=1))
    )
    repo.add_document(make_document(PRIYA_ID, ComplianceKind.LICENSE, verified=False))

    state = await _state(repo)
    assert state.today == TODAY
    members = {m.name: m for m in state.members}
    tess, marco, priya = members["Tess Rivera"], members["Marco Chen"], members["Priya Patel"]
    assert (tess.standing_text, tess.warn, tess.missing) == ("Valid", False, ())
    insurance = next(d for d in marco.documents if d.kind is ComplianceKind.INSURANCE)
    assert insurance.standing is ComplianceStanding.EXPIRING_SOON and insurance.warn
    assert insurance.expires_text == "Expires Dec 26, 2026 (in 30 days)"
    assert marco.standing_text == "Expires soon"
    assert priya.missing == ("Background check", "Criminal background check")
    assert priya.standing_text == "Expired"
    expired = next(d for d in priya.documents if d.kind is ComplianceKind.INSURANCE)
    assert expired.expires_text == "Expired Nov 25, 2026 (1 days ago)"
    dana = members["Dana Dispatch"]
    assert (dana.role_text, dana.missing, dana.standing_text) == ("Dispatcher", (), "No documents")
    # Members needing attention first.
    assert [m.name for m in state.members][:2] == ["Marco Chen", "Priya Patel"]

    assert [(w.name, w.text, w.expired) for w in state.warnings] == [
        ("Priya Patel", "Missing: Background check, Criminal background check", False),
        ("Priya Patel", "Insurance: Expired Nov 25, 2026 (1 days ago)", True),
        ("Marco Chen", "Insurance: Expires Dec 26, 2026 (in 30 days)", False),
        ("Priya Patel", "Licence is not verified yet", False),
    ]


@async_test
async def test_31_days_ahead_is_not_warned_and_former_members_are_not_nagged() -> None:
    repo = FakeOfficeRepository()
    repo.add_member(make_member(TESS_ID, "Tess Rivera"))
    repo.add_member(make_member(MARCO_ID, "Marco Chen", active=False))
    _complete(repo, TESS_ID, expires_on=TODAY + timedelta(days=31))
    repo.add_document(make_document(MARCO_ID, expires_on=TODAY - timedelta(days=3)))
    state = await _state(repo)
    assert state.warnings == ()
    assert [m.name for m in state.members] == ["Tess Rivera", "Marco Chen"]  # inactive last
