"""Stored records: each record's ``StoredRecord`` row and the character offsets of its keys, compressed one by one
against a shared dictionary (zlib's preset dictionary), so that reading the 20 records of a page decompresses 20
small pieces, and the store is about as small as compressing records in blocks.

``docs.bin`` holds each record, a zlib stream of the ``marshal`` of ``(row, offsets)``; ``offsets`` maps a field
to the (start, end) of each of its keys, as the bytes of a uint32 array. ``marshal`` reads and writes only core
types (no code can ride in it); the generation's schema version names the Python that wrote it. A build writes
the store in parts (one per run of records, each with its own dictionary taken from its first records);
``docs.idx.npy`` holds where each record starts (and the end), ``docs.parts.npy`` each part's first record and
where its dictionary lies in ``docs.dicts``.
"""

from __future__ import annotations

import marshal
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .models import StoredRecord
from .readat import ReadAt

DOCS_FILE = "docs.bin"
INDEX_FILE = "docs.idx.npy"
PARTS_FILE = "docs.parts.npy"
DICTS_FILE = "docs.dicts"
#: Records whose bytes make a part's dictionary, and the dictionary's size (zlib uses at most 32 KiB).
DICTIONARY_RECORDS = 256
DICTIONARY_BYTES = 32 * 1024


class DocStoreWriter:
    """Writes one part of the store: records one after another, each compressed against the part's dictionary
    (the first ``DICTIONARY_RECORDS`` records' bytes, kept until the dictionary is made)."""

    def __init__(self, folder: Path, name: str = DOCS_FILE) -> None:
        self.path = folder / name
        self._out = self.path.open("wb")
        self._waiting: list[bytes] = []
        self._dictionary: bytes | None = None
        self._offsets: list[int] = []
        self.count = 0

    def add(self, row: tuple, offsets: dict[str, bytes]) -> None:
        raw = marshal.dumps((row, offsets))
        self.count += 1
        if self._dictionary is None:
            self._waiting.append(raw)
            if len(self._waiting) == DICTIONARY_RECORDS:
                self._start()
            return
        self._write(raw)

    def _start(self) -> None:
        self._dictionary = b"".join(self._waiting)[-DICTIONARY_BYTES:]
        waiting, self._waiting = self._waiting, []
        for raw in waiting:
            self._write(raw)

    def _write(self, raw: bytes) -> None:
        self._offsets.append(self._out.tell())
        packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, self._dictionary)
        self._out.write(packer.compress(raw) + packer.flush())

    def close(self) -> tuple[np.ndarray, bytes]:
        """Write what waits; (where each record starts in the part, the part's dictionary)."""
        if self._dictionary is None:
            self._start()
        self._out.close()
        return np.asarray(self._offsets, dtype=np.int64), self._dictionary or b""


def join_parts(folder: Path, parts: list[tuple[Path, np.ndarray, bytes, int]]) -> None:
    """Write the store from the parts written by ``DocStoreWriter``s of consecutive records: (file, where each of
    its records starts in it, its dictionary, its first record's document number). Each part file is removed once
    copied."""
    offsets, firsts, dict_offsets = [], [], [0]
    with (folder / DOCS_FILE).open("wb") as out, (folder / DICTS_FILE).open("wb") as dicts:
        for path, part_offsets, dictionary, doc_base in parts:
            base = out.tell()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
            path.unlink()
            offsets.append(part_offsets + base)
            firsts.append(doc_base)
            dicts.write(dictionary)
            dict_offsets.append(dicts.tell())
        size = out.tell()
    all_offsets = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    np.save(folder / INDEX_FILE, np.append(all_offsets, size))
    np.save(folder / PARTS_FILE, np.stack([np.asarray(firsts + [-1], dtype=np.int64),
                                           np.asarray(dict_offsets, dtype=np.int64)]))


class DocStore:
    """Reads records back as ``StoredRecord``; recently read ones are kept (thread-safe)."""

    def __init__(self, folder: Path, cached: int = 4096) -> None:
        self._offsets = np.load(folder / INDEX_FILE)
        parts = np.load(folder / PARTS_FILE)
        self._firsts = parts[0][:-1]
        dicts = (folder / DICTS_FILE).read_bytes()
        self._dictionaries = [dicts[a:b] for a, b in zip(parts[1][:-1].tolist(), parts[1][1:].tolist(), strict=True)]
        self._data = ReadAt(folder / DOCS_FILE)
        self._cache: OrderedDict[int, tuple[StoredRecord, dict[str, bytes]]] = OrderedDict()
        self._cached = cached
        self._lock = threading.Lock()

    def get(self, docnum: int) -> tuple[StoredRecord, dict[str, bytes]]:
        """(record, offsets) of a record. A record is kept as read (frozen: shared by the threads)."""
        with self._lock:
            item = self._cache.get(docnum)
            if item is not None:
                self._cache.move_to_end(docnum)
                return item
        part = int(np.searchsorted(self._firsts, docnum, side="right")) - 1
        start, end = int(self._offsets[docnum]), int(self._offsets[docnum + 1])
        unpacker = zlib.decompressobj(15, self._dictionaries[part])
        row, offsets = marshal.loads(unpacker.decompress(self._data.read(start, end - start)))
        item = (StoredRecord.from_row(row), offsets)
        with self._lock:
            self._cache[docnum] = item
            while len(self._cache) > self._cached:
                self._cache.popitem(last=False)
        return item

    def close(self) -> None:
        self._data.close()
