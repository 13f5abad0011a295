"""Text extraction per file family, and the per-file budget."""

from __future__ import annotations

import codecs

import pytest

from indexing.extract import Budget, ExtractionFailed, Unsupported, extract
from indexing.extract.decoding import decode_text
from tests.indexing import files

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"


def test_pdf_text_including_chinese():
    result = extract(files.pdf_with_text("数控机床 供货合同", "Payment terms: net 60"), PDF)

    assert "数控机床 供货合同" in result.text and "net 60" in result.text
    assert result.extractor == "pdf"


def test_encrypted_pdf_fails_with_a_reason_unless_the_password_is_empty():
    with pytest.raises(ExtractionFailed, match="encrypted"):
        extract(files.pdf_with_text("secret", password="pw"), PDF)
    assert "open" in extract(files.pdf_with_text("open to all", password=""), PDF).text


def test_corrupt_pdf_fails_with_a_reason():
    with pytest.raises(ExtractionFailed, match="PDF is corrupt"):
        extract(files.pdf_with_text("x")[:200], PDF)


def test_word_excel_powerpoint():
    assert "供货合同" in extract(files.docx_with("供货合同", ("数控机床", "ACME")), DOCX).text
    assert "数控机床\tACME" in extract(files.docx_with("x", ("数控机床", "ACME")), DOCX).text
    sheet = extract(files.xlsx_with(("报价单", 1200.0, None, "Quote"), ("net 60",)), XLSX).text
    assert "报价单\t1200\tQuote" in sheet and "net 60" in sheet and sheet.startswith("报价")
    slides = extract(files.pptx_with("标书 Bid", notes="speaker notes"), PPTX).text
    assert "标书 Bid" in slides and "speaker notes" in slides


def test_opendocument_text():
    result = extract(files.odt_with("供货合同", "second paragraph"), ODT)

    assert result.text.splitlines()[:3] == ["供货合同", "second paragraph", "a  b\tc"]


@pytest.mark.parametrize(
    "data, mime, reason",
    [
        (files.OLE_ENCRYPTED_OFFICE, DOCX, "encrypted"),
        (b"PK\x03\x04 not really a zip", XLSX, "corrupt"),
        (files.odt_with("x", encrypted=True), ODT, "encrypted"),
    ],
)
def test_encrypted_and_corrupt_office_files_fail_with_a_reason(data, mime, reason):
    with pytest.raises(ExtractionFailed, match=reason):
        extract(data, mime)


def test_zip_bombs_are_refused():
    with pytest.raises(ExtractionFailed, match="zip bomb"):
        extract(files.zip_bomb(5 * 1024 * 1024), DOCX, budget=Budget(max_expanded_bytes=1024 * 1024))


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("合同，报价 GBK".encode("gbk"), "gb18030"),
        ("合同 GB18030 𠀀".encode("gb18030"), "gb18030"),
        ("合同 UTF-8".encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + "合同 BOM".encode("utf-8"), "utf-8"),
        ("合同 UTF-16".encode("utf-16"), "utf-16"),
        ("café naïve à la carte".encode("cp1252"), "cp1252"),
    ],
)
def test_plain_text_encodings_are_detected(data, encoding):
    text, found = decode_text(data)

    assert found == encoding
    assert text.startswith(("合同", "café"))


def test_csv_in_gbk():
    result = extract("客户,金额\n上海精工,128000\n".encode("gbk"), "text/csv")

    assert "上海精工,128000" in result.text and result.extractor == "text:gb18030"


def test_html_visible_text_only():
    page = ("<html><head><meta charset='gbk'><title>标书</title><style>.x{}</style></head>"
            "<body><p>Hello &amp; welcome</p><script>steal()</script>正文</body></html>").encode("gbk")

    text = extract(page, "text/html").text

    assert text.split("\n") == ["标书", "Hello & welcome", "正文"]


def test_email_headers_body_and_attachments():
    text = extract(files.eml_with_attachments(), "message/rfc822").text

    assert "Subject: 报价 for 数控机床" in text
    assert "请查收附件中的报价单" in text  # the GBK body
    assert "should not be duplicated" not in text  # the HTML alternative of the same body
    assert "Attachment: contract.docx" in text and "Attached contract 供货合同" in text
    assert "附件文本 GBK" in text
    assert "Attachment: logo.png" in text  # unsupported attachment: its name is still searchable
    assert "Forwarded tender 标书" in text and "The forwarded body." in text


def test_unsupported_types():
    with pytest.raises(Unsupported):
        extract(b"\x89PNG\r\n\x1a\n", "image/png")


def test_text_beyond_the_budget_is_cut_and_flagged():
    result = extract(("word " * 1000).encode(), "text/plain", budget=Budget(max_chars=100))

    assert len(result.text) == 100 and result.truncated


def test_extraction_past_the_deadline_fails():
    with pytest.raises(ExtractionFailed, match="longer than"):
        extract(files.pdf_with_text("slow"), PDF, budget=Budget(timeout_seconds=0))
