"""The mark drawn on every page shown: found in the pixels all over each page, never in the cache."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image, ImageChops

from backend.documents import previews, watermark
from backend.documents.marks import ViewerMark
from backend.documents.models import ViewMark
from backend.documents.rendering import RenderRefused
from tests.factories import UserFactory, document

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

GRID = 3  # the page cut in 3 x 3 parts: the mark must be in each


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


def _pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        drawing.setFont("Helvetica", 12)
        for line in range(40):
            drawing.drawString(60, 780 - line * 18, f"Page {number}, clause {line}: the supplier shall deliver.")
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _parts_marked(marked: bytes, unmarked: bytes) -> list[bool]:
    """For each of the GRID x GRID parts of the page: do the marked and unmarked pages differ there?"""
    a, b = _image(marked), _image(unmarked)
    assert a.size == b.size
    difference = ImageChops.difference(a, b).convert("L")
    width, height = a.size
    parts = []
    for row in range(GRID):
        for column in range(GRID):
            box = (column * width // GRID, row * height // GRID, (column + 1) * width // GRID,
                   (row + 1) * height // GRID)
            changed = sum(difference.crop(box).point(lambda v: 255 if v > 8 else 0).histogram()[255:])
            parts.append(changed > 200)  # more than a few stray pixels: text of the mark
    return parts


def test_every_page_shown_carries_the_mark_all_over_and_the_cache_stays_unmarked():
    # given a three-page secret PDF and a reader
    owner = UserFactory(username="wang.fang", display_name="王芳")
    doc = document(owner, classification="secret", content=_pdf(3))
    version = doc.valid_version
    for page in (1, 2, 3):
        # when each page is shown
        marked = previews.version_preview_page(actor=owner, version=version, page=page,
                                               request_meta={"address": "203.0.113.9"})
        unmarked = previews.page_png_checked(version, page)
        # then the mark is in every part of the page (cropping a corner or a strip leaves copies of it)
        assert all(_parts_marked(marked, unmarked)), page
        # and the cached page is still the unmarked one
        assert previews.page_png_checked(version, page) == unmarked
    # and each page had its own mark, with its own code
    assert ViewMark.objects.filter(version=version, purpose="preview").values("code").distinct().count() == 3


def test_the_mark_is_drawn_with_a_font_that_has_han_characters():
    path = watermark.font_path()
    assert path is not None and ("CJK" in path or "wqy" in path)
    # a Han character is drawn as its own glyph, not as the font's "missing" box
    font = watermark._font(24)
    assert font.getmask("王").getbbox() != font.getmask("\uffff").getbbox()


def test_two_marks_differ_in_the_pixels_and_what_is_not_our_png_is_refused():
    page = Image.new("RGB", (800, 1130), "white")
    out = io.BytesIO()
    page.save(out, format="PNG")
    png = out.getvalue()
    first = ViewerMark(code="7K3QX9PA", viewer="王芳 (wang.fang)", when=timezone.now(), address="203.0.113.7",
                       classification="绝密 / SECRET")
    second = ViewerMark(code="M4TR2B8C", viewer="陈静 (chen.jing)", when=first.when, address="203.0.113.7",
                        classification="绝密 / SECRET")
    a, b = watermark.watermark_png(png, first), watermark.watermark_png(png, second)
    assert a.startswith(watermark.PNG_MAGIC) and a != b
    with pytest.raises(RenderRefused):
        watermark.watermark_png(b"GIF89a not ours", first)
    with pytest.raises(RenderRefused):
        watermark.watermark_png(watermark.PNG_MAGIC + b"truncated", first)


def test_a_grey_page_is_cached_as_one_channel_and_a_coloured_one_as_it_is():
    # given a black-and-white PDF page drawn into the cache
    owner = UserFactory()
    doc = document(owner, content=_pdf(1))
    previews.version_preview_page(actor=owner, version=doc.valid_version, page=1)
    # then the cache keeps it as one grey channel (smaller, quicker to mark)
    assert Image.open(io.BytesIO(previews.page_png_checked(doc.valid_version, 1))).mode == "L"
    # while a page with colour is kept as it was
    coloured = Image.new("RGB", (300, 400), "white")
    coloured.paste((200, 30, 30), (10, 10, 100, 100))
    out = io.BytesIO()
    coloured.save(out, format="PNG")
    assert watermark.compact_page_png(out.getvalue()) == out.getvalue()
