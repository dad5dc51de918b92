"""EstimateEditorState: lines, live totals, validation, photos, autosaved drafts (R2, R3)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from proapp.domain.commands import EstimateSubmitArgs
from proapp.domain.enums import LineItemKind, PartsSupplier
from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import MAX_PHOTOS, CustomRequest
from proapp.state.estimate_editor import EstimateEditorState, PickedPhoto
from proapp.state.ports import Route, ScreenContext
from proapp.state.request_detail import estimate_draft_key
from proapp.sync.connectivity import Connectivity
from proapp.sync.status import SyncStatus
from tests.support.fake_repo import (
    FakeClock,
    FakeNavigator,
    FakeRepository,
    make_request,
    run,
)

JPEG_A = b"\xff\xd8\xff\xe0 photo A"
JPEG_B = b"\xff\xd8\xff\xe0 photo B"


pytestmark = pytest.mark.usefixtures("fast_autosave")


def make(
    request: CustomRequest | None = None,
    repo: FakeRepository | None = None,
    clock: FakeClock | None = None,
) -> tuple[EstimateEditorState, FakeRepository, FakeNavigator]:
    request = request or make_request()
    clock = clock or FakeClock()
    if repo is None:
        repo = FakeRepository(clock=clock)
        repo.add_request(request)
    nav = FakeNavigator()
    state = EstimateEditorState(
        ScreenContext(repo, nav, clock), Route("estimate", {"request_id": request.id})
    )
    return state, repo, nav


def fill(state: EstimateEditorState, line_id: str, description: str, qty: str, price: str) -> None:
    state.set_line_description(line_id, description)
    state.set_line_quantity(line_id, qty)
    state.set_line_price(line_id, price)


def test_starts_with_one_empty_line_and_saves_nothing_until_edited() -> None:
    async def scenario() -> None:
        state, repo, _ = make()
        await state.load()
        assert len(state.lines) == 1
        line = state.lines[0]
        assert (line.position, line.kind, line.description, line.quantity) == (
            1,
            LineItemKind.LABOR,
            "",
            "1",
        )
        assert line.description_error is None and line.price_error is None  # not yet
        assert state.total_text == "$0.00"
        assert not state.restored
        await asyncio.sleep(0.05)
        assert repo.drafts == {}
        state.dispose()

    run(scenario)


def test_live_subtotals_and_total_in_cents() -> None:
    async def scenario() -> None:
        state, _, _ = make()
        await state.load()
        first = state.lines[0].line_id
        fill(state, first, "Labor", "3", "95")
        assert state.lines[0].subtotal_text == "3 × $95.00 = $285.00"
        second = state.add_line(LineItemKind.PART)
        fill(state, second, "Valve", "2", "0.10")
        third = state.add_line()
        fill(state, third, "Cartridge", "1", "0.20")
        # 28500 + 20 + 20 cents: exact, no float drift.
        assert state.total_cents == 28540
        assert state.total_text == "$285.40"
        assert state.total_note == ""
        state.set_line_price(third, "")
        assert state.total_text == "$285.20"
        assert state.total_note == "1 line is not complete and not counted yet."
        state.dispose()

    run(scenario)


@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        ("price", "12.345", "'12.345' has more than two decimals"),
        ("price", "ten", "'ten' is not an amount"),
        ("quantity", "1.5", "'1.5' is not a whole number"),
        ("quantity", "0", "The quantity must be at least 1"),
        ("quantity", "20000", "The quantity can be at most 10,000"),
    ],
)
def test_typos_get_a_message_right_away(field: str, typed: str, expected: str) -> None:
    async def scenario() -> None:
        state, _, _ = make()
        await state.load()
        line_id = state.lines[0].line_id
        if field == "price":
            state.set_line_price(line_id, typed)
            message = state.lines[0].price_error
        else:
            state.set_line_quantity(line_id, typed)
            message = state.lines[0].quantity_error
        assert message is not None and message.startswith(expected)
        assert state.lines[0].subtotal_text == ""
        state.dispose()

    run(scenario)


def test_submit_without_lines_says_add_one() -> None:
    async def scenario() -> None:
        state, repo, nav = make()
        await state.load()
        state.remove_line(state.lines[0].line_id)
        await state.submit()
        assert state.error == "Add at least one line: labor, parts or a fee."
        assert state.lines_error == state.error
        assert repo.performed == [] and nav.backs == 0
        state.dispose()

    run(scenario)


def test_submit_marks_each_incomplete_field_and_keeps_the_text() -> None:
    async def scenario() -> None:
        state, repo, _ = make()
        await state.load()
        first = state.lines[0].line_id
        fill(state, first, "Labor", "1", "100")
        second = state.add_line()
        state.set_line_price(second, "12.345")
        await state.submit()
        assert repo.performed == []
        line = state.lines[1]
        assert line.description_error is not None
        assert line.price_error is not None and "more than two decimals" in line.price_error
        assert state.lines[0].has_errors is False
        assert state.error is not None
        assert state.error.startswith("2 fields need fixing (marked in red). Line 2 description:")
        assert line.unit_price == "12.345"
        state.dispose()

    run(scenario)


def test_valid_days_must_be_1_to_60() -> None:
    async def scenario() -> None:
        state, repo, _ = make()
        await state.load()
        fill(state, state.lines[0].line_id, "Labor", "1", "100")
        state.set_valid_days("90")
        assert state.valid_days_error is not None and "1 to 60" in state.valid_days_error
        await state.submit()
        assert repo.performed == []
        state.dispose()

    run(scenario)


def test_submit_queues_the_estimate_deletes_the_draft_and_goes_back() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, nav = make(request)
        repo.status = SyncStatus(connectivity=Connectivity.OFFLINE)
        await state.load()
        first = state.lines[0].line_id
        fill(state, first, "  Replace cartridge  ", "2", "45")
        second = state.add_line(LineItemKind.FEE)
        fill(state, second, "Disposal fee", "1", "15.50")
        state.set_parts_supplier(PartsSupplier.CUSTOMER)
        state.set_notes("Customer buys the cartridge.")
        state.set_valid_days("30")
        await state.add_photos([PickedPhoto("a.jpg", JPEG_A)])
        await asyncio.sleep(0.05)
        assert estimate_draft_key(request.id) in repo.drafts  # autosaved meanwhile
        await state.submit()
        (command,) = repo.performed
        assert isinstance(command, EstimateSubmitArgs)
        assert command.estimate_id == state.estimate_id
        assert command.request_id == request.id
        assert [(i.id, i.kind, i.description, i.quantity, i.unit_price_cents) for i in
                command.line_items] == [
            (first, LineItemKind.LABOR, "Replace cartridge", 2, 4500),
            (second, LineItemKind.FEE, "Disposal fee", 1, 1550),
        ]  # fmt: skip
        assert command.parts_supplier is PartsSupplier.CUSTOMER
        assert command.notes == "Customer buys the cartridge."
        assert command.valid_days == 30
        assert command.photo_hashes == state.photo_hashes and len(command.photo_hashes) == 1
        assert estimate_draft_key(request.id) not in repo.drafts
        assert nav.backs == 1
        assert nav.notices == [
            "Estimate saved; it will be sent to the customer when you are back online."
        ]
        await asyncio.sleep(0.05)
        assert estimate_draft_key(request.id) not in repo.drafts  # no late autosave
        state.dispose()

    run(scenario)


def test_draft_is_restored_with_the_same_estimate_id() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _ = make(request)
        await state.load()
        first = state.lines[0].line_id
        fill(state, first, "Labor", "2", "12.345")  # even a typo is kept as typed
        state.add_line(LineItemKind.PART)
        state.set_notes("Draft notes")
        await asyncio.sleep(0.05)
        estimate_id = state.estimate_id
        state.dispose()

        again, _, _ = make(request, repo)
        await again.load()
        assert again.restored
        assert again.estimate_id == estimate_id
        assert [(v.line_id, v.kind, v.unit_price) for v in again.lines][0] == (
            first,
            LineItemKind.LABOR,
            "12.345",
        )
        assert again.lines[1].kind is LineItemKind.PART
        assert again.lines[0].price_error is not None  # the typo is flagged again
        assert again.notes == "Draft notes"
        again.dispose()

    run(scenario)


def test_leaving_right_after_typing_still_saves_the_draft() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _ = make(request)
        await state.load()
        state.set_line_description(state.lines[0].line_id, "Last words")
        state.dispose()
        await asyncio.sleep(0.05)
        lines = repo.drafts[estimate_draft_key(request.id)][1]["lines"]
        assert lines[0]["description"] == "Last words"

    run(scenario)


def test_closed_request_refuses_submit_and_keeps_the_draft() -> None:
    async def scenario() -> None:
        request = make_request(
            estimate_due_in=timedelta(minutes=5), closes_in=timedelta(minutes=10)
        )
        clock = FakeClock()
        state, repo, nav = make(request, clock=clock)
        await state.load()
        fill(state, state.lines[0].line_id, "Labor", "1", "100")
        await asyncio.sleep(0.05)
        clock.now += timedelta(minutes=11)  # R2: it closed while the pro typed
        await state.submit()
        assert repo.performed == [] and nav.backs == 0
        assert state.error is not None and "stopped taking estimates" in state.error
        assert "Your draft is kept" in state.error
        assert not state.can_submit
        assert estimate_draft_key(request.id) in repo.drafts
        assert state.lines[0].description == "Labor"
        state.dispose()

    run(scenario)


def test_repository_refusal_keeps_everything_and_a_retry_reuses_the_id() -> None:
    async def scenario() -> None:
        state, repo, nav = make()
        await state.load()
        fill(state, state.lines[0].line_id, "Labor", "1", "100")
        repo.fail_next(DomainError(ErrorCode.INVALID, "Something is off. Check and resend."))
        await state.submit()
        assert state.error == "Something is off. Check and resend."
        assert not state.busy and nav.backs == 0
        await state.submit()
        (command,) = repo.performed
        assert isinstance(command, EstimateSubmitArgs)
        assert command.estimate_id == state.estimate_id
        assert nav.backs == 1
        state.dispose()

    run(scenario)


def test_photos_add_show_refuse_and_remove(tmp_path: Path) -> None:
    async def scenario() -> None:
        request = make_request()
        repo = FakeRepository(clock=FakeClock(), photo_dir=tmp_path)
        repo.add_request(request)
        state, _, nav = make(request, repo)
        await state.load()
        await state.add_photos(
            [
                PickedPhoto("a.jpg", JPEG_A),
                PickedPhoto("notes.txt", b"hello"),
                PickedPhoto("again.jpg", JPEG_A),
                PickedPhoto("b.jpg", JPEG_B),
            ]
        )
        assert len(state.photo_hashes) == 2
        assert [state.photo_data[h] for h in state.photo_hashes] == [JPEG_A, JPEG_B]
        assert state.photos_error is not None
        assert state.photos_error.startswith("notes.txt: ")
        assert "again.jpg is already on this estimate." in state.photos_error
        assert not state.adding_photo
        state.open_photo(state.photo_hashes[0])
        assert nav.last == Route("photo", {"blob_hash": state.photo_hashes[0]})
        removed = state.photo_hashes[0]
        state.remove_photo(removed)
        assert removed not in state.photo_hashes and removed not in state.photo_data
        state.dispose()

    run(scenario)


def test_a_picked_file_path_is_read_when_no_bytes_came(tmp_path: Path) -> None:
    async def scenario() -> None:
        photo = tmp_path / "from-disk.jpg"
        photo.write_bytes(JPEG_B)
        state, _, _ = make()
        await state.load()
        await state.add_photos(
            [PickedPhoto("from-disk.jpg", None, str(photo)), PickedPhoto("gone.jpg", None, None)]
        )
        assert len(state.photo_hashes) == 1
        assert state.photos_error == "gone.jpg could not be read. Pick it again."
        state.dispose()

    run(scenario)


def test_photo_limit() -> None:
    async def scenario() -> None:
        state, _, _ = make()
        await state.load()
        photos = [PickedPhoto(f"{i}.jpg", JPEG_A + bytes([i])) for i in range(MAX_PHOTOS + 1)]
        await state.add_photos(photos)
        assert len(state.photo_hashes) == MAX_PHOTOS
        assert not state.can_add_photo
        assert state.photos_error is not None and "at most 20 photos" in state.photos_error
        state.dispose()

    run(scenario)


def test_removing_a_line_renumbers_the_rest() -> None:
    async def scenario() -> None:
        state, _, _ = make()
        await state.load()
        first = state.lines[0].line_id
        second = state.add_line()
        third = state.add_line()
        state.remove_line(second)
        assert [(v.position, v.line_id) for v in state.lines] == [(1, first), (2, third)]
        state.dispose()

    run(scenario)


def test_an_earlier_estimate_is_mentioned() -> None:
    async def scenario() -> None:
        request = make_request()
        state, repo, _ = make(request)
        await state.load()
        fill(state, state.lines[0].line_id, "Labor", "1", "250")
        await state.submit()  # the fake applies it: the request now has a sent estimate
        second, _, _ = make(request, repo)
        await second.load()
        assert second.existing_text.startswith("You already sent an estimate of $250.00")
        assert second.estimate_id != state.estimate_id
        second.dispose()
        state.dispose()

    run(scenario)
