"""Housekeeping: delete rows whose job is done, so tables stay small for years.

What goes, and why it is safe (each rule keeps what any check could still need):

- push results older than `marketplace.sync.RESULT_RETENTION` (30 days, docs/SYNC.md);
- REST idempotency records older than the same 30 days (a client retries for minutes,
  and the outbox's own mids take over for anything longer);
- uploads past their expiry (`marketplace.uploads.purge_expired`);
- access tokens past expiry (15 minutes; an expired one is refused whether or not its
  row exists);
- refresh tokens a day past expiry: reuse detection needs a *used* token's row while it
  could still be presented, and an expired one is refused anyway; the day is slack for
  clock skew between app servers;
- login attempts older than the rate-limit window (`Settings.login_failure_window`),
  which is all the limiter ever counts.

`maybe_run_maintenance` runs it at most once per `MAINTENANCE_EVERY` per app, from
ordinary requests (sign-in, sync, uploads), so no background thread or cron is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace import orm
from marketplace.config import Settings
from marketplace.db import SessionFactory
from marketplace.sync import RESULT_RETENTION, prune_sync_results
from marketplace.uploads import purge_expired

__all__ = [
    "IDEMPOTENCY_RETENTION",
    "MAINTENANCE_EVERY",
    "REFRESH_TOKEN_SLACK",
    "MaintenanceReport",
    "maybe_run_maintenance",
    "run_maintenance",
]

log = logging.getLogger("marketplace.maintenance")

MAINTENANCE_EVERY = timedelta(hours=1)
IDEMPOTENCY_RETENTION = RESULT_RETENTION
REFRESH_TOKEN_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """How many rows each rule deleted."""

    sync_results: int
    idempotency_records: int
    uploads: int
    access_tokens: int
    refresh_tokens: int
    login_attempts: int


def _delete(session: Session, statement: Any) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def run_maintenance(session: Session, now: datetime, settings: Settings) -> MaintenanceReport:
    """Apply every rule of the module docstring in the caller's transaction."""
    return MaintenanceReport(
        sync_results=prune_sync_results(session, now),
        idempotency_records=_delete(
            session,
            delete(orm.IdempotencyRecord).where(
                orm.IdempotencyRecord.created_at < now - IDEMPOTENCY_RETENTION
            ),
        ),
        uploads=purge_expired(session, now),
        access_tokens=_delete(
            session, delete(orm.AccessToken).where(orm.AccessToken.expires_at <= now)
        ),
        refresh_tokens=_delete(
            session,
            delete(orm.RefreshToken).where(
                orm.RefreshToken.expires_at <= now - REFRESH_TOKEN_SLACK
            ),
        ),
        login_attempts=_delete(
            session,
            delete(orm.LoginAttempt).where(
                orm.LoginAttempt.attempted_at < now - settings.login_failure_window
            ),
        ),
    )


def maybe_run_maintenance(
    app_state: Any,
    factory: SessionFactory,
    clock: Callable[[], datetime],
    settings: Settings,
) -> MaintenanceReport | None:
    """`run_maintenance` in its own transaction if the last run on this app (recorded
    on ``app_state``, the ASGI app's state) is `MAINTENANCE_EVERY` ago or never.

    Failures are logged and retried next time; they are never the caller's problem.
    """
    now = clock()
    last: datetime | None = getattr(app_state, "maintenance_at", None)
    if last is not None and now - last < MAINTENANCE_EVERY:
        return None
    app_state.maintenance_at = now
    try:
        with factory() as session, session.begin():
            report = run_maintenance(session, now, settings)
    except DBAPIError:
        log.warning("maintenance failed; will try again later")
        return None
    log.info("maintenance: %s", report)
    return report
