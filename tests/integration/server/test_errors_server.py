"""One error body everywhere, including routing errors and crashes; OpenAPI declares it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace import orm
from marketplace.app import JSON_BODY_MAX_BYTES
from tests.integration.server.world import World, new_id


def _is_error_body(body: object, code: str) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)


def test_unknown_route_is_404_with_the_error_body(world: World) -> None:
    response = world.client.get("/v1/nothing-here")
    assert response.status_code == 404
    _is_error_body(response.json(), "not_found")


def test_wrong_method_is_405_with_the_error_body(world: World) -> None:
    response = world.client.delete("/v1/health")
    assert response.status_code == 405
    _is_error_body(response.json(), "method_not_allowed")


def test_malformed_json_is_422_invalid(world: World) -> None:
    response = world.client.post("/v1/auth/login", content=b"{not json",
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    _is_error_body(response.json(), "invalid")


def test_json_body_too_large_is_413(world: World) -> None:
    body = b'{"email": "' + b"a" * (JSON_BODY_MAX_BYTES + 10) + b'", "password": "x"}'
    response = world.client.post("/v1/auth/login", content=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    _is_error_body(response.json(), "payload_too_large")


def test_streamed_json_body_too_large_is_413(world: World) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length header: counted while streaming
        yield b'{"email": "'
        for _ in range(JSON_BODY_MAX_BYTES // 65_536 + 2):
            yield b"a" * 65_536
        yield b'", "password": "x"}'

    response = world.client.post("/v1/auth/login", content=chunks(),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    _is_error_body(response.json(), "payload_too_large")
    assert world.count(orm.LoginAttempt) == 0


def test_crash_is_500_internal_without_a_stack_trace(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import marketplace.api.reads as reads

    personal = "secret internal detail alice@customer.example"

    def explode(*_args: object) -> None:
        raise RuntimeError(personal)

    biz = world.business()
    owner = world.api_user("owner", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    monkeypatch.setattr(reads, "job_model", explode)
    response = owner.get(f"/v1/jobs/{job_id}")
    assert response.status_code == 500
    _is_error_body(response.json(), "internal")
    assert "secret" not in response.text and "Traceback" not in response.text
    # The log says what broke and where, but not the exception's message.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "explode" in logged
    assert "secret" not in logged


def test_crash_inside_a_command_stores_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import marketplace.commands.pro as pro

    biz = world.business()
    owner = world.api_user("owner", biz)
    customer_id, _ = world.user("customer", None)
    job_id = world.job(biz, customer_id)
    window_id = owner.get(f"/v1/jobs/{job_id}").json()["preferred_windows"][0]["id"]

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pro, "_touch_job", explode)
    key = new_id()
    response = owner.command(f"/v1/jobs/{job_id}/window/confirm",
                             {"preferred_window_id": window_id}, key=key)
    assert response.status_code == 500
    _is_error_body(response.json(), "internal")
    # Nothing half-written: no appointment, job unchanged, no idempotency record.
    assert world.count(orm.Appointment) == 0
    assert world.row(orm.Job, job_id).status == "PENDING_SCHEDULE"
    assert world.count(orm.IdempotencyRecord) == 0
    monkeypatch.undo()
    # The same key then runs the command for real.
    retry = owner.command(f"/v1/jobs/{job_id}/window/confirm",
                          {"preferred_window_id": window_id}, key=key)
    assert retry.status_code == 200


def test_openapi_declares_the_error_body(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code", "message", "details"}
    jobs = document["paths"]["/v1/jobs/{job_id}"]["get"]["responses"]
    for status in ("401", "404", "422", "500"):
        assert jobs[status]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorBody")
    start = document["paths"]["/v1/jobs/{job_id}/start"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in start["parameters"])


def test_every_domain_error_code_has_an_http_status() -> None:
    from marketplace.errors import STATUS_BY_CODE
    from proapp.domain import ErrorCode

    missing = {code.value for code in ErrorCode} - set(STATUS_BY_CODE)
    assert missing == set()
    assert all(400 <= status < 600 for status in STATUS_BY_CODE.values())
