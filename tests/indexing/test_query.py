"""The query language: what parses to what, and errors people can act on."""

from __future__ import annotations

import pytest

from indexing.query import And, Match, Not, Or, QuerySyntaxError, parse


def m(text, *tokens):
    return Match(text=text, tokens=tokens)


def test_words_are_anded_and_analyzed():
    parsed = parse("Payment ＴＥＲＭＳ")

    assert parsed.root == And((m("Payment", "payment"), m("ＴＥＲＭＳ", "term")))
    assert parsed.highlight_terms == ("payment", "terms", "term")  # as typed, and the stem


def test_phrases_and_chinese_runs_are_token_sequences():
    assert parse('"net 60"').root == m("net 60", "net", "60")
    assert parse("数控机床").root == m("数控机床", "数控", "控机", "机床")
    assert parse("報價").root == m("報價", "报价")


def test_operators_groups_and_negation():
    parsed = parse('(合同 OR contract) -draft NOT "price list"')

    assert parsed.root == And((
        Or((m("合同", "合同"), m("contract", "contract"))),
        Not(m("draft", "draft")),
        Not(m("price list", "price", "list")),
    ))
    assert parsed.highlight_terms == ("合同", "contract")


def test_empty_query_means_browse():
    assert parse("") is None
    assert parse("   ") is None


def test_lower_case_operator_words_are_just_words():
    assert parse("cash or card").root == And((m("cash", "cash"), m("or", "or"), m("card", "card")))


@pytest.mark.parametrize(
    "text, message",
    [
        ('"net 60', "quotation mark is not closed"),
        ("a OR", "OR needs something"),
        ("OR a", "OR needs something"),
        ("a AND", "AND needs something"),
        ("(a", "never closed"),
        ("a)", "without a matching"),
        ("()", "empty"),
        ("-", "must be followed"),
        ("NOT", "must be followed"),
        (",,, ;", "no words"),
        ("x" * 1001, "too long"),
        (" ".join(f"w{i}" for i in range(65)), "at most 64"),
    ],
)
def test_syntax_errors_say_what_is_wrong(text, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse(text)


def test_what_a_query_matched_is_explained():
    from indexing.query import Explanation, explain

    assert explain(parse('机 contracts "net 60" -draft')) == [
        Explanation(text="机", kind="character", stem="机"),
        Explanation(text="contracts", kind="stem", stem="contract"),
        Explanation(text="net 60", kind="exact"),
    ]
    assert parse("機").root.is_single_han and not parse("机床").root.is_single_han
