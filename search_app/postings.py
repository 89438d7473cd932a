"""Read a generation's posting lists: Whoosh's term table says where a key's list lies in the postings file; the
list is decoded whole into NumPy arrays (``indexer.postings``), and recent ones are kept decoded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader, TermNotFound

from indexer.postings import Postings, decode
from indexer.readat import ReadAt
from indexer.schema import KEY_FIELD


class PostingsFile:
    """A generation's postings file, read at offsets (shared by threads; see ``indexer.readat``)."""

    def __init__(self, folder: Path) -> None:
        [path] = folder.glob("*.pst")
        self._data = ReadAt(path)

    def read(self, reader: IndexReader, key: str) -> Postings | None:
        """The key's posting list, or None if no record has it (``reader`` is the thread's Whoosh reader)."""
        try:
            info = reader.term_info(KEY_FIELD, key)
        except TermNotFound:
            return None
        offset, length = info.extent()
        if isinstance(length, tuple):  # whoosh 2.7.4 reads the length back as struct.unpack's tuple
            length = length[0]
        return decode(self._data.read(offset, length))

    def close(self) -> None:
        self._data.close()


class TermCache:
    """Values computed from posting lists (decoded lists, scored lists …), bounded in bytes; shared by the threads
    of one generation."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_load(self, key: tuple, load: Callable[[], object], size: Callable[[object], int]) -> object:
        """The cached value under ``key``, computed by ``load()`` the first time."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]
        value = load()
        nbytes = size(value) + 200
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, nbytes)
                self._bytes += nbytes
                while self._bytes > self.max_bytes and len(self._items) > 1:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return value


def array_bytes(*arrays: np.ndarray) -> int:
    return sum(a.nbytes for a in arrays)
