"""The query language of the API: words are ANDed, ``OR``, ``-word``, ``"phrase"``, ``( … )``.

The query is normalized first (NFKC, so ＯＲ is OR and －word or −word is -word; 「」 『』 “” are
phrase quotes); ``-( … )`` excludes a whole group. Parsing never fails on odd input:
an unbalanced quote runs to the end, stray parentheses are ignored; only a query with
nothing to look for is an error.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from indexer.normalize import visible_text

MAX_QUERY_CHARS = 256
MAX_TERMS = 64

#: Quotes that delimit a phrase, and the minus sign (−) that macOS IMEs type for -; NFKC leaves both alone.
_MARKS = str.maketrans({**{c: '"' for c in "「」『』“”„‟〝〞＂"}, "\u2212": "-"})
_TOKEN = re.compile(r'-\(|-?"[^"]*"?|\(|\)|[^\s()"]+')


class QueryError(ValueError):
    """A query that cannot be searched; the message says why (``ja``: in Japanese, for the pages)."""

    def __init__(self, message: str, ja: str = "") -> None:
        super().__init__(message)
        self.ja = ja or "この検索語では検索できません。"


@dataclass(frozen=True)
class Word:
    text: str
    phrase: bool = False  # quoted: exact, no synonyms

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


@dataclass(frozen=True)
class Not:
    node: Node

    def __str__(self) -> str:
        return f"-{_grouped(self.node)}"


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]

    def __str__(self) -> str:
        return " ".join(_grouped(n) for n in self.nodes)


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_grouped(n) for n in self.nodes)


Node = Word | Not | And | Or


def _grouped(node: Node) -> str:
    return f"({node})" if isinstance(node, And | Or) else str(node)


def normalize_query(q: str) -> str:
    q = unicodedata.normalize("NFKC", q).translate(_MARKS)
    q = visible_text(q)  # as the index folds text: zero-width characters join, other unprintables split
    return re.sub(r"\s+", " ", q).strip()


@functools.lru_cache(maxsize=1024)
def parse(q: str) -> Node:
    """Parse a query string into a tree of ``Word``, ``Not``, ``And`` and ``Or`` (immutable; the trees of recent
    queries are kept: a request parses its query to check it, then to search)."""
    text = normalize_query(q)
    if not text:
        raise QueryError("the query is empty", "検索語が空です。")
    if len(q.strip()) > MAX_QUERY_CHARS:  # as typed: NFKC may lengthen it (㍻ → 平成)
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters",
                         f"検索語が長すぎます（{MAX_QUERY_CHARS} 文字まで）。")
    tokens = _TOKEN.findall(text)
    if sum(1 for t in tokens if t not in ("(", "-(", ")", "OR", "AND", "NOT")) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} words", f"語が多すぎます（{MAX_TERMS} 語まで）。")
    node, _ = _parse_or(tokens, 0, depth=0)
    if node is None or not _has_positive(node):
        raise QueryError("the query needs at least one word to look for (not only excluded words)",
                         "探す語を一つ以上入れてください（「-語」の除外だけでは検索できません）。")
    return node


def _parse_or(tokens: list[str], i: int, depth: int) -> tuple[Node | None, int]:
    branches: list[Node] = []
    current: list[Node] = []
    negate = False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == ")":
            if depth > 0:
                break
            continue  # a stray closing parenthesis
        if tok == "OR":
            if current:
                branches.append(_and(current))
                current = []
            continue
        if tok == "AND":
            continue
        if tok == "NOT":
            negate = True
            continue
        if tok in ("(", "-("):
            negate = negate or tok == "-("
            node, i = _parse_or(tokens, i, depth + 1)
        else:
            node = _unit(tok)
        if node is None:
            negate = False
            continue
        if negate and not isinstance(node, Not):
            node = Not(node)
        negate = False
        current.append(node)
    if current:
        branches.append(_and(current))
    if not branches:
        return None, i
    return (branches[0] if len(branches) == 1 else Or(tuple(branches))), i


def _and(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _unit(tok: str) -> Node | None:
    neg = False
    if tok.startswith("-") and len(tok) > 1:
        neg, tok = True, tok[1:]
    if tok.startswith('"'):
        inner = tok.strip('"').strip()
        node: Node | None = Word(inner, phrase=True) if inner else None
    else:
        stripped = tok.strip("-")
        node = Word(stripped) if stripped else None
    if node is None:
        return None
    return Not(node) if neg else node


def _has_positive(node: Node) -> bool:
    if isinstance(node, Word):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, Or):
        return all(_has_positive(n) for n in node.nodes)
    return any(_has_positive(n) for n in node.nodes)


def positive_words(node: Node) -> list[Word]:
    """Words the results must (or may) contain: what the snippets mark."""
    if isinstance(node, Word):
        return [node]
    if isinstance(node, Not):
        return []
    return [w for n in node.nodes for w in positive_words(n)]
