"""Resumable uploads (docs/SYNC.md, Blobs): create, HEAD, PATCH; a cut costs at most one
chunk; the checksum and the image type are checked from the bytes at the end."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from typing import Any

import pytest
from httpx import Response
from PIL import Image

from marketplace import orm
from marketplace.app import create_app
from marketplace.config import Settings
from marketplace.uploads import purge_expired
from tests.integration.server.world import ApiUser, FakeClock, TestClient, World, sha
from tests.integration.sync_server.conftest import Crew

CHUNK = 32 * 1024
OFFSET_TYPE = "application/offset+octet-stream"


def noisy_png(side: int = 160) -> bytes:
    """A PNG that does not compress (random pixels): about 3 * side**2 bytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(buffer, "PNG")
    return buffer.getvalue()


def create(user: ApiUser, data: bytes, content_type: str = "image/png",
           **override: Any) -> Response:
    body = {"sha256": sha(data), "size": len(data), "content_type": content_type, **override}
    return user.client.post("/v1/uploads", json=body, headers=user.headers)


def head(user: ApiUser, url: str) -> Response:
    return user.client.head(url, headers=user.headers)


def patch(user: ApiUser, url: str, offset: int, chunk: bytes,
          content_type: str = OFFSET_TYPE) -> Response:
    return user.client.patch(url, content=chunk, headers={
        **user.headers, "Upload-Offset": str(offset), "Content-Type": content_type})


def test_upload_in_chunks_stores_the_blob(crew: Crew) -> None:
    data = noisy_png()
    assert len(data) > 2 * CHUNK
    created = create(crew.tess, data)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["offset"] == 0 and body["complete"] is False and body["upload_id"]
    url = created.headers["Location"]
    assert url == f"/v1/uploads/{body['upload_id']}"
    offset = 0
    while offset < len(data):
        answer = patch(crew.tess, url, offset, data[offset:offset + CHUNK])
        assert answer.status_code == 204, answer.text
        offset = int(answer.headers["Upload-Offset"])
        if offset < len(data):
            assert crew.world.count(orm.Blob) == 0  # nothing is a blob until it is whole
        assert int(head(crew.tess, url).headers["Upload-Offset"]) == offset
    blob = crew.world.row(orm.Blob, sha(data))
    assert blob is not None and blob.data == data and blob.content_type == "image/png"
    # The final answer was the confirmation; HEAD still says "all there" afterwards.
    final = head(crew.tess, url)
    assert final.status_code == 200
    assert final.headers["Upload-Offset"] == final.headers["Upload-Length"] == str(len(data))
    # Exactly as after a PUT: the uploader reads it back.
    assert crew.tess.get(f"/v1/blobs/{sha(data)}").content == data


def test_a_cut_connection_costs_at_most_one_chunk(crew: Crew) -> None:
    data = noisy_png(200)
    chunks = -(-len(data) // CHUNK)
    assert chunks >= 4
    url = create(crew.tess, data).headers["Location"]
    sent = 0
    offset = 0
    # Half way, the answer to a PATCH is lost (the server did store it) ...
    for _ in range(chunks // 2):
        chunk = data[offset:offset + CHUNK]
        answer = patch(crew.tess, url, offset, chunk)
        sent += len(chunk)
        assert answer.status_code == 204
        offset += len(chunk)
    lost = data[offset:offset + CHUNK]
    assert patch(crew.tess, url, offset, lost).status_code == 204
    sent += len(lost)
    # ... and the client, which thinks it is still at `offset`, restarts (even the app).
    # A blind resend of that chunk is refused without writing anything:
    refused = patch(crew.tess, url, offset, lost)
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict"
    assert refused.json()["details"]["offset"] == offset + len(lost)
    sent += len(lost)
    # The right way: ask, then continue from the server's offset.
    offset = int(head(crew.tess, url).headers["Upload-Offset"])
    while offset < len(data):
        chunk = data[offset:offset + CHUNK]
        answer = patch(crew.tess, url, offset, chunk)
        assert answer.status_code == 204, answer.text
        sent += len(chunk)
        offset = int(answer.headers["Upload-Offset"])
    assert sent <= len(data) + CHUNK
    assert crew.world.row(orm.Blob, sha(data)).data == data


def test_offset_mismatch_writes_nothing(crew: Crew) -> None:
    data = noisy_png()
    url = create(crew.tess, data).headers["Location"]
    assert patch(crew.tess, url, 0, data[:CHUNK]).status_code == 204
    for wrong in (0, CHUNK - 1, CHUNK + 5):
        answer = patch(crew.tess, url, wrong, data[wrong:wrong + 100])
        assert answer.status_code == 409
        assert answer.json()["details"] == {"offset": CHUNK}
    assert head(crew.tess, url).headers["Upload-Offset"] == str(CHUNK)


def test_checksum_mismatch_discards_the_upload(crew: Crew) -> None:
    data = noisy_png(60)
    other = noisy_png(60)
    url = create(crew.tess, data, size=len(other)).headers["Location"]
    answer = patch(crew.tess, url, 0, other)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid"
    assert answer.json()["details"] == {"expected_sha256": sha(data), "actual_sha256": sha(other)}
    assert head(crew.tess, url).status_code == 404
    assert crew.world.count(orm.Blob) == 0


def test_non_images_are_refused_from_the_bytes(crew: Crew) -> None:
    fake = b"%PDF-1.7 pretending to be a PNG" * 100
    created = create(crew.tess, fake, content_type="image/png")
    assert created.status_code == 201  # the declared type is fine; the bytes are not
    url = created.headers["Location"]
    answer = patch(crew.tess, url, 0, fake)
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"
    assert head(crew.tess, url).status_code == 404
    assert crew.world.count(orm.Blob) == 0
    # A non-image declared type is refused at once.
    refused = create(crew.tess, fake, content_type="application/pdf")
    assert refused.status_code == 415
    # Chunks must be sent as application/offset+octet-stream.
    url = create(crew.tess, noisy_png(40)).headers["Location"]
    assert patch(crew.tess, url, 0, b"x", content_type="image/png").status_code == 415
    assert head(crew.tess, url).headers["Upload-Offset"] == "0"


def test_size_limits(crew: Crew, settings: Settings) -> None:
    data = noisy_png(60)
    too_big = create(crew.tess, data, size=settings.blob_max_bytes + 1)
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "payload_too_large"
    for bad in ({"size": 0}, {"size": -1}, {"sha256": "abc"}, {"sha256": "z" * 64}):
        assert create(crew.tess, data, **bad).status_code == 422, bad
    # Bytes past the declared size are refused and nothing is written.
    url = create(crew.tess, data, size=100).headers["Location"]
    answer = patch(crew.tess, url, 0, data[:101])
    assert answer.status_code == 413
    assert head(crew.tess, url).headers["Upload-Offset"] == "0"


def test_chunks_are_capped_by_the_blob_limit(world: World, settings: Settings,
                                             clock: FakeClock) -> None:
    small = replace(settings, blob_max_bytes=64 * 1024)
    app = create_app(small, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        biz = world.business()
        _, email = world.user("technician", biz)
        token = client.post("/v1/auth/login", json={"email": email, "password":
                                                     "correct horse battery staple"})
        user = ApiUser(client, token.json()["user"]["id"], email,
                       token.json()["access_token"], token.json()["refresh_token"])
        data = noisy_png(200)
        assert create(user, data).status_code == 413
        url = create(user, data, size=60 * 1024).headers["Location"]
        assert patch(user, url, 0, data[:65 * 1024]).status_code == 413
    app.state.engine.dispose()


def test_a_blob_is_stored_once_and_a_known_blob_needs_no_upload(crew: Crew) -> None:
    data = noisy_png(80)
    url_tess = create(crew.tess, data).headers["Location"]
    url_marco = create(crew.marco, data).headers["Location"]
    assert patch(crew.tess, url_tess, 0, data).status_code == 204
    assert patch(crew.marco, url_marco, 0, data).status_code == 204
    assert crew.world.count(orm.Blob) == 1
    assert crew.world.count(orm.BlobUpload) == 2
    again = create(crew.owner, data)
    assert again.status_code == 200
    assert again.json() == {"upload_id": None, "offset": len(data), "complete": True}
    # Knowing the hash is not having the bytes: no read access comes with it.
    assert crew.world.count(orm.BlobUpload, user_id=crew.owner.user_id) == 0
    # PUT and resumable uploads share the store.
    small = noisy_png(30)
    crew.tess.upload(small)
    assert create(crew.marco, small).json()["complete"] is True


def test_uploads_are_per_user(crew: Crew) -> None:
    data = noisy_png(60)
    url = create(crew.tess, data).headers["Location"]
    assert head(crew.marco, url).status_code == 404
    assert patch(crew.marco, url, 0, data).status_code == 404
    assert head(crew.tess, url).headers["Upload-Offset"] == "0"
    assert head(crew.tess, "/v1/uploads/no-such-upload").status_code == 404


def test_uploads_expire_after_a_day(crew: Crew, clock: FakeClock) -> None:
    data = noisy_png(160)
    url = create(crew.tess, data).headers["Location"]
    assert patch(crew.tess, url, 0, data[:CHUNK]).status_code == 204
    done_data = noisy_png(40)
    done_url = create(crew.tess, done_data).headers["Location"]
    assert patch(crew.tess, done_url, 0, done_data).status_code == 204
    clock.advance(hours=23)  # a write keeps an upload alive for 24 h from that write
    crew.tess.renew()
    assert head(crew.tess, url).headers["Upload-Offset"] == str(CHUNK)
    clock.advance(hours=1, seconds=1)
    crew.tess.renew()
    assert head(crew.tess, url).status_code == 404
    assert head(crew.tess, done_url).status_code == 404
    assert patch(crew.tess, url, CHUNK, data[CHUNK:]).status_code == 404
    # Dead: the hourly maintenance that the renewing sign-in ran has deleted both.
    assert crew.world.count(orm.Upload) == 0
    with crew.world.session_factory() as s, s.begin():
        assert purge_expired(s, clock()) == 0
    # The blob of the finished upload stays, and a new create says so.
    assert create(crew.tess, done_data).json()["complete"] is True


@pytest.mark.parametrize("hours", [0, 25])
def test_maintenance_runs_on_requests(crew: Crew, clock: FakeClock, hours: int) -> None:
    data = noisy_png(40)
    create(crew.tess, data)  # the first request of the app also runs maintenance
    assert crew.world.count(orm.Upload) == 1
    clock.advance(hours=hours)
    crew.tess.renew()
    create(crew.tess, noisy_png(41))
    # After an hour the next request purges dead uploads; before, nothing is touched.
    assert crew.world.count(orm.Upload) == (2 if hours == 0 else 1)
