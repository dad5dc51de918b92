"""Look and feel: Material 3, light and dark, sizes for thumbs on a phone."""

from __future__ import annotations

import flet as ft

__all__ = [
    "CONTENT_COLUMNS",
    "SEED_COLOR",
    "TAP_TARGET",
    "apply_theme",
    "centered_column",
    "scrolling_column",
    "status_colors",
]

SEED_COLOR = "#1E6B52"
"""Brand seed: a deep teal-green; Material 3 derives both color schemes from it."""

TAP_TARGET = 52
"""Height of primary buttons and fields: above the 48 dp minimum, for gloved hands."""

CONTENT_COLUMNS: dict[str | ft.ResponsiveRowBreakpoint, int | float] = {
    "xs": 12,
    "sm": 10,
    "md": 8,
    "lg": 6,
    "xl": 4,
}
"""ResponsiveRow spans: full width on a phone, a readable column on a desktop browser."""


def centered_column(content: ft.Control) -> ft.ResponsiveRow:
    """``content`` full width on a phone, centred and narrower on a wide screen."""
    return ft.ResponsiveRow(
        [ft.Container(col=CONTENT_COLUMNS, content=content)],
        alignment=ft.MainAxisAlignment.CENTER,
    )


def scrolling_column(content: ft.Control) -> ft.Column:
    """A tab's whole page: ``content`` padded, centred on wide screens, scrolling."""
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        controls=[
            centered_column(
                ft.Container(
                    padding=ft.Padding.symmetric(horizontal=16, vertical=12),
                    content=content,
                )
            )
        ],
    )


def apply_theme(page: ft.Page, mode: ft.ThemeMode = ft.ThemeMode.SYSTEM) -> None:
    """Material 3 light and dark themes from one seed; ``mode`` picks (default: system)."""
    page.theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.dark_theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.theme_mode = mode


def status_colors(status: str) -> tuple[str, str]:
    """(background, foreground) theme colors for a job status chip."""
    if status in {"IN_PROGRESS", "SCHEDULED"}:
        return ft.Colors.PRIMARY_CONTAINER, ft.Colors.ON_PRIMARY_CONTAINER
    if status == "PENDING_SCHEDULE":
        return ft.Colors.TERTIARY_CONTAINER, ft.Colors.ON_TERTIARY_CONTAINER
    if status == "CANCELLED":
        return ft.Colors.ERROR_CONTAINER, ft.Colors.ON_ERROR_CONTAINER
    return ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT
