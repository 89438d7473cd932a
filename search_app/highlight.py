"""Snippets: a field's text cut to a readable window around its matches, with the matches as spans.

Matches are found two ways, as the index finds them: runs of index keys (so a
lemma or synonym match is marked in the city's own spelling) and the folded
query word itself inside the folded text (what the bigram field matches).
Offsets map back through NFKC, so the marked characters are the source's own.
The library returns plain text and spans; the edges draw them (``<mark>`` in
HTML, colour on a terminal).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.analysis import analyse
from indexer.models import ExtraCell
from indexer.normalize import normalize

_SENTENCE_ENDS = "。！？!?\n"
_SENTENCE_END = re.compile(f"[{_SENTENCE_ENDS}]")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Pattern:
    """One thing to mark: a run of index keys and the folded surface it came from."""

    keys: tuple[str, ...]
    folded: str


Tokens = tuple[str, bytes]  # (keys joined by spaces, uint32 offsets start, end, …) as the index stores them


@dataclass(frozen=True)
class Snippet:
    """A readable window of a field's text: ``text`` is what is shown, ``spans`` the matches in it (offsets
    into ``text``, sorted, merged); ``cut_before`` / ``cut_after`` say whether the field goes on beyond the
    window; ``label`` names the column of an extra cell."""

    text: str
    spans: tuple[tuple[int, int], ...]
    cut_before: bool = False
    cut_after: bool = False
    label: str = ""

    def pieces(self) -> list[tuple[str, bool]]:
        """The shown text as (piece, marked) in order."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for s, e in self.spans:
            if s > pos:
                out.append((self.text[pos:s], False))
            out.append((self.text[s:e], True))
            pos = e
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out


def match_spans(text: str, patterns: Sequence[Pattern], tokens: Tokens | None = None) -> list[tuple[int, int]]:
    """Character spans of ``text`` that match any pattern, merged and sorted.

    ``tokens`` are the text's index keys and offsets stored at index time; without them the text is analysed.
    """
    spans: list[tuple[int, int]] = []
    found: set[tuple[str, ...]] = set()
    if any(p.keys for p in patterns):
        if tokens is None:
            analysed = analyse(text)
            words, offsets = [t.key for t in analysed], array("I", [x for t in analysed for x in (t.start, t.end)])
        else:
            words, offsets = tokens[0].split(" ") if tokens[0] else [], array("I", tokens[1])
        at: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            at.setdefault(w, []).append(i)
        for run in {p.keys for p in patterns if p.keys}:
            n = len(run)
            for i in at.get(run[0], ()):
                if tuple(words[i:i + n]) == run:
                    spans.append((offsets[2 * i], offsets[2 * (i + n - 1) + 1]))
                    found.add(run)
    # where no keys matched, the characters as typed (what the bigram field matched)
    folded = {p.folded for p in patterns if len(p.folded) >= 2} if not found else set()
    if folded:
        norm = normalize(text)
        for f in folded:
            start = norm.text.find(f)
            while start >= 0:
                spans.append(norm.span(start, start + len(f)))
                start = norm.text.find(f, start + 1)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans sorted, overlapping and touching ones joined (``spans`` is sorted in place)."""
    if len(spans) < 2:
        return spans
    spans.sort()
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _densest(spans: Sequence[tuple[int, int]], length: int) -> int:
    """Where the (sorted) match with the most matches within ``length`` characters after it starts; the
    first such. One pass with two pointers: a cell can hold thousands of matches."""
    best, most, j = 0, 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][0] < start + length:
            j += 1
        if j - i > most:
            best, most = start, j - i
    return best


def _after_last_end(text: str, start: int, end: int) -> int:
    """Where the text goes on after the last sentence end in ``text[start:end]``; ``start`` if there is none."""
    return max(start - 1, *(text.rfind(c, start, end) for c in _SENTENCE_ENDS)) + 1


def window(text: str, spans: Sequence[tuple[int, int]], length: int) -> tuple[int, int]:
    """A span of about ``length`` characters around the densest matches, on sentence edges where possible."""
    if len(text) <= length:
        return 0, len(text)
    first = _densest(spans, length)
    start = _after_last_end(text, 0, first)  # the start of the sentence the matches begin in
    if first - start > length // 2:  # the sentence begins too far back: cut inside it
        start = max(0, first - length // 3)
    end = min(len(text), start + length)
    if end - start < length:  # the text ends first: reach back, to a sentence start if one is near
        start = max(0, end - length)
        starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text, 0, first)]
        later = [s for s in starts if start <= s <= start + length // 3]
        start = later[0] if later else start
    last_end = _after_last_end(text, first, end)
    last = spans[-1][1] if spans else 0
    if last_end > first and last_end >= min(last, end) and last_end - start >= length // 2:
        end = last_end
    return start, end


def snippet(text: str, patterns: Sequence[Pattern], length: int = 120, tokens: Tokens | None = None) -> Snippet:
    """The text around the matches, with the matches as spans."""
    return cut(text, match_spans(text, patterns, tokens), length)


def extra_snippet(meta: str, cells: Sequence[ExtraCell], patterns: Sequence[Pattern], length: int = 120,
                  tokens: Tokens | None = None) -> Snippet | None:
    """The snippet of the first extra cell with a match, labelled with its column, or None if the matches in
    ``meta`` (the measure's meta text, which ends with the extra cells' texts, one per line) all fall before them.

    Uses the meta text's stored tokens; the column names are not searched, so they are never marked."""
    return extra_cut(meta, cells, match_spans(meta, patterns, tokens), length)


def extra_cut(meta: str, cells: Sequence[ExtraCell], spans: Sequence[tuple[int, int]],
              length: int = 120) -> Snippet | None:
    """``extra_snippet`` from the matches' spans in ``meta``."""
    pos = len(meta) - len("\n".join(cell.text for cell in cells))
    for cell in cells:
        end = pos + len(cell.text)
        # a run of keys that starts in the section and ends in the cell is no match in the cell
        inside = [(s - pos, e - pos) for s, e in spans if pos <= s and e <= end]
        if inside:
            found = cut(cell.text, inside, length)
            return Snippet(found.text, found.spans, found.cut_before, found.cut_after, label=cell.column)
        pos = end + 1
    return None


def key_spans(offsets: bytes, runs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The character spans, merged and sorted, of runs of a field's keys: ``runs`` are (first key, last key)
    indexes, ``offsets`` the field's keys' (start, end) as stored (uint32 bytes)."""
    at = memoryview(offsets).cast("I")
    n = len(at)
    return _merge([(at[2 * a], at[2 * b + 1]) for a, b in runs if 2 * b + 1 < n])


def cut(text: str, spans: Sequence[tuple[int, int]], length: int = 120) -> Snippet:
    """The window of about ``length`` characters of ``text`` around ``spans`` (sorted, merged), surrounding white
    space trimmed; the spans inside it, clipped, relative to it."""
    if (len(text) <= length and not (text[:1].isspace() or text[-1:].isspace())
            and (not spans or spans[-1][1] <= len(text))):  # most cells: the whole text, every span inside it
        return Snippet(text, tuple((s, e) for s, e in spans if e > s), False, False)
    start, end = window(text, spans, length)
    if start == 0:  # the text as shown starts at its first visible character (as the window does after a cut)
        while start < end and text[start].isspace():
            start += 1
    if end == len(text):
        while end > start and text[end - 1].isspace():
            end -= 1
    inside = []
    for s, e in spans:
        if s >= end:  # sorted: the rest are after the window too
            break
        s, e = max(s, start) - start, min(e, end) - start
        if e > s:
            inside.append((s, e))
    return Snippet(text[start:end], tuple(inside), start > 0, end < len(text))
