"""The viewer's mark drawn across a page image: tiled, slanted, semi-transparent, in Chinese and English.

    watermark_png(png, mark) -> bytes        a page image (PNG) with `mark` (backend/documents/marks.py) on it

The page drawn from the file is cached unmarked, per content hash (backend/documents/previews.py); the
mark is drawn on each response, for its one viewer. The block of text (viewer and account; time and
address; classification and code) is drawn once, turned 30 degrees, and repeated over the whole page in
a staggered grid, so that cropping a corner, or a strip, still leaves whole copies of it. The text is
dark grey at about 30 % opacity: the page stays readable, and the mark is too, in a screenshot or a photo.

What is drawn on is our own page image (drawn from the file in the limited child process, at most
RENDER width x 4 widths): it is opened here only after checking that it is a PNG within those bounds.
Anything else is refused as "cannot be shown" (RenderRefused), never a 500.
"""

from __future__ import annotations

import io
import math
import os
from functools import lru_cache

from backend.documents.marks import ViewerMark
from backend.documents.rendering import RenderRefused, gettext_noop

# Fonts with Han characters first (Debian's fonts-noto-cjk, fonts-wqy-zenhei), then Latin only.
FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
ANGLE = 30  # degrees, counter-clockwise
INK = (64, 64, 64)
OPACITY = 80  # of 255
# A mark's own pixels in a page at most this large (the renderer's bound is far lower): beyond, refuse.
MAX_PIXELS = 40_000_000
CANNOT_MARK = gettext_noop("This page cannot be shown: it could not be marked with your name.")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Z_RLE = 3  # zlib's run-length strategy: pages are mostly runs of white


@lru_cache(maxsize=1)
def font_path() -> str | None:
    return next((path for path in FONTS if os.path.exists(path)), None)


@lru_cache(maxsize=16)
def _font(size: int):
    from PIL import ImageFont

    path = font_path()
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size=size)


def _block(lines: tuple[str, ...], size: int):
    """The mark's text block, level: an "L" image whose values are the ink's opacity."""
    from PIL import Image, ImageDraw

    font = _font(size)
    ascent, descent = font.getmetrics()
    gap = max(2, size // 3)
    line_height = ascent + descent + gap // 2
    width = max(int(font.getlength(line)) for line in lines) + 2 * gap
    height = line_height * len(lines) + 2 * gap
    block = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(block)
    for number, line in enumerate(lines):
        draw.text((gap, gap + number * line_height), line, font=font, fill=OPACITY)
    return block


def _overlay(size: tuple[int, int], mark: ViewerMark):
    """The page's mask of marks ("L": the ink's opacity). The block, turned, is repeated on a lattice
    turned with it (rows along the text, each row shifted by half a block), so that every part of the
    page carries whole copies of it."""
    from PIL import Image, ImageChops

    width, height = size
    text_size = max(12, min(26, width // 44))
    block = _block(tuple(mark.lines()), text_size)
    tile = block.rotate(ANGLE, resample=Image.Resampling.BICUBIC, expand=True)
    cos, sin = math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))
    along = block.width + 3 * text_size  # from one copy to the next along the text
    across = block.height + 2 * text_size  # from one row to the next
    reach = int((width + height) / min(along, across)) + 2
    layer = Image.new("L", size, 0)
    for row in range(-reach, reach + 1):
        for column in range(-reach, reach + 1):
            offset = column + (row % 2) / 2
            centre_x = width / 2 + offset * along * cos + row * across * sin
            centre_y = height / 2 - offset * along * sin + row * across * cos
            left, top = round(centre_x - tile.width / 2), round(centre_y - tile.height / 2)
            box = (max(left, 0), max(top, 0), min(left + tile.width, width), min(top + tile.height, height))
            if box[0] >= box[2] or box[1] >= box[3]:
                continue
            part = tile.crop((box[0] - left, box[1] - top, box[2] - left, box[3] - top))
            # the turned tiles' empty corners overlap their neighbours: keep the stronger ink
            layer.paste(ImageChops.lighter(layer.crop(box), part), box)
    return layer


def _grey_if_it_is(page):
    """`page` as one grey channel when its three channels are equal everywhere (black text on white), else as is."""
    from PIL import ImageChops

    if page.mode != "RGB":
        return page
    red, green, blue = page.split()
    if ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None:
        return red
    return page


def compact_page_png(png: bytes) -> bytes:
    """A page we drew, kept as one grey channel when it is grey (most documents): a third of the bytes in the
    cache, and a third of the time to open it again for each mark. Anything else is returned as it is."""
    from PIL import Image

    try:
        page = Image.open(io.BytesIO(png))
        if page.mode != "RGB" or page.width * page.height > MAX_PIXELS:
            return png
        page.load()
        grey = _grey_if_it_is(page)
        if grey is page:
            return png
        out = io.BytesIO()
        grey.save(out, format="PNG", compress_level=6)
    except (OSError, ValueError, Image.DecompressionBombError):
        return png
    return out.getvalue()


def watermark_png(png: bytes, mark: ViewerMark) -> bytes:
    """`png` (a page we drew) with `mark` tiled across it, as a PNG. RenderRefused if it cannot be marked."""
    from PIL import Image

    if not png.startswith(PNG_MAGIC):
        raise RenderRefused(CANNOT_MARK, reason="not a PNG")
    try:
        page = Image.open(io.BytesIO(png))
        if page.width * page.height > MAX_PIXELS:
            raise RenderRefused(CANNOT_MARK, reason=f"{page.width}x{page.height} pixels")
        page.load()
        page = _grey_if_it_is(page.convert("RGB") if page.mode not in ("RGB", "L") else page)
        ink = INK[0] if page.mode == "L" else INK
        page.paste(ink, box=(0, 0) + page.size, mask=_overlay(page.size, mark))
        out = io.BytesIO()
        # Made for one response and never stored: fast compression (zlib level 1, run-length strategy)
        # rather than small; a grey page (most documents) as one channel, a third of the work.
        page.save(out, format="PNG", compress_level=1, compress_type=Z_RLE)
    except RenderRefused:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise RenderRefused(CANNOT_MARK, reason=f"{type(exc).__name__}: {exc}") from exc
    return out.getvalue()
