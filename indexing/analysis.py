"""One text analysis for every search backend: folded words for Latin text, bigrams for Han.

    tokens("ＡＣＭＥ 數控機床 Café")  ->  ["acme", "数控", "控机", "机床", "cafe"]

The chain, in order (the OpenSearch mapping in backends/opensearch.py spells the same chain
with built-in filters, and the contract suite checks both agree):

1. **Fold** each character: full-width ASCII to half-width and half-width katakana to full-width
   (Lucene's ``cjk_width``), Latin letters to their unaccented base (``asciifolding``), a small
   table of traditional Han characters to their simplified form (a ``mapping`` char filter in
   OpenSearch), then lowercase.
2. **Split** into runs of CJK characters (Han, kana, Hangul) and words (letters and digits; a
   ``.`` or ``'`` joins letters to letters and a ``.`` or ``,`` joins digits to digits, as
   Unicode word segmentation does, so ``3.5``, ``1,000`` and ``can't`` stay whole).
3. **Bigram** each CJK run into overlapping pairs; a run of one character stays a unigram
   (Lucene's ``cjk_bigram``). Whole texts are never n-grammed: ``payment terms`` is two words.
4. **Stem** every word with the Snowball English stemmer (porter2), so ``contracts``,
   ``contracting`` and ``contract`` are one token: `stem()` runs tantivy's ``stemmer`` filter
   (the embedded index registers the same filter and stems as it writes); OpenSearch's mapping
   uses Lucene's ``stemmer`` filter with language ``porter2``. CJK tokens and numbers pass unchanged.

A single Han character (``机``) is not a word of its own in this analysis: the backends match it
against the bigram field wherever it stands (see ``Match.is_single_han`` in query.py).

Every token's position is its index in the list, so a phrase is a run of consecutive tokens and a
Chinese substring (``控机`` inside ``数控机床``) is a phrase of its bigrams.

Simplified/traditional variants: `T2S` maps about 300 traditional characters that occur in
contracts, quotes and bids (報價 → 报价, 合約 → 合约, 數據 → 数据) to their simplified forms. A
character outside the table is matched only as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import tantivy

# --- traditional -> simplified, business vocabulary --------------------------------------------
# Pairs are written traditional then simplified; only characters that are traditional-only
# (never a different simplified word of their own) are listed, so folding is always safe.
_T2S_PAIRS = (
    "報报 價价 單单 號号 據据 點点 關关 與与 書书 標标 項项 貨货 購购 銷销 訂订 義义 務务 條条 約约 費费 "
    "總总 額额 稅税 發发 賬账 帳帐 戶户 應应 業业 產产 實实 際际 機机 構构 設设 備备 術术 電电 腦脑 網网 "
    "絡络 說说 話话 語语 認认 證证 許许 質质 檢检 驗验 測测 試试 數数 庫库 齊齐 東东 國国 門门 開开 會会 "
    "議议 記记 錄录 審审 準准 時时 間间 長长 達达 運运 輸输 車车 廠厂 區区 園园 華华 為为 個个 們们 來来 "
    "對对 這这 進进 經经 濟济 營营 財财 預预 結结 雜杂 維维 護护 險险 養养 樣样 規规 範范 類类 別别 壓压 "
    "軟软 體体 線线 纜缆 鋼钢 鐵铁 銅铜 鋁铝 屬属 圖图 紙纸 員员 職职 責责 負负 擔担 歸归 還还 償偿 賠赔 "
    "違违 錢钱 幣币 匯汇 銀银 貸贷 灣湾 廣广 蘇苏 滬沪 溫温 簽签 擬拟 傳传 郵邮 處处 辦办 級级 狀状 態态 "
    "緊紧 優优 餘余 階阶 計计 劃划 畫画 週周 節节 續续 終终 權权 專专 彙汇 領领 導导 環环 現现 場场 隊队 "
    "團团 組组 織织 裝装 倉仓 儲储 貿贸 積积 極极 穩稳 籤签 蓋盖 執执 稱称 碼码 聯联 繫系 係系 顧顾 問问 "
    "題题 轉转 換换 變变 動动 勢势 筆笔 採采 請请 詢询 訊讯 聲声 響响 視视 頻频 顯显 鍵键 盤盘 藥药 醫医 "
    "療疗 衛卫 輛辆 製制 鐘钟 錶表 臺台 區区 縣县 鄉乡 鎮镇 號号 樓楼 層层 廳厅 閱阅 讀读 寫写 譯译 簡简 "
    "介介 紹绍 詳详 細细 說说 明明 補补 充充 變变 更更 確确 認认 損损 壞坏 換换 貨货 車车 倉仓 "
    "擴扩 張张 縮缩 減减 漲涨 價价 當当 幾几 萬万 億亿 兩两 麼么 們们 從从 後后 讓让 給给 聽听 "
    "買买 賣卖 贈赠 賺赚 虧亏 損损 賬账 滿满 額额 億亿 鑒鉴 鑑鉴 險险 斷断 續续 紀纪 綫线 "
    "創创 興兴 啟启 動动 勞劳 務务 薪薪 資资 獎奖 懲惩 罰罚 訴诉 訟讼 詞词 條条 款款 附附 "
    "區区 域域 總总 部部 倫伦 敦敦 紐纽 約约 歐欧 洲洲 亞亚 澳澳 門门 韓韩 馬马 來来 "
    "氣气 燈灯 熱热 電电 爐炉 鍋锅 閥阀 軸轴 輪轮 齒齿 傳传 鏈链 壓压 縮缩 鑽钻 銑铣 磨磨 "
    "車车 刀刀 具具 控控 數数 床床 構构 築筑 礎础 線线 纖纤 維维 塑塑 膠胶 漆漆 塗涂 層层 "
    "濾滤 淨净 潔洁 濕湿 燒烧 煙烟 爆爆 炸炸 災灾 術术 醫医 護护 藝艺 農农 礦矿 運运 營营 "
    "務务 貨货 櫃柜 箱箱 夥伙 伴伴 協协 會会 盟盟 軍军 隊队 衛卫 備备 戰战 鬥斗 勝胜 敗败 "
    "順顺 利利 願愿 歡欢 迎迎 謝谢 對对 錯错 題题 獲获 奪夺 雙双 併并 並并 們们 齡龄 鏡镜 "
    "響响 驅驱 騰腾 訊讯 聞闻 廣广 告告 傳传 媒媒 圖图 館馆 飯饭 飲饮 餐餐 廳厅 賓宾 "
    "銷销 售售 項项 標标 辦办 處处 證证 據据 齊齐 錄录 綜综 徵征 稅税 圓圆 園园 鐵铁 "
    "資资 產产 負负 債债 權权 益益 潤润 預预 測测 評评 估估 審审 計计 帳帐 簿簿 憑凭 據据"
)
T2S: dict[str, str] = {}
for _pair in _T2S_PAIRS.split():
    _traditional, _simplified = _pair[0], _pair[1]
    if _traditional != _simplified:
        T2S[_traditional] = _simplified

# Characters bigrammed as CJK: CJK symbols' ideographic marks, kana, Han (BMP blocks and the
# supplementary planes), compatibility ideographs and Hangul syllables.
_CJK_RANGES = (
    "\u3005\u3007"
    "\u3040-\u309f"  # hiragana
    "\u30a0-\u30ff"  # katakana
    "\u3400-\u4dbf"  # Han extension A
    "\u4e00-\u9fff"  # Han
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003134f"  # Han extensions B-G
)
_CJK = f"[{_CJK_RANGES}]"
_LETTER = rf"[^\W\d{_CJK_RANGES}]"  # a letter or underscore, not CJK
_ALNUM = rf"[^\W{_CJK_RANGES}]"
_JOIN = rf"(?:(?<={_LETTER})[.'\u2019](?={_LETTER})|(?<=\d)[.,](?=\d))"
_WORD_RE = re.compile(rf"{_ALNUM}+(?:{_JOIN}{_ALNUM}+)*")
# Between CJK runs there is no CJK left, so plain \w (much faster to match) means the same there.
_WORD_OR_SENTINEL_RE = re.compile(r"\x02|\w+(?:(?:(?<=[^\W\d])['.\u2019](?=[^\W\d])|(?<=\d)[.,](?=\d))\w+)*")
_CJK_RUN_RE = re.compile(f"{_CJK}+")
_CJK_SPLIT_RE = re.compile(f"({_CJK}+)")
# The same word rule for pure-ASCII text, which is most English text (much faster).
_ASCII_WORD_RE = re.compile(
    r"[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z_])[.'](?=[A-Za-z_])|(?<=[0-9])[.,](?=[0-9]))[A-Za-z0-9_]+)*"
)
# Looser versions of the two rules above that join across any joining character (no look-arounds:
# about twice as fast). A loose token is always one exact token or several glued by a joining
# character the exact rule refuses ("terms.The", "a.1"), so re-reading only the loose tokens that
# hold a joining character with the exact rule gives exactly the exact rule's tokens.
_ASCII_LOOSE_RE = re.compile(r"[A-Za-z0-9_]+(?:[.,'][A-Za-z0-9_]+)*")
_LOOSE_OR_SENTINEL_RE = re.compile(r"\x02|\w+(?:[.,'\u2019]\w+)*")
_JOINING_RE = re.compile(r"[.,'\u2019]")
_TOKEN_WITH_JOINING_RE = re.compile(r"[^ ]*[.,'\u2019][^ ]*")

MAX_TOKEN_CHARS = 255
_SPECIAL_FOLDS = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
    "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i",
    "\u3000": " ",
}


def _build_fold_table() -> tuple[dict[int, str | None], dict[int, str]]:
    """(fold, one_char_fold): the folding map, and a length-preserving variant for highlighting."""
    table: dict[int, str | None] = {}
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in range(0xFF61, 0xFFA0):  # half-width katakana and CJK punctuation
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1:
            table[cp] = folded
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        char = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and base != char and base.isascii():
            table[cp] = base
    for cp in range(0x0300, 0x0370):  # stray combining marks
        table[cp] = None
    for char, folded in _SPECIAL_FOLDS.items():
        table[ord(char)] = folded
    for traditional, simplified in T2S.items():
        table[ord(traditional)] = simplified
    table[0x0130] = "i"  # İ lowercases to two characters otherwise
    one_char = {cp: (value[0] if value else " ") for cp, value in table.items()}
    return table, one_char


FOLD_TABLE, _ONE_CHAR_FOLD = _build_fold_table()


def _char_class(codepoints) -> str:
    """A regex character class matching exactly `codepoints`, written as ranges."""
    points = sorted(codepoints)
    parts, start, previous = [], points[0], points[0]
    for cp in points[1:] + [None]:
        if cp is not None and cp == previous + 1:
            previous = cp
            continue
        parts.append(re.escape(chr(start)) if start == previous else f"{re.escape(chr(start))}-{re.escape(chr(previous))}")
        if cp is not None:
            start = previous = cp
    return "[" + "".join(parts) + "]"


# Substituting only the characters that fold is far faster than str.translate over CJK text.
_FOLDABLE_RE = re.compile(_char_class(FOLD_TABLE))


def _fold_match(match: re.Match) -> str:
    return FOLD_TABLE[ord(match.group())] or ""


def _fold_one_char(match: re.Match) -> str:
    return _ONE_CHAR_FOLD[ord(match.group())]


# Full-width punctuation that Chinese text is full of (a comma in every sentence): replaced with
# str.replace first, which costs far less than one regex callback per occurrence.
_FREQUENT_FOLDS = tuple((char, FOLD_TABLE[ord(char)]) for char in "，：；（）！？\u3000")


def fold(text: str) -> str:
    """Width-, accent-, variant- and case-folded text (its length may change)."""
    if text.isascii():
        return text.lower()
    for char, folded in _FREQUENT_FOLDS:
        if char in text:
            text = text.replace(char, folded)
    return _FOLDABLE_RE.sub(_fold_match, text).lower()


def fold_same_length(text: str) -> str | None:
    """Folded text in which every character stays at its offset (for highlighting), or None."""
    if text.isascii():
        return text.lower()
    folded = _FOLDABLE_RE.sub(_fold_one_char, text).lower()
    return folded if len(folded) == len(text) else None


_SPACE_UTF32 = " ".encode("utf-32-le")


def _bigram_string(run: str) -> str:
    """ "数控机床" -> "数控 控机 机床", built with byte slicing (five times faster than a loop)."""
    count = len(run) - 1
    if count < 1:
        return run
    data = run.encode("utf-32-le")
    first, second = data[:-4], data[4:]
    out = bytearray(12 * count)
    for lane in range(4):
        out[lane::12] = first[lane::4]
        out[4 + lane :: 12] = second[lane::4]
        out[8 + lane :: 12] = _SPACE_UTF32[lane : lane + 1] * count
    return out[:-4].decode("utf-32-le")


def _words(text: str, pattern: re.Pattern) -> list[str]:
    words = pattern.findall(text)
    if words and max(map(len, words)) > MAX_TOKEN_CHARS:
        words = [word for word in words if len(word) <= MAX_TOKEN_CHARS]
    return words


def _word_string(text: str, loose: re.Pattern, exact: re.Pattern) -> str:
    """ " ".join(_words(text, exact)), computed with the loose rule and corrected where it differs."""
    words = loose.findall(text)
    if not words:
        return ""
    if max(map(len, words)) > MAX_TOKEN_CHARS:  # rare: the exact rule, then the length limit
        return " ".join(_words(text, exact))
    joined = " ".join(words)
    if _JOINING_RE.search(joined) is None:
        return joined
    return _TOKEN_WITH_JOINING_RE.sub(lambda match: " ".join(exact.findall(match.group())), joined)


def token_string(text: str) -> str:
    """The analyzed tokens joined by single spaces (what the embedded engine indexes).

    Built with whole-string operations, because per-token Python work would make indexing several
    times slower: the text is split into CJK runs and the rest; the words of all the rest come from
    one regex pass (a sentinel marks where each run goes); the bigrams of all runs come from one
    pass over the runs joined by a separator, each run's bigrams being a slice of that string.
    """
    if not text:
        return ""
    if text.isascii():
        return _word_string(text.lower(), _ASCII_LOOSE_RE, _ASCII_WORD_RE)
    parts = _CJK_SPLIT_RE.split(fold(text))  # other text, CJK run, other text, ...
    if len(parts) == 1:
        return " ".join(_words(parts[0], _WORD_RE))
    runs = parts[1::2]
    # the words of everything between runs, "\x02" standing where each run goes
    segments = _word_string("\x02".join(parts[0::2]), _LOOSE_OR_SENTINEL_RE, _WORD_OR_SENTINEL_RE).split("\x02")
    # "数控机床\0合同" -> "数控 控机 机床 床\0 \0合 合同": run k's bigrams are a slice of it.
    pairs = _bigram_string("\0".join(runs))
    first = segments[0].strip()
    pieces = [first] if first else []
    append = pieces.append
    start = 0
    for index, run in enumerate(runs, 1):
        length = len(run)
        append(run if length == 1 else pairs[3 * start : 3 * (start + length - 1) - 1])
        start += length + 1
        segment = segments[index].strip()
        if segment:
            append(segment)
    return " ".join(pieces)


STEMMER_LANGUAGE = "english"  # Snowball English (porter2); Lucene's name for it is "porter2"


def stem_analyzer():
    """Whitespace-split tokens through the Snowball English stemmer: step 4 of the chain, and the
    analyzer the embedded index registers for its text fields."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
            .filter(tantivy.Filter.stemmer(STEMMER_LANGUAGE)).build())


_STEMMER = stem_analyzer()


def stem(joined_tokens: str) -> list[str]:
    """The stemmed tokens of a `token_string` (same count, same order)."""
    return _STEMMER.analyze(joined_tokens) if joined_tokens else []


def tokens(text: str) -> list[str]:
    """The analyzed (and stemmed) tokens of `text`, in order; a token's position is its index.

    `token_string` is the same chain before stemming: what the embedded index is given (it stems
    as it writes)."""
    return stem(token_string(text))


def is_cjk(char: str) -> bool:
    return bool(_CJK_RUN_RE.fullmatch(char))


def is_single_han(token: str) -> bool:
    """A query token that is one CJK character (a lone 机): matched wherever the character stands."""
    return len(token) == 1 and is_cjk(token)


def _build_variants() -> dict[str, str]:
    """For each folded character, every character that folds to it (ＡａÀà... for a; 報 for 报)."""
    variants: dict[str, set[str]] = {}
    for cp, folded in FOLD_TABLE.items():
        if folded and len(folded) == 1:
            variants.setdefault(folded.lower(), set()).add(chr(cp))
    for cp in range(0x20, 0x7F):
        char = chr(cp)
        variants.setdefault(char.lower(), set()).update({char, char.upper()})
    return {key: "".join(sorted(chars | {key})) for key, chars in variants.items()}


_VARIANTS = _build_variants()


def _surface_pattern(term: str) -> str:
    parts = []
    for char in term:
        chars = _VARIANTS.get(char)
        parts.append(f"[{re.escape(chars)}]" if chars and len(chars) > 1 else re.escape(char))
    return "".join(parts)


@lru_cache(maxsize=256)
def _compiled_highlight(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(_surface_pattern(term) for term in terms))


def highlight_patterns(terms: list[str]) -> re.Pattern | None:
    """A regex over the *original* text finding every surface form of analyzed (folded) terms.

    Each character becomes the class of all characters folding to it (报 -> [报報], a -> [aAＡａÀ…]),
    so long texts are never folded for highlighting. Whether a word match stands alone (not inside
    a longer word) is checked by `is_whole_word`.
    """
    unique = tuple(sorted({term for term in terms if term}, key=lambda t: (-len(t), t)))
    return _compiled_highlight(unique) if unique else None


def ascii_highlight_pattern(terms: list[str]) -> re.Pattern | None:
    """The terms that can occur in pure-ASCII text, as literals to find in that text lowercased.

    For ASCII text folding is lowercasing, and lowercasing keeps every offset; a regex of plain
    literals lets `re` skip ahead by their first characters, where the character classes of
    `highlight_patterns` must be tried at every position (about five times slower on English text).
    """
    unique = tuple(sorted({term for term in terms if term and term.isascii()}, key=lambda t: (-len(t), t)))
    return _compiled_ascii_highlight(unique) if unique else None


@lru_cache(maxsize=512)
def _compiled_ascii_highlight(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(term) for term in terms))


def _is_word_char(char: str) -> bool:
    return (char.isalnum() or char == "_") and not _CJK_RUN_RE.match(char)


def is_whole_word(folded: str, start: int, end: int) -> bool:
    """True when folded[start:end] is a CJK match, or a word not glued to other letters or digits."""
    if _CJK_RUN_RE.match(folded, start, start + 1):
        return True
    if start > 0 and _is_word_char(folded[start - 1]):
        return False
    return not (end < len(folded) and _is_word_char(folded[end]))


def surface_terms(text: str) -> list[str]:
    """What to look for when highlighting `text`'s matches: folded words and whole CJK runs.

    ``数控机床 ACME`` gives ``["数控机床", "acme"]`` (a highlight marks the run, not its bigrams).
    """
    out: list[str] = []
    for index, part in enumerate(_CJK_SPLIT_RE.split(fold(text or ""))):
        if index % 2:
            out.append(part)
        elif part:
            out.extend(word for word in _WORD_RE.findall(part) if len(word) <= MAX_TOKEN_CHARS)
    return out
