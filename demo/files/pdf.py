"""PDF (reportlab) from a document body, with real, extractable Chinese text.

A TrueType CJK font is embedded when one is installed (Debian: fonts-wqy-zenhei); otherwise the PDF
falls back to Adobe's STSong-Light CID font, which is referenced rather than embedded. Either way pypdf
extracts the text.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from demo.files.body import Body, Bullets, Fields, Heading, Para, Signatures, Table
from demo.world import SELLER

logger = logging.getLogger(__name__)

CJK_FONT_ENV = "DOSSIER_PDF_CJK_FONT"  # "path" or "path:subfont-index"
CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian: fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian: fonts-wqy-microhei
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # Debian: fonts-arphic-uming
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # Debian: fonts-droid-fallback
)
_PDF_FONT_NAME = "DossierCJK"
_FALLBACK_CID_FONT = "STSong-Light"


@dataclass(frozen=True)
class PdfFont:
    name: str  # the reportlab font name to draw with
    embedded: bool
    source: str  # a file path, or the CID font's name


def _font_candidates() -> list[tuple[str, int]]:
    candidates = list(CJK_FONT_CANDIDATES)
    configured = os.environ.get(CJK_FONT_ENV, "").strip()
    if configured:
        path, _, index = configured.partition(":") if not os.path.exists(configured) else (configured, "", "")
        candidates.insert(0, (path, int(index) if index.isdigit() else 0))
    return candidates


@lru_cache(maxsize=1)
def pdf_font() -> PdfFont:
    """The font PDFs are drawn with: an embedded TrueType CJK font if one is installed, else STSong-Light."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in _font_candidates():
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(_PDF_FONT_NAME, path, subfontIndex=index))
        except Exception as exc:  # a font reportlab cannot embed (CFF outlines, broken file): try the next
            logger.info("cannot use %s for PDFs: %s", path, exc)
            continue
        return PdfFont(name=_PDF_FONT_NAME, embedded=True, source=path)
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_CID_FONT))
    return PdfFont(name=_FALLBACK_CID_FONT, embedded=False, source=_FALLBACK_CID_FONT)


@dataclass(frozen=True)
class _Styles:
    base: object  # reportlab ParagraphStyle instances (reportlab is imported only when a PDF is drawn)
    small: object
    small_right: object
    title: object
    subtitle: object
    headings: dict
    bullet: object


def _styles(font: str, lang: str) -> _Styles:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    wrap = "CJK" if lang == "zh" else None
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14.5, spaceAfter=4, wordWrap=wrap)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5, spaceAfter=0)
    return _Styles(
        base=base,
        small=small,
        small_right=ParagraphStyle("small_right", parent=small, alignment=TA_RIGHT),
        title=ParagraphStyle("title", parent=base, fontSize=17, leading=23, spaceAfter=4),
        subtitle=ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=15,
                                textColor=colors.HexColor("#555555"), spaceAfter=10),
        headings={
            1: ParagraphStyle("h1", parent=base, fontSize=12.5, leading=18, spaceBefore=10, spaceAfter=5,
                              textColor=colors.HexColor("#1f3a5f")),
            2: ParagraphStyle("h2", parent=base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3),
        },
        # U+2022 is missing from WenQuanYi; a small black circle is in every CJK font.
        bullet=ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=3, bulletFontName=font,
                              bulletFontSize=5, bulletOffsetY=1.5),
    )


class _Story:
    """A body's blocks as reportlab flowables, in the body's styles and language."""

    def __init__(self, body: Body, font: str, width: float) -> None:
        self.body = body
        self.styles = _styles(font, body.lang)
        self.width = width

    def para(self, text: str, style=None):
        from reportlab.platypus import Paragraph

        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.styles.base)

    def table(self, rows, col_widths, *, grid: bool, right: Sequence[int] = ()):
        from reportlab.lib import colors
        from reportlab.platypus import Table as PdfTable
        from reportlab.platypus import TableStyle

        small, small_right = self.styles.small, self.styles.small_right
        cells = [
            [self.para(cell, small_right if c in right and r > 0 else small) for c, cell in enumerate(row)]
            for r, row in enumerate(rows)
        ]
        result = PdfTable(cells, colWidths=col_widths, repeatRows=1 if grid else 0, hAlign="LEFT")
        commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        if grid:
            commands += [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                         ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4eaf1"))]
        result.setStyle(TableStyle(commands))
        return result

    def flowables(self) -> list:
        story: list = [self.para(self.body.title, self.styles.title)]
        if self.body.subtitle:
            story.append(self.para(self.body.subtitle, self.styles.subtitle))
        for block in self.body.blocks:
            story.extend(self.block(block))
        return story

    def block(self, block) -> list:
        from reportlab.platypus import Paragraph, Spacer

        width, zh = self.width, self.body.lang == "zh"
        if isinstance(block, Heading):
            return [self.para(block.text, self.styles.headings.get(block.level, self.styles.headings[2]))]
        if isinstance(block, Para):
            return [self.para(block.text)]
        if isinstance(block, Bullets):
            return [Paragraph(escape(item), self.styles.bullet, bulletText="●") for item in block.items]
        if isinstance(block, Table):
            weights = block.widths or (1,) * len(block.rows[0])
            total = sum(weights)
            return [self.table(block.rows, [width * w / total for w in weights], grid=True, right=block.right),
                    Spacer(1, 6)]
        if isinstance(block, Fields):
            return [self.table(block.pairs, [width * 0.28, width * 0.72], grid=False), Spacer(1, 4)]
        if isinstance(block, Signatures):
            rows = [
                tuple(f"{role}：{name}" if zh else f"{role}: {name}" for role, name in block.parties),
                tuple(("授权代表（签字）：" if zh else "Authorised signature:") + "\n\n______________________"
                      for _ in block.parties),
                tuple(("盖章 / 日期：" if zh else "Seal / date:") for _ in block.parties),
            ]
            return [Spacer(1, 14),
                    self.table(rows, [width / len(block.parties)] * len(block.parties), grid=False)]
        return []


def _page_decoration(body: Body, font: str):
    """Draws the footer (reference, marking, page number) and the header (our name, marking) on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    footer_left = "  ·  ".join(part for part in (body.reference, body.marking) if part)

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, 12 * mm, footer_left)
        page = f"第 {doc.page} 页" if body.lang == "zh" else f"Page {doc.page}"
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, page)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, SELLER.zh if body.lang == "zh" else SELLER.en)
        if body.marking:
            canvas.drawRightString(A4[0] - 20 * mm, A4[1] - 12 * mm, body.marking)
        canvas.restoreState()

    return decorate


def render_pdf(body: Body) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    font = pdf_font().name
    story = _Story(body, font, width=A4[0] - 40 * mm).flowables()
    decorate = _page_decoration(body, font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=body.title, author=body.author, subject=body.subtitle, creator="Dossier demo",
        keywords=", ".join(body.keywords), invariant=1,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
