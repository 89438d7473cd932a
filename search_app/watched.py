"""A dictionary file read at query time and read again when it changes (its modification time or size): the
synonyms and the concepts. Editing the file takes effect on the next search, without rebuilding the index."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WatchedFile(Generic[T]):
    """``parse(text, name)`` of the file at ``path``, kept until the file changes; ``empty`` with no file (None,
    gone). A file that cannot be read keeps the previous table (logged)."""

    def __init__(self, path: Path | None, parse: Callable[[str, str], T], empty: T, what: str) -> None:
        self.path = path
        self._parse = parse
        self._empty = empty
        self._what = what
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._table = empty

    def stamp(self) -> tuple[int, int] | None:
        """Changes when the file does (part of the result cache key)."""
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def table(self, stamp: tuple[int, int] | None | object = ...) -> T:
        """The table as the file is now (``stamp``: the file's stamp if the caller has just taken it)."""
        if stamp is ...:
            stamp = self.stamp()
        if stamp is None:
            return self._empty
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    try:
                        self._table = self._parse(self.path.read_text(encoding="utf-8"), self.path.name)
                        log.info("%s: read %s", self._what, self.path)
                    except (OSError, UnicodeDecodeError) as exc:
                        log.warning("%s: cannot read %s (%s); keeping the previous table", self._what, self.path, exc)
                    self._stamp = stamp
        return self._table
