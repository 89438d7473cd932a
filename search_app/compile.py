"""Turn a parsed query into Whoosh queries: phrase semantics, synonyms, field weights.

Every word becomes, for each searched field, a match on the morphological
field (its index keys adjacent and in order: 新型コロナウイルス never matches
新型 … ウイルス apart) and a lower-weighted match on the bigram field. Synonyms
add alternatives to a word; a quoted phrase gets none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq

from indexer.analysis import bigrams, keys
from indexer.normalize import fold
from indexer.schema import bigram_field, morph_field

from .highlight import Pattern
from .query import And, Node, Not, Or, Word
from .synonyms import SynonymTable

#: Field weights: title above evaluation and status, above plan, above metadata.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "evaluation": 2.0, "status": 2.0, "achievement": 1.5, "plan": 1.2, "meta": 0.5,
}
#: Weight of a bigram-field match relative to a morphological one.
BIGRAM_WEIGHT = 0.3


@dataclass
class Compiled:
    full: wq.Query
    morph: wq.Query
    patterns: list[Pattern] = field(default_factory=list)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


class Compiler:
    def __init__(self, fields: Sequence[str], table: SynonymTable, use_synonyms: bool = True) -> None:
        self.fields = tuple(fields)
        self.table = table
        self.use_synonyms = use_synonyms
        self.patterns: list[Pattern] = []
        self.expansions: dict[str, tuple[str, ...]] = {}
        self.ignored: list[str] = []

    def compile(self, node: Node) -> Compiled:
        if self.use_synonyms and self.table.longest > 1:
            node = join_terms(node, self.table)
        full, morph = self._node(node, collect=True)
        return Compiled(full, morph, self.patterns, self.expansions, self.ignored)

    def _node(self, node: Node, collect: bool) -> tuple[wq.Query, wq.Query]:
        if isinstance(node, Word):
            return self._word(node, collect)
        if isinstance(node, Or):
            parts = [self._node(n, collect) for n in node.nodes]
            return _or([p[0] for p in parts]), _or([p[1] for p in parts])
        if isinstance(node, Not):
            return self._node(node.node, collect=False)
        assert isinstance(node, And)
        pos = [self._node(n, collect) for n in node.nodes if not isinstance(n, Not)]
        pos = [p for p in pos if p[0] is not wq.NullQuery]  # words with nothing to match are ignored
        neg = [self._node(n, False)[0] for n in node.nodes if isinstance(n, Not)]
        full = _and([p[0] for p in pos])
        # a record is a morphological match only if every word matched morphologically
        morph = wq.NullQuery if any(p[1] is wq.NullQuery for p in pos) else _and([p[1] for p in pos])
        excluded = _or(neg)
        if excluded is not wq.NullQuery and full is not wq.NullQuery:
            full = wq.AndNot(full, excluded)
            if morph is not wq.NullQuery:
                morph = wq.AndNot(morph, excluded)
        return full, morph

    def _word(self, word: Word, collect: bool) -> tuple[wq.Query, wq.Query]:
        alternatives = [word.text]
        if self.use_synonyms and not word.phrase:
            extra = self.table.expand(word.text)
            if extra:
                alternatives += list(extra)
                if collect:
                    self.expansions[word.text] = extra
        full: list[wq.Query] = []
        morph: list[wq.Query] = []
        for alt in alternatives:
            ks, gs = keys(alt), _grams(alt)
            if collect and (ks or gs):
                self.patterns.append(Pattern(tuple(ks), "".join(fold(alt).split())))
            for f in self.fields:
                w = FIELD_WEIGHTS[f]
                if ks:
                    q = _seq(morph_field(f), ks, w)
                    full.append(q)
                    morph.append(q)
                if gs:
                    full.append(_seq(bigram_field(f), gs, w * BIGRAM_WEIGHT))
        if not full and collect:
            self.ignored.append(word.text)
        return _or(full), _or(morph)


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


def _grams(text: str) -> list[str]:
    folded = "".join(c for c in fold(text) if c.isalnum())
    return bigrams(text) if len(folded) >= 2 else []


def _seq(fieldname: str, words: list[str], boost: float) -> wq.Query:
    if len(words) == 1:
        return wq.Term(fieldname, words[0], boost=boost)
    return wq.Phrase(fieldname, words, slop=1, boost=boost)


def _or(parts: list[wq.Query]) -> wq.Query:
    parts = [p for p in parts if p is not wq.NullQuery]
    if not parts:
        return wq.NullQuery
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _and(parts: list[wq.Query]) -> wq.Query:
    parts = [p for p in parts if p is not wq.NullQuery]
    if not parts:
        return wq.NullQuery
    return parts[0] if len(parts) == 1 else wq.And(parts)
