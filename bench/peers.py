"""plansearch and its peers side by side: SQLite FTS5 (trigram), tantivy + fugashi and Groonga (bigram) over one
corpus, in one run.

    python -m bench.peers --records 100000            # bench/results/peers-100000.json
    python -m bench.peers --records 200 --repeat 1    # a tiny corpus, in seconds

Each peer (:mod:`bench.peer` describes their common shape) is built over the cached corpus of N records
(:mod:`bench.corpus`) and answers the query mix of ``bench/queries.txt``: once (the first pass), then
``--repeat`` more times. Every build and every mix runs in a fresh interpreter, so that each build's peak
memory is its own and no search runs in a heap left by a build; ``--in-process`` runs them all in this
process instead (quicker, for a smoke test; the memory figures then mean little). tantivy is built once per
``--tantivy-workers`` value (processes tokenising; 1: in the building process) and the last index is searched.

Every figure comes with its ratio to the best peer's (``value / best``: below 1 is better for latency, size
and memory, above 1 for records/s). :func:`summary` and :func:`best_of` are what ``bench/run.py`` needs to put
plansearch's figures beside them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from . import CACHE_DIR
from .corpus import DEFAULT_SEED, ensure_corpus, read_manifest
from .peer import BuildResult, MixResult, Peer
from .querymix import QUERIES_FILE, load_queries

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
PEER_MODULES: dict[str, str] = {"plansearch": "bench.plansearch_peer", "sqlite": "bench.sqlite_peer",
                                "tantivy": "bench.tantivy_peer", "groonga": "bench.groonga_peer"}
#: Metric -> True if higher is better.
METRICS: dict[str, bool] = {
    "build_records_per_s": True, "index_mb": False, "build_peak_rss_mb": False, "search_p50_ms": False,
    "search_p95_ms": False, "search_p99_ms": False, "first_pass_p99_ms": False,
}


def load_peer(name: str) -> Peer:
    try:
        module = importlib.import_module(PEER_MODULES[name])
    except ImportError as e:
        raise SystemExit(f"peer {name}: {e} (tantivy: pip install 'tantivy~=0.27'; groonga: apt-get install "
                         "groonga-bin)") from e
    return module.PEER


def summary(build: BuildResult, mix: MixResult) -> dict[str, float]:
    """The figures compared across peers (and with plansearch)."""
    return {"build_records_per_s": build.records_per_s, "index_mb": build.index_mb,
            "build_peak_rss_mb": build.peak_rss_mb, "search_p50_ms": mix.p50_ms, "search_p95_ms": mix.p95_ms,
            "search_p99_ms": mix.p99_ms, "first_pass_p99_ms": mix.first_pass_p99_ms}


def best_of(summaries: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Per metric, the best peer and its value."""
    out = {}
    for metric, higher in METRICS.items():
        values = {peer: s[metric] for peer, s in summaries.items() if s.get(metric)}
        if values:
            peer = (max if higher else min)(values, key=values.__getitem__)
            out[metric] = {"peer": peer, "value": values[peer]}
    return out


def ratios(values: dict[str, float], best: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """``value / best`` per metric."""
    return {m: round(values[m] / best[m]["value"], 3) if m in best and best[m]["value"] else None
            for m in METRICS if m in values}


# -- one step, in a fresh interpreter or here ----------------------------------


def _step(in_process: bool, *argv: str) -> dict[str, Any]:
    if in_process:
        return _child(list(argv))
    done = subprocess.run([sys.executable, "-m", "bench.peers", "--child", *argv], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise RuntimeError(f"bench.peers {' '.join(argv[:2])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(argv: list[str]) -> dict[str, Any]:
    step, name, *rest = argv
    peer = load_peer(name)
    if step == "build":
        corpus_dir, work_dir, options = rest
        return peer.build(Path(corpus_dir), Path(work_dir), **json.loads(options)).to_dict()
    if step == "mix":
        handle, repeat, queries = rest
        return {**peer.run_mix(handle, load_queries(Path(queries)), int(repeat)).to_dict(), "version": peer.version()}
    raise ValueError(step)


def run(records: int, repeat: int, peers: list[str], tantivy_workers: list[int], in_process: bool = False,
        queries: Path = QUERIES_FILE, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> dict[str, Any]:
    corpus = ensure_corpus(records, seed, cache_dir)
    work = cache_dir / f"peers-{records}"
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"records": records, "repeat": repeat, "queries": len(load_queries(queries)),
                           "in_process": in_process, "corpus": {"folder": str(corpus),
                                                                "manifest": vars(read_manifest(corpus))},
                           "peers": {}}
    builds: dict[str, BuildResult] = {}
    mixes: dict[str, MixResult] = {}
    for name in peers:
        options = [{"workers": w} for w in tantivy_workers] if name == "tantivy" else [{}]
        done = []
        for opts in options:
            print(f"[{records}] {name}: building {opts or ''}", file=sys.stderr)
            done.append(BuildResult.from_dict(_step(in_process, "build", name, str(corpus), str(work),
                                                    json.dumps(opts))))
            print(f"[{records}] {name}: {done[-1].build_s:.1f} s, {done[-1].records_per_s:,.0f} records/s, "
                  f"{done[-1].index_mb} MiB, peak {done[-1].peak_rss_mb} MiB", file=sys.stderr)
        builds[name] = done[-1]
        print(f"[{records}] {name}: searching", file=sys.stderr)
        mix = _step(in_process, "mix", name, done[-1].handle, str(repeat), str(queries))
        version = mix.pop("version")
        mixes[name] = MixResult.from_dict(mix)
        search = {k: v for k, v in mix.items() if k != "per_query"}
        out["peers"][name] = {"version": version, "build": done[-1].to_dict(),
                              "builds": [b.to_dict() for b in done], "search": search}
    summaries = {name: summary(builds[name], mixes[name]) for name in peers}
    out["best"] = best_of(summaries)
    for name in peers:
        out["peers"][name]["summary"] = summaries[name]
        out["peers"][name]["ratio_to_best"] = ratios(summaries[name], out["best"])
    out["per_query"] = [
        {"kind": q.kind, "query": q.query,
         **{name: {"p50_ms": mixes[name].per_query[i].p50_ms, "first_ms": mixes[name].per_query[i].first_ms,
                   "total": mixes[name].per_query[i].total, "translated": mixes[name].per_query[i].translated,
                   "highlighted": mixes[name].per_query[i].highlighted}
            for name in peers}}
        for i, q in enumerate(mixes[peers[0]].per_query)
    ]
    return out


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (East Asian wide characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def table(result: dict[str, Any]) -> str:
    peers = result["peers"]
    best = result["best"]
    lines = [f"{result['records']:,} records, {result['queries']} queries × {result['repeat']} repetitions",
             f"{'peer':<8} {'build rec/s':>12} {'index MiB':>10} {'peak MiB':>9} {'p50 ms':>8} {'p95 ms':>8} "
             f"{'p99 ms':>8} {'1st p99':>8}"]
    for name, p in peers.items():
        s = p["summary"]
        lines.append(f"{name:<8} {s['build_records_per_s']:>12,.0f} {s['index_mb']:>10.1f} "
                     f"{s['build_peak_rss_mb']:>9.1f} {s['search_p50_ms']:>8.2f} {s['search_p95_ms']:>8.2f} "
                     f"{s['search_p99_ms']:>8.2f} {s['first_pass_p99_ms']:>8.2f}")
        r = p["ratio_to_best"]
        lines.append(f"{'  ×best':<8} " + " ".join(f"{(r.get(m) or 0):>{w}.2f}" for m, w in zip(
            METRICS, (12, 10, 9, 8, 8, 8, 8), strict=True)))
        for b in p["builds"][:-1]:
            lines.append(f"  (also built with {b['details'].get('tokenize_workers')} tokenising process(es): "
                         f"{b['records_per_s']:,.0f} rec/s, peak {b['peak_rss_mb']} MiB)")
    lines.append("best: " + ", ".join(f"{m} {b['peer']} {b['value']}" for m, b in best.items()))
    lines.append("")
    lines.append("per query, slowest first: median ms (results)")
    lines.append(f"{'kind':<12} {_pad('query', 28)} " + " ".join(f"{n:>22}" for n in peers))
    for q in sorted(result["per_query"], key=lambda q: -max(q[n]["p50_ms"] for n in peers)):
        lines.append(f"{q['kind']:<12} {_pad(q['query'], 28)} "
                     + " ".join(f"{q[n]['p50_ms']:>12.2f} ({q[n]['total']:>7,})" for n in peers))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(_child(argv[1:]), ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="corpus size (see bench.corpus)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of the mix after the first pass")
    parser.add_argument("--peers", nargs="+", choices=list(PEER_MODULES), default=list(PEER_MODULES))
    parser.add_argument("--tantivy-workers", type=int, nargs="+", default=[1, 2],
                        help="tokenising processes for the tantivy build, one build each (default: 1 2)")
    parser.add_argument("--in-process", action="store_true", help="build and search in this process")
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="corpora and indexes (default bench/cache)")
    args = parser.parse_args(argv)
    result = {"machine": machine(), **run(args.records, args.repeat, args.peers, args.tantivy_workers,
                                          args.in_process, args.queries, cache_dir=args.cache_dir)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"peers-{args.records}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
