"""Faults on the session refresh (found by the real-process proof: a CLI that lost a
refresh answer came back signed out).

The marketplace rotates refresh tokens and treats a second use of a rotated token as
theft, revoking the whole family (marketplace/auth.py, `refresh`). When the ANSWER to a
refresh is lost after the server committed the rotation (a cut connection, or the app
killed before it saved the new token in the keyring), the device still holds only the
old token; its retry is "reuse", so a pro is signed out by one lost packet. Queued work
is kept (the other sync tests prove that), but the pro must sign in again.

The server now accepts the just-rotated token again for a short grace period while its
successor is unused, and replaces that successor (``refresh_reuse_grace``).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path

from proapp.api import MarketplaceClient
from proapp.api.models import Session
from proapp.sync import Outbox, Store, account_paths
from proapp.sync.engine import SyncEngine
from tests.integration.server.world import FakeClock
from tests.integration.sync_sim.sim import BASE_URL, FakeSleep, ServerHolder
from tests.integration.sync_sim.world import PASSWORD, START, SeededWorld, copy_world, seeded_uuid
from tests.support.faults import Fault, FaultPlan, FaultyTransport


def test_a_lost_refresh_answer_does_not_sign_the_pro_out(
    sim_world: SeededWorld, scratch: Path
) -> None:
    database = copy_world(sim_world, scratch / "server.sqlite3")
    server = ServerHolder(sim_world.settings(database), FakeClock(START))
    trace: list[str] = []
    # Only the refresh is faulty: its answer is lost once, after the server committed.
    plan = FaultPlan(random.Random(1), {Fault.LOST_RESPONSE: 1.0})
    transport = FaultyTransport(
        label="tech",
        target=server.current,
        restart=server.restart,
        plan=plan,
        trace=trace,
        faulty_paths=("/v1/auth/refresh",),
    )
    clock = FakeClock(START)

    async def body() -> tuple[bool, bool]:
        login = MarketplaceClient(BASE_URL, transport=transport)
        session = await login.login(sim_world.tess_email, PASSWORD)
        await login.aclose()
        # As the headless CLI starts: only the saved refresh token, no access token yet.
        lazy = Session(
            user=session.user,
            access_token="",
            refresh_token=session.refresh_token,
            access_expires_at=datetime.now(UTC),
        )
        client = MarketplaceClient(BASE_URL, transport=transport, session=lazy)
        store = Store(account_paths(sim_world.tess_id, scratch / "device").database, clock=clock)
        Outbox(store).enqueue(
            None,
            "message.send",
            {
                "message_id": seeded_uuid(random.Random(2)),
                "job_id": sim_world.jobs[0],
                "body": "On my way",
            },
        )
        engine = SyncEngine(store, client, clock=clock, sleep=FakeSleep(clock))
        try:
            first = await engine.sync_once(force=True)  # the refresh answer is lost
            plan.enabled = False
            second = await engine.sync_once(force=True)  # the network is fine again
            return first.ok, not second.signed_out and second.ok
        finally:
            await client.aclose()
            store.close()

    try:
        first_ok, recovered = asyncio.run(body())
    finally:
        server.close()
    assert not first_ok and trace, trace
    assert recovered, "one lost refresh answer signed the pro out"
