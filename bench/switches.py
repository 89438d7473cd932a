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
import sys
import urllib.request
from pathlib import Path

from .corpus import ensure_corpus
from .http_load import _rss_mb, fresh_server, wrk_stats
from .run import RESULTS


def _point(index: Path, generation: str) -> None:
    pointer = index / ".CURRENT.switches"
    pointer.write_text(generation, encoding="utf-8")
    os.replace(pointer, index / "CURRENT")


def switches(data: Path, count: int, seconds: float, clients: int) -> dict:
    rows = []
    with fresh_server(data, "switches") as fresh:
        index = fresh.index
        first = (index / "CURRENT").read_text(encoding="utf-8").strip()
        for n in range(count + 1):
            generation = f"{first}-copy{n}" if n else first
            if n:
                shutil.copytree(index / first, index / generation)
                _point(index, generation)
                if n > 2:
                    shutil.rmtree(index / f"{first}-copy{n - 2}", ignore_errors=True)
            stats = wrk_stats(fresh.wrk, fresh.script, fresh.base, clients, seconds, 2)
            with urllib.request.urlopen(fresh.base + "/healthz", timeout=10) as resp:
                served = json.load(resp)["generation"]
            rows.append({"switch": n, "generation": served, "expected": generation, "requests": stats["requests"],
                         "errors": stats["errors"] + stats["non2xx"], "p50_ms": stats["p50_ms"],
                         "rss_mb": round(_rss_mb(fresh.server.pid), 1)})
            print(json.dumps(rows[-1]), flush=True)
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
