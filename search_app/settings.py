"""Settings, declared once: (name, default, help). Environment ``PLANSEARCH_<NAME>`` overrides a default.

Per-dataset settings (plan document, page offset) live in the data folder's
``plansearch.toml``; see ``indexer.config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "data", "folder of the tables (and plansearch.toml, synonyms.txt, plan PDFs)"),
    Setting("INDEX_DIR", "index", "folder of the index generations (rebuilt from DATA_DIR when missing or stale)"),
    Setting("SYNONYMS_FILE", "", "synonym dictionary (default: DATA_DIR/synonyms.txt, else the one plansearch "
            "ships; off: none), re-read when it changes"),
    Setting("CONCEPTS_FILE", "", "concept dictionary (default: DATA_DIR/concepts.txt, else the one plansearch "
            "ships; off: none), re-read when it changes"),
    Setting("HOST", "127.0.0.1", "address to listen on; only this machine unless set otherwise"),
    Setting("PORT", 8000, "port to listen on"),
    Setting("THREADS", 2, "Python threads per server process (more threads contend for Python's one interpreter lock)"),
    Setting("WORKERS", 1, "server processes sharing the port (Python runs one thread at a time per process)"),
    Setting("PAGE_SIZE", 20, "results per page when a request does not say (1-100)"),
    Setting("SNIPPET_CHARS", 120, "about how many characters a highlighted snippet shows"),
    Setting("SEARCH_TIMEOUT_MS", 3000, "longest a search may run before it is refused as too broad (0: no limit)"),
    Setting("SLOW_SEARCH_MS", 250, "a search working longer is slow: THREADS-1 of them (at least one) run at once "
            "per process, one per client; more are refused at once (429/503), keeping a thread for the rest"),
    Setting("RESULT_CACHE", 256, "how many recent result pages to keep in memory (0: none)"),
    Setting("CACHE_MB", 256, "memory for decoded posting lists and matched words, per server process (MB)"),
    Setting("CONNECTIONS", 1000, "open connections a server process holds; more wait until one closes"),
    Setting("IDLE_SECONDS", 30, "a connection that has not sent a whole request's headers this long is closed (1-60)"),
    Setting("WATCH_SECONDS", 5, "how often serve checks DATA_DIR for changed tables (0: never)"),
)


def _coerce(default: Any, value: str) -> Any:
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    return value


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """Defaults, then ``PLANSEARCH_*`` environment variables, then ``overrides``."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for s in SETTINGS:
        value = s.default
        raw = env.get(f"PLANSEARCH_{s.name}")
        if raw is not None and raw != "":
            try:
                value = _coerce(s.default, raw)
            except ValueError:
                raise ValueError(f"PLANSEARCH_{s.name}={raw!r} is not a valid {type(s.default).__name__}") from None
        out[s.name] = value
    for key, value in (overrides or {}).items():
        out[key] = value
    return out
