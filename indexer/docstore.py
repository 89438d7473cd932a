"""Stored records: each record's ``StoredRecord`` row and the character offsets of its keys, compressed in blocks
of consecutive records (a measure's years, written one after another, share much of their text).

``docs.bin`` holds the blocks, each a zlib-compressed ``marshal`` of a list of ``(row, offsets)``; ``offsets``
maps a field to the (start, end) of each of its keys, as the bytes of a uint32 array. ``marshal`` reads and
writes only core types (no code can ride in it); the generation's schema version names the Python that wrote it.
``docs.idx.npy`` holds each block's first document number and where it starts in ``docs.bin``.
"""

from __future__ import annotations

import marshal
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

DOCS_FILE = "docs.bin"
INDEX_FILE = "docs.idx.npy"
#: Records per block: small enough that a search reading 20 records decompresses little.
BLOCK = 8


class DocStoreWriter:
    """Appends records to ``docs.bin`` in blocks; ``close`` writes the block index."""

    def __init__(self, folder: Path, name: str = DOCS_FILE) -> None:
        self.folder = folder
        self._out = (folder / name).open("wb")
        self._pending: list[tuple] = []
        self._firsts: list[int] = []
        self._offsets: list[int] = []
        self.count = 0

    def add(self, row: tuple, offsets: dict[str, bytes]) -> None:
        self._pending.append((row, offsets))
        self.count += 1
        if len(self._pending) == BLOCK:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        self._firsts.append(self.count - len(self._pending))
        self._offsets.append(self._out.tell())
        self._out.write(zlib.compress(marshal.dumps(self._pending), 6))
        self._pending = []

    def close(self) -> tuple[np.ndarray, np.ndarray]:
        """Flush; (first document of each block, where each block starts)."""
        self._flush()
        self._out.close()
        return np.asarray(self._firsts, dtype=np.int64), np.asarray(self._offsets, dtype=np.int64)


def join_parts(folder: Path, parts: list[tuple[Path, np.ndarray, np.ndarray, int]]) -> None:
    """Write ``docs.bin`` and its index from the parts written by ``DocStoreWriter``s of consecutive records:
    (file, first document of each block within the part, where each block starts in it, the part's first
    document number). Each part file is removed once copied."""
    firsts, offsets = [], []
    with (folder / DOCS_FILE).open("wb") as out:
        for path, part_firsts, part_offsets, doc_base in parts:
            base = out.tell()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
            path.unlink()
            firsts.append(part_firsts + doc_base)
            offsets.append(part_offsets + base)
        size = out.tell()
    all_firsts = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
    all_offsets = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    np.save(folder / INDEX_FILE, np.stack([np.append(all_firsts, -1), np.append(all_offsets, size)]))


class DocStore:
    """Reads records back; the most recently used blocks are kept decompressed (thread-safe)."""

    def __init__(self, folder: Path, cached_blocks: int = 256) -> None:
        index = np.load(folder / INDEX_FILE)
        self._firsts, self._offsets = index[0][:-1], index[1]
        self._data = _mapped(folder / DOCS_FILE)
        self._cache: OrderedDict[int, list] = OrderedDict()
        self._cached = cached_blocks
        self._lock = threading.Lock()

    def get(self, docnum: int) -> tuple[tuple, dict[str, bytes]]:
        """(row, offsets) of a record."""
        block = int(np.searchsorted(self._firsts, docnum, side="right")) - 1
        with self._lock:
            items = self._cache.get(block)
            if items is not None:
                self._cache.move_to_end(block)
        if items is None:
            start, end = int(self._offsets[block]), int(self._offsets[block + 1])
            items = marshal.loads(zlib.decompress(self._data[start:end]))
            with self._lock:
                self._cache[block] = items
                while len(self._cache) > self._cached:
                    self._cache.popitem(last=False)
        return items[docnum - int(self._firsts[block])]


def _mapped(path: Path):
    """The file's bytes, memory-mapped read-only (an empty file as empty bytes)."""
    import mmap

    if path.stat().st_size == 0:
        return b""
    with path.open("rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
