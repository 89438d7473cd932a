"""Index generations on disk: the live one named by ``CURRENT``, switched atomically, old ones removed.

Layout of an index folder::

    index/
      CURRENT            name of the live generation (replaced atomically)
      gen-<time>-<pid>/  a complete Whoosh index + meta.json
      .build-<…>/        a build in progress (removed if it fails or was killed)
      build.lock         held while a build runs
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .analysis import ANALYZER_VERSION
from .models import PlansearchError

CURRENT = "CURRENT"
LOCK = "build.lock"
#: File descriptors of the build locks this process holds: a forked worker closes them (see ``writer.py``), so
#: that a worker left behind by a killed build cannot keep the lock.
HELD_LOCKS: set[int] = set()


def _let_go_of_locks_in_child() -> None:
    """In a forked child (an analysis worker, a server worker): close the build lock's inherited descriptor, so
    that the lock ends with the build that took it, not with the last process forked during it."""
    for fd in tuple(HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_of_locks_in_child)
META = "meta.json"
#: Changes whenever what a generation stores changes; a generation of another version is rebuilt. The stored
#: records are written with ``marshal``, whose format is Python's: the version names the Python too.
SCHEMA_VERSION = f"9/py{sys.version_info.major}.{sys.version_info.minor}"


class IndexUnavailable(PlansearchError):
    """The index is missing, stale or from another version."""


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as a generation's ``meta.json`` records it: what was read, from which tables, and when."""

    slug: str
    municipality: str
    name: str
    years: tuple[int, ...]
    measures: int
    records: int
    warnings: int
    #: Its tables, oldest report first: file, years, rows, warnings, and when the file was last changed.
    sources: tuple[dict, ...]
    read_at: str

    @property
    def file(self) -> str:
        """Its newest report's file name."""
        return self.sources[-1]["file"] if self.sources else ""

    def to_meta(self) -> dict:
        return {"slug": self.slug, "municipality": self.municipality, "name": self.name, "file": self.file,
                "years": list(self.years), "measures": self.measures, "records": self.records,
                "warnings": self.warnings, "sources": list(self.sources), "read_at": self.read_at}

    @classmethod
    def from_meta(cls, meta: dict) -> DatasetInfo:
        return cls(slug=meta["slug"], municipality=meta.get("municipality", ""), name=meta.get("name", ""),
                   years=tuple(meta.get("years", ())), measures=meta.get("measures", 0),
                   records=meta.get("records", 0), warnings=meta.get("warnings", 0),
                   sources=tuple(meta.get("sources", ())), read_at=meta.get("read_at", ""))


@dataclass(frozen=True)
class IndexInfo:
    """What a generation's ``meta.json`` says: when it was built, from which tables, by which versions."""

    path: Path
    generation: str
    built_at: str
    records: int
    datasets: tuple[DatasetInfo, ...]
    analyzer: str = ""
    schema: str = ""
    #: (name, size, mtime_ns) of each table file the generation was built from.
    files: tuple[tuple, ...] = ()

    @property
    def dataset_slugs(self) -> list[str]:
        return [d.slug for d in self.datasets]

    @property
    def is_current_format(self) -> bool:
        """Whether this version of plansearch can serve it (same analyzer and stored schema)."""
        return self.analyzer == ANALYZER_VERSION and self.schema == SCHEMA_VERSION

    def check_format(self) -> None:
        """An ``IndexUnavailable`` naming both versions if this plansearch cannot serve the generation."""
        if not self.is_current_format:
            raise IndexUnavailable(
                f"{self.path.parent}: the index was built by analyzer {self.analyzer or None} (schema "
                f"{self.schema or None}), this is {ANALYZER_VERSION} (schema {SCHEMA_VERSION}); rebuild it with "
                "'plansearch index'")


def current_generation(root: Path) -> Path | None:
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = root / name
    return path if name and (path / META).is_file() else None


def write_meta(folder: Path, meta: dict) -> None:
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def read_info(gen: Path) -> IndexInfo:
    """The generation's ``meta.json``: the one place it is read."""
    meta = json.loads((gen / META).read_text(encoding="utf-8"))
    return IndexInfo(path=gen, generation=gen.name, built_at=meta["built_at"], records=meta["records"],
                     datasets=tuple(DatasetInfo.from_meta(d) for d in meta["datasets"]),
                     analyzer=meta.get("analyzer", ""),
                     schema=str(meta.get("schema", "")), files=tuple(tuple(f) for f in meta.get("files", ())))


def live_info(root: Path) -> IndexInfo:
    """What the live generation holds, without opening it."""
    gen = current_generation(root)
    if gen is None:
        raise IndexUnavailable(f"{root}: no index yet; run 'plansearch index'")
    return read_info(gen)


def publish(root: Path, tmp: Path, name: str) -> None:
    """Make the finished build ``tmp`` the live generation ``name``: rename it, then point ``CURRENT`` at it
    (``os.replace`` is atomic: a reader sees the old generation or the new, never neither)."""
    fsync_dir(tmp)
    os.rename(tmp, root / name)
    pointer = root / f".{CURRENT}.{os.getpid()}"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, root / CURRENT)
    fsync_dir(root)
    remove_old(root, keep={name})


def clean_partial(root: Path) -> None:
    """Remove builds that were interrupted (their builder is gone: we hold the lock)."""
    for child in root.glob(".build-*"):
        shutil.rmtree(child, ignore_errors=True)
    for child in root.glob(f".{CURRENT}.*"):
        child.unlink(missing_ok=True)


def remove_old(root: Path, keep: set[str]) -> None:
    """Remove generations older than the previous one (a running reader may still use that)."""
    gens = sorted((p for p in root.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in gens[:-2]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def fsync_dir(path: Path) -> None:
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
        HELD_LOCKS.add(fh.fileno())
        yield
    finally:
        HELD_LOCKS.discard(fh.fileno())
        fh.close()
