"""Fixtures of the sync proof suite: the seeded world (migrated once per session) and
per-test scratch folders on a RAM disk when there is one.

Why a RAM disk: the device store commits with ``synchronous=FULL`` (fsync per action)
and the server commits once per mutation; hundreds of seeds would otherwise spend most
of their time waiting for the disk, which proves nothing about sync.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sync_sim.world import SeededWorld, build_template

_RAM = Path("/dev/shm")


def _scratch_root() -> Path | None:
    # A container's /dev/shm can be tiny (64 MiB); then the ordinary temp dir it is.
    if _RAM.is_dir() and os.access(_RAM, os.W_OK) and shutil.disk_usage(_RAM).free > 512 << 20:
        return _RAM
    return None


@pytest.fixture(scope="session")
def sim_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededWorld]:
    """The template database with the seeded world (copied per seed)."""
    root = _scratch_root()
    if root is None:
        yield build_template(tmp_path_factory.mktemp("sim-world"))
        return
    folder = Path(tempfile.mkdtemp(prefix="proapp-sim-world-", dir=root))
    try:
        yield build_template(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A fresh folder for one test, on the RAM disk when available (else tmp_path)."""
    root = _scratch_root()
    if root is None:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="proapp-sim-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
