"""Word (DOCX), Excel (XLSX) and PowerPoint (PPTX) text: paragraphs, table cells, cell values, slides and notes."""

from __future__ import annotations

import io
import zipfile

from indexing.extract.archive import open_zip
from indexing.extract.base import ExtractionFailed

# What a broken OOXML package raises from inside python-docx/openpyxl/python-pptx.
_BROKEN = (KeyError, ValueError, TypeError, AttributeError, IndexError, zipfile.BadZipFile, OSError, EOFError)


def _xml_error():
    from lxml.etree import LxmlError

    return LxmlError


def _docx_table(table, budget) -> None:
    for row in table.rows:
        budget.check()
        cells = []
        for cell in row.cells:
            cells.append(cell.text)
            for nested in cell.tables:
                _docx_table(nested, budget)
        budget.add("\t".join(cells))


def extract_docx(data: bytes, budget) -> str:
    import docx

    open_zip(data, budget, "the Word file").close()
    try:
        document = docx.Document(io.BytesIO(data))
        for section in document.sections:
            for part in (section.header, section.footer):
                budget.add("\n".join(p.text for p in part.paragraphs))
        for paragraph in document.paragraphs:
            budget.check()
            budget.add(paragraph.text)
        for table in document.tables:
            _docx_table(table, budget)
        props = document.core_properties
        budget.add(" ".join(v for v in (props.title, props.subject, props.keywords) if v))
    except ExtractionFailed:
        raise
    except (*_BROKEN, _xml_error()) as exc:
        raise ExtractionFailed(f"the Word file is corrupt: {type(exc).__name__}: {exc}") from exc
    return "docx"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def extract_xlsx(data: bytes, budget) -> str:
    import openpyxl

    open_zip(data, budget, "the Excel file").close()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                budget.add(sheet.title)
                for number, row in enumerate(sheet.iter_rows(values_only=True)):
                    if number % 100 == 0:
                        budget.check()
                    line = "\t".join(text for text in map(_cell_text, row) if text)
                    if line:
                        budget.add(line)
        finally:
            workbook.close()
    except ExtractionFailed:
        raise
    except (*_BROKEN, _xml_error()) as exc:
        raise ExtractionFailed(f"the Excel file is corrupt: {type(exc).__name__}: {exc}") from exc
    return "xlsx"


def _pptx_shapes(shapes, budget) -> None:
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            _pptx_shapes(shape.shapes, budget)
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            budget.add(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                budget.add("\t".join(cell.text for cell in row.cells))


def extract_pptx(data: bytes, budget) -> str:
    from pptx import Presentation

    open_zip(data, budget, "the PowerPoint file").close()
    try:
        presentation = Presentation(io.BytesIO(data))
        for slide in presentation.slides:
            budget.check()
            _pptx_shapes(slide.shapes, budget)
            if slide.has_notes_slide:
                budget.add(slide.notes_slide.notes_text_frame.text)
    except ExtractionFailed:
        raise
    except (*_BROKEN, _xml_error()) as exc:
        raise ExtractionFailed(f"the PowerPoint file is corrupt: {type(exc).__name__}: {exc}") from exc
    return "pptx"
