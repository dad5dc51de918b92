"""Offline-first storage and sync for the pro app (never imports Flet).

The local store is the UI's single source of truth (DESIGN §3): a user action is one
`Store.transaction()` holding the optimistic `EntityCache` change and one `Outbox` row.
Photos and signatures are prepared by `proapp.sync.photos` and kept by `BlobStore`.

Public surface::

    registry = StoreRegistry()            # app.py owns one per process
    store = registry.open(user_id)        # same Store for every tab of that account
    outbox = Outbox(store)
    blobs = BlobStore(store)
    with store.transaction() as tx:
        entry = outbox.enqueue(tx, "job.start", args, base_version=7)
        store.cache.put_overlay(tx, "job", job_id, new_job_json, entry.mid)
"""

from proapp.sync.blobs import BlobInfo, BlobNotConfirmedError, BlobState, BlobStore, sha256_hex
from proapp.sync.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate
from proapp.sync.outbox import (
    AsyncOutbox,
    CommandValidator,
    MutationState,
    Outbox,
    OutboxEntry,
    OutboxStatus,
    Rejection,
    Resolution,
    ValidatedCommand,
    validate_pro_command,
)
from proapp.sync.paths import AccountPaths, account_paths, data_dir
from proapp.sync.photos import PreparedImage, prepare_photo, render_signature
from proapp.sync.store import (
    CachedEntity,
    Draft,
    Drafts,
    EntityCache,
    ServerEntity,
    Store,
    StoreError,
    StoreRegistry,
    Transaction,
)

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "AccountPaths",
    "AsyncOutbox",
    "BlobInfo",
    "BlobNotConfirmedError",
    "BlobState",
    "BlobStore",
    "CachedEntity",
    "CommandValidator",
    "Draft",
    "Drafts",
    "EntityCache",
    "Migration",
    "MutationState",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "PreparedImage",
    "Rejection",
    "Resolution",
    "ServerEntity",
    "Store",
    "StoreError",
    "StoreRegistry",
    "Transaction",
    "ValidatedCommand",
    "account_paths",
    "data_dir",
    "migrate",
    "prepare_photo",
    "render_signature",
    "sha256_hex",
    "validate_pro_command",
]
