"""One HTTP load level run again and again: how much its p99 moves from one run to the next.

    PYTHONPATH=. .venv/bin/python -m bench.http_repeat --records 10000 --clients 16 --runs 10

``plansearch serve --workers 2`` (result cache off) answers wrk cycling through the query mix, as in
``bench.run --http``; each run is a new wrk with new connections. The kernel shares a run's connections out
between the worker processes as they accept them, so one process may hold 10 of 16 and the other 6: with both
cores busy, a process's latency is its own queue, and a single run's p99 depends on that split. Reported: each
run's throughput and percentiles, and the worst and median p99 over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from .corpus import ensure_corpus
from .http_load import fresh_server, wrk_stats
from .run import RESULTS

WARM_SECONDS = 3


def repeat(data: Path, clients: int, runs: int, seconds: int, workers: int,
           warm: int = WARM_SECONDS) -> dict[str, Any]:
    rows = []
    with fresh_server(data, "repeat", workers=workers) as fresh:
        threads = max(1, clients // 2)  # as bench.run: a wrk thread per two connections
        wrk_stats(fresh.wrk, fresh.script, fresh.base, clients, warm, threads)  # not counted
        for n in range(runs):
            stats = wrk_stats(fresh.wrk, fresh.script, fresh.base, clients, seconds, threads)
            stats["requests_per_s"] = round(stats["requests"] / stats["duration_s"], 1)
            rows.append(stats)
            print(f"run {n + 1}: {stats['requests_per_s']:,.0f} req/s, p50 {stats['p50_ms']:.1f} ms, "
                  f"p99 {stats['p99_ms']:.1f} ms, {stats['errors']} errors, {stats['non2xx']} non-2xx",
                  file=sys.stderr, flush=True)
    p99 = [r["p99_ms"] for r in rows]
    return {"clients": clients, "workers": workers, "result_cache": 0, "seconds_per_run": seconds,
            "runs": rows, "p99_ms_worst": max(p99), "p99_ms_median": round(statistics.median(p99), 3),
            "p99_ms_best": min(p99), "requests_per_s_median": statistics.median(r["requests_per_s"] for r in rows),
            "errors": sum(r["errors"] + r["non2xx"] for r in rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_repeat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10, help="seconds per run (whole seconds: wrk's unit)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = {"records": args.records,
              **repeat(ensure_corpus(args.records), args.clients, args.runs, args.seconds, args.workers)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"http-repeat-{args.records}-{args.clients}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
