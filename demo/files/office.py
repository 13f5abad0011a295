"""DOCX (python-docx) and XLSX (openpyxl), rewritten with fixed timestamps: same content, same bytes."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from demo.files.body import FIXED_TIMESTAMP, Body, Bullets, Fields, Heading, Para, Signatures, Table
from demo.world import SELLER


def _normalized_zip(data: bytes) -> bytes:
    """Rewrite an Office zip with fixed member timestamps and core properties: same content, same bytes."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():  # keep the order: [Content_Types].xml first is what sniffers expect
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    payload,
                )
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, payload)
    return out.getvalue()


def render_docx(body: Body) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    document = docx.Document()
    latin, east_asian = ("Calibri", "SimSun")
    for style_name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Bullet"):
        style = document.styles[style_name]
        style.font.name = latin
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "SimHei" if style_name.startswith(("Heading", "Title")) else east_asian)
    document.styles["Normal"].font.size = Pt(10.5)

    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.text = f"{SELLER.name(body.lang)}    {body.marking}".rstrip()
    footer = section.footer.paragraphs[0]
    footer.text = body.reference
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_heading(body.title, level=0)
    if body.subtitle:
        document.add_paragraph(body.subtitle, style="Subtitle")
    for block in body.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=min(block.level, 2))
        elif isinstance(block, Para):
            document.add_paragraph(block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif isinstance(block, (Table, Fields)):
            rows = block.rows if isinstance(block, Table) else block.pairs
            right = block.right if isinstance(block, Table) else ()
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            grid.style = "Table Grid" if isinstance(block, Table) else None
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    cell = grid.cell(r, c)
                    cell.text = text
                    paragraph = cell.paragraphs[0]
                    if c in right and r > 0:
                        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    if isinstance(block, Table) and r == 0 or isinstance(block, Fields) and c == 0:
                        for run in paragraph.runs:
                            run.bold = True
            document.add_paragraph()
        elif isinstance(block, Signatures):
            grid = document.add_table(rows=3, cols=len(block.parties))
            for c, (role, name) in enumerate(block.parties):
                grid.cell(0, c).text = f"{role}：{name}" if body.lang == "zh" else f"{role}: {name}"
                label = "授权代表（签字）：" if body.lang == "zh" else "Authorised signature:"
                grid.cell(1, c).text = label + "\n\n__________________"
                grid.cell(2, c).text = "盖章 / 日期：" if body.lang == "zh" else "Seal / date:"
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Subtitle":
            for run in paragraph.runs:
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    properties = document.core_properties
    properties.title = body.title
    properties.subject = body.subtitle
    properties.author = body.author
    properties.last_modified_by = body.author
    properties.keywords = ", ".join(body.keywords)
    properties.category = body.marking
    properties.revision = 1
    properties.created = FIXED_TIMESTAMP
    properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    document.save(buffer)
    return _normalized_zip(buffer.getvalue())


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 14
    number_format: str = ""  # e.g. "#,##0.00", "0%"


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    heading: tuple[str, ...] = ()  # lines above the table
    # (label, value) or (label, value, number format) lines below the table, in the last two columns
    totals: tuple[tuple, ...] = ()
    note: str = ""


def render_xlsx(sheets: Sequence[Sheet], *, title: str, author: str, subject: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    thin = Side(style="thin", color="9AA5B1")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="E4EAF1")
    for spec in sheets:
        sheet = workbook.create_sheet(spec.name[:31])
        row = 1
        for index, line in enumerate(spec.heading):
            sheet.cell(row=row, column=1, value=line).font = Font(bold=index == 0, size=14 if index == 0 else 10)
            row += 1
        if spec.heading:
            row += 1
        header_row = row
        for c, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=row, column=c, value=column.title)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            sheet.column_dimensions[get_column_letter(c)].width = column.width
        for values in spec.rows:
            row += 1
            for c, (value, column) in enumerate(zip(values, spec.columns, strict=True), start=1):
                cell = sheet.cell(row=row, column=c, value=value)
                cell.border = border
                if column.number_format and isinstance(value, (int, float, Decimal)):
                    cell.number_format = column.number_format
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        if spec.totals:
            row += 1
            last = len(spec.columns)
            for label, value, *number_format in spec.totals:
                row += 1
                sheet.cell(row=row, column=last - 1, value=label).font = Font(bold=True)
                cell = sheet.cell(row=row, column=last, value=value)
                cell.font = Font(bold=True)
                if isinstance(value, (int, float, Decimal)):
                    cell.number_format = (number_format or [spec.columns[-1].number_format or "#,##0.00"])[0]
        if spec.note:
            sheet.cell(row=row + 2, column=1, value=spec.note).alignment = Alignment(wrap_text=False)
    workbook.properties.title = title
    workbook.properties.creator = author
    workbook.properties.lastModifiedBy = author
    workbook.properties.subject = subject
    workbook.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalized_zip(buffer.getvalue())
