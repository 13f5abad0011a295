"""Amounts as the demo's Chinese contracts write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from demo.compose.formats import rmb_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1280000", "壹佰贰拾捌万元整"),
        ("10005", "壹万零伍元整"),
        ("100000500", "壹亿零伍佰元整"),
        ("1010", "壹仟零壹拾元整"),
        ("3.50", "叁元伍角"),
        ("100.05", "壹佰元零伍分"),
        ("0", "零元整"),
    ],
)
def test_amounts_in_chinese_words(amount, words):
    # given an amount, when it is written out as on a Chinese contract, then the words match
    assert rmb_in_words(Decimal(amount)) == words
