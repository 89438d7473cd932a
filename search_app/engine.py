"""The search library: answer searches, exports, measures and stats over the live index generation
(``live.py`` keeps it open and follows it). Results are typed (``models.py``): no HTML, no URLs."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from whoosh import query as wq

from indexer.generations import IndexInfo
from indexer.models import TEXT_FIELDS, StoredRecord
from indexer.schema import FACET_FIELDS, SEARCH_FIELDS, key_field, meta_text

from .cache import ResultCache, request_key
from .compiled import CompiledQuery, compile_query
from .highlight import Snippet, extra_snippet, snippet
from .live import LiveIndex, ThreadSearcher
from .matching import Matcher, allowed_records, ranked
from .models import Hit, MeasureAnswer, SearchPage, SearchRequest, Stats
from .query import parse
from .similar import SimilarMeasure, best_per_measure, characteristic_words, words_query
from .stats import counts
from .synonyms import SynonymFile, SynonymTable, _key


@dataclass
class _Run:
    """One evaluated query: the thread's searcher, the compiled query, and what matched."""

    handle: ThreadSearcher
    query: CompiledQuery
    order: np.ndarray  # matching document numbers, best first
    scores: np.ndarray
    fields: dict[str, np.ndarray]
    hit: np.ndarray
    meta: np.ndarray | None = None  # matched in the meta field (policy, item, department, section, extra cells)


class Engine:
    def __init__(self, index_root: Path, synonyms: Path | None = None, snippet_chars: int = 120,
                 result_cache: int = 256, timeout_ms: int = 0) -> None:
        self.index_root = Path(index_root)
        self.synonyms = SynonymFile(synonyms)
        self.snippet_chars = snippet_chars
        self._pages = ResultCache(result_cache)
        self.timeout_ms = timeout_ms
        self.live = LiveIndex(self.index_root)
        self.info  # noqa: B018 - open now: a missing or outdated index fails at start, not on a request

    @property
    def info(self) -> IndexInfo:
        return self.live.info

    def refresh(self) -> None:
        """Look for a new generation on the next request (after a build in this process)."""
        self.live.refresh()

    def close(self) -> None:
        """Close every searcher this engine opened (also done when it is garbage-collected)."""
        self.live.close()

    # -- search ----------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchPage:
        started = time.perf_counter()
        key = (self.live.current().info.generation, self.synonyms.stamp(), request_key(req))
        cached = self._pages.get(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        page = self._search(req, started)
        self._pages.put(key, page)
        return page

    def _search(self, req: SearchRequest, started: float) -> SearchPage:
        run = self._execute(req, limit=req.page * req.per_page)
        start = (req.page - 1) * req.per_page
        hits = tuple(self._hit(run, int(d)) for d in run.order[start:start + req.per_page])
        facets = self._facets(run)
        took = round((time.perf_counter() - started) * 1000, 2)
        q = run.query
        return SearchPage(query=req.q, interpreted=q.interpreted(), total=int(run.hit.sum()), page=req.page,
                          per_page=req.per_page, took_ms=took, results=hits, facets=facets,
                          expansions=q.expansions, ignored=tuple(q.ignored),
                          municipality_years=self._municipality_years(run) if len(facets["municipality"]) > 1 else {})

    def export(self, req: SearchRequest, limit: int) -> tuple[Hit, ...]:
        """The whole ranked result set (up to ``limit`` records), every field in full, without snippets."""
        run = self._execute(req, limit=limit)
        order = run.order[:limit]
        return tuple(Hit.of(self._record(run.handle, d), round(s, 4))
                     for d, s in zip(order.tolist(), run.scores[order].tolist(), strict=True))

    def _execute(self, req: SearchRequest, limit: int) -> _Run:
        handle = self.live.searcher()
        snap = handle.generation
        table = self.synonyms.table() if req.synonyms else SynonymTable()
        if req.disabled_synonyms:
            drop = {_key(w) for w in req.disabled_synonyms}
            table = SynonymTable(table.groups, {k: v for k, v in table.expansions.items() if k not in drop},
                                 table.longest)
        compiled = compile_query(parse(req.q), table)
        fields = req.fields or SEARCH_FIELDS
        n = snap.columns.count
        allowed = allowed_records(snap.columns, req)
        if compiled.root is None or n == 0:
            empty = np.zeros(n, dtype=bool)
            return _Run(handle, compiled, np.zeros(0, dtype=np.int64), np.zeros(n), {}, empty)
        m = self._matcher(handle, fields, allowed).evaluate(compiled.root)
        if allowed is not None:
            m.hit &= allowed
        order = ranked(snap.columns, m, req.sort, limit)
        text_fields = {f: m.fields[f] & m.hit for f in TEXT_FIELDS if f in m.fields}
        meta = m.fields["meta"] & m.hit if "meta" in m.fields else None
        return _Run(handle, compiled, order, m.score, text_fields, m.hit, meta)

    def _matcher(self, handle: ThreadSearcher, fields: tuple[str, ...], allowed: np.ndarray | None) -> Matcher:
        gen = handle.generation
        return Matcher(gen.columns.count, lambda f, t: gen.terms.get(handle.reader, f, t), gen.norms,
                       lambda d: self._texts(handle, d), fields, allowed,
                       lambda f, ks, cands: self._runs(handle, f, ks, cands),
                       time.monotonic() + self.timeout_ms / 1000 if self.timeout_ms > 0 else None)

    def _runs(self, handle: ThreadSearcher, field: str, keys: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
        """The candidates whose ``field`` has ``keys`` in a row (from the key-id arrays, cached)."""
        gen = handle.generation
        found = gen.terms.get_or_load(("run", field, keys), lambda: (gen.columns.runs(field, keys), np.zeros(0)))
        return np.intersect1d(found[0], candidates, assume_unique=True)

    def _stored(self, handle: ThreadSearcher, docnum: int) -> dict:
        return handle.searcher.stored_fields(docnum)

    def _record(self, handle: ThreadSearcher, docnum: int) -> StoredRecord:
        return StoredRecord.from_row(self._stored(handle, docnum)["doc"])

    def _texts(self, handle: ThreadSearcher, docnum: int) -> dict:
        record = self._record(handle, docnum)
        return {**{f: getattr(record, f) for f in TEXT_FIELDS}, "meta": meta_text(record)}

    def _hit(self, run: _Run, docnum: int) -> Hit:
        stored = self._stored(run.handle, docnum)
        record = StoredRecord.from_row(stored["doc"])
        tok = stored.get("tok", {})
        patterns, length = run.query.patterns, self.snippet_chars
        highlights: dict[str, Snippet] = {
            f: snippet(getattr(record, f), patterns, length, tok.get(f))
            for f in TEXT_FIELDS if f in run.fields and run.fields[f][docnum] and getattr(record, f)}
        if record.extra and run.meta is not None and run.meta[docnum]:
            found = extra_snippet(meta_text(record), record.extra, patterns, length, tok.get("meta"))
            if found:  # else the match is in the policy, item or section
                highlights["extra"] = found
        return Hit.of(record, round(float(run.scores[docnum]), 4), highlights)

    def _facets(self, run: _Run) -> dict[str, dict[str, int]]:
        cols = run.handle.generation.columns
        matched = np.flatnonzero(run.hit)
        out: dict[str, dict[str, int]] = {}
        for name, api in FACET_FIELDS.items():
            values = cols.values[name]
            counts = np.bincount(cols.codes[name][matched], minlength=len(values))
            pairs = [(values[i], int(counts[i])) for i in np.flatnonzero(counts) if values[i]]
            pairs.sort(key=(lambda kv: kv[0]) if api == "year" else (lambda kv: (-kv[1], kv[0])))
            out[api] = dict(pairs)
        out["field"] = {f: int(m.sum()) for f, m in run.fields.items() if m.any()}
        return out

    def _municipality_years(self, run: _Run) -> dict[str, dict[str, int]]:
        """Matching records by municipality and fiscal year."""
        cols = run.handle.generation.columns
        matched = np.flatnonzero(run.hit)
        towns, years = cols.codes["municipality"][matched], cols.codes["year"][matched]
        width = len(cols.values["year"])
        counts = np.bincount(towns.astype(np.int64) * width + years, minlength=len(cols.values["municipality"]) * width)
        out: dict[str, dict[str, int]] = {}
        for cell in np.flatnonzero(counts).tolist():
            town, year = divmod(cell, width)
            out.setdefault(cols.values["municipality"][town], {})[cols.values["year"][year]] = int(counts[cell])
        return {town: dict(sorted(by_year.items())) for town, by_year in sorted(out.items())}

    # -- measures and stats ------------------------------------------------
    def measure(self, measure_id: str, similar: int = 10) -> MeasureAnswer | None:
        """A measure with every year's record in full, and up to ``similar`` similar measures; None if unknown."""
        handle = self.live.searcher()
        docnums = list(handle.searcher.docs_for_query(wq.Term("measure_id", measure_id)))
        records = sorted((self._record(handle, d) for d in docnums), key=lambda r: r.year)
        if not records:
            return None
        words, found = self._similar(handle, tuple(records), similar) if similar else ((), ())
        return MeasureAnswer(tuple(records), found, words)

    def _similar(self, handle: ThreadSearcher, records: tuple[StoredRecord, ...],
                 limit: int) -> tuple[tuple[str, ...], tuple[SimilarMeasure, ...]]:
        """The measure's characteristic words, and the ``limit`` measures (but itself) that best match them."""
        gen = handle.generation
        cols, reader = gen.columns, handle.reader

        def doc_frequency(key: str) -> int:
            return max(reader.doc_frequency(key_field(f), key) for f in SEARCH_FIELDS)

        words = tuple(characteristic_words(records, doc_frequency, cols.count))
        query = words_query(words)
        if query is None:
            return words, ()
        m = self._matcher(handle, SEARCH_FIELDS, None).evaluate(query)
        own = cols.code_of("measure_id", records[0].measure_id)
        out = []
        for _, docnum, score in best_per_measure(cols.codes["measure_id"], m.hit, m.score, own, limit):
            r = self._record(handle, docnum)
            out.append(SimilarMeasure(r.measure_id, r.dataset, r.municipality, r.title, round(score, 4)))
        return words, tuple(out)

    def stats(self) -> Stats:
        """Counts of records by year, policy and department, each by achievement category (cached)."""
        live = self.live.current()
        if live.stats_cache is None:
            live.stats_cache = counts(live.columns, live.info.records)
        return live.stats_cache
