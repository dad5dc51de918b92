"""``python -m bench [--quick] [--list] [--scratch DIR] [NAME ...]`` (see `bench`)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from bench import GROUP_MODULES, REGISTRY, run_benchmarks, select


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen benchmarks, return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run ProApp benchmarks; one JSON line per figure on stdout.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="figure, benchmark or group names (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller run (fewer samples)")
    parser.add_argument("--list", action="store_true", help="list benchmarks and exit")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="folder for scratch files (default: the system temp folder); it should be "
        "on a real disk, since durability costs (fsync) are part of what is measured",
    )
    args = parser.parse_args(argv)

    for module in GROUP_MODULES:
        importlib.import_module(module)

    if args.list:
        for bench in REGISTRY.values():
            print(f"{bench.group:8} {bench.name:22} {' '.join(bench.figures)}")
        return 0
    try:
        chosen = select(args.names)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    return run_benchmarks(chosen, quick=args.quick, scratch=args.scratch)


if __name__ == "__main__":
    sys.exit(main())
