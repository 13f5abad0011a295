"""backend.common.text: one visible line from whatever people type or send."""

from __future__ import annotations

import pytest

from backend.common.text import clean_line, clean_multiline, header_safe


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ACME\r\nBcc: x@evil.test", "ACME Bcc: x@evil.test"),  # line breaks become one space
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override
        ("\u202a\u202b\u202c\u202d\u202eA\u2066\u2067\u2068\u2069", "A"),  # every bidi override and isolate
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zerowidth"),  # zero-width characters and the BOM
        ("bell\x07 nul\x00 del\x7f c1\x85\x9b end", "bell nul del c1 end"),  # C0, DEL and C1 controls
        ("  tab\tand   spaces  ", "tab and spaces"),
        ("上海华东精密机械有限公司", "上海华东精密机械有限公司"),  # every visible script stays
        ("Cafe\u0301", "Café"),  # NFC
        ("", ""),
        (None, ""),
    ],
)
def test_clean_line_keeps_only_visible_text_on_one_line(raw, clean):
    assert clean_line(raw) == clean


def test_clean_multiline_keeps_line_breaks_and_drops_the_rest():
    assert clean_multiline("first\r\nsecond\u202e\rthird\x00\tend ") == "first\nsecond\nthird\tend"


def test_header_safe_text_never_holds_a_line_break():
    assert header_safe("Invitation: ACME\r\nBcc: x@evil.test\n") == "Invitation: ACME Bcc: x@evil.test"
