"""The benchmark: build, search, cold start and HTTP load on a synthetic corpus, with SQLite FTS5 beside it.

    python -m bench.run --records 10000            # one size; results in bench/results/<N>.json
    python -m bench.run --records 1000 10000 100000 --http [--workers 2]

Every figure is measured in this run on this machine; the SQLite FTS5 (trigram) peer answers the same
query mix over the same records in the same run, so the ratios hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import CACHE_DIR
from .corpus import ensure_corpus, read_corpus
from .http_load import http_benchmark
from .querymix import load_queries
from .sqlite_peer import build as sqlite_build
from .sqlite_peer import run_mix as sqlite_mix

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _python(code: str, *args: str) -> dict:
    """Run a measurement in a fresh interpreter and return the JSON it prints."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


BUILD = """
import json, resource, sys, time
from pathlib import Path
from indexer import read_datasets
from indexer.store import build_index
started = time.perf_counter()
info = build_index(read_datasets([Path(sys.argv[1])]), Path(sys.argv[2]))  # the tables read as they are indexed
total_s = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"records": info.records, "read_s": 0.0, "build_s": total_s, "total_s": total_s,
                  "peak_rss_mb": own, "worker_peak_rss_mb": kids, "generation": str(info.path)}))
"""

COLD = """
import json, os, sys, time
t0 = time.perf_counter()
from pathlib import Path
from search_app.contract.bodies import Presenter
from search_app.contract.links import Links
from search_app.engine import Engine
from search_app.models import SearchRequest
engine = Engine(Path(sys.argv[1]), synonyms=Path("data/synonyms.txt"), concepts=Path("data/concepts.txt"),
                result_cache=0,
                cache_mb=int(os.environ.get("PLANSEARCH_CACHE_MB", "256")))
show = Presenter(Links())
t1 = time.perf_counter()
page = show.page(engine.search(SearchRequest(q=sys.argv[2])))
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "first_query_s": t2 - t1, "total_s": t2 - t0, "total": page.total}))
"""

SEARCH = """
import json, os, resource, sys, time
from pathlib import Path
from bench.querymix import load_queries
from search_app.contract.bodies import Presenter
from search_app.contract.links import Links
from search_app.engine import Engine
from search_app.models import SearchRequest
engine = Engine(Path(sys.argv[1]), synonyms=Path("data/synonyms.txt"), concepts=Path("data/concepts.txt"),
                result_cache=0,
                cache_mb=int(os.environ.get("PLANSEARCH_CACHE_MB", "256")))
show = Presenter(Links())  # the hits as the API shows them: snippets as HTML, links
queries = load_queries()
reps = int(sys.argv[2])
first, samples, totals = {}, {q.text: [] for q in queries}, {}
for q in queries:
    t = time.perf_counter()
    page = show.page(engine.search(SearchRequest(q=q.text)))
    first[q.text] = (time.perf_counter() - t) * 1000
    totals[q.text] = page.total
for _ in range(reps):
    for q in queries:
        t = time.perf_counter()
        show.page(engine.search(SearchRequest(q=q.text)))
        samples[q.text].append((time.perf_counter() - t) * 1000)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first": first, "samples": samples, "totals": totals, "kinds": {q.text: q.kind for q in queries},
                  "peak_rss_mb": rss}))
"""


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _latency(samples: dict[str, list[float]]) -> dict[str, float]:
    every = [ms for v in samples.values() for ms in v]
    return {"p50_ms": round(percentile(every, 50), 2), "p95_ms": round(percentile(every, 95), 2),
            "p99_ms": round(percentile(every, 99), 2), "max_ms": round(max(every), 2), "samples": len(every)}


def run_size(records: int, reps: int, http: bool, http_seconds: int, peer: bool, workers: int = 1,
             layout: str = "city") -> dict[str, Any]:
    corpus = ensure_corpus(records, layout=layout)
    index_dir = CACHE_DIR / f"index-{records}-{layout}"
    shutil.rmtree(index_dir, ignore_errors=True)
    print(f"[{records}] building the index of {corpus}", file=sys.stderr)
    build = _python(BUILD, str(corpus), str(index_dir))
    build["records_per_s"] = round(build["records"] / build["build_s"], 1)
    build["index_mb"] = round(_du(Path(build.pop("generation"))) / 2**20, 1)
    print(f"[{records}] searching", file=sys.stderr)
    search = _python(SEARCH, str(index_dir), str(reps))
    warm = _latency(search["samples"])
    cold_pass = _latency({q: [ms] for q, ms in search["first"].items()})
    per_query = {q: {"kind": search["kinds"][q], "total": search["totals"][q],
                     "p50_ms": round(percentile(v, 50), 2), "first_ms": round(search["first"][q], 2)}
                 for q, v in search["samples"].items()}
    cold = [_python(COLD, str(index_dir), "相談") for _ in range(3)]
    out: dict[str, Any] = {
        "records": records, "layout": layout, "tables": sum(1 for _ in corpus.glob("*.tsv")), "build": build,
        "search": {**warm, "first_pass": cold_pass, "peak_rss_mb": round(search["peak_rss_mb"], 1)},
        "cold_start": {"total_s": round(min(c["total_s"] for c in cold), 3),
                       "open_s": round(min(c["open_s"] for c in cold), 3),
                       "first_query_s": round(min(c["first_query_s"] for c in cold), 3)},
        "per_query": per_query,
    }
    if peer:
        print(f"[{records}] SQLite FTS5 peer", file=sys.stderr)
        db = CACHE_DIR / f"sqlite-{records}.db"
        recs, _ = read_corpus(corpus)
        started = time.perf_counter()
        stats = sqlite_build(recs, db)
        sb = time.perf_counter() - started
        mix = sqlite_mix(db, load_queries(), repetitions=reps)
        out["sqlite"] = {"build_s": round(sb, 2), "records_per_s": round(records / sb, 1),
                         "db_mb": round(db.stat().st_size / 2**20, 1), "p50_ms": mix["p50_ms"],
                         "p95_ms": mix["p95_ms"], "p99_ms": mix["p99_ms"], "build": stats}
        out["ratio_to_sqlite"] = {
            "search_p50": round(warm["p50_ms"] / mix["p50_ms"], 3) if mix["p50_ms"] else None,
            "search_p99": round(warm["p99_ms"] / mix["p99_ms"], 3) if mix["p99_ms"] else None,
            "build_records_per_s": round(build["records_per_s"] / out["sqlite"]["records_per_s"], 3),
        }
    if http:
        print(f"[{records}] HTTP load", file=sys.stderr)
        out["http"] = http_benchmark(corpus, index_dir, http_seconds, workers=workers)
        out["http_cached"] = http_benchmark(corpus, index_dir, http_seconds, workers=workers, result_cache=256)
    return out


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "whoosh": version("whoosh"), "fugashi": version("fugashi"), "numpy": version("numpy"),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--reps", type=int, default=5, help="warm repetitions of the query mix (default 5)")
    parser.add_argument("--http", action="store_true", help="also measure HTTP load against plansearch serve")
    parser.add_argument("--http-seconds", type=int, default=10, help="seconds per concurrency level")
    parser.add_argument("--workers", type=int, default=1, help="server processes for the HTTP load (default 1)")
    parser.add_argument("--no-peer", action="store_true", help="skip the SQLite FTS5 peer")
    parser.add_argument("--layout", choices=("city", "year"), default="city",
                        help="the corpus as a table per municipality (city) or per municipality and year (year)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.records:
        result = {"machine": machine(), **run_size(n, args.reps, args.http, args.http_seconds, not args.no_peer,
                                                    args.workers, args.layout)}
        path = args.out / (f"{n}.json" if args.layout == "city" else f"{n}-{args.layout}.json")
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(json.dumps({k: result[k] for k in result if k != "per_query"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
