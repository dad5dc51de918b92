"""The office benchmark (bench/office.py): its figures are registered under the names
issue 5 asks for, and its measuring code really drives the office states over a real
store (a small world here; no timing is asserted, see test_bench_harness)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.office import fill_store, measure, office_world

ROOT = Path(__file__).resolve().parents[2]


def test_every_figure_the_office_issue_asks_for_is_registered() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--list"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    required = {"dispatch_open_ms", "dispatch_switch_day_ms", "pipeline_filter_ms"}
    assert required <= listed, sorted(required - listed)


def test_the_office_measurement_drives_the_states_over_a_real_store(tmp_path: Path) -> None:
    world = office_world(7, jobs=400)
    store = fill_store(tmp_path / "account" / "store.sqlite3", world)
    try:
        assert store.cache.count("job") == 400
        got = measure(store, samples=3)
    finally:
        store.close()
    assert len(got.open_ms) == len(got.switch_ms) == len(got.filter_ms) == 3
    assert all(ms > 0 for ms in (*got.open_ms, *got.switch_ms, *got.filter_ms))
    # 400 jobs over a year put about one appointment on a day; the pipeline always holds
    # the 300 open requests plus the orders waiting for a window.
    assert got.pipeline_rows > 300
    assert got.unassigned >= 0 and got.blocks_today >= 0
