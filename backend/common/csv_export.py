"""CSV downloads that a spreadsheet opens safely.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets (CSV injection): a customer name such as `=HYPERLINK("http://…")` in an
export becomes a live link, or worse. Such cells get a leading apostrophe, which spreadsheets show as
text; plain numbers (`-12.50`) are left alone. Files start with a byte-order mark, so spreadsheet
programs read Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

from backend.common.file_response import file_response

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as written to the file: formula-looking text is made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Line:
    """A file-like object whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[bytes]:
    """UTF-8 CSV, one encoded line per row (stream it with StreamingHttpResponse)."""
    writer = csv.writer(_Line())
    if bom:
        yield BOM.encode("utf-8")
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row]).encode("utf-8")


def plain_cell(value: Any) -> Any:
    """A report's cell as a CSV shows it: empty for None, dates in ISO 8601, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def csv_response(rows: Iterable[Sequence[Any]], *, filename: str) -> StreamingHttpResponse:
    """The rows as a streamed CSV download named `filename` (cells made plain, then safe)."""
    lines = csv_lines([plain_cell(cell) for cell in row] for row in rows)
    return file_response(lines, content_type="text/csv; charset=utf-8", filename=filename)
