"""Proof 2: real processes. The real server (``python -m marketplace serve``) behind a
fault-injecting TCP proxy, and the headless sync CLI (``python -m proapp.sync run``)
SIGKILLed at random moments, at least 20 times, then allowed to finish. The invariants
are checked in the server's database: every queued mutation processed exactly once, in
``mid`` order, applied or rejected with a reason, nothing lost.

The CLI reads its refresh token from the keyring; a subprocess cannot see the test's
in-memory keyring, so it gets `tests.support.faults.FileKeyring` (a JSON file shared by
the test and every CLI run) through ``PYTHON_KEYRING_BACKEND``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from proapp.sync import Outbox, Store, account_paths
from proapp.sync.outbox import MutationState
from tests.integration.sync_sim.world import PASSWORD, SeededWorld, copy_world, seeded_uuid
from tests.support.faults import FILE_KEYRING_ENV, FILE_KEYRING_PATH
from tests.support.servers import REPO_ROOT, start_marketplace
from tests.support.tcp_proxy import FaultyTcpProxy

SEED = int(os.environ.get("PROAPP_SIM_SEED", "20261126"))
KILLS = 20
PROXY_RATES = {"drop": 0.12, "reset_request": 0.12, "reset_response": 0.12, "stall": 0.2}


def _cli(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "proapp.sync", "--data-dir", str(data_dir), *args]


def _env(keyring_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = FILE_KEYRING_PATH
    env[FILE_KEYRING_ENV] = str(keyring_file)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _login(data_dir: Path, keyring_file: Path, server_url: str, email: str) -> dict[str, Any]:
    done = subprocess.run(
        _cli(data_dir, "login", "--server", server_url, "--email", email, "--password-stdin"),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=_env(keyring_file),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _enqueue(
    store: Store,
    rng: random.Random,
    world: SeededWorld,
    queued: dict[int, tuple[str, dict[str, Any]]],
) -> None:
    outbox = Outbox(store)
    for _ in range(rng.randint(1, 4)):
        job = rng.choice([*world.jobs, *world.scheduled_jobs])
        roll = rng.random()
        if roll < 0.75:
            name, args = (
                "message.send",
                {
                    "message_id": seeded_uuid(rng),
                    "job_id": job,
                    "body": f"on my way {rng.randrange(10**6)}",
                },
            )
        elif roll < 0.9:
            name, args = (
                "window.confirm",
                {"job_id": job, "preferred_window_id": rng.choice(world.windows[job])},
            )
        else:
            name, args = "job.start", {"job_id": job}
        entry = outbox.enqueue(None, name, args)
        queued[entry.mid] = (name, entry.args)


def test_sync_cli_killed_twenty_times_behind_a_faulty_proxy(
    sim_world: SeededWorld, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    database = copy_world(sim_world, tmp_path / "server.sqlite3")
    data_dir = tmp_path / "device"
    keyring_file = tmp_path / "keyring.json"
    queued: dict[int, tuple[str, dict[str, Any]]] = {}
    kills = relogins = killed_in_flight = 0
    notes: list[str] = []
    with (
        start_marketplace(
            tmp_path / "server", database_url=f"sqlite:///{database}", demo=False
        ) as server,
        FaultyTcpProxy(server.port, SEED, PROXY_RATES) as proxy,
    ):
        proxy.enabled = False  # sign in over a healthy link
        account = _login(data_dir, keyring_file, proxy.url, sim_world.tess_email)["account"]
        proxy.enabled = True
        store_path = account_paths(account, data_dir).database

        round_no = 0
        while kills < KILLS and round_no < 2 * KILLS:
            round_no += 1
            with Store(store_path) as store:
                _enqueue(store, rng, sim_world, queued)
            log = tmp_path / f"cli-{round_no}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    _cli(data_dir, "run", "--interval", "0.2"),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=REPO_ROOT,
                    env=_env(keyring_file),
                    start_new_session=True,
                )
            # Kill while sync is under way: after the CLI said something (it is running
            # its first round), a random moment later.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                if log.stat().st_size > 0:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            code = proc.wait(timeout=20)
            output = log.read_text(errors="replace")
            with Store(store_path) as store:
                status = Outbox(store).status()
            if code == -signal.SIGKILL and status.in_flight:
                killed_in_flight += 1  # killed between "sent" and the answer
            notes.append(
                f"round {round_no}: exit {code}, queued {len(queued)}, unsent {status.unsent}, "
                f"in flight {status.in_flight}"
            )
            if code == 3 or "Signed out" in output:
                # A refresh whose answer was cut (or a kill between the server rotating
                # the refresh token and the CLI saving it) ends the session: the pro signs
                # in again. The queued work must survive that too.
                proxy.enabled = False
                _login(data_dir, keyring_file, proxy.url, sim_world.tess_email)
                proxy.enabled = True
                relogins += 1

        # The network heals; the CLI finishes the queue.
        proxy.enabled = False
        for _ in range(5):
            done = subprocess.run(
                _cli(data_dir, "run", "--once"),
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                env=_env(keyring_file),
                timeout=60,
                check=False,
            )
            if done.returncode == 3:
                _login(data_dir, keyring_file, proxy.url, sim_world.tess_email)
                relogins += 1
                continue
            with Store(store_path) as store:
                if Outbox(store).status().unsent == 0:
                    break
        proxy_trace = "\n".join(proxy.trace)

    context = (
        f"seed={SEED} kills={kills} (in flight: {killed_in_flight}) relogins={relogins} "
        f"proxy={dict(proxy.stats)}\n" + "\n".join(notes) + "\n--- proxy ---\n" + proxy_trace
    )
    assert kills >= KILLS, context
    assert proxy.stats["pass"] and sum(proxy.stats.values()) > proxy.stats["pass"], context

    with Store(store_path) as store:
        client_id = store.client_id
        outbox = Outbox(store)
        entries = {mid: outbox.get(mid) for mid in queued}
    # Nothing lost, everything answered: applied, or rejected with a reason.
    assert sorted(entries) == list(range(1, len(queued) + 1)), context
    for mid, entry in entries.items():
        assert entry is not None, context
        assert entry.args == queued[mid][1], context
        assert entry.state in (MutationState.APPLIED, MutationState.REJECTED), (
            f"mid {mid} {entry.name} is {entry.state}\n{context}"
        )
        if entry.state is MutationState.REJECTED:
            assert entry.rejection is not None and entry.rejection.code, context
            assert entry.rejection.message and entry.needs_attention, context

    with sqlite3.connect(database) as conn:
        results = conn.execute(
            "SELECT r.mid, r.mutation_id, r.status FROM sync_results r JOIN sync_clients c "
            "ON c.id = r.client_pk WHERE c.client_id = ? ORDER BY r.rowid",
            (client_id,),
        ).fetchall()
        messages = dict(conn.execute("SELECT id, body FROM messages").fetchall())
        message_counts = dict(
            conn.execute("SELECT id, COUNT(*) FROM messages GROUP BY id").fetchall()
        )
        feed = [
            row[0]
            for row in conn.execute(
                "SELECT entity_id FROM changes WHERE entity = 'message' ORDER BY seq"
            )
        ]
    # Each mid processed once, in order, under the device's mutation id and outcome.
    assert [r[0] for r in results] == list(range(1, len(queued) + 1)), context
    for mid, mutation_id, status in results:
        entry = entries[mid]
        assert entry is not None
        assert (mutation_id, status) == (entry.mutation_id, str(entry.state)), context
    # Effects exactly once, and in mid order (the change feed of our messages).
    sent = [(mid, args) for mid, (name, args) in sorted(queued.items()) if name == "message.send"]
    for mid, args in sent:
        entry = entries[mid]
        assert entry is not None and entry.state is MutationState.APPLIED, context
        assert message_counts.get(args["message_id"]) == 1, context
        assert messages[args["message_id"]] == args["body"], context
    ours = {args["message_id"] for _mid, args in sent}
    assert [m for m in feed if m in ours] == [args["message_id"] for _mid, args in sent], context
