"""Rebuild the index when the data folder changes, while the service keeps answering from the live one."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from indexer.models import PlansearchError
from indexer.store import is_stale

from .engine import Engine
from .service import build, table_files

log = logging.getLogger(__name__)


def check_once(data_dir: Path, index_dir: Path, engine: Engine | None) -> bool:
    """Rebuild if a table was added, replaced or removed; True if a new generation went live.

    A table that cannot be read leaves the live index as it is; the error is logged.
    """
    try:
        if not is_stale(index_dir, table_files(data_dir)):
            return False
        log.info("data in %s changed: rebuilding the index", data_dir)
        _, info = build([data_dir], index_dir, keep_previous=True)
    except (PlansearchError, OSError) as exc:
        log.error("reload failed, still serving the previous index: %s", exc)
        return False
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

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                check_once(data_dir, index_dir, engine)
            except Exception:  # the watcher must outlive any one failure; it is logged
                log.exception("data watcher failed; it will look again in %s s", seconds)

    thread = threading.Thread(target=loop, name="plansearch-watcher", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
