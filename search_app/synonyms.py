"""The synonym dictionary (``data/synonyms.txt``), read at query time and re-read when it changes.

Format: one group per line; ``a, b, c`` makes each term find the others;
``a, b => c, d`` makes a and b find c and d (not the reverse); ``#`` starts a
comment; terms are separated by ``,`` or ``、``. Matching is NFKC- and
case-insensitive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.normalize import fold

from .watched import WatchedFile

log = logging.getLogger(__name__)

_SPLIT = re.compile(r"[,、]")


@dataclass(frozen=True)
class Group:
    line: int
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    two_way: bool


@dataclass(frozen=True)
class SynonymTable:
    groups: tuple[Group, ...] = ()
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    longest: int = 1  # most words in one term (for multi-word English terms)

    def expand(self, word: str) -> tuple[str, ...]:
        """The other terms a query word also finds (without the word itself)."""
        return self.expansions.get(_key(word), ())


def _key(term: str) -> str:
    return " ".join(fold(term).split())


def parse_synonyms(text: str) -> SynonymTable:
    groups: list[Group] = []
    expansions: dict[str, list[str]] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources, targets, two_way = _terms(left), _terms(right), False
        else:
            sources = targets = _terms(line)
            two_way = True
        if not sources or not targets:
            log.warning("synonyms line %d: nothing on one side; ignored", n)
            continue
        groups.append(Group(n, sources, targets, two_way))
        for s in sources:
            alts = expansions.setdefault(_key(s), [])
            for t in targets:
                if _key(t) != _key(s) and t not in alts:
                    alts.append(t)
    longest = max((len(_key(s).split()) for s in expansions), default=1)
    return SynonymTable(tuple(groups), {k: tuple(v) for k, v in expansions.items()}, longest)


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in _SPLIT.split(text) if t.strip())


class SynonymFile(WatchedFile[SynonymTable]):
    """The synonym dictionary, read again when it changes (None: no dictionary)."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, lambda text, _: parse_synonyms(text), SynonymTable(), "synonyms")
