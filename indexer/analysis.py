"""Japanese analysis: fugashi morphemes of the folded text with exact offsets, then small filters.

One path for the indexer and the query alike, ``analyse(text)``: the text is
NFKC/case-folded (``normalize``, which remembers where each character came from),
cut into morphemes (``morphemes``), particles, auxiliaries and punctuation are
dropped (``is_stop``) and each remaining morpheme becomes its dictionary lemma
folded to one key (``lemma_key``), so that spelling variants meet (子ども/こども/子供,
取組/取り組み, 暮し/くらし). A key's position is its place among the keys kept, so a
phrase sees the words, not the particles. Each morpheme's folded written form
and key can be collected too: the index keeps them, so that a query word the
dictionary cuts differently from the text (ヤングケアラー) is matched by the ways
the text's own words spell it (see ``search_app/lattice.py``).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import version
from typing import NamedTuple

import fugashi

from .compounds import MAX_PIECES, compounds
from .compounds import version as compounds_version
from .normalize import Normalized, normalize

#: Changes whenever the indexed tokens would change; an index built by another
#: version must be rebuilt.
ANALYZER_VERSION = (f"ja-5/fugashi-{version('fugashi')}/unidic-lite-{version('unidic-lite')}"
                    f"/compounds-{compounds_version()}")

#: Parts of speech (UniDic pos1) that carry no search meaning.
STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白"})

_GLOSS = re.compile(r"-[A-Za-z][A-Za-z_ ]*$")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々]")

_lock = threading.Lock()
_tagger: fugashi.Tagger | None = None


def _fresh_tagger_in_child() -> None:
    """In a forked child (an analysis worker of a build started while the server searches): a new lock and a new
    tagger. The parent's lock may have been held by a thread tagging a query at the moment of the fork, and that
    thread does not exist in the child: the inherited lock would never be released and the worker would hang."""
    global _lock, _tagger
    _lock = threading.Lock()
    _tagger = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_tagger_in_child)


def tagger() -> fugashi.Tagger:
    """The process's one tagger (MeCab with unidic-lite), created on first use."""
    global _tagger
    if _tagger is None:
        with _lock:
            if _tagger is None:
                _tagger = fugashi.Tagger()
    return _tagger


def morphemes(norm: Normalized) -> Iterator[tuple[str, str | None, str, int, int]]:
    """(surface, lemma, pos1, start, end) over folded text; offsets index ``norm.text``."""
    for surface, lemma, pos1, start, end, _ in _nodes(norm):
        yield surface, lemma, pos1, start, end


def _nodes(norm: Normalized) -> Iterator[tuple[str, str | None, str, int, int, bool]]:
    """``morphemes``, and whether the dictionary did not know the morpheme (MeCab grouped its characters by type:
    a katakana or Latin run it has no word for)."""
    text = norm.text
    tag = tagger()
    with _lock:  # MeCab's lattice is not shared safely between threads
        nodes = [(n.surface, n.white_space, n.feature.lemma, n.feature.pos1, n.is_unk) for n in tag(text)]
    placed = []
    offset = 0
    for surface, space, lemma, pos1, unknown in nodes:
        offset += len(space)
        if text.startswith(surface, offset):
            start = offset
        else:  # whitespace MeCab skipped without reporting it: find the surface again
            start = text.find(surface, offset)
            if start < 0:
                continue
        offset = start + len(surface)
        placed.append((surface, lemma, pos1, start, offset, bool(unknown)))
    yield from _rejoined(placed)


def _rejoined(nodes: list[tuple[str, str | None, str, int, int, bool]]
              ) -> Iterator[tuple[str, str | None, str, int, int, bool]]:
    """The morphemes, with a run that spells a word of ``compounds.txt`` cut as the list says."""
    table = compounds()
    i = 0
    while i < len(nodes):
        best = 0
        spelled = nodes[i][0]
        for j in range(i + 1, min(len(nodes), i + MAX_PIECES)):
            if nodes[j][3] != nodes[j - 1][4]:  # something between them
                break
            spelled += nodes[j][0]
            if spelled in table:
                best = j
        if not best:
            yield nodes[i]
            i += 1
            continue
        by_surface = {n[0]: n for n in nodes[i:best + 1]}
        at = nodes[i][3]
        for part in table["".join(n[0] for n in nodes[i:best + 1])]:
            same = by_surface.get(part)
            yield (part, same[1] if same else None, "名詞", at, at + len(part), False)
            at += len(part)
        i = best + 1


def is_stop(surface: str, pos1: str) -> bool:
    """Particles, auxiliaries, punctuation and tokens without a letter or digit carry no search meaning."""
    return pos1 in STOP_POS or not any(c.isalnum() for c in surface)


@lru_cache(maxsize=65536)
def lemma_key(surface: str, lemma: str | None, pos1: str) -> str:
    """The indexed form of a morpheme: its lemma, folded, with okurigana variation removed."""
    if not lemma or lemma == "*":
        return surface
    key = unicodedata.normalize("NFKC", _GLOSS.sub("", lemma)).lower() or surface
    if pos1 in ("名詞", "動詞") and _KANJI.search(key) and _HIRAGANA.search(key):
        key = _HIRAGANA.sub("", key)  # 取り組み/取組/取り組む → 取組, 暮らし/暮らす → 暮
    return key


class Token(NamedTuple):
    """One index key of a text: the key, the source characters it came from (``text[start:end]``) and the
    morpheme as it was written, folded."""

    key: str
    start: int
    end: int
    surface: str


#: What the indexer collects of every morpheme: (folded written form, key, unknown to the dictionary).
Surface = tuple[str, str, bool]


def analyse(text: str, surfaces: set[Surface] | None = None) -> list[Token]:
    """The index keys of ``text`` in order, with their source offsets: the one analysis of the indexer and
    the query alike (a key's position is its place in the list). Every morpheme's (folded written form, key,
    unknown) is added to ``surfaces`` if given; a particle, an auxiliary or punctuation has the key ``""``."""
    if not text:
        return []
    norm = normalize(text)
    span = norm.span
    out = []
    for surface, lemma, pos1, start, end, unknown in _nodes(norm):
        if is_stop(surface, pos1):
            if surfaces is not None:
                surfaces.add((surface, "", False))
            continue
        token = Token(lemma_key(surface, lemma, pos1), *span(start, end), surface)
        out.append(token)
        if surfaces is not None:
            surfaces.add((surface, token.key, unknown))
    return out


def keys(text: str) -> list[str]:
    """The index keys of ``text``, in order (what a query word must match as a phrase)."""
    return [t.key for t in analyse(text)]


class Morpheme(NamedTuple):
    """A morpheme of a query as a person typed it: its folded written form, key (``""`` for a particle, an
    auxiliary or punctuation), part of speech (UniDic pos1) and its place in the folded text."""

    surface: str
    key: str
    pos1: str
    start: int
    end: int


def morphemes_of(text: str) -> list[Morpheme]:
    """Every morpheme of ``text`` (folded), particles and auxiliaries too: what a query is read from."""
    norm = normalize(text)
    out = []
    for surface, lemma, pos1, start, end, _ in _nodes(norm):
        key = "" if is_stop(surface, pos1) else lemma_key(surface, lemma, pos1)
        out.append(Morpheme(surface, key, pos1, start, end))
    return out
