"""Crash durability: a queued action survives the process dying right after it returns."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from proapp.sync import MutationState, Outbox, Store

# Runs in a child process: enqueue actions, report each committed mid on stdout, then die
# without any clean shutdown (no close(), no atexit, no checkpoint).
CHILD = textwrap.dedent(
    """
    import os, signal, sys, uuid
    from pathlib import Path
    from proapp.sync import Outbox, Store

    path, how, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Store(path)
    outbox = Outbox(store)
    i = 0
    while count == 0 or i < count:
        i += 1
        job_id = str(uuid.uuid4())
        with store.transaction() as tx:
            entry = outbox.enqueue(tx, "job.start", {"job_id": job_id}, base_version=i)
            store.cache.put_overlay(tx, "job", job_id, {"status": "IN_PROGRESS"}, entry.mid)
        sys.stdout.write(f"{entry.mid} {job_id}\\n")
        sys.stdout.flush()
    if how == "exit":
        os._exit(0)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def run_child(path: Path, how: str, count: int) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), how, str(count)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    expected_rc = 0 if how == "exit" else -signal.SIGKILL
    assert proc.returncode == expected_rc, proc.stderr
    return [(int(m), j) for m, j in (line.split() for line in proc.stdout.splitlines())]


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_enqueued_rows_survive_abrupt_exit(tmp_path: Path, how: str) -> None:
    path = tmp_path / "acct" / "store.sqlite3"
    reported = run_child(path, how, 3)
    assert [m for m, _ in reported] == [1, 2, 3]

    store = Store(path)
    try:
        outbox = Outbox(store)
        for mid, job_id in reported:
            entry = outbox.get(mid)
            assert entry is not None and entry.state is MutationState.PENDING
            assert entry.args == {"job_id": job_id}
            assert entry.base_version == mid
            job = store.cache.get("job", job_id)
            assert job is not None and job.overlay_mid == mid
        # The sequence continues where the dead process stopped.
        assert outbox.enqueue(None, "job.start", {"job_id": reported[0][1]}).mid == 4
    finally:
        store.close()


def test_sigkill_while_enqueuing_loses_no_committed_row_and_leaves_no_gap(tmp_path: Path) -> None:
    path = tmp_path / "acct" / "store.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), "kill", "0"],  # 0 = enqueue forever
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    reported: list[int] = []
    try:
        for line in proc.stdout:
            reported.append(int(line.split()[0]))
            if len(reported) >= 40:
                break
    finally:
        proc.send_signal(signal.SIGKILL)  # somewhere in the middle of a transaction
        proc.wait(timeout=30)
        proc.stdout.close()

    assert len(reported) >= 40, "the child died before enqueuing enough"
    store = Store(path)
    try:
        mids = [r[0] for r in store.connection().execute("SELECT mid FROM outbox ORDER BY mid")]
        assert mids[: len(reported)] == reported  # everything reported is there
        assert mids == list(range(1, len(mids) + 1))  # and nothing half-written
        assert store.connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()
