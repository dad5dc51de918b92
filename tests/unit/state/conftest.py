"""Fixtures shared by the screen-state tests."""

from __future__ import annotations

import pytest

from proapp.state import request_form


@pytest.fixture
def fast_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """Request forms save their draft 10 ms after the last edit instead of 0.5 s."""
    monkeypatch.setattr(request_form, "AUTOSAVE_SECONDS", 0.01)
