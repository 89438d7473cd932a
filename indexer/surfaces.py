"""The written forms of the index: every morpheme the texts were cut into (folded), with the keys it was given.

A query word that the dictionary cuts differently from the text (ヤングケアラー as ヤング|ケア|ラー in the
query, ヤング|ケアラー in a text) is matched by the ways the index's own morphemes spell it; this list says which
spellings exist. A particle or punctuation has no key (``""``). Stored as ``surfaces.tsv``: a form, a tab, its
keys separated by spaces, one form a line, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SURFACES_FILE = "surfaces.tsv"


def write_surfaces(folder: Path, pairs: Iterable[tuple[str, str]]) -> int:
    """Write the (form, key) pairs; returns how many forms."""
    keys: dict[str, set[str]] = {}
    for surface, key in pairs:
        if surface and "\t" not in surface and "\n" not in surface:
            keys.setdefault(surface, set()).add(key)
    with (folder / SURFACES_FILE).open("w", encoding="utf-8") as out:
        for surface in sorted(keys):
            out.write(f"{surface}\t{' '.join(sorted(keys[surface]))}\n")
    return len(keys)


def read_surfaces(folder: Path) -> dict[str, tuple[str, ...]]:
    """Each form → its keys (``""`` for a particle or punctuation)."""
    out: dict[str, tuple[str, ...]] = {}
    with (folder / SURFACES_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            surface, _, keys = line.rstrip("\n").partition("\t")
            out[surface] = tuple(keys.split(" ")) if keys else ("",)
    return out
