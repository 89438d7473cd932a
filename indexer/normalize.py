"""NFKC width folding and case folding that remembers where each character came from.

NFKC changes lengths (ｶﾞ → ガ, ㍻ → 平成), so every normalized character keeps
the span of source characters it came from; highlighting maps matches back
through it and never marks the wrong characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_VOICING = {"\uff9e", "\uff9f", "\u3099", "\u309a", "\u309b", "\u309c"}


@dataclass(frozen=True)
class Normalized:
    """``text`` normalized; ``origin[i]`` is the source span of ``text[i]``."""

    text: str
    starts: tuple[int, ...] | None = None  # None: identical to the source
    ends: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of ``text[start:end]`` (``end`` exclusive, ``start < end``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> str:
    """NFKC + lower case, for comparing words (no offsets kept): exactly the text ``normalize`` gives.

    Folding the whole string at once is the same except around a capital sigma (ΑΣ → ας
    whole, ασ piece by piece) and marks that compose with the character before them
    though they are not combining characters (Hangul jamo); those take the slow way.
    """
    nfkc = unicodedata.normalize("NFKC", text)
    if "\u03a3" in nfkc or _COMPOSING.search(text):
        return normalize(text).text
    return visible_text(nfkc.lower())


#: Non-combining characters that NFKC composes with the character before them (Unicode 14).
_COMPOSING = re.compile("[\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf"
                        "\u0ddf\u102e\u1161-\u1175\u11a8-\u11c2\u1b35\U00011127\U0001133e\U00011357"
                        "\U000114b0\U000114ba\U000114bd\U000115af\U00011930]")


def _fold_cluster(chunk: str) -> str:
    return visible_text(unicodedata.normalize("NFKC", chunk).lower())


def visible_text(out: str) -> str:
    """Invisible format characters (zero-width space and joiners, soft hyphen, BOM) removed, so that they do
    not split a word; other unprintable characters (controls, line breaks) become spaces."""
    if not out.isprintable():
        out = "".join(c if c.isprintable() else "" if unicodedata.category(c) == "Cf" else " " for c in out)
    return out


def normalize(text: str) -> Normalized:
    """Fold ``text`` and keep, for each output character, its source span."""
    if text.isascii() and text.isprintable() and text == text.lower():
        return Normalized(text)
    if text.isprintable() and unicodedata.is_normalized("NFKC", text) and text == text.lower():
        return Normalized(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (text[j] in _VOICING or unicodedata.combining(text[j])):
            j += 1
        piece = _fold_cluster(text[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return Normalized("".join(out), tuple(starts), tuple(ends))
