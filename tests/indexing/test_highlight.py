"""Snippets and highlighted titles: escaped HTML, <mark> around matches, the best window."""

from __future__ import annotations

from indexing.highlight import highlight_all, snippet


def test_snippet_picks_the_window_with_the_most_distinct_terms():
    text = "payment " + "filler " * 100 + "The payment terms are net 60. " + "filler " * 100

    result = snippet(text, ["payment", "terms", "60"], size=80)

    assert "<mark>payment</mark> <mark>terms</mark> are net <mark>60</mark>" in result
    assert result.startswith("…") and result.endswith("…")


def test_snippet_escapes_html_and_folds_width_and_variants():
    text = "<b>ＡＣＭＥ</b> 報價單 & more"

    result = snippet(text, ["acme", "报价"])

    assert result == "&lt;b&gt;<mark>ＡＣＭＥ</mark>&lt;/b&gt; <mark>報價</mark>單 &amp; more"


def test_words_match_whole_chinese_anywhere():
    assert highlight_all("paymaster payment", ["pay", "payment"]) == "paymaster <mark>payment</mark>"
    assert highlight_all("五轴数控机床", ["控机"]) == "五轴数<mark>控机</mark>床"


def test_no_match_shows_the_beginning():
    assert snippet("first words\n\nsecond line " + "x " * 200, ["absent"], size=20) == "first words second…"
    assert snippet("", ["x"]) == ""


def test_matches_far_into_long_texts_are_found():
    text = "filler " * 5000 + "the payment terms"

    assert "<mark>payment</mark>" in snippet(text, ["payment"])
