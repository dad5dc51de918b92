"""Two small indexed values per cached entity, so office screens filter 10,000 jobs in SQL.

The cache keeps each entity's JSON whole (see `proapp.sync.migrations`); list screens
page it by ``list_key``. The office desktop also asks "which jobs are still open and have
nobody assigned", "which requests are OPEN", "which threads wait on the customer": to
answer those from an index instead of parsing every row, each row carries:

* ``facet``: the entity's state a filter selects by (a job's or request's status, a
  message's author role, a compliance document's kind, a team member's role);
* ``owner``: the person it belongs to (a job's first assigned technician, an estimate's
  or review's technician, a document's holder, a message's author), ``""`` for none.

Both are computed from the entity JSON here, for pulled rows (`proapp.sync.repositories`)
and optimistic overlays alike (`proapp.sync.store.EntityCache.put_overlay`), so a local
change (a job assigned offline) moves it between filters at once. Unknown kinds get
``""``: nothing is ever refused for lack of a facet. Changing what a kind's facet is
needs a store migration that recomputes the cached rows (as v3's backfill does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FACET_FIELDS", "OWNER_FIELDS", "entity_facets"]

FACET_FIELDS: Mapping[str, str] = {
    "job": "status",
    "request": "status",
    "estimate": "status",
    "visit": "status",
    "change_order": "status",
    "message": "author_role",
    "review": "rating",
    "compliance_document": "kind",
    "team_member": "role",
}
"""Per kind, the top-level field whose value is the row's ``facet``."""

OWNER_FIELDS: Mapping[str, str] = {
    "job": "assigned_technician_ids",
    "estimate": "technician_id",
    "review": "technician_id",
    "compliance_document": "user_id",
    "message": "author_id",
}
"""Per kind, the top-level field naming the row's ``owner`` (the first id of a list)."""


def _text(value: Any) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = value[0] if value else None
    if value is None or isinstance(value, Mapping):
        return ""
    return str(value)


def entity_facets(kind: str, data: Any) -> tuple[str, str]:
    """``(facet, owner)`` of an entity's JSON (``("", "")`` for what has none)."""
    if not isinstance(data, Mapping):
        return "", ""
    facet_field = FACET_FIELDS.get(kind)
    owner_field = OWNER_FIELDS.get(kind)
    facet = _text(data.get(facet_field)) if facet_field else ""
    owner = _text(data.get(owner_field)) if owner_field else ""
    return facet, owner
