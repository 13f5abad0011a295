"""A table file as text: a header and its rows. CSV in UTF-8 (with or without a byte-order mark) or
GB18030 (which reads GBK and GB2312 too), detected from the bytes; XLSX (its first sheet) read in
openpyxl's read-only mode, cell values turned to text as a person would type them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from backend.common.errors import InvalidInput

XLSX_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 60


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    encoding: str  # "utf-8", "gb18030" or "xlsx"


def detect_encoding(data: bytes) -> str:
    """utf-8-sig, utf-8 or gb18030: the first that decodes the whole file. 400 when none does."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput("The file is neither UTF-8 nor GBK/GB18030 text.",
                       fields={"file": ["The file is neither UTF-8 nor GBK/GB18030 text."]})


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or a code typed as a number
    if isinstance(value, (dt.datetime,)):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _trimmed(rows) -> tuple[list[str], list[list[str]]]:
    rows = iter(rows)
    headers: list[str] = []
    for row in rows:  # the first row with any text is the header
        if any(cell.strip() for cell in row):
            headers = [cell.strip() for cell in row][:MAX_COLUMNS]
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise InvalidInput("The file has no header row.", fields={"file": ["The file has no header row."]})
    width = len(headers)
    body = []
    for row in rows:
        row = list(row[:width]) + [""] * (width - len(row))
        if any(cell.strip() for cell in row):
            body.append(row)
    return headers, body


def read_table(data: bytes, *, filename: str = "") -> Table:
    """The header and rows of a CSV or XLSX file given as bytes (XLSX recognised by its content)."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        headers, rows = _trimmed(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error:
        raise InvalidInput("The file is not a readable CSV table.",
                           fields={"file": ["The file is not a readable CSV table."]}) from None
    return Table(headers=headers, rows=rows, encoding="utf-8" if encoding == "utf-8-sig" else encoding)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any damaged workbook is the same answer
        raise InvalidInput("The spreadsheet cannot be read.",
                           fields={"file": ["The spreadsheet cannot be read."]}) from None
    try:
        sheet = workbook.worksheets[0]
        rows = ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))
        headers, body = _trimmed(rows)
    finally:
        workbook.close()
    return Table(headers=headers, rows=body, encoding="xlsx")
