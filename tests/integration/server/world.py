"""A small world builder for server tests: rows straight into the database, plus a
signed-in API user wrapper. Nothing here calls command handlers, so the tests of the
handlers do not depend on themselves."""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response

with warnings.catch_warnings():
    # Starlette 1.x warns at import that its TestClient will move from httpx to httpx2.
    # The client works unchanged; the warning is about a future dependency switch.
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient
from PIL import Image

from marketplace import orm
from marketplace.config import Settings
from marketplace.db import SessionFactory
from marketplace.passwords import hash_password
from proapp.domain import rules, signing
from proapp.domain.models import LineItem, SignatureRecord

START = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # a Monday, no holiday nearby
PASSWORD = "correct horse battery staple"


class FakeClock:
    """An adjustable clock for the app (aware UTC)."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def new_id() -> str:
    return str(uuid.uuid4())


def png_bytes(color: tuple[int, int, int] = (10, 20, 30), size: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ApiUser:
    """A signed-in user: a TestClient plus their bearer token."""

    client: TestClient
    user_id: str
    email: str
    access_token: str
    refresh_token: str

    def renew(self) -> ApiUser:
        """Sign in again (after a test moved the clock past the token's lifetime)."""
        response = self.client.post(
            "/v1/auth/login", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        self.refresh_token = response.json()["refresh_token"]
        return self

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, headers=self.headers, **kwargs)

    def command(self, path: str, body: dict[str, Any] | None = None,
                key: str | None = None) -> Response:
        headers = {**self.headers, "Idempotency-Key": key or new_id()}
        if body is None:
            return self.client.post(path, headers=headers)
        return self.client.post(path, headers=headers, json=body)

    def upload(self, data: bytes, content_type: str = "image/png") -> str:
        digest = sha(data)
        response = self.client.put(
            f"/v1/blobs/{digest}", content=data,
            headers={**self.headers, "Content-Type": content_type},
        )
        assert response.status_code in (200, 201), response.text
        return digest


@dataclass
class World:
    """Creates rows directly (fast, independent of the handlers under test)."""

    session_factory: SessionFactory
    settings: Settings
    client: TestClient
    clock: FakeClock
    _counter: int = field(default=0)

    def _n(self) -> int:
        self._counter += 1
        return self._counter

    def business(self, *, name: str = "Biz", technicians_see_unassigned: bool = False,
                 state: str = "CA") -> str:
        bid = new_id()
        with self.session_factory() as s, s.begin():
            s.add(orm.Business(
                id=bid, name=f"{name} {self._n()}", time_zone="America/Los_Angeles",
                state=state, technicians_see_unassigned=technicians_see_unassigned,
                change_seq=0, created_at=self.clock(),
            ))
        return bid

    def user(self, role: str, business_id: str | None, *, password: str = PASSWORD,
             name: str | None = None) -> tuple[str, str]:
        uid = new_id()
        email = f"{role}{self._n()}@example.test"
        with self.session_factory() as s, s.begin():
            s.add(orm.User(
                id=uid, email=email, name=name or f"{role.title()} {self._counter}", role=role,
                business_id=business_id, password_hash=hash_password(password, self.settings),
                active=True, created_at=self.clock(),
            ))
        return uid, email

    def login(self, email: str, password: str = PASSWORD) -> ApiUser:
        response = self.client.post("/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
        return ApiUser(self.client, body["user"]["id"], email, body["access_token"],
                       body["refresh_token"])

    def api_user(self, role: str, business_id: str | None) -> ApiUser:
        _, email = self.user(role, business_id)
        return self.login(email)

    def request(self, business_id: str, customer_id: str, *,
                submitted_at: datetime | None = None, status: str = "OPEN",
                state: str = "CA") -> str:
        rid = new_id()
        submitted = submitted_at or self.clock()
        tz = "America/Los_Angeles"
        with self.session_factory() as s, s.begin():
            s.add(orm.CustomRequest(
                id=rid, business_id=business_id, customer_id=customer_id,
                title="Replace the kitchen faucet", description="It drips.", dimensions="",
                product_info="", location_type="IN_HOME",
                address={"line1": "1 Main St", "line2": "", "city": "Town", "state": state,
                         "postal_code": "94000"},
                time_zone=tz, status=status, submitted_at=submitted,
                estimate_due_at=rules.estimate_due_at(submitted, tz),
                closes_at=rules.estimate_window_closes_at(submitted, tz), version=1,
                updated_at=submitted,
            ))
        return rid

    def job(self, business_id: str, customer_id: str, *, status: str = "PENDING_SCHEDULE",
            technicians: list[str] | None = None, price_cents: int = 20_000,
            lines: list[dict[str, Any]] | None = None, request_id: str | None = None,
            windows: int = 3, appointment: bool | None = None) -> str:
        jid = new_id()
        now = self.clock()
        line_items = lines if lines is not None else [
            {"id": new_id(), "kind": "LABOR", "description": "Install", "quantity": 1,
             "unit_price_cents": price_cents},
        ]
        with self.session_factory() as s, s.begin():
            estimate_id = None
            if request_id is not None:
                estimate_id = new_id()
                s.add(orm.Estimate(
                    id=estimate_id, request_id=request_id, business_id=business_id,
                    created_by=customer_id, line_items=line_items, total_cents=price_cents,
                    parts_supplier="PRO", status="ACCEPTED", submitted_at=now, version=1,
                ))
                s.flush()
            s.add(orm.Job(
                id=jid, business_id=business_id, customer_id=customer_id,
                origin="ESTIMATE" if request_id else "PACKAGED",
                service_id=None if request_id else self._service(s, business_id),
                estimate_id=estimate_id, request_id=request_id, title="Faucet swap",
                line_items=line_items, location_type="IN_HOME",
                address={"line1": "1 Main St", "line2": "", "city": "Town", "state": "CA",
                         "postal_code": "94000"},
                time_zone="America/Los_Angeles", customer_name="Cus Tomer", status=status,
                ordered_at=now, price_cents=price_cents,
                window_confirmation_due_at=rules.window_confirmation_due_at(
                    now, "America/Los_Angeles"),
                version=1, updated_at=now,
            ))
            s.flush()
            for i in range(windows):
                start = now + timedelta(days=2 + i, hours=1)
                s.add(orm.PreferredWindow(id=new_id(), job_id=jid, position=i, start_at=start,
                                          end_at=start + timedelta(hours=2)))
            if appointment or (appointment is None and status in (
                    "SCHEDULED", "IN_PROGRESS")):
                start = now + timedelta(days=2, hours=1)
                s.add(orm.Appointment(id=new_id(), job_id=jid, start_at=start,
                                      end_at=start + timedelta(hours=2), status="ACTIVE",
                                      created_at=now))
            for pos, tech in enumerate(technicians or []):
                s.add(orm.JobAssignment(job_id=jid, user_id=tech, position=pos,
                                        assigned_at=now, assigned_by=tech))
        return jid

    def _service(self, s: Any, business_id: str) -> str:
        sid = new_id()
        s.add(orm.PackagedService(
            id=sid, business_id=business_id, title="Faucet swap", description="",
            price_cents=20_000, whats_included=["Labor"], parts_supplier="CUSTOMER",
            location_type="IN_HOME", duration_minutes=60, active=True,
            created_at=self.clock(),
        ))
        s.flush()
        return sid

    def visit(self, business_id: str, request_id: str, proposer: str, *,
              price_cents: int = 5_000, accepted_at: datetime | None = None,
              status: str = "ACCEPTED", waiver_terms: str = "NONE",
              window_start: datetime | None = None) -> str:
        vid = new_id()
        with self.session_factory() as s, s.begin():
            s.add(orm.Visit(
                id=vid, request_id=request_id, business_id=business_id, proposed_by=proposer,
                price_cents=price_cents, minimum_trip_charge_cents=0, waiver_terms=waiver_terms,
                discount_cents=0, note="", status=status, proposed_at=self.clock(),
                accepted_at=accepted_at, window_start=window_start,
                window_end=window_start + timedelta(hours=2) if window_start else None,
                version=1,
            ))
        return vid

    def row(self, model: type[Any], key: Any) -> Any:
        with self.session_factory() as s:
            return s.get(model, key)

    def count(self, model: type[Any], **where: Any) -> int:
        from sqlalchemy import func, select

        with self.session_factory() as s:
            stmt = select(func.count()).select_from(model)
            for name, value in where.items():
                stmt = stmt.where(getattr(model, name) == value)
            return int(s.scalar(stmt) or 0)

    def job_lines(self, job_id: str) -> list[LineItem]:
        job = self.row(orm.Job, job_id)
        return [LineItem.model_validate(line) for line in job.line_items]


def signature(pro_user_id: str, png_sha256: str, content: dict[str, Any]) -> dict[str, Any]:
    """A signature record (JSON) for ``content``, as the pro's device would send it."""
    record = SignatureRecord(
        signer_name="Cus Tomer", strokes=[[(1, 2), (3, 4), (5, 6)]], png_sha256=png_sha256,
        device_signed_at=START, consent_text="I agree to the amounts shown.",
        pro_user_id=pro_user_id, device_id="device-1",
        content_sha256=signing.content_sha256(content),
    )
    return record.model_dump(mode="json", exclude={"server_received_at"})


def line(cents: int, kind: str = "PART", description: str = "Part") -> dict[str, Any]:
    return {"id": new_id(), "kind": kind, "description": description, "quantity": 1,
            "unit_price_cents": cents}
