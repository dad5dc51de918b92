"""Opaque page tokens for keyset paging.

A token encodes the sort key of the last item of a page (plus the list's name, so a
token from one list cannot be replayed on another). Keyset paging stays correct while
rows are added, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from proapp.domain import DomainError, ErrorCode

__all__ = ["encode_token", "paginate"]

RowT = TypeVar("RowT")


def encode_token(list_name: str, sort_value: datetime, ident: str) -> str:
    """An opaque token for the position after ``(sort_value, ident)``."""
    raw = json.dumps([list_name, sort_value.isoformat(), ident], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(list_name: str, token: str) -> tuple[datetime, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        name, sort_value, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if name != list_name or not isinstance(ident, str):
            raise ValueError("token of another list")
        return datetime.fromisoformat(sort_value), ident
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise DomainError(
            ErrorCode.INVALID,
            "The page_token is not valid for this list. Start again without page_token.",
            {"page_token": token},
        ) from exc


def paginate(
    session: Session,
    stmt: Select[RowT],
    *,
    list_name: str,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[str],
    limit: int,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` ordered by ``(sort_column, id_column)`` ascending."""
    if page_token:
        after_value, after_id = _decode_token(list_name, page_token)
        stmt = stmt.where(
            or_(sort_column > after_value, and_(sort_column == after_value, id_column > after_id))
        )
    rows: list[Any] = list(
        session.scalars(stmt.order_by(sort_column, id_column).limit(limit + 1)).all()
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    token = encode_token(
        list_name, getattr(last, sort_column.key), getattr(last, id_column.key)
    )
    return rows, token
