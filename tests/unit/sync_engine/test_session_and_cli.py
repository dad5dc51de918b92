"""Sign-out guard, account records, and the `python -m proapp.sync` CLI in-process."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from proapp.secrets import MemorySecretStore, refresh_token_name
from proapp.sync import Outbox, Store, account_paths
from proapp.sync.__main__ import (
    EXIT_FAILED,
    EXIT_NO_ACCOUNT,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SIGNED_OUT,
    main,
)
from proapp.sync.session import (
    SignOutRefusedError,
    find_account,
    list_accounts,
    sign_out,
)
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import (
    BASE_URL,
    PASSWORD,
    USER,
    FakeSyncServer,
    Fault,
    Rule,
    ScriptedFaultPlan,
)
from tests.unit.sync_engine.harness import enqueue_message, enqueue_photo, make_rig, new_id


def test_sign_out_refuses_while_work_is_queued_then_wipes_on_request(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        secrets = MemorySecretStore({refresh_token_name(BASE_URL): "r-token"})
        enqueue_message(rig)
        enqueue_photo(rig, os.urandom(1000))
        summary = await rig.engine.pending_work_summary()
        assert summary.has_work and summary.unsent == 2 and summary.blobs_not_uploaded == 1
        root = rig.store.path.parent

        with pytest.raises(SignOutRefusedError) as refused:
            await sign_out(store=rig.store, secrets=secrets, server_url=BASE_URL)
        assert "2 change(s) not sent yet" in refused.value.message
        assert root.is_dir() and secrets.names() == [refresh_token_name(BASE_URL)]

        discarded = await sign_out(
            store=rig.store,
            secrets=secrets,
            server_url=BASE_URL,
            discard_queued=True,
            logout=rig.client.logout,
        )
        assert discarded.unsent == 2
        assert not root.exists() and secrets.names() == []
        assert rig.client.session is None

    run(body())


def test_sign_out_without_queued_work_needs_no_confirmation(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        enqueue_message(rig)
        assert (await rig.engine.sync_once()).ok
        assert not (await rig.engine.pending_work_summary()).has_work
        secrets = MemorySecretStore({refresh_token_name(BASE_URL): "r-token"})
        await sign_out(store=rig.store, secrets=secrets, server_url=BASE_URL)
        assert not rig.store.path.parent.exists()

    run(body())


# ---------------------------------------------------------------------- CLI


class Cli:
    def __init__(self, tmp_path: Path, server: FakeSyncServer) -> None:
        self.data = tmp_path / "data"
        self.server = server
        self.secrets = MemorySecretStore()

    def __call__(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["--data-dir", str(self.data), *argv],
            transport=self.server.transport(),
            secrets=self.secrets,
            stdin=io.StringIO(stdin),
            stdout=out,
            stderr=err,
        )
        return code, out.getvalue(), err.getvalue()

    def json(self, *argv: str) -> Any:
        code, out, err = self(*argv)
        assert code == EXIT_OK, err
        return json.loads(out.splitlines()[-1])

    def login(self) -> None:
        code, _out, err = self(
            "login",
            "--server",
            BASE_URL,
            "--email",
            USER["email"],
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert code == EXIT_OK, err

    def store(self) -> Store:
        return Store(account_paths(USER["id"], self.data).database)


def test_cli_login_status_run_once(tmp_path: Path) -> None:
    server = FakeSyncServer()
    job_id = new_id()
    server.put_entity("job", job_id, {"id": job_id})
    cli = Cli(tmp_path, server)
    assert cli("status")[0] == EXIT_NO_ACCOUNT

    cli.login()
    record_file = account_paths(USER["id"], cli.data).root / "account.json"
    record = json.loads(record_file.read_text())
    assert record["email"] == USER["email"] and record["server_url"] == BASE_URL
    assert "token" not in record_file.read_text()  # secrets live in the secret store only
    assert cli.secrets.names() == [refresh_token_name(BASE_URL)]
    assert find_account(cli.data) is not None and len(list_accounts(cli.data)) == 1

    store = cli.store()
    Outbox(store).enqueue(
        None, "message.send", {"message_id": new_id(), "job_id": job_id, "body": "Hi"}
    )
    client_id = store.client_id
    store.close()
    status = cli.json("status")
    assert status["pending"] == 1 and status["last_sync"] is None and status["cursor"] is None
    assert status["account"] == USER["id"] and status["server"] == BASE_URL
    assert status["client_id"] == client_id

    result = cli.json("run", "--once")
    assert result["report"]["ok"] and result["report"]["applied"] == 1
    assert server.clients[client_id].last_mid == 1
    assert server.refreshes == 1  # the saved refresh token got the session
    status = cli.json("--account", USER["email"], "status")
    assert status["pending"] == 0 and status["last_sync"] is not None
    assert status["cursor"] == str(server.seq)
    # The rotated refresh token replaced the saved one.
    assert run(cli.secrets.get(refresh_token_name(BASE_URL))) in server.refresh_tokens


def test_cli_exit_codes(tmp_path: Path) -> None:
    server = FakeSyncServer(ScriptedFaultPlan(Rule("GET", "/v1/sync/pull", Fault.LOST_REQUEST)))
    cli = Cli(tmp_path, server)
    code, _out, err = cli(
        "login", "--server", BASE_URL, "--email", USER["email"], "--password-stdin", stdin="wrong\n"
    )
    assert code == EXIT_SIGNED_OUT and "password" in err.lower()
    cli.login()
    assert cli("--account", "nobody@example.com", "status")[0] == EXIT_NO_ACCOUNT
    assert cli("run", "--once")[0] == EXIT_FAILED  # offline this time
    assert cli("bogus")[0] == 2

    store = cli.store()
    Outbox(store).enqueue(
        None, "message.send", {"message_id": new_id(), "job_id": new_id(), "body": "Hi"}
    )
    store.close()
    code, _out, err = cli("logout")
    assert code == EXIT_REFUSED and "not sent yet" in err
    server.revoke_all()
    code, _out, err = cli("run", "--once")
    assert code == EXIT_SIGNED_OUT
    code, _out, err = cli("run")  # the loop exits when signed out, work kept
    assert code == EXIT_SIGNED_OUT and "queued work is kept" in err
    assert cli.json("status")["pending"] == 1
    assert cli("logout", "--discard-queued")[0] == EXIT_OK
    assert not account_paths(USER["id"], cli.data).database.exists()
    assert cli.secrets.names() == []
    assert cli("status")[0] == EXIT_NO_ACCOUNT
