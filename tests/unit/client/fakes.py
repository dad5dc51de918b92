"""Fakes for the client's ports (no mocking library: they implement the real interface)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from proapp.api.errors import ApiError, AuthenticationError, NotFoundError
from proapp.api.models import Session
from proapp.api.ports import DEFAULT_PAGE_SIZE, MarketplaceApi
from proapp.domain.models import Job, Page, User
from proapp.secrets import SecretStoreUnavailable

TESS_ID = "8a0c1f2e-0000-4000-8000-000000000001"
BUSINESS_ID = "8a0c1f2e-0000-4000-8000-0000000000b1"
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 8:00 AM in Los Angeles (PST)


def make_user(name: str = "Tess Rivera", email: str = "tess@brightfix.example") -> User:
    return User.model_validate(
        {
            "id": TESS_ID,
            "email": email,
            "name": name,
            "role": "technician",
            "business_id": BUSINESS_ID,
        }
    )


def make_job(
    title: str = "Water heater flush",
    *,
    status: str = "SCHEDULED",
    start: datetime | None = NOW + timedelta(hours=2),
    hours: int = 2,
    preferred: list[datetime] | None = None,
    city: str = "Seattle",
    price_cents: int = 18_900,
    time_zone: str = "America/Los_Angeles",
    location_type: str = "IN_HOME",
    job_id: str | None = None,
) -> Job:
    """A valid domain Job; ``start`` None means no confirmed appointment yet."""
    jid = job_id or str(uuid.uuid4())
    appointment: dict[str, Any] | None = None
    if start is not None and status != "PENDING_SCHEDULE":
        appointment = {
            "id": str(uuid.uuid4()),
            "job_id": jid,
            "window": {"start": start, "end": start + timedelta(hours=hours)},
            "assigned_technician_ids": [TESS_ID],
        }
    return Job.model_validate(
        {
            "id": jid,
            "business_id": BUSINESS_ID,
            "customer_id": str(uuid.uuid4()),
            "origin": "PACKAGED",
            "service_id": str(uuid.uuid4()),
            "title": title,
            "location_type": location_type,
            "address": {"line1": "1 Main St", "city": city, "state": "WA", "postal_code": "98101"}
            if location_type == "IN_HOME"
            else None,
            "time_zone": time_zone,
            "status": status,
            "ordered_at": NOW - timedelta(days=3),
            "preferred_windows": [
                {"id": str(uuid.uuid4()), "window": {"start": p, "end": p + timedelta(hours=2)}}
                for p in (preferred or [])
            ],
            "appointment": appointment,
            "price_cents": price_cents,
            "window_confirmation_due_at": NOW - timedelta(days=2),
        }
    )


class FakeMarketplaceClient:
    """An in-memory `MarketplaceApi`: one account, a list of jobs, scripted failures."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:9999",
        *,
        jobs: list[Job] | None = None,
        email: str = "tess@brightfix.example",
        password: str = "demo-tech-pass",
        page_size: int = 2,
    ) -> None:
        self.base_url = base_url
        self.session: Session | None = None
        self.jobs = list(jobs or [])
        self._email = email
        self._password = password
        self._page_size = page_size
        self.login_error: ApiError | None = None
        self.list_error: ApiError | None = None
        self.refresh_error: ApiError | None = None
        self.logout_error: ApiError | None = None
        self.calls: list[str] = []
        self.closed = False
        self.login_gate: asyncio.Event | None = None  # set() to let a login finish
        self.valid_refresh_tokens: set[str] = set()
        self._counter = 0

    def _new_session(self) -> Session:
        self._counter += 1
        session = Session(
            user=make_user(),
            access_token=f"access-{self._counter}",
            refresh_token=f"refresh-{self._counter}",
            access_expires_at=NOW + timedelta(minutes=15),
        )
        self.valid_refresh_tokens = {session.refresh_token}
        return session

    async def login(self, email: str, password: str) -> Session:
        self.calls.append(f"login {email}")
        if self.login_gate is not None:
            await self.login_gate.wait()
        if self.login_error is not None:
            raise self.login_error
        if (email, password) != (self._email, self._password):
            raise AuthenticationError("Wrong email or password. Check them and try again.")
        self.session = self._new_session()
        return self.session

    async def refresh(self, refresh_token: str | None = None) -> Session:
        self.calls.append("refresh")
        if self.refresh_error is not None:
            raise self.refresh_error
        token = refresh_token or (self.session.refresh_token if self.session else None)
        if token not in self.valid_refresh_tokens:
            self.session = None
            raise AuthenticationError("Your session has ended. Sign in again to continue.")
        self.session = self._new_session()
        return self.session

    async def logout(self) -> None:
        self.calls.append("logout")
        self.session = None
        self.valid_refresh_tokens = set()
        if self.logout_error is not None:
            raise self.logout_error

    async def me(self) -> User:
        if self.session is None:
            raise AuthenticationError()
        return self.session.user

    async def list_jobs(
        self, page_token: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page[Job]:
        self.calls.append(f"list_jobs {page_token}")
        if self.session is None:
            raise AuthenticationError()
        if self.list_error is not None:
            raise self.list_error
        start = int(page_token or 0)
        size = min(limit, self._page_size)
        end = start + size
        return Page[Job](
            items=self.jobs[start:end],
            next_page_token=str(end) if end < len(self.jobs) else None,
        )

    async def get_job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise NotFoundError()

    async def aclose(self) -> None:
        self.closed = True


class UnavailableSecretStore:
    """A `SecretStore` whose backend is missing, like keyring on a headless server."""

    async def get(self, name: str) -> str | None:
        del name
        raise SecretStoreUnavailable("no keyring")

    async def set(self, name: str, value: str) -> None:
        del name, value
        raise SecretStoreUnavailable("no keyring")

    async def delete(self, name: str) -> None:
        del name
        raise SecretStoreUnavailable("no keyring")


def _conforms(client: FakeMarketplaceClient) -> MarketplaceApi:
    # mypy checks here that the fake really implements the interface.
    return client
