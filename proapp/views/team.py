"""Team and compliance (office desktop, issue 5; R13): every team member with their
licences, insurance and background checks, and what needs attention first: documents
expired, expiring within 30 days, unverified, or missing for a technician.
"""

from __future__ import annotations

import flet as ft

from proapp.domain.rules import ComplianceStanding
from proapp.state.team import ComplianceAlert, DocumentRow, MemberRow, TeamState
from proapp.views.office_parts import (
    OfficeScreen,
    badge,
    empty_box,
    labelled,
    screen_header,
)

__all__ = ["TeamView"]

_STANDING_KIND = {
    ComplianceStanding.OK: "ok",
    ComplianceStanding.EXPIRING_SOON: "warn",
    ComplianceStanding.EXPIRED: "error",
    ComplianceStanding.UNVERIFIED: "warn",
}


class TeamView(OfficeScreen[TeamState]):
    """Renders `TeamState`."""

    title = "Team"
    prefix = "team"

    def render_loaded(self) -> None:
        """Warnings first, then the members with their documents."""
        s = self.state
        active = sum(1 for m in s.members if m.active)
        subtitle = f"{active} active members · {len(s.warnings)} things need attention"
        members: list[ft.Control] = [self._member(m) for m in s.members]
        self._body.content = ft.Row(
            [
                ft.Column(
                    [
                        screen_header("Team and compliance", subtitle, prefix="team"),
                        labelled(
                            "team-members",
                            f"{len(s.members)} team members",
                            ft.ListView(members, expand=True, spacing=8)
                            if members
                            else empty_box("team-empty", "No team members on this device yet."),
                            expand=True,
                        ),
                    ],
                    expand=True,
                    spacing=10,
                ),
                ft.Container(width=380, content=self._warnings()),
            ],
            expand=True,
            spacing=16,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def _warnings(self) -> ft.Control:
        s = self.state
        rows: list[ft.Control] = [
            self._warning(index, w) for index, w in enumerate(s.warnings)
        ]
        return labelled(
            "team-warnings",
            f"Compliance warnings: {len(s.warnings)} (expiry warnings start 30 days ahead)",
            ft.Container(
                padding=14,
                border_radius=12,
                bgcolor=ft.Colors.SURFACE_CONTAINER,
                content=ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.VERIFIED_USER_OUTLINED, color=ft.Colors.PRIMARY),
                                ft.Text("Needs attention", size=18, weight=ft.FontWeight.W_700,
                                        expand=True),
                                badge(str(len(s.warnings)),
                                      "error" if any(w.expired for w in s.warnings)
                                      else ("warn" if s.warnings else "ok")),
                            ]
                        ),
                        ft.Text("Expired, expiring within 30 days, unverified or missing "
                                "documents (R13).", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                        ft.ListView(rows, expand=True, spacing=6)
                        if rows
                        else empty_box("team-warnings-empty", "Every document is valid.",
                                       ft.Icons.TASK_ALT),
                    ],
                    expand=True,
                    spacing=8,
                ),
            ),
        )  # fmt: skip

    @staticmethod
    def _warning(index: int, warning: ComplianceAlert) -> ft.Control:
        kind = "error" if warning.expired else "warn"
        return labelled(
            f"team-warning-{warning.user_id}-{index}",
            f"{warning.name}: {warning.text}{' (expired)' if warning.expired else ''}",
            ft.Container(
                padding=10,
                border_radius=8,
                bgcolor=ft.Colors.ERROR_CONTAINER if warning.expired
                else ft.Colors.TERTIARY_CONTAINER,
                content=ft.Column(
                    [
                        ft.Row([badge("Expired" if warning.expired else "Act soon", kind,
                                      ft.Icons.WARNING_AMBER),
                                ft.Text(warning.name, weight=ft.FontWeight.W_700, expand=True)]),
                        ft.Text(warning.text, size=13,
                                color=ft.Colors.ON_ERROR_CONTAINER if warning.expired
                                else ft.Colors.ON_TERTIARY_CONTAINER),
                    ],
                    spacing=4,
                    tight=True,
                ),
            ),
        )  # fmt: skip

    def _member(self, member: MemberRow) -> ft.Control:
        kind = "warn" if member.warn else "ok"
        if member.standing_text in ("Expired", "Missing documents"):
            kind = "error"
        header = ft.Row(
            [
                ft.CircleAvatar(content=ft.Text(member.name[:1] or "?"), radius=18),
                ft.Column(
                    [
                        ft.Text(member.name, weight=ft.FontWeight.W_700, size=16),
                        ft.Text(f"{member.role_text} · {member.email}"
                                + ("" if member.active else " · inactive"),
                                size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                    spacing=0,
                    expand=True,
                    tight=True,
                ),
                badge(member.standing_text, kind,
                      ft.Icons.WARNING_AMBER if member.warn else ft.Icons.VERIFIED),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )  # fmt: skip
        lines: list[ft.Control] = [header]
        lines += [self._document(d) for d in member.documents]
        if member.missing:
            lines.append(
                ft.Text(f"Missing: {', '.join(member.missing)}", color=ft.Colors.ERROR,
                        weight=ft.FontWeight.W_600, size=13)
            )  # fmt: skip
        documents = ", ".join(f"{d.kind_text} {d.standing_text}" for d in member.documents)
        missing = f" Missing {', '.join(member.missing)}." if member.missing else ""
        return labelled(
            f"team-member-{member.user_id}",
            f"{member.name}, {member.role_text}. {member.standing_text}. {documents}.{missing}",
            ft.Container(
                padding=12,
                border_radius=12,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                opacity=1.0 if member.active else 0.6,
                content=ft.Column(lines, spacing=6, tight=True),
            ),
        )

    @staticmethod
    def _document(document: DocumentRow) -> ft.Control:
        return labelled(
            f"team-document-{document.document_id}",
            f"{document.kind_text} {document.number}, {document.issuer}: "
            f"{document.standing_text}, {document.expires_text}",
            ft.Container(
                padding=ft.Padding.only(left=48),
                content=ft.Row(
                    [
                        ft.Text(document.kind_text, weight=ft.FontWeight.W_600, width=200),
                        ft.Text(f"{document.number} · {document.issuer}", size=13,
                                color=ft.Colors.ON_SURFACE_VARIANT, expand=True, max_lines=1,
                                overflow=ft.TextOverflow.ELLIPSIS),
                        ft.Text(document.expires_text, size=13, width=280,
                                color=ft.Colors.ERROR if document.warn else None),
                        ft.Container(width=110, content=badge(
                            document.standing_text, _STANDING_KIND[document.standing])),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ),
        )  # fmt: skip
