"""Server cache with optimistic overlays, keyset paging over 10,000 jobs, and drafts."""

from __future__ import annotations

import json
import tracemalloc

from proapp.sync import Outbox, ServerEntity, Store
from tests.unit.sync.factories import FakeClock, new_id


def job(i: int, day: str = "2026-11-26", status: str = "SCHEDULED") -> ServerEntity:
    body = {"id": f"job-{i:05d}", "status": status, "notes": "x" * 400}
    return ServerEntity(
        kind="job",
        id=f"job-{i:05d}",
        version=1,
        updated_seq=i,
        json=json.dumps(body),
        list_key=f"{day}T{i % 24:02d}:00|{i:05d}",
    )


def test_overlay_shows_on_top_and_server_copy_returns_when_dropped(store: Store) -> None:
    with store.transaction() as tx:
        store.cache.put_server(tx, [job(1, day="2026-11-26")])
        store.cache.put_overlay(
            tx, "job", "job-00001", {"status": "RESCHEDULED"}, 9, list_key="2026-12-01"
        )
    seen = store.cache.get("job", "job-00001")
    assert seen is not None and seen.data() == {"status": "RESCHEDULED"}
    assert seen.has_local_changes and seen.list_key == "2026-12-01"

    # A pull while the change is unconfirmed updates the server copy underneath only.
    with store.transaction() as tx:
        store.cache.put_server(tx, [job(1, day="2026-11-27", status="CONFIRMED")])
    seen = store.cache.get("job", "job-00001")
    assert seen is not None and seen.data() == {"status": "RESCHEDULED"}
    assert seen.list_key == "2026-12-01"

    with store.transaction() as tx:
        assert store.cache.drop_overlays(tx, [9]) == 1
    seen = store.cache.get("job", "job-00001")
    assert seen is not None and seen.data()["status"] == "CONFIRMED"
    assert not seen.has_local_changes and seen.list_key.startswith("2026-11-27")


def test_server_delete_keeps_a_local_change_visible(store: Store) -> None:
    with store.transaction() as tx:
        store.cache.put_server(tx, [job(1), job(2)])
        store.cache.put_overlay(tx, "job", "job-00002", {"status": "IN_PROGRESS"}, 1)
        gone = [ServerEntity("job", f"job-0000{i}", None, 5, None) for i in (1, 2)]
        store.cache.put_server(tx, gone)
    assert store.cache.get("job", "job-00001") is None
    kept = store.cache.get("job", "job-00002")
    assert kept is not None and kept.data() == {"status": "IN_PROGRESS"}
    assert kept.version is None


def test_server_delete_takes_the_children_along(store: Store) -> None:
    def child(kind: str, ident: str, parent: str) -> ServerEntity:
        return ServerEntity(kind, ident, 1, 3, "{}", list_key=ident, parent_id=parent)

    with store.transaction() as tx:
        store.cache.put_server(tx, [job(1), job(2)])
        store.cache.put_server(
            tx,
            [
                child("message", "m1", "job-00001"),
                child("change_order", "co1", "job-00001"),
                child("photo", "p1", "co1"),
                child("message", "m2", "job-00002"),
                child("message", "m3", "job-00001"),
            ],
        )
        store.cache.put_overlay(tx, "message", "m3", {"body": "queued"}, 4)
        store.cache.put_server(tx, [ServerEntity("job", "job-00001", None, 5, None)])
    assert [store.cache.get(k, i) for k, i in (("message", "m1"), ("change_order", "co1"))] == [
        None,
        None,
    ]
    assert store.cache.get("photo", "p1") is None
    assert store.cache.get("message", "m2") is not None  # another job's child stays
    kept = store.cache.get("message", "m3")  # a queued local change is never dropped
    assert kept is not None and kept.data() == {"body": "queued"}


def test_ten_thousand_jobs_page_by_index_with_little_memory(store: Store) -> None:
    with store.transaction() as tx:
        store.cache.put_server(tx, (job(i) for i in range(10_000)))
    assert store.cache.count("job") == 10_000

    plan = " ".join(
        str(r[-1])
        for r in store.connection().execute(
            "EXPLAIN QUERY PLAN SELECT kind, id FROM entities WHERE kind = ? "
            "AND (list_key, id) > (?, ?) ORDER BY list_key, id LIMIT 50",
            ("job", "", ""),
        )
    )
    assert "entities_by_list_key" in plan and "TEMP B-TREE" not in plan, plan

    tracemalloc.start()
    try:
        seen = 0
        last_key: tuple[str, str] | None = None
        previous: tuple[str, str] | None = None
        while True:
            page = store.cache.page("job", limit=100, after=last_key)
            if not page:
                break
            for row in page:
                key = (row.list_key, row.id)
                assert previous is None or key > previous
                previous = key
            seen += len(page)
            last_key = (page[-1].list_key, page[-1].id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 10_000
    # ~4.5 MB of JSON in the cache; paging holds one page (~100 rows) at a time.
    assert peak < 1_500_000, peak


def test_children_by_parent(store: Store) -> None:
    with store.transaction() as tx:
        store.cache.put_server(
            tx,
            [
                ServerEntity("estimate", "e1", 1, 1, "{}", "b", parent_id="r1"),
                ServerEntity("estimate", "e2", 1, 2, "{}", "a", parent_id="r1"),
                ServerEntity("estimate", "e3", 1, 3, "{}", "c", parent_id="r2"),
            ],
        )
    assert [e.id for e in store.cache.page("estimate", parent_id="r1")] == ["e2", "e1"]


def test_drafts_autosave_and_leave_with_the_submit(store: Store, clock: FakeClock) -> None:
    store.drafts.save("estimate:r1", "estimate", {"notes": "first"})
    clock.advance(seconds=5)
    store.drafts.save("estimate:r1", "estimate", {"notes": "second"})
    saved_at = clock.now
    clock.advance(seconds=1)
    store.drafts.save("estimate:r2", "estimate", {"notes": "other"})
    draft = store.drafts.load("estimate:r1")
    assert draft is not None and draft.data == {"notes": "second"}
    assert draft.updated_at == saved_at
    assert [d.key for d in store.drafts.list("estimate")][0] == "estimate:r2"

    with store.transaction() as tx:
        assert store.drafts.delete("estimate:r1", tx)
    assert store.drafts.load("estimate:r1") is None
    assert not store.drafts.delete("estimate:r1")


def test_settled_overlays_drop_after_pull_but_unsent_and_rejected_stay(store: Store) -> None:
    outbox = Outbox(store)
    entries = [outbox.enqueue(None, "job.start", {"job_id": new_id()}) for _ in range(4)]
    with store.transaction() as tx:
        store.cache.put_server(tx, [job(i) for i in range(1, 5)])
        for i, entry in enumerate(entries, start=1):
            store.cache.put_overlay(tx, "job", f"job-{i:05d}", {"local": i}, entry.mid)
    outbox.mark_applied([1, 3])
    outbox.mark_rejected(2, "job_cancelled", "Cancelled by the customer.")

    with store.transaction() as tx:  # the pull reflected mids up to 3
        assert store.cache.drop_settled_overlays(tx, server_last_mid=3) == 2
    local = {i: store.cache.get("job", f"job-{i:05d}") for i in range(1, 5)}
    assert {i: e.has_local_changes for i, e in local.items() if e} == {
        1: False,  # applied and pulled
        2: True,  # rejected: waits for the pro
        3: False,
        4: True,  # not sent yet
    }


def test_an_overlay_only_entity_goes_when_its_settled_overlay_drops(store: Store) -> None:
    # A message written offline has no server copy; once its mutation is answered and a
    # pull does not bring it (the server refused it, or it is on a later page), dropping
    # the overlay leaves an empty row, which must go. Other rows stay.
    outbox = Outbox(store)
    sent = outbox.enqueue(None, "job.start", {"job_id": new_id()})
    waiting = outbox.enqueue(None, "job.start", {"job_id": new_id()})
    with store.transaction() as tx:
        store.cache.put_server(tx, [job(1)])
        store.cache.put_overlay(tx, "message", "m-sent", {"body": "hi"}, sent.mid)
        store.cache.put_overlay(tx, "message", "m-waiting", {"body": "yo"}, waiting.mid)
    outbox.mark_applied([sent.mid])
    with store.transaction() as tx:
        assert store.cache.drop_settled_overlays(tx, server_last_mid=sent.mid) == 1
    rows = store.connection().execute("SELECT kind, id FROM entities ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("job", "job-00001"), ("message", "m-waiting")]
    with store.transaction() as tx:  # nothing settled: nothing changes
        assert store.cache.drop_settled_overlays(tx, server_last_mid=sent.mid) == 0
    assert store.cache.count("message") == 1
