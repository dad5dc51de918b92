"""Blob uploads: hash check, size limit, type sniffing, dedup, scoped downloads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from PIL import Image

from marketplace import orm
from marketplace.app import create_app
from marketplace.config import Settings
from tests.integration.server.world import FakeClock, TestClient, World, png_bytes, sha


def _put(
    user_headers: dict[str, str], client: TestClient, data: bytes,
    content_type: str = "image/png", digest: str | None = None,
) -> tuple[int, dict[str, object]]:
    response = client.put(
        f"/v1/blobs/{digest or sha(data)}", content=data,
        headers={**user_headers, "Content-Type": content_type},
    )
    return response.status_code, response.json()


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), (9, 9, 9)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_upload_then_duplicate_is_stored_once(world: World) -> None:
    user = world.api_user("technician", world.business())
    data = png_bytes()
    status, body = _put(user.headers, world.client, data)
    assert status == 201
    assert body == {"sha256": sha(data), "size": len(data), "content_type": "image/png"}
    again, _ = _put(user.headers, world.client, data)
    assert again == 200
    assert world.count(orm.Blob) == 1
    download = user.get(f"/v1/blobs/{sha(data)}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "image/png"


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_and_webp_are_accepted(world: World, fmt: str) -> None:
    user = world.api_user("technician", world.business())
    data = _image(fmt)
    status, body = _put(user.headers, world.client, data, f"image/{fmt.lower()}")
    assert status == 201 and body["content_type"] == f"image/{fmt.lower()}"


def test_type_comes_from_the_bytes_not_the_header(world: World) -> None:
    user = world.api_user("technician", world.business())
    jpeg = _image("JPEG")
    status, body = _put(user.headers, world.client, jpeg, "image/png")
    assert status == 201 and body["content_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.4 not an image", "image/png"),
        (b"just text", "image/jpeg"),
        (_image("GIF"), "image/png"),
        (png_bytes(), "application/pdf"),
        (png_bytes(), "text/plain"),
    ],
)
def test_non_images_are_refused(world: World, data: bytes, content_type: str) -> None:
    user = world.api_user("technician", world.business())
    status, body = _put(user.headers, world.client, data, content_type)
    assert status == 415
    assert body["code"] == "unsupported_media_type"
    assert world.count(orm.Blob) == 0


def test_hash_mismatch_is_refused(world: World) -> None:
    user = world.api_user("technician", world.business())
    data = png_bytes()
    status, body = _put(user.headers, world.client, data, digest="f" * 64)
    assert status == 422 and body["code"] == "invalid"
    assert body["details"]["actual_sha256"] == sha(data)
    assert world.count(orm.Blob) == 0
    bad_path = world.client.put("/v1/blobs/not-a-hash", content=data,
                                headers={**user.headers, "Content-Type": "image/png"})
    assert bad_path.status_code == 422


def test_empty_upload_is_refused(world: World) -> None:
    user = world.api_user("technician", world.business())
    status, body = _put(user.headers, world.client, b"", digest=sha(b""))
    assert status == 422 and body["code"] == "invalid"


@pytest.fixture
def small_limit_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(replace(settings, blob_max_bytes=1_000), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


def test_oversized_uploads_are_refused(world: World, small_limit_client: TestClient) -> None:
    user = world.api_user("technician", world.business())
    big = png_bytes(size=400)  # well over 1,000 bytes
    assert len(big) > 1_000
    status, body = _put(user.headers, small_limit_client, big)
    assert status == 413 and body["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        for start in range(0, len(big), 256):
            yield big[start:start + 256]

    streamed = small_limit_client.put(
        f"/v1/blobs/{sha(big)}", content=chunks(),
        headers={**user.headers, "Content-Type": "image/png"},
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "payload_too_large"
    assert world.count(orm.Blob) == 0


def test_downloads_are_scoped(world: World) -> None:
    biz_a, biz_b = world.business(), world.business()
    tech_a = world.api_user("technician", biz_a)
    owner_a = world.api_user("owner", biz_a)
    owner_b = world.api_user("owner", biz_b)
    customer = world.api_user("customer", None)
    digest = tech_a.upload(png_bytes((5, 5, 5)))
    assert owner_a.get(f"/v1/blobs/{digest}").status_code == 200  # a colleague's upload
    assert owner_b.get(f"/v1/blobs/{digest}").status_code == 404
    assert customer.get(f"/v1/blobs/{digest}").status_code == 404
    assert owner_a.get(f"/v1/blobs/{'e' * 64}").status_code == 404
    anonymous = world.client.put(f"/v1/blobs/{digest}", content=png_bytes((5, 5, 5)),
                                 headers={"Content-Type": "image/png"})
    assert anonymous.status_code == 401


def test_decompression_bomb_is_refused(world: World) -> None:
    user = world.api_user("technician", world.business())
    buffer = io.BytesIO()
    # 1-bit image: tiny file, 200 million pixels (Pillow's limit is ~89 million).
    Image.new("1", (20_000, 10_000)).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data) < 1_000_000
    status, body = _put(user.headers, world.client, data)
    assert status == 413 and body["code"] == "payload_too_large"
    assert world.count(orm.Blob) == 0
