"""OpenSearch's dossier_text analyzer gives exactly the tokens of indexing/analysis.py, on a real node.

The embedded index is written with analysis.tokens(); OpenSearch analyzes the same text itself with
the chain in indexing/backends/opensearch.py. Where the two token streams differ, one query finds
different versions on the two backends, so every text here must come out the same, token for token
and position for position.

Differences left on purpose (closing them needs a change to analysis.py, which also means
rebuilding every embedded index; none of them touches ordinary Chinese or English text):
- `_` alone ("Name: ____") is a token to analysis.py, nothing to UAX #29, which also never joins
  `_` to a word across `.` or `'` (analysis.py counts `_` as a letter there).
- Numbers that are not digits (², ½, ①) are word characters to analysis.py; the tokenizer drops them.
- Hangul is CJK to analysis.py (split from Latin letters and digits); to UAX #29 it is a letter, so
  2026년 is one word. Katakana glues to `_` in UAX #29 only.
- Emoji are tokens to the tokenizer and nothing to analysis.py.
- Python's lower() writes a final sigma (ς) at the end of a Greek word; Lucene writes σ.
- A word longer than 255 characters is dropped by both, leaving a position gap in OpenSearch only.
"""

from __future__ import annotations

import random
import uuid

import pytest

from indexing import analysis
from indexing.backends.opensearch import OpenSearchBackend


@pytest.fixture(scope="module")
def analyze(opensearch_node):
    """text -> [(token, position)] from the real node, on an index made with index_body()."""
    engine = OpenSearchBackend(opensearch_node.search_url(f"dossier-analysis-{uuid.uuid4().hex[:10]}"))
    engine.ping()  # creates the index

    def run(text: str) -> list[tuple[str, int]]:
        response = engine.client.indices.analyze(index=engine.index_name, body={"analyzer": "dossier_text",
                                                                              "text": text})
        return [(token["token"], token["position"]) for token in response["tokens"]]

    yield run
    engine.drop()
    engine.close()


def expected(text: str) -> list[tuple[str, int]]:
    return [(token, position) for position, token in enumerate(analysis.tokens(text))]


CASES = {
    "english": "The Payment Terms are net 60 days; see clause 4.2 (page 3).",
    "contractions_and_numbers": "can't O'Neil's 3.5 1,000 1.000,50 v2.0 2026-01-01 U.S.A. e.g.",
    "curly_apostrophe": "don’t it’s",
    "left_quote_is_no_apostrophe": "don‘t",
    "full_width": "ＡＣＭＥ Corp Net ６０ ＴＥＬ：０３－１２３４ Ｎｏ．１",
    "accents": "Café Zürich Straße Æon naïve ŁÓDŹ İstanbul mañana Øresund",
    "decomposed_accents": "Cafe\u0301 Zu\u0308rich",  # NFD, as macOS writes file names
    "chinese": "甲方与乙方签订本合同。五轴数控机床一台，报价有效期三十天。",
    "traditional": "報價單與合約 數據 機構",
    "mixed_scripts": "ACME合同 2026版 中文English混合Text中文 第1条 12月31日",
    "kana": "カタカナ テスト ｶﾀｶﾅ ひらがな ﾊﾟﾝ 日本語のテキスト",
    "lone_han": "A 合 B",
    "chinese_punctuation": "合同，报价；（注）“引号”、顿号：冒号",
    "ideographic_space": "\u3000全角スペース 合同\u3000报价",
    "colon_between_letters": "Re:Offer Subject:Quote role:admin ISO 9001:2015 10:30",
    "semicolon_between_digits": "1;2 3；4",
    "apostrophe_between_digits": "5'10 5’10 it's",
    "soft_hyphen": "pay\u00adment 合\u00ad同",
    "narrow_no_break_space": "1\u202f000 € prix\u202f:",
    "format_characters": "a\u200eb c\u200fd e\u2060f \ufeffstart a\u200cb a\u200db",
    "zero_width_space": "a\u200bb",
    "middle_dot": "a·b 约翰·史密斯",
    "ligatures": "ﬁnance ﬂow ﬀ",
    "urls_and_mail": "user@example.com http://acme.com/x?y=1 s3://k:s@host:9000/b",
    "symbols": "C++ C# .NET Node.js R&D Q&A $100.00 €1.000 3.5% #tag @name →",
    "file_name": "supply_agreement_v2 final.pdf",
    "long_word_cut_by_neither": "a" * 255 + " b",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_the_engine_tokenizes_like_analysis_py(analyze, text):
    assert analyze(text) == expected(text)


# Characters of Chinese and English business text, and the ones that used to split differently.
_ALPHABET = list(
    "abcXYZéüßÆ0123456789 .,'’‘-:;/@&#+%()合同报價价单数控機床甲乙方，。、：；（）６Ａｂ\u3000カかｶ"
    "\u00ad\u202f\u0301ﬁ"
) + ["  ", "\n"]


def test_random_texts_tokenize_alike(analyze):
    rng = random.Random(20260101)
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 16))) for _ in range(400)]

    results = [(text, analyze(text), expected(text)) for text in texts]

    differing = [(text, engine, python) for text, engine, python in results if engine != python]

    assert differing == []
