"""Snippets and highlighted titles: escaped HTML, <mark> around matches, the best window."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indexing import highlight
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


_ascii_words = st.sampled_from(["net", "60", "Net", "NET", "payment", "Payments", "terms", "o'brien", "3.5", "a_b",
                                "x", "ACME", "acme-corp"])


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_ascii_words, max_size=30), separators=st.lists(st.sampled_from([" ", "\n", ", ", "-", ""]),
       min_size=30, max_size=30), terms=st.lists(st.sampled_from(["net", "60", "payment", "terms", "acme", "o'brien",
                                                                   "3.5", "数控", "café", "x"]), min_size=1, max_size=4))
def test_ascii_text_is_matched_exactly_as_the_variant_pattern_matches_it(words, separators, terms):
    # given an ASCII text (the fast path lowercases it and looks for literals)
    text = "".join(word + sep for word, sep in zip(words, separators))
    marker = highlight.Highlighter(terms)
    # when its matches are found, then they are the ones the variant pattern finds in the text as it is
    assert marker._scan(marker.ascii_pattern, text.lower(), text) == marker._scan(marker.pattern, text, text)


def test_other_forms_of_an_english_word_are_marked():
    marker = highlight.Highlighter(["agreement"])

    assert marker.highlight_all("Agreements and agreement, not agreeable") == \
        "<mark>Agreements</mark> and <mark>agreement</mark>, not agreeable"


def test_a_word_and_its_stem_count_as_one_word_so_the_scan_stops_once_each_word_was_seen():
    # given a long text where both words of the query come early and often, and a query that
    # carries each English word with its stem ("deliveri" never occurs in a text)
    from indexing.query import parse

    terms = parse("delivery schedule").highlight_terms
    assert "deliveri" in terms
    text = "The delivery schedule is attached. " * 400

    # when the matches are looked for
    found = highlight.Highlighter(terms).matches(text)

    # then the scan stopped soon after every word was seen, not at the cap or the end of the text
    assert {text[start:end] for start, end, _ in found} == {"delivery", "schedule"}
    assert len(found) < 20
    assert found[-1][1] < 1000
    # and the snippet is the same window as before
    assert snippet(text, terms, size=60).startswith("The <mark>delivery</mark> <mark>schedule</mark>")
