"""What the benchmark's peers share: one shape for SQLite FTS5, tantivy and Groonga.

Each peer module offers ``PEER``, a :class:`Peer` whose

* ``build(corpus_dir, work_dir, **options) -> BuildResult`` reads the cached corpus with the project's reader
  (:func:`bench.corpus.read_corpus`), indexes every record's :func:`record_row` under ``work_dir`` and
  reports the time, the size on disk and the peak resident memory of the work;
* ``run_mix(handle, queries, repeat) -> MixResult`` opens what ``build`` made (``BuildResult.handle``, a path),
  answers every query once (the first pass), then ``repeat`` more times, and reports per-query medians and
  p50/p95/p99 over the whole mix, with each query's result count.

A search does the work ``GET /api/search`` does: the total, facet counts over the whole match set (year,
dataset, policy, department, section, achievement category) and the best 20 records with HTML snippets of
the matching text fields. Every peer parses the query with :func:`bench.sqlite_peer.parse` (space = AND,
``OR``, ``-word``, ``"phrase"``, after NFKC) and translates it into its own engine's query.

Latency percentiles are nearest-rank, as the SQLite peer has always reported them.
"""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexer.achievement import category

from .querymix import Query

TEXT_COLUMNS: tuple[str, ...] = ("title", "status", "evaluation", "achievement", "plan")
#: Facets as the API names them; ``achievement`` is the achievement category (indexer.achievement.category).
FACETS: tuple[str, ...] = ("year", "dataset", "policy", "department", "section", "achievement")
PER_PAGE = 20
#: Title weight against the other text fields, as in the SQLite peer's bm25().
TITLE_WEIGHT = 2.0


def nfkc(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or ""))


def record_row(record: Any) -> dict[str, Any]:
    """What every peer indexes of a record (``indexer.Record`` or its ``to_dict()``): the text fields in NFKC,
    the facet values (``ach_cat`` is the achievement category) and the measure id."""
    d = record.to_dict() if hasattr(record, "to_dict") else record
    row: dict[str, Any] = {c: nfkc(d[c]) for c in TEXT_COLUMNS}
    row.update(year=int(d["year"]), dataset=d["dataset"], measure_id=d["measure_id"], policy=d["policy"] or "",
               department=d["department"] or "", section=d["section"] or "", ach_cat=category(d["achievement"] or ""))
    return row


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# -- results ---------------------------------------------------------------


@dataclass
class BuildResult:
    peer: str
    records: int
    #: Seconds reading the corpus with the project's reader (not part of build_s).
    read_s: float
    build_s: float
    records_per_s: float
    index_bytes: int
    #: Peak resident memory of the work, children included (for Groonga: the groonga process).
    peak_rss_mb: float
    #: What ``run_mix`` opens: a path.
    handle: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def index_mb(self) -> float:
        return round(self.index_bytes / 2**20, 1)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "index_mb": self.index_mb}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BuildResult:
        return cls(**{k: v for k, v in d.items() if k != "index_mb"})


@dataclass
class QueryStat:
    kind: str
    query: str
    #: The query as the engine was given it.
    translated: str
    total: int
    p50_ms: float
    max_ms: float
    first_ms: float
    top: str | None
    highlighted: list[str]


@dataclass
class MixResult:
    peer: str
    queries: int
    repetitions: int
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    first_pass_p50_ms: float
    first_pass_p99_ms: float
    p50_ms_by_kind: dict[str, float]
    per_query: list[QueryStat]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MixResult:
        return cls(**{**d, "per_query": [QueryStat(**q) for q in d["per_query"]]})


@dataclass
class Answer:
    """One search's answer: the total, the facets and the page of hits with their highlights."""

    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    translated: str


@dataclass(frozen=True)
class Peer:
    name: str
    build: Callable[..., BuildResult]
    run_mix: Callable[[str, Sequence[Query], int], MixResult]
    version: Callable[[], str]


def measure_mix(peer: str, search: Callable[[str], Answer], queries: Sequence[Query], repeat: int,
                details: dict[str, Any] | None = None) -> MixResult:
    """Answer every query once (the first pass), then ``repeat`` times over; latencies in milliseconds."""
    first: dict[Query, Answer] = {}
    first_ms: dict[Query, float] = {}
    for q in queries:
        started = time.perf_counter()
        first[q] = search(q.text)
        first_ms[q] = (time.perf_counter() - started) * 1000
    samples: dict[Query, list[float]] = {q: [] for q in queries}
    for _ in range(repeat):
        for q in queries:
            started = time.perf_counter()
            search(q.text)
            samples[q].append((time.perf_counter() - started) * 1000)
    every = [ms for q in queries for ms in samples[q]] or list(first_ms.values())
    per_query = [QueryStat(
        kind=q.kind, query=q.text, translated=first[q].translated, total=first[q].total,
        p50_ms=round(percentile(samples[q] or [first_ms[q]], 50), 3),
        max_ms=round(max(samples[q] or [first_ms[q]]), 3), first_ms=round(first_ms[q], 3),
        top=first[q].hits[0]["measure_id"] if first[q].hits else None,
        highlighted=sorted({f for h in first[q].hits for f in h["highlights"]}),
    ) for q in queries]
    by_kind = {k: round(percentile([ms for q in queries if q.kind == k for ms in samples[q] or [first_ms[q]]], 50), 3)
               for k in dict.fromkeys(q.kind for q in queries)}
    return MixResult(
        peer=peer, queries=len(queries), repetitions=repeat, samples=len(every),
        p50_ms=round(percentile(every, 50), 3), p95_ms=round(percentile(every, 95), 3),
        p99_ms=round(percentile(every, 99), 3), mean_ms=round(sum(every) / len(every), 3),
        max_ms=round(max(every), 3), first_pass_p50_ms=round(percentile(list(first_ms.values()), 50), 3),
        first_pass_p99_ms=round(percentile(list(first_ms.values()), 99), 3), p50_ms_by_kind=by_kind,
        per_query=per_query, details=details or {},
    )


# -- measuring -------------------------------------------------------------


def du(path: Path, apparent: bool = False) -> int:
    """Bytes on disk of the files under ``path`` (or of the file ``path``), as ``du`` counts them: allocated
    blocks, since Groonga's files are sparse (a 5k-record database is 313 MB long and holds 7 MB);
    ``apparent``: the files' lengths instead."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size if apparent else p.stat().st_blocks * 512 for p in files)


def status_mb(pid: int | str, key: str) -> float | None:
    """A memory line of /proc/<pid>/status (VmRSS, VmHWM) in MiB, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def own_peak_mb() -> float:
    """This process's peak resident memory so far (VmHWM)."""
    return round(status_mb("self", "VmHWM") or 0.0, 1)


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


class TreeSampler:
    """Samples the resident memory of this process and all its descendants, summed, every ``interval`` s."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        pid = os.getpid()
        total = sum(status_mb(p, "VmRSS") or 0.0 for p in [pid, *_descendants(pid)])
        self.peak_mb = max(self.peak_mb, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.peak_mb = round(self.peak_mb, 1)


def iter_batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
