"""Rebuild the index when the data folder changes, while the service keeps answering from the live one."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer.models import PlansearchError
from indexer.sources import skipped_entries
from indexer.store import is_stale, stamp

from .engine import Engine
from .service import build, table_files

log = logging.getLogger(__name__)


#: After a failed rebuild, the watcher waits this long before trying again with the same tables (seconds),
#: doubling up to ``MAX_RETRY_SECONDS``; a changed table is tried at once.
RETRY_SECONDS = 60.0
MAX_RETRY_SECONDS = 3600.0


@dataclass
class WatchState:
    """What the watcher remembers between looks: entries it has reported, and when to retry after a failure."""

    reported: set[tuple[str, str]] = field(default_factory=set)
    failed_with: frozenset = frozenset()  # the tables' stamps when a rebuild last failed
    retry_at: float = 0.0
    failures: int = 0


def check_once(data_dir: Path, index_dir: Path, engine: Engine | None, state: WatchState | None = None) -> bool:
    """Rebuild if a table was added, replaced or removed (or the live generation is damaged); True if a new
    generation went live.

    A table that cannot be read leaves the live index as it is; the error is logged. An entry named like a table
    that is not a file (a pipe, a device) is logged once. With ``state``, a rebuild that failed (a full disk) is
    not tried again with the same tables until a while later.
    """
    state = state if state is not None else WatchState()
    stamps: frozenset = frozenset()
    try:
        for path, why in skipped_entries(data_dir):
            if (path.name, why) not in state.reported:
                state.reported.add((path.name, why))
                log.error("%s %s", path, why)
        files = table_files(data_dir)
        if not is_stale(index_dir, files):
            return False
        stamps = frozenset(stamp(p) for p in files)
        if stamps == state.failed_with and time.monotonic() < state.retry_at:
            return False
        log.info("data in %s changed: rebuilding the index", data_dir)
        _, info = build([data_dir], index_dir, keep_previous=True)
    except (PlansearchError, OSError) as exc:
        state.failures = state.failures + 1 if stamps == state.failed_with else 1
        state.failed_with = stamps
        wait = min(RETRY_SECONDS * 2 ** (state.failures - 1), MAX_RETRY_SECONDS)
        state.retry_at = time.monotonic() + wait
        log.error("reload failed, still serving the previous index (trying again in %d s, or when a table "
                  "changes): %s", wait, exc)
        return False
    state.failures, state.failed_with = 0, frozenset()
    if engine is not None:
        engine.refresh()
    log.info("reloaded: %d records (generation %s)", info.records, info.generation)
    return True


def start_watcher(data_dir: Path, index_dir: Path, engine: Engine | None,
                  seconds: float) -> threading.Thread | None:
    """A daemon thread that checks the data folder every ``seconds`` (none if ``seconds`` <= 0)."""
    if seconds <= 0:
        return None
    stop = threading.Event()
    state = WatchState()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                check_once(data_dir, index_dir, engine, state)
            except Exception:  # the watcher must outlive any one failure; it is logged
                log.exception("data watcher failed; it will look again in %s s", seconds)

    thread = threading.Thread(target=loop, name="plansearch-watcher", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
