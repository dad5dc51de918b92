"""Housekeeping deletes only rows no check can need any more (marketplace.maintenance)."""

from __future__ import annotations

from datetime import timedelta

from marketplace import orm
from marketplace.maintenance import (
    IDEMPOTENCY_RETENTION,
    MAINTENANCE_EVERY,
    REFRESH_TOKEN_SLACK,
    maybe_run_maintenance,
    run_maintenance,
)
from tests.integration.server.world import PASSWORD, World, new_id


def _login(world: World, email: str, password: str = PASSWORD) -> int:
    response = world.client.post("/v1/auth/login", json={"email": email, "password": password})
    return int(response.status_code)


def test_expired_sessions_old_attempts_and_old_idempotency_records_go(world: World) -> None:
    biz = world.business()
    _, email = world.user("technician", biz)
    tech = world.api_user("technician", biz)
    job = world.job(biz, world.user("customer", None)[0], technicians=[tech.user_id])
    sent = tech.command("/v1/messages", {"message_id": new_id(), "job_id": job, "body": "hi"})
    assert sent.status_code in (200, 201), sent.text
    assert _login(world, email, "wrong password") == 401
    assert world.count(orm.IdempotencyRecord) == 1
    assert world.count(orm.LoginAttempt) >= 1
    tokens = world.count(orm.AccessToken), world.count(orm.RefreshToken)
    assert min(tokens) >= 1

    # Nothing is due yet: a run deletes nothing.
    with world.session_factory() as s, s.begin():
        report = run_maintenance(s, world.clock(), world.settings)
    assert report.idempotency_records == report.access_tokens == report.refresh_tokens == 0

    # After the rate-limit window and the access token's 15 minutes, those rows go;
    # refresh tokens (30 days) and the idempotency record (30 days) stay.
    later = world.clock() + world.settings.login_failure_window + timedelta(minutes=16)
    with world.session_factory() as s, s.begin():
        report = run_maintenance(s, later, world.settings)
    assert report.login_attempts >= 1 and report.access_tokens == tokens[0]
    assert world.count(orm.LoginAttempt) == 0 and world.count(orm.AccessToken) == 0
    assert world.count(orm.RefreshToken) == tokens[1]
    assert world.count(orm.IdempotencyRecord) == 1

    # After 30 days the idempotency record goes; a refresh token stays until a day past
    # its expiry (reuse detection, clock skew between servers), then goes.
    expiry = world.clock() + world.settings.refresh_token_ttl
    with world.session_factory() as s, s.begin():
        month = run_maintenance(s, world.clock() + IDEMPOTENCY_RETENTION + timedelta(seconds=1),
                                world.settings)
        assert (month.idempotency_records, month.refresh_tokens) == (1, 0)
        assert run_maintenance(s, expiry + REFRESH_TOKEN_SLACK / 2, world.settings
                               ).refresh_tokens == 0
        assert run_maintenance(s, expiry + REFRESH_TOKEN_SLACK, world.settings
                               ).refresh_tokens == tokens[1]
    assert world.count(orm.RefreshToken) == world.count(orm.IdempotencyRecord) == 0


def test_it_runs_at_most_once_an_hour_per_app(world: World) -> None:
    class AppState:
        pass

    state = AppState()
    assert maybe_run_maintenance(state, world.session_factory, world.clock, world.settings)
    assert maybe_run_maintenance(state, world.session_factory, world.clock, world.settings) is None
    world.clock.advance(seconds=MAINTENANCE_EVERY.total_seconds())
    assert maybe_run_maintenance(state, world.session_factory, world.clock, world.settings)


def test_signing_in_triggers_it(world: World) -> None:
    biz = world.business()
    _, mistyped = world.user("owner", biz)
    _, other = world.user("dispatcher", biz)
    assert _login(world, mistyped, "wrong password") == 401
    world.clock.advance(seconds=(MAINTENANCE_EVERY + world.settings.login_failure_window)
                        .total_seconds())
    # Another person's sign-in runs the hourly maintenance, which drops the old failure.
    assert _login(world, other) == 200
    assert world.count(orm.LoginAttempt) == 1  # only the new, successful attempt is left


