"""The one file response: every file Dossier sends is named safely, sandboxed, unsniffed and never stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backend.common.csv_export import csv_response
from backend.common.file_response import FILE_CONTENT_SECURITY_POLICY, file_response


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


def test_a_file_is_an_attachment_with_its_name_size_and_hash():
    # given the chunks of a file with a Chinese name
    # when it is sent
    response = file_response(iter([b"%PDF", b"-1.7"]), content_type="application/pdf", filename="报价单 2026.pdf",
                             length=8, etag="ab" * 32)

    # then it is a sandboxed attachment named in RFC 5987 form, never stored and not sniffed
    assert response.streaming and b"".join(response.streaming_content) == b"%PDF-1.7"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%202026.pdf"
    assert response["Content-Length"] == "8"
    assert response["ETag"] == f'"{"ab" * 32}"'
    assert response["Content-Security-Policy"] == FILE_CONTENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"no-store", "private"} <= _cache_control(response)


def test_a_preview_is_shown_inline_and_sandboxed_too():
    response = file_response(iter([b"GIF89a"]), content_type="image/gif", filename="a.gif", inline=True)

    assert response["Content-Disposition"] == 'inline; filename="a.gif"'
    assert "Content-Length" not in response and "ETag" not in response
    assert response["Content-Security-Policy"].startswith("sandbox;")


def test_a_csv_export_is_a_file_whose_cells_are_plain_and_safe():
    # given a report's rows with an empty cell, a date, money and a formula-looking name
    rows = [["Customer", "Since", "Amount"], ["=HYPERLINK(1)", dt.date(2026, 1, 2), Decimal("-12.50")],
            ["Acme", None, Decimal("3")]]

    # when they are exported
    response = csv_response(rows, filename="crm-funnel-20260102.csv")

    # then the file is UTF-8 with a BOM, dates in ISO 8601, None empty, the formula inert; an attachment
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == "\ufeffCustomer,Since,Amount\r\n'=HYPERLINK(1),2026-01-02,-12.50\r\nAcme,,3\r\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="crm-funnel-20260102.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
