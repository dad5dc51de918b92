"""Demo site photos and signature images: drawn locally, deterministic, valid images."""

from __future__ import annotations

import io

from PIL import Image

from marketplace.demo_photos import (
    PHOTO_SIZE,
    SIGNATURE_SIZE,
    demo_signature_strokes,
    make_signature_png,
    make_site_photo,
    photo_sha256,
)


def test_site_photo_is_an_800x600_jpeg_without_exif() -> None:
    data = make_site_photo(3, "Kitchen faucet drips")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == PHOTO_SIZE == (800, 600)
        assert not image.getexif()  # nothing to leak, e.g. no GPS position


def test_site_photos_are_deterministic_and_differ_by_seed_and_label() -> None:
    first = make_site_photo(1, "Living room wall")
    assert make_site_photo(1, "Living room wall") == first
    assert photo_sha256(first) == photo_sha256(make_site_photo(1, "Living room wall"))
    others = {make_site_photo(2, "Living room wall"), make_site_photo(1, "Bedroom wall")}
    assert first not in others and len(others) == 2


def test_signature_strokes_fit_the_canvas_and_render_as_png() -> None:
    strokes = demo_signature_strokes(7, "Alice Johnson")
    assert strokes == demo_signature_strokes(7, "Alice Johnson")
    width, height = SIGNATURE_SIZE
    assert len(strokes) == 3  # one per word plus the underline
    for stroke in strokes:
        assert stroke
        for x, y in stroke:
            assert isinstance(x, int) and isinstance(y, int)
            assert 0 <= x < width and 0 <= y < height
    png = make_signature_png(strokes)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == SIGNATURE_SIZE
        # Ink was drawn: the image is not blank white.
        darkest, _lightest = image.convert("L").getextrema()
        assert isinstance(darkest, int) and darkest < 100
