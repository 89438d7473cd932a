"""Peer: the same records and query mix answered by tantivy (the ``tantivy`` Python package), text cut by fugashi.

Every text field (title, status, evaluation, achievement, plan, from :func:`bench.peer.record_row`) is folded
(NFKC, lower case) and cut by fugashi with unidic-lite into its surfaces, particles and punctuation included;
the surfaces are written joined by U+001F (a space where the text had whitespace) and indexed with positions by
a regex tokenizer that takes every run between separators as one token. The stored text is that joined text,
so tantivy's ``SnippetGenerator`` finds the tokens again; removing the separators from its HTML gives the folded
text back. The facet values (year as a fast u64, dataset, policy, department, section and achievement category
as fast raw-tokenized text) are columns for aggregations.

Query translation: the query is parsed as the SQLite peer parses it (space = AND, ``OR``, ``-word``,
``"phrase"``); each word is folded and cut by fugashi on its own: one token is a term query, several a phrase
query (positions), in each text field (title boosted ×2), the fields ORed. Groups are MUST, their words
SHOULD, exclusions MUST_NOT. A word matches only as whole tokens: ネット does not match ネットワーク, and a
word that fugashi cuts differently alone than in the text (ヤングケアラー alone: ヤング|ケア|ラー, before を:
ヤング|ケアラー) misses those places; the per-query result counts show it.

A search: the top 20 by BM25 (``Searcher.search``, no count), then one ``Searcher.aggregate`` with a terms
aggregation per facet over the same query (the total is the sum of the year buckets, since every record has
one year), then ``SnippetGenerator`` per text field (120 characters, matches wrapped in ``<mark>``) over the 20
hits. tantivy-py has no facet collector that runs with the top-docs collector in one pass, and facet fields
would only count one facet per call; the aggregation counts all six in one pass over the matches.

    python -m bench.tantivy_peer --records 10000 [--workers 2]     # prints a JSON summary
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fugashi
import tantivy

from . import CACHE_DIR
from .corpus import ensure_corpus, read_corpus
from .peer import (
    FACETS,
    PER_PAGE,
    TEXT_COLUMNS,
    TITLE_WEIGHT,
    Answer,
    BuildResult,
    MixResult,
    Peer,
    TreeSampler,
    du,
    iter_batches,
    measure_mix,
    own_peak_mb,
    record_row,
    status_mb,
)
from .querymix import Query, load_queries
from .sqlite_peer import Term, parse

NAME = "tantivy"
TOKENIZER = "fugashi_surfaces"
SEP = "\x1f"
#: A token is a run of anything but the separator and the space.
TOKEN_PATTERN = "[^\x1f ]+"
FACET_COLUMNS: dict[str, str] = {"year": "year", "dataset": "dataset", "policy": "policy",
                                 "department": "department", "section": "section", "achievement": "ach_cat"}
SNIPPET_CHARS = 120
#: Bytes of the writer's indexing heap; tantivy flushes a segment when it is full.
WRITER_HEAP = 128_000_000
BATCH = 500
#: Terms aggregation size: larger than the distinct values of any facet (datasets: about 1 per 500 records).
AGG_SIZE = 10_000

_tagger: fugashi.Tagger | None = None


def tagger() -> fugashi.Tagger:
    global _tagger
    if _tagger is None:
        _tagger = fugashi.Tagger()
    return _tagger


def fold(text: str) -> str:
    """NFKC then lower case (record rows are already NFKC; queries are NFKC from the parser)."""
    return text.lower()


def surfaces(text: str) -> list[str]:
    """The folded text's fugashi surfaces (whitespace dropped), as the index holds them."""
    return [n.surface for n in tagger()(fold(text)) if n.surface.strip()]


def joined(text: str) -> str:
    """The folded text cut into surfaces joined by SEP, a space where the text had whitespace."""
    out: list[str] = []
    for n in tagger()(fold(text)):
        if out:
            out.append(" " if n.white_space else SEP)
        out.append(n.surface)
    return "".join(out)


def tokenized_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with every text field replaced by its joined surfaces (runs in the tokenising workers)."""
    return [{**row, **{c: joined(row[c]) for c in TEXT_COLUMNS}} for row in rows]


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in TEXT_COLUMNS:
        sb.add_text_field(name, stored=True, tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("measure_id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("year", stored=True, indexed=True, fast=True)
    for name in ("dataset", "policy", "department", "section", "ach_cat"):
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


def open_index(path: Path, new: bool = False) -> tantivy.Index:
    index = tantivy.Index(schema(), path=str(path), reuse=not new)
    index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN)).build())
    return index


def _document(row: dict[str, Any]) -> tantivy.Document:
    doc = tantivy.Document()
    for name in TEXT_COLUMNS:
        if row[name]:
            doc.add_text(name, row[name])
    doc.add_text("measure_id", row["measure_id"])
    doc.add_unsigned("year", row["year"])
    for name in ("dataset", "policy", "department", "section", "ach_cat"):
        doc.add_text(name, row[name])
    return doc


def _tokenized(rows: list[dict[str, Any]], workers: int) -> Iterator[list[dict[str, Any]]]:
    batches = list(iter_batches(rows, BATCH))
    if workers <= 1:
        for batch in batches:
            yield tokenized_rows(batch)
        return
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no copy of the records read
    with ctx.Pool(workers) as pool:
        yield from pool.imap(tokenized_rows, batches, chunksize=1)
        _WORKER_PEAKS[:] = [status_mb(p.pid, "VmHWM") or 0.0 for p in pool._pool]  # before they end


_WORKER_PEAKS: list[float] = []


def build(corpus_dir: Path, work_dir: Path, workers: int = 1, writer_threads: int = 1) -> BuildResult:
    """Read the corpus and index it into ``work_dir/tantivy``; ``workers`` > 1 tokenises in that many processes
    while this one feeds the writer."""
    path = Path(work_dir) / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    _WORKER_PEAKS.clear()
    with TreeSampler() as sampler:
        records, read_s = read_corpus(Path(corpus_dir))
        after_read = round(status_mb("self", "VmRSS") or 0.0, 1)
        started = time.perf_counter()
        rows = [record_row(r) for r in records]
        del records
        index = open_index(path, new=True)
        writer = index.writer(WRITER_HEAP, writer_threads)
        n = 0
        for batch in _tokenized(rows, workers):
            for row in batch:
                writer.add_document(_document(row))
            n += len(batch)
        added = time.perf_counter()
        writer.commit()
        writer.wait_merging_threads()
        build_s = time.perf_counter() - started
    index.reload()
    segments = index.searcher().num_segments
    own = own_peak_mb()
    return BuildResult(
        peer=NAME, records=n, read_s=round(read_s, 3), build_s=round(build_s, 3),
        records_per_s=round(n / build_s, 1), index_bytes=du(path), peak_rss_mb=max(sampler.peak_mb, own),
        handle=str(path),
        details={"rss_after_read_mb": after_read, "tokenize_workers": workers, "writer_threads": writer_threads,
                 "writer_heap_mb": WRITER_HEAP // 2**20,
                 "add_s": round(added - started, 3), "commit_s": round(build_s - (added - started), 3),
                 "segments": segments, "own_peak_mb": own, "worker_peaks_mb": [round(p, 1) for p in _WORKER_PEAKS],
                 "sampled_peak_mb": sampler.peak_mb, "version": engine_version()},
    )


# -- search -------------------------------------------------------------------


@dataclass
class Handle:
    index: tantivy.Index
    searcher: tantivy.Searcher
    schema: tantivy.Schema


def open_handle(path: str | Path) -> Handle:
    index = open_index(Path(path))
    index.reload()
    return Handle(index, index.searcher(), index.schema)


def _word(h: Handle, term: Term) -> tuple[tantivy.Query | None, str]:
    tokens = surfaces(term.text)
    if not tokens:
        return None, ""
    per_field = []
    for name in TEXT_COLUMNS:
        if len(tokens) == 1:
            q = tantivy.Query.term_query(h.schema, name, tokens[0])
        else:
            q = tantivy.Query.phrase_query(h.schema, name, tokens)
        if name == "title":
            q = tantivy.Query.boost_query(q, TITLE_WEIGHT)
        per_field.append((tantivy.Occur.Should, q))
    return tantivy.Query.boolean_query(per_field), tokens[0] if len(tokens) == 1 else '"' + " ".join(tokens) + '"'


def compile_query(h: Handle, text: str) -> tuple[tantivy.Query | None, str]:
    """The tantivy query for a query of the mix, and a readable form of it (None: nothing to search)."""
    parsed = parse(text)
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    shown: list[str] = []
    for group in parsed.groups:
        words = [w for w in (_word(h, t) for t in group) if w[0] is not None]
        if not words:
            continue
        if len(words) == 1:
            clauses.append((tantivy.Occur.Must, words[0][0]))
            shown.append("+" + words[0][1])
        else:
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, q) for q, _ in words])))
            shown.append("+(" + " OR ".join(s for _, s in words) + ")")
    if not clauses:
        return None, ""
    for term in parsed.excluded:
        q, s = _word(h, term)
        if q is not None:
            clauses.append((tantivy.Occur.MustNot, q))
            shown.append("-" + s)
    return tantivy.Query.boolean_query(clauses), " ".join(shown)


AGGREGATIONS = {name: {"terms": {"field": column, "size": AGG_SIZE}} for name, column in FACET_COLUMNS.items()}


def search(h: Handle, text: str, per_page: int = PER_PAGE) -> Answer:
    query, shown = compile_query(h, text)
    if query is None:
        return Answer(0, [], {f: {} for f in FACETS}, shown)
    searcher = h.searcher
    top = searcher.search(query, per_page, count=False).hits
    aggs = searcher.aggregate(query, AGGREGATIONS)
    facets = {name: {str(b["key"]): int(b["doc_count"]) for b in aggs[name]["buckets"]} for name in FACETS}
    total = sum(facets["year"].values())
    hits: list[dict[str, Any]] = []
    if top:
        generators = {}
        for name in TEXT_COLUMNS:
            g = tantivy.SnippetGenerator.create(searcher, query, h.schema, name)
            g.set_max_num_chars(SNIPPET_CHARS)
            generators[name] = g
        for score, address in top:
            doc = searcher.doc(address)
            highlights = {}
            for name, g in generators.items():
                snippet = g.snippet_from_doc(doc)
                if snippet.highlighted():
                    highlights[name] = (snippet.to_html().replace(SEP, "").replace("<b>", "<mark>")
                                        .replace("</b>", "</mark>"))
            hits.append({"measure_id": doc.get_first("measure_id"), "dataset": doc.get_first("dataset"),
                         "title": (doc.get_first("title") or "").replace(SEP, ""), "year": doc.get_first("year"),
                         "score": round(score, 4), "highlights": highlights})
    return Answer(total, hits, facets, shown)


def run_mix(handle: str, queries: Sequence[Query], repeat: int) -> MixResult:
    h = open_handle(handle)
    return measure_mix(NAME, lambda text: search(h, text), queries, repeat,
                       {"segments": h.searcher.num_segments, "version": engine_version()})


def engine_version() -> str:
    return f"tantivy {version('tantivy')} + fugashi {version('fugashi')} (unidic-lite {version('unidic-lite')})"


PEER = Peer(NAME, build, run_mix, engine_version)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tantivy_peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="corpus size (see bench.corpus)")
    parser.add_argument("--workers", type=int, default=1, help="tokenising processes (default 1: in this one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(list(argv) if argv is not None else None)
    folder = ensure_corpus(args.records)
    built = build(folder, CACHE_DIR / f"peers-{args.records}", workers=args.workers)
    mix = run_mix(built.handle, load_queries(), args.repeat)
    print(json.dumps({"build": built.to_dict(), "mix": mix.to_dict()}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
