"""Snippets with highlighted matches, computed from stored text (the embedded backend and titles).

The text is folded character by character (same length, so offsets stay put), the query's
surface terms are found with one regular expression, and the window of `size` characters holding
the most distinct terms is cut out, HTML-escaped, with <mark> around each match.
"""

from __future__ import annotations

import re
from html import escape

from indexing import analysis

MAX_MATCHES = 50  # enough to choose a window; frequent words would otherwise cost a lot
ELLIPSIS = "…"


def _render(text: str, start: int, end: int, matches) -> str:
    out, at = [], start
    for m_start, m_end, _ in matches:
        if m_start < start or m_end > end:
            continue
        out.append(escape(text[at:m_start]))
        out.append(f"<mark>{escape(text[m_start:m_end])}</mark>")
        at = m_end
    out.append(escape(text[at:end]))
    return "".join(out)


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class Highlighter:
    """A query's terms, compiled once for every title, file name and snippet of one request."""

    def __init__(self, terms):
        terms = list(terms)
        self.pattern = analysis.highlight_patterns(terms)
        self.ascii_pattern = analysis.ascii_highlight_pattern(terms)
        # A query gives each English word with its stem ("terms" and "term", "delivery" and
        # "deliveri"): both stand for one word of the query, and a stem such as "deliveri" never
        # occurs in a text. The scan stops early once every *word* was seen, so a stem counts as
        # the word it came from; counted apart, the early stop never came and every long text was
        # scanned to its end.
        self._word_of = _words_of(terms)
        self.wanted = len(set(self._word_of.values()))
        self._folded: dict[str, str] = {}  # surface form of a match -> the term it stands for
        # Other forms of the English words (agreements for agreement): a word starting with a term's
        # stem is marked when its own stem is that stem.
        self.stems = {stem for stem in analysis.stem(" ".join(t for t in terms if t and t.isascii()
                                                              and t.replace("_", "").isalpha()))}
        # one literal-prefix pattern per stem: re finds a literal fast, an alternation of them slowly
        self.stem_patterns = [re.compile(re.escape(stem) + "[a-z]*") for stem in sorted(self.stems)[:8]]
        self._stem_of: dict[str, str] = {}  # a lowered word -> its stem ("" for none)

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """Matches of the terms in `text` as (start, end, folded term), stopping once every term has
        been seen or MAX_MATCHES were found. A long text is never folded: the pattern knows the
        variants; pure-ASCII text (most English) is only lowercased, for the faster literal pattern."""
        if not text:
            return []
        lowered = None
        if text.isascii():
            lowered = text.lower()
            found = self._scan(self.ascii_pattern, lowered, text)
        else:
            found = self._scan(self.pattern, text, text)
        if not self.stem_patterns:
            return found
        # When the scan stopped early (every term seen, enough matches), the window lies among those
        # matches: other forms further on could not change it, so they are not looked for there.
        word_of = self._word_of
        stopped = len(found) >= MAX_MATCHES or (
            len(found) >= 8 and len({word_of.get(m[2], m[2]) for m in found}) >= self.wanted)
        return self._with_other_forms(text, found, lowered=lowered,
                                      until=found[-1][1] + 400 if stopped else len(text))

    def _with_other_forms(self, text: str, found: list[tuple[int, int, str]], *, lowered: str | None = None,
                          until: int) -> list[tuple[int, int, str]]:
        lowered = text.lower() if lowered is None else lowered
        if len(lowered) != len(text):  # offsets would move (rare letters): only the forms as typed
            return found
        forms: list[tuple[int, int, str]] = []
        # Like _scan, a few of each stem's forms are enough to choose a window; the rest of a long
        # text is not read.
        per_stem = max(8, MAX_MATCHES // len(self.stem_patterns))
        stem_of = self._stem_of
        for pattern in self.stem_patterns:
            kept = 0
            for match in pattern.finditer(lowered, 0, until):
                start, end = match.span()
                if (start and _word_char(lowered[start - 1])) or (end < len(lowered) and _word_char(lowered[end])):
                    continue
                word = match.group()
                stem = stem_of.get(word)
                if stem is None:
                    stems = analysis.stem(word)
                    stem = stem_of[word] = stems[0] if stems else ""
                if stem in self.stems:
                    forms.append((start, end, stem))
                    kept += 1
                    if kept >= per_stem:
                        break
        if not forms:
            return found
        # Forms first where both start at one word (a form names the stem, the match the word); never
        # two marks over one word. Both lists hold whole words, so overlapping ones start together.
        merged: list[tuple[int, int, str]] = []
        for start, _priority, end, term in sorted([(f[0], 0, f[1], f[2]) for f in forms]
                                                  + [(m[0], 1, m[1], m[2]) for m in found]):
            if not merged or start >= merged[-1][1]:
                merged.append((start, end, term))
        return merged

    def _scan(self, pattern, haystack: str, text: str) -> list[tuple[int, int, str]]:
        if pattern is None:
            return []
        wanted, folded, word_of = self.wanted, self._folded, self._word_of
        found: list[tuple[int, int, str]] = []
        seen: set[str] = set()
        whole_word = analysis.is_whole_word
        for match in pattern.finditer(haystack):
            start, end = match.span()
            if whole_word(text, start, end):
                surface = match.group()
                term = folded.get(surface)
                if term is None:
                    term = folded[surface] = analysis.fold_same_length(surface) or surface
                found.append((start, end, term))
                seen.add(word_of.get(term, term))
                if len(found) >= MAX_MATCHES or (len(seen) >= wanted and len(found) >= 8):
                    break
        return found

    def highlight_all(self, text: str) -> str:
        """All of a short text (a title, a file name), escaped, with every match marked."""
        return _render(text, 0, len(text), self.matches(text))

    def snippet(self, text: str, size: int = 200) -> str:
        """The best window of about `size` characters of `text`, escaped, matches marked.

        With no match the text's beginning is returned (so every hit shows something).
        """
        if not text:
            return ""
        matches = self.matches(text)
        if not matches:
            head = text[:size]
            return _compact_html(escape(head)) + (ELLIPSIS if len(text) > size else "")
        # Slide a window of `size` characters over the matches; keep the one with most distinct terms.
        best_start, best_score = matches[0][0], 0
        counts: dict[str, int] = {}
        right = 0
        for start, _, term in matches:
            while right < len(matches) and matches[right][1] <= start + size:
                counts[matches[right][2]] = counts.get(matches[right][2], 0) + 1
                right += 1
            if len(counts) > best_score:
                best_start, best_score = start, len(counts)
            counts[term] -= 1
            if not counts[term]:
                del counts[term]
        # Open the window a little before the first match, at the start of a word when one is near.
        window_start = max(0, best_start - size // 4)
        if window_start > 0:
            for index in range(window_start, best_start):
                if text[index].isspace():
                    window_start = index + 1
                    break
        window_end = min(len(text), window_start + size)
        # Never cut a match in half.
        for m_start, m_end, _ in matches:
            if m_start < window_end < m_end:
                window_end = m_end
        body = _render(text, window_start, window_end, matches)
        prefix = ELLIPSIS if window_start > 0 else ""
        suffix = ELLIPSIS if window_end < len(text) else ""
        return prefix + _compact_html(body) + suffix


def _words_of(terms: list[str]) -> dict[str, str]:
    """{term: the query word it stands for}: a term that is the stem of another term stands for that
    other term; every other term for itself."""
    unique = [term for term in dict.fromkeys(terms) if term]
    word_of = {term: term for term in unique}
    for term in unique:
        if term.isascii() and term.replace("_", "").isalpha():
            stems = analysis.stem(term)
            stem = stems[0] if stems else ""
            if stem and stem != term and stem in word_of and word_of[stem] == stem:
                word_of[stem] = term
    return word_of


def highlight_all(text: str, terms) -> str:
    """All of a short text (a title, a file name), escaped, with every match marked."""
    return Highlighter(terms).highlight_all(text)


def snippet(text: str, terms, size: int = 200) -> str:
    """The best window of about `size` characters of `text`, escaped, matches marked."""
    return Highlighter(terms).snippet(text, size)


def _compact_html(html: str) -> str:
    # Newlines and runs of spaces in the source read badly in a one-line snippet.
    return " ".join(html.split())
