"""Index generations on disk: the live one named by ``CURRENT``, switched atomically, old ones removed.

Layout of an index folder::

    index/
      CURRENT            name of the live generation (replaced atomically)
      gen-<time>-<pid>/  a complete index + meta.json (every file's size and checksum; see integrity.py)
      .build-<…>/        a build in progress (removed if it fails or was killed)
      build.lock         held while a build runs
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import integrity
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
SCHEMA_VERSION = f"14/py{sys.version_info.major}.{sys.version_info.minor}"


class IndexUnavailable(PlansearchError):
    """The index is missing, stale or from another version."""


class GenerationDamaged(IndexUnavailable):
    """A generation's files are not what its ``meta.json`` recorded (or ``meta.json`` itself is damaged)."""

    def __init__(self, generation: Path, problems: list[str]) -> None:
        self.generation = generation
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{generation}: damaged: {problems[0]}{more}")


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
    #: {file in the generation: [size, checksum]}, recorded when it was published (``integrity.py``).
    contents: dict = field(default_factory=dict)

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


def current_name(root: Path) -> str | None:
    """The generation ``CURRENT`` names (whether or not it is there), or None."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if name and "/" not in name and "\\" not in name and name not in (".", "..") else None


def current_generation(root: Path) -> Path | None:
    """The generation ``CURRENT`` names, if it is there (it may still be damaged: see ``read_info``)."""
    name = current_name(root)
    path = root / name if name else None
    return path if path is not None and (path / META).is_file() else None


def candidates(root: Path) -> list[Path]:
    """Generations that may be served, best first: the one ``CURRENT`` names, then the others, newest first;
    none marked damaged."""
    current = current_generation(root)
    others = sorted((p for p in root.glob("gen-*") if p.is_dir() and p != current and (p / META).is_file()),
                    key=_age, reverse=True)
    return [p for p in ([current] if current else []) + others if integrity.damage_mark(p) is None]


def _age(gen: Path) -> tuple[float, str]:
    try:
        return gen.stat().st_mtime, gen.name
    except OSError:
        return 0.0, gen.name


def write_meta(folder: Path, meta: dict) -> None:
    (folder / META).write_text(json.dumps(integrity.sealed(meta), ensure_ascii=False, indent=1), encoding="utf-8")


def read_info(gen: Path) -> IndexInfo:
    """The generation's ``meta.json``: the one place it is read. ``GenerationDamaged`` if it is missing, cut
    short or altered (its checksum)."""
    try:
        meta = json.loads((gen / META).read_bytes().decode("utf-8"))
        problem = integrity.meta_problem(meta) if isinstance(meta, dict) else "meta.json: not a JSON object"
    except FileNotFoundError:
        raise GenerationDamaged(gen, [f"{META}: missing"]) from None
    except OSError as exc:
        raise GenerationDamaged(gen, [f"{META}: cannot be read ({exc.strerror or exc})"]) from None
    except ValueError:  # not UTF-8, not JSON
        raise GenerationDamaged(gen, [f"{META}: not valid JSON"]) from None
    if problem is not None:
        raise GenerationDamaged(gen, [problem])
    try:
        return IndexInfo(path=gen, generation=gen.name, built_at=meta["built_at"], records=meta["records"],
                         datasets=tuple(DatasetInfo.from_meta(d) for d in meta["datasets"]),
                         analyzer=meta.get("analyzer", ""), schema=str(meta.get("schema", "")),
                         files=tuple(tuple(f) for f in meta.get("files", ())),
                         contents=dict(meta.get("integrity", {}).get("files", {})))
    except (KeyError, TypeError, AttributeError) as exc:
        raise GenerationDamaged(gen, [f"{META}: lacks {exc}"]) from None


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
    try:
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, root / CURRENT)
    except BaseException:  # (a full disk) the build is put back, for the builder to remove
        pointer.unlink(missing_ok=True)
        os.rename(root / name, tmp)
        raise
    fsync_dir(root)
    remove_old(root, keep={name})


def clean_partial(root: Path) -> None:
    """Remove builds that were interrupted (their builder is gone: we hold the lock)."""
    for child in root.glob(".build-*"):
        shutil.rmtree(child, ignore_errors=True)
    for child in root.glob(f".{CURRENT}.*"):
        child.unlink(missing_ok=True)


def remove_old(root: Path, keep: set[str]) -> None:
    """Remove generations marked damaged, and good ones older than the previous good one (a running reader may
    still use that, and a server falls back to it if the live one is found damaged)."""
    good = []
    for gen in sorted((p for p in root.glob("gen-*") if p.is_dir()), key=_age):
        if gen.name in keep:
            continue
        if integrity.damage_mark(gen) is not None:
            shutil.rmtree(gen, ignore_errors=True)
        else:
            good.append(gen)
    for old in good[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _take(fh, wait: bool) -> bool:
    """Take the build lock on ``fh`` (waiting for it with ``wait``); False if another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def build_running(root: Path) -> bool:
    """Whether a build (in any process) holds the index folder's build lock."""
    try:
        fh = open(root / LOCK, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return False
    try:
        if sys.platform == "win32":
            import msvcrt

            try:
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBRLCK, 1)
            except OSError:
                return True
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            return False
        import fcntl

        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False
    finally:
        fh.close()


#: How long a build that does not wait keeps trying for the lock: ``build_running`` holds it shared for an instant
#: (a server asking whether a build runs), which must not pass for a build.
LOCK_PATIENCE_SECONDS = 1.0


@contextmanager
def build_lock(root: Path, wait: bool = False) -> Iterator[None]:
    """Hold the index folder's build lock; a second build fails clearly (or waits)."""
    fh = open(root / LOCK, "a+")  # noqa: SIM115 - held for the with-block
    try:
        deadline = time.monotonic() + LOCK_PATIENCE_SECONDS
        while not _take(fh, wait):
            if time.monotonic() > deadline:
                raise IndexUnavailable(f"{root}: another build is running; try again when it has finished")
            time.sleep(0.01)
        HELD_LOCKS.add(fh.fileno())
        yield
    finally:
        HELD_LOCKS.discard(fh.fileno())
        fh.close()
