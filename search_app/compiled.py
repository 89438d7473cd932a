"""Compile a parsed query: each word becomes its alternatives (itself and its synonyms), each analysed once.

An alternative is matched by runs of keys that must stand in a row (see ``matching.py``): its own keys
(新型コロナウイルス is 新型|コロナ|ウイルス in a row, never apart), and every other way the index's own
morphemes spell it (``lattice.py``: ヤングケアラー is also ヤング|ケアラー). A quoted phrase gets no synonyms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from indexer.analysis import keys
from indexer.normalize import fold

from .highlight import Pattern
from .lattice import key_runs, unknown_runs
from .query import And, Node, Not, Or, Word
from .synonyms import SynonymTable

Surfaces = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Alternative:
    text: str
    keys: tuple[str, ...]
    folded: str  # folded, without spaces
    #: The runs of keys that match it: its own keys, then the other spellings with the index's morphemes.
    runs: tuple[tuple[str, ...], ...] = ()


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
    #: Every run of keys a positive word matches by: what snippets mark.
    runs: list[tuple[str, ...]] = field(default_factory=list)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def interpreted(self) -> str:
        """The parsed query with each expanded word shown as (word OR synonym …)."""
        return _render(self.node, self.expansions)


def alternative(text: str, surfaces: Surfaces | None = None) -> Alternative:
    """A word's text with its keys and the runs of keys that match it (its own, then, given the index's
    written forms, every other way they spell it)."""
    own = tuple(keys(text))
    folded = "".join(fold(text).split())
    runs = [own] if own else []
    if surfaces is not None:
        runs += [r for r in key_runs(folded, surfaces) if r != own]
        runs += [r for r in unknown_runs(folded, surfaces) if r not in runs]
    return Alternative(text, own, folded, tuple(runs))


AlternativeOf = Callable[[str], Alternative]


def compile_query(node: Node, table: SynonymTable, alternative_of: AlternativeOf = alternative) -> CompiledQuery:
    """Each word of ``node`` with its alternatives, each made by ``alternative_of`` (with the runs of keys of the
    index's own spellings, given a generation's)."""
    if table.longest > 1:
        node = join_terms(node, table)
    out = CompiledQuery(root=None, node=node)
    out.root = _compile(node, table, out, positive=True, alternative_of=alternative_of)
    return out


def _compile(node: Node, table: SynonymTable, out: CompiledQuery, positive: bool,
             alternative_of: AlternativeOf = alternative) -> CompiledNode | None:
    if isinstance(node, Word):
        texts = [node.text]
        if not node.phrase:
            extra = table.expand(node.text)
            if extra:
                texts += list(extra)
                if positive:
                    out.expansions[node.text] = extra
        alts = tuple(a for a in (alternative_of(t) for t in texts) if a.runs)
        if not alts:
            if positive:
                out.ignored.append(node.text)
            return None
        if positive:
            out.patterns.extend(Pattern(a.keys, a.folded) for a in alts)
            out.runs.extend(r for a in alts for r in a.runs if r not in out.runs)
        return CompiledWord(node, alts)
    if isinstance(node, Not):
        inner = _compile(node.node, table, out, positive=False, alternative_of=alternative_of)
        return Not(inner) if inner is not None else None
    parts = [p for p in (_compile(n, table, out, positive, alternative_of) for n in node.nodes) if p is not None]
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
