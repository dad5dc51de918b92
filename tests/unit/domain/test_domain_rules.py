from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from proapp.domain import (
    Appointment,
    ComplianceDocument,
    ComplianceKind,
    ComplianceStanding,
    CustomRequest,
    DomainError,
    LocationType,
    VisitProposal,
    can_customer_reschedule_or_cancel,
    can_review,
    change_order_totals,
    compliance_standing,
    ensure_can_review,
    ensure_customer_can_reschedule_or_cancel,
    ensure_estimate_window_open,
    ensure_job_not_cancelled,
    ensure_preferred_windows,
    ensure_trip_charge_accepted,
    ensure_visit_accepted,
    ensure_visit_price_allowed,
    ensure_window_offered,
    estimate_due_at,
    estimate_valid_until,
    estimate_window_closes_at,
    format_local,
    free_cancel_cutoff,
    is_compliance_expiring,
    is_estimate_overdue,
    is_estimate_window_open,
    is_overdue,
    is_trip_charge_billable,
    is_window_confirmation_overdue,
    message_reply_due_at,
    minimum_trip_charge_cents,
    new_id,
    required_compliance_kinds,
    review_window_closes_at,
    travels_to_homes,
    visit_charge_cents,
    window_confirmation_due_at,
)
from tests.unit.domain.factories import ADDRESS, T0, job, line, window

NY = "America/New_York"


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(NY))


def request_submitted(at: datetime, **overrides: Any) -> CustomRequest:
    data: dict[str, Any] = {
        "id": new_id(),
        "business_id": new_id(),
        "customer_id": new_id(),
        "title": "Shelves",
        "location_type": "IN_HOME",
        "address": ADDRESS,
        "time_zone": NY,
        "submitted_at": at,
        "estimate_due_at": estimate_due_at(at, NY),
        "closes_at": estimate_window_closes_at(at, NY),
    }
    data.update(overrides)
    return CustomRequest.model_validate(data)


def test_r2_deadlines_over_thanksgiving() -> None:
    submitted = ny(2026, 11, 25, 16)  # Wednesday before Thanksgiving
    assert estimate_due_at(submitted, NY) == ny(2026, 11, 27, 16)  # Friday
    assert estimate_window_closes_at(submitted, NY) == ny(2026, 12, 1, 16)  # Tuesday


def test_r2_window_open_until_closes_at_exclusive() -> None:
    req = request_submitted(ny(2026, 11, 30, 9))
    assert is_estimate_window_open(req, req.closes_at - timedelta(seconds=1))
    assert not is_estimate_window_open(req, req.closes_at)
    ensure_estimate_window_open(req, req.submitted_at)
    with pytest.raises(DomainError) as info:
        ensure_estimate_window_open(req, req.closes_at + timedelta(minutes=1))
    assert info.value.code == "estimate_window_closed"
    assert "Thu Dec 3, 9:00 AM EST" in info.value.message


def test_r2_booked_or_closed_request_refuses_estimates_even_before_deadline() -> None:
    for status in ("BOOKED", "CLOSED"):
        req = request_submitted(ny(2026, 11, 30, 9), status=status)
        assert not is_estimate_window_open(req, req.submitted_at)
        with pytest.raises(DomainError) as info:
            ensure_estimate_window_open(req, req.submitted_at)
        assert info.value.code == "estimate_window_closed"


def test_r2_overdue_answer() -> None:
    req = request_submitted(ny(2026, 11, 30, 9))
    late = req.estimate_due_at + timedelta(minutes=1)
    assert is_estimate_overdue(req, late, answered=False)
    assert not is_estimate_overdue(req, late, answered=True)
    assert not is_estimate_overdue(req, req.estimate_due_at, answered=False)


def test_r3_valid_until() -> None:
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert estimate_valid_until(start, 14) == datetime(2026, 12, 14, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        estimate_valid_until(start, 0)


def test_r4_minimum_trip_charge_table() -> None:
    assert minimum_trip_charge_cents("wa") == minimum_trip_charge_cents("WA") > 0
    assert minimum_trip_charge_cents("TX") == 0
    ensure_visit_price_allowed(0, "TX")
    ensure_visit_price_allowed(minimum_trip_charge_cents("WA"), "WA")
    with pytest.raises(DomainError) as info:
        ensure_visit_price_allowed(0, "WA")
    assert info.value.code == "invalid"
    assert "$25.00" in info.value.message


def _visit(**overrides: Any) -> VisitProposal:
    data: dict[str, Any] = {
        "id": new_id(),
        "request_id": new_id(),
        "business_id": new_id(),
        "price_cents": 5000,
    }
    data.update(overrides)
    return VisitProposal.model_validate(data)


def test_r4_only_accepted_visits_can_be_scheduled() -> None:
    with pytest.raises(DomainError) as info:
        ensure_visit_accepted(_visit())
    assert info.value.code == "visit_not_accepted"
    ensure_visit_accepted(_visit(status="ACCEPTED", accepted_at=ny(2026, 11, 30, 9)))


def test_r4_waiver_terms() -> None:
    plain = _visit()
    assert visit_charge_cents(plain, customer_proceeded=True) == 5000
    waived = _visit(waiver_terms="WAIVE_IF_PROCEED")
    assert visit_charge_cents(waived, customer_proceeded=True) == 0
    assert visit_charge_cents(waived, customer_proceeded=False) == 5000
    discounted = _visit(waiver_terms="DISCOUNT_IF_PROCEED", discount_cents=1500)
    assert visit_charge_cents(discounted, customer_proceeded=True) == 3500
    assert visit_charge_cents(discounted, customer_proceeded=False) == 5000


@pytest.mark.parametrize(
    ("accepted", "defective", "billable"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
)
def test_r5_trip_charge_billable(accepted: bool, defective: bool, billable: bool) -> None:
    assert is_trip_charge_billable(accepted, defective) is billable


def test_r5_acceptance_must_precede_the_trip() -> None:
    trip = ny(2026, 12, 2, 9)
    ensure_trip_charge_accepted(_visit(status="ACCEPTED", accepted_at=trip), trip)
    for visit in (_visit(), _visit(status="ACCEPTED", accepted_at=trip + timedelta(hours=1))):
        with pytest.raises(DomainError) as info:
            ensure_trip_charge_accepted(visit, trip)
        assert info.value.code == "trip_charge_not_accepted"


def test_r6_window_confirmation() -> None:
    ordered = ny(2026, 7, 2, 15)
    assert window_confirmation_due_at(ordered, NY) == ny(2026, 7, 6, 15)
    j = job(window_confirmation_due_at=ny(2026, 7, 6, 15))
    assert not is_window_confirmation_overdue(j, ny(2026, 7, 6, 15))
    assert is_window_confirmation_overdue(j, ny(2026, 7, 6, 15, 1))
    appt = Appointment(id=new_id(), job_id=j.id, window=window())
    scheduled = j.model_copy(update={"status": "SCHEDULED", "appointment": appt})
    assert not is_window_confirmation_overdue(scheduled, ny(2026, 7, 7))


def test_r6_only_offered_windows_can_be_confirmed() -> None:
    j = job()
    offered = j.preferred_windows[1]
    assert ensure_window_offered(j, offered.id) == offered
    with pytest.raises(DomainError) as info:
        ensure_window_offered(j, new_id())
    assert info.value.code == "window_not_offered"


def test_r6_exactly_three_distinct_future_windows() -> None:
    now = T0 - timedelta(days=1)
    three = [window(T0 + timedelta(days=d)) for d in range(3)]
    ensure_preferred_windows(three, now)
    for windows, words in (
        (three[:2], "exactly 3"),
        ([*three, window(T0 + timedelta(days=5))], "exactly 3"),
        ([three[0], three[0], three[1]], "the same"),
        (three, "in the past"),
    ):
        at = T0 + timedelta(hours=1) if words == "in the past" else now
        with pytest.raises(DomainError) as info:
            ensure_preferred_windows(windows, at)
        assert info.value.code == "invalid"
        assert words in info.value.message


def test_job_cancelled() -> None:
    ensure_job_not_cancelled(job())
    with pytest.raises(DomainError) as info:
        ensure_job_not_cancelled(job(status="CANCELLED"))
    assert info.value.code == "job_cancelled"


def test_r7_free_cancel_up_to_24h_before() -> None:
    start = datetime(2026, 12, 5, 17, tzinfo=UTC)
    cutoff = free_cancel_cutoff(start)
    assert cutoff == datetime(2026, 12, 4, 17, tzinfo=UTC)
    assert can_customer_reschedule_or_cancel(start, cutoff)
    assert not can_customer_reschedule_or_cancel(start, cutoff + timedelta(seconds=1))
    ensure_customer_can_reschedule_or_cancel(start, cutoff - timedelta(days=3))
    with pytest.raises(DomainError) as info:
        ensure_customer_can_reschedule_or_cancel(start, start - timedelta(hours=2))
    assert info.value.code == "cancel_cutoff_passed"
    assert "support" in info.value.message


def test_r8_change_order_totals() -> None:
    a, b = line(cents=10_000), line(cents=2_500, quantity=2)
    extra = line(cents=3_000)
    assert change_order_totals([a, b], [extra], [b.id]) == (15_000, 13_000, -2_000)
    assert change_order_totals([a], [extra], []) == (10_000, 13_000, 3_000)
    assert change_order_totals([], [extra], []) == (0, 3_000, 3_000)
    with pytest.raises(DomainError) as info:
        change_order_totals([a], [], [new_id()])
    assert info.value.code == "invalid"
    with pytest.raises(DomainError):
        change_order_totals([a], [a], [])


def test_r10_reply_due_in_two_business_days() -> None:
    assert message_reply_due_at(ny(2026, 11, 25, 10), NY) == ny(2026, 11, 30, 10)


def test_r11_review_window() -> None:
    ordered = datetime(2026, 1, 1, 12, tzinfo=UTC)
    closes = review_window_closes_at(ordered)
    assert closes == datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert can_review(ordered, closes)
    assert not can_review(ordered, closes + timedelta(seconds=1))
    ensure_can_review(ordered, closes)
    with pytest.raises(DomainError) as info:
        ensure_can_review(ordered, closes + timedelta(days=1))
    assert info.value.code == "review_window_closed"


def test_r13_compliance() -> None:
    today = date(2026, 11, 26)

    def doc(expires_on: date | None, verified: bool = True) -> ComplianceDocument:
        return ComplianceDocument(
            id=new_id(),
            user_id=new_id(),
            kind=ComplianceKind.INSURANCE,
            expires_on=expires_on,
            verified=verified,
        )

    assert compliance_standing(doc(None), today) is ComplianceStanding.OK
    assert compliance_standing(doc(date(2027, 6, 1)), today) is ComplianceStanding.OK
    assert compliance_standing(doc(today + timedelta(days=30)), today) == "EXPIRING_SOON"
    assert compliance_standing(doc(today + timedelta(days=31)), today) == "OK"
    assert compliance_standing(doc(today), today) == "EXPIRING_SOON"
    assert compliance_standing(doc(today - timedelta(days=1)), today) == "EXPIRED"
    assert compliance_standing(doc(date(2027, 6, 1), verified=False), today) == "UNVERIFIED"
    assert not is_compliance_expiring(doc(today - timedelta(days=1)), today)
    assert is_compliance_expiring(doc(today + timedelta(days=5)), today)
    assert required_compliance_kinds(travels_to_homes(LocationType.IN_HOME)) == {
        ComplianceKind.BACKGROUND_CHECK,
        ComplianceKind.INSURANCE,
        ComplianceKind.CRIMINAL_BACKGROUND_CHECK,
    }
    online = required_compliance_kinds(travels_to_homes(LocationType.ONLINE), True)
    assert ComplianceKind.CRIMINAL_BACKGROUND_CHECK not in online
    assert ComplianceKind.LICENSE in online


def test_helpers_refuse_naive_times() -> None:
    naive = datetime(2026, 1, 1)
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        is_overdue(naive, aware)
    with pytest.raises(ValueError):
        free_cancel_cutoff(naive)
    with pytest.raises(ValueError):
        review_window_closes_at(naive)
    assert is_overdue(aware, aware + timedelta(microseconds=1))
    assert not is_overdue(aware, aware)


def test_format_local() -> None:
    assert format_local(datetime(2026, 11, 30, 18, tzinfo=UTC), "America/Los_Angeles") == (
        "Mon Nov 30, 10:00 AM PST"
    )
    assert format_local(datetime(2026, 7, 6, 4, 5, tzinfo=UTC), NY) == "Mon Jul 6, 12:05 AM EDT"
