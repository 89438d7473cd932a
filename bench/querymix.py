"""The fixed query mix of ``bench/queries.txt``: one ``<kind>\\t<query>`` per line, ``#`` comments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import BENCH_DIR

QUERIES_FILE = BENCH_DIR / "queries.txt"
KINDS = ("common", "mid", "compound", "and", "rare", "variant", "or", "phrase", "not", "nohit",
         "inside", "place", "longcompound", "loanword", "verycommon", "and3")


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def load_queries(path: Path = QUERIES_FILE) -> list[Query]:
    """The queries of a mix file, in order. Raises ``ValueError`` naming the line of a malformed one."""
    queries: list[Query] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, sep, text = line.partition("\t")
        if not sep or kind not in KINDS or not text.strip():
            raise ValueError(f"{path}:{n}: expected <kind>TAB<query> with kind one of {', '.join(KINDS)}")
        queries.append(Query(kind, text.strip()))
    return queries
