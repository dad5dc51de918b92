"""What the pro's repository hands to screens: domain models with what hangs off them.

Defined in the sync layer (the repository, `proapp.sync.repository`, builds them) and
re-exported by `proapp.state.ports`, which screen states import: state sits above sync,
so the records live down here (import-linter ``client-layers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from proapp.domain.models import ChangeOrder, CustomRequest, Estimate, Job, VisitProposal

__all__ = ["ChangesListener", "JobRecord", "PhotoRecord", "RequestRecord"]


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    """A photo attached to a job, request or estimate (``blob_hash`` names the bytes)."""

    id: str
    target_kind: str
    target_id: str
    blob_hash: str
    caption: str = ""
    pending: bool = False  # attached on this device, not yet confirmed by the server


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A custom request with what hangs off it, as stored on this device.

    ``pending`` is True while a change the pro made to it (or to its estimates and
    visits) has not reached the server.
    """

    request: CustomRequest
    estimates: tuple[Estimate, ...] = ()
    visits: tuple[VisitProposal, ...] = ()
    photos: tuple[PhotoRecord, ...] = ()
    pending: bool = False


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job with its change orders and photos, as stored on this device."""

    job: Job
    change_orders: tuple[ChangeOrder, ...] = ()
    photos: tuple[PhotoRecord, ...] = ()
    pending: bool = False


ChangesListener = Callable[[], None]
"""Called (on the event loop) after the local data changed: a local action or a sync."""
