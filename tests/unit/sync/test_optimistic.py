"""Optimistic effects: one test per pro command for the effect, plus the local refusals
that must happen before anything is queued (same stable codes as the server)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from proapp.domain import signing
from proapp.domain.commands import (
    PRO_COMMANDS,
    AppointmentRescheduleArgs,
    ChangeOrderCreateArgs,
    CommandArgs,
    EstimateSubmitArgs,
    EstimateWithdrawArgs,
    JobAssignArgs,
    JobCompleteArgs,
    JobReportDefectiveArgs,
    JobStartArgs,
    MessageSendArgs,
    PhotoAttachArgs,
    VisitProposeArgs,
    WindowConfirmArgs,
    WindowProposeArgs,
)
from proapp.domain.enums import (
    AppointmentStatus,
    EstimateStatus,
    JobStatus,
    LineItemKind,
    PartsSupplier,
    PhotoTargetKind,
    RequestStatus,
    RescheduleReasonCode,
    Role,
    VisitStatus,
    WaiverTerms,
)
from proapp.domain.errors import DomainError
from proapp.domain.models import (
    ChangeOrder,
    Estimate,
    Job,
    LineItem,
    Message,
    SignatureRecord,
    TimeWindow,
    VisitProposal,
)
from proapp.sync.optimistic import EFFECTS, Effect, optimistic_effects, plan_command
from tests.support.fake_repo import FIXED_NOW, make_job, make_line, make_request, make_user

NOW = FIXED_NOW
USER = make_user()
PNG = "a" * 64
PHOTO = "b" * 64


class Cache:
    """A dict of entity JSON standing in for the store's cache."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, kind: str, model: Any) -> Any:
        self.rows[(kind, model.id)] = model.model_dump(mode="json")
        return model

    def lookup(self, kind: str, entity_id: str) -> Mapping[str, Any] | None:
        return self.rows.get((kind, entity_id))


def effects(cache: Cache, command: CommandArgs, **kw: Any) -> list[Effect]:
    return optimistic_effects(
        command, cache.lookup, now=kw.get("now", NOW), user=kw.get("user", USER)
    )


def refused(cache: Cache, command: CommandArgs, **kw: Any) -> str:
    with pytest.raises(DomainError) as caught:
        effects(cache, command, **kw)
    return caught.value.code


def new_id() -> str:
    return str(uuid.uuid4())


def signature(content: dict[str, Any], pro_user_id: str = USER.id) -> SignatureRecord:
    return SignatureRecord(
        signer_name="Alice Adams",
        strokes=[[(1, 2), (3, 4)]],
        png_sha256=PNG,
        device_signed_at=NOW,
        consent_text="I agree to the change.",
        pro_user_id=pro_user_id,
        device_id="device-1",
        content_sha256=signing.content_sha256(content),
    )


def test_every_command_has_an_effect() -> None:
    assert set(EFFECTS) == set(PRO_COMMANDS)


# --------------------------------------------------------------------------- requests


def estimate_args(request_id: str, **kw: Any) -> EstimateSubmitArgs:
    return EstimateSubmitArgs(
        estimate_id=kw.pop("estimate_id", new_id()),
        request_id=request_id,
        line_items=[make_line("Labor", unit_price_cents=9_000, quantity=2)],
        parts_supplier=PartsSupplier.PRO,
        valid_days=kw.pop("valid_days", 10),
        photo_hashes=[PHOTO],
        **kw,
    )


def test_estimate_submit_creates_a_submitted_estimate() -> None:
    cache = Cache()
    request = cache.add("request", make_request())
    args = estimate_args(request.id)
    (effect,) = effects(cache, args)
    estimate = Estimate.model_validate(effect.data)
    assert (effect.kind, effect.id, effect.parent_id) == ("estimate", args.estimate_id, request.id)
    assert estimate.status is EstimateStatus.SUBMITTED
    assert estimate.submitted_at == NOW and estimate.valid_until == NOW + timedelta(days=10)
    assert estimate.total_cents == 18_000 and estimate.technician_id == USER.id
    assert estimate.photo_hashes == [PHOTO] and estimate.business_id == request.business_id


def test_estimate_refused_after_the_window_closed_or_when_booked() -> None:
    cache = Cache()
    closed = cache.add(
        "request",
        make_request(estimate_due_in=timedelta(hours=-30), closes_in=timedelta(hours=-1)),
    )
    assert refused(cache, estimate_args(closed.id)) == "estimate_window_closed"
    booked = cache.add("request", make_request(status=RequestStatus.BOOKED))
    assert refused(cache, estimate_args(booked.id)) == "estimate_window_closed"
    assert refused(cache, estimate_args(new_id())) == "not_found"


def test_estimate_id_reuse_is_a_conflict() -> None:
    cache = Cache()
    request = cache.add("request", make_request())
    (effect,) = effects(cache, estimate_args(request.id))
    cache.rows[("estimate", effect.id)] = effect.data
    assert refused(cache, estimate_args(request.id, estimate_id=effect.id)) == "conflict"


def test_estimate_withdraw() -> None:
    cache = Cache()
    request = cache.add("request", make_request())
    (created,) = effects(cache, estimate_args(request.id))
    cache.rows[("estimate", created.id)] = created.data
    (effect,) = effects(cache, EstimateWithdrawArgs(estimate_id=created.id))
    assert Estimate.model_validate(effect.data).status is EstimateStatus.WITHDRAWN
    cache.rows[("estimate", created.id)] = effect.data
    assert refused(cache, EstimateWithdrawArgs(estimate_id=created.id)) == "invalid_transition"


def test_visit_propose_and_the_state_minimum_trip_charge() -> None:
    cache = Cache()
    request = cache.add("request", make_request(address_state="NY"))
    args = VisitProposeArgs(
        visit_id=new_id(),
        request_id=request.id,
        price_cents=6_000,
        waiver_terms=WaiverTerms.DISCOUNT_IF_PROCEED,
        discount_cents=2_000,
        note="I need to see the wall first.",
    )
    (effect,) = effects(cache, args)
    visit = VisitProposal.model_validate(effect.data)
    assert visit.status is VisitStatus.PROPOSED and visit.proposed_at == NOW
    assert visit.minimum_trip_charge_cents == 4_500 and visit.discount_cents == 2_000
    assert effect.parent_id == request.id
    cheap = VisitProposeArgs(visit_id=new_id(), request_id=request.id, price_cents=1_000)
    assert refused(cache, cheap) == "invalid"
    # States without a minimum allow a free visit.
    no_minimum = cache.add("request", make_request(address_state="OR"))
    free = VisitProposeArgs(visit_id=new_id(), request_id=no_minimum.id, price_cents=0)
    assert VisitProposal.model_validate(effects(cache, free)[0].data).price_cents == 0


# --------------------------------------------------------------------------- scheduling


def test_window_confirm_schedules_the_offered_window_and_bumps_the_version() -> None:
    cache = Cache()
    job = cache.add("job", make_job(version=4))
    chosen = job.preferred_windows[2]
    command = WindowConfirmArgs(job_id=job.id, preferred_window_id=chosen.id)
    plan = plan_command(command, cache.lookup, now=NOW, user=USER)
    assert plan.base_version == 4
    (effect,) = plan.effects
    after = Job.model_validate(effect.data)
    assert after.status is JobStatus.SCHEDULED and after.version == 5
    assert after.appointment is not None and after.appointment.window == chosen.window
    assert after.appointment.assigned_technician_ids == job.assigned_technician_ids
    not_offered = WindowConfirmArgs(job_id=job.id, preferred_window_id=new_id())
    assert refused(cache, not_offered) == "window_not_offered"


def test_window_confirm_refusals() -> None:
    cache = Cache()
    cancelled = cache.add("job", make_job(status=JobStatus.CANCELLED))
    wid = cancelled.preferred_windows[0].id
    assert refused(cache, WindowConfirmArgs(job_id=cancelled.id, preferred_window_id=wid)) == (
        "job_cancelled"
    )
    scheduled = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    wid = scheduled.preferred_windows[0].id
    assert refused(cache, WindowConfirmArgs(job_id=scheduled.id, preferred_window_id=wid)) == (
        "invalid_transition"
    )
    others = cache.add("job", make_job(assigned_technician_ids=[new_id()]))
    wid = others.preferred_windows[0].id
    command = WindowConfirmArgs(job_id=others.id, preferred_window_id=wid)
    assert refused(cache, command) == "forbidden"
    # Office staff may schedule any job of the business.
    owner = make_user(role=Role.OWNER, user_id=new_id(), email="o@x.example", name="Olga")
    assert effects(cache, command, user=owner)


def test_window_propose_sets_the_pros_window() -> None:
    cache = Cache()
    job = cache.add("job", make_job())
    window = TimeWindow(start=NOW + timedelta(days=5), end=NOW + timedelta(days=5, hours=3))
    (effect,) = effects(cache, WindowProposeArgs(job_id=job.id, window=window, note="Friday?"))
    after = Job.model_validate(effect.data)
    assert after.status is JobStatus.SCHEDULED
    assert after.appointment is not None and after.appointment.window == window


def test_appointment_reschedule_moves_the_window_with_the_reason() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    window = TimeWindow(start=NOW + timedelta(days=2), end=NOW + timedelta(days=2, hours=2))
    args = AppointmentRescheduleArgs(
        job_id=job.id, window=window, reason_code=RescheduleReasonCode.PARTS_DELAYED
    )
    (effect,) = effects(cache, args)
    after = Job.model_validate(effect.data)
    assert after.status is JobStatus.SCHEDULED and after.appointment is not None
    assert after.appointment.window == window
    assert after.appointment.reschedule_reason is RescheduleReasonCode.PARTS_DELAYED
    assert job.appointment is not None and after.appointment.id != job.appointment.id
    pending = cache.add("job", make_job())
    args = AppointmentRescheduleArgs(
        job_id=pending.id, window=window, reason_code=RescheduleReasonCode.WEATHER
    )
    assert refused(cache, args) == "invalid_transition"


def test_job_assign_is_for_staff() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    techs = [new_id(), new_id()]
    command = JobAssignArgs(job_id=job.id, technician_ids=techs)
    assert refused(cache, command) == "forbidden"
    dispatcher = make_user(role=Role.DISPATCHER, user_id=new_id(), email="d@x.example", name="D")
    (effect,) = effects(cache, command, user=dispatcher)
    after = Job.model_validate(effect.data)
    assert after.assigned_technician_ids == techs
    assert after.appointment is not None and after.appointment.assigned_technician_ids == techs


# --------------------------------------------------------------------------- field work


def test_job_start() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    (effect,) = effects(cache, JobStartArgs(job_id=job.id))
    assert Job.model_validate(effect.data).status is JobStatus.IN_PROGRESS
    pending = cache.add("job", make_job())
    assert refused(cache, JobStartArgs(job_id=pending.id)) == "invalid_transition"
    cancelled = cache.add("job", make_job(status=JobStatus.CANCELLED))
    assert refused(cache, JobStartArgs(job_id=cancelled.id)) == "job_cancelled"


def change_order_args(job: Job, **kw: Any) -> ChangeOrderCreateArgs:
    added = [make_line("New valve", unit_price_cents=4_500, kind=LineItemKind.PART)]
    removed = [job.line_items[0].id]
    co_id = new_id()
    content = signing.change_order_signed_content(
        change_order_id=co_id,
        job_id=job.id,
        reason="Valve is corroded",
        original_lines=kw.pop("signed_lines", job.line_items),
        added_lines=added,
        removed_line_ids=removed,
    )
    return ChangeOrderCreateArgs(
        change_order_id=co_id,
        job_id=job.id,
        reason="Valve is corroded",
        added_lines=added,
        removed_line_ids=removed,
        photo_hashes=[PHOTO],
        signature=signature(content, **kw),
    )


def test_change_order_creates_the_order_and_updates_the_job() -> None:
    cache = Cache()
    keep = make_line("Haul away", unit_price_cents=2_000)
    job = cache.add(
        "job",
        make_job(status=JobStatus.IN_PROGRESS, lines=[make_line(unit_price_cents=12_000), keep]),
    )
    args = change_order_args(job)
    order_effect, job_effect = effects(cache, args)
    order = ChangeOrder.model_validate(order_effect.data)
    assert order_effect.parent_id == job.id and order.created_at == NOW
    assert (order.original_total_cents, order.new_total_cents) == (14_000, 6_500)
    after = Job.model_validate(job_effect.data)
    assert [line.description for line in after.line_items] == ["Haul away", "New valve"]
    assert after.price_cents == job.price_cents - 7_500 and after.version == job.version + 1


def test_change_order_refusals() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.IN_PROGRESS))
    stale = [LineItem.model_validate({**job.line_items[0].model_dump(), "unit_price_cents": 1})]
    assert refused(cache, change_order_args(job, signed_lines=stale)) == "signature_mismatch"
    assert refused(cache, change_order_args(job, pro_user_id=new_id())) == "invalid"
    scheduled = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    assert refused(cache, change_order_args(scheduled)) == "invalid_transition"


def completion_args(job: Job, total_cents: int | None = None) -> JobCompleteArgs:
    total = job.price_cents if total_cents is None else total_cents
    content = signing.completion_signed_content(
        job_id=job.id, summary="Installed", total_cents=total, line_items=job.line_items
    )
    return JobCompleteArgs(job_id=job.id, summary="Installed", signature=signature(content))


def test_job_complete_signature_must_cover_the_charge_with_the_trip_charge() -> None:
    # R5 + R9: the customer signs the price plus the server's billable trip charge.
    cache = Cache()
    in_progress = make_job(status=JobStatus.IN_PROGRESS)
    job = cache.add("job", in_progress.model_copy(update={"trip_charge_cents": 4_900}))
    assert refused(cache, completion_args(job)) == "signature_mismatch"
    assert effects(cache, completion_args(job, job.price_cents + 4_900))


def test_job_complete_ends_the_job_and_its_appointment() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.IN_PROGRESS))
    (effect,) = effects(cache, completion_args(job))
    after = Job.model_validate(effect.data)
    assert after.status is JobStatus.COMPLETED
    assert after.appointment is not None
    assert after.appointment.status is AppointmentStatus.COMPLETED
    scheduled = cache.add("job", make_job(status=JobStatus.SCHEDULED))
    assert refused(cache, completion_args(scheduled)) == "invalid_transition"


def test_report_defective_ends_not_serviced_with_photos() -> None:
    cache = Cache()
    job = cache.add("job", make_job(status=JobStatus.IN_PROGRESS))
    args = JobReportDefectiveArgs(job_id=job.id, note="Unit cracked", photo_hashes=[PHOTO])
    job_effect, photo_effect = effects(cache, args)
    assert Job.model_validate(job_effect.data).status is JobStatus.NOT_SERVICED
    assert photo_effect.kind == "photo" and photo_effect.data["blob_hash"] == PHOTO
    assert photo_effect.data["target_id"] == job.id and photo_effect.parent_id == job.id
    # Recomputing gives the same stand-in ids (a retry must not duplicate rows).
    assert effects(cache, args)[1].id == photo_effect.id
    done = cache.add("job", make_job(status=JobStatus.COMPLETED))
    args = JobReportDefectiveArgs(job_id=done.id, note="Too late")
    assert refused(cache, args) == "invalid_transition"


# --------------------------------------------------------------------------- talk, photos


def test_message_send() -> None:
    cache = Cache()
    job = cache.add("job", make_job())
    args = MessageSendArgs(message_id=new_id(), job_id=job.id, body="On my way")
    (effect,) = effects(cache, args)
    message = Message.model_validate(effect.data)
    assert message.author_id == USER.id and message.sent_at == NOW and message.body == "On my way"
    assert effect.parent_id == job.id
    missing = MessageSendArgs(message_id=new_id(), request_id=new_id(), body="Hello")
    assert refused(cache, missing) == "not_found"


def test_photo_attach() -> None:
    cache = Cache()
    request = cache.add("request", make_request())
    args = PhotoAttachArgs(
        photo_id=new_id(),
        target_kind=PhotoTargetKind.REQUEST,
        target_id=request.id,
        blob_hash=PHOTO,
        caption="Leak",
    )
    (effect,) = effects(cache, args)
    assert effect.data["blob_hash"] == PHOTO and effect.data["caption"] == "Leak"
    assert effect.parent_id == request.id and effect.data["uploaded_by"] == USER.id
    other = PhotoAttachArgs(
        photo_id=new_id(), target_kind=PhotoTargetKind.JOB, target_id=new_id(), blob_hash=PHOTO
    )
    assert refused(cache, other) == "not_found"


def test_chained_job_actions_carry_the_predicted_base_version() -> None:
    cache = Cache()
    job = cache.add("job", make_job(version=7))
    confirm = WindowConfirmArgs(job_id=job.id, preferred_window_id=job.preferred_windows[0].id)
    plan = plan_command(confirm, cache.lookup, now=NOW, user=USER)
    cache.rows[("job", job.id)] = plan.effects[0].data
    start = plan_command(JobStartArgs(job_id=job.id), cache.lookup, now=NOW, user=USER)
    assert (plan.base_version, start.base_version) == (7, 8)
    message = MessageSendArgs(message_id=new_id(), job_id=job.id, body="Hi")
    assert plan_command(message, cache.lookup, now=NOW, user=USER).base_version is None
