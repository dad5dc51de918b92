"""Fixtures of the sync server suite: the server suite's real databases (SQLite, and
PostgreSQL when PROAPP_TEST_POSTGRES_URL is set), the in-process app and world builder,
plus a `Crew` (one business, its staff and technicians, a customer) and sync helpers.

The server suite's fixtures live in tests/integration/server/conftest.py, which pytest
does not load for this folder; importing them here registers them for these tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response

from tests.integration.server.conftest import (  # noqa: F401 (fixtures, used by name)
    _postgres_template,
    _sqlite_template,
    client,
    clock,
    database_url,
    settings,
    world,
)
from tests.integration.server.world import ApiUser, World, new_id


@dataclass
class Device:
    """One install of a signed-in pro: its client id and its outbox numbering."""

    user: ApiUser
    client_id: str = field(default_factory=new_id)
    next_mid: int = 1

    def mutation(self, name: str, args: dict[str, Any], *, mid: int | None = None,
                 mutation_id: str | None = None, base_version: int | None = None,
                 ) -> dict[str, Any]:
        """A new outbox mutation (numbered from ``next_mid`` unless ``mid`` is given)."""
        if mid is None:
            mid = self.next_mid
            self.next_mid += 1
        return {"mid": mid, "id": mutation_id or new_id(), "name": name, "args": args,
                "base_version": base_version}

    def push(self, mutations: list[dict[str, Any]], **extra: Any) -> Response:
        """POST /v1/sync/push as this install."""
        return self.user.client.post(
            "/v1/sync/push", json={"mutations": mutations, **extra},
            headers={**self.user.headers, "X-Client-Id": self.client_id},
        )

    def pull(self, cursor: str | None = None, limit: int | None = None) -> Response:
        """GET /v1/sync/pull as this install."""
        params: dict[str, Any] = {}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        return self.user.client.get(
            "/v1/sync/pull", params=params,
            headers={**self.user.headers, "X-Client-Id": self.client_id},
        )

    def pull_all(self, cursor: str | None = None, limit: int | None = None,
                 ) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
        """Pull until ``has_more`` is false: (all changes, final cursor, pages)."""
        changes: list[dict[str, Any]] = []
        pages: list[dict[str, Any]] = []
        for _ in range(200):
            response = self.pull(cursor, limit)
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                assert cursor is not None
                return changes, cursor, pages
        raise AssertionError("pull never finished")


@dataclass
class Crew:
    """One business with an owner, technicians Tess and Marco, and a customer."""

    world: World
    biz: str
    owner: ApiUser
    tess: ApiUser
    marco: ApiUser
    customer_id: str

    def job(self, *technicians: ApiUser, **kwargs: Any) -> str:
        """A job of the business assigned to ``technicians`` (none: unassigned)."""
        return self.world.job(self.biz, self.customer_id,
                              technicians=[t.user_id for t in technicians], **kwargs)


@pytest.fixture
def crew(world: World) -> Crew:  # noqa: F811 (the imported fixture, by name)
    """A business with an owner, two technicians and a customer."""
    biz = world.business()
    customer_id, _ = world.user("customer", None)
    return Crew(world, biz, world.api_user("owner", biz), world.api_user("technician", biz),
                world.api_user("technician", biz), customer_id)


def message(job_id: str, body: str = "On my way", message_id: str | None = None,
            ) -> dict[str, Any]:
    """Args of message.send on a job."""
    return {"message_id": message_id or new_id(), "job_id": job_id, "body": body}
