"""Reader throughput on a large table as messy as the bundled one.

    PYTHONPATH=. .venv/bin/python -m bench.reader --rows 50000      # results in bench/results/reader-<N>.json

The bundled table's rows are repeated, each with its own text (a number in every yearly cell, so no memo can
remember a row), keeping its faults: rows missing their 再掲 cell, swapped 達成度/今後の実施計画, blank lines,
section rows. It is saved as TSV and as a CSV saved by Excel (every row padded to full width, CRLF), the case
where each short row's layout is weighed twice. Reported: seconds and rows per second for each, and the repairs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import time
from pathlib import Path

from indexer import read_table

from . import CACHE_DIR
from .run import RESULTS, ROOT

BUNDLED = ROOT / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"


def messy_rows(n: int) -> list[list[str]]:
    rows = [line.split("\t") if line else [] for line in BUNDLED.read_text(encoding="utf-8").split("\n")]
    head, body = rows[:3], rows[3:]
    out = list(head)
    for i in range(n):
        row = body[i % len(body)]
        out.append([f"{c} {i}" if j >= 6 and c else c for j, c in enumerate(row)])
    return out


def saved(rows: list[list[str]], fmt: str, folder: Path) -> Path:
    if fmt == "tsv":
        path = folder / "messy.tsv"
        path.write_text("\n".join("\t".join(r) for r in rows), encoding="utf-8")
        return path
    width = max(map(len, rows))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([r + [""] * (width - len(r)) for r in rows])
    path = folder / "messy_excel.csv"
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path


def run(n: int) -> dict:
    folder = CACHE_DIR / f"reader-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    rows = messy_rows(n)
    result: dict = {"rows": n, "machine": platform.platform(), "python": platform.python_version()}
    for fmt in ("tsv", "excel_csv"):
        path = saved(rows, "tsv" if fmt == "tsv" else "excel", folder)
        started = time.perf_counter()
        ds = read_table(path)
        seconds = time.perf_counter() - started
        result[fmt] = {"seconds": round(seconds, 2), "rows_per_s": round(n / seconds), "measures": len(ds.measures),
                       "warnings": len(ds.warnings), "bytes": path.stat().st_size}
        print(f"{fmt}: {n:,} rows in {seconds:.2f} s ({n / seconds:,.0f} rows/s), {len(ds.measures):,} measures, "
              f"{len(ds.warnings):,} repairs reported")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    result = run(args.rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"reader-{args.rows}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
