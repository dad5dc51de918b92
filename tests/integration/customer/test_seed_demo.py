"""The demo seed: every state represented, everything valid under the shared domain,
relative to ``now``, deterministic, idempotent, fast, and the second business isolated."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from marketplace import orm
from marketplace.db import make_engine, make_session_factory
from marketplace.seed import (
    DEMO_ACCOUNTS,
    DEMO_BUSINESS_NAME,
    OTHER_BUSINESS_ACCOUNTS,
    OTHER_BUSINESS_NAME,
    WORK_DAY_END,
    WORK_DAY_START,
    seed_demo,
)
from marketplace.serialize import (
    change_order_model,
    estimate_model,
    job_model,
    message_model,
    request_model,
    signature_model,
    visit_model,
)
from proapp.domain import (
    AppointmentStatus,
    ChangeOrderStatus,
    ComplianceDocument,
    EstimateStatus,
    JobStatus,
    LineItem,
    RequestStatus,
    VisitStatus,
    rules,
    signing,
)
from proapp.domain.rules import ComplianceStanding
from tests.integration.server.world import World

if TYPE_CHECKING:
    # Imported for annotations only: world.py imports it with Starlette's warning muted.
    from starlette.testclient import TestClient

# A Monday morning, a Friday night, Thanksgiving, a Sunday, Christmas Eve: the seed must
# stay valid and lively whatever day the demo starts on (business days skip weekends
# and US federal holidays).
NOWS = [
    datetime(2026, 11, 16, 15, 0, tzinfo=UTC),
    datetime(2026, 11, 21, 7, 30, tzinfo=UTC),
    datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
    datetime(2026, 11, 29, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 25, 2, 0, tzinfo=UTC),
]
NOW = NOWS[0]


def _business_id(session: Session, name: str) -> str:
    return session.scalars(select(orm.Business.id).where(orm.Business.name == name)).one()


def _statuses(session: Session, column: InstrumentedAttribute[str],
              business_id_column: InstrumentedAttribute[str], business_id: str) -> Counter[str]:
    rows = session.scalars(select(column).where(business_id_column == business_id)).all()
    return Counter(str(row) for row in rows)


@pytest.fixture
def seeded(world: World) -> World:
    seed_demo(world.session_factory, world.settings, now=NOW)
    return world


@pytest.mark.parametrize("now", NOWS, ids=lambda d: d.strftime("%a-%Y-%m-%d"))
def test_every_state_is_represented_and_valid(world: World, now: datetime) -> None:
    seed_demo(world.session_factory, world.settings, now=now)
    with world.session_factory() as s:
        biz = _business_id(s, DEMO_BUSINESS_NAME)
        requests = _statuses(s, orm.CustomRequest.status, orm.CustomRequest.business_id, biz)
        jobs = _statuses(s, orm.Job.status, orm.Job.business_id, biz)
        estimates = _statuses(s, orm.Estimate.status, orm.Estimate.business_id, biz)
        visits = _statuses(s, orm.Visit.status, orm.Visit.business_id, biz)
        orders = _statuses(s, orm.ChangeOrder.status, orm.ChangeOrder.business_id, biz)
        appointments = Counter(s.scalars(
            select(orm.Appointment.status).join(orm.Job, orm.Job.id == orm.Appointment.job_id)
            .where(orm.Job.business_id == biz)
        ).all())
        assert set(requests) == {st.value for st in RequestStatus}
        assert set(jobs) == {st.value for st in JobStatus}
        # The server keeps no drafts (they live on the pro's device until sent).
        assert set(estimates) == {st.value for st in EstimateStatus} - {"DRAFT"}
        assert set(visits) == {st.value for st in VisitStatus}
        assert set(appointments) == {st.value for st in AppointmentStatus}
        assert set(orders) == {st.value for st in ChangeOrderStatus}
        assert sum(requests.values()) + sum(jobs.values()) >= 40
        assert orders["SIGNED"] >= 3

        # Everything reads back through the shared domain models (their validators run).
        for row in s.scalars(select(orm.CustomRequest)):
            model = request_model(s, row)
            # Staff search the pipeline by customer: the request names them.
            assert model.customer_name == s.get_one(orm.User, row.customer_id).name
            assert model.estimate_due_at == rules.estimate_due_at(model.submitted_at,
                                                                  model.time_zone)
            assert model.closes_at == rules.estimate_window_closes_at(model.submitted_at,
                                                                      model.time_zone)
            if model.status is RequestStatus.OPEN:
                assert model.closes_at > now, model.title  # R2
            if model.status is RequestStatus.CLOSED:
                assert model.closes_at <= now, model.title
        for estimate_row in s.scalars(select(orm.Estimate)):
            estimate_model(estimate_row)
        for visit_row in s.scalars(select(orm.Visit)):
            visit = visit_model(visit_row)
            state = "WA" if visit_row.business_id == biz else "CO"
            rules.ensure_visit_price_allowed(visit.price_cents, state)
        for message_row in s.scalars(select(orm.Message)):
            assert message_model(message_row).sent_at <= now
        for order_row in s.scalars(select(orm.ChangeOrder)):
            order = change_order_model(s, order_row)
            assert order.signature.content_sha256 == signing.content_sha256(
                s.get_one(orm.Signature, order_row.signature_id).content
            )
        for job_row in s.scalars(select(orm.Job)):
            job = job_model(s, job_row)
            if job.status is JobStatus.PENDING_SCHEDULE and job.preferred_windows:
                assert len(job.preferred_windows) == 3  # R6
            if job.status in (JobStatus.SCHEDULED, JobStatus.IN_PROGRESS):
                assert job.appointment is not None
                assert job.appointment.status.value == "ACTIVE"
            if job.status is JobStatus.SCHEDULED and job.appointment is not None:
                # Whenever the demo starts (a Friday night too), visits are booked in
                # working hours, in the job's zone.
                window = job.appointment.window
                zone = ZoneInfo(job.time_zone)
                start, end = window.start.astimezone(zone), window.end.astimezone(zone)
                assert start.hour >= WORK_DAY_START, (job.title, start)
                assert end.hour < WORK_DAY_END or (end.hour, end.minute) == (WORK_DAY_END, 0), (
                    job.title, end)


def test_completed_jobs_are_signed_and_charged_exactly_once(seeded: World) -> None:
    with seeded.session_factory() as s:
        charged: set[str] = set()
        for entry in s.scalars(select(orm.LedgerEntry)):
            job = s.get_one(orm.Job, entry.job_id)
            assert job.status == "COMPLETED"  # R9: only after the completion signature
            signature = s.get_one(orm.Signature, entry.signature_id)
            assert signature.purpose == "completion"
            expected = signing.completion_signed_content(
                job_id=job.id, summary=signature.content["summary"],
                total_cents=entry.amount_cents,
                line_items=[LineItem.model_validate(line) for line in job.line_items],
            )
            assert signature.content == expected
            assert signature.content_sha256 == signing.content_sha256(expected)
            assert entry.signature_sha256 == signing.signature_record_sha256(
                signature_model(signature)
            )
            assert entry.amount_cents == job.price_cents + entry.breakdown["trip_charge_cents"]
            assert job.id not in charged
            charged.add(job.id)
        completed = set(s.scalars(select(orm.Job.id).where(orm.Job.status == "COMPLETED")))
        assert charged == completed
        # R5: at least one billed trip charge, and the defective-product jobs charge nothing.
        trips = [e.breakdown["trip_charge_cents"] for e in s.scalars(select(orm.LedgerEntry))]
        assert any(t > 0 for t in trips)
        not_serviced = s.scalars(select(orm.Job).where(orm.Job.status == "NOT_SERVICED")).all()
        assert not_serviced and all(j.id not in charged for j in not_serviced)


def test_demo_looks_alive_around_now(seeded: World) -> None:
    tz = ZoneInfo("America/Los_Angeles")
    with seeded.session_factory() as s:
        biz = _business_id(s, DEMO_BUSINESS_NAME)
        techs = s.scalars(select(orm.User).where(orm.User.business_id == biz,
                                                 orm.User.role == "technician")).all()
        assert sorted(t.name for t in techs) == ["Marco Chen", "Priya Patel", "Tess Rivera"]
        for tech in techs:
            starts = [
                job_model(s, job).appointment.window.start  # type: ignore[union-attr]
                for job in s.scalars(
                    select(orm.Job).join(orm.JobAssignment)
                    .where(orm.JobAssignment.user_id == tech.id, orm.Job.status == "SCHEDULED")
                )
            ]
            # Today (next hours), tomorrow and later this week, for every technician.
            assert any(NOW < st <= NOW + timedelta(hours=24) for st in starts), tech.name
            tomorrow = (NOW.astimezone(tz) + timedelta(days=1)).date()
            assert any(st.astimezone(tz).date() == tomorrow for st in starts), tech.name
            assert any(NOW + timedelta(days=2) <= st <= NOW + timedelta(days=7)
                       for st in starts), tech.name
        # Unassigned scheduled work exists, and technicians see it (business setting).
        assert s.get_one(orm.Business, biz).technicians_see_unassigned
        assigned = select(orm.JobAssignment.job_id)
        assert s.scalars(select(orm.Job.id).where(
            orm.Job.business_id == biz, orm.Job.status == "SCHEDULED",
            orm.Job.id.not_in(assigned),
        )).first() is not None
        # R6: confirmation due soon and overdue; R2: estimates due soon and overdue.
        pending = s.scalars(select(orm.Job).where(orm.Job.business_id == biz,
                                                  orm.Job.status == "PENDING_SCHEDULE")).all()
        assert any(j.window_confirmation_due_at < NOW for j in pending)
        assert any(j.window_confirmation_due_at > NOW for j in pending)
        open_requests = s.scalars(
            select(orm.CustomRequest).where(orm.CustomRequest.business_id == biz,
                                            orm.CustomRequest.status == "OPEN")
        ).all()
        assert any(r.estimate_due_at < NOW for r in open_requests)
        assert any(r.estimate_due_at > NOW for r in open_requests)
        # R11: reviews only on completed jobs, within 90 days of the order.
        for review in s.scalars(select(orm.Review)):
            job = s.get_one(orm.Job, review.job_id)
            assert job.status == "COMPLETED"
            assert rules.can_review(job.ordered_at, review.created_at)
        assert (s.scalar(select(func.count()).select_from(orm.Review)) or 0) >= 4
        # R13: staff see documents expiring within 30 days, expired and unverified ones.
        today = NOW.astimezone(tz).date()
        standings = {
            rules.compliance_standing(ComplianceDocument.model_validate(
                {"id": d.id, "user_id": d.user_id, "kind": d.kind, "expires_on": d.expires_on,
                 "verified": d.verified}), today)
            for d in s.scalars(select(orm.ComplianceDocument)
                               .where(orm.ComplianceDocument.business_id == biz))
        }
        assert standings == set(ComplianceStanding)
        # Site photos are real JPEG blobs attached to requests (R1).
        photo = s.scalars(select(orm.RequestPhoto)).first()
        assert photo is not None
        assert s.get_one(orm.Blob, photo.blob_sha256).data[:3] == b"\xff\xd8\xff"
        services = s.scalars(select(orm.PackagedService)
                             .where(orm.PackagedService.business_id == biz)).all()
        assert len(services) >= 6
        assert all(service.whats_included for service in services)


def test_demo_accounts_log_in_and_the_other_business_is_isolated(
    seeded: World, client: TestClient
) -> None:
    roles: dict[str, dict[str, Any]] = {}
    for account in DEMO_ACCOUNTS + OTHER_BUSINESS_ACCOUNTS:
        response = client.post("/v1/auth/login", json={"email": account["email"],
                                                       "password": account["password"]})
        assert response.status_code == 200, (account, response.text)
        assert response.json()["user"]["role"] == account["role"]
        roles[account["email"]] = response.json()
    assert [a["email"] for a in DEMO_ACCOUNTS][:5] == [
        "owner@brightfix.example", "dispatch@brightfix.example", "tess@brightfix.example",
        "marco@brightfix.example", "priya@brightfix.example",
    ]

    def get(email: str, path: str) -> Response:
        token = roles[email]["access_token"]
        response: Response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        return response

    with seeded.session_factory() as s:
        other = _business_id(s, OTHER_BUSINESS_NAME)
        other_jobs = set(s.scalars(select(orm.Job.id).where(orm.Job.business_id == other)))
        other_requests = set(s.scalars(select(orm.CustomRequest.id)
                                       .where(orm.CustomRequest.business_id == other)))
    assert other_jobs and other_requests
    token_path = "/v1/jobs?limit=200"
    response = get("owner@brightfix.example", token_path)
    owner_jobs = {j["id"] for j in response.json()["items"]}
    assert owner_jobs and not owner_jobs & other_jobs
    for job_id in other_jobs:
        assert get("owner@brightfix.example", f"/v1/jobs/{job_id}").status_code == 404
        assert get("tess@brightfix.example", f"/v1/jobs/{job_id}").status_code == 404
    for request_id in other_requests:
        assert get("dispatch@brightfix.example",
                   f"/v1/requests/{request_id}").status_code == 404
    other_owner = get("owner@othercoplumbing.example", token_path)
    assert {j["id"] for j in other_owner.json()["items"]} == other_jobs
    # Technicians of BrightFix also see unassigned jobs (the business setting).
    tess_jobs = get("tess@brightfix.example", token_path).json()["items"]
    assert any(not j["appointment"] or not j["appointment"]["assigned_technician_ids"]
               for j in tess_jobs)
    # A demo customer sees their own jobs through the customer API.
    alice = get("alice@customer.example", "/v1/customer/jobs?limit=200").json()
    assert alice["items"] and all(j["customer_id"] == roles["alice@customer.example"]["user"]["id"]
                                  for j in alice["items"])


def test_seeding_twice_changes_nothing(seeded: World) -> None:
    def counts() -> dict[str, int]:
        with seeded.session_factory() as s:
            return {
                model.__name__: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for model in (orm.User, orm.Business, orm.Job, orm.CustomRequest, orm.Estimate,
                              orm.Visit, orm.Message, orm.Blob, orm.Change, orm.LedgerEntry)
            }

    before = counts()
    seed_demo(seeded.session_factory, seeded.settings, now=NOW + timedelta(days=3))
    with seeded.session_factory() as s, s.begin():
        seed_demo(s, seeded.settings)  # an open session works too (and is also a no-op)
    assert counts() == before


def test_seed_is_deterministic(world: World, tmp_path: object) -> None:
    seed_demo(world.session_factory, world.settings, now=NOW)
    other_url = f"sqlite:///{tmp_path}/second.sqlite3"
    from marketplace.migrate import upgrade_database

    upgrade_database(other_url)
    engine = make_engine(other_url)
    try:
        seed_demo(make_session_factory(engine), world.settings, now=NOW)

        def snapshot(factory: object) -> list[tuple[str, str, str, int]]:
            with factory() as s:  # type: ignore[operator]
                return sorted(
                    (row.id, row.title, row.status, row.price_cents)
                    for row in s.scalars(select(orm.Job))
                )

        assert snapshot(world.session_factory) == snapshot(make_session_factory(engine))
    finally:
        engine.dispose()
