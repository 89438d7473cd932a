"""plansearch serve: waitress on 127.0.0.1, one process or several sharing the port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def _start(data_dir: Path, index_dir: Path, workers: int = 1, **env: str) -> tuple[subprocess.Popen, int, dict]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "search_app.cli", "serve", "--port", str(port),
                             "--workers", str(workers), "--data", str(data_dir), "--index-dir", str(index_dir)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **{f"PLANSEARCH_{k}": v for k, v in env.items()}})
    for _ in range(200):
        try:
            return proc, port, _get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"serve did not start: {proc.communicate()[1]}")


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_and_stops(data_dir, index_dir, workers):
    proc, port, health = _start(data_dir, index_dir, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        assert health["status"] == "ok" and health["records"] == 50
        for _ in range(6):
            assert _get(base + "/api/search?q=%E3%82%B3%E3%83%AD%E3%83%8A")["total"] == 8  # コロナ
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert f"open http://127.0.0.1:{port}/" in out
    with pytest.raises(OSError):  # every process has let go of the port
        _get(f"http://127.0.0.1:{port}/healthz")


def test_idle_and_trickling_connections_cannot_shut_out_users(data_dir, index_dir):
    # Room for 20 connections; 30 clients connect and send nothing or half a request.
    proc, port, _ = _start(data_dir, index_dir, CONNECTIONS="20", IDLE_SECONDS="2")
    hogs = []
    try:
        for i in range(30):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if i % 2:
                s.sendall(b"GET /api/search?q=%E3%81%84%E3%81%98%E3%82%81 HTTP/1.1\r\nHost: x\r\n")  # never ends
            hogs.append(s)
        started = time.monotonic()
        health = _get(f"http://127.0.0.1:{port}/healthz")  # served once the idle ones are closed
        assert health["status"] == "ok"
        assert time.monotonic() - started < 10
        for s in hogs[:20]:  # the server has hung up on them
            try:
                assert s.recv(1) == b""
            except ConnectionResetError:
                pass
    finally:
        for s in hogs:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


@pytest.mark.parametrize(("key", "value"), [("CONNECTIONS", 0), ("IDLE_SECONDS", 0), ("IDLE_SECONDS", -5),
                                            ("THREADS", 0)])
def test_connection_settings_below_one_are_refused(key, value):
    from search_app.settings import load_settings
    from search_app.web.server import _waitress_options

    with pytest.raises(ValueError, match=f"^PLANSEARCH_{key} must be at least 1 \\(it is {value}\\)$"):
        _waitress_options(load_settings({key: value}))


def test_connections_counts_client_connections_only():
    from search_app.settings import load_settings
    from search_app.web.server import _waitress_options

    assert _waitress_options(load_settings({"CONNECTIONS": 2}))["connection_limit"] == 4


def test_connections_is_the_number_of_clients_served_at_once(data_dir, index_dir):
    proc, port, _ = _start(data_dir, index_dir, CONNECTIONS="2", IDLE_SECONDS="60")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10):  # one client idles; a second is served
            assert _get(f"http://127.0.0.1:{port}/healthz")["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
