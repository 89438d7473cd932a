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

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.arrays import Columns
from indexer.generations import IndexInfo, current_generation
from indexer.schema import SEARCH_FIELDS
from indexer.store import open_index

from .matching import B
from .models import Stats

#: How often (seconds) the live generation is looked up again.
REFRESH_SECONDS = 1.0


class OpenGeneration:
    """One index generation, open: its Whoosh index, arrays and term cache (shared by threads)."""

    def __init__(self, index_root: Path) -> None:
        from .postings import TermCache

        self.ix, self.info = open_index(index_root)
        self.columns = Columns.load(self.info.path)
        self.terms = TermCache()
        c = self.columns
        self.norms = {f: (1 - B) + B * c.lengths[f] / c.avg_length[f] for f in SEARCH_FIELDS}
        self.stats_cache: Stats | None = None


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

    def __init__(self, index_root: Path) -> None:
        self.index_root = Path(index_root)
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
                    self._open = OpenGeneration(self.index_root)
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
