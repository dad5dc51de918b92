"""Password login, rotating refresh tokens with reuse detection, logout, rate limits."""

from __future__ import annotations

from httpx import Response
from sqlalchemy import select

from marketplace import orm
from tests.integration.server.world import PASSWORD, World


def _login(world: World, email: str, password: str = PASSWORD) -> tuple[int, dict[str, object]]:
    response = world.client.post("/v1/auth/login", json={"email": email, "password": password})
    return response.status_code, response.json()


def test_login_returns_tokens_and_user(world: World) -> None:
    biz = world.business()
    uid, email = world.user("dispatcher", biz)
    status, body = _login(world, email.upper())  # emails are case-insensitive
    assert status == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["user"] == {"id": uid, "email": email, "name": body["user"]["name"],
                            "role": "dispatcher", "business_id": biz}
    me = world.client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == uid


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    _, email = world.user("owner", world.business())
    _, body = _login(world, email)
    with world.session_factory() as s:
        hashes = set(s.scalars(select(orm.AccessToken.token_hash)).all())
        hashes |= set(s.scalars(select(orm.RefreshToken.token_hash)).all())
    assert body["access_token"] not in hashes and body["refresh_token"] not in hashes
    assert all(len(h) == 64 for h in hashes)


def test_unknown_email_and_wrong_password_get_the_same_answer(world: World) -> None:
    _, email = world.user("technician", world.business())
    wrong_status, wrong = _login(world, email, "not the password")
    unknown_status, unknown = _login(world, "nobody@example.test", PASSWORD)
    assert wrong_status == unknown_status == 401
    assert wrong == unknown
    assert wrong["code"] == "unauthorized"


def test_refresh_rotates_and_old_refresh_token_dies(world: World) -> None:
    _, email = world.user("owner", world.business())
    _, first = _login(world, email)
    r1 = world.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r1.status_code == 200
    second = r1.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # The new pair works.
    me = world.client.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200


def _refresh(world: World, token: object) -> Response:
    return world.client.post("/v1/auth/refresh", json={"refresh_token": token})


def _me(world: World, access: object) -> int:
    return world.client.get("/v1/me", headers={"Authorization": f"Bearer {access}"}).status_code


def test_reusing_a_rotated_refresh_token_revokes_the_family(world: World) -> None:
    _, email = world.user("owner", world.business())
    _, first = _login(world, email)
    second = _refresh(world, first["refresh_token"]).json()
    third = _refresh(world, second["refresh_token"]).json()  # the holder moved on
    # An attacker replays the first (already rotated) token.
    reuse = _refresh(world, first["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json()["details"] == {"reason": "refresh_token_reused"}
    # The legitimate holder's newer tokens are dead too.
    assert _refresh(world, third["refresh_token"]).status_code == 401
    assert _me(world, third["access_token"]) == 401


def test_a_lost_rotation_answer_may_be_retried_within_the_grace(world: World) -> None:
    _, email = world.user("technician", world.business())
    _, first = _login(world, email)
    lost = _refresh(world, first["refresh_token"]).json()  # this answer never arrives
    world.clock.advance(minutes=4)
    retried = _refresh(world, first["refresh_token"])
    assert retried.status_code == 200
    fresh = retried.json()
    assert fresh["refresh_token"] not in {first["refresh_token"], lost["refresh_token"]}
    assert _me(world, fresh["access_token"]) == 200
    # What the lost answer carried is dead: one live session per sign-in.
    assert _me(world, lost["access_token"]) == 401
    assert _refresh(world, lost["refresh_token"]).status_code == 401
    assert _refresh(world, fresh["refresh_token"]).status_code == 200


def test_a_rotated_token_after_the_grace_is_theft(world: World) -> None:
    _, email = world.user("technician", world.business())
    _, first = _login(world, email)
    second = _refresh(world, first["refresh_token"]).json()
    world.clock.advance(minutes=5, seconds=1)
    reuse = _refresh(world, first["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json()["details"] == {"reason": "refresh_token_reused"}
    assert _refresh(world, second["refresh_token"]).status_code == 401


def test_logout_ends_the_session(world: World) -> None:
    _, email = world.user("technician", world.business())
    _, body = _login(world, email)
    out = world.client.post("/v1/auth/logout", json={"refresh_token": body["refresh_token"]})
    assert out.status_code == 204
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert world.client.get("/v1/me", headers=headers).status_code == 401
    refreshed = world.client.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 401
    # Logging out twice is harmless.
    again = world.client.post("/v1/auth/logout", json={"refresh_token": body["refresh_token"]})
    assert again.status_code == 204


def test_access_token_expires_after_15_minutes(world: World) -> None:
    _, email = world.user("technician", world.business())
    _, body = _login(world, email)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    world.clock.advance(minutes=14)
    assert world.client.get("/v1/me", headers=headers).status_code == 200
    world.clock.advance(minutes=2)
    expired = world.client.get("/v1/me", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == "Bearer"
    # The refresh token still works after the access token expired.
    refreshed = world.client.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200


def test_refresh_token_expires_after_30_days(world: World) -> None:
    _, email = world.user("technician", world.business())
    _, body = _login(world, email)
    world.clock.advance(days=30, seconds=1)
    refreshed = world.client.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 401


def test_login_rate_limit_per_email(world: World) -> None:
    _, email = world.user("owner", world.business())
    for _ in range(5):
        assert _login(world, email, "wrong")[0] == 401
    response = world.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    # After the window the right password works again.
    world.clock.advance(minutes=5, seconds=1)
    assert _login(world, email)[0] == 200


def test_login_rate_limit_per_client_address(world: World) -> None:
    biz = world.business()
    emails = [world.user("technician", biz)[1] for _ in range(3)]
    # 20 failures from one address, spread over several accounts (4 or fewer each).
    for i in range(20):
        assert _login(world, emails[i % 3] if i < 12 else f"x{i}@example.test", "bad")[0] == 401
    status, body = _login(world, emails[0])
    assert status == 429 and body["code"] == "rate_limited"


def test_success_resets_the_email_failure_count(world: World) -> None:
    _, email = world.user("owner", world.business())
    for _ in range(4):
        _login(world, email, "wrong")
    assert _login(world, email)[0] == 200
    for _ in range(4):
        assert _login(world, email, "wrong")[0] == 401
    assert _login(world, email)[0] == 200


def test_bad_login_bodies_are_invalid(world: World) -> None:
    for body in ({}, {"email": "a@b.c"}, {"email": "a@b.c", "password": ""},
                 {"email": "a@b.c", "password": "x", "extra": 1}):
        response = world.client.post("/v1/auth/login", json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"
        assert response.json()["details"]["errors"]
