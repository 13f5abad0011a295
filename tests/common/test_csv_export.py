"""CSV cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io

import pytest

from backend.common.csv_export import csv_lines, safe_cell


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1", "\r=1",
                                  '=HYPERLINK("http://x/","y")', "=cmd|' /C calc'!A0"])
def test_formula_looking_text_gets_a_leading_apostrophe(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "+3", "-0", "1e5", "-.5", "华东精密", "Acme = good", "", 42, -7, None])
def test_numbers_and_ordinary_text_are_left_alone(cell):
    assert safe_cell(cell) == cell


def test_the_lines_start_with_a_bom_and_read_back_as_text():
    raw = b"".join(csv_lines([["name", "amount"], ["=1+1", "-12.50"], ["上海", 3]]))

    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [
        ["name", "amount"], ["'=1+1", "-12.50"], ["上海", "3"]]
