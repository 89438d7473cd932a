"""HTTP load against a real ``plansearch serve``: wrk (Debian package ``wrk``) cycling through the query mix.

For each concurrency level (1, 8, 16 connections, one wrk thread per two connections) wrk runs for a fixed
time and reports throughput and latency percentiles; the server's resident memory is read from /proc.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import BENCH_DIR, CACHE_DIR
from .querymix import load_queries

ROOT = BENCH_DIR.parent

LEVELS = (1, 8, 16)

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"errors\\": %%d, \\"non2xx\\": %%d, \\"p50_ms\\": %%.3f, " ..
    "\\"p90_ms\\": %%.3f, \\"p99_ms\\": %%.3f, \\"max_ms\\": %%.3f, \\"duration_s\\": %%.3f}\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.duration / 1e6))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the server's worker processes)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def wait_until_serving(base: str, seconds: float = 60) -> None:
    """Wait for ``plansearch serve`` at ``base`` to answer /healthz."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                json.load(resp)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("plansearch serve did not start")


def _paths() -> list[str]:
    return [f"/api/search?{urllib.parse.urlencode({'q': q.text})}" for q in load_queries()]


def wrk_stats(wrk: str, script: Path | str, base: str, clients: int, seconds: float, threads: int) -> dict[str, Any]:
    """One wrk run cycling through the query mix: the JSON line the mix script prints."""
    done = subprocess.run([wrk, "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
                           "-s", str(script), base], capture_output=True, text=True, check=True)
    return json.loads(next(x for x in done.stdout.splitlines() if x.startswith("JSON "))[5:])


@dataclass
class FreshServer:
    """``plansearch serve`` (result cache off, no watcher) on an index of its own built from ``data``."""

    data: Path
    index: Path
    env: dict[str, str]
    cli: list[str]
    server: subprocess.Popen
    base: str
    script: Path  # the wrk script cycling through the query mix
    wrk: str
    log: Path | None = None  # the server's stderr

    def build(self, **kwargs: Any) -> subprocess.CompletedProcess:
        """``plansearch index`` of the data into this server's index folder."""
        return subprocess.run([*self.cli, "index", "--data", str(self.data), "--index-dir", str(self.index)],
                              env=self.env, **kwargs)


@contextmanager
def fresh_server(data: Path, name: str, workers: int = 1) -> Iterator[FreshServer]:
    """A ``FreshServer`` of ``workers`` processes answering, under ``bench/cache/plansearch-<name>-…`` (removed
    afterwards)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)  # not in a fresh clone
    work = Path(tempfile.mkdtemp(prefix=f"plansearch-{name}-", dir=CACHE_DIR))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANSEARCH_RESULT_CACHE": "0", "PLANSEARCH_WATCH_SECONDS": "0",
           "PLANSEARCH_WORKERS": str(workers)}
    cli = [sys.executable, "-m", "search_app.cli"]
    script = work / "mix.lua"
    script.write_text(LUA % ", ".join(json.dumps(p) for p in _paths()), encoding="utf-8")
    fresh = FreshServer(data, work / "index", env, cli, None, "", script, wrk)  # type: ignore[arg-type]
    try:
        fresh.build(check=True, stdout=subprocess.DEVNULL)
        port = _free_port()
        fresh.log = work / "server.log"
        with fresh.log.open("wb") as log:
            fresh.server = subprocess.Popen([*cli, "serve", "--port", str(port), "--data", str(data),
                                             "--index-dir", str(fresh.index)],
                                            env=env, stdout=subprocess.DEVNULL, stderr=log)
        fresh.base = f"http://127.0.0.1:{port}"
        wait_until_serving(fresh.base)
        yield fresh
    finally:
        if fresh.server is not None:
            fresh.server.terminate()
            fresh.server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def http_benchmark(data_dir: Path, index_dir: Path, seconds: int = 10, workers: int = 1,
                   result_cache: int = 0) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "search_app.cli", "serve", "--port", str(port),
                               "--data", str(data_dir), "--index-dir", str(index_dir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PLANSEARCH_RESULT_CACHE": str(result_cache),
                                   "PLANSEARCH_WATCH_SECONDS": "0", "PLANSEARCH_WORKERS": str(workers)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        rss_start = _rss_mb(server.pid)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA % ", ".join(json.dumps(p) for p in _paths()))
            script = fh.name
        levels = {}
        for conns in LEVELS:
            stats = wrk_stats(wrk, script, base, conns, seconds, max(1, conns // 2))
            stats["requests_per_s"] = round(stats["requests"] / stats["duration_s"], 1)
            levels[str(conns)] = stats
        Path(script).unlink(missing_ok=True)
        banner = subprocess.run([wrk, "-v"], capture_output=True, text=True)
        tool = re.sub(r"\s+", " ", (banner.stdout or banner.stderr or "wrk").splitlines()[0])
        return {"tool": tool, "workers": workers, "result_cache": result_cache, "seconds_per_level": seconds,
                "levels": levels, "rss_start_mb": rss_start, "rss_end_mb": _rss_mb(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)
