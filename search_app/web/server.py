"""Serving with waitress: one process with several threads, or (POSIX) several processes sharing one socket.

Python runs one thread at a time, so on a machine with several cores more
processes answer more searches at once. The parent binds the socket, builds
the index if needed and watches the data folder; each child opens the index
itself and follows the parent's new generations through ``INDEX_DIR/CURRENT``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path

import waitress

from indexer.generations import live_info

from ..reload import start_watcher
from ..service import ensure_index

log = logging.getLogger(__name__)

#: waitress refuses larger requests itself (no route takes a body; see MAX_CONTENT_LENGTH).
LIMITS = {"max_request_body_size": 64 * 1024, "max_request_header_size": 64 * 1024}


def _waitress_options(settings: dict) -> dict:
    """Limits, and connection handling that idle or trickling clients cannot exhaust.

    waitress stops accepting at ``connection_limit`` open connections and closes
    one idle for ``channel_timeout`` seconds (checked every ``cleanup_interval``);
    ``poll()`` rather than ``select()`` lets it watch more than 1,024 sockets.
    """
    idle, connections, threads = (int(settings[k]) for k in ("IDLE_SECONDS", "CONNECTIONS", "THREADS"))
    for key, value in (("IDLE_SECONDS", idle), ("CONNECTIONS", connections), ("THREADS", threads)):
        if value < 1:
            raise ValueError(f"PLANSEARCH_{key} must be at least 1 (it is {value})")
    # waitress counts its listening socket and its wake-up pipe as connections too
    return {**LIMITS, "threads": threads, "ident": "plansearch",
            "connection_limit": connections + 2, "channel_timeout": idle,
            "cleanup_interval": max(1, min(30, idle // 3)), "asyncore_use_poll": True}


def _bound_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve(settings: dict, host: str, port: int, workers: int = 1, quiet: bool = True) -> None:
    """Serve the app until interrupted; prints the address to open."""
    from . import create_app

    data_dir, index_dir = Path(settings["DATA_DIR"]), Path(settings["INDEX_DIR"])
    options = _waitress_options(settings)
    watch = float(settings["WATCH_SECONDS"])
    ensure_index(data_dir, index_dir)
    if workers <= 1 or not hasattr(os, "fork"):
        app = create_app({**settings, "HOST": host, "PORT": port})
        engine = app.extensions["plansearch"]
        start_watcher(data_dir, index_dir, engine, watch)
        _announce(engine.info, host, port, 1)
        waitress.serve(app, host=host, port=port, _quiet=quiet, **options)
        return
    sock = _bound_socket(host, port)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own app, engine and readers
            try:
                app = create_app({**settings, "HOST": host, "PORT": port, "BUILD_INDEX": False})
                waitress.serve(app, sockets=[sock], _quiet=quiet, **options)
            finally:
                os._exit(0)
        children.append(pid)
    start_watcher(data_dir, index_dir, None, watch)
    _announce(live_info(index_dir), host, port, workers)

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        os.waitpid(pid, 0)


def _announce(info, host: str, port: int, workers: int) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    procs = f", {workers} processes" if workers > 1 else ""
    print(f"plansearch: {info.records} records from {', '.join(info.dataset_slugs)}{procs}; "
          f"open http://{shown}:{port}/ (Ctrl+C to stop)", flush=True)
