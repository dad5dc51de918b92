"""What the visit proposal (R4) and estimate (R3) forms share.

Both are a form about one request (route param ``request_id``): what the pro types is
kept as typed and autosaved as a draft (debounced), so leaving the screen, a refused
submit or a crash never loses it; the new thing's id is made once and kept in the draft,
so a retry never creates a second one. `RequestFormState` holds that mechanism and the
end of a submit (queue the command, drop the draft, go back with an honest notice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from proapp.domain.commands import CommandArgs
from proapp.domain.errors import DomainError
from proapp.domain.models import CustomRequest
from proapp.domain.rules import ensure_estimate_window_open, is_estimate_window_open
from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.state.screen_support import Debouncer
from proapp.sync.connectivity import Connectivity

__all__ = ["AUTOSAVE_SECONDS", "MISSING_REQUEST", "RequestFormState", "queued_notice"]

AUTOSAVE_SECONDS = 0.5
"""Quiet time after the last keystroke before the draft is saved."""

MISSING_REQUEST = "This request is no longer on this phone. Go back to the inbox."


def queued_notice(what: str, connectivity: Connectivity) -> str:
    """The snackbar after a queued action: honest about when it reaches the customer."""
    if connectivity is Connectivity.ONLINE:
        return f"{what} saved; it will be sent to the customer in a moment."
    return f"{what} saved; it will be sent to the customer when you are back online."


class RequestFormState(Observable):
    """Base of the request forms (see the module docstring).

    Subclasses say where the draft lives (`_draft_key`, ``DRAFT_KIND``), what it holds
    (`_draft`) and how to re-check the fields after an edit (`_revalidate`).
    """

    DRAFT_KIND = ""
    """The draft's kind, as the repository stores it."""

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        self.request_id = route.param("request_id")
        self.loaded = False
        self.request: CustomRequest | None = None
        self.request_title = ""
        self.error: str | None = None
        self.closed_reason = ""
        self.busy = False
        self._tried = False  # after a submit attempt, empty required fields are errors
        self._done = False  # queued or discarded: no more autosaves
        self._autosave = Debouncer(AUTOSAVE_SECONDS, self._save_draft)

    # --- hooks ---------------------------------------------------------------------------
    def _draft_key(self) -> str:
        raise NotImplementedError

    def _draft(self) -> dict[str, Any]:
        raise NotImplementedError

    def _revalidate(self) -> None:
        """Re-check the fields (and derived values) after an edit."""

    # --- drafts --------------------------------------------------------------------------
    async def _save_draft(self) -> None:
        if self._done:
            return
        await self._ctx.repo.save_draft(self._draft_key(), self.DRAFT_KIND, self._draft())

    def _edited(self) -> None:
        self.error = None
        self._revalidate()
        if not self._done:
            self._autosave.trigger()
        self._notify()

    @property
    def can_submit(self) -> bool:
        """False while sending or when the request no longer takes them (R2)."""
        return self.loaded and not self.busy and not self.closed_reason

    def _show_validation(self, exc: ValidationError) -> None:
        """Map the command model's refusal to the fields (the live checks' safety net)."""
        raise NotImplementedError

    # --- submitting ----------------------------------------------------------------------
    async def _submit(
        self, request: CustomRequest, build: Callable[[], CommandArgs], what: str
    ) -> None:
        """Build the command (R2: only while the request takes estimates and visits),
        queue it and leave; a refusal is shown on the form and nothing is lost."""
        now = self._ctx.clock()
        try:
            ensure_estimate_window_open(request, now)  # R2
            args = build()
        except DomainError as exc:
            if not is_estimate_window_open(request, now):
                self.closed_reason = exc.message
            self.error = exc.message
            self._notify()
            return
        except ValidationError as exc:
            self._show_validation(exc)
            self._notify()
            return
        await self._perform_and_leave(args, what)

    async def _perform_and_leave(self, args: CommandArgs, what: str) -> None:
        """Queue ``args`` (works offline); on success drop the draft, go back and say
        when it reaches the customer. A refusal keeps everything typed."""
        self.busy = True
        self.error = None
        self._notify()
        try:
            await self._ctx.repo.perform(args)
        except DomainError as exc:
            self.busy = False
            self.error = exc.message
            self._notify()
            return
        self._done = True
        await self._autosave.cancel()
        await self._ctx.repo.delete_draft(self._draft_key())
        self.busy = False
        self._notify()
        status = self._ctx.repo.sync_status()
        self._ctx.nav.back()
        self._ctx.nav.notify(queued_notice(what, status.connectivity))

    def cancel(self) -> None:
        """Leave the form; the draft stays for next time."""
        self._ctx.nav.back()

    def dispose(self) -> None:
        """Save what is pending (detached) and stop."""
        self._autosave.dispose()
