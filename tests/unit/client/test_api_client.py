"""MarketplaceClient against httpx.MockTransport: contract, errors, refresh, security."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from proapp.api import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InsecureServerUrlError,
    InvalidResponseError,
    MarketplaceClient,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ServerUrlError,
    ValidationFailedError,
    tls_context,
)
from proapp.domain.enums import JobStatus, Role
from tests.unit.client.fakes import BUSINESS_ID, TESS_ID, make_job

T = TypeVar("T")
BASE = "https://pros.example.com"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def user_json() -> dict[str, Any]:
    return {
        "id": TESS_ID,
        "email": "tess@brightfix.example",
        "name": "Tess Rivera",
        "role": "technician",
        "business_id": BUSINESS_ID,
    }


def tokens_json(n: int) -> dict[str, Any]:
    return {
        "access_token": f"access-{n}",
        "refresh_token": f"refresh-{n}",
        "token_type": "bearer",
        "expires_in": 900,
        "user": user_json(),
    }


def job_json(**kwargs: Any) -> dict[str, Any]:
    data: dict[str, Any] = make_job(**kwargs).model_dump(mode="json")
    data["a_field_from_a_newer_server"] = {"nested": True}  # must be ignored
    return data


def error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": message, "details": {"k": 1}}, headers=headers
    )


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Routes requests to a handler and keeps them for assertions."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def client_for(
    handler: Handler, *, base_url: str = BASE, **kwargs: Any
) -> tuple[MarketplaceClient, Recorder]:
    recorder = Recorder(handler)
    return MarketplaceClient(base_url, transport=httpx.MockTransport(recorder), **kwargs), recorder


async def signed_in(client: MarketplaceClient) -> None:
    await client.login("tess@brightfix.example", "demo-tech-pass")


def standard_server(jobs_pages: list[list[dict[str, Any]]] | None = None) -> Handler:
    """Login works; access-1 is expired (401) after login, refresh gives access-2."""
    pages = jobs_pages or [[job_json()]]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        if path == "/v1/jobs":
            index = int(request.url.params.get("page_token") or 0)
            token = str(index + 1) if index + 1 < len(pages) else None
            return httpx.Response(200, json={"items": pages[index], "next_page_token": token})
        return httpx.Response(404, json={"code": "not_found", "message": "nope", "details": {}})

    return handler


# ---------------------------------------------------------------- happy paths


def test_login_posts_credentials_and_keeps_the_session() -> None:
    async def scenario() -> None:
        client, rec = client_for(standard_server())
        async with client:
            session = await client.login("tess@brightfix.example", "demo-tech-pass")
        assert rec.paths() == ["POST /v1/auth/login"]
        assert json.loads(rec.requests[0].content) == {
            "email": "tess@brightfix.example",
            "password": "demo-tech-pass",
        }
        assert "authorization" not in rec.requests[0].headers
        assert session.user.role is Role.TECHNICIAN
        assert session.user.name == "Tess Rivera"
        assert session.access_token == "access-1"
        assert session.refresh_token == "refresh-1"
        assert client.session is session

    run(scenario())


def test_signing_in_logs_no_personal_data_or_secrets(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        client, _ = client_for(standard_server())
        async with client:
            await client.login("tess@brightfix.example", "demo-tech-pass")

    with caplog.at_level(logging.DEBUG, logger="proapp"):
        run(scenario())
    assert "signed in" in caplog.text
    for secret in ("tess@brightfix.example", "demo-tech-pass", "access-1", "refresh-1"):
        assert secret not in caplog.text


def test_session_repr_never_shows_tokens() -> None:
    async def scenario() -> None:
        client, _ = client_for(standard_server())
        async with client:
            session = await client.login("tess@brightfix.example", "demo-tech-pass")
            text = repr(session) + repr(client)
        assert "access-1" not in text
        assert "refresh-1" not in text
        assert "Tess Rivera" in text

    run(scenario())


def test_list_jobs_sends_bearer_and_paging_and_converts_to_domain() -> None:
    pages = [[job_json(title="A")], [job_json(title="B", status="PENDING_SCHEDULE")]]

    async def scenario() -> None:
        client, rec = client_for(standard_server(pages))
        async with client:
            await signed_in(client)
            first = await client.list_jobs(limit=1)
            second = await client.list_jobs(page_token=first.next_page_token, limit=1)
        assert [j.title for j in first.items] == ["A"]
        assert first.next_page_token == "1"
        assert second.items[0].status is JobStatus.PENDING_SCHEDULE
        assert second.next_page_token is None
        jobs_requests = rec.requests[1:]
        assert all(r.headers["authorization"] == "Bearer access-1" for r in jobs_requests)
        assert jobs_requests[0].url.params["limit"] == "1"
        assert "page_token" not in jobs_requests[0].url.params
        assert jobs_requests[1].url.params["page_token"] == "1"

    run(scenario())


def test_iter_jobs_walks_every_page() -> None:
    pages = [[job_json(title="A"), job_json(title="B")], [job_json(title="C")]]

    async def scenario() -> list[str]:
        client, _ = client_for(standard_server(pages))
        async with client:
            await signed_in(client)
            return [job.title async for job in client.iter_jobs()]

    assert run(scenario()) == ["A", "B", "C"]


def test_get_job_quotes_the_id_into_the_path() -> None:
    job = job_json()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        if request.url.raw_path.decode() == f"/v1/jobs/{job['id']}":
            return httpx.Response(200, json=job)
        return error(404, "not_found", "That job was not found.")

    async def scenario() -> None:
        client, _ = client_for(handler)
        async with client:
            await signed_in(client)
            assert (await client.get_job(job["id"])).id == job["id"]
            with pytest.raises(NotFoundError) as caught:
                await client.get_job("../me")
        assert caught.value.message == "That job was not found."

    run(scenario())


def test_me_returns_the_domain_user() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        return httpx.Response(200, json={**user_json(), "avatar": "new field"})

    async def scenario() -> None:
        client, _ = client_for(handler)
        async with client:
            await signed_in(client)
            user = await client.me()
        assert user.id == TESS_ID
        assert user.business_id == BUSINESS_ID

    run(scenario())


def test_calls_that_need_a_session_fail_without_sending() -> None:
    async def scenario() -> None:
        client, rec = client_for(standard_server())
        async with client:
            with pytest.raises(AuthenticationError):
                await client.list_jobs()
        assert rec.requests == []

    run(scenario())


# ---------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("response", "expected", "code"),
    [
        (error(400, "invalid", "Bad field."), ValidationFailedError, "invalid"),
        (error(403, "forbidden", "Not yours."), PermissionDeniedError, "forbidden"),
        (error(404, "not_found", "Gone."), NotFoundError, "not_found"),
        (error(409, "job_cancelled", "Cancelled."), ConflictError, "job_cancelled"),
        (
            error(422, "idempotency_mismatch", "Key reused."),
            ValidationFailedError,
            "idempotency_mismatch",
        ),
        (error(429, "rate_limited", "Slow down."), RateLimitedError, "rate_limited"),
        (error(500, "internal", "Boom."), ServerError, "internal"),
        (error(418, "teapot", "I am a teapot."), ApiError, "teapot"),
    ],
)
def test_error_statuses_map_to_the_error_tree(
    response: httpx.Response, expected: type[ApiError], code: str
) -> None:
    async def scenario() -> None:
        client, _ = client_for(
            lambda r: (
                httpx.Response(200, json=tokens_json(1))
                if r.url.path == "/v1/auth/login"
                else response
            )
        )
        async with client:
            await signed_in(client)
            with pytest.raises(ApiError) as caught:
                await client.list_jobs()
        assert type(caught.value) is expected
        assert caught.value.code == code
        assert caught.value.status == response.status_code
        assert caught.value.message == response.json()["message"]
        assert caught.value.details == {"k": 1}

    run(scenario())


def test_retry_after_is_read_for_rate_limits_and_unavailable() -> None:
    async def scenario() -> tuple[RateLimitedError, ServerError]:
        responses = iter(
            [
                error(429, "rate_limited", "Slow down.", **{"Retry-After": "30"}),
                httpx.Response(503, text="down", headers={"Retry-After": "120"}),
            ]
        )
        client, _ = client_for(lambda _r: next(responses), base_url="http://127.0.0.1:1")
        async with client:
            with pytest.raises(RateLimitedError) as limited:
                await client.login("a@b.example", "pw")
            with pytest.raises(ServerError) as down:
                await client.login("a@b.example", "pw")
        return limited.value, down.value

    limited, down = run(scenario())
    assert limited.retry_after == 30
    assert down.retry_after == 120
    assert down.status == 503
    assert down.message == ServerError.default_message  # body was not the error shape


def test_redirects_are_not_followed() -> None:
    async def scenario() -> ServerError:
        client, rec = client_for(
            lambda _r: httpx.Response(302, headers={"Location": "http://evil.example/steal"})
        )
        async with client:
            with pytest.raises(ServerError) as caught:
                await client.login("a@b.example", "pw")
        assert len(rec.requests) == 1
        return caught.value

    assert run(scenario()).code == "unexpected_redirect"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("garbage"),
        httpx.ReadError("reset"),
    ],
)
def test_transport_failures_become_network_errors(exc: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async def scenario() -> NetworkError:
        client, _ = client_for(handler)
        async with client:
            with pytest.raises(NetworkError) as caught:
                await client.login("a@b.example", "pw")
        return caught.value

    error_ = run(scenario())
    assert error_.__cause__ is exc
    assert error_.status is None
    assert BASE in error_.message


def test_wrong_password_says_so_in_plain_words() -> None:
    async def scenario() -> AuthenticationError:
        client, rec = client_for(lambda _r: httpx.Response(401))
        async with client:
            with pytest.raises(AuthenticationError) as caught:
                await client.login("tess@brightfix.example", "nope")
        assert rec.paths() == ["POST /v1/auth/login"]  # no refresh attempt on login
        return caught.value

    assert "email and password do not match" in run(scenario()).message


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"access_token": "x"}',
        json.dumps({**tokens_json(1), "user": {**user_json(), "id": "not-a-uuid"}}).encode(),
    ],
)
def test_unreadable_success_bodies_become_invalid_response(body: bytes) -> None:
    async def scenario() -> None:
        client, _ = client_for(lambda _r: httpx.Response(200, content=body))
        async with client:
            with pytest.raises(InvalidResponseError):
                await client.login("a@b.example", "pw")
        assert client.session is None

    run(scenario())


def test_a_job_with_a_float_price_is_refused_not_rounded() -> None:
    bad = {**job_json(), "price_cents": 189.5}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        return httpx.Response(200, json={"items": [bad], "next_page_token": None})

    async def scenario() -> None:
        client, _ = client_for(handler)
        async with client:
            await signed_in(client)
            with pytest.raises(InvalidResponseError):
                await client.list_jobs()

    run(scenario())


# ---------------------------------------------------------------- refresh on 401


class RotatingServer:
    """Access tokens expire on demand; refresh rotates both tokens (old refresh dies)."""

    def __init__(self) -> None:
        self.generation = 1
        self.valid_access = {"access-1"}
        self.valid_refresh = {"refresh-1"}
        self.refresh_calls = 0
        self.always_401 = False

    def expire_access(self) -> None:
        self.valid_access = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        if path == "/v1/auth/refresh":
            self.refresh_calls += 1
            token = json.loads(request.content)["refresh_token"]
            if token not in self.valid_refresh:
                return error(401, "unauthorized", "That session has ended. Sign in again.")
            self.generation += 1
            self.valid_access = {f"access-{self.generation}"}
            self.valid_refresh = {f"refresh-{self.generation}"}
            return httpx.Response(200, json=tokens_json(self.generation))
        if path == "/v1/auth/logout":
            self.valid_refresh = set()
            return httpx.Response(204)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.always_401 or bearer not in self.valid_access:
            return error(401, "unauthorized", "Access token expired.")
        return httpx.Response(200, json={"items": [job_json()], "next_page_token": None})


def test_a_401_refreshes_once_repeats_once_and_reports_the_rotated_token() -> None:
    server = RotatingServer()
    rotated: list[str] = []

    async def save(token: str) -> None:
        rotated.append(token)

    async def scenario() -> None:
        client, rec = client_for(server, on_refresh_token_rotated=save)
        async with client:
            await signed_in(client)
            server.expire_access()
            page = await client.list_jobs()
            assert len(page.items) == 1
            assert client.session is not None
            assert client.session.refresh_token == "refresh-2"
        assert rec.paths() == [
            "POST /v1/auth/login",
            "GET /v1/jobs",
            "POST /v1/auth/refresh",
            "GET /v1/jobs",
        ]
        assert json.loads(rec.requests[2].content) == {"refresh_token": "refresh-1"}
        assert rec.requests[3].headers["authorization"] == "Bearer access-2"

    run(scenario())
    assert rotated == ["refresh-2"]


def test_a_second_401_after_refresh_is_not_retried_again() -> None:
    server = RotatingServer()
    server.always_401 = True

    async def scenario() -> None:
        client, rec = client_for(server)
        async with client:
            await signed_in(client)
            with pytest.raises(AuthenticationError) as caught:
                await client.list_jobs()
        assert server.refresh_calls == 1
        assert rec.paths().count("GET /v1/jobs") == 2
        assert caught.value.message == "Access token expired."  # the server's own words

    run(scenario())


def test_a_refused_refresh_signs_out() -> None:
    server = RotatingServer()

    async def scenario() -> None:
        client, _ = client_for(server)
        async with client:
            await signed_in(client)
            server.expire_access()
            server.valid_refresh = set()  # revoked elsewhere
            with pytest.raises(AuthenticationError) as caught:
                await client.list_jobs()
            assert client.session is None
        assert caught.value.message == "That session has ended. Sign in again."

    run(scenario())


def test_concurrent_401s_share_one_refresh() -> None:
    server = RotatingServer()

    async def scenario() -> None:
        client, _ = client_for(server)
        async with client:
            await signed_in(client)
            server.expire_access()
            pages = await asyncio.gather(*(client.list_jobs() for _ in range(3)))
        assert all(len(p.items) == 1 for p in pages)
        # One rotation: a second refresh with the dead "refresh-1" would have failed.
        assert server.refresh_calls == 1

    run(scenario())


def test_a_failing_token_callback_does_not_fail_the_call() -> None:
    server = RotatingServer()

    async def broken(token: str) -> None:
        raise RuntimeError("keyring exploded")

    async def scenario() -> None:
        client, _ = client_for(server, on_refresh_token_rotated=broken)
        async with client:
            await signed_in(client)
            server.expire_access()
            assert len((await client.list_jobs()).items) == 1

    run(scenario())


def test_explicit_refresh_with_a_stored_token_resumes_a_session() -> None:
    server = RotatingServer()

    async def scenario() -> None:
        client, rec = client_for(server)
        async with client:
            session = await client.refresh("refresh-1")
            assert session.user.email == "tess@brightfix.example"
            assert len((await client.list_jobs()).items) == 1
        assert rec.paths()[0] == "POST /v1/auth/refresh"

    run(scenario())


def test_logout_forgets_locally_even_when_the_server_is_unreachable() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json=tokens_json(1))
        calls["n"] += 1
        assert json.loads(request.content) == {"refresh_token": "refresh-1"}
        raise httpx.ConnectError("offline")

    async def scenario() -> None:
        client, _ = client_for(handler)
        async with client:
            await signed_in(client)
            with pytest.raises(NetworkError):
                await client.logout()
            assert client.session is None
            await client.logout()  # already signed out: nothing to send

    run(scenario())
    assert calls["n"] == 1


# ---------------------------------------------------------------- transport security


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://pros.example.com:8080/api",
        "http://localhost.example.com",
        "http://10.0.0.5:8000",
        "http://192.168.1.20",
        "http://[2001:db8::1]:8000",
    ],
)
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(InsecureServerUrlError) as caught:
        MarketplaceClient(url, transport=httpx.MockTransport(lambda _r: httpx.Response(200)))
    assert "https://" in caught.value.message


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://127.9.9.9:8000", "http://127.9.9.9:8000"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("HTTP://LOCALHOST", "http://localhost"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://pros.example.com/marketplace/", "https://pros.example.com/marketplace"),
        ("  https://pros.example.com  ", "https://pros.example.com"),
    ],
)
def test_https_and_loopback_http_are_accepted(url: str, normalised: str) -> None:
    async def scenario() -> str:
        client = MarketplaceClient(
            url, transport=httpx.MockTransport(lambda _r: httpx.Response(200))
        )
        await client.aclose()
        return client.base_url

    assert run(scenario()) == normalised


@pytest.mark.parametrize(
    "url",
    [
        "",
        "pros.example.com",
        "ftp://pros.example.com",
        "https://",
        "https://u:p@pros.example.com",
        "https://pros.example.com/?x=1",
        "https://pros.example.com:99999",
    ],
)
def test_malformed_server_urls_are_refused_in_plain_words(url: str) -> None:
    with pytest.raises(ServerUrlError) as caught:
        MarketplaceClient(url)
    assert not isinstance(caught.value, InsecureServerUrlError)
    assert caught.value.message


def test_tls_context_verifies_certificates_and_host_names() -> None:
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_default_transport_verifies_tls_and_there_is_no_switch_to_turn_it_off() -> None:
    assert "verify" not in inspect.signature(MarketplaceClient).parameters

    async def scenario() -> ssl.SSLContext:
        client = MarketplaceClient(BASE)
        transport = client._http._transport  # noqa: SLF001 - checking the real default
        await client.aclose()
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        context: ssl.SSLContext | None = transport._pool._ssl_context  # noqa: SLF001
        assert context is not None
        return context

    context = run(scenario())
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
