"""Generated test files for every extractor family (nothing is read from fixtures on disk)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage


def pdf_with_text(*lines: str, password: str | None = None) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("STSong-Light", 12)
    for number, line in enumerate(lines):
        page.drawString(72, 720 - 18 * number, line)
    page.showPage()
    page.save()
    data = buffer.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf_page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(pdf_page)
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_with(paragraph: str, cells: tuple[str, ...] = ()) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(paragraph)
    if cells:
        table = document.add_table(rows=1, cols=len(cells))
        for index, text in enumerate(cells):
            table.cell(0, index).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_with(*rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报价"
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pptx_with(title: str, notes: str = "") -> bytes:
    from pptx import Presentation

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = title
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def odt_with(*paragraphs: str, encrypted: bool = False) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}<text:p>a<text:s text:c=\"2\"/>b<text:tab/>c</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        + ("<manifest:encryption-data/>" if encrypted else "")
        + "</manifest:file-entry></manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * expanded_bytes)
    return buffer.getvalue()


OLE_ENCRYPTED_OFFICE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def eml_with_attachments() -> bytes:
    message = EmailMessage()
    message["Subject"] = "报价 for 数控机床"
    message["From"] = "Wang Fang <wang@example.com>"
    message["To"] = "buyer@acme.example"
    message.set_content("请查收附件中的报价单。Payment terms: net 60.", charset="gbk")
    message.add_alternative("<p>HTML copy that should <b>not</b> be duplicated</p>", subtype="html")
    message.add_attachment(docx_with("Attached contract 供货合同"), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="contract.docx")
    message.add_attachment("附件文本 GBK".encode("gbk"), maintype="text", subtype="plain", filename="notes.txt")
    message.add_attachment(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, maintype="image", subtype="png", filename="logo.png")
    inner = EmailMessage()
    inner["Subject"] = "Forwarded tender 标书"
    inner.set_content("The forwarded body.")
    message.add_attachment(inner)
    return message.as_bytes()
