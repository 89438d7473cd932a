"""Soak: 16 clients against ``plansearch serve`` for minutes, with a full rebuild every 2 minutes.

    PYTHONPATH=. .venv/bin/python -m bench.soak                      # the bundled data, 10 minutes
    PYTHONPATH=. .venv/bin/python -m bench.soak --records 100000     # the synthetic corpus

wrk (Debian package ``wrk``) runs in 30-second slices so that latency can be followed over time; meanwhile
``plansearch index`` rebuilds the index every ``--rebuild-every`` seconds and the service switches to each new
generation. Reported: requests served, errors, p50/p99 per slice, and the server's resident memory per slice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import CACHE_DIR
from .corpus import ensure_corpus
from .http_load import LUA, _free_port, _paths, _rss_mb, wait_until_serving
from .run import RESULTS, ROOT

SLICE_SECONDS = 30


def soak(data: Path, minutes: float, clients: int, rebuild_every: float) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)  # not in a fresh clone
    work = Path(tempfile.mkdtemp(prefix="plansearch-soak-", dir=CACHE_DIR))
    index = work / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANSEARCH_RESULT_CACHE": "0", "PLANSEARCH_WATCH_SECONDS": "0"}
    cli = [sys.executable, "-m", "search_app.cli"]
    subprocess.run([*cli, "index", "--data", str(data), "--index-dir", str(index)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--data", str(data), "--index-dir", str(index)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rebuilds: list[dict] = []
    stop = threading.Event()

    def rebuild_loop() -> None:
        while not stop.wait(rebuild_every):
            started = time.monotonic()
            done = subprocess.run([*cli, "index", "--data", str(data), "--index-dir", str(index)], env=env,
                                  capture_output=True, text=True)
            rebuilds.append({"at_s": round(started - t0, 1), "seconds": round(time.monotonic() - started, 1),
                             "exit": done.returncode})

    try:
        wait_until_serving(base)
        script = work / "mix.lua"
        script.write_text(LUA % ", ".join(json.dumps(p) for p in _paths()), encoding="utf-8")
        t0 = time.monotonic()
        rss_start = _rss_mb(server.pid)
        thread = threading.Thread(target=rebuild_loop, daemon=True)
        thread.start()
        slices = []
        while time.monotonic() - t0 < minutes * 60:
            done = subprocess.run([wrk, "-t", "4", "-c", str(clients), "-d", f"{SLICE_SECONDS}s", "--timeout", "10s",
                                   "-s", str(script), base], capture_output=True, text=True, check=True)
            stats = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("JSON "))[5:])
            stats.update(at_s=round(time.monotonic() - t0, 1), rss_mb=_rss_mb(server.pid))
            slices.append(stats)
            print(json.dumps(stats), file=sys.stderr)
        stop.set()
        thread.join()
        return {
            "minutes": minutes, "clients": clients, "rebuild_every_s": rebuild_every,
            "requests": sum(s["requests"] for s in slices),
            "errors": sum(s["errors"] + s["non2xx"] for s in slices),
            "rss_start_mb": rss_start, "rss_end_mb": _rss_mb(server.pid),
            "rebuilds": rebuilds, "slices": slices,
        }
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=0, help="synthetic corpus size (default: the bundled data)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rebuild-every", type=float, default=120, help="seconds between rebuilds")
    args = parser.parse_args(argv)
    data = ensure_corpus(args.records) if args.records else ROOT / "data"
    result = soak(data, args.minutes, args.clients, args.rebuild_every)
    name = f"soak-{args.records or 'bundled'}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "slices"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
