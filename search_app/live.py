"""The live index generation of a process: opened once, followed when ``CURRENT`` changes, one Whoosh
reader per thread.

Whoosh readers are not thread-safe, so each thread keeps its own reader of the
live generation; the generation's arrays and term cache are shared. A thread
picks up a new generation on its next request; a search that started on the
old one finishes on it.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from indexer.arrays import Columns
from indexer.generations import IndexInfo, current_generation
from indexer.schema import SEARCH_FIELDS
from indexer.store import open_index

from .matching import B

#: How often (seconds) the live generation is looked up again.
REFRESH_SECONDS = 1.0


class Snapshot:
    """One index generation: its Whoosh index, arrays and term cache (shared by threads)."""

    def __init__(self, index_root: Path) -> None:
        from .postings import TermCache

        self.ix, self.info = open_index(index_root)
        self.columns = Columns.load(self.info.path)
        self.terms = TermCache()
        c = self.columns
        self.norms = {f: (1 - B) + B * c.lengths[f] / c.avg_length[f] for f in SEARCH_FIELDS}
        self.stats_cache: dict | None = None


@dataclass
class Reader:
    snapshot: Snapshot
    searcher: object


class LiveIndex:
    """The generation ``index_root/CURRENT`` names, and this thread's reader of it."""

    def __init__(self, index_root: Path) -> None:
        self.index_root = Path(index_root)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._readers: list[Reader] = []  # every open reader, so they can be closed
        self._finalizer = weakref.finalize(self, _close_readers, self._readers, self._lock)

    def current(self) -> Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is None or now - self._checked > REFRESH_SECONDS:
            gen = current_generation(self.index_root)
            with self._lock:
                if self._snapshot is None or (gen is not None and gen.name != self._snapshot.info.generation):
                    self._snapshot = Snapshot(self.index_root)
                self._checked = now
                snap = self._snapshot
        return snap

    def reader(self) -> Reader:
        snap = self.current()
        mine: Reader | None = getattr(self._local, "reader", None)
        if mine is None or mine.snapshot is not snap:
            fresh = Reader(snap, snap.ix.searcher())
            with self._lock:
                if mine is not None and mine in self._readers:
                    self._readers.remove(mine)
                    mine.searcher.close()
                self._readers.append(fresh)
            mine = self._local.reader = fresh
        return mine

    @property
    def info(self) -> IndexInfo:
        return self.current().info

    def refresh(self) -> None:
        """Look for a new generation on the next request."""
        self._checked = 0.0

    def close(self) -> None:
        """Close every reader opened (also done when garbage-collected)."""
        self._finalizer()


def _close_readers(readers: list[Reader], lock: threading.Lock) -> None:
    with lock:
        for reader in readers:
            reader.searcher.close()
        readers.clear()
