"""Reading a file at offsets with ``pread``: a file cut short while it is open gives an error, not a crash.

A memory map of a file that is then truncated (a damaged disk, an operator's mistake) kills the process with
SIGBUS on the next read of a lost page; ``pread`` returns fewer bytes, which is reported as ``EOFError``.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path


class ReadAt:
    """An open file read at offsets; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._lock = threading.Lock()  # only where there is no pread (Windows)
        self._finalizer = weakref.finalize(self, os.close, self._fd)

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset``; ``EOFError`` if the file holds fewer."""
        if hasattr(os, "pread"):
            data = os.pread(self._fd, length, offset)
        else:
            with self._lock:
                os.lseek(self._fd, offset, os.SEEK_SET)
                data = os.read(self._fd, length)
        if len(data) != length:
            raise EOFError(f"{self.path.name}: {length:,} bytes at {offset:,} asked for, {len(data):,} there")
        return data

    def close(self) -> None:
        self._finalizer()
