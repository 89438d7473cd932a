"""Memory across many index switches: does a served process let go of the generations it has left?

A soak switches only every few minutes (a 100k rebuild takes two), so this builds the
index once and, for each switch, copies the generation under a new name and points
``INDEX_DIR/CURRENT`` at it (the copy two switches back is removed), while 8 wrk
clients search; the server's resident memory is recorded after each switch. Every
generation is new to the server, as after a real rebuild. Results in
``bench/results/switches-<N>.json``.

    PYTHONPATH=. .venv/bin/python -m bench.switches --records 100000 --switches 30
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from . import CACHE_DIR
from .corpus import ensure_corpus
from .http_load import LUA, _free_port, _paths, _rss_mb, wait_until_serving
from .run import RESULTS, ROOT


def _point(index: Path, generation: str) -> None:
    pointer = index / ".CURRENT.switches"
    pointer.write_text(generation, encoding="utf-8")
    os.replace(pointer, index / "CURRENT")


def switches(data: Path, count: int, seconds: float, clients: int) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="plansearch-switches-", dir=CACHE_DIR))
    index = work / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANSEARCH_RESULT_CACHE": "0", "PLANSEARCH_WATCH_SECONDS": "0"}
    cli = [sys.executable, "-m", "search_app.cli"]
    subprocess.run([*cli, "index", "--data", str(data), "--index-dir", str(index)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    first = (index / "CURRENT").read_text(encoding="utf-8").strip()
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--data", str(data), "--index-dir", str(index)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    script = work / "paths.lua"
    script.write_text(LUA % ", ".join(json.dumps(p) for p in _paths()), encoding="utf-8")
    rows = []
    try:
        wait_until_serving(base)
        for n in range(count + 1):
            generation = f"{first}-copy{n}" if n else first
            if n:
                shutil.copytree(index / first, index / generation)
                _point(index, generation)
                if n > 2:
                    shutil.rmtree(index / f"{first}-copy{n - 2}", ignore_errors=True)
            load = subprocess.run([wrk, "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
                                   "-s", str(script), base], capture_output=True, text=True, check=True)
            stats = json.loads(next(x for x in load.stdout.splitlines() if x.startswith("JSON "))[5:])
            with urllib.request.urlopen(base + "/healthz", timeout=10) as resp:
                served = json.load(resp)["generation"]
            rows.append({"switch": n, "generation": served, "expected": generation, "requests": stats["requests"],
                         "errors": stats["errors"] + stats["non2xx"], "p50_ms": stats["p50_ms"],
                         "rss_mb": round(_rss_mb(server.pid), 1)})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    rss = [r["rss_mb"] for r in rows]
    return {"switches": count, "seconds_between": seconds, "clients": clients,
            "all_served_the_expected_generation": all(r["generation"] == r["expected"] for r in rows),
            "errors": sum(r["errors"] for r in rows), "rss_first_mb": rss[0], "rss_max_mb": max(rss),
            "rss_last_mb": rss[-1], "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--switches", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    data = ensure_corpus(args.records)
    result = {"records": args.records, **switches(data, args.switches, args.seconds, args.clients)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"switches-{args.records}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
