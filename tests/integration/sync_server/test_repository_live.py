"""LocalRepository + SyncEngine against the real marketplace (``python -m marketplace
serve --demo`` as a subprocess): the demo technician queues a realistic action of every
command family while nothing is sent, one sync applies them all in order (a chain of
job actions included: each carries the version the previous one produces), the server
holds the results, overlays are gone, and the device's cache equals what a fresh device
pulls. Customer photos download so they show offline."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from proapp.api import MarketplaceClient
from proapp.domain import signing
from proapp.domain.commands import (
    AppointmentRescheduleArgs,
    ChangeOrderCreateArgs,
    EstimateSubmitArgs,
    JobCompleteArgs,
    JobReportDefectiveArgs,
    JobStartArgs,
    MessageSendArgs,
    PhotoAttachArgs,
    VisitProposeArgs,
    WindowConfirmArgs,
)
from proapp.domain.enums import (
    JobStatus,
    LineItemKind,
    PartsSupplier,
    PhotoTargetKind,
    RequestStatus,
    RescheduleReasonCode,
    VisitStatus,
)
from proapp.domain.models import Job, LineItem, SignatureRecord, TimeWindow
from proapp.sync import Store, account_paths
from proapp.sync.engine import SyncEngine
from proapp.sync.repository import LocalRepository
from tests.support.servers import MarketplaceServer, start_marketplace

TESS = ("tess@brightfix.example", "demo-tech-pass")
DISPATCH = ("dispatch@brightfix.example", "demo-dispatch-pass")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Device:
    """One signed-in install: store, API client, engine, repository."""

    store: Store
    client: MarketplaceClient
    engine: SyncEngine
    repo: LocalRepository


@asynccontextmanager
async def device(server: MarketplaceServer, base: Path) -> AsyncIterator[Device]:
    client = MarketplaceClient(server.url)
    session = await client.login(*TESS)
    store = Store(account_paths(session.user.id, base).database)
    engine = SyncEngine(store, client)
    try:
        yield Device(store, client, engine, LocalRepository(store, engine, session.user))
    finally:
        engine.close()
        store.close()
        await client.aclose()


def assign_to(server: MarketplaceServer, job_id: str, technician_id: str) -> None:
    """Office staff assign Tess to an unassigned job (REST, as the dispatcher)."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        login = http.post("/v1/auth/login", json={"email": DISPATCH[0], "password": DISPATCH[1]})
        token = login.json()["access_token"]
        response = http.post(
            f"/v1/jobs/{job_id}/assign",
            json={"technician_ids": [technician_id]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": new_id()},
        )
        assert response.status_code == 200, response.text


def unassigned_pending_job(server: MarketplaceServer) -> str:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        login = http.post("/v1/auth/login", json={"email": DISPATCH[0], "password": DISPATCH[1]})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        items = http.get("/v1/jobs", params={"limit": 100}, headers=headers).json()["items"]
    for item in items:
        if (
            item["status"] == "PENDING_SCHEDULE"
            and item["origin"] == "PACKAGED"
            and len(item["preferred_windows"]) == 3
            and not item["assigned_technician_ids"]
        ):
            return str(item["id"])
    raise AssertionError("the demo seed has no unassigned packaged job waiting for a window")


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (seed % 256, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


async def sign(dev: Device, content: dict[str, Any]) -> SignatureRecord:
    png = await dev.repo.add_signature([[(10, 10), (60, 40), (120, 12)], [(30, 50)]])
    return SignatureRecord(
        signer_name="Alice Customer",
        strokes=[[(10, 10), (60, 40), (120, 12)], [(30, 50)]],
        png_sha256=png,
        device_signed_at=dev.store.clock(),
        consent_text="I have reviewed this and agree.",
        pro_user_id=dev.repo.user.id,
        device_id=dev.repo.device_id,
        content_sha256=signing.content_sha256(content),
    )


def visible_rows(store: Store) -> dict[tuple[str, str], Any]:
    rows = store.connection().execute("SELECT kind, id, COALESCE(overlay_json, json) FROM entities")
    return {(k, i): json.loads(j) for k, i, j in rows if j is not None}


async def current_job(dev: Device, job_id: str) -> Job:
    record = await dev.repo.job(job_id)
    assert record is not None
    return record.job


def test_every_command_family_offline_then_one_sync(tmp_path: Path) -> None:
    async def body() -> None:
        with start_marketplace(tmp_path / "server") as server:
            async with device(server, tmp_path / "phone") as dev:
                tess_id = dev.repo.user.id
                chain_id = unassigned_pending_job(server)
                assign_to(server, chain_id, tess_id)
                first = await dev.engine.sync_once()
                assert first.ok and first.pulled > 0, first

                jobs = [r.job for r in await dev.repo.jobs()]
                mine = [j for j in jobs if tess_id in j.assigned_technician_ids]
                scheduled = [j for j in mine if j.status is JobStatus.SCHEDULED]
                assert len(scheduled) >= 2, "the demo seed gives Tess scheduled jobs"
                requests = [
                    r
                    for r in await dev.repo.requests()
                    if r.request.status is RequestStatus.OPEN
                    and r.request.address is not None
                    and r.request.closes_at > dev.store.clock() + timedelta(hours=1)
                ]
                assert len(requests) >= 2
                repo = dev.repo
                queued: list[str] = []

                async def act(command: Any) -> None:
                    entry = await repo.perform(command)
                    queued.append(entry.name)

                # Talk and requests (R10, R4, R3).
                await act(MessageSendArgs(message_id=new_id(), job_id=mine[0].id, body="Hi!"))
                visit_id = new_id()
                await act(
                    VisitProposeArgs(
                        visit_id=visit_id,
                        request_id=requests[0].request.id,
                        price_cents=4_900,
                        note="I need to measure first.",
                    )
                )
                photo = await repo.add_photo(jpeg(1))
                estimate_id = new_id()
                await act(
                    EstimateSubmitArgs(
                        estimate_id=estimate_id,
                        request_id=requests[1].request.id,
                        line_items=[
                            LineItem(
                                id=new_id(),
                                kind=LineItemKind.LABOR,
                                description="Labor",
                                quantity=2,
                                unit_price_cents=8_500,
                            )
                        ],
                        parts_supplier=PartsSupplier.PRO,
                        photo_hashes=[photo],
                    )
                )
                await act(
                    PhotoAttachArgs(
                        photo_id=new_id(),
                        target_kind=PhotoTargetKind.ESTIMATE,
                        target_id=estimate_id,
                        blob_hash=photo,
                        caption="Where the shelf goes",
                    )
                )

                # The whole field chain on one job (R6, start, R8, R9).
                chain = await current_job(dev, chain_id)
                await act(
                    WindowConfirmArgs(
                        job_id=chain.id, preferred_window_id=chain.preferred_windows[0].id
                    )
                )
                await act(JobStartArgs(job_id=chain.id))
                started = await current_job(dev, chain_id)
                added = [
                    LineItem(
                        id=new_id(),
                        kind=LineItemKind.PART,
                        description="Extra mounting kit",
                        unit_price_cents=2_500,
                    )
                ]
                co_id = new_id()
                co_content = signing.change_order_signed_content(
                    change_order_id=co_id,
                    job_id=chain.id,
                    reason="Wall needs a second anchor",
                    original_lines=started.line_items,
                    added_lines=added,
                    removed_line_ids=[],
                )
                await act(
                    ChangeOrderCreateArgs(
                        change_order_id=co_id,
                        job_id=chain.id,
                        reason="Wall needs a second anchor",
                        added_lines=added,
                        signature=await sign(dev, co_content),
                    )
                )
                changed = await current_job(dev, chain_id)
                assert changed.price_cents == chain.price_cents + 2_500
                done_content = signing.completion_signed_content(
                    job_id=chain.id,
                    summary="Installed and tested.",
                    total_cents=changed.price_cents,
                    line_items=changed.line_items,
                )
                await act(
                    JobCompleteArgs(
                        job_id=chain.id,
                        summary="Installed and tested.",
                        signature=await sign(dev, done_content),
                    )
                )

                # Scheduling (R7) and could-not-perform (R5) on Tess's scheduled jobs.
                moved = scheduled[0]
                assert moved.appointment is not None
                start = moved.appointment.window.start + timedelta(days=1)
                window = TimeWindow(start=start, end=start + timedelta(hours=2))
                await act(
                    AppointmentRescheduleArgs(
                        job_id=moved.id,
                        window=window,
                        reason_code=RescheduleReasonCode.PARTS_DELAYED,
                    )
                )
                defective = scheduled[1]
                await act(JobReportDefectiveArgs(job_id=defective.id, note="Unit is cracked"))

                # Everything is visible locally before anything was sent.
                assert (await current_job(dev, chain_id)).status is JobStatus.COMPLETED
                assert len(await repo.queue()) == len(queued) == 10
                assert repo.sync_status().pending == 10

                report = await dev.engine.sync_once()
                assert report.ok and report.rejected == 0, (report, await repo.queue())
                assert report.applied == 10 and report.blobs_uploaded >= 2
                assert await repo.queue() == []
                overlays = dev.store.connection().execute(
                    "SELECT COUNT(*) FROM entities WHERE overlay_mid IS NOT NULL"
                )
                assert overlays.fetchone()[0] == 0

                # The server holds the results (read back over REST).
                on_server = await dev.client.get_job(chain_id)
                assert on_server.status is JobStatus.COMPLETED
                assert on_server.price_cents == chain.price_cents + 2_500
                assert (await dev.client.get_job(defective.id)).status is JobStatus.NOT_SERVICED
                rescheduled = await dev.client.get_job(moved.id)
                assert rescheduled.appointment is not None
                assert rescheduled.appointment.window == window
                record = await repo.request(requests[0].request.id)
                assert record is not None and not record.pending
                (visit,) = [v for v in record.visits if v.id == visit_id]
                assert visit.status is VisitStatus.PROPOSED and visit.minimum_trip_charge_cents
                record = await repo.request(requests[1].request.id)
                assert record is not None
                assert estimate_id in {e.id for e in record.estimates}
                assert [p.blob_hash for p in record.photos if not p.pending] == [photo]

                # The device's cache is exactly what a fresh device pulls.
                mine_now = visible_rows(dev.store)
            async with device(server, tmp_path / "fresh") as fresh:
                assert (await fresh.engine.sync_once()).ok
                assert visible_rows(fresh.store) == mine_now

    run(body())


def test_engine_downloads_customer_photos_for_offline_viewing(tmp_path: Path) -> None:
    async def body() -> None:
        with start_marketplace(tmp_path / "server") as server:
            async with device(server, tmp_path / "phone") as dev:
                report = await dev.engine.sync_once()
                assert report.ok and report.blobs_downloaded > 0, report
                with_photos = [r for r in await dev.repo.requests() if r.request.site_photo_hashes]
                assert with_photos
                site_hash = with_photos[0].request.site_photo_hashes[0]
                # Rounds continue the bounded download until every image is here.
                for _ in range(10):
                    if await dev.repo.photo_file(site_hash) is not None:
                        break
                    await dev.engine.sync_once()
                path = await dev.repo.photo_file(site_hash)
                assert path is not None
                data = path.read_bytes()
                assert hashlib.sha256(data).hexdigest() == site_hash
                with Image.open(io.BytesIO(data)) as image:
                    assert image.width > 0
                summary = await dev.engine.pending_work_summary()
                assert not summary.has_work  # downloads never hold up sign-out

    run(body())
