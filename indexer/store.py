"""Writing an index generation from datasets, and opening the live one.

Where generations live and how one replaces another is ``generations.py``.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from . import integrity
from .analysis import ANALYZER_VERSION
from .generations import (
    SCHEMA_VERSION,
    DatasetInfo,
    GenerationDamaged,
    IndexInfo,
    IndexUnavailable,
    build_lock,
    clean_partial,
    current_generation,
    publish,
    read_info,
    write_meta,
)
from .models import Dataset, Measure, PlansearchError
from .writer import Progress, write_generation

log = logging.getLogger(__name__)

SOURCES = "sources"


def build_index(datasets: Iterable[Dataset], root: Path, progress: Progress | None = None,
                wait: bool = False, seen: Sequence[Path] | None = None,
                on_dataset: Callable[[Dataset], None] | None = None) -> IndexInfo:
    """Write a complete new generation of the index and make it the live one.

    ``datasets`` are read as they are needed (``read_datasets``), so a build holds a few runs of records in memory,
    not the corpus; ``on_dataset`` hears of each. The tables read are copied into the generation (``sources/``),
    so that a later reload that finds a table broken can keep serving this version of it. ``seen`` are the table
    files of the data folder as they were when read (what ``is_stale`` compares with); by default the datasets'
    own files. If there is no dataset, nothing changes.
    """
    _writable(root)
    with build_lock(root, wait=wait):
        clean_partial(root)
        name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        tmp = root / f".build-{name}"
        try:
            tmp.mkdir()
            read_at = datetime.now(UTC).isoformat(timespec="seconds")
            summaries: list[dict] = []
            paths: list[Path] = []
            (tmp / SOURCES).mkdir()

            def measures() -> Iterator[Measure]:
                for ds in datasets:
                    summaries.append(_dataset_meta(ds, read_at))
                    paths.extend(Path(p) for p in ds.paths)
                    _copy_sources(ds, tmp / SOURCES)
                    if on_dataset is not None:
                        on_dataset(ds)
                    yield from ds.measures

            records = _write(measures(), tmp, progress)
            if not summaries:
                raise PlansearchError("no table could be read; the index is left as it was")
            meta = {
                "analyzer": ANALYZER_VERSION,
                "schema": SCHEMA_VERSION,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "records": records,
                "datasets": summaries,
                "files": [list(stamp(p)) for p in (seen if seen is not None else paths)],
                "integrity": {"algorithm": integrity.ALGORITHM, "files": integrity.inventory(tmp)},
            }
            write_meta(tmp, meta)
            publish(root, tmp, name)
        except OSError as exc:
            written = _size(tmp)
            shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(_disk_full(root, written)) from None
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("index %s: %d records in generation %s", root, records, name)
        return read_info(root / name)


class DiskFull(IndexUnavailable):
    """A build ran out of disk space (its partial generation was removed)."""


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass
    return total


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _disk_full(root: Path, written: int) -> str:
    """One line: the folder, the space a build needs (about twice the live generation while it runs: its runs
    of postings are written before they are merged) and the space left."""
    live = current_generation(root)
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        free = 0
    if live is not None:
        size = _size(live)
        need = f"a build needs about {_mb(2 * size)} while it runs (twice the live index's {_mb(size)})"
        kept = "the live index is still served"
    else:
        need = f"the build had written {_mb(written)} when it filled"
        kept = "there is no index yet"
    return f"{root}: the disk is full: {need} and {_mb(free)} is free; the partial build was removed and {kept}"


def _writable(root: Path) -> None:
    """Create the index folder if needed; an ``IndexUnavailable`` if it cannot be written (a read-only copy)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexUnavailable(f"{root}: cannot create the index folder ({exc.strerror or exc})") from None
    if not os.access(root, os.W_OK):
        raise IndexUnavailable(f"{root}: the index folder is read-only; it can be served but not built into "
                               "(build elsewhere and copy the generation, or make it writable)")


def _write(measures: Iterable[Measure], folder: Path, progress: Progress | None) -> int:
    records = write_generation(measures, folder, progress)
    with whoosh_index.open_dir(str(folder), readonly=True).reader() as reader:
        if reader.doc_count_all() != records:
            raise PlansearchError(f"{folder}: index holds {reader.doc_count_all()} documents, expected {records}")
    return records


def stamp(path: Path) -> tuple:
    """(name, size, modified) of a table file: what ``is_stale`` compares."""
    st = path.stat()
    return path.name, st.st_size, st.st_mtime_ns


def _copy_sources(ds: Dataset, folder: Path) -> None:
    for path in ds.paths:
        source = Path(path)
        if source.is_file():
            shutil.copy2(source, folder / source.name)


def previous_source(root: Path, name: str) -> Path | None:
    """The copy of table ``name`` that the live generation was built from, if any."""
    gen = current_generation(root)
    path = gen / SOURCES / name if gen else None
    return path if path is not None and path.is_file() else None


def _dataset_meta(ds: Dataset, read_at: str) -> dict:
    sources = []
    for table in ds.tables:
        try:
            changed = datetime.fromtimestamp(Path(table.path).stat().st_mtime, UTC).isoformat(timespec="seconds")
        except OSError:
            changed = None
        sources.append({**table.to_dict(), "modified": changed})
    return DatasetInfo(slug=ds.slug, municipality=ds.municipality, name=ds.name, years=tuple(ds.years),
                       measures=len(ds.measures), records=len(ds.records()), warnings=len(ds.warnings),
                       sources=tuple(sources), read_at=read_at).to_meta()


def open_generation(gen: Path) -> tuple[whoosh_index.Index, IndexInfo]:
    """Open a generation read-only after the quick checks: its ``meta.json`` whole, built by this analyzer and
    schema, not marked damaged, every file there with its recorded size. ``GenerationDamaged`` or
    ``IndexUnavailable`` (another version) otherwise."""
    info = read_info(gen)
    info.check_format()
    mark = integrity.damage_mark(gen)
    problems = [mark] if mark else integrity.quick_problems(gen, info.contents)
    if problems:
        raise GenerationDamaged(gen, problems)
    try:
        return whoosh_index.open_dir(str(gen), readonly=True), info
    except Exception as exc:  # whoosh's own errors for a bad table of contents are plain Exceptions
        raise GenerationDamaged(gen, [f"the index cannot be opened ({type(exc).__name__}: {exc})"]) from None


def open_index(root: Path) -> tuple[whoosh_index.Index, IndexInfo]:
    """Open the live generation (the one ``CURRENT`` names) read-only, after the quick checks."""
    gen = current_generation(root)
    if gen is None:
        raise IndexUnavailable(f"{root}: no index yet; run 'plansearch index'")
    return open_generation(gen)


def is_stale(root: Path, table_files: Sequence[Path]) -> bool:
    """True if there is no usable index (none, damaged, another version) or the tables changed since it was
    built."""
    gen = current_generation(root)
    if gen is None or integrity.damage_mark(gen) is not None:
        return True
    try:
        info = read_info(gen)
    except GenerationDamaged:
        return True
    return not info.is_current_format or set(info.files) != {stamp(p) for p in table_files}
