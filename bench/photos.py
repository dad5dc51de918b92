"""Group ``photos``: a 12-megapixel camera photo through `proapp.sync.photos.prepare_photo`.

The source is generated in-process (nothing downloads): 4000x3000, gradients, blotchy
mid-frequency texture, sensor-like fine noise and hard edges (lines, rectangles), saved
as a quality-92 JPEG (about 4.3 MB, like a phone camera's) with EXIF orientation 6
(rotated 90°), camera make/model and GPS position. Each run must come out upright
(1536x2048) and metadata-free, or the benchmark crashes.

Baseline, interleaved run by run: a plain full-resolution Pillow decode of the same
source (``Image.open(...).load()``), the least any pipeline reading every pixel pays.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator

from bench import Context, Figure, benchmark, median

__all__ = ["bench_photo_pipeline", "camera_jpeg"]

WIDTH, HEIGHT = 4000, 3000


def camera_jpeg(seed: int = 12) -> bytes:
    """A 12 MP JPEG with realistic detail and EXIF orientation 6 plus GPS."""
    from PIL import ExifTags, Image, ImageDraw

    rng = random.Random(seed)
    size = (WIDTH, HEIGHT)

    def noise(width: int, height: int) -> Image.Image:
        # Seeded bytes, not Image.effect_noise (C rand(), not seedable): the same
        # source every run, so runs and machines measure the same work.
        return Image.frombytes("L", (width, height), rng.randbytes(width * height))

    grad_x = Image.linear_gradient("L").rotate(90).resize(size)
    grad_y = Image.linear_gradient("L").resize(size)
    blotches = noise(WIDTH // 16, HEIGHT // 16).resize(size, Image.Resampling.BICUBIC)
    texture = noise(WIDTH // 8, HEIGHT // 8).resize(size, Image.Resampling.BICUBIC)
    grain = noise(WIDTH, HEIGHT)
    red = Image.blend(Image.blend(grad_x, blotches, 0.5), grain, 0.05)
    green = Image.blend(Image.blend(grad_y, texture, 0.4), grain, 0.05)
    blue = Image.blend(Image.blend(blotches, texture, 0.5), grain, 0.06)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for _ in range(150):  # pipes, edges, cables
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        end = (x + rng.randrange(-800, 800), y + rng.randrange(-800, 800))
        shade = rng.randrange(256)
        draw.line((x, y, *end), fill=(shade, shade, shade), width=rng.randrange(2, 25))
    for _ in range(40):  # fittings, tiles, labels
        x, y, side = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(50, 500)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + side, y + side * 2 // 3), outline=colour, width=8)

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held sideways: must come out portrait
    exif[ExifTags.Base.Make] = "Google"
    exif[ExifTags.Base.Model] = "Pixel 8"
    exif[ExifTags.Base.DateTime] = "2026:11:26 09:41:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 20.0, 8.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 53.0, 2.25)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def _check_output(data: bytes) -> None:
    from PIL import Image

    from proapp.sync.photos import MAX_EDGE

    with Image.open(io.BytesIO(data)) as result:
        width, height = result.size
        # Upright (portrait after EXIF orientation 6) and within the limit; a 4000 px
        # source decodes at half size, so 1500x2000 (DRAFT_TOLERANCE in photos.py).
        if not (height > width and MAX_EDGE * 0.95 <= height <= MAX_EDGE):
            raise AssertionError(f"expected an upright photo near {MAX_EDGE} px, got {result.size}")
        if result.getexif() or "exif" in result.info:
            raise AssertionError("EXIF (orientation/GPS) survived the pipeline")


@benchmark(
    "photo_pipeline",
    group="photos",
    figures=("photo_pipeline_ms", "photo_output_bytes", "photo_input_bytes"),
)
def bench_photo_pipeline(ctx: Context) -> Iterator[Figure]:
    """Median time of `prepare_photo` on a 12 MP JPEG, and the output size."""
    from PIL import Image

    from proapp.sync.photos import prepare_photo

    runs = 3 if ctx.quick else 11
    source = camera_jpeg()
    ctx.log(f"photo: source {len(source)} bytes, {runs} runs after 1 warm-up")
    ours: list[float] = []
    base: list[float] = []
    output = b""
    for i in range(runs + 1):
        t0 = time.perf_counter_ns()
        prepared = prepare_photo(source)
        t1 = time.perf_counter_ns()
        with Image.open(io.BytesIO(source)) as plain:
            plain.load()
        t2 = time.perf_counter_ns()
        if i == 0:
            _check_output(prepared.data)
            continue
        if output and prepared.data != output:
            raise AssertionError("prepare_photo is not deterministic for the same input")
        output = prepared.data
        ours.append((t1 - t0) / 1e6)
        base.append((t2 - t1) / 1e6)
    yield Figure("photo_pipeline_ms", median(ours), "ms", "<= 300", median(base))
    yield Figure("photo_output_bytes", len(output), "bytes", "<= 1572864")
    yield Figure("photo_input_bytes", len(source), "bytes")
