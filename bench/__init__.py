"""Benchmarks: speed and memory figures of ProApp, measured here and never in timed tests.

Run ``python -m bench`` (everything), ``python -m bench NAME...`` (a figure, a benchmark
or a group name) and ``--quick`` for a smaller run. Every figure is ONE JSON line on
stdout::

    {"name": "enqueue_p99_ms", "value": 3.1, "unit": "ms", "target": "<= 5",
     "baseline": 2.9, "ratio": 1.07, "meets_target": true}

``baseline``/``ratio`` are set only when a baseline was measured in the same run (the
machines are shared and noisy, so a ratio against something measured a moment earlier
on the same machine says more than an absolute number). Progress goes to stderr. The
exit status is non-zero only when a benchmark crashed, never for a missed target.

A benchmark is a function ``(Context) -> Iterable[Figure]`` registered with
`benchmark`; each group is one module of this package (see ``GROUP_MODULES``). This
module stays stdlib-only: the memory benchmark imports it in its measured subprocesses.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = [
    "GROUP_MODULES",
    "REGISTRY",
    "Benchmark",
    "Context",
    "Figure",
    "benchmark",
    "meets_target",
    "median",
    "percentile",
    "run_benchmarks",
    "select",
]

GROUP_MODULES: tuple[str, ...] = (
    "bench.store",
    "bench.photos",
    "bench.wire",
    "bench.memory",
    "bench.server",
    "bench.sync",
    "bench.app",
    "bench.office",
)
"""Modules holding the benchmark groups; ``python -m bench`` imports them all."""

_TARGET = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


def meets_target(target: str | None, value: float) -> bool | None:
    """Whether ``value`` satisfies ``target`` (``"<= 5"``, ``"< 1024"``, ``">= 2000"``).

    None when there is no target. Raises ValueError for a target it cannot read (a typo
    in a benchmark must crash it, not pass silently).
    """
    if target is None:
        return None
    match = _TARGET.match(target)
    if match is None:
        raise ValueError(f"unreadable target {target!r}: use e.g. '<= 5' or '>= 2000'")
    op, bound_text = match.groups()
    bound = float(bound_text)
    return {
        "<=": value <= bound,
        ">=": value >= bound,
        "<": value < bound,
        ">": value > bound,
        "==": value == bound,
    }[op]


@dataclass(frozen=True)
class Figure:
    """One measured number. ``baseline`` only if measured in the same run."""

    name: str
    value: float
    unit: str
    target: str | None = None
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        """``value / baseline`` (None without a baseline or with a zero baseline)."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def as_json(self) -> dict[str, object]:
        """The JSON object printed for this figure (numbers rounded for reading)."""
        ratio = self.ratio
        return {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "target": self.target,
            "baseline": None if self.baseline is None else _round(self.baseline),
            "ratio": None if ratio is None else round(ratio, 3),
            "meets_target": meets_target(self.target, self.value),
        }


def _round(value: float) -> float:
    if isinstance(value, int) or float(value).is_integer():
        return int(value)
    return round(value, 3)


@dataclass
class Context:
    """What a benchmark gets: the size of the run, a private scratch folder, a logger."""

    quick: bool
    workdir: Path
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def log(self, message: str) -> None:
        """Progress for the person watching (stderr; stdout is for figures only)."""
        print(f"[bench] {message}", file=self.err, flush=True)


BenchFn = Callable[[Context], Iterable[Figure]]


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark: its name, group, the figures it yields, and the code."""

    name: str
    group: str
    figures: tuple[str, ...]
    fn: BenchFn


REGISTRY: dict[str, Benchmark] = {}
"""Every registered benchmark by name, in registration order."""


def benchmark(name: str, *, group: str, figures: Sequence[str]) -> Callable[[BenchFn], BenchFn]:
    """Register ``fn`` as benchmark ``name`` of ``group`` yielding ``figures``."""

    def register(fn: BenchFn) -> BenchFn:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, group, tuple(figures), fn)
        return fn

    return register


def select(
    names: Sequence[str], registry: dict[str, Benchmark] | None = None
) -> list[tuple[Benchmark, frozenset[str] | None]]:
    """Benchmarks to run for ``names`` (figure, benchmark or group names; empty = all),
    each with the figures to print (None = all it yields), in registration order.

    Raises:
        KeyError: a name that matches nothing (the message lists what exists).
    """
    registry = REGISTRY if registry is None else registry
    if not names:
        return [(b, None) for b in registry.values()]
    whole: set[str] = set()
    some: dict[str, set[str]] = {}
    for name in names:
        matched = False
        for bench in registry.values():
            if name in (bench.name, bench.group):
                whole.add(bench.name)
                matched = True
            elif name in bench.figures:
                some.setdefault(bench.name, set()).add(name)
                matched = True
        if not matched:
            known = sorted(
                {b.name for b in registry.values()}
                | {b.group for b in registry.values()}
                | {f for b in registry.values() for f in b.figures}
            )
            raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(known)}")
    chosen: list[tuple[Benchmark, frozenset[str] | None]] = []
    for bench in registry.values():
        if bench.name in whole:
            chosen.append((bench, None))
        elif bench.name in some:
            chosen.append((bench, frozenset(some[bench.name])))
    return chosen


def run_benchmarks(
    chosen: Sequence[tuple[Benchmark, frozenset[str] | None]],
    *,
    quick: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
    scratch: Path | None = None,
) -> int:
    """Run ``chosen`` one after another, printing each figure as a JSON line as soon as
    it is measured. A crashing benchmark is reported on ``err`` and the others still
    run. Returns 0, or 1 if any benchmark crashed."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    crashed: list[str] = []
    for bench, only in chosen:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{bench.name}-", dir=scratch))
        ctx = Context(quick=quick, workdir=workdir, err=err)
        # The load average tells a reader of the log whether the machine was busy.
        ctx.log(
            f"{bench.name} ({bench.group}){' quick' if quick else ''}: start "
            f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
        )
        started = time.perf_counter()
        try:
            for figure in bench.fn(ctx):
                if only is None or figure.name in only:
                    print(json.dumps(figure.as_json()), file=out, flush=True)
        except Exception:  # one crash must not hide the other benchmarks' figures
            crashed.append(bench.name)
            print(f"[bench] {bench.name} CRASHED:", file=err)
            traceback.print_exc(file=err)
            err.flush()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        ctx.log(f"{bench.name}: done in {time.perf_counter() - started:.1f} s")
    if crashed:
        print(f"[bench] crashed: {', '.join(crashed)}", file=err, flush=True)
        return 1
    return 0


# --- statistics -----------------------------------------------------------------------


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty sample: a value that
    was actually observed, so p99 of 2,000 samples is the 20th largest."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count)."""
    if not samples:
        raise ValueError("median of no samples")
    ordered = sorted(samples)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
