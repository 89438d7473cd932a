"""The live index generation of a process: opened once, followed when ``CURRENT`` changes, one Whoosh
searcher per thread.

Whoosh searchers are not thread-safe, so each thread keeps its own searcher of
the live generation; the generation's arrays and term cache are shared. A thread
picks up a new generation on its next request; a search that started on the
old one finishes on it.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.arrays import Columns
from indexer.docstore import DocStore
from indexer.generations import IndexInfo, current_generation
from indexer.store import open_index
from indexer.surfaces import read_surfaces

from .compiled import Alternative, alternative
from .models import Stats
from .postings import PostingsFile, TermCache

#: Most query words whose compiled alternatives a generation keeps.
ALTERNATIVES = 20_000
#: How often (seconds) the live generation is looked up again.
REFRESH_SECONDS = 1.0


class OpenGeneration:
    """One index generation, open: its Whoosh index, posting lists, document store, arrays, surfaces and caches
    (shared by threads)."""

    def __init__(self, index_root: Path, cache_mb: int = 256) -> None:
        self.ix, self.info = open_index(index_root)
        folder = self.info.path
        self.columns = Columns.load(folder)
        self.postings = PostingsFile(folder)
        self.docs = DocStore(folder)
        self.terms = TermCache(cache_mb * 1024 * 1024)
        self.stats_cache: Stats | None = None
        self._surfaces: dict[str, tuple[str, ...]] | None = None
        self._measures: tuple[np.ndarray, np.ndarray] | None = None
        self._alternatives: dict[str, Alternative] = {}
        self._lock = threading.Lock()

    def alternative(self, text: str) -> Alternative:
        """A query word's alternative with the runs of keys of this generation's spellings (kept)."""
        found = self._alternatives.get(text)
        if found is None:
            found = alternative(text, self.surfaces)
            with self._lock:
                if len(self._alternatives) >= ALTERNATIVES:
                    self._alternatives.clear()
                self._alternatives[text] = found
        return found

    @property
    def surfaces(self) -> dict[str, tuple[str, ...]]:
        """The index's written forms and their keys (read on first use)."""
        if self._surfaces is None:
            with self._lock:
                if self._surfaces is None:
                    self._surfaces = read_surfaces(self.info.path)
        return self._surfaces

    def measure_docs(self, measure_id: str) -> np.ndarray:
        """The records of a measure (document numbers, ascending)."""
        code = self.columns.code_of("measure_id", measure_id)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        if self._measures is None:
            codes = self.columns.codes["measure_id"]
            order = np.argsort(codes, kind="stable")
            starts = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(self.columns.values[
                "measure_id"])))))
            self._measures = (order, starts)
        order, starts = self._measures
        return order[starts[code]:starts[code + 1]]

    def close(self) -> None:
        self.postings.close()


@dataclass
class ThreadSearcher:
    """A thread's Whoosh searcher of an open generation."""

    generation: OpenGeneration
    searcher: Searcher

    @property
    def reader(self) -> IndexReader:
        return self.searcher.reader()


class LiveIndex:
    """The generation ``index_root/CURRENT`` names, and this thread's searcher of it."""

    def __init__(self, index_root: Path, cache_mb: int = 256) -> None:
        self.index_root = Path(index_root)
        self.cache_mb = cache_mb
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: OpenGeneration | None = None
        self._checked = 0.0
        self._searchers: list[ThreadSearcher] = []  # every open searcher, so they can be closed
        self._finalizer = weakref.finalize(self, _close_searchers, self._searchers, self._lock)

    def current(self) -> OpenGeneration:
        now = time.monotonic()
        live = self._open
        if live is None or now - self._checked > REFRESH_SECONDS:
            gen = current_generation(self.index_root)
            with self._lock:
                if self._open is None or (gen is not None and gen.name != self._open.info.generation):
                    self._open = OpenGeneration(self.index_root, self.cache_mb)
                self._checked = now
                live = self._open
        return live

    def searcher(self) -> ThreadSearcher:
        """This thread's searcher of the live generation (a new one after a switch)."""
        live = self.current()
        mine: ThreadSearcher | None = getattr(self._local, "searcher", None)
        if mine is None or mine.generation is not live:
            fresh = ThreadSearcher(live, live.ix.searcher())
            with self._lock:
                if mine is not None and mine in self._searchers:
                    self._searchers.remove(mine)
                    mine.searcher.close()
                self._searchers.append(fresh)
            mine = self._local.searcher = fresh
        return mine

    @property
    def info(self) -> IndexInfo:
        return self.current().info

    def refresh(self) -> None:
        """Look for a new generation on the next request."""
        self._checked = 0.0

    def close(self) -> None:
        """Close every searcher opened (also done when garbage-collected)."""
        self._finalizer()


def _close_searchers(searchers: list[ThreadSearcher], lock: threading.Lock) -> None:
    with lock:
        for handle in searchers:
            handle.searcher.close()
        searchers.clear()
