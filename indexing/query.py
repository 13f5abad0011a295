"""The search box's query language, parsed once into a tree every backend compiles.

    payment terms            both words (AND is the default)
    "net 60"                 a phrase: the words next to each other, in order
    合同 OR 報價              either; Chinese runs match as substrings (数控机床 is found by 控机)
    quote -draft             exclude a word; -"a phrase" and -(a group) work too
    (合同 OR contract) 2026  groups with parentheses; NOT word is the same as -word
    机                       one Han character: found wherever it stands, inside longer words too
    contracts                English words are stemmed: contract, contracts, contracting alike

Operators are the upper-case words AND, OR, NOT. Syntax errors raise QuerySyntaxError with a
message meant for the person who typed the query (the API answers 400 with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexing import analysis

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64


class QuerySyntaxError(ValueError):
    """The query string cannot be parsed; the message says why, in plain words."""


@dataclass(frozen=True)
class Match:
    """Text to find: one token is a term, several tokens a phrase (consecutive positions)."""

    text: str  # as typed (what OpenSearch analyzes with the same chain)
    tokens: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.tokens) > 1

    @property
    def is_single_han(self) -> bool:
        """One Han character on its own: matched against the bigram field wherever it stands (as the
        first or second character of a bigram, or alone), not only as a one-character run."""
        return len(self.tokens) == 1 and analysis.is_single_han(self.tokens[0])


def single_han_pattern(char: str) -> str:
    """The term pattern (tantivy and Lucene regular expressions alike) of a single Han character:
    the character alone, first in a bigram, or second in one. CJK characters need no escaping."""
    return f"{char}.?|.{char}"


@dataclass(frozen=True)
class Explanation:
    """What one searched word or phrase matched, for the search page to say."""

    text: str  # as typed
    kind: str  # "character" (anywhere), "stem" (every form of a word), "exact"
    stem: str = ""


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = Match | Not | And | Or


@dataclass(frozen=True)
class ParsedQuery:
    root: Node
    text: str
    highlight_terms: tuple[str, ...] = field(default=())


_LEXER = re.compile(r'\s+|(?P<lparen>\()|(?P<rparen>\))|(?P<quote>"[^"]*"?)|(?P<word>[^\s()"]+)')
_OPERATORS = {"AND", "OR", "NOT"}


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for match in _LEXER.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        value = match.group(kind)
        if kind == "quote":
            if len(value) < 2 or not value.endswith('"'):
                raise QuerySyntaxError('A quotation mark is not closed: add the closing " to end the phrase.')
            out.append(("phrase", value[1:-1]))
        elif kind == "word":
            if value in _OPERATORS:
                out.append((value, value))
            elif value.startswith("-") and len(value) > 1:
                out.append(("minus", "-"))
                out.append(("word", value[1:]))
            elif value == "-":
                out.append(("minus", "-"))
            else:
                out.append(("word", value))
        else:
            out.append((kind, match.group(kind)))
    # "-" directly before a quote or a parenthesis: `-"a b"`, `-(a OR b)`
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0
        self.clauses = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node | None:
        node = self.or_expr()
        if self.peek() == "rparen":
            raise QuerySyntaxError('There is a ")" without a matching "(".')
        if self.peek() is not None:  # pragma: no cover - every token kind is consumed above
            raise QuerySyntaxError("The query could not be read.")
        return node

    def or_expr(self) -> Node | None:
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            if self.peek() in (None, "rparen", "OR", "AND"):
                raise QuerySyntaxError("OR needs something to search on both sides.")
            children.append(self.and_expr())
        children = [child for child in children if child is not None]
        if not children:
            return None
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node | None:
        if self.peek() in ("OR", "AND"):
            raise QuerySyntaxError(f"{self.peek()} needs something to search on both sides.")
        children: list[Node] = []
        while self.peek() not in (None, "rparen", "OR"):
            if self.peek() == "AND":
                self.take()
                if self.peek() in (None, "rparen", "OR", "AND"):
                    raise QuerySyntaxError("AND needs something to search on both sides.")
                continue
            child = self.unary()
            if child is not None:
                children.append(child)
        if not children:
            return None
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node | None:
        kind = self.peek()
        if kind in ("minus", "NOT"):
            self.take()
            if self.peek() in (None, "rparen", "OR", "AND", "minus", "NOT"):
                raise QuerySyntaxError("A minus sign or NOT must be followed by the word, phrase or group to exclude.")
            child = self.unary()
            return Not(child) if child is not None else None
        return self.primary()

    def primary(self) -> Node | None:
        kind, value = self.take()
        if kind == "lparen":
            if self.peek() == "rparen":
                raise QuerySyntaxError("A pair of parentheses is empty.")
            node = self.or_expr()
            if self.peek() != "rparen":
                raise QuerySyntaxError('A "(" is never closed: add the matching ")".')
            self.take()
            return node
        if kind == "rparen":
            raise QuerySyntaxError('There is a ")" without a matching "(".')
        # a word or a phrase
        tokens = tuple(analysis.tokens(value))
        if not tokens:
            return None  # punctuation only: nothing to search for
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QuerySyntaxError(f"The query is too long: use at most {MAX_CLAUSES} words or phrases.")
        return Match(text=value, tokens=tokens)


def _positive_matches(node: Node | None, negated: bool = False):
    if node is None:
        return
    if isinstance(node, Match):
        if not negated:
            yield node
    elif isinstance(node, Not):
        yield from _positive_matches(node.child, not negated)
    else:
        for child in node.children:
            yield from _positive_matches(child, negated)


def parse(text: str) -> ParsedQuery | None:
    """The parsed query, or None for an empty one (browse with filters)."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"The query is too long: keep it under {MAX_QUERY_CHARS} characters.")
    root = _Parser(_lex(text)).parse()
    if root is None:
        raise QuerySyntaxError("The query has no words to search for.")
    terms: list[str] = []
    for match in _positive_matches(root):
        # the words as typed, and their stems (a document with "contract" found by "contracts")
        stems = (token for token in match.tokens if not analysis.is_cjk(token[:1]))
        for term in (*analysis.surface_terms(match.text), *stems):
            if term not in terms:
                terms.append(term)
    return ParsedQuery(root=root, text=text, highlight_terms=tuple(terms))


def explain(parsed: "ParsedQuery | None") -> list[Explanation]:
    """What each searched word or phrase matched: a lone Han character anywhere, an English word
    in every form (its stem differs from what was typed), or the text as written."""
    if parsed is None:
        return []
    out: list[Explanation] = []
    for match in _positive_matches(parsed.root):
        if match.is_single_han:
            item = Explanation(text=match.text, kind="character", stem=match.tokens[0])
        else:
            typed = analysis.token_string(match.text).split(" ")
            stems = [stem for word, stem in zip(typed, match.tokens) if word != stem]
            item = Explanation(text=match.text, kind="stem", stem=" ".join(match.tokens)) if stems else \
                Explanation(text=match.text, kind="exact")
        if item not in out:
            out.append(item)
    return out


def only_negative(node: Node) -> bool:
    """True when nothing in `node` is required to match (e.g. `-draft`): it then filters all documents."""
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(only_negative(child) for child in node.children)
    if isinstance(node, Or):
        return any(only_negative(child) for child in node.children)
    return False
