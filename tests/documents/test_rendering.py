"""Rendering untrusted PDFs and pictures for view-only shares: bounded images or a clean refusal.

Every hostile file is built here: a page a few points wide and 200 inches tall, a 20,000-inch page,
a truncated PNG, PNGs whose header promises hundreds of millions of pixels. Rendering runs in a
limited child process; what cannot be shown is a 422 "cannot be shown", never a 500 or a bitmap
of unbounded size.
"""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from django.urls import reverse
from PIL import Image

from backend.documents.rendering import TOO_COSTLY, TOO_LARGE, UNREADABLE, RenderLimits, RenderRefused, page_png
from backend.sharing.shares import document_share_create, share_open, share_page_png
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import portal_client
from tests.portal_factories import portal_user

PDF = "application/pdf"
PNG = "image/png"
LIMITS = RenderLimits(width=1100, max_height=4400, max_pixels=1100 * 4400, max_source_pixels=50_000_000)


def pdf_page(width_pt: float, height_pt: float) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width_pt, height_pt))
    page.drawString(2, 2, "x")
    page.showPage()
    page.save()
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width x height: a few hundred KB of deflated zeros."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\0" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row * min(1000, height - start)) for start in range(0, height, 1000))
    pixels += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def noisy_png(size=(200, 200)) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="PNG")
    return out.getvalue()


def refusal(data: bytes, mime: str, limits: RenderLimits = LIMITS) -> RenderRefused:
    with pytest.raises(RenderRefused) as refused:
        page_png(data, mime, 1, limits)
    assert refused.value.status_code == 422
    return refused.value


def size_of(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


# --- the renderer ------------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_sliver_of_a_page_200_inches_tall_is_refused_not_drawn():
    # given a PDF page 10 pt wide and 14,400 pt tall (today's scaling to 1,100 px wide: 1.6 million px tall)
    # when it is rendered, then it cannot be shown: fitted to 4,400 px tall it would be 3 px wide
    refused = refusal(pdf_page(10, 14400), PDF)
    assert refused.message == TOO_LARGE and "3.1 x 4400.0 px" in refused.extra["reason"]


@pytest.mark.timeout(120)
def test_tall_and_huge_pages_are_scaled_into_the_pixel_box():
    # a long page is fitted to the maximum height, a 20,000-inch page to the width
    assert size_of(page_png(pdf_page(595, 20000), PDF, 1, LIMITS)) == (131, 4400)
    assert size_of(page_png(pdf_page(20000 * 72, 20000 * 72), PDF, 1, LIMITS)) == (1100, 1100)
    assert size_of(page_png(pdf_page(595, 842), PDF, 1, LIMITS)) == (1100, 1557)


@pytest.mark.timeout(120)
def test_a_png_decompression_bomb_is_refused_before_it_is_decoded():
    # given a 400-million-pixel PNG of a few KB (more than twice Pillow's own limit)
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 1024 * 1024
    # when rendered, then it is refused as too large
    refused = refusal(bomb, PNG)
    assert refused.message == TOO_LARGE and "pixels" in refused.extra["reason"]


@pytest.mark.timeout(120)
def test_a_png_above_our_pixel_cap_but_below_pillows_warning_is_refused_too():
    # given a 64-million-pixel picture: Pillow would only warn (its limit is 89 million) and decode it
    refused = refusal(png_declaring(8_000, 8_000), PNG)
    assert refused.message == TOO_LARGE and "64000000 pixels" in refused.extra["reason"]


@pytest.mark.timeout(120)
def test_a_truncated_png_cannot_be_shown():
    whole = noisy_png()
    refused = refusal(whole[: len(whole) // 2], PNG)
    assert refused.message == UNREADABLE and "truncated" in refused.extra["reason"]


@pytest.mark.timeout(120)
def test_the_child_that_renders_is_held_to_its_memory_limit():
    # given an honest 36-million-pixel colour picture (108 MB decoded) and a renderer allowed 100 MB
    picture = io.BytesIO()
    Image.new("RGB", (6000, 6000), (200, 30, 30)).save(picture, format="PNG")
    limits = RenderLimits(memory_mb=100)
    # when rendered, then the child runs out of memory and the page cannot be shown
    refused = refusal(picture.getvalue(), PNG, limits)
    assert refused.message == TOO_COSTLY and refused.extra["reason"].startswith("memory")


def test_ordinary_pictures_and_pages_still_render():
    assert size_of(page_png(noisy_png((640, 480)), PNG, 1, RenderLimits(width=320))) == (320, 240)
    assert size_of(page_png(pdf_page(595, 842), PDF, 1, RenderLimits(width=595))) == (595, 842)


# --- the portal ---------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    sales = factories.DepartmentFactory(code="sales")
    owner = factories.UserFactory(username="owner", department=sales)
    customer = CustomerFactory(name="Alpha 阿尔法", owner=owner)
    return {"owner": owner, "customer": customer, "alice": portal_user(customer, name="Alice")}


def _view_only(world, content: bytes, filename: str):
    doc = factories.document(world["owner"], classification="public", content=content, filename=filename)
    return document_share_create(actor=world["owner"], document=doc, customer=world["customer"],
                                 downloadable=False)


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "content, filename, message",
    [
        (pdf_page(10, 14400), "tall.pdf", TOO_LARGE),
        (png_declaring(20_000, 20_000), "bomb.png", TOO_LARGE),
        (noisy_png()[:20_000], "cut.png", UNREADABLE),
    ],
    ids=["tall-pdf-page", "png-bomb", "truncated-png"],
)
def test_the_portal_answers_cannot_be_shown_for_a_hostile_file(world, content, filename, message):
    # given a view-only share of a hostile file
    share = _view_only(world, content, filename)
    client = portal_client(world["alice"])
    # when Alice opens the share and its first page
    opened = client.get(reverse("portal:share", args=[share.pk]))
    page = client.get(reverse("portal:share_page", args=[share.pk, 1]))
    # then the share's page is shown and the image answers 422 "cannot be shown", not a server error
    assert opened.status_code == 200
    assert page.status_code == 422 and page["Content-Type"].startswith("text/plain")
    assert page.content.decode() == message


@pytest.mark.timeout(120)
def test_the_service_raises_the_typed_refusal(world):
    share = _view_only(world, pdf_page(10, 14400), "tall.pdf")
    assert share_open(actor=world["alice"], share=share).page_count == 1
    with pytest.raises(RenderRefused):
        share_page_png(actor=world["alice"], share=share, page=1)


@pytest.mark.timeout(120)
def test_the_refusal_is_translated_for_a_chinese_portal_user(world):
    share = _view_only(world, pdf_page(10, 14400), "tall.pdf")
    page = portal_client(world["alice"], "zh-hans").get(reverse("portal:share_page", args=[share.pk, 1]))
    assert page.status_code == 422 and "无法显示此页面" in page.content.decode()
