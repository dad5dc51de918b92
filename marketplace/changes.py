"""The per-business change feed (DESIGN.md section 4: pull by a monotonic sequence).

Every write that a pro's device must learn about calls `record_change` in the same
transaction. The sequence number comes from ``businesses.change_seq``, incremented by an
UPDATE that locks the business row until commit, so within one business sequence
numbers are gap-free and become visible in order: a puller that reads ``seq > cursor``
can never miss a change that commits late. (The sync issue builds pull on this.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from marketplace import orm

__all__ = ["record_change"]


def record_change(
    session: Session, business_id: str, entity: str, entity_id: str, now: datetime
) -> int:
    """Append ``(entity, entity_id)`` to ``business_id``'s feed; return its ``seq``."""
    seq = session.execute(
        update(orm.Business)
        .where(orm.Business.id == business_id)
        .values(change_seq=orm.Business.change_seq + 1)
        .returning(orm.Business.change_seq)
    ).scalar_one()
    session.add(
        orm.Change(
            business_id=business_id, seq=seq, entity=entity, entity_id=entity_id, changed_at=now
        )
    )
    return int(seq)
