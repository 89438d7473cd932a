"""Write analysed documents into a Whoosh segment in bulk, and analyse them on both cores.

Whoosh's own writer sends every posting through a sorting pool as a Python
tuple (several microseconds each, most of a build). Here each term's postings
are collected in compact arrays and written into Whoosh's own posting blocks
when the segment is committed; the files are ordinary Whoosh 2.7 segments.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from .generations import HELD_LOCKS
from .models import Measure
from .schema import documents

Analysed = tuple[dict[str, list[str]], dict[str, object], dict]  # (terms per field, stored values, array row)


class BulkWriter(SegmentWriter):
    """A ``SegmentWriter`` fed analysed terms (see ``add_analysed``) instead of field values."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self._postings: dict[str, dict[bytes, tuple[array, array]]] = {}

    def add_analysed(self, terms: dict[str, list[str]], stored: dict[str, object]) -> None:
        self._check_state()
        docnum = self.docnum
        pdw = self.perdocwriter
        schema = self.schema
        pdw.start_doc(docnum)
        for fieldname in sorted(terms):
            values = terms[fieldname]
            table = self._postings.setdefault(fieldname, {})
            for term, n in Counter(values).items():
                btext = term.encode("utf-8")
                entry = table.get(btext)
                if entry is None:
                    entry = table[btext] = (array("I"), array("I"))
                entry[0].append(docnum)
                entry[1].append(n)
            field = schema[fieldname]
            pdw.add_field(fieldname, field, stored.get(fieldname), len(values) if field.scorable else 0)
        for fieldname, value in stored.items():
            if fieldname not in terms:
                pdw.add_field(fieldname, schema[fieldname], value, 0)
        pdw.finish_doc()
        self.docnum += 1
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        fw = self.fieldwriter
        for fieldname in sorted(self._postings):
            fw.start_field(fieldname, self.schema[fieldname])
            terms = self._postings[fieldname]
            for btext in sorted(terms):
                fw.start_term(btext)
                _write_term(fw._postwriter, *terms[btext])
                fw.finish_term()
            fw.finish_field()
        fw.close()
        self._postings = {}


def _write_term(pw, ids: array, freqs: array) -> None:
    """Fill the postings writer's block buffer a whole block at a time (whoosh 2.7.4, pinned)."""
    limit = pw._blocklimit
    n = len(ids)
    for start in range(0, n, limit):
        chunk = freqs[start:start + limit]
        pw._ids = ids[start:start + limit]
        pw._weights = array("f", chunk)
        pw._values = [pack_uint(f) for f in chunk]
        pw._maxweight = max(chunk)
        if start + limit < n:
            pw._write_block()  # the last block is written (or inlined) by finish_postings


def _analyse(measures: Sequence[Measure]) -> list[Analysed]:
    return [item for m in measures for item in documents(m)]


def analysed(measures: Sequence[Measure], workers: int | None = None, chunk: int = 64) -> Iterator[Analysed]:
    """Every record's analysis, in order; on several cores when there is enough to share."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(measures) < 4 * chunk:
        for m in measures:
            yield from documents(m)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    chunks = iter(_chunks(measures, chunk))
    with multiprocessing.get_context(method).Pool(workers, initializer=_worker_start,
                                                  initargs=(os.getpid(), tuple(HELD_LOCKS))) as pool:
        # at most two chunks per worker in flight, so analysed records never pile up in memory
        pending = deque(pool.apply_async(_analyse, (c,)) for c in islice(chunks, 2 * workers))
        while pending:
            batch = pending.popleft().get()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.apply_async(_analyse, (following,)))
            yield from batch


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _worker_start(parent: int, locks: tuple[int, ...]) -> None:
    """In each analysis worker: let go of the build lock inherited from the build, and die with the build (on
    Linux, the kernel sends SIGKILL when the parent dies; a worker whose parent is already gone exits)."""
    for fd in locks:
        try:
            os.close(fd)
        except OSError:
            pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _chunks(items: Sequence[Measure], size: int) -> Iterable[Sequence[Measure]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
