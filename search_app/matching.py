"""Evaluate a compiled query over posting arrays: matches, BM25F scores and matched fields, all with NumPy.

A word's score is BM25F over the fields searched (field weights below; each
field's length normalised), summed over its alternatives; AND and OR add their
parts' scores, NOT removes. A record matched only by characters (no key match)
gets a small score and is always ranked after the key matches. ``allowed_records``
turns the request's filters into a mask of records, ``ranked`` orders the matches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.arrays import Columns
from indexer.normalize import fold
from indexer.schema import CHAR_FIELD, FACET_FIELDS, key_field, pair, pair_field

from .compiled import Alternative, And, CompiledNode, CompiledWord, Not, Or
from .models import SearchRequest
from .query import QueryError

#: Field weights: title above evaluation and status, above plan, above metadata.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "evaluation": 2.0, "status": 2.0, "achievement": 1.5, "plan": 1.2, "meta": 0.5,
}
#: Score of a character-only match, relative to the rarest bigram's idf.
BIGRAM_WEIGHT = 0.3
K1, B = 1.2, 0.75
#: Most records checked verbatim for one alternative's character match.
MAX_VERIFY = 20_000


@dataclass
class Match:
    hit: np.ndarray  # bool[N]
    morph: np.ndarray  # bool[N]: matched by keys (ranks above character-only matches)
    score: np.ndarray  # float[N]
    fields: dict[str, np.ndarray]  # per text field: bool[N], a positive word matched there


class SearchTimeout(QueryError):
    """The search would take longer than the configured limit."""


class Matcher:
    """Evaluates compiled queries for one index generation and one thread's searcher."""

    def __init__(self, count: int, postings: Callable[[str, str], tuple[np.ndarray, np.ndarray]],
                 norms: dict[str, np.ndarray], texts: Callable[[int], dict], fields: Sequence[str],
                 allowed: np.ndarray | None,
                 runs: Callable[[str, tuple[str, ...], np.ndarray], np.ndarray] | None = None,
                 deadline: float | None = None) -> None:
        self.n = count
        self.deadline = deadline  # time.monotonic() by which the evaluation must be done, or None
        self.postings = postings
        self.runs = runs  # (field, keys, candidates) → the candidates whose field has the keys in a row
        self.norms = norms
        self.texts = texts
        self.fields = tuple(fields)
        self.allowed = allowed  # bool[N] of records the filters let through, or None

    def evaluate(self, node: CompiledNode) -> Match:
        if isinstance(node, CompiledWord):
            return self._word(node)
        if isinstance(node, Or):
            parts = [self.evaluate(n) for n in node.nodes]
            return self._combine(parts, np.logical_or)
        assert isinstance(node, And)
        positive = [self.evaluate(n) for n in node.nodes if not isinstance(n, Not)]
        out = self._combine(positive, np.logical_and)
        for n in node.nodes:
            if isinstance(n, Not):
                excluded = self.evaluate(n.node).hit
                out.hit &= ~excluded
                out.morph &= ~excluded
        out.score[~out.hit] = 0.0
        return out

    def _combine(self, parts: list[Match], op) -> Match:
        first = parts[0]
        hit, morph, score = first.hit.copy(), first.morph.copy(), first.score.copy()
        fields = {f: m.copy() for f, m in first.fields.items()}
        for p in parts[1:]:
            hit = op(hit, p.hit)
            morph = op(morph, p.morph)
            score += p.score
            for f in fields:
                fields[f] |= p.fields[f]
        return Match(hit, morph & hit, np.where(hit, score, 0.0), {f: m & hit for f, m in fields.items()})

    def _check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SearchTimeout("the search took too long; narrow it with more words, a phrase or filters")

    def _word(self, word: CompiledWord) -> Match:
        self._check_time()
        hit = np.zeros(self.n, dtype=bool)
        score = np.zeros(self.n)
        fields = {f: np.zeros(self.n, dtype=bool) for f in self.fields}
        for alt in word.alternatives:
            if alt.keys:
                self._keys(alt, hit, score, fields)
        morph = hit.copy()
        for alt in word.alternatives:
            if alt.grams:
                self._chars(alt, hit, morph, score, fields)
        if self.allowed is not None:
            hit &= self.allowed
            morph &= self.allowed
        return Match(hit, morph, score, fields)

    def _keys(self, alt: Alternative, hit: np.ndarray, score: np.ndarray, fields: dict[str, np.ndarray]) -> None:
        keys = alt.keys
        if len(keys) == 1:
            units, field_of = [keys[0]], key_field
        else:
            units, field_of = [pair(a, b) for a, b in zip(keys, keys[1:], strict=False)], pair_field
        ids_parts: dict[str, list[np.ndarray]] = {u: [] for u in units}
        val_parts: dict[str, list[np.ndarray]] = {u: [] for u in units}
        for f in self.fields:
            lists = [self.postings(field_of(f), u) for u in units]
            present = lists[0][0]
            for ids, _ in lists[1:]:
                present = np.intersect1d(present, ids, assume_unique=True)
            if len(keys) > 2 and len(present) and self.runs is not None:
                present = self.runs(f, keys, present)  # its pairs may occur apart: check the whole run
            if not len(present):
                continue
            fields[f][present] = True
            hit[present] = True
            for u, (ids, tf) in zip(units, lists, strict=True):
                keep = np.isin(ids, present, assume_unique=True) if len(units) > 1 else slice(None)
                sel = ids[keep]
                ids_parts[u].append(sel)
                val_parts[u].append(FIELD_WEIGHTS[f] * tf[keep] / self.norms[f][sel])
        for u in units:
            if not ids_parts[u]:
                continue
            all_ids = np.concatenate(ids_parts[u])
            uniq, inv = np.unique(all_ids, return_inverse=True)
            tfn = np.bincount(inv, weights=np.concatenate(val_parts[u]))
            idf = math.log(1 + (self.n - len(uniq) + 0.5) / (len(uniq) + 0.5))
            score[uniq] += idf * tfn * (K1 + 1) / (tfn + K1)

    def _chars(self, alt: Alternative, hit: np.ndarray, morph: np.ndarray, score: np.ndarray,
               fields: dict[str, np.ndarray]) -> None:
        lists = sorted((self.postings(CHAR_FIELD, g)[0] for g in alt.grams), key=len)
        if not lists or not len(lists[0]):
            return
        candidates = lists[0]
        for ids in lists[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
            if not len(candidates):
                return
        candidates = candidates[~morph[candidates]]
        if self.allowed is not None:
            candidates = candidates[self.allowed[candidates]]
        idf = math.log(1 + (self.n - len(lists[0]) + 0.5) / (len(lists[0]) + 0.5))
        for n, docnum in enumerate(candidates[:MAX_VERIFY].tolist()):
            if n % 64 == 0:
                self._check_time()
            texts = self.texts(docnum)
            found = False
            for f in self.fields:
                text = texts.get(f)
                if text and alt.folded in "".join(fold(text).split()):
                    fields[f][docnum] = True
                    found = True
            if found and not hit[docnum]:
                hit[docnum] = True
                score[docnum] += BIGRAM_WEIGHT * idf


def allowed_records(cols: Columns, req: SearchRequest) -> np.ndarray | None:
    """Records the request's filters let through (None: all)."""
    mask: np.ndarray | None = None
    wanted: list[tuple[str, tuple[str, ...]]] = [("year", tuple(str(y) for y in req.years))] if req.years else []
    by_api = {api: name for name, api in FACET_FIELDS.items()}
    wanted += [(by_api[k], v) for k, v in req.filters.items() if v]
    for name, values in wanted:
        codes = [c for c in (cols.code_of(name, v) for v in values) if c is not None]
        part = np.isin(cols.codes[name], codes)
        mask = part if mask is None else mask & part
    return mask


def ranked(cols: Columns, m: Match, sort: str, limit: int) -> np.ndarray:
    """The matching records in the order ``sort`` asks for; for relevance only the best ``limit`` are sorted."""
    matched = np.flatnonzero(m.hit)
    if sort == "relevance":  # key matches first, then by score; document number breaks ties
        key = m.score[matched] + np.where(m.morph[matched], 1e9, 0.0)
        if 0 < limit < len(matched):
            top = np.argpartition(-key, limit - 1)[:limit]
            matched, key = matched[top], key[top]
        return matched[np.lexsort((matched, -key))]
    if sort == "plan_page":
        page = np.where(cols.plan_page[matched] < 0, 10**9, cols.plan_page[matched])
        return matched[np.lexsort((matched, page))]
    return matched[np.lexsort((matched, -m.score[matched], ~m.morph[matched], -cols.year[matched]))]
