"""Reference peer: the same records and query mix answered by SQLite FTS5 with the trigram tokenizer.

One FTS5 row per record (:func:`bench.peer.record_row`): the text columns title, status, evaluation,
achievement, plan (NFKC-normalised, so ＳＯＳ/SOS and ｺﾛﾅ/コロナ meet; trigram folds ASCII case) and the
UNINDEXED metadata year, dataset, measure_id, policy, department, section and achievement category. A search
does what ``GET /api/search`` does: the total, facet counts (year, dataset, policy, department, section,
achievement category) over the whole result set, and the best 20 records by
``bm25()`` (title weighted double) with ``snippet()`` highlights of every matching field, HTML-escaped,
matches wrapped in ``<mark>``.

Query translation (the API's syntax, after NFKC): words separated by spaces are ANDed, ``OR`` between
words ORs them, ``"..."`` is a phrase, ``-word`` excludes. Every word becomes an FTS5 string, which the
trigram tokenizer matches as a substring (so a compound such as 新型コロナウイルス matches adjacent and in
order). The trigram tokenizer cannot match a term shorter than 3 characters (実施, 相談, 虐待 …): such
terms are answered by a scan, ``instr()`` over the concatenated text columns (``lower()`` for ASCII), and
a group or exclusion holding one is written in SQL instead of the MATCH expression. When a query has no
term of 3+ characters at all there is no MATCH, so no ``bm25()`` (results come in rowid order, score 0)
and no ``snippet()`` (highlights are cut in Python). ``LIKE '%虐待%'`` is not used: with SQLite 3.40's
trigram tokenizer a LIKE pattern of 2 non-ASCII characters silently matches no rows.

    python -m bench.sqlite_peer --records 10000      # prints a JSON summary

``PEER`` is this peer in the shape of :mod:`bench.peer` (``build(corpus_dir, work_dir)``, ``run_mix``), as
``python -m bench.peers`` runs it beside tantivy and Groonga.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sqlite3
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import CACHE_DIR
from .corpus import DEFAULT_SEED, ensure_corpus, read_corpus
from .peer import (
    Answer,
    BuildResult,
    MixResult,
    Peer,
    TreeSampler,
    du,
    measure_mix,
    own_peak_mb,
    record_row,
    status_mb,
)
from .querymix import Query, load_queries

TEXT_COLUMNS: tuple[str, ...] = ("title", "status", "evaluation", "achievement", "plan")
META_COLUMNS: tuple[str, ...] = ("year", "dataset", "measure_id", "policy", "department", "section", "ach_cat")
#: Facet columns and the names they are reported under (ach_cat: the achievement category).
FACETS: tuple[str, ...] = ("year", "dataset", "policy", "department", "section", "ach_cat")
FACET_NAMES: dict[str, str] = {"ach_cat": "achievement"}
BM25_WEIGHTS: tuple[float, ...] = (2.0, 1.0, 1.0, 1.0, 1.0)
MIN_TRIGRAM = 3
PER_PAGE = 20
SNIPPET_TOKENS = 40
_OPEN, _CLOSE = "\x02", "\x03"
_HAYSTACK = "(" + " || char(10) || ".join(TEXT_COLUMNS) + ")"
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


def check_sqlite() -> str:
    """The SQLite version, if it has FTS5's trigram tokenizer (3.34+)."""
    if sqlite3.sqlite_version_info < (3, 34, 0):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (3.34+ needed)")
    return sqlite3.sqlite_version


def _nfkc(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or ""))


def _facet(name: str) -> str:
    return FACET_NAMES.get(name, name)


def build(records: Iterable[Any], path: Path) -> dict[str, Any]:
    """Index ``records`` (``indexer.Record`` or their ``to_dict()``) into a new FTS5 database at ``path``."""
    version = check_sqlite()
    path = Path(path)
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    try:
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        columns = ", ".join(TEXT_COLUMNS + tuple(f"{c} UNINDEXED" for c in META_COLUMNS))
        conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5({columns}, tokenize='trigram')")
        sql = f"INSERT INTO docs VALUES ({', '.join('?' * (len(TEXT_COLUMNS) + len(META_COLUMNS)))})"
        rows = 0
        with conn:
            batch: list[tuple] = []
            for record in records:
                d = record_row(record)
                batch.append(tuple(d[c] for c in TEXT_COLUMNS + META_COLUMNS))
                if len(batch) >= 5000:
                    conn.executemany(sql, batch)
                    rows += len(batch)
                    batch.clear()
            conn.executemany(sql, batch)
            rows += len(batch)
        inserted = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        done = time.perf_counter()
    finally:
        conn.close()
    return {"rows": rows, "insert_s": round(inserted - started, 3), "optimize_s": round(done - inserted, 3),
            "build_s": round(done - started, 3), "db_bytes": path.stat().st_size, "sqlite_version": version,
            "path": str(path)}


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False

    @property
    def short(self) -> bool:
        return len(self.text) < MIN_TRIGRAM

    def fts(self) -> str:
        return '"' + self.text.replace('"', '""') + '"'


@dataclass(frozen=True)
class Parsed:
    """A query: an AND of groups, each an OR of terms, and the terms excluded."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


def parse(query: str) -> Parsed:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for token in _TOKEN.findall(_nfkc(query).strip()):
        if token == "OR":
            join_next = bool(groups)
            continue
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        phrase = body.startswith('"')
        text = body.strip('"').strip()
        if not text:
            continue
        term = Term(text, phrase)
        if negative:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return Parsed(tuple(tuple(g) for g in groups), tuple(excluded))


@dataclass(frozen=True)
class Compiled:
    """A parsed query as FTS5 MATCH expression plus SQL conditions for what trigrams cannot match."""

    match: str | None
    where: tuple[str, ...]
    params: tuple[str, ...]
    scan_terms: tuple[str, ...]

    @property
    def mode(self) -> str:
        if self.match is None:
            return "scan" if self.where else "none"
        return "fts+scan" if self.scan_terms else "fts"


def compile_query(parsed: Parsed) -> Compiled:
    match: list[str] = []
    where: list[str] = []
    params: list[str] = []
    scan: list[str] = []

    def sql_term(term: Term) -> str:
        if term.short:
            scan.append(term.text)
            params.append(term.text.lower())
            hay = f"lower{_HAYSTACK}" if term.text.isascii() else _HAYSTACK
            return f"instr({hay}, ?) > 0"
        params.append(term.fts())
        return "docs.rowid IN (SELECT rowid FROM docs WHERE docs MATCH ?)"

    for group in parsed.groups:
        if all(not t.short for t in group):
            match.append("(" + " OR ".join(t.fts() for t in group) + ")")
        else:
            where.append("(" + " OR ".join(sql_term(t) for t in group) + ")")
    if parsed.groups:
        for term in parsed.excluded:
            if match and not term.short:
                match.append("NOT " + term.fts())
            else:
                where.append(f"NOT ({sql_term(term)})")
    expr = " AND ".join(match).replace(" AND NOT ", " NOT ") if match else None
    return Compiled(expr, tuple(where), tuple(params), tuple(scan))


@dataclass
class SearchResult:
    query: str
    mode: str
    match: str | None
    total: int
    results: list[dict[str, Any]] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def search(conn: sqlite3.Connection, query: str, per_page: int = PER_PAGE) -> SearchResult:
    """Total, facets and the best ``per_page`` records with highlights, as ``GET /api/search`` returns them."""
    compiled = compile_query(parse(query))
    if compiled.mode == "none":
        return SearchResult(query, "none", None, 0, facets={_facet(f): {} for f in FACETS})
    conditions = (["docs MATCH ?"] if compiled.match else []) + list(compiled.where)
    params = ([compiled.match] if compiled.match else []) + list(compiled.params)
    base = "FROM docs WHERE " + " AND ".join(conditions)
    facet_counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    total = 0
    for *values, n in conn.execute(f"SELECT {', '.join(FACETS)}, count(*) {base} GROUP BY {', '.join(FACETS)}",
                                   params):
        total += n
        for name, value in zip(FACETS, values, strict=True):
            facet_counts[name][str(value)] += n
    result = SearchResult(query, compiled.mode, compiled.match, total,
                          facets={_facet(f): dict(c.most_common()) for f, c in facet_counts.items()})
    if not total:
        return result
    if compiled.match:
        weights = ", ".join(map(str, BM25_WEIGHTS))
        snippets = ", ".join(f"snippet(docs, {i}, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS})"
                             for i in range(len(TEXT_COLUMNS)))
        sql = (f"SELECT measure_id, dataset, title, year, bm25(docs, {weights}) AS score, {snippets}, "
               f"{', '.join(TEXT_COLUMNS)} {base} ORDER BY score LIMIT ?")
    else:
        sql = f"SELECT measure_id, dataset, title, year, 0.0, {', '.join(TEXT_COLUMNS)} {base} ORDER BY rowid LIMIT ?"
    n_cols = len(TEXT_COLUMNS)
    for row in conn.execute(sql, [*params, per_page]):
        measure_id, dataset, title, year, score = row[:5]
        snips = row[5:5 + n_cols] if compiled.match else (None,) * n_cols
        texts = row[-n_cols:]
        highlights = {}
        for name, snip, text in zip(TEXT_COLUMNS, snips, texts, strict=True):
            fragment = _highlight(snip, text, compiled.scan_terms)
            if fragment is not None:
                highlights[name] = fragment
        result.results.append({"measure_id": measure_id, "dataset": dataset, "title": title, "year": year,
                               "score": round(-score, 4) or 0.0, "highlights": highlights})
    return result


def _highlight(snippet: str | None, text: str, scan_terms: Sequence[str]) -> str | None:
    """The field's HTML fragment with <mark>ed matches, or None if nothing matched in it."""
    if snippet is not None and _OPEN in snippet:
        fragment = _mark(snippet, scan_terms)
    elif scan_terms and any(_find(text, t) >= 0 for t in scan_terms):
        fragment = _mark(_window(text, scan_terms), scan_terms)
    else:
        return None
    return html.escape(fragment, quote=False).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _find(text: str, term: str) -> int:
    return (text.lower() if term.isascii() else text).find(term.lower())


def _window(text: str, terms: Sequence[str], width: int = SNIPPET_TOKENS) -> str:
    at = min(i for i in (_find(text, t) for t in terms) if i >= 0)
    start = max(0, at - width // 3)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _mark(text: str, terms: Sequence[str]) -> str:
    for term in sorted(set(terms), key=len, reverse=True):
        text = re.sub(re.escape(term), lambda m: _OPEN + m.group(0) + _CLOSE, text, flags=re.IGNORECASE)
    return text


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def run_mix(db_path: Path, queries: Sequence[Query], repetitions: int = 5) -> dict[str, Any]:
    """Answer every query once to warm up, then ``repetitions`` times; latencies in milliseconds."""
    conn = connect(db_path)
    try:
        first = {q: search(conn, q.text) for q in queries}
        samples: dict[Query, list[float]] = {q: [] for q in queries}
        for _ in range(repetitions):
            for q in queries:
                started = time.perf_counter()
                search(conn, q.text)
                samples[q].append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    every = [ms for q in queries for ms in samples[q]]
    per_query = [{
        "kind": q.kind, "query": q.text, "mode": first[q].mode, "match": first[q].match, "total": first[q].total,
        "top": first[q].results[0]["measure_id"] if first[q].results else None,
        "highlighted": sorted({f for r in first[q].results for f in r["highlights"]}),
        "p50_ms": round(percentile(samples[q], 50), 3), "max_ms": round(max(samples[q]), 3),
    } for q in queries]
    by_kind = {k: round(percentile([ms for q in queries if q.kind == k for ms in samples[q]], 50), 3)
               for k in dict.fromkeys(q.kind for q in queries)}
    return {"queries": len(queries), "repetitions": repetitions, "samples": len(every),
            "p50_ms": round(percentile(every, 50), 3), "p95_ms": round(percentile(every, 95), 3),
            "p99_ms": round(percentile(every, 99), 3), "mean_ms": round(sum(every) / len(every), 3),
            "max_ms": round(max(every), 3), "p50_ms_by_kind": by_kind, "per_query": per_query}


def build_peer(corpus_dir: Path, work_dir: Path) -> BuildResult:
    """:func:`build` in the shape of :mod:`bench.peer`: the corpus read, then indexed into ``work_dir/sqlite.db``."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    with TreeSampler() as sampler:
        records, read_s = read_corpus(Path(corpus_dir))
        after_read = round(status_mb("self", "VmRSS") or 0.0, 1)
        started = time.perf_counter()
        stats = build(records, work_dir / "sqlite.db")
        build_s = time.perf_counter() - started
    return BuildResult(peer="sqlite", records=stats["rows"], read_s=round(read_s, 3), build_s=round(build_s, 3),
                       records_per_s=round(stats["rows"] / build_s, 1), index_bytes=du(Path(stats["path"])),
                       peak_rss_mb=max(sampler.peak_mb, own_peak_mb()), handle=stats["path"],
                       details={"rss_after_read_mb": after_read, **stats, "own_peak_mb": own_peak_mb(),
                                "sampled_peak_mb": sampler.peak_mb})


def run_peer_mix(handle: str, queries: Sequence[Query], repeat: int) -> MixResult:
    """The query mix in the shape of :mod:`bench.peer` (the same search as :func:`run_mix`)."""
    conn = connect(Path(handle))
    try:
        def answer(text: str) -> Answer:
            r = search(conn, text)
            return Answer(r.total, r.results, r.facets, f"{r.match or ''} [{r.mode}]".strip())

        return measure_mix("sqlite", answer, queries, repeat, {"sqlite_version": sqlite3.sqlite_version})
    finally:
        conn.close()


PEER = Peer("sqlite", build_peer, run_peer_mix, lambda: f"SQLite {sqlite3.sqlite_version} FTS5 trigram")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="corpus size (see bench.corpus)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--db", type=Path, help="database file (default: bench/cache/sqlite-<N>.db)")
    parser.add_argument("--queries", type=Path, help="query mix file (default: bench/queries.txt)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    folder = ensure_corpus(args.records, args.seed)
    corpus_s = time.perf_counter() - started
    records, read_s = read_corpus(folder)
    stats = build(records, args.db or CACHE_DIR / f"sqlite-{args.records}.db")
    del records
    queries = load_queries(args.queries) if args.queries else load_queries()
    mix = run_mix(Path(stats["path"]), queries, args.repetitions)
    summary = {"records": args.records, "corpus": {"folder": str(folder), "ready_s": round(corpus_s, 3),
                                                   "read_s": round(read_s, 3)},
               "build": stats, "mix": mix}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
