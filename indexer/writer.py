"""Write an index generation: analyse records on every core in runs, then merge the runs into one Whoosh segment.

The measures arrive one at a time and are cut into runs of consecutive measures (from ``FIRST_RUN`` records,
doubling to ``RUN_RECORDS``, so that even a small build keeps every core busy). Each run is analysed in a worker
process, which writes to the build folder, in key order, the run's postings (per key: records, occurrences per
field, positions) and its part of the document store, and returns the run's per-record columns. The build process
then merges the runs key by key into the final posting lists, with each key's BM25F weights computed from the
whole generation's field lengths, and writes them into a Whoosh segment (its term table and postings file,
``postings.py`` for the format). Memory stays bounded by a few runs and by one key's postings, whatever the
number of records.
"""

from __future__ import annotations

import ctypes
import heapq
import marshal
import multiprocessing
import os
import signal
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.system import pack_ushort
from whoosh.writing import SegmentWriter

from .analysis import Surface
from .arrays import CODED, ArrayBuilder
from .docstore import DocStoreWriter, join_parts
from .models import Measure
from .postings import MAX_POSITIONS, encode
from .schema import KEY_FIELD, SEARCH_FIELDS, analysed_records
from .surfaces import write_surfaces

#: Most records in one run (what a worker holds in memory before writing it out).
RUN_RECORDS = 25_000
#: Records in the first run; each next one is twice as large, up to ``RUN_RECORDS``.
FIRST_RUN = 1_000
#: BM25F: field weights (title above evaluation and status, above plan, above metadata), k1 and b.
FIELD_WEIGHTS: dict[str, float] = {
    "title": 5.0, "evaluation": 2.0, "status": 2.0, "achievement": 1.5, "plan": 1.2, "meta": 0.5,
}
K1, B = 1.2, 0.75

Progress = Callable[[int, int], None]


@dataclass
class Run:
    """What a worker made of a run: where its files are, and its records' columns."""

    index: int
    doc_base: int
    count: int
    postings: Path
    docs: tuple[Path, np.ndarray, bytes]  # (file, where each record starts in it, its dictionary)
    rows: list[tuple]  # per record: the coded columns (``CODED``), then the plan page
    lengths: np.ndarray  # per record: keys per field
    surfaces: set[Surface]


def write_generation(measures: Iterable[Measure], folder: Path, progress: Progress | None = None,
                     workers: int | None = None, total: int = 0) -> int:
    """Write the index of ``measures`` (read as they are needed) into ``folder``: a Whoosh index, the document
    store, the arrays and the surfaces. Returns the number of records; ``progress(done, total)`` hears of each run
    (``total`` records expected, 0 if not known)."""
    from whoosh import index as whoosh_index

    from .schema import make_schema

    (folder / ".runs").mkdir()
    arrays = ArrayBuilder()
    runs: list[Run] = []
    surfaces: set[Surface] = set()
    for run in _runs(_tasks(measures, folder / ".runs"), workers):
        for row in run.rows:
            arrays.add(row)
        arrays.add_lengths(run.lengths)
        surfaces |= run.surfaces
        run.rows, run.surfaces = [], set()
        runs.append(run)
        if progress:
            progress(len(arrays), max(total, len(arrays)))
    lengths = np.concatenate([r.lengths for r in runs]) if runs else np.zeros((0, len(SEARCH_FIELDS)))
    ix = whoosh_index.create_in(str(folder), make_schema())
    writer = KeyWriter(ix)
    try:
        writer.write_keys(_merged(runs, lengths, np.asarray(arrays.codes["dataset"], dtype=np.int64)))
        writer.finish(len(arrays))
    except BaseException:
        writer.cancel()
        raise
    join_parts(folder, [(*r.docs, r.doc_base) for r in runs])
    arrays.save(folder)
    write_surfaces(folder, surfaces)
    for run in runs:
        run.postings.unlink()
    (folder / ".runs").rmdir()
    return len(arrays)


# -- runs ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    index: int
    doc_base: int
    measures: Sequence[Measure]
    folder: Path


def _tasks(measures: Iterable[Measure], folder: Path) -> Iterator[_Task]:
    """Consecutive measures in runs of ``FIRST_RUN`` records, then twice as many each time up to ``RUN_RECORDS``."""
    size, batch, records, doc_base, index = FIRST_RUN, [], 0, 0, 0
    for m in measures:
        batch.append(m)
        records += len(m.years)
        if records >= size:
            yield _Task(index, doc_base, batch, folder)
            index, doc_base, batch, records = index + 1, doc_base + records, [], 0
            size = min(2 * size, RUN_RECORDS)
    if batch:
        yield _Task(index, doc_base, batch, folder)


def _workers(workers: int | None) -> int:
    return workers if workers is not None else min(os.cpu_count() or 1, 4)


def _runs(tasks: Iterator[_Task], workers: int | None) -> Iterator[Run]:
    """The runs, in order; on several cores when there is more than one (at most two runs a worker in flight,
    so that the measures read ahead stay few)."""
    workers = _workers(workers)
    first = next(tasks, None)
    if first is None:
        return
    second = next(tasks, None)
    if workers <= 1 or second is None:
        yield from map(_analyse_run, (t for t in (first, second) if t is not None))
        yield from map(_analyse_run, tasks)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with multiprocessing.get_context(method).Pool(workers, initializer=_worker_start,
                                                  initargs=(os.getpid(),)) as pool:
        pending = deque(pool.apply_async(_analyse_run, (t,)) for t in (first, second))
        for task in tasks:
            pending.append(pool.apply_async(_analyse_run, (task,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _analyse_run(task: _Task) -> Run:
    """Analyse a run's records and write its postings (in key order) and its part of the document store."""
    vocab: dict[str, int] = {}
    key_ids, docs, fields, positions = array("I"), array("I"), array("B"), array("I")
    surfaces: set[Surface] = set()
    rows: list[tuple] = []
    lengths = []
    store = DocStoreWriter(task.folder, f"run-{task.index}.docs")
    doc = task.doc_base
    for measure in task.measures:
        for analysed in analysed_records(measure, surfaces):
            record = analysed.record
            pos = 0
            counts = []
            for f, tokens in enumerate(analysed.tokens):
                if pos + len(tokens) >= MAX_POSITIONS:  # a record of over a million keys: the rest is not indexed
                    tokens = tokens[:max(0, MAX_POSITIONS - 1 - pos)]
                n = len(tokens)
                key_ids.extend([vocab.setdefault(t.key, len(vocab)) for t in tokens])
                docs.extend([doc] * n)
                fields.extend([f] * n)
                positions.extend(range(pos, pos + n))
                pos += n + 1
                counts.append(n)
            lengths.append(counts)
            rows.append((*(str(getattr(record, name)) for name in CODED),
                         record.plan_page if record.plan_page is not None else -1))
            store.add(record.to_row(), analysed.offsets())
            doc += 1
    offsets, dictionary = store.close()
    path = task.folder / f"run-{task.index}.post"
    _write_run(path, vocab, key_ids, docs, fields, positions)
    return Run(task.index, task.doc_base, doc - task.doc_base, path, (store.path, offsets, dictionary), rows,
               np.asarray(lengths, dtype=np.uint32).reshape(-1, len(SEARCH_FIELDS)), surfaces)


def _write_run(path: Path, vocab: dict[str, int], key_ids: array, docs: array, fields: array,
               positions: array) -> None:
    """Each key's occurrences, grouped by record, in key order: (key, records int32, occurrences per field
    uint8 n × fields, positions per record uint32, positions uint32) marshalled one key after another."""
    keys = np.frombuffer(key_ids, dtype=np.uint32)
    order = np.argsort(keys, kind="stable")  # stable: each key's occurrences stay in record, position order
    keys, all_docs = keys[order], np.frombuffer(docs, dtype=np.uint32)[order]
    all_fields, all_positions = np.frombuffer(fields, dtype=np.uint8)[order], np.frombuffer(positions, np.uint32)[order]
    bounds = np.searchsorted(keys, np.arange(len(vocab) + 1))
    width = len(SEARCH_FIELDS)
    with path.open("wb") as out:
        for key in sorted(vocab):
            kid = vocab[key]
            s, e = bounds[kid], bounds[kid + 1]
            d = all_docs[s:e]
            firsts = np.concatenate(([0], np.flatnonzero(np.diff(d)) + 1))
            per_doc = np.diff(np.append(firsts, len(d)))
            owner = np.repeat(np.arange(len(firsts)), per_doc)
            ftf = np.minimum(np.bincount(owner * width + all_fields[s:e], minlength=len(firsts) * width), 255)
            marshal.dump((key, d[firsts].astype(np.int32).tobytes(), ftf.astype(np.uint8).tobytes(),
                          per_doc.astype(np.uint32).tobytes(), all_positions[s:e].tobytes()), out)


def _read_run(path: Path, index: int) -> Iterator[tuple[str, int, tuple]]:
    with path.open("rb") as fh:
        while True:
            try:
                item = marshal.load(fh)
            except EOFError:
                return
            yield item[0], index, item


# -- merging runs into posting lists -----------------------------------------------------------------------------


#: How many records of the whole index a dataset's own average field length is blended with: a small dataset's
#: average says little, a large one's speaks for itself.
PRIOR_RECORDS = 50


def average_lengths(lengths: np.ndarray, datasets: np.ndarray) -> np.ndarray:
    """Each record's average field lengths to normalise by: its dataset's, blended with the whole index's by
    ``PRIOR_RECORDS``. A city whose cells are long throughout is measured against its own wording, so that long
    cells neither win by length nor lose by it against a terse city's."""
    width = lengths.shape[1] if lengths.ndim == 2 else len(SEARCH_FIELDS)
    if not len(lengths):
        return np.ones((0, width))
    overall = lengths.mean(axis=0)
    count = np.bincount(datasets, minlength=int(datasets.max()) + 1).astype(np.float64)
    sums = np.stack([np.bincount(datasets, weights=lengths[:, f], minlength=len(count)) for f in range(width)],
                    axis=1)
    blended = (sums + PRIOR_RECORDS * overall) / (count[:, None] + PRIOR_RECORDS)
    return np.where(blended > 0, blended, 1.0)[datasets]


def _merged(runs: Sequence[Run], lengths: np.ndarray, datasets: np.ndarray) -> Iterator[tuple[str, bytes, int]]:
    """(key, encoded posting list, records) for every key, in key order, merged from the runs."""
    avg = average_lengths(lengths, datasets)
    # each field's weight over its length norm, per record: w_f / ((1 - b) + b · len / avg)
    scale = (np.asarray([FIELD_WEIGHTS[f] for f in SEARCH_FIELDS])
             / ((1 - B) + B * lengths / avg)).astype(np.float32)
    bits = (1 << np.arange(len(SEARCH_FIELDS))).astype(np.uint8)
    width = len(SEARCH_FIELDS)
    streams = [_read_run(r.postings, r.index) for r in runs]
    current: str | None = None
    parts: list[tuple] = []
    for key, _, item in heapq.merge(*streams, key=lambda t: (t[0], t[1])):
        if key != current and parts:
            yield _posting_list(current, parts, scale, bits, width)
            parts = []
        current = key
        parts.append(item)
    if parts:
        yield _posting_list(current, parts, scale, bits, width)


def _posting_list(key: str, parts: list[tuple], scale: np.ndarray, bits: np.ndarray,
                  width: int) -> tuple[str, bytes, int]:
    docs = np.concatenate([np.frombuffer(p[1], dtype=np.int32) for p in parts])
    ftf = np.concatenate([np.frombuffer(p[2], dtype=np.uint8) for p in parts]).reshape(-1, width)
    counts = np.concatenate([np.frombuffer(p[3], dtype=np.uint32) for p in parts])
    positions = np.concatenate([np.frombuffer(p[4], dtype=np.uint32) for p in parts])
    weights = (ftf * scale[docs]).sum(axis=1)
    masks = ((ftf > 0) * bits).sum(axis=1).astype(np.uint8)
    return key, encode(docs, weights, masks, counts, positions), len(docs)


class KeyWriter(SegmentWriter):
    """A Whoosh ``SegmentWriter`` given encoded posting lists rather than documents: the keys go into Whoosh's
    term table (document frequency, and where the list lies in the postings file), the lists into its postings
    file; the segment records the number of documents."""

    def __init__(self, ix) -> None:
        super().__init__(ix, codec=W3Codec(), compound=False)

    def write_keys(self, items: Iterator[tuple[str, bytes, int]]) -> None:
        fw = self.fieldwriter
        fw.start_field(KEY_FIELD, self.schema[KEY_FIELD])
        postfile, prefix = fw._postfile, pack_ushort(fw._fieldid)  # whoosh 2.7.4 internals, pinned
        for key, data, df in items:
            info = W3TermInfo(weight=float(df), df=df)
            info.set_extent(postfile.tell(), len(data))
            postfile.write(data)
            fw._tindex.add(prefix + key.encode("utf-8"), info.to_bytes())
        fw.finish_field()

    def finish(self, documents: int) -> None:
        self.docnum = documents
        self._added = True
        self.commit(optimize=True)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self.fieldwriter.close()


# -- analysis workers ------------------------------------------------------------------------------------------

#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _worker_start(parent: int) -> None:
    """In each analysis worker: die with the build (on Linux, the kernel sends SIGKILL when the parent dies; a
    worker whose parent is already gone exits). The build lock's descriptor was closed at fork
    (``indexer.generations``)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
