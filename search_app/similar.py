"""Similar measures: the measures, in other datasets and in the same plan, that share the words characterising one.

A measure's characteristic words are its index keys weighted by how often its title and texts use them and how
rare they are in the index (tf·idf); the words every plan uses (支援, 実施 …) and those only this measure has
weigh nothing. The similar measures are the best answers to those words ORed, each measure scored by its best
record: the cost of one search.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from indexer.analysis import analyse
from indexer.models import StoredRecord

from .compiled import Alternative, CompiledWord
from .matching import Found
from .query import Or, Word

#: How many characteristic words a measure is compared by.
WORDS = 12
#: Words in more than this share of the records say nothing of a measure.
MAX_SHARE = 0.15
#: The title's words count this many times over.
TITLE_WEIGHT = 3


def characteristic_words(records: Sequence[StoredRecord], doc_frequency: Callable[[str], int],
                         total: int) -> list[str]:
    """The measure's words by tf·idf, best first (at most ``WORDS``)."""
    counts: Counter[str] = Counter()
    if records:
        for token in analyse(records[0].title):
            counts[token.key] += TITLE_WEIGHT
    for r in records:
        for text in (r.status, r.evaluation, r.plan):
            counts.update(t.key for t in analyse(text))
    own = len(records)
    weights = {}
    for key, tf in counts.items():
        if key.isdigit() or len(key) < 2:
            continue
        df = doc_frequency(key)
        if df <= own or df > MAX_SHARE * total:
            continue
        weights[key] = (1 + math.log(tf)) * math.log(total / df)
    return sorted(weights, key=lambda k: (-weights[k], k))[:WORDS]


def words_query(words: Sequence[str]) -> CompiledWord | Or | None:
    """The words ORed, each matched by its key alone (no synonyms, no character fallback)."""
    nodes = tuple(CompiledWord(Word(w), (Alternative(w, (w,), w, ((w,),)),)) for w in words)
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else Or(nodes)


def best_per_measure(measure_codes: np.ndarray, found: Found, exclude: int | None,
                     limit: int) -> list[tuple[int, float]]:
    """(best record, its score) of the ``limit`` best measures but ``exclude``, best first."""
    if not len(found):
        return []
    codes = measure_codes[found.docs]
    order = np.lexsort((found.docs, -found.score))  # best record first; the first of a measure's is its best
    codes, docs, scores = codes[order], found.docs[order], found.score[order]
    _, first = np.unique(codes, return_index=True)
    first.sort()
    out = []
    for i in first.tolist():
        if int(codes[i]) != exclude:
            out.append((int(docs[i]), float(scores[i])))
            if len(out) == limit:
                break
    return out
