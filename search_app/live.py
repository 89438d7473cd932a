"""The live index generation of a process: opened after its quick checks, verified in full in the background,
followed when ``CURRENT`` changes, one Whoosh searcher per thread, and never served once found damaged.

Whoosh searchers are not thread-safe, so each thread keeps its own searcher of
the served generation; the generation's arrays and term cache are shared.

What is served:

- At start (nothing served yet), the generation ``CURRENT`` names is opened after
  the quick checks (``indexer.integrity``) and served at once; its checksums are
  verified in the background.
- When ``CURRENT`` names a new generation (a rebuild), the new one is verified in
  full in the background while the old one keeps answering, then served.
- A generation found damaged (by a check, or marked ``DAMAGED`` by another
  process) is dropped: the previous good generation is served if there is one,
  and ``on_damage`` is told (the service rebuilds from the data folder). With no
  good generation, every request is refused with ``IndexUnavailable`` (503).

A search that started on a generation finishes on it.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer import integrity
from indexer.arrays import Columns
from indexer.docstore import DocStore
from indexer.generations import (
    CURRENT,
    META,
    GenerationDamaged,
    IndexInfo,
    IndexUnavailable,
    build_running,
    candidates,
    current_name,
)
from indexer.schema import KEY_FIELD
from indexer.store import open_generation
from indexer.surfaces import read_surfaces

from .compiled import Alternative, alternative
from .models import Health, Stats
from .postings import PostingsFile, TermCache

log = logging.getLogger(__name__)

#: Most query words whose compiled alternatives a generation keeps.
ALTERNATIVES = 20_000
#: How often (seconds) the live generation is looked up again.
REFRESH_SECONDS = 1.0
#: After a read error, a generation that checked out is checked again at most this often (seconds).
RECHECK_SECONDS = 60.0

#: What ``/healthz`` reports when no generation can be served.
NO_INDEX, INDEX_DAMAGED, REBUILDING = "no_index", "index_damaged", "rebuilding"


class NothingToServe(IndexUnavailable):
    """No generation can be served: ``status`` says why (``no_index``, ``index_damaged``, ``rebuilding``)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class IndexReadError(IndexUnavailable):
    """Reading the served generation failed during a request; it is being checked."""

    status = INDEX_DAMAGED


class OpenGeneration:
    """One index generation, open: its Whoosh index, posting lists, document store, arrays, surfaces and caches
    (shared by threads). Opening runs the quick checks; ``GenerationDamaged`` if they fail."""

    def __init__(self, gen: Path, cache_mb: int = 256) -> None:
        self.ix, self.info = open_generation(gen)
        try:
            self.columns = Columns.load(gen)
            self.postings = PostingsFile(gen)
            self.docs = DocStore(gen)
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise GenerationDamaged(gen, [f"cannot be opened ({type(exc).__name__}: {exc})"]) from None
        self.terms = TermCache(cache_mb * 1024 * 1024)
        self.stats_cache: Stats | None = None
        self._surfaces: dict[str, tuple[str, ...]] | None = None
        self._keys: frozenset[str] | None = None
        self._measures: tuple[np.ndarray, np.ndarray] | None = None
        self._alternatives: dict[tuple[str, bool], Alternative] = {}
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.info.path

    def alternative(self, text: str, strict: bool = False) -> Alternative:
        """A query word's alternative with the runs of keys of this generation's spellings (kept); ``strict``: a
        concept's phrasing (``compiled.alternative``)."""
        found = self._alternatives.get((text, strict))
        if found is None:
            found = alternative(text, self.surfaces, strict)
            with self._lock:
                if len(self._alternatives) >= ALTERNATIVES:
                    self._alternatives.clear()
                self._alternatives[(text, strict)] = found
        return found

    def warm(self) -> None:
        """Read now what the first search would read: the written forms and the set of keys."""
        self.in_index(())

    def in_index(self, run: tuple[str, ...]) -> bool:
        """Whether every key of ``run`` occurs in the generation's texts."""
        if self._keys is None:
            surfaces = self.surfaces  # read under the same lock: not while holding it
            with self._lock:
                if self._keys is None:
                    self._keys = frozenset(k for keys in surfaces.values() for k in keys if k)
        return bool(run) and all(k in self._keys for k in run)

    @property
    def surfaces(self) -> dict[str, tuple[str, ...]]:
        """The index's written forms and their keys (read on first use)."""
        if self._surfaces is None:
            with self._lock:
                if self._surfaces is None:
                    self._surfaces = read_surfaces(self.info.path)
        return self._surfaces

    def measure_docs(self, measure_id: str) -> np.ndarray:
        """The records of a measure (document numbers, ascending)."""
        code = self.columns.code_of("measure_id", measure_id)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        if self._measures is None:
            codes = self.columns.codes["measure_id"]
            order = np.argsort(codes, kind="stable")
            starts = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(self.columns.values[
                "measure_id"])))))
            self._measures = (order, starts)
        order, starts = self._measures
        return order[starts[code]:starts[code + 1]]

    def probe(self, reader: IndexReader) -> None:
        """Read one stored record and one posting list, as a search does (raises if they cannot be read)."""
        if self.info.records:
            self.docs.get(0)
        for key in reader.lexicon(KEY_FIELD):
            self.postings.read(reader, key.decode("utf-8") if isinstance(key, bytes) else key)
            break

    def verify(self, stop: Callable[[], bool] | None = None) -> list[str]:
        """The full check of every file a server reads: one line per bad file (none: it is whole)."""
        return integrity.full_problems(self.path, self.info.contents, include=integrity.served_file, stop=stop)

    def close(self) -> None:
        self.postings.close()
        self.docs.close()


@dataclass
class ThreadSearcher:
    """A thread's Whoosh searcher of an open generation."""

    generation: OpenGeneration
    searcher: Searcher

    @property
    def reader(self) -> IndexReader:
        return self.searcher.reader()


class LiveIndex:
    """The generation served by this process, and this thread's searcher of it."""

    def __init__(self, index_root: Path, cache_mb: int = 256,
                 on_damage: Callable[[Path, list[str]], None] | None = None) -> None:
        self.index_root = Path(index_root)
        self.cache_mb = cache_mb
        self.on_damage = on_damage
        self._local = threading.local()
        self._lock = threading.RLock()  # ``refresh`` verifies and switches under it
        self._open: OpenGeneration | None = None
        self._checked = 0.0
        self._bad: dict[str, str] = {}  # generation name → the damage found (this process's knowledge)
        self._other_version: str = ""  # why a generation of another version was not served
        self._verified: set[str] = set()
        self._checking: dict[str, threading.Thread] = {}
        self._rechecked: dict[str, float] = {}
        self.problem = ""  # the last damage found
        self._searchers: list[ThreadSearcher] = []  # every open searcher, so they can be closed
        self._finalizer = weakref.finalize(self, _close_searchers, self._searchers, self._lock)

    # -- what is served ----------------------------------------------------------------------------------
    def current(self) -> OpenGeneration:
        """The generation to answer from; ``NothingToServe`` if none can be served."""
        live = self._open
        if live is None or time.monotonic() - self._checked > REFRESH_SECONDS:
            with self._lock:
                self._look(wait=False)
                live = self._open
        if live is None:
            raise self._nothing()
        return live

    def refresh(self) -> None:
        """Look for a new generation now and serve it before returning, once verified (after a build in this
        process)."""
        with self._lock:
            self._look(wait=True)

    def _look(self, wait: bool) -> None:
        """(Under the lock.) Drop a served generation marked damaged; follow ``CURRENT``."""
        self._checked = time.monotonic()
        served = self._open
        if served is not None:
            mark = integrity.damage_mark(served.path)
            if mark is not None:
                self._drop(served, [mark], tell=False)  # another process found it: it has told its service
                served = None
            else:  # a file cut short or removed while served: the quick checks again (a stat a file)
                problems = integrity.quick_problems(
                    served.path, {k: v for k, v in served.info.contents.items() if integrity.served_file(k)})
                if problems:
                    self._drop(served, problems)
                    served = None
        name = current_name(self.index_root)
        if name is not None and name not in self._bad and not (self.index_root / name / META).is_file():
            # CURRENT names a generation that is not there, or one without its meta.json: damage to the folder
            gen = self.index_root / name
            self._damaged(gen, [f"{META}: missing" if gen.is_dir() else f"{CURRENT} names {name}, which is not "
                                "there"])
        if served is None:
            self._open_best(wait)
        elif name is not None and name != served.info.generation and name not in self._bad:
            gen = self.index_root / name
            if wait:
                self._verify_and_switch(gen)
            elif name not in self._checking:
                thread = threading.Thread(target=self._verify_and_switch, args=(gen,), daemon=True,
                                          name=f"plansearch-verify-{name}")
                self._checking[name] = thread
                thread.start()

    def _open_best(self, wait: bool) -> None:
        """(Under the lock.) Serve the best generation that passes the quick checks; verify it in full (now with
        ``wait``, else in the background)."""
        for gen in candidates(self.index_root):
            if gen.name in self._bad:
                continue
            try:
                opened = OpenGeneration(gen, self.cache_mb)
            except GenerationDamaged as exc:
                self._damaged(gen, exc.problems)
                continue
            except IndexUnavailable as exc:  # another version: rebuilt by the service, not damaged
                self._other_version = str(exc)
                continue
            if wait:
                problems = opened.verify()
                if problems:
                    opened.close()
                    self._damaged(gen, problems)
                    continue
                self._verified.add(gen.name)
            self._open = opened
            if gen.name not in self._verified:
                self._verify_later(opened)
            return

    def _verify_later(self, opened: OpenGeneration) -> None:
        name = opened.info.generation
        if name in self._checking:
            return

        def run() -> None:
            try:
                problems = opened.verify(stop=lambda: self._open is not opened)
            except InterruptedError:  # no longer served
                return
            finally:
                self._checking.pop(name, None)
            if problems:
                with self._lock:
                    self._drop(opened, problems)
                    self._look(wait=False)
            else:
                self._verified.add(name)

        thread = threading.Thread(target=run, daemon=True, name=f"plansearch-verify-{name}")
        self._checking[name] = thread
        thread.start()

    def _verify_and_switch(self, gen: Path) -> None:
        """Open and verify ``gen`` in full; serve it if it is whole (and still the one ``CURRENT`` names)."""
        try:
            try:
                opened = OpenGeneration(gen, self.cache_mb)
            except GenerationDamaged as exc:
                with self._lock:
                    self._damaged(gen, exc.problems)
                return
            except IndexUnavailable as exc:
                self._other_version = str(exc)
                return
            problems = opened.verify()
            if not problems:
                opened.warm()  # before it is served: the first search on it is as fast as the rest
            with self._lock:
                if problems:
                    opened.close()
                    self._damaged(gen, problems)
                elif current_name(self.index_root) == gen.name:
                    self._verified.add(gen.name)
                    self._open = opened
                    self._checked = time.monotonic()
                else:
                    opened.close()
        finally:
            self._checking.pop(gen.name, None)

    def _drop(self, opened: OpenGeneration, problems: list[str], tell: bool = True) -> None:
        """(Under the lock.) Stop serving a generation found damaged."""
        if self._open is opened:
            self._open = None
        self._damaged(opened.path, problems, tell)

    def _damaged(self, gen: Path, problems: list[str], tell: bool = True) -> None:
        """(Under the lock.) Remember, mark and report a damaged generation (once per generation)."""
        if gen.name in self._bad:
            return
        self._bad[gen.name] = problems[0]
        self.problem = f"{gen.name}: {problems[0]}"
        marked = integrity.mark_damaged(gen, "; ".join(problems)) if gen.is_dir() else True
        log.error("index generation %s is damaged and is not served: %s%s", gen, "; ".join(problems[:3]),
                  "" if marked else " (the index folder cannot be written: it stays unmarked)")
        if tell and self.on_damage is not None:
            try:
                self.on_damage(gen, problems)
            except Exception:  # the report must not break serving
                log.exception("could not start repairing %s", gen)

    def _nothing(self) -> NothingToServe:
        if build_running(self.index_root):
            return NothingToServe(REBUILDING, f"{self.index_root}: the index is being rebuilt; try again shortly")
        if self._bad:
            return NothingToServe(INDEX_DAMAGED, f"{self.index_root}: the index is damaged ({self.problem}) and no "
                                  "good generation is left; it is rebuilt from the data folder")
        if self._other_version:
            return NothingToServe(NO_INDEX, self._other_version)
        return NothingToServe(NO_INDEX, f"{self.index_root}: no index yet; run 'plansearch index'")

    # -- a read error during a request ----------------------------------------------------------------------
    def suspect(self, opened: OpenGeneration, exc: BaseException) -> None:
        """A request failed reading ``opened``: check it in full in the background (at most once a minute),
        dropping it if it is damaged."""
        name = opened.info.generation
        now = time.monotonic()
        with self._lock:
            if name in self._bad or name in self._checking or now - self._rechecked.get(name, -1e9) < RECHECK_SECONDS:
                return
            self._rechecked[name] = now
        log.error("reading index generation %s failed (%s: %s); checking it", name, type(exc).__name__, exc)

        def run() -> None:
            try:
                problems = opened.verify()
            finally:
                self._checking.pop(name, None)
            with self._lock:
                if problems:
                    self._drop(opened, problems)
                    self._look(wait=False)
                else:
                    log.error("index generation %s checked out whole after that read error", name)

        thread = threading.Thread(target=run, daemon=True, name=f"plansearch-check-{name}")
        with self._lock:
            self._checking[name] = thread
        thread.start()

    # -- threads' searchers and health ------------------------------------------------------------------------
    def searcher(self) -> ThreadSearcher:
        """This thread's searcher of the served generation (a new one after a switch)."""
        live = self.current()
        mine: ThreadSearcher | None = getattr(self._local, "searcher", None)
        if mine is None or mine.generation is not live:
            fresh = ThreadSearcher(live, live.ix.searcher())
            with self._lock:
                if mine is not None and mine in self._searchers:
                    self._searchers.remove(mine)
                    mine.searcher.close()
                self._searchers.append(fresh)
            mine = self._local.searcher = fresh
        return mine

    def health(self) -> Health:
        """Whether a generation is served and answers a probe read (``ok``), or why not."""
        try:
            handle = self.searcher()
        except NothingToServe as exc:
            return Health(exc.status, None, self.problem or str(exc))
        try:
            handle.generation.probe(handle.reader)
        except Exception as exc:  # a damaged file met by the probe
            self.suspect(handle.generation, exc)
            return Health(INDEX_DAMAGED, handle.generation.info, f"{type(exc).__name__}: {exc}")
        return Health("ok", handle.generation.info, self.problem)

    def in_use(self) -> OpenGeneration | None:
        """The generation this thread's searcher reads (or the one served)."""
        mine: ThreadSearcher | None = getattr(self._local, "searcher", None)
        return mine.generation if mine is not None else self._open

    @property
    def info(self) -> IndexInfo:
        return self.current().info

    def close(self) -> None:
        """Close every searcher opened (also done when garbage-collected)."""
        self._finalizer()


def _close_searchers(searchers: list[ThreadSearcher], lock: threading.RLock) -> None:
    with lock:
        for handle in searchers:
            handle.searcher.close()
        searchers.clear()
