"""The search library: answer searches, exports, measures and stats over the live index generation
(``live.py`` keeps it open and follows it). Results are typed (``models.py``): no HTML, no URLs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from indexer.generations import IndexInfo
from indexer.models import TEXT_FIELDS, PlansearchError, StoredRecord
from indexer.schema import FACET_FIELDS, KEY_FIELD, SEARCH_FIELDS, meta_text

from .cache import ResultCache, request_key
from .compiled import CompiledQuery, compile_query
from .concepts import ConceptFile
from .gate import Budget, Busy, Gate
from .highlight import Snippet, cut, extra_cut, key_spans
from .live import NO_INDEX, Health, IndexReadError, LiveIndex, NothingToServe, ThreadSearcher
from .matching import (
    EMPTY,
    Found,
    Matcher,
    allowed_records,
    by_measure,
    field_counts,
    measure_facet_counts,
    ranked,
)
from .models import Hit, MeasureAnswer, SearchPage, SearchRequest, SimilarMeasure, Stats
from .query import QueryError, parse
from .similar import best_per_measure, characteristic_words, words_query
from .stats import counts
from .synonyms import SynonymFile, SynonymTable, _key

log = logging.getLogger(__name__)

#: What ``Engine.warm`` searches: a word that reads through the synonyms and the concepts, and a sentence.
WARM_QUERY = "相談 いじめ 眠れない"


@dataclass
class _Run:
    """One evaluated query: the thread's searcher, the compiled query, its matcher, what matched and its order."""

    handle: ThreadSearcher
    query: CompiledQuery
    matcher: Matcher
    found: Found
    order: np.ndarray  # indexes into ``found``, best first (the first ``limit`` at least)


class Engine:
    """Searches, exports, measures and stats over the live generation.

    ``on_damage(generation, problems)`` is called when a generation is found damaged (the service rebuilds);
    a request that fails reading the index raises ``IndexReadError`` (503) and has the generation checked.
    """

    def __init__(self, index_root: Path, synonyms: Path | None = None, concepts: Path | None = None,
                 snippet_chars: int = 120,
                 result_cache: int = 256, timeout_ms: int = 0, cache_mb: int = 256,
                 on_damage: Callable[[Path, list[str]], None] | None = None, gate: Gate | None = None) -> None:
        self.index_root = Path(index_root)
        self.synonyms = SynonymFile(synonyms)
        self.concepts = ConceptFile(concepts)
        self.snippet_chars = snippet_chars
        self._pages = ResultCache(result_cache)
        self.timeout_ms = timeout_ms
        self.gate = gate if gate is not None else Gate()
        self.live = LiveIndex(self.index_root, cache_mb, on_damage)
        try:  # open now: a missing or outdated index fails at start, not on a request
            self.live.current()
        except NothingToServe as exc:
            if exc.status == NO_INDEX:
                raise
            log.error("%s", exc)  # damaged: served (503) until the rebuild it started is done

    @property
    def info(self) -> IndexInfo:
        return self.live.info

    def facet_values(self) -> dict[str, list[str]]:
        """Every value of each facet in the live index (API names; years ascending, the rest in index order),
        for offering values that the current results lack."""
        cols = self.live.current().columns
        out = {api: [v for v in cols.values[name] if v] for name, api in FACET_FIELDS.items()}
        out["year"] = sorted(out["year"])
        out["field"] = list(TEXT_FIELDS)
        return out

    def health(self) -> Health:
        """What ``/healthz`` reports."""
        return self.live.health()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Around a request's reads of the index: a failure that is not the query's becomes ``IndexReadError``
        and has the generation checked."""
        try:
            yield
        except (QueryError, PlansearchError, Busy):  # the request's own limits, or the index's state
            raise
        except Exception as exc:
            opened = self.live.in_use()
            if opened is None:
                raise
            self.live.suspect(opened, exc)
            raise IndexReadError(f"the index could not be read ({type(exc).__name__}); it is being checked") \
                from exc

    def refresh(self) -> None:
        """Look for a new generation on the next request (after a build in this process)."""
        self.live.refresh()

    def close(self) -> None:
        """Close every searcher this engine opened (also done when it is garbage-collected)."""
        self.live.close()

    # -- search ----------------------------------------------------------
    def budget(self, client: str = "") -> Budget:
        """A request's allowance: the time limit, and a place among the slow searches once it is one (``with``
        it; pass it to ``search`` or ``export`` and check it while writing what they return)."""
        deadline = time.monotonic() + self.timeout_ms / 1000 if self.timeout_ms > 0 else None
        return Budget(self.gate.ticket(client), deadline)

    def warm(self) -> None:
        """Do once, now, what a process's first search would: read the dictionaries and the live generation's
        written forms, and search (a server process calls it before it takes requests, so that its first answers
        are as fast as the rest). Nothing to serve yet is no error here: the first request will say so."""
        try:
            with self._reading(), self.budget() as allowance:
                self.live.current().warm()
                self._search(SearchRequest(q=WARM_QUERY), time.perf_counter(), allowance)
        except (PlansearchError, QueryError, Busy) as exc:
            log.info("not warmed up: %s", exc)

    def search(self, req: SearchRequest, budget: Budget | None = None) -> SearchPage:
        started = time.perf_counter()
        stamps = (self.synonyms.stamp(), self.concepts.stamp())
        key = (self.live.current().info.generation, *stamps, request_key(req))
        cached = self._pages.get(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        with self._reading(), (budget or self.budget()) as allowance:
            page = self._search(req, started, allowance, stamps)
        self._pages.put(key, page)
        return page

    def _search(self, req: SearchRequest, started: float, budget: Budget, stamps: tuple | None = None) -> SearchPage:
        grouped = req.group == "measure"
        run = self._execute(req, limit=0 if grouped else req.page * req.per_page, budget=budget, stamps=stamps)
        start = (req.page - 1) * req.per_page
        years: tuple[tuple[int, ...], ...] = ()
        if grouped:
            groups = by_measure(run.handle.generation.columns, run.found, req.sort)
            shown_groups = groups.ranking[start:start + req.per_page]
            shown = np.asarray([groups.best(int(g)) for g in shown_groups], dtype=np.int64)
            year_of = run.handle.generation.columns.year
            years = tuple(tuple(int(y) for y in year_of[run.found.docs[groups.members(int(g))]])
                          for g in shown_groups)
            total = len(groups)
        else:
            shown = run.order[start:start + req.per_page]
            total = len(run.found)
        docs = run.found.docs[shown].tolist()
        where = run.matcher.occurrences(docs, run.query.runs)
        hits = tuple(self._hit(run, doc, score, w)
                     for doc, score, w in zip(docs, run.found.score[shown].tolist(), where, strict=True))
        facets = self._facets(run, grouped)
        took = round((time.perf_counter() - started) * 1000, 2)
        q = run.query
        return SearchPage(query=req.q, interpreted=q.interpreted(), total=total, page=req.page,
                          per_page=req.per_page, took_ms=took, results=hits, facets=facets,
                          expansions=q.expansions, ignored=tuple(q.ignored), readings=tuple(q.readings),
                          municipality_years=self._municipality_years(run) if len(facets["municipality"]) > 1 else {},
                          group=req.group, total_records=len(run.found), matching_years=years)

    def export(self, req: SearchRequest, limit: int, budget: Budget | None = None) -> tuple[Hit, ...]:
        """The whole ranked result set (up to ``limit`` records), every field in full, without snippets."""
        with self._reading():
            if budget is not None:
                return self._export(req, limit, budget)
            with self.budget() as allowance:
                return self._export(req, limit, allowance)

    def _export(self, req: SearchRequest, limit: int, budget: Budget) -> tuple[Hit, ...]:
        grouped = req.group == "measure"
        run = self._execute(req, limit=0 if grouped else limit, budget=budget)
        found, docs = run.found, run.handle.generation.docs
        order = run.order[:limit]
        if grouped:  # a measure's best record, in the order of the measures
            groups = by_measure(run.handle.generation.columns, found, req.sort)
            order = np.asarray([groups.best(int(g)) for g in groups.ranking[:limit]], dtype=np.int64)
        out = []
        for n, i in enumerate(order):
            if n % 256 == 0:
                budget.check()
            out.append(Hit.of(docs.get(int(found.docs[i]))[0], round(float(found.score[i]), 4)))
        return tuple(out)

    def export_years(self, req: SearchRequest, hits: tuple[Hit, ...]) -> list[tuple[int, ...]]:
        """For an export grouped by measure: each hit's measure's matching years (the records ``req`` finds)."""
        measures = {h.measure_id for h in hits}
        years: dict[str, list[int]] = {m: [] for m in measures}
        with self._reading():
            run = self._execute(replace(req, group="record"), limit=0)
            cols = run.handle.generation.columns
            ids, year_of = cols.codes["measure_id"][run.found.docs], cols.year[run.found.docs]
            for code, year in zip(ids.tolist(), year_of.tolist(), strict=True):
                mid = cols.values["measure_id"][code]
                if mid in years:
                    years[mid].append(int(year))
        return [tuple(sorted(years[h.measure_id])) for h in hits]

    def _execute(self, req: SearchRequest, limit: int, budget: Budget | None = None,
                 stamps: tuple | None = None) -> _Run:
        """``stamps``: the dictionaries' files' stamps, if the caller has just taken them."""
        if stamps is None:
            stamps = (self.synonyms.stamp(), self.concepts.stamp())
        handle = self.live.searcher()
        gen = handle.generation
        table = self.synonyms.table(stamps[0]) if req.synonyms else SynonymTable()
        if req.disabled_synonyms:
            drop = {_key(w) for w in req.disabled_synonyms}
            table = SynonymTable(table.groups, {k: v for k, v in table.expansions.items() if k not in drop},
                                 table.longest)
        allowed = allowed_records(gen.columns, req)
        matcher = self._matcher(handle, req.fields or SEARCH_FIELDS, allowed, budget)
        if not req.q.strip():  # browsing: every record the filters let through
            compiled = CompiledQuery(root=None, node=None)
            docs = np.flatnonzero(allowed) if allowed is not None else np.arange(gen.columns.count)
            found = Found(docs.astype(np.int32), np.zeros(len(docs), np.float32), np.zeros(len(docs), np.uint8))
        else:
            compiled = compile_query(parse(req.q), table, gen.alternative,
                                     self.concepts.table(stamps[1]) if req.concepts and req.synonyms else None,
                                     gen.in_index)
            found = matcher.evaluate(compiled.root) if compiled.root is not None else EMPTY
        order = ranked(gen.columns, found, req.sort, limit) if limit else np.zeros(0, dtype=np.int64)
        return _Run(handle, compiled, matcher, found, order)

    def _matcher(self, handle: ThreadSearcher, fields: tuple[str, ...], allowed: np.ndarray | None,
                 budget: Budget | None = None) -> Matcher:
        gen = handle.generation
        return Matcher(gen.columns, lambda key: gen.postings.read(handle.reader, key), gen.terms,
                       gen.info.generation, fields, allowed, budget.check if budget is not None else None)

    def _hit(self, run: _Run, doc: int, score: float, where: dict[str, list[tuple[int, int]]]) -> Hit:
        """Record ``doc``, matched with ``score``, with its snippets: ``where`` its words occur (field → runs of
        keys)."""
        record, offsets = run.handle.generation.docs.get(doc)
        length = self.snippet_chars
        highlights: dict[str, Snippet] = {}
        for f in TEXT_FIELDS:
            runs = where.get(f)
            if not runs:  # no word of the query in this field
                continue
            text = getattr(record, f)
            spans = key_spans(offsets.get(f, b""), runs)
            if text and spans:
                highlights[f] = cut(text, spans, length)
        if record.extra and where.get("meta"):
            found = extra_cut(meta_text(record), record.extra, key_spans(offsets.get("meta", b""), where["meta"]),
                              length)
            if found:  # else the match is in the policy, item or section
                highlights["extra"] = found
        return Hit.of(record, round(score, 4), highlights)

    def _facets(self, run: _Run, by_measure: bool = False) -> dict[str, dict[str, int]]:
        cols = run.handle.generation.columns
        out: dict[str, dict[str, int]] = {}
        counts = measure_facet_counts(cols, run.found.docs) if by_measure else cols.facet_counts(run.found.docs)
        for (name, api), per_value in zip(FACET_FIELDS.items(), counts, strict=True):
            values = cols.values[name]
            present = np.flatnonzero(per_value)
            pairs = [(values[i], n) for i, n in zip(present.tolist(), per_value[present].tolist(), strict=True)
                     if values[i]]
            pairs.sort(key=(lambda kv: kv[0]) if api == "year" else (lambda kv: (-kv[1], kv[0])))
            out[api] = dict(pairs)
        out["field"] = {f: n for f, n in field_counts(run.found, TEXT_FIELDS).items() if n}
        return out

    def _municipality_years(self, run: _Run) -> dict[str, dict[str, int]]:
        """Matching records by municipality and fiscal year."""
        cols = run.handle.generation.columns
        town_names, year_labels = cols.values["municipality"], cols.values["year"]
        width = len(year_labels)
        counts = np.bincount(cols.cells[run.found.docs], minlength=len(town_names) * width)
        cells = np.flatnonzero(counts)
        out: dict[str, dict[str, int]] = {}
        for town, year, n in zip((cells // width).tolist(), (cells % width).tolist(), counts[cells].tolist(),
                                 strict=True):
            out.setdefault(town_names[town], {})[year_labels[year]] = n
        return {town: dict(sorted(by_year.items())) for town, by_year in sorted(out.items())}

    # -- measures and stats ------------------------------------------------
    def measure(self, measure_id: str, similar: int = 10) -> MeasureAnswer | None:
        """A measure with every year's record in full, and up to ``similar`` similar measures; None if unknown."""
        with self._reading(), self.budget() as budget:
            return self._measure(measure_id, similar, budget)

    def _measure(self, measure_id: str, similar: int, budget: Budget) -> MeasureAnswer | None:
        handle = self.live.searcher()
        gen = handle.generation
        records = sorted((gen.docs.get(int(d))[0] for d in gen.measure_docs(measure_id)),
                         key=lambda r: r.year)
        if not records:
            return None
        words, found = self._similar(handle, tuple(records), similar, budget) if similar else ((), ())
        return MeasureAnswer(tuple(records), found, words)

    def _similar(self, handle: ThreadSearcher, records: tuple[StoredRecord, ...], limit: int,
                 budget: Budget) -> tuple[tuple[str, ...], tuple[SimilarMeasure, ...]]:
        """The measure's characteristic words, and the ``limit`` measures (but itself) that best match them."""
        gen = handle.generation
        cols, reader = gen.columns, handle.reader
        words = tuple(characteristic_words(records, lambda key: reader.doc_frequency(KEY_FIELD, key), cols.count))
        query = words_query(words)
        if query is None:
            return words, ()
        found = self._matcher(handle, SEARCH_FIELDS, None, budget).evaluate(query)
        own = cols.code_of("measure_id", records[0].measure_id)
        out = []
        for docnum, score in best_per_measure(cols.codes["measure_id"], found, own, limit):
            r = gen.docs.get(docnum)[0]
            out.append(SimilarMeasure(r.measure_id, r.dataset, r.municipality, r.title, round(score, 4)))
        return words, tuple(out)

    def stats(self) -> Stats:
        """Counts of records by year, policy and department, each by achievement category (cached)."""
        live = self.live.current()
        if live.stats_cache is None:
            with self._reading():
                live.stats_cache = counts(live.columns, live.info.records)
        return live.stats_cache
