"""OfficeQueries over a real store: the office's indexed reads, the facet columns they
use (kept right by pulls, overlays and dropped overlays), the v3 migration backfill, and
LocalOfficeRepository (assigning a job offline moves it out of "unassigned" at once)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from proapp.api.models import SyncChange
from proapp.domain.commands import JobAssignArgs
from proapp.domain.enums import (
    AppointmentStatus,
    EstimateStatus,
    JobStatus,
    MessageAuthorRole,
    RequestStatus,
    Role,
)
from proapp.domain.models import Message, Review
from proapp.sync import Store
from proapp.sync.facets import entity_facets
from proapp.sync.migrations import MIGRATIONS, migrate
from proapp.sync.office import LocalOfficeRepository, OfficeQueries
from proapp.sync.outbox import Outbox
from proapp.sync.repositories import server_entity_from_change
from tests.support.fake_office import MARCO_ID, TESS_ID, make_document, make_estimate
from tests.support.fake_repo import make_job, make_line, make_request, make_user
from tests.unit.sync.factories import FakeClock
from tests.unit.sync_engine.conftest import run
from tests.unit.sync_engine.fake_server import USER
from tests.unit.sync_engine.harness import make_rig

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 7:00 AM in Los Angeles
DAY = (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, tzinfo=UTC))


def _put(store: Store, kind: str, models: Iterable[Any]) -> None:
    rows = []
    for seq, model in enumerate(models, start=1):
        data = model if isinstance(model, dict) else model.model_dump(mode="json")
        rows.append(server_entity_from_change(
            SyncChange(kind=kind, id=data["id"], data=data, seq=seq)))
    with store.transaction() as tx:
        store.cache.put_server(tx, rows)


def _job(hours: float, *techs: str, status: JobStatus = JobStatus.SCHEDULED,
         **kwargs: Any) -> Any:
    return make_job(NOW, status=status, assigned_technician_ids=list(techs),
                    window_start_in=timedelta(hours=hours), **kwargs)


def test_board_reads_one_day_by_window_and_skips_pending_and_cancelled(store: Store) -> None:
    nine = _job(2, TESS_ID, title="9 AM")
    late_night = _job(-8.5, MARCO_ID, title="Last night", window_hours=2)  # 10:30 PM - 0:30
    tomorrow = _job(26, TESS_ID)
    pending = _job(1, TESS_ID, status=JobStatus.PENDING_SCHEDULE)  # no appointment
    done = _job(4, TESS_ID, status=JobStatus.COMPLETED)
    scheduled = _job(5, TESS_ID)
    assert scheduled.appointment is not None
    # What the server sends for a cancelled job: its last appointment, marked CANCELLED.
    cancelled = scheduled.model_copy(update={
        "status": JobStatus.CANCELLED,
        "appointment": scheduled.appointment.model_copy(
            update={"status": AppointmentStatus.CANCELLED}),
    })
    _put(store, "job", [nine, late_night, tomorrow, pending, done, cancelled])

    office = OfficeQueries(store)
    board = office.board_jobs(*DAY)
    assert [j.id for j in board] == [late_night.id, nine.id, done.id]
    first = board[1]
    assert first.window_start == NOW + timedelta(hours=2)
    assert first.technician_ids == (TESS_ID,) and first.customer_name == "Alice Adams"
    assert first.address_line == "123 Main St" and first.city == "Seattle"
    assert not first.pending
    assert office.business_time_zone() == "America/Los_Angeles"


def test_unassigned_and_pending_jobs_come_from_the_facet_index(store: Store) -> None:
    loose = _job(3, status=JobStatus.PENDING_SCHEDULE)
    loose_scheduled = _job(5)
    mine = _job(4, TESS_ID, status=JobStatus.PENDING_SCHEDULE)
    finished = _job(-30, status=JobStatus.COMPLETED)
    _put(store, "job", [loose, loose_scheduled, mine, finished])
    office = OfficeQueries(store)
    assert {j.id for j in office.unassigned_jobs()} == {loose.id, loose_scheduled.id}
    assert {j.id for j in office.pending_jobs()} == {loose.id, mine.id}



def test_office_queries_use_the_facet_indexes(store: Store, monkeypatch: Any) -> None:
    # The 100 ms budgets hold only if SQLite picks the facet indexes (no full scan of
    # the 10,000 jobs): record each query's plan while the queries run.
    plans: list[str] = []
    office = OfficeQueries(store)
    real = office._rows

    def explained(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if "FROM entities" in sql and not sql.lstrip().startswith("WITH"):
            rows = store.connection().execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            plans.append(" ".join(str(r[-1]) for r in rows))
        return real(sql, params)

    monkeypatch.setattr(office, "_rows", explained)
    office.unassigned_jobs()
    office.pending_jobs()
    office.open_requests()
    office.board_jobs(*DAY)
    assert "entities_unowned" in plans[0]
    assert "entities_by_facet" in plans[1] and "entities_by_facet" in plans[2]
    assert "entities_by_facet" in plans[3] or "entities_by_list_key (kind=? AND list_key>?" in (
        plans[3])
    assert not any("SCAN" in p for p in plans), plans


def test_an_overlay_moves_facets_and_dropping_it_restores_them(store: Store) -> None:
    loose = _job(3, status=JobStatus.PENDING_SCHEDULE)
    _put(store, "job", [loose])
    office = OfficeQueries(store)
    outbox = Outbox(store)
    assigned = loose.model_copy(update={"assigned_technician_ids": [TESS_ID]})
    with store.transaction() as tx:
        entry = outbox.enqueue(tx, "job.assign", {"job_id": loose.id, "technician_ids": [TESS_ID]})
        store.cache.put_overlay(tx, "job", loose.id, assigned.model_dump(mode="json"), entry.mid)
    assert office.unassigned_jobs() == []
    assert office.pending_jobs()[0].pending

    # A pull while the overlay stands keeps showing the local change.
    _put(store, "job", [loose.model_copy(update={"title": "Renamed"})])
    assert office.unassigned_jobs() == []

    with store.transaction() as tx:
        store.cache.drop_overlays(tx, [entry.mid])
    back = office.unassigned_jobs()
    assert [(j.id, j.title, j.pending) for j in back] == [(loose.id, "Renamed", False)]


def test_open_requests_know_whether_they_were_answered(store: Store) -> None:
    quiet = make_request(NOW, title="Quiet")
    estimated = make_request(NOW, title="Estimated")
    asked = make_request(NOW, title="Asked")
    booked = make_request(NOW, title="Booked", status=RequestStatus.BOOKED)
    _put(store, "request", [quiet, estimated, asked, booked])
    _put(store, "estimate", [
        make_estimate(estimated.id, technician_id=MARCO_ID,
                      lines=[make_line(unit_price_cents=10_000)], submitted_at=NOW),
        make_estimate(estimated.id, technician_id=TESS_ID, status=EstimateStatus.DRAFT),
    ])
    _put(store, "message", [Message(
        id=str(uuid.uuid4()), request_id=asked.id, author_id=TESS_ID,
        author_role=MessageAuthorRole.PRO, body="Which model is it?", sent_at=NOW)])

    found = {r.request.title: r for r in OfficeQueries(store).open_requests()}
    assert set(found) == {"Quiet", "Estimated", "Asked"}
    assert not found["Quiet"].answered and found["Asked"].answered
    assert found["Estimated"].answered
    assert found["Estimated"].estimate_total_cents == 10_000
    assert found["Estimated"].technician_ids == (MARCO_ID,)  # the draft is nobody's answer


def test_estimates_since_threads_team_documents_and_reviews(store: Store) -> None:
    request = make_request(NOW, title="Deck stain")
    _put(store, "request", [request])
    _put(store, "estimate", [
        make_estimate(request.id, status=EstimateStatus.ACCEPTED, submitted_at=NOW),
        make_estimate(request.id, submitted_at=NOW - timedelta(days=100)),
    ])
    job = _job(2, TESS_ID, status=JobStatus.COMPLETED)
    other = _job(3, TESS_ID)
    _put(store, "job", [job, other])

    def say(at: timedelta, role: MessageAuthorRole, job_id: str) -> Message:
        return Message(id=str(uuid.uuid4()), job_id=job_id, author_id=TESS_ID,
                       author_role=role, body="hi", sent_at=NOW - at)

    _put(store, "message", [
        say(timedelta(hours=9), MessageAuthorRole.CUSTOMER, job.id),
        say(timedelta(hours=8), MessageAuthorRole.PRO, job.id),
        say(timedelta(hours=7), MessageAuthorRole.CUSTOMER, job.id),
        say(timedelta(hours=6), MessageAuthorRole.CUSTOMER, job.id),
        say(timedelta(hours=1), MessageAuthorRole.PRO, other.id),
    ])
    _put(store, "team_member", [
        {"id": TESS_ID, "name": "Tess Rivera", "email": "t@x.example", "role": "technician",
         "business_id": job.business_id, "active": True},
        {"id": MARCO_ID, "name": "Marco Chen", "email": "m@x.example", "role": "technician",
         "business_id": job.business_id, "active": False},
    ])
    _put(store, "compliance_document", [
        make_document(TESS_ID),
        make_document(MARCO_ID, expires_on=date(2026, 12, 1)),
    ])
    _put(store, "review", [
        Review(id=str(uuid.uuid4()), job_id=job.id, technician_id=TESS_ID, rating=4,
               created_at=NOW),
        Review(id=str(uuid.uuid4()), job_id=other.id, technician_id=TESS_ID, rating=5,
               created_at=NOW - timedelta(days=1)),
    ])
    office = OfficeQueries(store)

    facts = office.estimates_since(NOW - timedelta(days=90))
    assert [(f.status, f.service) for f in facts] == [(EstimateStatus.ACCEPTED, "Deck stain")]

    page = office.message_threads()
    assert (page.total, page.waiting_total) == (2, 1)
    first = page.threads[0]
    assert (first.parent_id, first.parent_kind, first.message_count) == (job.id, "job", 4)
    assert first.waiting_since == NOW - timedelta(hours=7)  # after the pro's reply
    assert first.time_zone == "America/Los_Angeles"
    assert page.threads[1].waiting_since is None
    assert [t.parent_id for t in office.message_threads(waiting_only=True).threads] == [job.id]
    assert office.message_threads(limit=1, offset=1).threads[0].parent_id == other.id

    assert [(m.name, m.role, m.active) for m in office.team()] == [
        ("Marco Chen", Role.TECHNICIAN, False), ("Tess Rivera", Role.TECHNICIAN, True)]
    assert [d.user_id for d in office.compliance_documents()] == [MARCO_ID, TESS_ID]

    reviews = office.reviews()
    assert [(r.review.rating, r.job_title) for r in reviews] == [(4, job.title), (5, other.title)]
    assert office.reviews(technician_id=MARCO_ID) == []
    stats = office.review_stats()
    assert [(s.technician_id, s.count, s.rating_sum) for s in stats] == [(TESS_ID, 2, 9)]


def test_facets_of_each_kind() -> None:
    job = _job(1, TESS_ID, MARCO_ID).model_dump(mode="json")
    assert entity_facets("job", job) == ("SCHEDULED", TESS_ID)
    assert entity_facets("job", {**job, "assigned_technician_ids": []}) == ("SCHEDULED", "")
    assert entity_facets("message", {"author_role": "customer", "author_id": "c"}) == (
        "customer", "c")
    assert entity_facets("review", {"rating": 4, "technician_id": None}) == ("4", "")
    assert entity_facets("unknown", {"status": "X"}) == ("", "")
    assert entity_facets("job", ["not", "a", "mapping"]) == ("", "")


def test_v2_store_gets_facets_backfilled(tmp_path: Path) -> None:
    path = tmp_path / "account" / "store.sqlite3"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:2]) == 2
    loose = _job(3, status=JobStatus.PENDING_SCHEDULE).model_dump(mode="json")
    mine = _job(4, TESS_ID).model_dump(mode="json")
    overlay = {**loose, "assigned_technician_ids": [MARCO_ID]}
    conn.execute(
        "INSERT INTO entities(kind, id, json, list_key, server_list_key, overlay_json, "
        "overlay_mid) VALUES ('job', ?, ?, '', '', ?, 1)",
        (loose["id"], json.dumps(loose), json.dumps(overlay)),
    )
    conn.execute(
        "INSERT INTO entities(kind, id, json, list_key, server_list_key) VALUES "
        "('job', ?, ?, '', '')",
        (mine["id"], json.dumps(mine)),
    )
    conn.close()

    store = Store(path, clock=FakeClock())
    try:
        rows = store.connection().execute(
            "SELECT id, facet, server_facet, owner, server_owner FROM entities ORDER BY id"
        ).fetchall()
        got = {r[0]: r[1:] for r in rows}
        assert got[loose["id"]] == ("PENDING_SCHEDULE", "PENDING_SCHEDULE", MARCO_ID, "")
        assert got[mine["id"]] == ("SCHEDULED", "SCHEDULED", TESS_ID, TESS_ID)
    finally:
        store.close()


def test_local_office_repository_assigns_offline_and_reads_on_the_worker(tmp_path: Path) -> None:
    async def body() -> None:
        rig = await make_rig(tmp_path)
        dispatcher = make_user(role=Role.DISPATCHER, user_id=str(uuid.uuid4()),
                               business_id=USER["business_id"], name="Dana Dispatch",
                               email="dana@brightfix.example")
        repo = LocalOfficeRepository(rig.store, rig.engine, dispatcher, clock=rig.clock)
        loose = make_job(rig.clock(), assigned_technician_ids=[], business_id=USER["business_id"])
        _put(rig.store, "job", [loose])
        assert [j.id for j in await repo.unassigned_jobs()] == [loose.id]

        await repo.perform(JobAssignArgs(job_id=loose.id, technician_ids=[TESS_ID]))
        assert await repo.unassigned_jobs() == []
        pending = await repo.pending_jobs()
        assert pending[0].technician_ids == (TESS_ID,) and pending[0].pending
        assert (await repo.find_jobs([loose.id]))[loose.id].pending
        assert await repo.business_time_zone() == loose.time_zone
        repo.close()
        rig.store.close()

    run(body())
