"""State of the office team and compliance screen (R13: vetted pros; staff see what
expires).

Each team member with their documents (licence, insurance, background checks), each
document's standing today (`proapp.domain.rules.compliance_standing`: OK, expiring
within 30 days, expired, unverified), the documents a technician is missing
(`rules.required_compliance_kinds`: technicians travel to homes, so a criminal
background check is required too), and a warnings list of everything that needs
attention, soonest expiry first. "Today" is counted in the business's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from proapp.domain import rules
from proapp.domain.enums import ComplianceKind, Role
from proapp.domain.models import ComplianceDocument
from proapp.domain.rules import ComplianceStanding
from proapp.state.office_common import OfficeFollowingState, local_today
from proapp.state.office_ports import OfficeContext, TeamMember
from proapp.state.ports import Route

__all__ = ["ComplianceAlert", "DocumentRow", "MemberRow", "TeamState"]

KIND_TEXT: dict[ComplianceKind, str] = {
    ComplianceKind.LICENSE: "Licence",
    ComplianceKind.INSURANCE: "Insurance",
    ComplianceKind.BACKGROUND_CHECK: "Background check",
    ComplianceKind.CRIMINAL_BACKGROUND_CHECK: "Criminal background check",
}
STANDING_TEXT: dict[ComplianceStanding, str] = {
    ComplianceStanding.OK: "Valid",
    ComplianceStanding.EXPIRING_SOON: "Expires soon",
    ComplianceStanding.EXPIRED: "Expired",
    ComplianceStanding.UNVERIFIED: "Not verified",
}
ROLE_TEXT: dict[Role, str] = {
    Role.TECHNICIAN: "Technician",
    Role.DISPATCHER: "Dispatcher",
    Role.OWNER: "Owner",
    Role.CUSTOMER: "Customer",
}
# Worst first: what a member's overall standing shows.
_SEVERITY = {
    ComplianceStanding.EXPIRED: 0,
    ComplianceStanding.UNVERIFIED: 2,
    ComplianceStanding.EXPIRING_SOON: 3,
    ComplianceStanding.OK: 4,
}
_MISSING = 1


def _date_text(day: date) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")
    return f"{months[day.month - 1]} {day.day}, {day.year}"


@dataclass(frozen=True)
class DocumentRow:
    """One vetting document and how it stands today."""

    document_id: str
    kind: ComplianceKind
    kind_text: str
    number: str
    issuer: str
    expires_text: str  # "Expires Dec 10, 2026 (in 14 days)" / "Does not expire"
    standing: ComplianceStanding
    standing_text: str
    warn: bool  # expiring within 30 days, expired or unverified


@dataclass(frozen=True)
class MemberRow:
    """A team member with their documents."""

    user_id: str
    name: str
    email: str
    role_text: str
    active: bool
    documents: tuple[DocumentRow, ...]
    missing: tuple[str, ...]  # required document kinds they have none of (technicians)
    standing_text: str  # the worst of their documents, or "Missing documents"
    warn: bool


@dataclass(frozen=True)
class ComplianceAlert:
    """Something office staff must act on (R13)."""

    user_id: str
    name: str
    text: str  # "Insurance: Expires Dec 10, 2026 (in 14 days)"
    expired: bool


def _expires_text(document: ComplianceDocument, today: date) -> str:
    if document.expires_on is None:
        return "Does not expire"
    days = (document.expires_on - today).days
    when = _date_text(document.expires_on)
    if days < 0:
        return f"Expired {when} ({-days} days ago)"
    if days == 0:
        return f"Expires {when} (today)"
    return f"Expires {when} (in {days} day{'s' if days != 1 else ''})"


class TeamState(OfficeFollowingState):
    """Team and compliance (see the module docstring)."""

    title = "Team"

    def __init__(self, ctx: OfficeContext, route: Route) -> None:
        super().__init__(ctx)
        self._route = route
        self.today: date = ctx.clock().date()
        self.members: tuple[MemberRow, ...] = ()
        self.warnings: tuple[ComplianceAlert, ...] = ()

    async def _read(self) -> None:
        repo = self._ctx.repo
        zone = await repo.business_time_zone() or "UTC"
        self.today = local_today(self._ctx.clock(), zone)
        team = await repo.team()
        documents = await repo.compliance_documents()
        by_user: dict[str, list[ComplianceDocument]] = {}
        for document in documents:
            by_user.setdefault(document.user_id, []).append(document)
        members = [self._member(m, by_user.get(m.id, [])) for m in team]
        members.sort(key=lambda m: (not m.active, not m.warn, m.name.casefold(), m.user_id))
        self.members = tuple(members)
        names = {m.id: m.name for m in team}
        self.warnings = tuple(self._warnings(documents, team, names))
        self.loaded = True

    def _member(self, member: TeamMember, documents: list[ComplianceDocument]) -> MemberRow:
        rows = tuple(self._document(d) for d in documents)
        missing: tuple[str, ...] = ()
        if member.role is Role.TECHNICIAN:
            # R13: technicians travel to homes (R12 in-home work), so the criminal
            # background check is required as well; a licence "where applicable" is
            # not known here and is not demanded.
            required = rules.required_compliance_kinds(travels_to_homes=True)
            have = {d.kind for d in documents}
            missing = tuple(sorted(KIND_TEXT[k] for k in required - have))
        worst = min((_SEVERITY[r.standing] for r in rows), default=_SEVERITY[ComplianceStanding.OK])
        if missing:
            worst = min(worst, _MISSING)
        if worst == _MISSING:
            standing_text = "Missing documents"
        else:
            standing = next(s for s, v in _SEVERITY.items() if v == worst)
            standing_text = STANDING_TEXT[standing] if rows else "No documents"
        return MemberRow(
            user_id=member.id,
            name=member.name,
            email=member.email,
            role_text=ROLE_TEXT[member.role],
            active=member.active,
            documents=rows,
            missing=missing,
            standing_text=standing_text,
            warn=bool(missing) or any(r.warn for r in rows),
        )

    def _document(self, document: ComplianceDocument) -> DocumentRow:
        standing = rules.compliance_standing(document, self.today)
        return DocumentRow(
            document_id=document.id,
            kind=document.kind,
            kind_text=KIND_TEXT[document.kind],
            number=document.number,
            issuer=document.issuer,
            expires_text=_expires_text(document, self.today),
            standing=standing,
            standing_text=STANDING_TEXT[standing],
            warn=standing is not ComplianceStanding.OK,
        )

    def _warnings(self, documents: list[ComplianceDocument], team: list[TeamMember],
                  names: dict[str, str]) -> list[ComplianceAlert]:
        active = {m.id for m in team if m.active}
        found = []
        for document in documents:
            if document.user_id not in active:
                continue
            standing = rules.compliance_standing(document, self.today)
            expiring = rules.is_compliance_expiring(document, self.today)  # R13: 30 days
            if standing is ComplianceStanding.EXPIRED or expiring:
                text = f"{KIND_TEXT[document.kind]}: {_expires_text(document, self.today)}"
            elif standing is ComplianceStanding.UNVERIFIED:
                text = f"{KIND_TEXT[document.kind]} is not verified yet"
            else:
                continue
            name = names.get(document.user_id, "Former team member")
            expired = standing is ComplianceStanding.EXPIRED
            warning = ComplianceAlert(document.user_id, name, text, expired)
            found.append((document.expires_on or date.max, name, warning))
        for member in self.members:
            if member.active and member.missing:
                found.append((date.min, member.name, ComplianceAlert(
                    member.user_id, member.name, f"Missing: {', '.join(member.missing)}", False)))
        found.sort(key=lambda item: (item[0], item[1].casefold()))
        return [w for _, _, w in found]
