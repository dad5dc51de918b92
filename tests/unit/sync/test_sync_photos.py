"""Photo pipeline (upright, <= 2048 px, no metadata) and deterministic signature PNGs."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import ExifTags, Image

from proapp.domain.errors import DomainError
from proapp.sync import prepare_photo, render_signature

RED, BLUE = (255, 0, 0), (0, 0, 255)
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="40,44.5N"/></rdf:RDF></x:xmpmeta>'
)


def camera_jpeg() -> bytes:
    """A 4000x3000 sensor image stored sideways (orientation 6), with GPS in EXIF and
    XMP and a comment. The stored top-left quarter is red, the rest blue."""
    image = Image.new("RGB", (4000, 3000), BLUE)
    image.paste(RED, (0, 0, 2000, 1500))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 44.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (73.0, 59.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=XMP_WITH_GPS, comment=b"home of A. Customer")
    return out.getvalue()


def test_camera_photo_comes_out_upright_small_and_without_metadata() -> None:
    original = camera_jpeg()
    with Image.open(io.BytesIO(original)) as check:  # the fixture really carries GPS
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert check.getexif()[ExifTags.Base.Orientation] == 6

    photo = prepare_photo(original)

    assert photo.media_type == "image/jpeg"
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    with Image.open(io.BytesIO(photo.data)) as result:
        assert result.format == "JPEG"
        # Orientation 6 = rotate 90 degrees clockwise to view: landscape becomes portrait.
        # 4000 px decodes at half size (2000 px, within DRAFT_TOLERANCE of the 2048 limit).
        assert result.size == (1500, 2000) == (photo.width, photo.height)
        # The stored top-left (red) is now top-right.
        rgb = result.convert("RGB")
        assert _close(rgb.getpixel((1500 - 100, 100)), RED)
        assert _close(rgb.getpixel((100, 100)), BLUE)
        assert _close(rgb.getpixel((1500 - 100, 2000 - 100)), BLUE)
        assert len(result.getexif()) == 0
        assert not {"exif", "xmp", "comment"} & set(result.info)
        assert result.info.get("progressive") or result.info.get("progression")
    for marker in (b"Exif\x00\x00", b"GPSLatitude", b"PhoneCo", b"A. Customer"):
        assert marker not in photo.data


def _close(pixel: object, expected: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) < 40 for a, b in zip(pixel, expected, strict=True))


def test_small_transparent_png_is_kept_in_size_and_flattened_on_white() -> None:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    photo = prepare_photo(out.getvalue())
    with Image.open(io.BytesIO(photo.data)) as result:
        assert result.size == (300, 200) and result.format == "JPEG"
        assert _close(result.convert("RGB").getpixel((10, 10)), (255, 255, 255))


def test_not_an_image_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        prepare_photo(b"%PDF-1.7 not a photo")
    assert refused.value.code == "unsupported_media_type"


STROKES = [[(10, 10), (60, 80), (120, 40)], [(130, 90), (200, 95)], [(220, 30)]]


def test_signature_png_is_deterministic() -> None:
    first = render_signature(STROKES)
    second = render_signature([list(s) for s in STROKES])
    assert first.data == second.data and first.sha256 == second.sha256
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    assert first.media_type == "image/png"
    with Image.open(io.BytesIO(first.data)) as png:
        assert png.format == "PNG" and png.size == (600, 240)
        assert png.getpixel((0, 0)) == 255  # white paper
        counts = png.histogram()  # pixels per grey level 0..255
        assert counts[0] > 0  # black ink
        assert sum(counts[1:255]) > 0  # antialiased edges
        assert not {"exif", "dpi"} & set(png.info)


def test_different_strokes_give_a_different_signature() -> None:
    base = render_signature(STROKES).sha256
    moved = [[(10, 10), (60, 81), (120, 40)], *STROKES[1:]]
    assert render_signature(moved).sha256 != base
    assert render_signature(STROKES[:2]).sha256 != base
    assert render_signature([[(0, 0), (5, 5)]]).sha256 != base


def test_empty_signature_is_refused() -> None:
    empties: list[list[list[tuple[int, int]]]] = [[], [[]]]
    for strokes in empties:
        with pytest.raises(DomainError) as refused:
            render_signature(strokes)
        assert refused.value.code == "invalid"


def test_photo_that_cannot_decode_at_half_size_is_resized_to_the_limit() -> None:
    # Half of 3000 px (1500) is far under the limit, so it decodes fully and resizes.
    out = io.BytesIO()
    Image.new("RGB", (3000, 1000), BLUE).save(out, "JPEG")
    photo = prepare_photo(out.getvalue())
    assert (photo.width, photo.height) == (2048, 683)
