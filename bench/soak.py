"""Soak: 16 clients against ``plansearch serve`` for minutes, with a full rebuild every 2 minutes, and a damaged
generation dropped into the index folder halfway.

    PYTHONPATH=. .venv/bin/python -m bench.soak                      # the bundled data, 10 minutes
    PYTHONPATH=. .venv/bin/python -m bench.soak --records 100000     # the synthetic corpus

wrk (Debian package ``wrk``) runs in 30-second slices so that latency can be followed over time; meanwhile
``plansearch index`` rebuilds the index every ``--rebuild-every`` seconds and the service switches to each new
generation. At ``--damage-at`` seconds (default: halfway) a copy of the live generation with bytes flipped in its
stored records (same size: only the full check can tell) is put in the index folder and ``CURRENT`` pointed at
it, as a bad restore would. Reported: requests served, errors, p50/p99 per slice, the server's resident memory
per slice, and what the server logged about the damaged generation.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from .corpus import ensure_corpus
from .http_load import _rss_mb, fresh_server, wrk_stats
from .run import RESULTS, ROOT

SLICE_SECONDS = 30


def drop_damaged_generation(index: Path) -> str:
    """Copy the live generation under a new name, flip 64 bytes in the middle of its stored records, and point
    ``CURRENT`` at it (atomically); returns its name."""
    live = (index / "CURRENT").read_text(encoding="utf-8").strip()
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-damaged"
    shutil.copytree(index / live, index / name)
    docs = index / name / "docs.bin"
    data = bytearray(docs.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0x5A for b in data[middle:middle + 64])
    docs.write_bytes(bytes(data))
    pointer = index / ".CURRENT.soak"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, index / "CURRENT")
    return name


def soak(data: Path, minutes: float, clients: int, rebuild_every: float, damage_at: float | None = None) -> dict:
    damage_at = minutes * 30 if damage_at is None else damage_at
    with fresh_server(data, "soak") as fresh:
        rebuilds: list[dict] = []
        damaged: dict = {}
        stop = threading.Event()

        def damage_later() -> None:
            if not stop.wait(damage_at):
                damaged.update(at_s=round(time.monotonic() - t0, 1), generation=drop_damaged_generation(fresh.index))

        def rebuild_loop() -> None:
            while not stop.wait(rebuild_every):
                started = time.monotonic()
                done = fresh.build(capture_output=True, text=True)
                rebuilds.append({"at_s": round(started - t0, 1), "seconds": round(time.monotonic() - started, 1),
                                 "exit": done.returncode})

        t0 = time.monotonic()
        rss_start = _rss_mb(fresh.server.pid)
        thread = threading.Thread(target=rebuild_loop, daemon=True)
        thread.start()
        damager = threading.Thread(target=damage_later, daemon=True)
        damager.start()
        slices = []
        try:
            while time.monotonic() - t0 < minutes * 60:
                stats = wrk_stats(fresh.wrk, fresh.script, fresh.base, clients, SLICE_SECONDS, 4)
                stats.update(at_s=round(time.monotonic() - t0, 1), rss_mb=_rss_mb(fresh.server.pid))
                slices.append(stats)
                print(json.dumps(stats), file=sys.stderr)
        finally:
            stop.set()
            thread.join()
            damager.join()
        log = fresh.log.read_text(encoding="utf-8", errors="replace") if fresh.log else ""
        if damaged:
            name = damaged["generation"]
            damaged.update(
                found=[line for line in log.splitlines() if name in line and "is damaged" in line],
                live_at_end=(fresh.index / "CURRENT").read_text(encoding="utf-8").strip())
        return {
            "minutes": minutes, "clients": clients, "rebuild_every_s": rebuild_every,
            "requests": sum(s["requests"] for s in slices),
            "errors": sum(s["errors"] + s["non2xx"] for s in slices),
            "rss_start_mb": rss_start, "rss_end_mb": _rss_mb(fresh.server.pid),
            "rebuilds": rebuilds, "damaged_generation": damaged, "slices": slices,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=0, help="synthetic corpus size (default: the bundled data)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rebuild-every", type=float, default=120, help="seconds between rebuilds")
    parser.add_argument("--damage-at", type=float, help="seconds into the run to drop a damaged generation in "
                                                         "(default: halfway)")
    args = parser.parse_args(argv)
    data = ensure_corpus(args.records) if args.records else ROOT / "data"
    result = soak(data, args.minutes, args.clients, args.rebuild_every, args.damage_at)
    name = f"soak-{args.records or 'bundled'}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "slices"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
