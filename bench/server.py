"""Group ``server``: the reference marketplace's own costs.

``seed_demo``: `marketplace.seed.seed_demo` on a fresh SQLite file already migrated to
the latest schema (migrations are not timed), with the server's default `Settings`
(production password-hash cost: the seed hashes each distinct demo password once).
Informational: it used to be a timed test. Median of 3 fresh files (1 in a quick run).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from bench import Context, Figure, benchmark, median

__all__ = ["bench_seed_demo"]


@benchmark("seed_demo", group="server", figures=("seed_demo_s",))
def bench_seed_demo(ctx: Context) -> Iterator[Figure]:
    """Seconds to seed the demo database on a fresh, migrated SQLite file."""
    from marketplace.config import Settings
    from marketplace.db import make_engine, make_session_factory
    from marketplace.migrate import upgrade_database
    from marketplace.seed import seed_demo

    runs = 1 if ctx.quick else 3
    times: list[float] = []
    for run in range(runs):
        url = f"sqlite:///{ctx.workdir / f'seed-{run}.sqlite3'}"
        engine = make_engine(url)
        try:
            upgrade_database(url, engine)
            factory = make_session_factory(engine)
            settings = Settings(database_url=url)
            t0 = time.perf_counter()
            seed_demo(factory, settings)
            times.append(time.perf_counter() - t0)
        finally:
            engine.dispose()
        ctx.log(f"seed_demo run {run + 1}/{runs}: {times[-1]:.2f} s")
    yield Figure("seed_demo_s", median(times), "s")
