"""Serving with Granian: its HTTP/1.1 is Rust (hyper on tokio), the app runs in Python threads.

Granian's main process binds the socket and starts ``workers`` processes that
share it; each one opens the index itself and follows new generations through
``INDEX_DIR/CURRENT``. Here, the main process also builds the index if needed
and watches the data folder. Python runs one thread at a time, so on a machine
with several cores more processes answer more searches at once; the HTTP work
(parsing, keep-alive, slow clients) happens outside Python's lock.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
from pathlib import Path

from indexer.generations import live_info
from indexer.models import PlansearchError

from ..logs import configure_logging
from ..reload import start_watcher
from ..service import ensure_index

log = logging.getLogger(__name__)

#: the settings the worker processes build their app from (a JSON object in the environment)
SETTINGS_VARIABLE = "PLANSEARCH_SERVE_SETTINGS"


#: Granian waits at most a minute for a request's headers
MAX_IDLE_SECONDS = 60


def _checked(settings: dict) -> tuple[int, int, int]:
    idle, connections, threads = (int(settings[k]) for k in ("IDLE_SECONDS", "CONNECTIONS", "THREADS"))
    for key, value in (("IDLE_SECONDS", idle), ("CONNECTIONS", connections), ("THREADS", threads)):
        if value < 1:
            raise ValueError(f"PLANSEARCH_{key} must be at least 1 (it is {value})")
    if idle > MAX_IDLE_SECONDS:
        raise ValueError(f"PLANSEARCH_IDLE_SECONDS must be at most {MAX_IDLE_SECONDS} (it is {idle})")
    return idle, connections, threads


#: Granian's own messages go where plansearch's go (the root logger: stderr, control characters escaped)
_LOGGING = {"loggers": {"_granian": {"propagate": True}, "granian.access": {"propagate": True}}}


def granian_options(settings: dict, workers: int, verbose: bool = False) -> dict:
    """Granian's options from plansearch's settings.

    ``THREADS`` Python threads per process run the app; a process holds at most
    ``CONNECTIONS`` connections at once (more wait in the socket's queue until one
    closes); a client has ``IDLE_SECONDS`` to send a request's headers, after
    connecting or after its previous answer, else the connection is closed. A
    worker process that dies (killed, out of memory) is started again.
    """
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    idle, connections, threads = _checked(settings)
    return {"interface": Interfaces.WSGI, "workers": max(1, workers), "blocking_threads": threads,
            "backpressure": connections, "http": "1",
            "http1_settings": HTTP1Settings(header_read_timeout=idle * 1000),
            "log_level": LogLevels.info if verbose else LogLevels.warning, "log_access": False,
            "log_dictconfig": _LOGGING,
            "websockets": False, "factory": True, "respawn_failed_workers": True, "respawn_interval": 0.5}


def app_from_environment():
    """The Flask app of one worker process (Granian's target): settings from ``SETTINGS_VARIABLE``."""
    from . import create_app

    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    configure_logging(bool(settings.pop("VERBOSE", False)))
    app = create_app({**settings, "BUILD_INDEX": False})
    app.extensions["plansearch"].warm()  # before the first request, not during it
    return app


def serve(settings: dict, host: str, port: int, workers: int = 1, verbose: bool = False) -> None:
    """Serve the app until interrupted; prints the address to open."""
    from granian import Granian

    data_dir, index_dir = Path(settings["DATA_DIR"]), Path(settings["INDEX_DIR"])
    options = granian_options(settings, workers, verbose)
    _check_address(host, port)
    ensure_index(data_dir, index_dir)
    os.environ[SETTINGS_VARIABLE] = json.dumps({**settings, "HOST": host, "PORT": port, "VERBOSE": verbose},
                                               default=str)
    # Workers start afresh rather than forked from this process, whose other threads (the data watcher,
    # Granian's own) may hold a lock at the moment a worker is started again after a crash.
    multiprocessing.set_start_method("spawn", force=True)
    start_watcher(data_dir, index_dir, None, float(settings["WATCH_SECONDS"]))
    _announce(live_info(index_dir), host, port, options["workers"])
    Granian(f"{__name__}:app_from_environment", address=host, port=port, **options).serve()


def _check_address(host: str, port: int) -> None:
    """Fail in one line, before any work, if the address cannot be listened on (in use, not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen()
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise PlansearchError(f"cannot listen on {host}:{port}: {reason}") from None


def _announce(info, host: str, port: int, workers: int) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    procs = f", {workers} processes" if workers > 1 else ""
    print(f"plansearch: {info.records} records from {', '.join(info.dataset_slugs)}{procs}; "
          f"open http://{shown}:{port}/ (Ctrl+C to stop)", flush=True)
