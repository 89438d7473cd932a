"""Deterministic benchmark corpus: the bundled table scaled to N records across synthetic municipalities.

A record is one measure in one fiscal year, as the reader counts them. The generator plans municipalities
(``city0001`` …) of 100–200 measures and 2–5 consecutive fiscal years (令和元年度 … 令和6年度) so that the
records add up to exactly N (the last municipality drops some measures' first or last years, as measures
that started late or ended early do), then writes one TSV table per municipality in the layout of
``data/koganei_jisatsu_taisaku_r2_r3.tsv``. Cells are rebuilt from the real table's sentences, with counts
(14校, 25,011食, 年2回) varied, local names replaced, and a few municipalities writing full-width
alphanumerics or half-width katakana; titles, items, policies, departments and sections come from the
real table, titles perturbed (prefixed, suffixed or spliced) so that they are not all identical.

With ``layout="year"`` each municipality's table is written as one table per fiscal year, as cities publish
their yearly reports (``m0001_2019.tsv``, ``m0001_2020.tsv`` …, a measure only in the years it reports), which
the reader merges back into one dataset per municipality.

Corpora are cached in ``bench/cache/corpus-<N>/`` (``corpus-<N>-year/``); ``manifest.json`` is written last and
the folder is reused only when the manifest matches (N, seed, generator version, source table, file count).

    python -m bench.corpus --records 10000           # prints the folder
    python -m bench.corpus --records 100000 --verify # also reads it back with indexer.read_paths
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from random import Random

from indexer import Record, read_paths
from indexer.years import year_label

from . import CACHE_DIR
from .textpool import (
    PROSE_FIELDS,
    Localizer,
    Pool,
    join_sentences,
    load_pool,
    perturb_title,
    to_fullwidth,
    to_halfwidth_kana,
    vary_achievement,
    vary_numbers,
)

#: Bump when the output of the same (N, seed) changes; cached corpora of other versions are regenerated.
GENERATOR_VERSION = 2
DEFAULT_SEED = 20210401
SOURCE_TABLE = Path(__file__).resolve().parent.parent / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"
MANIFEST = "manifest.json"
FIRST_YEAR, LAST_YEAR = 2019, 2024  # 令和元年度 … 令和6年度
MEASURES = (100, 200)
YEARS = (2, 5)
#: Below this many records left, the next municipality is the last and is shaped to fit exactly.
LAST_CITY_MAX = 600
CONTINUATIONS = ("また", "なお", "以上により", "その上で", "今後さらに")
STATIC_HEADER = ("計画における項目", "実施内容", "計画書ページ", "担当部署", "担当課", "再掲")


@dataclass(frozen=True)
class CityPlan:
    """One synthetic municipality: its fiscal years and, per measure, the span of years it reports."""

    index: int
    years: tuple[int, ...]
    #: Per measure, (first, last) index into ``years``, inclusive.
    spans: tuple[tuple[int, int], ...]

    @property
    def slug(self) -> str:
        return f"city{self.index:04d}"

    @property
    def file_name(self) -> str:
        return f"{self.slug}_jisatsu_taisaku.tsv"

    def year_file_name(self, year: int) -> str:
        return f"m{self.index:04d}_{year}.tsv"

    @property
    def records(self) -> int:
        return sum(b - a + 1 for a, b in self.spans)


def plan_cities(records: int, seed: int) -> list[CityPlan]:
    """Municipalities whose records add up to exactly ``records``."""
    if records < 1:
        raise ValueError("records must be positive")
    rng = Random(seed)
    plans: list[CityPlan] = []
    remaining = records
    while remaining > 0:
        if remaining <= LAST_CITY_MAX:
            n_years, n_measures = _last_shape(remaining, rng)
            kept = [n_years] * n_measures
            surplus = n_measures * n_years - remaining
            while surplus:
                i = rng.randrange(n_measures)
                if kept[i] > 1:
                    kept[i] -= 1
                    surplus -= 1
        else:
            n_years = rng.randint(*YEARS)
            n_measures = min(rng.randint(*MEASURES), (remaining - MEASURES[0]) // n_years)
            kept = [rng.randint(1, n_years - 1) if rng.random() < 0.06 else n_years for _ in range(n_measures)]
        start = rng.randint(FIRST_YEAR, LAST_YEAR - n_years + 1)
        spans = []
        for k in kept:
            first = 0 if k == n_years or rng.random() < 0.5 else n_years - k  # started late or ended early
            spans.append((first, first + k - 1))
        plan = CityPlan(len(plans) + 1, tuple(range(start, start + n_years)), tuple(spans))
        plans.append(plan)
        remaining -= plan.records
    return plans


def _last_shape(remaining: int, rng: Random) -> tuple[int, int]:
    """(years, measures) with measures * years >= remaining >= measures, measures in range when possible."""
    shapes = []
    for n_years in range(YEARS[0], YEARS[1] + 1):
        low = max(min(MEASURES[0], remaining), math.ceil(remaining / n_years))
        high = min(MEASURES[1], remaining)
        if low <= high:
            shapes.append((n_years, low, high))
    n_years, low, high = rng.choice(shapes)
    return n_years, rng.randint(low, min(high, low + max(3, low // 10)))  # few measures lose years


def header_row(years: tuple[int, ...]) -> list[str]:
    row = list(STATIC_HEADER)
    for y in years:
        label = year_label(y)
        row += [f"{label}実施状況", f"{label} 実施状況に関する担当課の評価", "達成度 (%)",
                f"今後({year_label(y + 1)}以降)の実施計画"]
    return row


class _CityWriter:
    """Builds the rows of one municipality's table from the pool, with its own random stream."""

    def __init__(self, plan: CityPlan, pool: Pool, seed: int) -> None:
        self.plan, self.pool = plan, pool
        self.rng = Random(f"{seed}:{plan.index}")
        self.local = Localizer.for_city(plan.index, self.rng)
        self.fullwidth = self.rng.random() < 0.12
        self.halfwidth_kana = self.rng.random() < 0.04

    def rows(self) -> list[list[str]]:
        rng, pool, plan = self.rng, self.pool, self.plan
        width = len(STATIC_HEADER) + 4 * len(plan.years)
        rows = [[f"{self.local.kanji}市 自殺対策計画 進捗状況"] + [""] * (width - 1), [""] * width,
                header_row(plan.years)]
        n_policies = len(pool.policies)
        chosen = sorted(rng.sample(range(n_policies), k=rng.randint(min(3, n_policies), n_policies)))
        if rng.random() < 0.3:
            rng.shuffle(chosen)
        spans = list(plan.spans)
        page = rng.randint(20, 60)
        for p_no, (p, n) in enumerate(zip(chosen, _split(len(spans), len(chosen), rng), strict=True), start=1):
            if not n:
                continue
            rows.append([f"重点施策{p_no} {pool.policies[p]}"] + [""] * (width - 1))
            items = list(pool.items[p])
            others = [i for q, group in enumerate(pool.items) if q != p for i in group]
            items += rng.sample(others, k=min(len(others), rng.randint(0, 2)))
            for i_no, (item, k) in enumerate(zip(items, _split(n, len(items), rng), strict=True), start=1):
                page += rng.randint(0, 1)
                for number in range(1, k + 1):
                    page += int(rng.random() < 0.3)
                    rows.append(self._measure_row(f"({i_no}) {item}", number, item, p, page, spans.pop(0)))
        return rows

    def _measure_row(self, item_cell: str, number: int, item: str, policy: int, page: int,
                     span: tuple[int, int]) -> list[str]:
        rng, pool = self.rng, self.pool
        r = rng.random()
        candidates = pool.by_item[item] if r < 0.6 else pool.by_policy[policy] if r < 0.85 else range(
            len(pool.measures))
        src = rng.choice(tuple(candidates))
        source = pool.measures[src]
        title = self.local(perturb_title(source.title, pool, rng))
        row = [item_cell, f"{number} {title}", f"P.{page}", source.department, source.section, ""]
        previous: dict[str, list[str]] = {}
        achievement = ""
        for j in range(len(self.plan.years)):
            if not span[0] <= j <= span[1]:
                row += ["", "", "", ""]
                continue
            cells: dict[str, list[str]] = {}
            for name in PROSE_FIELDS:
                if name in previous and rng.random() < 0.45:
                    cells[name] = previous[name]  # carried over, as the real table often does
                elif name == "evaluation" and "plan" in previous and rng.random() < 0.12:
                    cells[name] = previous["plan"]
                else:
                    cells[name] = self._sentences(name, src)
            if rng.random() < 0.03:
                cells["plan"] = []  # an empty plan cell, as the real table has
            achievement = achievement if achievement and rng.random() < 0.5 else rng.choice(pool.achievements)
            previous = cells
            row += [self._cell(cells["status"]), self._cell(cells["evaluation"]),
                    vary_achievement(achievement, rng), self._cell(cells["plan"])]
        return row

    def _sentences(self, name: str, src: int) -> list[str]:
        rng, pool = self.rng, self.pool
        out: list[str] = []
        for _ in range(rng.choice(pool.lengths[name])):
            r = rng.random()
            own = pool.measures[src].sentences[name]
            same_policy = pool.policy_sentences[name][pool.measures[src].policy]
            choices = own if r < 0.7 and own else same_policy if r < 0.9 and same_policy else pool.sentences[name]
            sentence = rng.choice(choices)
            if sentence not in out:
                out.append(sentence)
        out = out or [rng.choice(pool.sentences[name])]
        # a sentence that continues another (また、… なお、…) does not open a cell
        return sorted(out, key=lambda s: s.startswith(CONTINUATIONS))

    def _cell(self, sentences: list[str]) -> str:
        text = self.local(vary_numbers(join_sentences(sentences), self.rng))
        if self.fullwidth:
            text = to_fullwidth(text)
        if self.halfwidth_kana and self.rng.random() < 0.3:
            text = to_halfwidth_kana(text)
        return text


def _split(total: int, parts: int, rng: Random) -> list[int]:
    """``total`` cut into ``parts`` random, roughly even shares."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    shares = [int(total * w / sum(weights)) for w in weights]
    for i in rng.sample(range(parts), k=total - sum(shares)):
        shares[i] += 1
    return shares


_POOL: Pool | None = None


def _write_cities(folder: str, plans: list[CityPlan], seed: int, layout: str = "city") -> int:
    """Write the tables of ``plans`` (run in a worker process); returns the bytes written."""
    global _POOL
    if _POOL is None:
        _POOL = load_pool(SOURCE_TABLE)
    written = 0
    for plan in plans:
        rows = _CityWriter(plan, _POOL, seed).rows()
        tables = [(plan.file_name, rows)] if layout == "city" else [
            (plan.year_file_name(year), _year_rows(rows, j)) for j, year in enumerate(plan.years)]
        for name, table in tables:
            path = Path(folder) / name
            with path.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f, delimiter="\t", lineterminator="\n").writerows(table)
            written += path.stat().st_size
    return written


def _year_rows(rows: list[list[str]], j: int) -> list[list[str]]:
    """A municipality's table cut to its ``j``-th fiscal year: the measure columns and that year's four, without
    the measures that do not report that year."""
    static = len(STATIC_HEADER)
    keep = [*range(static), *range(static + 4 * j, static + 4 * j + 4)]
    out = []
    for n, row in enumerate(rows):
        cut = [row[c] for c in keep]
        is_measure = n > 2 and any(row[1:static])
        if is_measure and not any(cut[static:]):
            continue
        out.append(cut)
    return out


def _source_digest() -> str:
    return hashlib.sha256(SOURCE_TABLE.read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Manifest:
    records: int
    seed: int
    version: int
    source: str
    files: int
    measures: int
    bytes: int
    seconds: float


def corpus_dir(records: int, cache_dir: Path = CACHE_DIR, layout: str = "city") -> Path:
    return cache_dir / (f"corpus-{records}" if layout == "city" else f"corpus-{records}-{layout}")


def read_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest(**json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def is_complete(folder: Path, records: int, seed: int) -> bool:
    m = read_manifest(folder)
    return (m is not None and (m.records, m.seed, m.version, m.source) == (records, seed, GENERATOR_VERSION,
                                                                          _source_digest())
            and sum(1 for _ in folder.glob("*.tsv")) == m.files)


def ensure_corpus(records: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR, force: bool = False,
                  workers: int | None = None, layout: str = "city") -> Path:
    """The folder of the corpus of ``records`` records, generated unless a complete one is cached; ``layout`` is
    ``city`` (a table per municipality) or ``year`` (a table per municipality and fiscal year)."""
    if layout not in ("city", "year"):
        raise ValueError(f"unknown layout {layout!r}")
    folder = corpus_dir(records, cache_dir, layout)
    if not force and is_complete(folder, records, seed):
        return folder
    started = time.perf_counter()
    plans = plan_cities(records, seed)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    workers = workers or min(os.cpu_count() or 1, 8)
    chunks = [plans[i::workers] for i in range(workers)] if len(plans) >= 8 and workers > 1 else [plans]
    if len(chunks) == 1:
        written = _write_cities(str(tmp), plans, seed, layout)
    else:
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            written = sum(pool.map(_write_cities, [str(tmp)] * len(chunks), chunks, [seed] * len(chunks),
                                   [layout] * len(chunks)))
    files = len(plans) if layout == "city" else sum(len(p.years) for p in plans)
    manifest = Manifest(records=records, seed=seed, version=GENERATOR_VERSION, source=_source_digest(),
                        files=files, measures=sum(len(p.spans) for p in plans), bytes=written,
                        seconds=round(time.perf_counter() - started, 3))
    (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def read_corpus(folder: Path) -> tuple[list[Record], float]:
    """Every record of the corpus, read by the project's reader, and the seconds it took."""
    started = time.perf_counter()
    records = [r for ds in read_paths([folder]) for r in ds.records()]
    return records, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="records (measure x fiscal year) to generate")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--force", action="store_true", help="regenerate even if a complete corpus is cached")
    parser.add_argument("--workers", type=int, help="processes writing tables (default: CPUs, at most 8)")
    parser.add_argument("--layout", choices=("city", "year"), default="city",
                        help="a table per municipality (city) or per municipality and fiscal year (year)")
    parser.add_argument("--verify", action="store_true",
                        help="read the corpus back with indexer.read_paths and check the record count")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    folder = ensure_corpus(args.records, args.seed, args.cache_dir, args.force, args.workers, args.layout)
    print(f"corpus ready in {time.perf_counter() - started:.2f}s: {read_manifest(folder)}", file=sys.stderr)
    if args.verify:
        records, seconds = read_corpus(folder)
        print(f"read {len(records):,} records with indexer.read_paths in {seconds:.2f}s", file=sys.stderr)
        if len(records) != args.records:
            print(f"error: expected {args.records:,} records", file=sys.stderr)
            return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
