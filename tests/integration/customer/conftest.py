"""Fixtures of the customer suite: the server suite's real database (SQLite, and
PostgreSQL when PROAPP_TEST_POSTGRES_URL is set), in-process app and world builder,
plus a customer-flavoured helper (`Shop`).

The server suite's fixtures live in tests/integration/server/conftest.py, which pytest
does not load for this folder; importing them here registers them for these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from marketplace import orm
from proapp.domain import TimeWindow, format_utc
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


def window_json(start: datetime, hours: int = 2) -> dict[str, str]:
    """A time window as the API takes it."""
    window = TimeWindow(start=start, end=start + timedelta(hours=hours))
    return {"start": format_utc(window.start), "end": format_utc(window.end)}


@dataclass
class Shop:
    """One business with an owner and a technician, and two customers A and B."""

    world: World
    biz: str
    owner: ApiUser
    tech: ApiUser
    alice: ApiUser
    bob: ApiUser
    service_id: str

    def windows(self, days: int = 2, count: int = 3) -> list[dict[str, str]]:
        """``count`` future windows, a day apart, starting ``days`` days from now."""
        now = self.world.clock()
        return [window_json(now + timedelta(days=days + i, hours=1)) for i in range(count)]

    def renew_all(self) -> None:
        """Sign everyone in again after the clock moved past the tokens' lifetime."""
        for user in (self.owner, self.tech, self.alice, self.bob):
            user.renew()

    def buy(self, customer: ApiUser | None = None, **extra: Any) -> dict[str, Any]:
        """Customer buys the shop's packaged service; returns the job JSON."""
        body = {"address": ADDRESS, **extra}
        response = (customer or self.alice).command(
            f"/v1/customer/services/{self.service_id}/buy", body
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def request(self, customer: ApiUser | None = None, **extra: Any) -> dict[str, Any]:
        """Customer sends a custom request to the shop; returns the request JSON."""
        body = {"business_id": self.biz, "title": "Mount a TV", "address": ADDRESS,
                "description": "65 in TV on drywall", **extra}
        response = (customer or self.alice).command("/v1/customer/requests", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def estimate(self, request_id: str, cents: int = 20_000,
                 pro: ApiUser | None = None) -> dict[str, Any]:
        """The technician (or ``pro``) sends an estimate; returns the estimate JSON."""
        body = {
            "estimate_id": new_id(), "parts_supplier": "PRO",
            "line_items": [{"id": new_id(), "kind": "LABOR", "description": "Mounting",
                            "unit_price_cents": cents}],
        }
        response = (pro or self.tech).command(f"/v1/requests/{request_id}/estimates", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def schedule(self, job_id: str, customer: ApiUser | None = None) -> dict[str, Any]:
        """Customer picks 3 windows, owner confirms the first and assigns the tech."""
        who = customer or self.alice
        chosen = who.command(f"/v1/customer/jobs/{job_id}/windows", {"windows": self.windows()})
        assert chosen.status_code == 200, chosen.text
        first = chosen.json()["preferred_windows"][0]["id"]
        confirmed = self.owner.command(f"/v1/jobs/{job_id}/window/confirm",
                                       {"preferred_window_id": first})
        assert confirmed.status_code == 200, confirmed.text
        assigned = self.owner.command(f"/v1/jobs/{job_id}/assign",
                                      {"technician_ids": [self.tech.user_id]})
        assert assigned.status_code == 200, assigned.text
        result: dict[str, Any] = assigned.json()
        return result


ADDRESS = {"line1": "1420 Pine St", "city": "Seattle", "state": "WA", "postal_code": "98101"}


@pytest.fixture
def shop(world: World) -> Shop:  # noqa: F811 (the imported fixture, by name)
    """A WA business (R4 minimum trip charge $25) with staff, a service and 2 customers."""
    biz = world.business(state="WA")
    service_id = new_id()
    with world.session_factory() as session, session.begin():
        session.add(orm.PackagedService(
            id=service_id, business_id=biz, title="TV Wall Mounting", description="Up to 65 in",
            price_cents=12_900, whats_included=["Mounting", "Cord cover"],
            parts_supplier="CUSTOMER", location_type="IN_HOME", duration_minutes=90,
            active=True, created_at=world.clock(),
        ))
    return Shop(
        world, biz, world.api_user("owner", biz), world.api_user("technician", biz),
        world.api_user("customer", None), world.api_user("customer", None), service_id,
    )
