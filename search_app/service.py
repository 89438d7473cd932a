"""Wiring shared by the CLI and the web app: data folder → index generation → engine."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer import Dataset, PlansearchError, ReadWarning, TableError, integrity, read_datasets, read_table, sources
from indexer.config import load_config
from indexer.generations import (
    CURRENT,
    GenerationDamaged,
    IndexInfo,
    IndexUnavailable,
    current_generation,
    current_name,
    read_info,
)
from indexer.store import build_index, is_stale, previous_source

from .defaults import dictionary
from .engine import Engine
from .gate import Gate

log = logging.getLogger(__name__)


def table_files(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        raise PlansearchError(f"{data_dir}: data folder not found")
    return sources.table_files(data_dir)


@dataclass(frozen=True)
class BuiltDataset:
    """What a build read of a dataset: its tables, how many measures and records, and the reader's warnings."""

    slug: str
    paths: tuple[str, ...]
    measures: int
    records: int
    warnings: tuple[ReadWarning, ...]


def build(paths: list[Path], index_dir: Path, encoding: str | None = None, show_progress: bool = False,
          wait: bool = False, keep_previous: bool = False,
          errors: list[str] | None = None) -> tuple[list[BuiltDataset], IndexInfo]:
    """Read the tables and build a new index generation from them, one dataset at a time.

    With ``keep_previous`` (a reload), a table that cannot be read is replaced by the version the live index
    was built from, or left out if it has none (a new table), and the error is appended to ``errors``; without
    ``keep_previous``, the error is raised.
    """

    def fallback(file: Path, exc: TableError) -> Dataset | None:
        if not keep_previous:
            raise exc
        old = previous_source(index_dir, file.name)
        if old is None:
            ds, message = None, f"{exc}; the table is not indexed until it can be read"
        else:
            config = load_config(file.parent)
            ds = read_table(old, config.for_file(file), config.header_aliases, encoding)
            message = f"{exc}; still serving the previous version of dataset {ds.slug!r}"
        if errors is not None:  # the caller reports it
            errors.append(message)
        else:
            log.error("%s", message)
        return ds

    seen = [f for p in paths for f in (table_files(p) if p.is_dir() else [p])]
    built: list[BuiltDataset] = []

    def heard(ds: Dataset) -> None:
        built.append(BuiltDataset(ds.slug, tuple(ds.paths), len(ds.measures), sum(len(m.years) for m in ds.measures),
                                  ds.warnings))

    progress = _Progress() if show_progress else None
    info = build_index(read_datasets(paths, encoding=encoding, fallback=fallback), index_dir, progress=progress,
                       wait=wait, seen=seen, on_dataset=heard)
    if progress:
        progress.finish()
    return built, info


def writable(index_dir: Path) -> bool:
    """Whether builds can write the index folder (False for a read-only copy that only serves)."""
    return os.access(index_dir, os.W_OK) if index_dir.exists() else os.access(_existing_parent(index_dir), os.W_OK)


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def ensure_index(data_dir: Path, index_dir: Path) -> IndexInfo | None:
    """Build the index if it is missing, damaged, outdated or older than the tables; else do nothing.

    As in a reload, a table that cannot be read keeps the version the index was built from, or is left out, and
    the error is logged: a service restarted unattended comes up with what can be read. When no table can be
    read, an index already there is served as it is; with none, the error is raised. A read-only index folder is
    served as it is, without looking at the data folder (one line is logged).
    """
    if not writable(index_dir) and current_generation(index_dir) is not None:
        log.warning("index folder %s is read-only: serving it as it is, without following %s", index_dir,
                    data_dir)
        return None
    files = table_files(data_dir)
    for path, why in sources.skipped_entries(data_dir):
        log.error("%s %s", path, why)
    if not is_stale(index_dir, files):
        return None
    log.info("index %s is missing or older than %s: building", index_dir, data_dir)
    try:
        _, info = build([data_dir], index_dir, wait=True, keep_previous=True)
    except PlansearchError as exc:
        if current_generation(index_dir) is None:
            raise
        log.error("%s; serving the index there is", exc)
        return None
    return info


@dataclass(frozen=True)
class CheckReport:
    """What ``plansearch check`` found: the live generation, its files and their size, and one line per problem
    (none: every file is as recorded)."""

    generation: Path | None
    files: int
    bytes: int
    problems: tuple[str, ...]


def check_index(index_dir: Path) -> CheckReport:
    """Verify the live generation in full: ``meta.json`` whole, every file there with its recorded size and
    checksum (the copies of the tables too)."""
    name = current_name(index_dir)
    if name is None:
        return CheckReport(None, 0, 0, (f"{index_dir}: no index (no {CURRENT} file naming a generation)",))
    gen = index_dir / name
    if not gen.is_dir():
        return CheckReport(gen, 0, 0, (f"{index_dir / CURRENT} names {name}, which is not there",))
    try:
        info = read_info(gen)
    except GenerationDamaged as exc:
        return CheckReport(gen, 0, 0, tuple(f"{gen}/{p}" for p in exc.problems))
    mark = integrity.damage_mark(gen)
    problems = ([f"{gen}: marked damaged: {mark}"] if mark else []) + [
        f"{gen}/{p}" for p in integrity.full_problems(gen, info.contents)]
    return CheckReport(gen, len(info.contents), sum(size for size, _ in info.contents.values()), tuple(problems))


class Repair:
    """Rebuild the index from the data folder when a generation is found damaged (in a background thread, one
    at a time per process; a build already running in another process is left to finish)."""

    def __init__(self, data_dir: Path, index_dir: Path) -> None:
        self.data_dir = data_dir
        self.index_dir = index_dir
        self._running = threading.Lock()
        self.thread: threading.Thread | None = None

    def __call__(self, generation: Path, problems: list[str]) -> None:
        if not writable(self.index_dir):
            log.error("index folder %s is read-only: the damaged generation cannot be rebuilt here", self.index_dir)
            return
        if not self._running.acquire(blocking=False):
            return
        log.error("rebuilding the index in %s from %s", self.index_dir, self.data_dir)
        self.thread = threading.Thread(target=self._rebuild, name="plansearch-repair", daemon=True)
        self.thread.start()

    def _rebuild(self) -> None:
        try:
            _, info = build([self.data_dir], self.index_dir, keep_previous=True)
            log.error("rebuilt the index: %d records (generation %s)", info.records, info.generation)
        except IndexUnavailable as exc:
            if "another build is running" not in str(exc):
                log.error("rebuilding the damaged index failed: %s", exc)
        except (PlansearchError, OSError) as exc:
            log.error("rebuilding the damaged index failed: %s", exc)
        finally:
            self._running.release()


def make_engine(settings: Mapping[str, Any]) -> Engine:
    """The engine over the settings' index (``INDEX_DIR``) and synonym dictionary; a generation found damaged is
    rebuilt from ``DATA_DIR``."""
    data_dir, index_dir = Path(settings["DATA_DIR"]), Path(settings["INDEX_DIR"])
    synonyms = dictionary(str(settings.get("SYNONYMS_FILE", "")), data_dir, "synonyms.txt")
    concepts = dictionary(str(settings.get("CONCEPTS_FILE", "")), data_dir, "concepts.txt")
    return Engine(index_dir, synonyms=synonyms, concepts=concepts, snippet_chars=int(settings["SNIPPET_CHARS"]),
                  result_cache=int(settings["RESULT_CACHE"]), timeout_ms=int(settings["SEARCH_TIMEOUT_MS"]),
                  cache_mb=int(settings["CACHE_MB"]), on_damage=Repair(data_dir, index_dir),
                  gate=Gate(total=max(1, int(settings["THREADS"]) - 1), per_client=1,
                            threshold_ms=int(settings["SLOW_SEARCH_MS"])))


class _Progress:
    """Records/s and time left on a terminal, redrawn at most a few times a second."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.25 and done < total):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        left = (total - done) / rate if rate else 0
        sys.stderr.write(f"\rindexing {done:,}/{total:,} records  {rate:,.0f} records/s  {left:,.0f} s left ")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
