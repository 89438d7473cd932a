"""Japanese analysis for Whoosh: a fugashi tokenizer with exact offsets, then small filters.

``ja_analyzer()`` = ``JapaneseTokenizer() | PosStopFilter() | LemmaFilter() | PositionFilter()``:
tokens are NFKC/case-folded, particles, auxiliaries and punctuation are dropped,
each token is indexed as its dictionary lemma folded to one key so that spelling
variants meet (子ども/こども/子供, 取組/取り組み, 暮し/くらし), and positions are
renumbered over the tokens kept, so phrases see the words, not the particles.

``bigram_analyzer()`` indexes character bigrams of the folded text, so that
words the dictionary splits oddly (もくせい教室) are still found.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from array import array
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import version

import fugashi
from whoosh.analysis import Filter, Token, Tokenizer

from .normalize import Normalized, normalize

#: Changes whenever the indexed tokens would change; an index built by another
#: version must be rebuilt.
ANALYZER_VERSION = f"ja-4/fugashi-{version('fugashi')}/unidic-lite-{version('unidic-lite')}"

#: Parts of speech (UniDic pos1) that carry no search meaning.
STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白"})

_GLOSS = re.compile(r"-[A-Za-z][A-Za-z_ ]*$")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々]")

_lock = threading.Lock()
_tagger: fugashi.Tagger | None = None


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
    text = norm.text
    tag = tagger()
    with _lock:  # MeCab's lattice is not shared safely between threads
        nodes = [(n.surface, n.white_space, n.feature.lemma, n.feature.pos1) for n in tag(text)]
    offset = 0
    for surface, space, lemma, pos1 in nodes:
        offset += len(space)
        if text.startswith(surface, offset):
            start = offset
        else:  # whitespace MeCab skipped without reporting it: find the surface again
            start = text.find(surface, offset)
            if start < 0:
                continue
        offset = start + len(surface)
        yield surface, lemma, pos1, start, offset


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


class JapaneseTokenizer(Tokenizer):
    """fugashi tokens of the folded text, with offsets into the original text."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: object) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm = normalize(value)
        for pos, (surface, lemma, pos1, start, end) in enumerate(morphemes(norm)):
            t.text = surface
            t.lemma = lemma
            t.pos1 = pos1
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = surface
            if positions:
                t.pos = start_pos + pos
            if chars:
                s, e = norm.span(start, end)
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


class PosStopFilter(Filter):
    """Drops particles, auxiliaries, punctuation and tokens with no letter or digit."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if is_stop(t.text, t.pos1):
                continue
            yield t


class LemmaFilter(Filter):
    """Replaces each token's text with its lemma key (see ``lemma_key``)."""

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = lemma_key(t.text, t.lemma, t.pos1)
            yield t


class PositionFilter(Filter):
    """Renumbers positions over the tokens that remain, so phrases skip particles."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        first: int | None = None
        for n, t in enumerate(tokens):
            if t.positions:
                if first is None:
                    first = t.pos
                t.pos = first + n
            yield t


class BigramTokenizer(Tokenizer):
    """Overlapping character bigrams of each run of letters and digits of the folded text."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: object) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm = normalize(value)
        pos = start_pos
        for s, e in gram_spans(norm.text):
            t.text = norm.text[s:e]
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = pos
            if chars:
                a, b = norm.span(s, e)
                t.startchar, t.endchar = start_char + a, start_char + b
            pos += 1
            yield t


_RUN = re.compile(r"[^\W_]+")


def word_runs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of letters and digits (no spaces, punctuation or symbols)."""
    for m in _RUN.finditer(text):
        yield m.start(), m.end()


def gram_spans(text: str) -> Iterator[tuple[int, int]]:
    """Overlapping two-character spans of each run of letters and digits (a lone character stands alone)."""
    for start, end in word_runs(text):
        if end - start < 2:
            yield start, end
        else:
            yield from ((i, i + 2) for i in range(start, end - 1))


def index_terms(text: str) -> tuple[list[str], array]:
    """What ``ja_analyzer()`` yields, fast: the keys of ``text`` and their source offsets (start, end, …).

    The indexer and the highlighter use this; it applies the same ``is_stop`` and ``lemma_key``.
    """
    norm = normalize(text)
    keys: list[str] = []
    offsets = array("I")
    for surface, lemma, pos1, start, end in morphemes(norm):
        if is_stop(surface, pos1):
            continue
        keys.append(lemma_key(surface, lemma, pos1))
        s, e = norm.span(start, end)
        offsets.append(s)
        offsets.append(e)
    return keys, offsets


def ja_analyzer():
    return JapaneseTokenizer() | PosStopFilter() | LemmaFilter() | PositionFilter()


def bigram_analyzer():
    return BigramTokenizer()


def keys(text: str) -> list[str]:
    """The index keys of ``text``, in order (what a query word must match as a phrase)."""
    return [t.text for t in _JA(text)]


def bigrams(text: str) -> list[str]:
    return [t.text for t in _BIGRAM(text)]


_JA = ja_analyzer()
_BIGRAM = bigram_analyzer()
