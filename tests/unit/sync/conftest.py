from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proapp.sync import BlobStore, Outbox, Store
from tests.unit.sync.factories import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "account" / "store.sqlite3"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store(db_path, clock=clock)
    yield s
    s.close()


@pytest.fixture
def outbox(store: Store) -> Outbox:
    return Outbox(store)


@pytest.fixture
def blobs(store: Store) -> BlobStore:
    return BlobStore(store)
