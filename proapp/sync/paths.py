"""Where the client keeps its data on this device, created owner-only.

Layout (one folder per signed-in account, so two accounts on one device never share an
outbox, and signing out of one never touches the other's queued work)::

    <data dir>/                      0700  see `data_dir`
      accounts/<account id>/         0700
        store.sqlite3 (+ -wal, -shm) 0600  cache, drafts, outbox, blob metadata
        blobs/                       0700
          <sha256 hex>               0600  photo JPEGs and signature PNGs, by content hash

Permissions are set explicitly (``chmod`` after creating) rather than through the umask,
because the umask is process-wide state that other threads may rely on.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = [
    "DATA_DIR_ENV",
    "DIR_MODE",
    "FLET_DATA_ENV",
    "FILE_MODE",
    "AccountPaths",
    "account_paths",
    "data_dir",
    "ensure_private_dir",
    "ensure_private_file",
]

DATA_DIR_ENV = "PROAPP_DATA_DIR"
"""Environment variable that overrides the platform's app-data folder (tests, kiosks)."""

FLET_DATA_ENV = "FLET_APP_STORAGE_DATA"
"""Set by Flet in a built app (phones included): its persistent, pre-created data folder."""

APP_NAME = "ProApp"
DIR_MODE = 0o700
FILE_MODE = 0o600

# Account ids are server-issued UUIDs; refusing anything else keeps a hostile or
# malformed id from escaping the accounts folder ("../..") or colliding by case.
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def data_dir() -> Path:
    """The app's data folder (created, 0700).

    In order: ``$PROAPP_DATA_DIR``; ``$FLET_APP_STORAGE_DATA`` (a built Flet app, where
    the phone's sandbox is the only writable place); else platformdirs' user data dir,
    e.g. ``~/.local/share/ProApp`` (Linux) or ``%LOCALAPPDATA%\\ProApp`` (Windows).
    """
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    flet_dir = os.environ.get(FLET_DATA_ENV, "").strip()
    if override:
        path = Path(override)
    elif flet_dir:
        path = Path(flet_dir) / APP_NAME
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, False))
    ensure_private_dir(path)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing and make it owner-only (0700)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def ensure_private_file(path: Path) -> Path:
    """Create ``path`` empty if missing and make it owner-only (0600).

    Used for the SQLite file before SQLite opens it: SQLite creates its ``-wal`` and
    ``-shm`` files with the database file's permissions, so they inherit 0600.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    # path.chmod, not os.fchmod: the latter does not exist on Windows before 3.13.
    if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
        path.chmod(FILE_MODE)
    return path


@dataclass(frozen=True, slots=True)
class AccountPaths:
    """The files of one signed-in account on this device."""

    root: Path
    database: Path
    blobs: Path


def account_paths(account_id: str, base: Path | None = None) -> AccountPaths:
    """Folders for ``account_id`` under ``base`` (default `data_dir()`), created 0700.

    Raises:
        ValueError: the id is not a plain identifier (letters, digits, ``-``, ``_``).
    """
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ValueError(f"account id {account_id!r} is not a plain identifier")
    root_base = base if base is not None else data_dir()
    ensure_private_dir(root_base)
    root = ensure_private_dir(root_base / "accounts" / account_id)
    ensure_private_dir(root_base / "accounts")
    blobs = ensure_private_dir(root / "blobs")
    return AccountPaths(root=root, database=root / "store.sqlite3", blobs=blobs)
