"""(business_id, id) indexes for paging one business's rows in id order.

Replaces the single-column business_id indexes of requests, visits, estimates, jobs,
photos and messages: the sync snapshot pages by ``business_id = ? AND id > ? ORDER BY
id LIMIT n``, which with the old index sorted every row of the business for each page.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("custom_requests", "visits", "estimates", "jobs", "photos", "messages")


def upgrade() -> None:
    for table in _TABLES:
        op.create_index(
            f"ix_{table}_business_id_id", table, ["business_id", "id"], unique=False
        )
        op.drop_index(f"ix_{table}_business_id", table_name=table)


def downgrade() -> None:
    for table in _TABLES:
        op.create_index(f"ix_{table}_business_id", table, ["business_id"], unique=False)
        op.drop_index(f"ix_{table}_business_id_id", table_name=table)
