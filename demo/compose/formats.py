"""Money, dates and amounts in words, the way the demo's Chinese and English documents write them."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def money(amount: Decimal, currency: str = "CNY") -> str:
    symbol = {"CNY": "¥", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    return f"{symbol}{amount.quantize(CENT, ROUND_HALF_UP):,.2f}"


def _group_in_words(group: int) -> str:
    """1..9999 in financial Chinese numerals, without leading zeros."""
    words, zero = "", False
    for position in (3, 2, 1, 0):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _SMALL_UNITS[position]
    return words


def rmb_in_words(amount: Decimal) -> str:
    """An amount the way Chinese contracts and invoices write it: 1,280,000.50 -> 壹佰贰拾捌万元伍角."""
    fen_total = int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if fen_total < 0:
        raise ValueError("amounts in words are for non-negative amounts")
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    words, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(words)
            continue
        if words and (gap or group < 1000):
            words += "零"
        words += _group_in_words(group) + _BIG_UNITS[index]
        gap = False
    if words:
        words += "元"
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    return words


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def any_date(day: dt.date, lang: str) -> str:
    return zh_date(day) if lang == "zh" else en_date(day)
