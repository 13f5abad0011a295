"""Drawing a quote as a PDF (reportlab), in Chinese or English, with real, extractable text.

The quote's data comes in as plain values (`QuotePdfContent`), so this module knows nothing of the
database: the service (`backend/crm/services/quote_pdf.py`) reads the quote and its lines and calls
`render_quote_pdf`. Every page carries the company header and, in its footer, the quote number and the
page number. Chinese text is drawn with an embedded TrueType CJK font when one is installed (Debian:
fonts-wqy-zenhei), otherwise with Adobe's STSong-Light CID font (referenced, not embedded).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

logger = logging.getLogger(__name__)

CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
_FONT_NAME = "DossierQuoteCJK"
_FALLBACK_CID_FONT = "STSong-Light"


@lru_cache(maxsize=1)
def quote_pdf_font() -> str:
    """The reportlab font name quotes are drawn with (registered once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    configured = os.environ.get("DOSSIER_PDF_CJK_FONT", "").strip()
    candidates = ([(configured, 0)] if configured else []) + list(CJK_FONT_CANDIDATES)
    for path, index in candidates:
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(_FONT_NAME, path, subfontIndex=index))
        except Exception as exc:  # a font reportlab cannot embed: try the next
            logger.info("cannot use %s for quote PDFs: %s", path, exc)
            continue
        return _FONT_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_CID_FONT))
    return _FALLBACK_CID_FONT


@dataclass(frozen=True)
class QuotePdfLine:
    code: str
    name: str
    description: str
    quantity: str  # already formatted for the page's language
    unit_price: str
    discount: str
    line_total: str


@dataclass(frozen=True)
class QuotePdfContent:
    """Everything a quote's PDF shows, already worded and formatted in its language."""

    number: str
    title: str  # "Quotation" / "报价单"
    company_name: str
    company_details: str  # address, phone: one or more lines
    facts: list[tuple[str, str]]  # (label, value): customer, date, valid until, owner, currency…
    headings: tuple[str, str, str, str, str]  # product, quantity, unit price, discount, line total
    lines: list[QuotePdfLine]
    totals: list[tuple[str, str]]  # (label, amount), the last one is the grand total
    terms_heading: str
    terms: list[str]
    footer: str  # "Quote %(number)s · page %(page)s", with both placeholders
    notes: str = ""
    notes_heading: str = ""
    extra: dict = field(default_factory=dict)


def render_quote_pdf(content: QuotePdfContent) -> bytes:
    """The quote as PDF bytes (A4)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    font = quote_pdf_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=20, spaceAfter=4)
    heading = ParagraphStyle("heading", parent=base, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    width, height = A4
    margin = 18 * mm

    def para(text: str, style=base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 12)
        canvas.drawString(margin, height - 12 * mm, content.company_name)
        canvas.setFont(font, 7.5)
        for i, line in enumerate(content.company_details.splitlines()[:2]):
            canvas.drawString(margin, height - (16 + 3.5 * i) * mm, line)
        canvas.setFont(font, 10)
        canvas.drawRightString(width - margin, height - 12 * mm, content.number)
        canvas.setStrokeColor(colors.HexColor("#888888"))
        canvas.line(margin, height - 23 * mm, width - margin, height - 23 * mm)
        canvas.setFont(font, 8)
        canvas.drawCentredString(width / 2, 10 * mm,
                                 content.footer % {"number": content.number, "page": doc.page})
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=28 * mm,
                            bottomMargin=18 * mm, title=f"{content.title} {content.number}",
                            author=content.company_name, subject=content.number)
    story: list = [para(f"{content.title} {content.number}", title)]
    facts = LongTable([[para(label, small), para(value)] for label, value in content.facts],
                      colWidths=[35 * mm, None], hAlign="LEFT")
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    story += [facts, Spacer(1, 5 * mm)]

    rows = [[para(h, small) if i == 0 else para(h, ParagraphStyle("hr", parent=small, alignment=TA_RIGHT))
             for i, h in enumerate(content.headings)]]
    for line in content.lines:
        product = f"{line.code}  {line.name}" + (f"\n{line.description}" if line.description else "")
        rows.append([para(product), para(line.quantity, right), para(line.unit_price, right),
                     para(line.discount, right), para(line.line_total, right)])
    body_rows = len(rows)
    for label, amount in content.totals:
        rows.append([para(label, right), "", "", "", para(amount, right)])
    table = LongTable(rows, colWidths=[None, 20 * mm, 30 * mm, 18 * mm, 32 * mm], repeatRows=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, body_rows - 1), 0.25, colors.HexColor("#cccccc")),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
    ]
    for row in range(body_rows, len(rows)):
        style.append(("SPAN", (0, row), (3, row)))
    table.setStyle(TableStyle(style))
    story.append(table)
    if content.notes:
        story += [para(content.notes_heading, heading), para(content.notes)]
    if content.terms:
        story.append(para(content.terms_heading, heading))
        story += [para(f"{i}. {term}") for i, term in enumerate(content.terms, start=1)]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
