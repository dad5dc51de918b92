"""The benchmark harness (bench/) runs benchmarks and prints one valid JSON line per figure.

No timing assertions here: speed and memory are measured by ``python -m bench``, never
by tests (machines are shared and noisy). These tests check the harness's contract.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import Benchmark, Context, Figure, meets_target, percentile, run_benchmarks, select

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"name", "value", "unit", "target", "baseline", "ratio", "meets_target"}


def _trivial(ctx: Context) -> Iterator[Figure]:
    (ctx.workdir / "scratch.txt").write_text("the workdir is writable")
    yield Figure("trivial_ms", 4.0 if ctx.quick else 40.0, "ms", "<= 5", baseline=2.0)
    yield Figure("trivial_count", 3, "items")


def _crashing(ctx: Context) -> Iterator[Figure]:
    yield Figure("before_crash", 1, "items", ">= 2")
    raise RuntimeError("boom")


REGISTRY = {
    "trivial": Benchmark("trivial", "demo", ("trivial_ms", "trivial_count"), _trivial),
    "crashing": Benchmark("crashing", "broken", ("before_crash",), _crashing),
}


def _lines(text: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        assert set(row) == KEYS, row
    return rows


def test_a_trivial_benchmark_prints_one_json_line_per_figure(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = run_benchmarks(
        select(["trivial"], REGISTRY), quick=True, out=out, err=err, scratch=tmp_path
    )
    assert status == 0, err.getvalue()
    rows = _lines(out.getvalue())
    assert rows == [
        {"name": "trivial_ms", "value": 4, "unit": "ms", "target": "<= 5", "baseline": 2,
         "ratio": 2.0, "meets_target": True},
        {"name": "trivial_count", "value": 3, "unit": "items", "target": None,
         "baseline": None, "ratio": None, "meets_target": None},
    ]  # fmt: skip
    assert "trivial" in err.getvalue()  # progress goes to stderr, not stdout
    assert list(tmp_path.iterdir()) == []  # the scratch folder is cleaned up


def test_a_missed_target_is_reported_but_is_not_a_failure(tmp_path: Path) -> None:
    out = io.StringIO()
    status = run_benchmarks(
        select(["trivial_ms"], REGISTRY),
        quick=False,
        out=out,
        err=io.StringIO(),
        scratch=tmp_path,
    )
    assert status == 0
    assert [(r["name"], r["value"], r["meets_target"]) for r in _lines(out.getvalue())] == [
        ("trivial_ms", 40, False)
    ]


def test_a_crash_fails_the_run_but_the_other_benchmarks_still_report(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = run_benchmarks(select([], REGISTRY), quick=True, out=out, err=err, scratch=tmp_path)
    assert status == 1
    names = [r["name"] for r in _lines(out.getvalue())]
    assert names == ["trivial_ms", "trivial_count", "before_crash"]
    assert "boom" in err.getvalue()


def test_names_select_figures_benchmarks_and_groups() -> None:
    assert [(b.name, only) for b, only in select(["demo"], REGISTRY)] == [("trivial", None)]
    assert [(b.name, only) for b, only in select(["trivial_count"], REGISTRY)] == [
        ("trivial", frozenset({"trivial_count"}))
    ]
    with pytest.raises(KeyError, match="nope"):
        select(["nope"], REGISTRY)


def test_targets_and_percentiles() -> None:
    assert meets_target("<= 5", 5.0) is True
    assert meets_target("< 1024", 1024) is False
    assert meets_target(">= 2000", 1999.9) is False
    assert meets_target(None, 1.0) is None
    with pytest.raises(ValueError):
        meets_target("about 5", 1.0)
    samples = [float(n) for n in range(1, 201)]  # 1..200
    assert percentile(samples, 99) == 198.0  # nearest rank: the 198th of 200
    assert percentile(samples, 50) == 100.0


def test_the_command_line_runs_a_real_benchmark_and_prints_json() -> None:
    # The wire benchmark only counts bytes (no disk, no timing), so it is quick and stable.
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "mutation_wire_bytes_gzip"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    assert [r["name"] for r in rows] == ["mutation_wire_bytes_gzip"]
    assert rows[0]["unit"] == "bytes" and rows[0]["target"] == "<= 200"
    assert isinstance(rows[0]["value"], int | float) and rows[0]["value"] > 0


def test_the_command_line_refuses_an_unknown_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "no_such_benchmark"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no_such_benchmark" in result.stderr and result.stdout == ""


def test_every_figure_the_sync_issue_asks_for_is_registered() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--list"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    required = {
        "enqueue_p50_ms", "enqueue_p99_ms", "photo_pipeline_ms", "photo_output_bytes",
        "mutation_wire_bytes_gzip", "client_rss_10k_mb", "client_rss_baseline_mb",
        "seed_demo_s", "drain_mutations_per_s", "drain_vs_per_request_ratio",
        "first_pull_10k_s", "idle_sync_round_trips", "idle_sync_bytes",
    }  # fmt: skip
    assert required <= listed, sorted(required - listed)
