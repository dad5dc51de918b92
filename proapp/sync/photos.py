"""Image preparation before anything is stored or uploaded (Pillow only, phone-safe).

* `prepare_photo`: turn a camera/gallery file into the JPEG we keep and upload: upright
  (EXIF orientation applied to the pixels), at most `MAX_EDGE` px on the long edge, and
  with NO metadata at all: EXIF (GPS location, device serials, time), XMP and comments
  are dropped, because a customer's home location must not leak through a photo
  (DESIGN §4). The embedded colour profile is kept: it carries no personal data and
  keeps colours right (paint and finish photos matter).
* `render_signature`: draw signature strokes (R8, R9; DESIGN §5) into a small PNG,
  deterministically: the same strokes always give the same bytes and hash, so the
  rendered PNG can be bound into the signature record.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from proapp.domain.errors import DomainError, ErrorCode
from proapp.sync.blobs import sha256_hex

__all__ = [
    "JPEG_QUALITY",
    "MAX_EDGE",
    "SIGNATURE_SIZE",
    "PreparedImage",
    "Stroke",
    "prepare_photo",
    "render_signature",
]

MAX_EDGE = 2048
DRAFT_TOLERANCE = 0.95
"""A JPEG may decode at a reduced scale whose long edge is at least this share of the
limit (the output is then that size, not resized up to the limit)."""
JPEG_QUALITY = 85
SIGNATURE_SIZE = (600, 240)
_SIGNATURE_SUPERSAMPLE = 4  # draw 4x larger, then downsample: antialiased edges
_SIGNATURE_PEN_PX = 3  # line width in the final PNG
_SIGNATURE_MARGIN_PX = 12

Stroke = Sequence[tuple[int, int]]
"""One pen-down..pen-up stroke: integer points in the signing pad's coordinates."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """Encoded image bytes ready for the blob store, with their SHA-256."""

    data: bytes
    sha256: str
    media_type: str
    width: int
    height: int


def _refuse_unreadable(exc: Exception) -> DomainError:
    return DomainError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "This file is not a photo the app can read. Take the photo again, or pick a JPEG "
        "or PNG image.",
        {"reason": type(exc).__name__},
    )


def prepare_photo(data: bytes, *, max_edge: int = MAX_EDGE) -> PreparedImage:
    """Upright, resized (long edge <= ``max_edge``), metadata-free progressive JPEG.

    Raises:
        DomainError: ``unsupported_media_type`` if the bytes are not a readable image,
            ``payload_too_large`` if it has more pixels than Pillow's bomb limit.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            icc_profile = opened.info.get("icc_profile")
            # JPEG only: let the decoder scale by 1/2..1/8 while decoding, so a 50 MP
            # phone photo never occupies full-size memory on a phone. Asking for a few
            # percent under ``max_edge`` lets a 4000 px camera photo decode at half size
            # (2000 px) instead of decoding all 12 MP and resizing to 2048: about 3x
            # faster, for a long edge 2% shorter (docs/benchmarks.md, photo_pipeline_ms).
            width, height = opened.size
            scale = min(1.0, max_edge * DRAFT_TOLERANCE / max(width, height))
            opened.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            upright = ImageOps.exif_transpose(opened)
            upright.load()
    except Image.DecompressionBombError as exc:
        raise DomainError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "This photo is too large to process. Take it again at a lower resolution.",
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _refuse_unreadable(exc) from exc

    rgb = _flatten_to_rgb(upright)
    if max(rgb.size) > max_edge:
        # thumbnail keeps the aspect ratio; reducing_gap makes large reductions fast
        # with no visible quality loss.
        rgb.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS, reducing_gap=3.0)

    # A brand-new image carries no .info, so nothing (EXIF, XMP, comment, DPI) can leak
    # from the original through Pillow's encoder defaults.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    save_args: dict[str, object] = {
        "format": "JPEG",
        "quality": JPEG_QUALITY,
        "optimize": True,
        "progressive": True,
    }
    if isinstance(icc_profile, bytes) and icc_profile:
        save_args["icc_profile"] = icc_profile
    clean.save(out, **save_args)  # type: ignore[arg-type]
    encoded = out.getvalue()
    return PreparedImage(
        data=encoded,
        sha256=sha256_hex(encoded),
        media_type="image/jpeg",
        width=clean.width,
        height=clean.height,
    )


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    # Transparent PNG screenshots go onto white, not black (JPEG has no alpha).
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image.copy()


def render_signature(
    strokes: Sequence[Stroke],
    *,
    size: tuple[int, int] = SIGNATURE_SIZE,
) -> PreparedImage:
    """Render signature strokes, black on white, scaled to fit ``size`` (aspect kept,
    centred), antialiased, as PNG. Deterministic: equal strokes give equal bytes.

    Raises:
        DomainError: ``invalid`` if there is no ink at all.
    """
    # Integer points only (a pad may report floats): the same signature must always
    # produce the same pixels.
    ink = [[(int(x), int(y)) for x, y in stroke] for stroke in strokes]
    points = [p for stroke in ink for p in stroke]
    if not points:
        raise DomainError(
            ErrorCode.INVALID,
            "The signature is empty. Ask the customer to sign in the box.",
        )
    ss = _SIGNATURE_SUPERSAMPLE
    width, height = size
    big_w, big_h = width * ss, height * ss
    margin = _SIGNATURE_MARGIN_PX * ss
    pen = _SIGNATURE_PEN_PX * ss

    min_x = min(x for x, _ in points)
    max_x = max(x for x, _ in points)
    min_y = min(y for _, y in points)
    max_y = max(y for _, y in points)
    span_x, span_y = max(max_x - min_x, 1), max(max_y - min_y, 1)
    # Fit the ink's bounding box into the drawable area, same scale on both axes:
    # scale = min(avail_w / span_x, avail_h / span_y) = num / den, kept as an exact
    # integer fraction so the output never depends on a platform's float rounding.
    avail_w, avail_h = big_w - 2 * margin, big_h - 2 * margin
    den = span_x * span_y
    num = min(avail_w * span_y, avail_h * span_x)
    off_x = (big_w - (max_x - min_x) * num // den) // 2
    off_y = (big_h - (max_y - min_y) * num // den) // 2

    def place(point: tuple[int, int]) -> tuple[int, int]:
        x, y = point
        return (off_x + (x - min_x) * num // den, off_y + (y - min_y) * num // den)

    canvas = Image.new("L", (big_w, big_h), 255)
    draw = ImageDraw.Draw(canvas)
    radius = pen // 2
    for stroke in ink:
        placed = [place(p) for p in stroke]
        if len(placed) > 1:
            draw.line(placed, fill=0, width=pen, joint="curve")
        for cx, cy in placed:  # round caps and single-tap dots
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=0)
    image = canvas.resize((width, height), Image.Resampling.BOX)
    out = io.BytesIO()
    # No text chunks, no timestamps: the bytes depend only on the pixels.
    image.save(out, format="PNG", optimize=False, compress_level=9)
    encoded = out.getvalue()
    return PreparedImage(
        data=encoded, sha256=sha256_hex(encoded), media_type="image/png", width=width, height=height
    )
