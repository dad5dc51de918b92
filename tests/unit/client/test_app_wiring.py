"""proapp.app wiring: rotated refresh tokens land in the secret store, per server."""

from __future__ import annotations

import asyncio
import json

import httpx

from proapp.api.client import MarketplaceClient
from proapp.app import AppConfig, build_main, make_client_factory
from proapp.secrets import MemorySecretStore, refresh_token_name
from tests.unit.client.test_api_client import tokens_json

URL = "http://127.0.0.1:9999"


def test_rotated_refresh_tokens_are_saved_under_the_servers_name() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/auth/refresh"
        assert json.loads(request.content) == {"refresh_token": "saved"}
        return httpx.Response(200, json=tokens_json(7))

    secrets = MemorySecretStore()
    factory = make_client_factory(secrets, transport=httpx.MockTransport(handler))

    async def scenario() -> None:
        client = factory(URL)
        assert isinstance(client, MarketplaceClient)
        await client.refresh("saved")
        await client.aclose()

    asyncio.run(scenario())
    assert asyncio.run(secrets.get(refresh_token_name(URL))) == "refresh-7"
    assert secrets.names() == [refresh_token_name(URL)]


def test_build_main_gives_a_coroutine_function_without_touching_the_keyring() -> None:
    main = build_main(AppConfig(server_url=URL, secret_store=MemorySecretStore()))
    assert asyncio.iscoroutinefunction(main)
