"""plansearch serve: waitress on 127.0.0.1, one process or several sharing the port."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_and_stops(data_dir, index_dir, workers):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "search_app.cli", "serve", "--port", str(port),
                             "--workers", str(workers), "--data", str(data_dir), "--index-dir", str(index_dir)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                health = _get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"serve did not start: {proc.stderr.read() if proc.poll() is not None else ''}")
        assert health["status"] == "ok" and health["records"] == 50
        for _ in range(6):
            assert _get(base + "/api/search?q=%E3%82%B3%E3%83%AD%E3%83%8A")["total"] == 8  # コロナ
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert f"open http://127.0.0.1:{port}/" in out
    with pytest.raises(OSError):  # every process has let go of the port
        _get(f"http://127.0.0.1:{port}/healthz")
