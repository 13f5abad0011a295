"""Files and a stand-in mark for the stamped-download tests (tests/documents, tests/web, tests/portal, tests/bench)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter

from backend.documents import stamping


@dataclass(frozen=True)
class StandInMark:
    """What stamping needs of a mark (backend.documents.marks.ViewerMark): its lines and its code."""

    code: str = "7K3M9QXD"

    def lines(self) -> list[str]:
        return ["王芳 (wang.fang)", "2026-12-07 14:03 · 10.0.0.7", f"机密 / CONFIDENTIAL · {self.code}"]


def pdf_of(pages: int, *, turned: int | None = None, landscape: int | None = None) -> bytes:
    """`pages` pages of text; page `turned` carries /Rotate 90, page `landscape` is wider than tall."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=(595, 842))
    for number in range(1, pages + 1):
        drawing.setPageSize((842, 595) if number == landscape else (595, 842))
        drawing.drawString(72, 500, f"Page {number} of the supply contract")
        drawing.showPage()
    drawing.save()
    if turned is None:
        return out.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    writer.pages[turned - 1].rotate(90)
    result = io.BytesIO()
    writer.write(result)
    return result.getvalue()


def docx_of(pages: int) -> bytes:
    import docx

    document = docx.Document()
    for number in range(1, pages + 1):
        document.add_paragraph(f"供货合同 第 {number} 页 Supply contract page {number}")
        if number < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def marked_pages(body: bytes) -> list[bool]:
    """For each page: does it call the mark's form (drawn over everything, after the page's own content)?"""
    reader = PdfReader(io.BytesIO(body))
    found = []
    for page in reader.pages:
        contents = page.get_contents().get_data()
        forms = page["/Resources"]["/XObject"]
        names = [name for name in forms if name.startswith(stamping._FORM_NAME)]
        found.append(bool(names) and contents.rstrip().endswith(f"{names[0]} Do Q".encode()))
    return found
