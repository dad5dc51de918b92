"""Command line of the marketplace server.

    python -m marketplace serve [--host 127.0.0.1] [--port 8765] [--database URL] [--demo]
    python -m marketplace seed [--database URL]
    python -m marketplace demo-accounts
    python -m marketplace openapi
    python -m marketplace customer ...
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from marketplace.config import Settings

__all__ = ["main"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

log = logging.getLogger("marketplace")


def _settings(database: str | None) -> Settings:
    settings = Settings()
    return replace(settings, database_url=database) if database else settings


def _seed_module() -> Any:
    return importlib.import_module("marketplace.seed")


def _has_business(settings: Settings) -> bool:
    from sqlalchemy import select

    from marketplace import orm
    from marketplace.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalars(select(orm.Business.id).limit(1)).first() is not None
    finally:
        engine.dispose()


def _seed(settings: Settings) -> None:
    from marketplace.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        _seed_module().seed_demo(make_session_factory(engine), settings)
    finally:
        engine.dispose()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from marketplace.app import create_app
    from marketplace.migrate import upgrade_database

    settings = _settings(args.database)
    if args.host not in LOOPBACK_HOSTS:
        # Loud on purpose: the demo server has demo passwords and no TLS.
        sys.stderr.write(
            f"WARNING: binding {args.host} makes this server reachable from other machines. "
            "It serves plain HTTP; put TLS in front of it and never use --demo there.\n"
        )
    upgrade_database(settings.database_url)
    if args.demo and not _has_business(settings):
        _seed(settings)
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=True)
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from marketplace.migrate import upgrade_database

    settings = _settings(args.database)
    upgrade_database(settings.database_url)
    _seed(settings)
    return 0


def _demo_accounts(_args: argparse.Namespace) -> int:
    accounts = _seed_module().DEMO_ACCOUNTS
    sys.stdout.write(json.dumps(accounts, indent=2) + "\n")
    return 0


def _openapi(_args: argparse.Namespace) -> int:
    from marketplace.app import openapi_document

    sys.stdout.write(json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m marketplace", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--database", help="database URL (default: SQLite in the data dir)")
    serve.add_argument("--demo", action="store_true", help="seed demo data on first start")
    serve.set_defaults(func=_serve)

    seed = sub.add_parser("seed", help="create the demo business, accounts and jobs")
    seed.add_argument("--database", help="database URL")
    seed.set_defaults(func=_cmd_seed)

    demo = sub.add_parser("demo-accounts", help="print the demo accounts as JSON")
    demo.set_defaults(func=_demo_accounts)

    openapi = sub.add_parser("openapi", help="print the OpenAPI document as JSON")
    openapi.set_defaults(func=_openapi)

    sub.add_parser("customer", help="act as a customer (see: customer --help)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin is noise
    if argv and argv[0] == "customer":
        cli = importlib.import_module("marketplace.customer.cli")
        result: int = cli.main(argv[1:])
        return result
    args = _parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
