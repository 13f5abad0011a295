"""PDFs of the demo: real Chinese text, with or without a TrueType CJK font installed."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from demo.files import pdf
from demo.files.body import Body, Para


@pytest.fixture
def no_truetype_cjk_font(monkeypatch):
    monkeypatch.setattr(pdf, "CJK_FONT_CANDIDATES", (("/nonexistent/cjk.ttc", 0),))
    monkeypatch.delenv(pdf.CJK_FONT_ENV, raising=False)
    pdf.pdf_font.cache_clear()
    yield
    pdf.pdf_font.cache_clear()


def test_pdfs_fall_back_to_the_builtin_cid_font_without_a_truetype_cjk_font(no_truetype_cjk_font):
    # given a machine without fonts-wqy-zenhei (or any other TrueType CJK font)
    body = Body(title="销售合同 Sales Contract", blocks=(Para("付款方式：货到验收后 60 天内付清。"),))

    # when a Chinese PDF is rendered
    data = pdf.render_pdf(body)

    # then it uses STSong-Light, and the Chinese is still real, extractable text
    assert pdf.pdf_font() == pdf.PdfFont(name="STSong-Light", embedded=False, source="STSong-Light")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "销售合同" in text and "付款方式" in text
