"""Putting back together words the dictionary cuts into misleading pieces (``compounds.txt``).

unidic-lite has no entry for オンライン, ケアラー or セーフティネット and cuts them into words of their own
(オン|ライン, ケア|ラー, セーフティ|ネット), so a search for ライン, ケア or ネット would find them. The list says how
each such word is to be cut (``ヤング|ケアラー``: at that one place; ``オンライン``: not at all); the analysis
replaces a run of morphemes that spells a listed word with the listed parts.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from pathlib import Path

COMPOUNDS_FILE = Path(__file__).resolve().parent / "compounds.txt"
#: Most morphemes the dictionary cuts a listed word into.
MAX_PIECES = 6


@lru_cache(maxsize=1)
def compounds() -> dict[str, tuple[str, ...]]:
    """Each listed word (folded) → its parts."""
    out: dict[str, tuple[str, ...]] = {}
    for raw in COMPOUNDS_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            parts = tuple(unicodedata.normalize("NFKC", p).lower() for p in line.split("|") if p)
            out["".join(parts)] = parts
    return out


def version() -> str:
    """Changes with the list (part of the analyzer's version)."""
    return hashlib.blake2b(COMPOUNDS_FILE.read_bytes(), digest_size=4).hexdigest()
