"""plansearch serve: Granian on 127.0.0.1, one worker process or several sharing the port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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


@pytest.mark.parametrize(("key", "value", "message"), [
    ("CONNECTIONS", 0, "at least 1 \\(it is 0\\)"), ("IDLE_SECONDS", 0, "at least 1 \\(it is 0\\)"),
    ("IDLE_SECONDS", -5, "at least 1 \\(it is -5\\)"), ("THREADS", 0, "at least 1 \\(it is 0\\)"),
    ("IDLE_SECONDS", 61, "at most 60 \\(it is 61\\)")])
def test_connection_settings_out_of_range_are_refused(key, value, message):
    from search_app.settings import load_settings
    from search_app.web.server import granian_options

    with pytest.raises(ValueError, match=f"^PLANSEARCH_{key} must be {message}$"):
        granian_options(load_settings({key: value}), workers=1)


def test_settings_become_granian_options():
    from search_app.settings import load_settings
    from search_app.web.server import granian_options

    options = granian_options(load_settings({"CONNECTIONS": 7, "IDLE_SECONDS": 9, "THREADS": 3}), workers=2)
    assert (options["backpressure"], options["blocking_threads"], options["workers"]) == (7, 3, 2)
    assert options["http1_settings"].header_read_timeout == 9000
    assert options["respawn_failed_workers"] is True


def test_connections_is_the_number_of_clients_served_at_once(data_dir, index_dir):
    proc, port, _ = _start(data_dir, index_dir, CONNECTIONS="2", IDLE_SECONDS="60")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10):  # one client idles; a second is served
            assert _get(f"http://127.0.0.1:{port}/healthz")["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_a_busy_port_is_one_line(data_dir, index_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "search_app.cli", "serve", "--port", str(port), "--data",
                               str(data_dir), "--index-dir", str(index_dir)], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"plansearch: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _children(pid: int) -> set[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    out = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.add(int(child))
        except FileNotFoundError:
            pass
    return out


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
def test_a_killed_worker_is_started_again(data_dir, index_dir):
    proc, port, _ = _start(data_dir, index_dir, workers=2)
    search = f"http://127.0.0.1:{port}/api/search?q=%E3%82%B3%E3%83%AD%E3%83%8A"  # コロナ
    try:
        for _ in range(100):
            workers = _children(proc.pid)
            if len(workers) == 2:
                break
            time.sleep(0.05)
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        for _ in range(200):
            try:  # a connection the dying worker had queued is reset; no request gets an error page
                assert _get(search)["total"] == 8
            except urllib.error.HTTPError:
                raise
            except OSError:
                pass
            now = _children(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.05)
        assert len(now) == 2 and victim not in now
        time.sleep(1)  # the new worker has opened the index
        assert all(_get(search)["total"] == 8 for _ in range(20))
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        return s.recv(200).split(b"\r\n", 1)[0]


def test_requests_refused_before_the_app(data_dir, index_dir):
    proc, port, _ = _start(data_dir, index_dir)
    try:
        big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 600_000 + b"\r\n\r\n"
        assert _raw(port, big) == b"HTTP/1.1 431 Request Header Fields Too Large"
        bad_length = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
        assert _raw(port, bad_length) == b"HTTP/1.1 400 Bad Request"
        assert _raw(port, b"NOT HTTP\r\n\r\n") == b"HTTP/1.1 400 Bad Request"
        # a URL with raw UTF-8 (not %-encoded) is read as UTF-8
        raw_word = "GET /api/search?q=いじめ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        assert _raw(port, raw_word) == b"HTTP/1.1 200 OK"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


@pytest.mark.parametrize("path", ["/api/search?q=いじめ", "/?q=いじめ", "/measures/koganei/1-1-4", "/healthz"])
def test_a_body_in_memory_goes_to_the_server_in_one_piece(app, path):
    """Every page and API answer is handed to the server as a list of bytes (Granian writes it at once), the same
    bytes as before; a file from disk is still sent as it is read."""
    from flask import request

    with app.test_request_context(path):
        response = app.process_response(app.make_response(app.full_dispatch_request()))
        body = response.get_app_iter(request.environ)
        assert response.direct_passthrough and isinstance(body, list)
        assert b"".join(body) == response.get_data() and len(response.get_data()) == response.content_length
    with app.test_request_context("/static/style.css"):
        response = app.process_response(app.make_response(app.full_dispatch_request()))
        assert not isinstance(response.response, list)
        response.close()
