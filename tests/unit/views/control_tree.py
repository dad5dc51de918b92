"""Looking inside a built view without a page: walk its controls, collect the Semantics
identifiers and text-field labels that the UI tests find them by."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import flet as ft

__all__ = ["identifiers", "labels", "no_hidden_semantics_content", "walk"]


def walk(node: Any) -> Iterator[ft.BaseControl]:
    """Every control in ``node`` (a control, or a list/tuple of them) and below it."""
    if isinstance(node, ft.BaseControl):
        yield node
        for field in dataclasses.fields(node):
            if not field.name.startswith("_") and field.name not in {"parent", "page"}:
                yield from walk(getattr(node, field.name, None))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from walk(item)


def identifiers(control: ft.Control) -> set[str]:
    """The Semantics identifiers below ``control``."""
    return {c.identifier for c in walk(control) if isinstance(c, ft.Semantics) and c.identifier}


def labels(control: ft.Control) -> set[str]:
    """The labels of the text fields below ``control``."""
    return {str(c.label) for c in walk(control) if isinstance(c, ft.TextField)}


def no_hidden_semantics_content(control: ft.Control) -> bool:
    """Flet refuses a Semantics whose content is hidden; hide the wrapper instead."""
    return all(
        c.content is not None and c.content.visible
        for c in walk(control)
        if isinstance(c, ft.Semantics)
    )
