"""Index generations on disk: build beside the live one, switch atomically, never serve half an index.

Layout of an index folder::

    index/
      CURRENT            name of the live generation (replaced atomically)
      gen-<time>-<pid>/  a complete Whoosh index + meta.json
      .build-<…>/        a build in progress (removed if it fails or was killed)
      build.lock         held while a build runs
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

from .analysis import ANALYZER_VERSION
from .arrays import ArrayBuilder
from .models import Dataset, PlansearchError
from .schema import SEARCH_FIELDS, key_field, make_schema
from .writer import BulkWriter, analysed

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
CURRENT = "CURRENT"
SOURCES = "sources"
LOCK = "build.lock"


class IndexCodec(W3Codec):
    """Whoosh's codec with big uncompressed posting blocks (read whole at query time) and no per-block
    length statistics (only Whoosh's own scorer used them, at a cost on every posting written)."""

    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=1024, compression=0)


class IndexUnavailable(PlansearchError):
    """The index is missing, stale or from another version."""


@dataclass(frozen=True)
class IndexInfo:
    path: Path
    generation: str
    built_at: str
    records: int
    datasets: tuple[dict, ...]

    @property
    def dataset_slugs(self) -> list[str]:
        return [d["slug"] for d in self.datasets]


Progress = Callable[[int, int], None]


def build_index(datasets: Sequence[Dataset], root: Path, progress: Progress | None = None,
                wait: bool = False, seen: Sequence[Path] | None = None) -> IndexInfo:
    """Write a complete new generation of the index and make it the live one.

    The tables read are copied into the generation (``sources/``), so that a later reload that finds a
    table broken can keep serving this version of it. ``seen`` are the table files of the data folder as
    they were when read (what ``is_stale`` compares with); by default the datasets' own files.
    """
    root.mkdir(parents=True, exist_ok=True)
    with build_lock(root, wait=wait):
        clean_partial(root)
        name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        tmp = root / f".build-{name}"
        tmp.mkdir()
        try:
            records = _write(datasets, tmp, progress)
            meta = {
                "analyzer": ANALYZER_VERSION,
                "schema": SCHEMA_VERSION,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "records": records,
                "datasets": [_dataset_meta(ds) for ds in datasets],
                "files": [_stamp(p) for p in (seen if seen is not None else [Path(ds.path) for ds in datasets])],
            }
            _copy_sources(datasets, tmp / SOURCES)
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
            _fsync_dir(tmp)
            os.rename(tmp, root / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        pointer = root / f".{CURRENT}.{os.getpid()}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, root / CURRENT)
        _fsync_dir(root)
        _remove_old(root, keep={name})
        log.info("index %s: %d records in generation %s", root, records, name)
        return _info(root / name)


def _write(datasets: Sequence[Dataset], folder: Path, progress: Progress | None) -> int:
    ix = whoosh_index.create_in(str(folder), make_schema())
    writer = BulkWriter(ix, codec=IndexCodec(), compound=False)  # a compound file is copied into memory by every reader
    arrays = ArrayBuilder()
    measures = [m for ds in datasets for m in ds.measures]
    total = sum(len(m.years) for m in measures)
    try:
        for terms, stored, row in analysed(measures):
            writer.add_analysed(terms, stored)
            arrays.add(row, {f: terms.get(key_field(f), []) for f in SEARCH_FIELDS})
            if progress and len(arrays) % 500 == 0:
                progress(len(arrays), total)
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        raise
    if progress:
        progress(len(arrays), total)
    with ix.reader() as reader:  # document numbers must be the order the array rows were added in
        if reader.doc_count_all() != len(arrays) or not reader.is_atomic():
            raise PlansearchError(f"{folder}: index holds {reader.doc_count_all()} documents, expected {len(arrays)}")
    arrays.save(folder)
    return len(arrays)


def _stamp(path: Path) -> list:
    st = path.stat()
    return [path.name, st.st_size, st.st_mtime_ns]


def _copy_sources(datasets: Sequence[Dataset], folder: Path) -> None:
    folder.mkdir()
    for ds in datasets:
        source = Path(ds.path)
        if source.is_file():
            shutil.copy2(source, folder / source.name)


def previous_source(root: Path, name: str) -> Path | None:
    """The copy of table ``name`` that the live generation was built from, if any."""
    gen = current_generation(root)
    path = gen / SOURCES / name if gen else None
    return path if path is not None and path.is_file() else None


def _dataset_meta(ds: Dataset) -> dict:
    path = Path(ds.path)
    stat = path.stat() if path.exists() else None
    return {
        "slug": ds.slug, "name": ds.name, "path": str(path), "file": path.name,
        "measures": len(ds.measures), "records": len(ds.records()), "warnings": len(ds.warnings),
        "years": ds.years, "size": stat.st_size if stat else None, "mtime_ns": stat.st_mtime_ns if stat else None,
    }


def current_generation(root: Path) -> Path | None:
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = root / name
    return path if name and (path / "meta.json").is_file() else None


def _info(gen: Path) -> IndexInfo:
    meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    return IndexInfo(path=gen, generation=gen.name, built_at=meta["built_at"], records=meta["records"],
                     datasets=tuple(meta["datasets"]))


def live_info(root: Path) -> IndexInfo:
    """What the live generation holds, without opening it."""
    gen = current_generation(root)
    if gen is None:
        raise IndexUnavailable(f"{root}: no index yet; run 'plansearch index'")
    return _info(gen)


def open_index(root: Path) -> tuple[whoosh_index.Index, IndexInfo]:
    """Open the live generation read-only, checking it was built by this analyzer."""
    gen = current_generation(root)
    if gen is None:
        raise IndexUnavailable(f"{root}: no index yet; run 'plansearch index'")
    meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    if meta.get("analyzer") != ANALYZER_VERSION or meta.get("schema") != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"{root}: the index was built by analyzer {meta.get('analyzer')} (schema {meta.get('schema')}), "
            f"this is {ANALYZER_VERSION} (schema {SCHEMA_VERSION}); rebuild it with 'plansearch index'"
        )
    return whoosh_index.open_dir(str(gen), readonly=True), _info(gen)


def is_stale(root: Path, table_files: Sequence[Path]) -> bool:
    """True if there is no usable index or the tables changed since it was built."""
    gen = current_generation(root)
    if gen is None:
        return True
    meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    if meta.get("analyzer") != ANALYZER_VERSION or meta.get("schema") != SCHEMA_VERSION:
        return True
    built = {tuple(f) for f in meta.get("files", [])}
    now = {tuple(_stamp(p)) for p in table_files}
    return built != now


def clean_partial(root: Path) -> None:
    """Remove builds that were interrupted (their builder is gone: we hold the lock)."""
    for child in root.glob(".build-*"):
        shutil.rmtree(child, ignore_errors=True)
    for child in root.glob(f".{CURRENT}.*"):
        child.unlink(missing_ok=True)


def _remove_old(root: Path, keep: set[str]) -> None:
    """Remove generations older than the previous one (a running reader may still use that)."""
    gens = sorted((p for p in root.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in gens[:-2]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def build_lock(root: Path, wait: bool = False) -> Iterator[None]:
    """Hold the index folder's build lock; a second build fails clearly (or waits)."""
    fh = open(root / LOCK, "a+")  # noqa: SIM115 - held for the with-block
    try:
        if sys.platform == "win32":
            import msvcrt

            mode = msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK
            try:
                msvcrt.locking(fh.fileno(), mode, 1)
            except OSError:
                raise IndexUnavailable(f"{root}: another build is running; try again when it has finished") from None
        else:
            import fcntl

            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise IndexUnavailable(f"{root}: another build is running; try again when it has finished") from None
        yield
    finally:
        fh.close()
