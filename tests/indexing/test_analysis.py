"""The one analysis: folded words for Latin text, overlapping bigrams for Han, never whole-text n-grams."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexing import analysis


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Payment Terms: net 60 days.", ["payment", "terms", "net", "60", "days"]),
        ("ＡＣＭＥ Ｃｏｒｐ ６０", ["acme", "corp", "60"]),
        ("Café Zürich Straße Œuvre", ["cafe", "zurich", "strasse", "oeuvre"]),
        ("数控机床", ["数控", "控机", "机床"]),
        ("合同", ["合同"]),
        ("A 合 B", ["a", "合", "b"]),
        ("ACME合同2026版", ["acme", "合同", "2026", "版"]),
        ("報價單", ["报价", "价单"]),
        ("合同，报价", ["合同", "报价"]),
        ("3.5mm 1,000.50 can't U.S.A.", ["3.5mm", "1,000.50", "can't", "u.s.a"]),
        ("e-mail foo_bar", ["e", "mail", "foo_bar"]),
        ("ｶﾀｶﾅ", ["カタ", "タカ", "カナ"]),
        ("東京都は、日本", ["东京", "京都", "都は", "日本"]),
        ("", []),
        ("  ,.;  ", []),
    ],
)
def test_tokens(text, tokens):
    # the words before stemming (what the embedded index is given; it stems them as it writes)
    assert analysis.token_string(text).split() == tokens


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Payment Terms: net 60 days.", ["payment", "term", "net", "60", "day"]),
        ("contracts contracting CONTRACTED contract", ["contract"] * 4),
        ("agreements ＡＧＲＥＥＭＥＮＴＳ", ["agreement", "agreement"]),
        ("数控机床 合同 3.5mm", ["数控", "控机", "机床", "合同", "3.5mm"]),
    ],
)
def test_tokens_are_stemmed_english_words_and_unchanged_cjk(text, tokens):
    assert analysis.tokens(text) == tokens
    assert len(analysis.tokens(text)) == len(analysis.token_string(text).split())  # positions are kept


def test_whole_texts_are_never_n_grammed():
    # The bug this design avoids: an ngram(2,3) tokenizer made "payment terms" match everything.
    tokens = analysis.tokens("payment terms")

    assert tokens == ["payment", "term"]
    assert not set(tokens) & set(analysis.tokens("pay mentor termite"))


def test_over_long_tokens_are_dropped():
    assert analysis.tokens("x" * 300 + " ok") == ["ok"]


def test_token_string_is_the_tokens_joined_by_spaces():
    text = "供货合同 Supply ＡＣＭＥ 報價"
    assert analysis.stem(analysis.token_string(text)) == analysis.tokens(text)


def test_surface_terms_keep_chinese_runs_whole_for_highlighting():
    assert analysis.surface_terms("数控机床 ＡＣＭＥ") == ["数控机床", "acme"]


def test_same_length_folding_keeps_offsets():
    text = "ＡＣＭＥ 報價 İstanbul Café"
    folded = analysis.fold_same_length(text)

    assert len(folded) == len(text)
    assert folded.startswith("acme 报价 istanbul cafe")


def test_the_variant_table_is_traditional_to_simplified_only():
    assert analysis.T2S["報"] == "报" and analysis.T2S["價"] == "价"
    assert all(t != s for t, s in analysis.T2S.items())
    assert not set(analysis.T2S) & set(analysis.T2S.values())  # folding is idempotent


@given(st.text(max_size=200))
def test_tokens_never_contain_spaces_and_are_stable_under_refolding(text):
    tokens = analysis.tokens(text)

    assert all(token and " " not in token for token in tokens)
    assert analysis.tokens(analysis.fold(text)) == tokens


_ALPHABET = st.sampled_from(list("数控机床合同報價单ＡＣＭＥ６０ac Zé.,'’-_1 9，。：（）！？；\u3000\n\tİßｶﾀ") + ["𠀀"])
_ASCII_ALPHABET = st.sampled_from(list("abZ_09.,'- \n"))


def _reference_tokens(text: str) -> list[str]:
    """The analysis written the slow, obvious way: every run and word, one at a time."""
    import re

    cjk = analysis._CJK
    word = rf"{analysis._ALNUM}+(?:{analysis._JOIN}{analysis._ALNUM}+)*"
    out: list[str] = []
    folded = text.translate(analysis.FOLD_TABLE).lower()
    for run, token in re.findall(rf"({cjk}+)|({word})", folded):
        if run:
            out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        elif len(token) <= analysis.MAX_TOKEN_CHARS:
            out.append(token)
    return out


@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_the_fast_analysis_equals_the_obvious_one(text):
    assert analysis.token_string(text).split() == _reference_tokens(text)


@given(st.text(alphabet=_ASCII_ALPHABET, max_size=80))
def test_the_fast_ascii_analysis_equals_the_obvious_one(text):
    assert analysis.token_string(text).split() == _reference_tokens(text)


def test_joining_characters_join_only_between_letters_or_between_digits():
    text = "Terms.The net 1,000.50 e.g. can't a.1 1'2 x,y"
    assert analysis.token_string(text).split() == _reference_tokens(text) == [
        "terms.the", "net", "1,000.50", "e.g", "can't", "a", "1", "1", "2", "x", "y"]
    assert analysis.token_string(text + " 合同").split() == _reference_tokens(text + " 合同")
