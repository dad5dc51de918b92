"""Deterministic demo site photos, drawn locally with Pillow.

Custom requests (R1) carry site photos. The demo seed and tests need realistic-looking
ones without downloading anything (nothing downloads at run or test time), so this
module sketches a room: a gradient wall and floor, a window, a fixture chosen by the
seed (TV, faucet, ceiling fan, shelf, thermostat), and a caption with the label. The
same ``(seed, label)`` always gives the same bytes, so seeding twice stores the same
content-addressed blob.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable
from typing import Final

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "PHOTO_SIZE",
    "SIGNATURE_SIZE",
    "demo_signature_strokes",
    "make_signature_png",
    "make_site_photo",
    "photo_sha256",
]

PHOTO_SIZE: Final[tuple[int, int]] = (800, 600)
"""Width and height of every demo photo, in pixels."""

SIGNATURE_SIZE: Final[tuple[int, int]] = (600, 200)
"""Width and height of a rendered signature PNG, in pixels."""

_JPEG_QUALITY: Final[int] = 82
_FLOOR_Y: Final[int] = 430

_WALL_COLORS: Final[tuple[tuple[int, int, int], ...]] = (
    (226, 218, 200),
    (205, 220, 228),
    (232, 214, 206),
    (214, 226, 208),
    (236, 232, 220),
    (200, 204, 222),
)
_FLOOR_COLORS: Final[tuple[tuple[int, int, int], ...]] = (
    (150, 110, 80),
    (120, 120, 125),
    (175, 140, 100),
    (95, 80, 70),
)

Color = tuple[int, int, int]
_Draw = ImageDraw.ImageDraw


def _shade(color: Color, factor: float) -> Color:
    # Pixel maths only (never money): clamp each channel after scaling.
    r, g, b = color
    return (
        max(0, min(255, int(r * factor))),
        max(0, min(255, int(g * factor))),
        max(0, min(255, int(b * factor))),
    )


def _vertical_gradient(
    image: Image.Image, box: tuple[int, int, int, int], top: Color, bottom: Color
) -> None:
    # One column of colours stretched sideways: the same picture as drawing a line per
    # row, but done in C (seeding draws dozens of photos and must stay fast).
    x0, y0, x1, y1 = box
    height = max(1, y1 - y0)
    column = Image.new("RGB", (1, height))
    column.putdata([
        (
            int(top[0] + (bottom[0] - top[0]) * i / height),
            int(top[1] + (bottom[1] - top[1]) * i / height),
            int(top[2] + (bottom[2] - top[2]) * i / height),
        )
        for i in range(height)
    ])
    image.paste(column.resize((x1 - x0 + 1, height), Image.Resampling.NEAREST), (x0, y0))


def _draw_window(image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    x = rng.randint(40, 120)
    y = rng.randint(60, 110)
    w, h = rng.randint(150, 210), rng.randint(150, 200)
    _vertical_gradient(image, (x, y, x + w, y + h), (150, 200, 240), (225, 240, 250))
    frame = (245, 245, 245)
    draw.rectangle([x, y, x + w, y + h], outline=frame, width=8)
    draw.line([(x + w // 2, y), (x + w // 2, y + h)], fill=frame, width=6)
    draw.line([(x, y + h // 2), (x + w, y + h // 2)], fill=frame, width=6)


def _draw_tv(image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    x, y = rng.randint(380, 430), rng.randint(130, 170)
    w, h = 300, 170
    draw.rectangle([x - 6, y - 6, x + w + 6, y + h + 6], fill=(30, 30, 32))
    _vertical_gradient(image, (x, y, x + w, y + h), (40, 50, 70), (10, 12, 20))
    # Pencil marks where the bracket will go.
    for dx in (60, w - 60):
        draw.line([(x + dx - 8, y + h + 30), (x + dx + 8, y + h + 30)], fill=(90, 90, 90), width=2)
        draw.line([(x + dx, y + h + 22), (x + dx, y + h + 38)], fill=(90, 90, 90), width=2)
    draw.rectangle([x + 20, _FLOOR_Y - 70, x + w - 20, _FLOOR_Y], fill=(110, 80, 60))


def _draw_faucet(_image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    x = rng.randint(360, 420)
    draw.rectangle([x, 300, x + 340, _FLOOR_Y + 40], fill=(235, 235, 238), outline=(180, 180, 185))
    draw.rectangle([x - 10, 290, x + 350, 310], fill=(70, 70, 75))
    draw.ellipse([x + 110, 300, x + 230, 330], fill=(200, 205, 210), outline=(150, 150, 160))
    chrome = (185, 190, 198)
    draw.rectangle([x + 160, 220, x + 176, 300], fill=chrome)
    draw.arc([x + 140, 190, x + 230, 260], start=180, end=360, fill=chrome, width=14)
    # A drip: the reason the customer asked.
    draw.ellipse([x + 222, 262, x + 232, 276], fill=(120, 170, 230))


def _draw_fan(_image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    cx, cy = rng.randint(470, 560), 90
    draw.rectangle([cx - 4, 0, cx + 4, cy], fill=(90, 90, 90))
    blade = (120, 85, 60)
    for dx in (-170, 40):
        draw.polygon([(cx, cy), (cx + dx, cy - 10), (cx + dx, cy + 22), (cx, cy + 14)], fill=blade)
    draw.ellipse([cx - 30, cy - 12, cx + 30, cy + 30], fill=(200, 200, 205))
    draw.line([(cx, cy + 30), (cx, cy + 70)], fill=(80, 80, 80), width=2)


def _draw_shelf(_image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    x = rng.randint(420, 470)
    wood = (160, 120, 80)
    draw.rectangle([x, 150, x + 260, _FLOOR_Y], outline=_shade(wood, 0.7), width=6)
    for i, y in enumerate(range(210, _FLOOR_Y, 70)):
        draw.rectangle([x, y, x + 260, y + 8], fill=wood)
        for j in range(rng.randint(2, 6)):
            bx = x + 14 + j * 38
            color = _shade((170 + 20 * i, 90 + 25 * j, 70), 1.0)
            draw.rectangle([bx, y - 50, bx + 26, y], fill=color)


def _draw_thermostat(_image: Image.Image, draw: _Draw, rng: random.Random) -> None:
    x, y = rng.randint(480, 560), rng.randint(200, 240)
    draw.rounded_rectangle([x, y, x + 120, y + 120], radius=18, fill=(245, 245, 245),
                           outline=(160, 160, 165), width=3)
    draw.ellipse([x + 22, y + 22, x + 98, y + 98], outline=(80, 140, 200), width=6)
    draw.line([(x + 60, y + 120), (x + 60, _FLOOR_Y)], fill=(200, 200, 200), width=3)


_FIXTURES: Final[tuple[Callable[[Image.Image, _Draw, random.Random], None], ...]] = (
    _draw_tv,
    _draw_faucet,
    _draw_fan,
    _draw_shelf,
    _draw_thermostat,
)


def make_site_photo(seed: int, label: str) -> bytes:
    """Draw an 800x600 JPEG of a work site (a room with a fixture) captioned with ``label``.

    Deterministic: the same ``seed`` and ``label`` give byte-identical output on the same
    Pillow version, so seeding is repeatable and blobs deduplicate by SHA-256. No EXIF
    (nothing to strip: DESIGN.md section 4 asks photos to carry no location).
    """
    rng = random.Random(f"site-photo:{seed}:{label}")
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)

    wall = rng.choice(_WALL_COLORS)
    _vertical_gradient(image, (0, 0, width, _FLOOR_Y), _shade(wall, 1.06), _shade(wall, 0.88))
    floor = rng.choice(_FLOOR_COLORS)
    _vertical_gradient(
        image, (0, _FLOOR_Y, width, height), _shade(floor, 0.8), _shade(floor, 1.15)
    )
    for x in range(-height, width, 90):  # floorboards in perspective
        draw.line([(x + 300, _FLOOR_Y), (x, height)], fill=_shade(floor, 0.75), width=2)
    draw.rectangle([0, _FLOOR_Y - 12, width, _FLOOR_Y], fill=_shade(wall, 0.7))  # baseboard

    _draw_window(image, draw, rng)
    _FIXTURES[seed % len(_FIXTURES)](image, draw, rng)

    # Caption strip: what a phone snapshot's sender would have written.
    font = ImageFont.load_default(size=26)
    small = ImageFont.load_default(size=16)
    draw.rectangle([0, height - 64, width, height], fill=(20, 24, 30))
    draw.text((20, height - 56), label[:60], fill=(255, 255, 255), font=font)
    draw.text((20, height - 24), f"site photo #{seed}", fill=(170, 180, 190), font=small)

    out = io.BytesIO()
    image.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=False)
    return out.getvalue()


def photo_sha256(data: bytes) -> str:
    """Hex SHA-256 of photo bytes: the blob's content address (DESIGN.md section 4)."""
    return hashlib.sha256(data).hexdigest()


def demo_signature_strokes(seed: int, name: str) -> list[list[tuple[int, int]]]:
    """Plausible handwriting strokes (integer pixels inside `SIGNATURE_SIZE`) for a name.

    One looping stroke per word plus an underline flourish; deterministic per
    ``(seed, name)``. Signature records store strokes as vectors (DESIGN.md section 5).
    """
    rng = random.Random(f"signature:{seed}:{name}")
    width, height = SIGNATURE_SIZE
    words = name.split() or ["x"]
    strokes: list[list[tuple[int, int]]] = []
    x = 30
    span = (width - 60) // len(words)
    for word in words:
        points: list[tuple[int, int]] = []
        steps = max(6, 3 * len(word))
        for i in range(steps):
            px = x + (span - 20) * i // steps
            # Alternating ups and downs with jitter look like cursive loops.
            base = height // 2 + (-35 if i % 2 else 25)
            py = base + rng.randint(-12, 12)
            points.append((max(0, min(width - 1, px)), max(0, min(height - 1, py))))
        strokes.append(points)
        x += span
    underline_y = height - 30 + rng.randint(-6, 6)
    strokes.append([(40, underline_y), (width // 2, underline_y + 4), (width - 40, underline_y)])
    return strokes


def make_signature_png(strokes: list[list[tuple[int, int]]]) -> bytes:
    """Render signature strokes as a PNG (dark ink on white), like the pro's device does."""
    image = Image.new("RGB", SIGNATURE_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) == 1:
            x, y = stroke[0]
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(20, 30, 80))
        else:
            draw.line(stroke, fill=(20, 30, 80), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
