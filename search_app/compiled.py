"""Compile a parsed query: each word becomes its alternatives (itself and its synonyms), each analysed once.

An alternative is matched two ways (see ``matching.py``): by its index keys
(one key, or all its adjacent key pairs: 新型コロナウイルス never matches 新型 … ウイルス
apart), and, as a fallback, by its folded characters found verbatim in the text.
A quoted phrase gets no synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.analysis import keys
from indexer.normalize import fold
from indexer.schema import char_bigrams

from .highlight import Pattern
from .query import And, Node, Not, Or, Word
from .synonyms import SynonymTable


@dataclass(frozen=True)
class Alternative:
    text: str
    keys: tuple[str, ...]
    folded: str  # folded, without spaces: what must appear verbatim for a character match
    grams: tuple[str, ...]  # its distinct character bigrams (the candidates' index terms)


@dataclass(frozen=True)
class CompiledWord:
    word: Word
    alternatives: tuple[Alternative, ...]


CompiledNode = CompiledWord | Not | And | Or


@dataclass
class CompiledQuery:
    """What a query looks up: its tree of words with their alternatives, and what the page says about it."""

    root: CompiledNode | None  # None: nothing in the query can match anything
    node: Node  # the parsed query, after multi-word terms were joined
    patterns: list[Pattern] = field(default_factory=list)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def interpreted(self) -> str:
        """The parsed query with each expanded word shown as (word OR synonym …)."""
        return _render(self.node, self.expansions)


def alternative(text: str) -> Alternative:
    folded = "".join(fold(text).split())
    grams = tuple(sorted(char_bigrams(text))) if sum(c.isalnum() for c in folded) >= 2 else ()
    return Alternative(text, tuple(keys(text)), folded, grams)


def compile_query(node: Node, table: SynonymTable) -> CompiledQuery:
    if table.longest > 1:
        node = join_terms(node, table)
    out = CompiledQuery(root=None, node=node)
    out.root = _compile(node, table, out, positive=True)
    return out


def _compile(node: Node, table: SynonymTable, out: CompiledQuery, positive: bool) -> CompiledNode | None:
    if isinstance(node, Word):
        texts = [node.text]
        if not node.phrase:
            extra = table.expand(node.text)
            if extra:
                texts += list(extra)
                if positive:
                    out.expansions[node.text] = extra
        alts = tuple(a for a in (alternative(t) for t in texts) if a.keys or a.grams)
        if not alts:
            if positive:
                out.ignored.append(node.text)
            return None
        if positive:
            out.patterns.extend(Pattern(a.keys, a.folded) for a in alts)
        return CompiledWord(node, alts)
    if isinstance(node, Not):
        inner = _compile(node.node, table, out, positive=False)
        return Not(inner) if inner is not None else None
    parts = [p for p in (_compile(n, table, out, positive) for n in node.nodes) if p is not None]
    if not parts:
        return None
    if isinstance(node, Or):
        return parts[0] if len(parts) == 1 else Or(tuple(parts))
    if all(isinstance(p, Not) for p in parts):
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def join_terms(node: Node, table: SynonymTable) -> Node:
    """Join adjacent words that together form a multi-word dictionary term (school counselor)."""
    if isinstance(node, Or):
        return Or(tuple(join_terms(n, table) for n in node.nodes))
    if isinstance(node, Not):
        return Not(join_terms(node.node, table))
    if not isinstance(node, And):
        return node
    nodes = list(node.nodes)
    out: list[Node] = []
    i = 0
    while i < len(nodes):
        for size in range(min(table.longest, len(nodes) - i), 1, -1):
            run = nodes[i:i + size]
            if all(isinstance(n, Word) and not n.phrase for n in run):
                joined = " ".join(n.text for n in run)  # type: ignore[union-attr]
                if table.expand(joined):
                    out.append(Word(joined))
                    i += size
                    break
        else:
            out.append(join_terms(nodes[i], table))
            i += 1
    return out[0] if len(out) == 1 else And(tuple(out))


def _render(node, expansions: dict[str, tuple[str, ...]]) -> str:
    if isinstance(node, Word):
        alts = expansions.get(node.text) if not node.phrase else None
        return "(" + " OR ".join([node.text, *alts]) + ")" if alts else str(node)
    if isinstance(node, Not):
        inner = _render(node.node, expansions)
        return f"-({inner})" if isinstance(node.node, And | Or) else f"-{inner}"
    joiner = " OR " if isinstance(node, Or) else " "
    return joiner.join(f"({_render(n, expansions)})" if isinstance(n, And | Or) else _render(n, expansions)
                       for n in node.nodes)
