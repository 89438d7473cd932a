"""The written forms of the index: every morpheme the texts were cut into (folded), with the keys it was given.

A query word that the dictionary cuts differently from the text (ヤングケアラー as ヤング|ケア|ラー in the
query, ヤング|ケアラー in a text) is matched by the ways the index's own morphemes spell it; this list says which
spellings exist, and which katakana forms the dictionary did not know (a run it grouped by character type, such
as ケアラーコーディネーター), inside which a query word may match as characters. A particle or
punctuation has no key (``""``). Stored as ``surfaces.tsv``: a form, a tab, its keys separated by spaces, and for a
form the dictionary did not know a tab and ``?``; one form a line, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

SURFACES_FILE = "surfaces.tsv"
_UNKNOWN = "?"


class SurfaceTable(dict[str, tuple[str, ...]]):
    """Each form → its keys; ``unknown`` holds the forms the dictionary did not know, one a line (with a newline
    before the first and after the last, for searching inside them)."""

    unknown: str = "\n"

    def unknown_containing(self, part: str) -> list[str]:
        """The unknown forms that contain ``part`` (but ``part`` itself), in order."""
        return self._lines(part, lambda line: line != part)

    def unknown_starting(self, part: str) -> list[str]:
        """The unknown forms that begin with ``part`` and go on."""
        return self._lines(part, lambda line: line != part and line.startswith(part))

    def unknown_ending(self, part: str) -> list[str]:
        """The unknown forms that end with ``part`` after something."""
        return self._lines(part, lambda line: line != part and line.endswith(part))

    def _lines(self, part: str, keep: Callable[[str], bool]) -> list[str]:
        """Each unknown form with ``part`` in it that ``keep`` keeps (each form once)."""
        text, out = self.unknown, []
        if not part or "\n" in part:
            return out
        at = text.find(part)
        while at >= 0:
            start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
            line = text[start:end]
            if keep(line):
                out.append(line)
            at = text.find(part, end)
        return out


#: A katakana run (the long vowel mark and the middle dot included): the unknown forms a word may match inside.
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff]{2,}")


def write_surfaces(folder: Path, triples: Iterable[tuple[str, str, bool]]) -> int:
    """Write the (form, key, unknown) triples; returns how many forms. Only a katakana form is kept as unknown:
    a Latin one is an acronym or a name (DV is no hit inside DVD)."""
    keys: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for surface, key, is_unknown in triples:
        if surface and "\t" not in surface and "\n" not in surface:
            keys.setdefault(surface, set()).add(key)
            if is_unknown and _KATAKANA.fullmatch(surface):
                unknown.add(surface)
    with (folder / SURFACES_FILE).open("w", encoding="utf-8") as out:
        for surface in sorted(keys):
            mark = f"\t{_UNKNOWN}" if surface in unknown else ""
            out.write(f"{surface}\t{' '.join(sorted(keys[surface]))}{mark}\n")
    return len(keys)


def read_surfaces(folder: Path) -> SurfaceTable:
    """Each form → its keys (``""`` for a particle or punctuation), and the forms the dictionary did not know."""
    out = SurfaceTable()
    unknown = []
    with (folder / SURFACES_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            surface, _, rest = line.rstrip("\n").partition("\t")
            keys, _, mark = rest.partition("\t")
            out[surface] = tuple(keys.split(" ")) if keys else ("",)
            if mark == _UNKNOWN:
                unknown.append(surface)
    out.unknown = "\n" + "\n".join(unknown) + "\n"
    return out
