"""Evaluate a compiled query over posting lists: the matching records, their BM25F scores and the fields matched.

Every intermediate result is sparse (``Found``: ascending document numbers with their scores and field masks),
so a search costs what its posting lists hold, not what the index holds: an AND walks its rarest word's records
and looks each up in the others' lists. A word of one key is that key's list, scored once per generation and kept
(``TermCache``). A word of several keys, and each other way of spelling it with the index's own morphemes
(``lattice.py``), is a run of keys that must stand in a row: the records that have them all are checked, by their
positions, for the run. A word's score is the sum of BM25F over its keys (each key's per-record weight is set at
index time, ``indexer.writer``), summed over its alternatives (synonyms); AND and OR add their parts' scores,
NOT removes. ``allowed_records`` turns the request's filters into a mask of records, ``ranked`` orders matches.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from indexer.arrays import Columns
from indexer.postings import FIELD_BITS, MAX_POSITIONS, POSITION_BITS, Postings
from indexer.schema import FACET_FIELDS, SEARCH_FIELDS
from indexer.writer import K1

from .compiled import And, AnyOf, CompiledNode, CompiledWord, Not, Or
from .models import SearchRequest
from .postings import TermCache


@dataclass(frozen=True)
class Found:
    """Matching records: ascending document numbers, each with its score and the fields matched (bits)."""

    docs: np.ndarray
    score: np.ndarray
    fields: np.ndarray
    #: What it was kept under in the generation's cache (a run of keys), if it was.
    key: tuple | None = None

    def __len__(self) -> int:
        return len(self.docs)

    def take(self, keep: np.ndarray) -> Found:
        return Found(self.docs[keep], self.score[keep], self.fields[keep])

    def dense(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(matched, score, fields) as arrays over all ``n`` records."""
        matched = np.zeros(n, dtype=bool)
        score = np.zeros(n, dtype=np.float32)
        fields = np.zeros(n, dtype=np.uint8)
        matched[self.docs], score[self.docs], fields[self.docs] = True, self.score, self.fields
        return matched, score, fields


Dense = Callable[[Found], "tuple[np.ndarray, np.ndarray, np.ndarray] | None"]


EMPTY = Found(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.uint8))
NO_WEIGHTS = np.zeros(0, np.float32)


@dataclass(frozen=True)
class Scored:
    """A key's posting list with each record's BM25F score for the key."""

    postings: Postings
    score: np.ndarray


class Matcher:
    """Evaluates compiled queries for one index generation and one thread's reader."""

    def __init__(self, columns: Columns, postings: Callable[[str], Postings | None], cache: TermCache,
                 generation: str, fields: Sequence[str], allowed: np.ndarray | None,
                 check: Callable[[], None] | None = None) -> None:
        self.columns = columns
        self.n = columns.count
        self._read = postings
        self.cache = cache
        self.generation = generation
        self.field_bits = np.uint8(sum(FIELD_BITS[f] for f in fields))
        self.all_fields = set(fields) == set(SEARCH_FIELDS)
        self.allowed = allowed  # bool[N] of records the filters let through, or None
        self.check = check  # called as the evaluation goes: raises to stop it (the time limit, slow searches)

    # -- the tree -------------------------------------------------------------------------------------------------
    def evaluate(self, node: CompiledNode) -> Found:
        self._check_time()
        if isinstance(node, CompiledWord):
            return self._word(node)
        if isinstance(node, Or):
            return union([self.evaluate(n) for n in node.nodes], np.add)
        if isinstance(node, AnyOf):
            return coordinated([self.evaluate(n) for n in node.nodes])
        assert isinstance(node, And)
        found = intersect([self.evaluate(n) for n in node.nodes if not isinstance(n, Not)], self.dense)
        for n in node.nodes:
            if isinstance(n, Not) and len(found):
                found = found.take(~contains(self.evaluate(n.node).docs, found.docs))
        return found

    def _word(self, word: CompiledWord) -> Found:
        found = self._alternatives(tuple(alt.runs for alt in word.alternatives))
        if word.boost and len(found):  # records with the word itself rank above those found through concepts
            found = replace(found, score=found.score + np.float32(word.boost), key=None)
        if word.concepts:
            found = union([found, self._alternatives(tuple(alt.runs for alt in word.concepts))], np.add)
        if self.allowed is not None and len(found):
            found = found.take(self.allowed[found.docs])
        return found

    def _alternatives(self, runs: tuple[tuple[tuple[str, ...], ...], ...]) -> Found:
        """Records with any alternative (each alternative: any of its runs of keys), scores added up."""
        if not runs:
            return EMPTY
        if len(runs) == 1 and len(runs[0]) == 1:
            return self.run(runs[0][0])
        # a word of synonyms or of several spellings: its union is kept too
        key = ("word", self.generation, runs, int(self.field_bits))
        return self.cache.get_or_load(key, lambda: replace(union(
            [union([self.run(keys) for keys in alt], np.maximum) for alt in runs], np.add), key=key),
            lambda f: f.docs.nbytes + f.score.nbytes + f.fields.nbytes)

    def _check_time(self) -> None:
        if self.check is not None:
            self.check()

    # -- keys and runs of keys ---------------------------------------------------------------------------------------
    def scored(self, key: str) -> Scored | None:
        """A key's posting list and BM25F scores (kept for the generation)."""

        def load() -> Scored | None:
            postings = self._read(key)
            if postings is None:
                return None
            df = len(postings)
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            w = postings.weights
            score = (idf * w * (K1 + 1) / (w + K1)).astype(np.float32)
            return Scored(replace(postings, weights=NO_WEIGHTS), score)  # the weights are in the score now

        return self.cache.get_or_load(("scored", self.generation, key), load,
                                      lambda s: 0 if s is None else s.postings.nbytes + s.score.nbytes)

    def run(self, keys: tuple[str, ...]) -> Found:
        """The records where ``keys`` stand in a row, in the fields searched (kept for the generation)."""
        self._check_time()
        key = ("run", self.generation, keys, int(self.field_bits))
        return self.cache.get_or_load(key, lambda: replace(self._run(keys), key=key),
                                      lambda f: f.docs.nbytes + f.score.nbytes + f.fields.nbytes)

    def dense(self, found: Found) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """A large kept run as arrays over all records (kept too), or None."""
        if found.key is None or len(found) <= DENSE_SHARE * self.n:
            return None
        return self.cache.get_or_load(("dense", *found.key), lambda: found.dense(self.n),
                                      lambda arrays: sum(a.nbytes for a in arrays))

    def _run(self, keys: tuple[str, ...]) -> Found:
        lists = [self.scored(k) for k in keys]
        if not keys or any(s is None for s in lists):
            return EMPTY
        if len(keys) == 1:
            p = lists[0].postings
            found = Found(p.docs, lists[0].score, p.masks)
            return found if self.all_fields else found.take((p.masks & self.field_bits) != 0)
        candidates = intersect([Found(s.postings.docs, s.score, s.postings.masks) for s in lists]).docs
        if not len(candidates):
            return EMPTY
        starts = run_starts([self.codes(k) for k in keys], candidates)
        if not len(starts):
            return EMPTY
        docs, position = starts >> POSITION_BITS, starts & (MAX_POSITIONS - 1)
        field = (position[:, None] >= self.columns.field_starts[docs]).sum(axis=1) - 1
        bits = (1 << field).astype(np.uint8)
        keep = (bits & self.field_bits) != 0
        docs, bits = docs[keep], bits[keep]
        if not len(docs):
            return EMPTY
        firsts = np.concatenate(([0], np.flatnonzero(np.diff(docs)) + 1))
        hit = docs[firsts].astype(np.int32)
        score = sum(s.score[np.searchsorted(s.postings.docs, hit)] for s in lists)
        return Found(hit, score.astype(np.float32), np.bitwise_or.reduceat(bits, firsts))

    def codes(self, key: str) -> np.ndarray | None:
        """A key's occurrences as record << POSITION_BITS | position, ascending (kept for the generation); None if
        the key is not in the index."""

        def load() -> np.ndarray | None:
            scored = self.scored(key)
            return None if scored is None else scored.postings.codes()

        return self.cache.get_or_load(("codes", self.generation, key), load, lambda a: 0 if a is None else a.nbytes)

    def occurrences(self, docs: Sequence[int], runs: Sequence[tuple[str, ...]]
                    ) -> list[dict[str, list[tuple[int, int]]]]:
        """Where ``runs`` occur in each of ``docs``, in the fields searched: per record, field → (first key, last
        key) indexes of each occurrence.

        For the few records shown, with a query that may have many runs (a concept's every spelling): a key's
        positions in those records are cut from its list with binary searches; for a run of several keys, the
        run's records (kept from the search) first say which of those records have it at all, and only there are
        its keys' positions taken and checked, as sets, for the run."""
        out: list[dict[str, list[tuple[int, int]]]] = [{} for _ in docs]
        if not len(docs):
            return out
        wanted = np.asarray(sorted(set(docs)), dtype=np.int64)
        every = _bounds(wanted)
        out_of = {doc: out[row] for row, doc in enumerate(docs)}
        starts_of = dict(zip(wanted.tolist(), self.columns.field_starts[wanted].tolist(), strict=True))
        searched = [bool(self.field_bits & FIELD_BITS[f]) for f in SEARCH_FIELDS]
        for keys in runs:
            if not keys:
                continue
            if len(keys) == 1:  # the key's positions in the records shown, ascending
                base = self.codes(keys[0])
                at = base.searchsorted(every).tolist() if base is not None else [0]
                if at[0] == at[-1]:  # in none of them
                    continue
                together = [c for a, b in zip(at[::2], at[1::2], strict=True) if b > a for c in base[a:b].tolist()]
            else:
                has = self.run(keys).docs  # the records with the run, in the fields searched
                spot = np.minimum(has.searchsorted(wanted), len(has) - 1)
                inside = wanted[has[spot] == wanted] if len(has) else has
                if not len(inside):  # in none of the records shown (a concept's other spellings, mostly)
                    continue
                bounds = _bounds(inside)
                sets = []
                for key in keys:  # each key's positions in those records
                    base = self.codes(key)
                    at = base.searchsorted(bounds).tolist()
                    sets.append({c for a, b in zip(at[::2], at[1::2], strict=True) if b > a
                                 for c in base[a:b].tolist()})
                found = sets[0]  # where the run starts: key i stands i positions on, smallest sets first
                for step in sorted(range(1, len(keys)), key=lambda i: len(sets[i])):
                    found = found & {c - step for c in sets[step]}
                together = sorted(found)
            last = len(keys) - 1
            for code in together:
                doc, position = code >> POSITION_BITS, code & (MAX_POSITIONS - 1)
                field_starts = starts_of[doc]
                f = bisect_right(field_starts, position) - 1
                if searched[f]:
                    first = position - field_starts[f]
                    out_of[doc].setdefault(SEARCH_FIELDS[f], []).append((first, first + last))
        return out


def _bounds(docs: np.ndarray) -> np.ndarray:
    """Where each record's positions begin and end, as codes: first's start, first's end, second's start …"""
    return np.stack((docs << POSITION_BITS, (docs + 1) << POSITION_BITS), axis=1).ravel()


def run_starts(codes: Sequence[np.ndarray], docs: np.ndarray) -> np.ndarray:
    """Where ``codes``' keys stand in a row (each list: a key's occurrences as record << POSITION_BITS | position,
    ascending), in ``docs`` (ascending): each start as record << POSITION_BITS | position, ascending. The key with
    fewest occurrences anchors the run; the others are looked up one position on."""
    anchor = min(range(len(codes)), key=lambda i: len(codes[i]))
    base = codes[anchor]
    lo = np.searchsorted(base, docs.astype(np.int64) << POSITION_BITS)
    hi = np.searchsorted(base, (docs.astype(np.int64) + 1) << POSITION_BITS)
    index = np.repeat(lo - np.concatenate(([0], np.cumsum(hi - lo)[:-1])), hi - lo) + np.arange((hi - lo).sum())
    starts = base[index] - anchor
    for step, key_codes in enumerate(codes):
        if step != anchor and len(starts):
            starts = starts[contains(key_codes, starts + step)]
    return starts


# -- set operations on sparse results -----------------------------------------------------------------------------


#: Above this many values looked up, membership is read from a mask over all values instead of searched.
DENSE_LOOKUPS = 4096


def contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_values`` (ascending, non-negative)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    top = int(sorted_values[-1])
    if len(values) > DENSE_LOOKUPS and top < 64 * (len(values) + len(sorted_values)):
        mask = np.zeros(top + 1, dtype=bool)
        mask[sorted_values] = True
        inside = values <= top
        out = np.zeros(len(values), dtype=bool)
        out[inside] = mask[values[inside]]
        return out
    at = np.searchsorted(sorted_values, values)
    at[at == len(sorted_values)] = 0
    return sorted_values[at] == values


#: A part holding more than this share of all records is looked up in arrays over all records, not searched.
DENSE_SHARE = 1 / 16


def intersect(parts: Sequence[Found], dense: Dense | None = None) -> Found:
    """Records in every part, scores added: the smallest part looked up in the others (through ``dense`` arrays
    over all records when it has them for a part)."""
    if not parts:
        return EMPTY
    ordered = sorted(parts, key=len)
    acc = ordered[0]
    for p in ordered[1:]:
        if not len(acc):
            return EMPTY
        arrays = dense(p) if dense is not None and len(acc) > 64 else None
        if arrays is not None:
            matched, score, fields = arrays
            ok = matched[acc.docs]
            docs = acc.docs[ok]
            acc = Found(docs, acc.score[ok] + score[docs], acc.fields[ok] | fields[docs])
            continue
        at = np.searchsorted(p.docs, acc.docs)
        at[at == len(p.docs)] = 0
        ok = p.docs[at] == acc.docs if len(p.docs) else np.zeros(len(acc), dtype=bool)
        at = at[ok]
        acc = Found(acc.docs[ok], acc.score[ok] + p.score[at], acc.fields[ok] | p.fields[at])
    return acc


def coordinated(parts: Sequence[Found]) -> Found:
    """Records in any part, scored by the sum of their parts' scores times the share of the parts they are in."""
    found = union(parts, np.add)
    if len(parts) < 2 or not len(found):
        return found
    ones = [replace(p, score=np.ones(len(p), np.float32), key=None) for p in parts if len(p)]
    share = union(ones, np.add).score / np.float32(len(parts))
    return replace(found, score=found.score * share, key=None)


def union(parts: Sequence[Found], combine: Callable) -> Found:
    """Records in any part; a record's scores combined by ``combine`` (``np.add`` or ``np.maximum``)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    docs = np.concatenate([p.docs for p in parts])
    order = np.argsort(docs, kind="stable")
    docs = docs[order]
    score = np.concatenate([p.score for p in parts])[order]
    fields = np.concatenate([p.fields for p in parts])[order]
    firsts = np.concatenate(([0], np.flatnonzero(np.diff(docs)) + 1))
    return Found(docs[firsts], combine.reduceat(score, firsts), np.bitwise_or.reduceat(fields, firsts))


# -- filters and order --------------------------------------------------------------------------------------------


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


def ranked(cols: Columns, found: Found, sort: str, limit: int) -> np.ndarray:
    """Indexes into ``found`` in the order ``sort`` asks for; for relevance only the best ``limit`` are sorted
    (document number breaks ties)."""
    n = len(found)
    if sort == "relevance":
        index = np.arange(n)
        if 0 < limit < n:
            index = np.argpartition(-found.score, limit - 1)[:limit]
        return index[np.lexsort((found.docs[index], -found.score[index]))]
    if sort == "plan_page":
        page = cols.plan_page[found.docs]
        return np.lexsort((found.docs, np.where(page < 0, 10**9, page)))
    return np.lexsort((found.docs, -found.score, -cols.year[found.docs]))


@dataclass(frozen=True)
class Groups:
    """The matching records grouped by measure: ``order`` indexes ``found`` measure by measure (each measure's
    records best first); measure ``g`` holds ``order[starts[g]:starts[g + 1]]``; ``ranking`` lists the measures
    in the order the request's sort asks, by their best record."""

    order: np.ndarray
    starts: np.ndarray
    ranking: np.ndarray

    def __len__(self) -> int:
        return len(self.ranking)

    def members(self, group: int) -> np.ndarray:
        return self.order[self.starts[group]:self.starts[group + 1]]

    def best(self, group: int) -> int:
        return int(self.order[self.starts[group]])


def by_measure(cols: Columns, found: Found, sort: str) -> Groups:
    """Group ``found`` by measure. A measure ranks by its best record (its score is not the sum of its years':
    a text repeated year after year does not multiply its weight)."""
    measures = cols.codes["measure_id"][found.docs]
    order = np.lexsort((found.docs, -found.score, measures))
    firsts = np.flatnonzero(np.r_[True, measures[order][1:] != measures[order][:-1]]) if len(order) else order
    starts = np.append(firsts, len(order))
    best = order[firsts]
    ranking = ranked(cols, Found(found.docs[best], found.score[best], found.fields[best]), sort, 0)
    return Groups(order, starts, ranking)


def measure_facet_counts(cols: Columns, docs: np.ndarray) -> list[np.ndarray]:
    """Per facet (``FACET_FIELDS`` order), how many measures have a record of ``docs`` with each value."""
    measures = cols.codes["measure_id"][docs].astype(np.int64)
    out = []
    for i, total in enumerate(cols.facet_totals):
        width = max(len(total), 1)
        pairs = np.unique(measures * width + (cols.facet_codes[docs, i] - cols.facet_offsets[i]))
        out.append(np.bincount(pairs % width, minlength=len(total)))
    return out


def field_counts(found: Found, fields: Sequence[str]) -> dict[str, int]:
    """How many records matched in each field."""
    return {f: int(np.count_nonzero(found.fields & FIELD_BITS[f])) for f in fields}

