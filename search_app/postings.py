"""Read whole Whoosh posting lists as NumPy arrays, with a per-generation LRU of recent terms.

Whoosh's matcher tree visits postings one at a time in Python; reading a
term's blocks whole and combining them with NumPy is what makes a search over
100k records take milliseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_TF = np.zeros(0, dtype=np.float64)
for _a in (EMPTY_IDS, EMPTY_TF):
    _a.setflags(write=False)


def read_postings(reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of a term in a field; empty arrays if absent."""
    if (field, term) not in reader:
        return EMPTY_IDS, EMPTY_TF
    m = reader.postings(field, term)
    ids: list = []
    weights: list = []
    if isinstance(m, W3LeafMatcher):  # whole blocks at a time (whoosh 2.7.4 internals, pinned)
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            ids.append(np.asarray(m._ids, dtype=np.int32))
            weights.append(np.asarray(m._weights, dtype=np.float64))
            m._next_block()
        if not ids:
            return EMPTY_IDS, EMPTY_TF
        out_ids, out_w = np.concatenate(ids), np.concatenate(weights)
    else:  # postings inlined in the term info
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        out_ids, out_w = np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float64)
    out_ids.setflags(write=False)
    out_w.setflags(write=False)
    return out_ids, out_w


class TermCache:
    """Posting arrays of recently used terms, bounded in bytes; shared by the threads of one generation."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        return self.get_or_load((field, term), lambda: read_postings(reader, field, term))

    def get_or_load(self, key: tuple, load) -> tuple[np.ndarray, np.ndarray]:
        """The cached arrays under ``key``, computed by ``load()`` the first time."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = load()
        size = value[0].nbytes + value[1].nbytes + 100
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += size
                while self._bytes > self.max_bytes and len(self._items) > 1:
                    _, (a, b) = self._items.popitem(last=False)
                    self._bytes -= a.nbytes + b.nbytes + 100
        return value
