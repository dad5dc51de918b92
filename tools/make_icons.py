"""Draw ProApp's icon (a house with a wrench, brand green #1E6B52) into assets/ with Pillow.

    .venv/bin/python tools/make_icons.py

The PNGs are committed; run this again only to change the design. Drawn 4x larger
and scaled down for smooth edges.

* ``assets/icon.png`` (1024x1024): the source `flet build` makes every phone and
  desktop icon size from (pyproject ``[tool.flet]``; ``icon_background`` fills the
  rounded corners where a platform needs an opaque icon).
* ``assets/splash.png`` / ``assets/splash_dark.png`` (1024x1024): the mark alone on
  transparent, centred by `flet build` on the ``[tool.flet.splash]`` colours.
* ``assets/favicon.png`` and ``assets/icons/*``: Flet's web server serves them in
  place of its defaults (web mode, PWA install).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SEED = (30, 107, 82, 255)  # proapp.views.theme.SEED_COLOR
WHITE = (255, 255, 255, 255)
# Dark splash: a light green house on pyproject's [tool.flet.splash] dark_color, with
# the wrench cut out in that same colour.
DARK_HOUSE = (143, 211, 181, 255)
DARK_BACKGROUND = (17, 24, 21, 255)  # #111815
SCALE = 4


def _wrench(
    draw: ImageDraw.ImageDraw,
    cx: float,
    cy: float,
    length: float,
    color: tuple[int, ...],
    background: tuple[int, ...],
) -> None:
    """A wrench at 45 degrees centred on (cx, cy): handle, ring head with a jaw notch."""
    angle = math.radians(-45)
    dx, dy = math.cos(angle), math.sin(angle)
    half = length / 2
    head = (cx + dx * half * 0.78, cy + dy * half * 0.78)
    tail = (cx - dx * half, cy - dy * half)
    width = length * 0.16
    draw.line([tail, head], fill=color, width=int(width))
    draw.ellipse(
        [tail[0] - width / 2, tail[1] - width / 2, tail[0] + width / 2, tail[1] + width / 2],
        fill=color,
    )
    radius = length * 0.2
    draw.ellipse(
        [head[0] - radius, head[1] - radius, head[0] + radius, head[1] + radius], fill=color
    )
    # The jaw: a square notch cut into the far side of the head.
    notch = radius * 0.55
    far = (head[0] + dx * radius * 0.55, head[1] + dy * radius * 0.55)
    px, py = -dy, dx  # perpendicular
    corners = [
        (far[0] + px * notch / 2 - dx * notch / 2, far[1] + py * notch / 2 - dy * notch / 2),
        (far[0] - px * notch / 2 - dx * notch / 2, far[1] - py * notch / 2 - dy * notch / 2),
        (far[0] - px * notch / 2 + dx * notch * 1.2, far[1] - py * notch / 2 + dy * notch * 1.2),
        (far[0] + px * notch / 2 + dx * notch * 1.2, far[1] + py * notch / 2 + dy * notch * 1.2),
    ]
    draw.polygon(corners, fill=background)


def draw_mark(size: int, house: tuple[int, ...], wrench: tuple[int, ...]) -> Image.Image:
    """The mark alone on transparent (splash screens): ``house`` with a ``wrench`` on it."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    inset = big * 0.2
    left, right = inset, big - inset
    top, bottom = inset, big - inset
    mid = big / 2
    roof_bottom = top + (bottom - top) * 0.42
    eave = (right - left) * 0.06
    draw.polygon([(mid, top), (right + eave, roof_bottom), (left - eave, roof_bottom)], fill=house)
    wall_inset = (right - left) * 0.12
    draw.rectangle([left + wall_inset, roof_bottom - 1, right - wall_inset, bottom], fill=house)
    _wrench(draw, mid, top + (bottom - top) * 0.62, (right - left) * 0.62, wrench, house)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_icon(size: int, *, maskable: bool = False) -> Image.Image:
    """The icon at ``size`` px. Maskable icons keep the mark inside the 80% safe zone."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=SEED)
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.22, fill=SEED)
    inset = big * (0.22 if maskable else 0.17)
    left, right = inset, big - inset
    top, bottom = inset * 1.05, big - inset
    mid = big / 2
    roof_bottom = top + (bottom - top) * 0.42
    eave = (right - left) * 0.06
    draw.polygon([(mid, top), (right + eave, roof_bottom), (left - eave, roof_bottom)], fill=WHITE)
    wall_inset = (right - left) * 0.12
    draw.rectangle([left + wall_inset, roof_bottom - 1, right - wall_inset, bottom], fill=WHITE)
    _wrench(draw, mid, top + (bottom - top) * 0.62, (right - left) * 0.62, SEED, WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    (ASSETS / "icons").mkdir(parents=True, exist_ok=True)
    # 1024 px: the largest size any store asks for (App Store marketing icon).
    draw_icon(1024).save(ASSETS / "icon.png")
    draw_mark(1024, SEED, WHITE).save(ASSETS / "splash.png")
    draw_mark(1024, DARK_HOUSE, DARK_BACKGROUND).save(ASSETS / "splash_dark.png")
    draw_icon(64).save(ASSETS / "favicon.png")
    draw_icon(192).save(ASSETS / "icons" / "icon-192.png")
    draw_icon(512).save(ASSETS / "icons" / "icon-512.png")
    draw_icon(192, maskable=True).save(ASSETS / "icons" / "apple-touch-icon-192.png")
    draw_icon(192, maskable=True).save(ASSETS / "icons" / "icon-maskable-192.png")
    draw_icon(512, maskable=True).save(ASSETS / "icons" / "icon-maskable-512.png")


if __name__ == "__main__":
    main()
