"""The concept dictionary (``data/concepts.txt``): administrative terms and the everyday phrasings people use for
the same thing, read at query time and re-read when it changes.

Format (one concept a line; see ``data/concepts_README.md``)::

    ## 分野
    見出し語: 行政用語, 行政用語 | 日常の言い方, 日常の言い方

A term or a phrasing is matched by its keys (``indexer.analysis.keys``: lemmas, particles and auxiliaries
dropped), so 「学校に行けない」 and 「学校へ行けない」 are one phrasing. A query word that is a concept's term or
phrasing also finds the concept's terms; in a short sentence, the phrasings found in it stand for their concepts
(``search_app.reading``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indexer.analysis import keys

from .watched import WatchedFile

log = logging.getLogger(__name__)

_SPLIT = re.compile(r"[,、]")
#: Helping verbs that a phrasing and a query may have or not without changing what they mean (世話をする子ども,
#: 世話をしている子ども): left out of the keys a phrasing is matched by, on both sides.
HELPERS = frozenset({*keys("する いる ある しまう"), "御"})  # and お/ご before a noun (お年寄り, 年寄り)


def matching_keys(run: Iterable[str]) -> tuple[str, ...]:
    """The keys a term or phrasing (or a part of a query) is matched by: its keys but the helping verbs."""
    out = tuple(k for k in run if k not in HELPERS)
    return out if out else tuple(run)


@dataclass(frozen=True)
class Concept:
    """One concept: its headword (an administrative term), its other administrative terms, and the everyday
    phrasings that mean it; ``domain`` is the ``##`` section it is written under, ``line`` its line."""

    head: str
    terms: tuple[str, ...]
    phrasings: tuple[str, ...] = ()
    domain: str = ""
    line: int = 0

    @property
    def all_terms(self) -> tuple[str, ...]:
        """The headword, then the other administrative terms: what the concept finds."""
        return (self.head, *self.terms)


@dataclass(frozen=True)
class Found:
    """A concept, and whether it was found by one of its everyday phrasings (else by one of its terms)."""

    concept: Concept
    by_phrasing: bool


#: Terms and phrasings of this many keys are also found with their words in another order (一人暮らしのお年寄り,
#: お年寄りの一人暮らし).
ANY_ORDER = (2, 3)


@dataclass(frozen=True)
class ConceptTable:
    concepts: tuple[Concept, ...] = ()
    #: The keys of every term and phrasing → (concept index into ``concepts``, is it a phrasing).
    index: Mapping[tuple[str, ...], tuple[tuple[int, bool], ...]] = field(default_factory=dict)
    longest: int = 0  # most keys of one term or phrasing
    #: The same, by the set of keys, for terms and phrasings of two or three different keys.
    bags: Mapping[frozenset[str], tuple[tuple[int, bool], ...]] = field(default_factory=dict)
    #: How query words were read with this table (``reading.read_word``), kept for the table's life: a word's
    #: reading depends on the word and the table only, and its morphological analysis is the costly part.
    readings: dict = field(default_factory=dict, compare=False, repr=False)

    def of_keys(self, run: tuple[str, ...]) -> tuple[Found, ...]:
        """The concepts one of whose terms or phrasings has exactly these keys (two or three in any order)."""
        found = self.index.get(run, ())
        if not found and len(run) in ANY_ORDER and len(set(run)) == len(run):
            found = self.bags.get(frozenset(run), ())
        return tuple(Found(self.concepts[i], phrasing) for i, phrasing in found)

    def of_text(self, text: str) -> tuple[Found, ...]:
        """The concepts one of whose terms or phrasings is ``text`` (compared by keys)."""
        return self.of_keys(matching_keys(keys(text)))


def parse_concepts(text: str, name: str = "concepts.txt") -> ConceptTable:
    """Read the dictionary; a malformed line is logged with its number and skipped."""
    concepts: list[Concept] = []
    domain = ""
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("## "):
            domain = line[3:].strip()
            continue
        if not line or line.startswith("#"):
            continue
        head, colon, rest = line.partition(":")
        if not colon:
            head, colon, rest = line.partition("：")
        terms_text, bar, phrasings_text = rest.partition("|")
        head = head.strip()
        terms = _items(terms_text)
        if not colon or not head or not terms or "|" in phrasings_text:
            log.warning("%s line %d: not 「見出し語: 行政用語, … | 言い方, …」; skipped", name, n)
            continue
        concepts.append(Concept(head, terms, _items(phrasings_text) if bar else (), domain, n))
    index: dict[tuple[str, ...], list[tuple[int, bool]]] = {}
    for i, concept in enumerate(concepts):
        for text_, phrasing in (*((t, False) for t in concept.all_terms), *((p, True) for p in concept.phrasings)):
            run = matching_keys(keys(text_))
            if run and all(j != i for j, _ in index.setdefault(run, [])):
                index[run].append((i, phrasing))
    bags: dict[frozenset[str], list[tuple[int, bool]]] = {}
    for run, entries in index.items():
        if len(run) in ANY_ORDER and len(set(run)) == len(run):
            bags.setdefault(frozenset(run), []).extend(e for e in entries if e not in bags.get(frozenset(run), ()))
    return ConceptTable(tuple(concepts), {k: tuple(v) for k, v in index.items()},
                        max((len(k) for k in index), default=0), {k: tuple(v) for k, v in bags.items()})


def _items(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in _SPLIT.split(text) if t.strip()))


class ConceptFile(WatchedFile[ConceptTable]):
    """The concept dictionary, read again when it changes (None: no dictionary)."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, parse_concepts, ConceptTable(), "concepts")
