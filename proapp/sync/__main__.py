"""``python -m proapp.sync``: run sync headless on the same store the app uses.

Commands (global options go before the command)::

    python -m proapp.sync [--data-dir DIR] [--account ID|EMAIL] COMMAND

    login --server URL --email EMAIL [--password-stdin]
        Sign in; records accounts/<user id>/account.json (server, user, email; never a
        token) and keeps the refresh token in the system keyring (the app's secret
        store, so app and CLI share the session). The password is asked for with
        getpass, or read as one line from stdin with --password-stdin.
    status
        Print JSON: server, account, email, pending, oldest pending age, needs
        attention, last sync, cursor. Local only: no network.
    run [--once] [--interval SECONDS]
        --once: one round (blobs, push, pull), print the report as JSON. Without it:
        sync until SIGINT/SIGTERM, printing a JSON line when the status changes, then
        shut down cleanly (the current request finishes or is abandoned safely: the
        outbox is only changed in transactions).
    logout [--discard-queued]
        Sign out and delete this account's local data and saved session. Refused while
        changes are waiting, unless --discard-queued.

--data-dir defaults to $PROAPP_DATA_DIR, else the platform's app-data folder (the app's).
--account defaults to the account signed in most recently in that folder.

Exit codes:
    0  success (``run``: stopped by a signal)
    1  the sync round or the sign-in failed (offline, server trouble); details printed
    2  usage error
    3  not signed in: no saved session, the server refused it, or a wrong password;
       run ``login``
    4  no such account in the data folder (run ``login`` first, or check --account)
    5  logout refused: work is still waiting to be sent (see --discard-queued)

Do not run ``run`` while the app is open on the same account: both would push the same
outbox (safe, the server replays by ``mid``, but wasteful), and refresh tokens rotate, so
one of them may be signed out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from proapp.api.client import MarketplaceClient
from proapp.api.errors import ApiError, AuthenticationError
from proapp.api.models import Session
from proapp.secrets import (
    KeyringSecretStore,
    SecretStore,
    SecretStoreUnavailable,
    refresh_token_name,
)
from proapp.sync.engine import META_CURSOR, META_LAST_SUCCESS, SyncEngine, SyncReport
from proapp.sync.paths import account_paths, data_dir
from proapp.sync.session import (
    AccountRecord,
    SignOutRefusedError,
    find_account,
    pending_work_summary,
    sign_out,
    write_account,
)
from proapp.sync.status import SyncStatus
from proapp.sync.store import Store, from_ms

__all__ = ["EXIT_FAILED", "EXIT_NO_ACCOUNT", "EXIT_OK", "EXIT_REFUSED", "EXIT_SIGNED_OUT", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SIGNED_OUT = 3
EXIT_NO_ACCOUNT = 4
EXIT_REFUSED = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m proapp.sync", description="Sync the ProApp local store headless."
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="the app's data folder")
    parser.add_argument("--account", default=None, help="account id or email")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login", help="sign in and save the session")
    login.add_argument("--server", required=True, help="e.g. https://pros.example.com")
    login.add_argument("--email", required=True)
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("status", help="print the sync state as JSON (no network)")
    run = sub.add_parser("run", help="sync (once, or until SIGINT/SIGTERM)")
    run.add_argument("--once", action="store_true", help="one round, then exit")
    run.add_argument("--interval", type=float, default=30.0, help="seconds between rounds")
    logout = sub.add_parser("logout", help="sign out and delete this account's local data")
    logout.add_argument("--discard-queued", action="store_true", help="even if work is waiting")
    return parser


class _Cli:
    def __init__(
        self,
        args: argparse.Namespace,
        *,
        transport: httpx.AsyncBaseTransport | None,
        secrets: SecretStore,
        stdin: TextIO,
        stdout: TextIO,
        stderr: TextIO,
    ) -> None:
        self.args = args
        self.transport = transport
        self.secrets = secrets
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.base: Path = args.data_dir if args.data_dir is not None else data_dir()

    def out(self, payload: Any) -> None:
        print(json.dumps(payload, sort_keys=True), file=self.stdout, flush=True)

    def err(self, message: str) -> None:
        print(message, file=self.stderr, flush=True)

    def account(self) -> AccountRecord | None:
        record = find_account(self.base, self.args.account)
        if record is None:
            which = f"'{self.args.account}'" if self.args.account else "signed in"
            self.err(
                f"No account {which} in {self.base}. Run: python -m proapp.sync login "
                "--server URL --email EMAIL"
            )
        return record

    def open_store(self, record: AccountRecord) -> Store:
        return Store(account_paths(record.account_id, self.base).database)

    # ------------------------------------------------------------------ commands

    async def login(self) -> int:
        if self.args.password_stdin:
            password = self.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"Password for {self.args.email}: ")
        try:
            client = MarketplaceClient(self.args.server, transport=self.transport)
        except ApiError as exc:
            self.err(exc.message)
            return EXIT_USAGE
        async with client:
            try:
                session = await client.login(self.args.email, password)
            except AuthenticationError as exc:
                self.err(exc.message)
                return EXIT_SIGNED_OUT
            except ApiError as exc:
                self.err(exc.message)
                return EXIT_FAILED
            record = AccountRecord.for_user(client.base_url, session.user, datetime.now(UTC))
            try:
                await self.secrets.set(refresh_token_name(client.base_url), session.refresh_token)
            except SecretStoreUnavailable as exc:
                self.err(exc.message)
                return EXIT_FAILED
        write_account(record, self.base)
        self.open_store(record).close()  # creates the store (and its client id) now
        self.out({"account": record.account_id, "email": record.email, "server": record.server_url})
        return EXIT_OK

    async def status(self) -> int:
        record = self.account()
        if record is None:
            return EXIT_NO_ACCOUNT
        store = self.open_store(record)
        try:
            summary = pending_work_summary(store)
            last = store.get_meta(META_LAST_SUCCESS)
            self.out(
                {
                    "server": record.server_url,
                    "account": record.account_id,
                    "email": record.email,
                    "client_id": store.client_id,
                    "pending": summary.unsent,
                    "oldest_pending_age_s": None
                    if summary.oldest_unsent_age is None
                    else int(summary.oldest_unsent_age.total_seconds()),
                    "needs_attention": summary.needs_attention,
                    "blobs_not_uploaded": summary.blobs_not_uploaded,
                    "last_sync": from_ms(int(last)).isoformat() if last else None,
                    "cursor": store.get_meta(META_CURSOR),
                }
            )
        finally:
            store.close()
        return EXIT_OK

    async def _client(self, record: AccountRecord) -> MarketplaceClient | None:
        name = refresh_token_name(record.server_url)
        try:
            token = await self.secrets.get(name)
        except SecretStoreUnavailable as exc:
            self.err(exc.message)
            return None
        if not token:
            self.err(f"Not signed in to {record.server_url}. Run: python -m proapp.sync login")
            return None

        async def save(new_token: str) -> None:
            await self.secrets.set(name, new_token)

        # No access token yet: the first request gets 401 and the client refreshes with
        # the saved token. That way an offline start is "offline", not "signed out".
        lazy = Session(
            user=record.user(),
            access_token="",
            refresh_token=token,
            access_expires_at=datetime.now(UTC),
        )
        return MarketplaceClient(
            record.server_url, transport=self.transport, session=lazy, on_refresh_token_rotated=save
        )

    async def run(self) -> int:
        record = self.account()
        if record is None:
            return EXIT_NO_ACCOUNT
        client = await self._client(record)
        if client is None:
            return EXIT_SIGNED_OUT
        store = self.open_store(record)
        try:
            async with client:
                engine = SyncEngine(store, client, interval_s=self.args.interval)
                if self.args.once:
                    report = await engine.sync_once(force=True)
                    self.out(
                        {"report": _report_json(report), "status": engine.status.value.to_json()}
                    )
                    if report.signed_out:
                        return EXIT_SIGNED_OUT
                    return EXIT_OK if report.ok else EXIT_FAILED
                return await self._loop(engine)
        finally:
            store.close()

    async def _loop(self, engine: SyncEngine) -> int:
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, engine.stop)
                installed.append(sig)
        last: tuple[Any, ...] | None = None
        signed_out = False

        def show(status: SyncStatus) -> None:
            nonlocal last, signed_out
            key = (
                status.phase,
                status.pending,
                status.needs_attention,
                status.last_error,
                status.connectivity,
            )
            if key != last:
                last = key
                self.out(status.to_json())
            if status.signed_out and not signed_out:
                # Headless, nobody can sign in again inside this process: exit and say so.
                signed_out = True
                self.err("Signed out; queued work is kept. Run: python -m proapp.sync login")
                engine.stop()

        engine.status.subscribe(show)
        try:
            await engine.run_forever()
        finally:
            engine.status.unsubscribe(show)
            for sig in installed:
                loop.remove_signal_handler(sig)
        return EXIT_SIGNED_OUT if signed_out else EXIT_OK

    async def logout(self) -> int:
        record = self.account()
        if record is None:
            return EXIT_NO_ACCOUNT
        store = self.open_store(record)
        client = await self._client(record)
        try:
            await sign_out(
                store=store,
                secrets=self.secrets,
                server_url=record.server_url,
                discard_queued=self.args.discard_queued,
                logout=client.logout if client is not None else None,
            )
        except SignOutRefusedError as exc:
            store.close()
            self.err(exc.message + " (use --discard-queued to discard it)")
            return EXIT_REFUSED
        finally:
            if client is not None:
                await client.aclose()
        self.out({"signed_out": record.account_id})
        return EXIT_OK


def _report_json(report: SyncReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "blobs_uploaded": report.blobs_uploaded,
        "blobs_given_up": report.blobs_given_up,
        "applied": report.applied,
        "rejected": report.rejected,
        "pulled": report.pulled,
        "pages": report.pages,
        "signed_out": report.signed_out,
        "error": report.error,
        "error_code": report.error_code,
        "retry_at": report.retry_at.isoformat() if report.retry_at else None,
    }


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    secrets: SecretStore | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code. ``transport``/``secrets`` are for tests."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=stderr or sys.stderr)
    cli = _Cli(
        args,
        transport=transport,
        secrets=secrets or KeyringSecretStore(),
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
    )
    command = {"login": cli.login, "status": cli.status, "run": cli.run, "logout": cli.logout}
    return asyncio.run(command[args.command]())


if __name__ == "__main__":
    sys.exit(main())
