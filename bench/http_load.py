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
from pathlib import Path
from typing import Any

from .querymix import load_queries

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
            done = subprocess.run([wrk, "-t", str(max(1, conns // 2)), "-c", str(conns), "-d", f"{seconds}s",
                                   "--timeout", "10s", "-s", script, base], capture_output=True, text=True,
                                  check=True)
            line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
            stats = json.loads(line[5:])
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
