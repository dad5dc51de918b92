"""Outbox: one transaction per action, gap-free mids, validation, rejection handling."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from proapp.domain.errors import DomainError
from proapp.sync import BlobStore, MutationState, Outbox, Store
from proapp.sync.outbox import Resolution
from tests.unit.sync.factories import FakeClock, estimate_args, fake_hash, message_args


def all_mids(store: Store) -> list[int]:
    return [r[0] for r in store.connection().execute("SELECT mid FROM outbox ORDER BY mid")]


def counter(store: Store) -> int:
    row = store.connection().execute("SELECT value FROM counters WHERE name = 'outbox_mid'")
    return int(row.fetchone()[0])


def test_enqueue_records_a_validated_mutation(
    store: Store, outbox: Outbox, clock: FakeClock
) -> None:
    args = message_args()
    args["job_id"] = args["job_id"].upper()  # the domain model normalises ids
    entry = outbox.enqueue(None, "message.send", args, base_version=7)

    assert entry.mid == 1
    assert uuid.UUID(entry.mutation_id).version == 4
    assert entry.name == "message.send"
    assert entry.args["job_id"] == args["job_id"].lower()
    assert entry.args["request_id"] is None  # defaults made explicit: what the server gets
    assert entry.base_version == 7
    assert entry.state is MutationState.PENDING
    assert entry.attempts == 0
    assert entry.created_at == clock.now == entry.next_attempt_at
    assert outbox.get(1) == entry
    assert outbox.pending() == [entry]


def test_action_is_one_transaction_with_its_optimistic_change(store: Store, outbox: Outbox) -> None:
    with store.transaction() as tx:
        entry = outbox.enqueue(tx, "job.start", {"job_id": str(uuid.uuid4())}, base_version=3)
        store.cache.put_overlay(tx, "job", "j1", {"status": "IN_PROGRESS"}, entry.mid)
    job = store.cache.get("job", "j1")
    assert job is not None and job.data() == {"status": "IN_PROGRESS"}
    assert job.overlay_mid == entry.mid


def test_exception_inside_transaction_leaves_nothing(store: Store, outbox: Outbox) -> None:
    with pytest.raises(RuntimeError, match="crash mid-action"), store.transaction() as tx:
        entry = outbox.enqueue(tx, "job.start", {"job_id": str(uuid.uuid4())})
        store.cache.put_overlay(tx, "job", "j1", {"status": "IN_PROGRESS"}, entry.mid)
        raise RuntimeError("crash mid-action")

    assert store.cache.get("job", "j1") is None
    assert all_mids(store) == []
    assert counter(store) == 0
    # The rolled-back number is handed out again: no gap.
    assert outbox.enqueue(None, "message.send", message_args()).mid == 1


def test_validation_refusal_writes_nothing(store: Store, outbox: Outbox) -> None:
    with pytest.raises(DomainError) as refused, store.transaction() as tx:
        store.cache.put_overlay(tx, "message", "m1", {"body": ""}, 1)
        outbox.enqueue(tx, "message.send", message_args(body="   "))
    assert refused.value.code == "invalid"
    assert store.cache.get("message", "m1") is None
    assert all_mids(store) == [] and counter(store) == 0

    with pytest.raises(DomainError) as unknown:
        outbox.enqueue(None, "message.shout", message_args())
    assert unknown.value.code == "invalid"
    with pytest.raises(DomainError) as extra:
        outbox.enqueue(None, "message.send", {**message_args(), "surprise": 1})
    assert extra.value.code == "invalid"
    assert all_mids(store) == [] and counter(store) == 0


def test_missing_blob_is_refused(store: Store, outbox: Outbox) -> None:
    with pytest.raises(DomainError) as refused:
        outbox.enqueue(None, "estimate.submit", estimate_args([fake_hash("never stored")]))
    assert refused.value.code == "invalid"
    assert refused.value.details["missing_blobs"] == [fake_hash("never stored")]
    assert all_mids(store) == [] and counter(store) == 0


def test_enqueue_with_a_bare_connection(store: Store, outbox: Outbox) -> None:
    conn = store.connection()
    assert outbox.enqueue(conn, "message.send", message_args()).mid == 1  # own transaction
    conn.execute("BEGIN IMMEDIATE")
    outbox.enqueue(conn, "message.send", message_args())
    conn.execute("ROLLBACK")  # the caller's transaction decides
    assert all_mids(store) == [1]


@pytest.mark.parametrize("two_stores", [False, True], ids=["one-store", "two-connections-sets"])
def test_mids_are_gap_free_under_concurrency(
    db_path: Path, store: Store, clock: FakeClock, two_stores: bool
) -> None:
    # A second Store on the same file stands for a second process (separate connections
    # and in-process locks): SQLite's own locking must keep the counter right.
    other = Store(db_path, clock=clock) if two_stores else store
    workers, per_worker = 8, 30
    committed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        target = other if n % 2 else store
        box = Outbox(target)
        try:
            for i in range(per_worker):
                try:
                    with target.transaction() as tx:
                        entry = box.enqueue(tx, "message.send", message_args(f"w{n} #{i}"))
                        if i % 5 == 4:  # every fifth action fails after enqueuing
                            raise ValueError("abandoned")
                    with lock:
                        committed.append(entry.mid)
                except ValueError:
                    pass
        except BaseException as exc:  # surface thread failures in the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if two_stores:
        other.close()

    assert errors == []
    expected = workers * per_worker * 4 // 5
    assert sorted(committed) == list(range(1, expected + 1))
    assert all_mids(store) == list(range(1, expected + 1))
    assert counter(store) == expected


def test_reject_then_needs_attention_then_discard(store: Store, outbox: Outbox) -> None:
    with store.transaction() as tx:
        entry = outbox.enqueue(tx, "message.send", message_args("Running late"))
        store.cache.put_overlay(tx, "message", "m1", {"body": "Running late"}, entry.mid)
    second = outbox.enqueue(None, "message.send", message_args())
    outbox.mark_in_flight([entry.mid, second.mid])

    assert outbox.mark_rejected(entry.mid, "job_cancelled", "The customer cancelled.", {"a": 1})
    assert not outbox.mark_rejected(entry.mid, "job_cancelled", "again")  # already answered
    outbox.mark_applied([second.mid])

    [attention] = outbox.needs_attention()
    assert attention.mid == entry.mid
    assert attention.args == entry.args  # full content kept
    assert attention.rejection is not None
    assert attention.rejection.code == "job_cancelled"
    assert attention.rejection.details == {"a": 1}
    # The rejected change stays visible until the pro decides.
    assert store.cache.get("message", "m1") is not None

    with pytest.raises(DomainError) as not_rejected:
        outbox.discard(second.mid)
    assert not_rejected.value.code == "invalid_transition"

    discarded = outbox.discard(entry.mid)
    assert discarded.resolution is Resolution.DISCARDED
    assert discarded.state is MutationState.REJECTED  # history kept
    assert outbox.needs_attention() == []
    assert store.cache.get("message", "m1") is None  # local-only entity gone with it
    assert outbox.get(entry.mid) is not None


def test_pending_mutation_cannot_be_discarded(outbox: Outbox) -> None:
    entry = outbox.enqueue(None, "message.send", message_args())
    with pytest.raises(DomainError) as refused:
        outbox.discard(entry.mid)
    assert refused.value.code == "invalid_transition"
    assert outbox.get(entry.mid).state is MutationState.PENDING  # type: ignore[union-attr]


def test_resubmit_queues_edited_content_and_keeps_history(store: Store, outbox: Outbox) -> None:
    first = outbox.enqueue(None, "message.send", message_args("Price is $100"), base_version=4)
    with store.transaction() as tx:
        store.cache.put_overlay(tx, "message", "m1", {"body": "Price is $100"}, first.mid)
    outbox.mark_rejected(first.mid, "stale_base", "The job changed meanwhile.")

    # A bad edit is refused and changes nothing.
    with pytest.raises(DomainError):
        outbox.resubmit(first.mid, {**first.args, "body": ""})
    assert [e.mid for e in outbox.needs_attention()] == [first.mid]
    assert all_mids(store) == [first.mid]

    edited = {**first.args, "body": "Price is $120"}
    new = outbox.resubmit(first.mid, edited, base_version=5)
    assert new.mid == first.mid + 1
    assert new.mutation_id != first.mutation_id
    assert new.replaces_mid == first.mid
    assert new.args["body"] == "Price is $120"
    assert new.base_version == 5
    assert new.state is MutationState.PENDING
    old = outbox.get(first.mid)
    assert old is not None and old.resolution is Resolution.RESUBMITTED
    assert outbox.needs_attention() == []
    assert [e.mid for e in outbox.history(new.mid)] == [first.mid, new.mid]
    assert [e.mid for e in outbox.history(first.mid)] == [first.mid, new.mid]
    job = store.cache.get("message", "m1")
    assert job is not None and job.overlay_mid == new.mid

    with pytest.raises(DomainError):
        outbox.resubmit(first.mid, edited)  # already resolved


def test_sendable_is_an_in_order_prefix_gated_by_blobs_and_retry_time(
    store: Store, outbox: Outbox, blobs: BlobStore, clock: FakeClock
) -> None:
    photo = blobs.put(b"jpeg bytes", "image/jpeg")
    m1 = outbox.enqueue(None, "message.send", message_args())
    m2 = outbox.enqueue(None, "estimate.submit", estimate_args([photo]))
    m3 = outbox.enqueue(None, "message.send", message_args())
    assert m2.blob_hashes == (photo,)

    # m3 is ready but must wait behind m2, whose photo is not uploaded yet.
    assert [e.mid for e in outbox.sendable()] == [m1.mid]
    outbox.mark_applied([m1.mid])
    assert outbox.sendable() == []

    blobs.mark_uploaded(photo)
    assert [e.mid for e in outbox.sendable()] == [m2.mid, m3.mid]
    assert [e.mid for e in outbox.sendable(limit=1)] == [m2.mid]

    outbox.mark_in_flight([m2.mid, m3.mid])
    assert [e.mid for e in outbox.sendable()] == [m2.mid, m3.mid]  # resend is safe

    assert outbox.schedule_retry(m2.mid, clock.now + timedelta(seconds=30), "HTTP 503")
    retried = outbox.get(m2.mid)
    assert retried is not None
    assert (retried.state, retried.attempts, retried.last_error) == (
        MutationState.PENDING,
        1,
        "HTTP 503",
    )
    assert outbox.sendable() == []  # the head waits, so everything behind it waits
    clock.advance(seconds=30)
    assert [e.mid for e in outbox.sendable()] == [m2.mid, m3.mid]

    outbox.mark_rejected(m2.mid, "estimate_window_closed", "Too late.")
    assert [e.mid for e in outbox.sendable()] == [m3.mid]  # answered rows never block


def test_status_counts_and_oldest_pending_age(
    store: Store, outbox: Outbox, clock: FakeClock
) -> None:
    empty = outbox.status()
    assert (empty.unsent, empty.oldest_pending_age) == (0, None)

    a = outbox.enqueue(None, "message.send", message_args())
    clock.advance(minutes=5)
    b = outbox.enqueue(None, "message.send", message_args())
    c = outbox.enqueue(None, "message.send", message_args())
    outbox.enqueue(None, "message.send", message_args())
    outbox.mark_in_flight([b.mid])
    outbox.mark_applied([a.mid])
    outbox.mark_rejected(c.mid, "forbidden", "Not your job.")
    clock.advance(minutes=10)

    status = outbox.status()
    assert (status.pending, status.in_flight, status.applied, status.rejected) == (1, 1, 1, 1)
    assert status.needs_attention == 1
    assert status.oldest_pending_age == timedelta(minutes=10)  # b, queued 10 minutes ago


def test_pruning_applied_rows_never_reuses_a_mid(
    store: Store, outbox: Outbox, clock: FakeClock
) -> None:
    for _ in range(3):
        outbox.enqueue(None, "message.send", message_args())
    outbox.mark_applied([1, 2, 3])
    clock.advance(days=8)
    assert outbox.prune_applied(clock.now - timedelta(days=7)) == 3
    assert all_mids(store) == []
    assert outbox.enqueue(None, "message.send", message_args()).mid == 4


def test_reset_in_flight_after_restart(outbox: Outbox) -> None:
    entry = outbox.enqueue(None, "message.send", message_args())
    outbox.mark_in_flight([entry.mid])
    assert outbox.reset_in_flight() == 1
    assert outbox.get(entry.mid).state is MutationState.PENDING  # type: ignore[union-attr]


def test_marking_many_rows_at_once_counts_only_unanswered_ones(
    store: Store, outbox: Outbox
) -> None:
    # More rows than one statement takes (chunks), an answered row, a repeated mid, and
    # a mid that does not exist: only pending or in-flight rows change, each once.
    with store.transaction() as tx:
        mids = [outbox.enqueue(tx, "message.send", message_args()).mid for _ in range(1_203)]
    outbox.mark_rejected(mids[7], "forbidden", "Not your job.")
    assert outbox.mark_in_flight([*mids, mids[0], 99_999]) == 1_202
    assert outbox.mark_applied(mids[:1_100]) == 1_099
    status = outbox.status()
    assert (status.applied, status.in_flight, status.rejected) == (1_099, 103, 1)
    assert outbox.get(mids[7]).state is MutationState.REJECTED  # type: ignore[union-attr]
    assert outbox.get(mids[-1]).state is MutationState.IN_FLIGHT  # type: ignore[union-attr]
