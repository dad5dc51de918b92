"""From pulled wire changes to cache rows: the sort key and parent of each entity kind.

List screens read the cache one keyset page at a time by ``(kind, list_key, id)``
(`proapp.sync.store.EntityCache.page`), so the key a screen sorts by has to be computed
when the entity is written. This module holds that knowledge for every kind the server
sends; the engine calls `server_entity_from_change` for each pulled change. An unknown
kind (a newer server) is still cached, sorted by its id, so nothing pulled is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from proapp.api.models import SyncChange
from proapp.sync.facets import entity_facets
from proapp.sync.store import ServerEntity, dumps

__all__ = ["LIST_KEYS", "PARENTS", "server_entity_from_change"]

LIST_KEYS: Mapping[str, Sequence[str]] = {
    # Today's jobs sort by arrival window (R6); unscheduled ones by when they were ordered.
    "job": ("appointment.window.start", "ordered_at"),
    # The request inbox sorts by submission time (R2 deadlines count from it).
    "request": ("submitted_at", "created_at"),
    "estimate": ("submitted_at", "created_at"),
    "visit": ("window.start", "proposed_at", "created_at"),
    "change_order": ("created_at",),
    "message": ("sent_at", "created_at"),
    "photo": ("created_at",),
    "review": ("created_at",),
    # The office's "what expires" order (R13); documents that never expire sort first.
    "compliance_document": ("expires_on",),
    "team_member": ("name",),
    "business": ("name",),
}
"""Per kind, dotted paths into the entity's JSON; the first present one is the sort key."""

PARENTS: Mapping[str, Sequence[str]] = {
    "estimate": ("request_id",),
    "visit": ("request_id",),
    "change_order": ("job_id",),
    "message": ("job_id", "request_id", "thread_id"),
    "photo": ("target_id",),
    "review": ("job_id",),
    "compliance_document": ("user_id",),
}
"""Per kind, the field naming the parent entity (a request's estimates, a job's messages)."""


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _first(data: Mapping[str, Any], paths: Sequence[str]) -> str | None:
    for path in paths:
        value = _lookup(data, path)
        if value is not None and value != "":
            return str(value)
    return None


def server_entity_from_change(change: SyncChange) -> ServerEntity:
    """The cache row for one pulled change (``json`` None for a deletion)."""
    if change.op == "delete" or change.data is None:
        return ServerEntity(
            kind=change.kind,
            id=change.id,
            version=change.version,
            updated_seq=change.seq,
            json=None,
        )
    data = change.data
    list_key = _first(data, LIST_KEYS.get(change.kind, ())) or ""
    parent_id = _first(data, PARENTS.get(change.kind, ()))
    version = change.version
    if version is None and isinstance(data.get("version"), int):
        version = int(data["version"])
    facet, owner = entity_facets(change.kind, data)
    return ServerEntity(
        kind=change.kind,
        id=change.id,
        version=version,
        updated_seq=change.seq,
        json=dumps(data),
        list_key=list_key,
        parent_id=parent_id,
        facet=facet,
        owner=owner,
    )
