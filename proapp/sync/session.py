"""Accounts on this device: who signed in where, and a guarded sign-out that wipes.

Each signed-in account has a folder ``<data dir>/accounts/<user id>/`` (see
`proapp.sync.paths`) holding its store and blobs, plus ``account.json`` written here:
server URL, user id, email, name, role, business and sign-in time. Never a token: the
refresh token lives only in the `proapp.secrets.SecretStore`, under
`proapp.secrets.refresh_token_name` of the server.

Sign-out guard (DESIGN §4, nothing the pro entered is silently dropped): `sign_out`
refuses while this account has unsent mutations, mutations needing attention, or
unsent photos, unless the caller passes ``discard_queued=True`` (the app asks the pro
first). A sign-out then wipes the account's store, blobs, record and saved session.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from proapp.api.errors import ApiError
from proapp.domain.models import User
from proapp.secrets import SecretStore, SecretStoreUnavailable, refresh_token_name
from proapp.sync.outbox import Outbox
from proapp.sync.paths import account_paths, ensure_private_dir, ensure_private_file
from proapp.sync.store import Store

__all__ = [
    "ACCOUNT_FILE",
    "AccountRecord",
    "PendingWorkSummary",
    "SignOutRefusedError",
    "find_account",
    "list_accounts",
    "pending_work_summary",
    "read_account",
    "sign_out",
    "write_account",
]

logger = logging.getLogger(__name__)

ACCOUNT_FILE = "account.json"


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """Who is signed in with this account folder (no secrets)."""

    account_id: str
    server_url: str
    user_id: str
    email: str
    name: str
    role: str
    business_id: str | None
    signed_in_at: str

    @classmethod
    def for_user(cls, server_url: str, user: User, now: datetime) -> AccountRecord:
        """The record of ``user`` signed in to ``server_url`` at ``now``."""
        return cls(
            account_id=user.id,
            server_url=server_url,
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=str(user.role),
            business_id=user.business_id,
            signed_in_at=now.isoformat(),
        )

    def user(self) -> User:
        """The domain user this record describes."""
        return User.model_validate(
            {
                "id": self.user_id,
                "email": self.email,
                "name": self.name,
                "role": self.role,
                "business_id": self.business_id,
            }
        )


def write_account(record: AccountRecord, base: Path | None = None) -> Path:
    """Write ``account.json`` (0600) for ``record``; returns its path."""
    paths = account_paths(record.account_id, base)
    path = ensure_private_file(paths.root / ACCOUNT_FILE)
    tmp = ensure_private_file(paths.root / (ACCOUNT_FILE + ".tmp"))
    tmp.write_text(json.dumps(asdict(record), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path


def read_account(account_root: Path) -> AccountRecord | None:
    """The record in ``account_root``, or None if missing or unreadable."""
    try:
        raw: Any = json.loads((account_root / ACCOUNT_FILE).read_text(encoding="utf-8"))
        return AccountRecord(**{k: raw[k] for k in AccountRecord.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_accounts(base: Path) -> list[AccountRecord]:
    """Every account recorded under ``base``, most recently signed in first."""
    root = base / "accounts"
    if not root.is_dir():
        return []
    records = [r for d in sorted(root.iterdir()) if d.is_dir() and (r := read_account(d))]
    return sorted(records, key=lambda r: r.signed_in_at, reverse=True)


def find_account(base: Path, account: str | None = None) -> AccountRecord | None:
    """The account named ``account`` (its id or email), else the last one signed in."""
    records = list_accounts(base)
    if account is None:
        return records[0] if records else None
    for record in records:
        if account in (record.account_id, record.email):
            return record
    return None


@dataclass(frozen=True, slots=True)
class PendingWorkSummary:
    """What signing out (wiping the account) would throw away."""

    unsent: int
    needs_attention: int
    blobs_not_uploaded: int
    oldest_unsent_age: timedelta | None

    @property
    def has_work(self) -> bool:
        """True if anything the pro did has not reached the server, or waits for them."""
        return bool(self.unsent or self.needs_attention or self.blobs_not_uploaded)

    def describe(self) -> str:
        """Plain words for the sign-out confirmation."""
        parts = []
        if self.unsent:
            parts.append(f"{self.unsent} change(s) not sent yet")
        if self.needs_attention:
            parts.append(f"{self.needs_attention} change(s) the server refused")
        if self.blobs_not_uploaded:
            parts.append(f"{self.blobs_not_uploaded} photo(s) not uploaded")
        if not parts:
            return "Everything on this device has reached the server."
        return "This device still has " + ", ".join(parts) + "."


def pending_work_summary(store: Store) -> PendingWorkSummary:
    """Count unsent work (blocking; async callers use ``await store.run(...)``)."""
    status = Outbox(store).status()
    row = (
        store.connection()
        .execute(
            "SELECT COUNT(DISTINCT b.hash) FROM blobs b JOIN outbox_blobs ob ON ob.hash = b.hash "
            "JOIN outbox o ON o.mid = ob.mid WHERE b.state = 'local' AND "
            "(o.state IN ('pending', 'in_flight') OR (o.state = 'rejected' "
            "AND o.resolution IS NULL))"
        )
        .fetchone()
    )
    return PendingWorkSummary(
        unsent=status.unsent,
        needs_attention=status.needs_attention,
        blobs_not_uploaded=int(row[0]),
        oldest_unsent_age=status.oldest_pending_age,
    )


class SignOutRefusedError(Exception):
    """Sign-out would discard work; ``summary`` says what, ``message`` in plain words."""

    def __init__(self, summary: PendingWorkSummary) -> None:
        self.summary = summary
        if summary.unsent or summary.blobs_not_uploaded:
            advice = "Connect to the internet and wait for sync to finish"
        else:
            advice = "Review the refused changes first (fix and resend, or discard them)"
        self.message = (
            f"{summary.describe()} Signing out would delete it. {advice}, or choose to "
            "sign out and discard it."
        )
        super().__init__(self.message)


async def sign_out(
    *,
    store: Store,
    secrets: SecretStore,
    server_url: str,
    discard_queued: bool = False,
    logout: Callable[[], Awaitable[None]] | None = None,
    close_store: Callable[[], None] | None = None,
) -> PendingWorkSummary:
    """Sign the account of ``store`` out of this device and wipe its local data.

    Refuses (`SignOutRefusedError`, nothing changed) while work is queued unless
    ``discard_queued``. Then: revokes the session on the server (``logout``, best
    effort: an offline device still signs out), deletes the saved refresh token,
    closes the store (``close_store``, e.g. ``registry.close(account_id)``; default
    ``store.close``) and deletes the account folder (store, WAL, blobs, record).
    Stop the account's sync engine first. Returns what was discarded.
    """
    summary = await store.run(pending_work_summary, store)
    if summary.has_work and not discard_queued:
        raise SignOutRefusedError(summary)
    if logout is not None:
        try:
            await logout()
        except ApiError as exc:
            logger.info("server logout failed (%s); signing out on this device", exc.code)
    try:
        await secrets.delete(refresh_token_name(server_url))
    except SecretStoreUnavailable:
        logger.warning("could not delete the saved session from the keyring")
    root = store.path.parent
    (close_store or store.close)()
    _wipe(root)
    if summary.has_work:
        logger.warning("signed out discarding queued work: %s", summary.describe())
    return summary


def _wipe(root: Path) -> None:
    # Only an account folder (…/accounts/<id>) is ever removed recursively.
    if root.parent.name != "accounts":
        raise ValueError(f"refusing to delete {root}: not an account folder")
    shutil.rmtree(root, ignore_errors=False)
    ensure_private_dir(root.parent)
