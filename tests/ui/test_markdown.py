"""Knowledge articles' Markdown as HTML (backend/ui/markdown.py and the `markdown` filter of ui_markdown):
formatting renders, nothing typed can become a tag, an attribute or a script link, images are not fetched."""

from __future__ import annotations

import pytest
from django.template import engines

from backend.ui.markdown import markdown_html


def _render(text: str) -> str:
    return engines["django"].from_string("{% load ui_markdown %}{{ body|markdown }}").render({"body": text})


def test_the_filter_renders_lists_emphasis_code_and_headings_under_the_page_title():
    html = _render("# Fix\n\n1. Home the turret.\n2. Run **M19** with `S500`.\n\n> Note")
    assert "<h2>Fix</h2>" in html
    assert "<ol>\n<li>Home the turret.</li>\n<li>Run <strong>M19</strong> with <code>S500</code>.</li>\n</ol>" in html
    assert "<blockquote>" in html


@pytest.mark.parametrize("text,never", [
    ("<script>alert(1)</script>", "<script"),
    ('<img src=x onerror="alert(1)">', "<img"),
    ("<a href='javascript:alert(1)'>x</a>", "<a "),
    ("[x](javascript:alert(1))", 'href="javascript'),
    ("[x](JaVaScRiPt:alert(1))", "href="),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href="),
    ("![logo](https://tracker.example/p.png)", "<img"),
    ('<div style="position:fixed">', "<div"),
])
def test_nothing_typed_becomes_markup(text, never):
    assert never not in _render(text).lower()


def test_web_links_are_kept_and_do_not_pass_the_reader_on():
    assert markdown_html("[manual](https://example.com/m.pdf)") == (
        '<p><a href="https://example.com/m.pdf" rel="nofollow noopener noreferrer">manual</a></p>\n')


def test_empty_text_is_empty():
    assert markdown_html(None) == "" and _render("") == ""
