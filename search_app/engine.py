"""The search library: open the live index once per process, answer searches, measures and stats.

Whoosh searchers are not thread-safe, so each thread keeps its own, reopened
when the live generation changes; a search that started on the old
generation finishes on it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq
from whoosh import scoring

from indexer.models import TEXT_FIELDS
from indexer.schema import FACET_FIELDS, SEARCH_FIELDS
from indexer.store import IndexInfo, current_generation, open_index

from .compile import Compiler
from .highlight import snippet
from .models import Hit, SearchPage, SearchRequest
from .query import parse
from .synonyms import SynonymFile, SynonymTable

PlanUrl = Callable[[str, int | None], str | None]
#: How often (seconds) a thread checks whether a new index generation is live.
REFRESH_SECONDS = 1.0


@dataclass
class _Local:
    generation: str
    searcher: object
    info: IndexInfo


@dataclass
class _Run:
    searcher: object
    node: object
    compiled: object
    ordered: list[tuple[int, float]]
    matched: set[int]
    field_docs: dict[str, set[int]]


class Engine:
    def __init__(self, index_root: Path, synonyms: Path | None = None, plan_url: PlanUrl | None = None,
                 snippet_chars: int = 120) -> None:
        self.index_root = Path(index_root)
        self.synonyms = SynonymFile(synonyms)
        self.plan_url = plan_url or (lambda dataset, page: None)
        self.snippet_chars = snippet_chars
        self._local = threading.local()
        self._checked = 0.0
        self._live: str | None = None
        self._cache_lock = threading.Lock()
        self._stats_cache: dict[str, dict] = {}
        self.info  # noqa: B018 - open now: a missing or outdated index fails at start, not on a request

    # -- index lifecycle -------------------------------------------------
    def _state(self) -> _Local:
        now = time.monotonic()
        if self._live is None or now - self._checked > REFRESH_SECONDS:
            gen = current_generation(self.index_root)
            self._live = gen.name if gen else None
            self._checked = now
        state: _Local | None = getattr(self._local, "state", None)
        if state is None or state.generation != self._live:
            ix, info = open_index(self.index_root)
            if state is not None:
                state.searcher.close()
            state = _Local(info.generation, ix.searcher(weighting=scoring.BM25F()), info)
            self._local.state = state
        return state

    @property
    def info(self) -> IndexInfo:
        return self._state().info

    def refresh(self) -> None:
        """Look for a new generation now (after a build in this process)."""
        self._live = None

    # -- search ----------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchPage:
        started = time.perf_counter()
        run = self._execute(req)
        start = (req.page - 1) * req.per_page
        hits = tuple(self._hit(run.searcher, d, s, run.compiled.patterns, run.field_docs)
                     for d, s in run.ordered[start:start + req.per_page])
        facets = _facets(run.searcher, run.matched, run.field_docs)
        took = round((time.perf_counter() - started) * 1000, 2)
        return SearchPage(query=req.q, interpreted=_interpreted(run.node, run.compiled), total=len(run.ordered),
                          page=req.page, per_page=req.per_page, took_ms=took, results=hits, facets=facets,
                          expansions=run.compiled.expansions, ignored=tuple(run.compiled.ignored))

    def export(self, req: SearchRequest, limit: int) -> list[dict]:
        """The whole ranked result set (up to ``limit`` records), every field in full."""
        run = self._execute(req)
        out = []
        for docnum, score in run.ordered[:limit]:
            doc = dict(run.searcher.stored_fields(docnum)["doc"])
            doc["score"] = round(score, 4)
            doc["plan_url"] = self.plan_url(doc["dataset"], doc["plan_page"])
            out.append(doc)
        return out

    def _execute(self, req: SearchRequest) -> _Run:
        state = self._state()
        searcher = state.searcher
        table = self.synonyms.table() if req.synonyms else SynonymTable()
        if req.disabled_synonyms:
            table = _without(table, req.disabled_synonyms)
        node = parse(req.q)
        compiled = Compiler(req.fields or SEARCH_FIELDS, table).compile(node)
        scored: list[tuple[int, float]] = []
        if compiled.full is not wq.NullQuery:
            results = searcher.search(compiled.full, filter=_filter(req), limit=None)
            scored = [(hit.docnum, hit.score) for hit in results]
        matched = {d for d, _ in scored}
        morph_docs = (set(searcher.docs_for_query(compiled.morph)) & matched
                      if compiled.morph is not wq.NullQuery else set())
        field_docs = {f: set(searcher.docs_for_query(q)) & matched
                      for f, q in self._field_queries(node, table, req).items()}
        ordered = self._order(searcher, scored, morph_docs, req.sort)
        return _Run(searcher, node, compiled, ordered, matched, field_docs)

    def _field_queries(self, node, table: SynonymTable, req: SearchRequest) -> dict[str, wq.Query]:
        fields = req.fields or TEXT_FIELDS
        out = {}
        for f in fields:
            q = Compiler((f,), table).compile(node).full
            if q is not wq.NullQuery:
                out[f] = q
        return out

    def _order(self, searcher, scored: list[tuple[int, float]], morph_docs: set[int], sort: str):
        if sort == "relevance":  # a morphological match always outranks a bigram-only one
            return sorted(scored, key=lambda ds: (ds[0] not in morph_docs, -ds[1], ds[0]))
        page_col = searcher.reader().column_reader("plan_page")
        year_col = searcher.reader().column_reader("year")
        if sort == "plan_page":
            return sorted(scored, key=lambda ds: (page_col[ds[0]] or 10**9, ds[0]))
        return sorted(scored, key=lambda ds: (-int(year_col[ds[0]] or 0), ds[0] not in morph_docs, -ds[1]))

    def _hit(self, searcher, docnum: int, score: float, patterns, field_docs) -> Hit:
        doc = searcher.stored_fields(docnum)["doc"]
        highlights = {f: snippet(doc[f], patterns, self.snippet_chars)
                      for f in TEXT_FIELDS if docnum in field_docs.get(f, ()) and doc.get(f)}
        return Hit(
            measure_id=doc["measure_id"], dataset=doc["dataset"], title=doc["title"], policy=doc["policy"],
            item=doc["item"], plan_page=doc["plan_page"], plan_url=self.plan_url(doc["dataset"], doc["plan_page"]),
            department=doc["department"], section=doc["section"], year=doc["year"], year_label=doc["year_label"],
            achievement=doc["achievement"], achievement_category=doc["achievement_category"],
            changed=doc["changed"], trend=doc["trend"], score=round(score, 4), highlights=highlights,
            url=f"/measures/{doc['measure_id']}#y{doc['year']}",
        )

    # -- measures and stats ------------------------------------------------
    def records_of(self, measure_id: str) -> list[dict]:
        """Every year's stored record of a measure, oldest first (empty if unknown)."""
        searcher = self._state().searcher
        docs = [searcher.stored_fields(d)["doc"] for d in searcher.docs_for_query(wq.Term("measure_id", measure_id))]
        return sorted(docs, key=lambda d: d["year"])

    def measure(self, measure_id: str) -> dict | None:
        """A measure with every year's record in full, or None if unknown."""
        docs = self.records_of(measure_id)
        if not docs:
            return None
        first = docs[0]
        keys = ("measure_id", "dataset", "title", "policy", "item", "plan_page", "plan_page_text", "department",
                "section", "repost")
        out = {k: first.get(k) for k in keys}
        out["plan_url"] = self.plan_url(first["dataset"], first["plan_page"])
        out["source"] = first["source"]
        year_keys = ("year", "year_label", "status", "evaluation", "achievement", "achievement_category", "plan",
                     "changed", "trend")
        out["years"] = [{k: d.get(k) for k in year_keys} for d in docs]
        return out

    def all_records(self) -> list[dict]:
        return [fields["doc"] for fields in self._state().searcher.reader().all_stored_fields()]

    def stats(self) -> dict:
        state = self._state()
        with self._cache_lock:
            cached = self._stats_cache.get(state.generation)
        if cached is not None:
            return cached
        by_year: dict[int, Counter] = {}
        by_policy: dict[str, Counter] = {}
        by_department: dict[str, Counter] = {}
        for doc in self.all_records():
            cat = doc["achievement_category"]
            by_year.setdefault(doc["year"], Counter())[cat] += 1
            by_policy.setdefault(doc["policy"], Counter())[cat] += 1
            by_department.setdefault(doc["department"], Counter())[cat] += 1
        departments = sorted(by_department.items(), key=lambda kv: -sum(kv[1].values()))
        result = {
            "records": state.info.records,
            "by_year": {str(y): dict(c) for y, c in sorted(by_year.items())},
            "by_policy": {p: sum(c.values()) for p, c in by_policy.items()},
            "by_department": {d: sum(c.values()) for d, c in departments},
            "by_policy_achievement": {p: dict(c) for p, c in by_policy.items()},
            "by_department_achievement": {d: dict(c) for d, c in departments},
        }
        with self._cache_lock:
            self._stats_cache = {state.generation: result}
        return result


def _without(table: SynonymTable, words: tuple[str, ...]) -> SynonymTable:
    from .synonyms import _key

    drop = {_key(w) for w in words}
    return SynonymTable(table.groups, {k: v for k, v in table.expansions.items() if k not in drop}, table.longest)


def _filter(req: SearchRequest) -> wq.Query | None:
    parts: list[wq.Query] = []
    if req.years:
        parts.append(wq.Or([wq.Term("year", str(y)) for y in req.years]))
    by_api = {api: name for name, api in FACET_FIELDS.items()}
    for api_name, values in req.filters.items():
        if values:
            parts.append(wq.Or([wq.Term(by_api[api_name], v) for v in values]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _facets(searcher, matched: set[int], field_docs: dict[str, set[int]]) -> dict[str, dict[str, int]]:
    reader = searcher.reader()
    out: dict[str, dict[str, int]] = {}
    for name, api in FACET_FIELDS.items():
        col = reader.column_reader(name)
        counts = Counter(col[d] for d in matched)
        counts.pop("", None)
        out[api] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if api != "year"
                        else sorted(counts.items()))
    out["field"] = {f: len(docs) for f, docs in field_docs.items() if docs}
    return out


def _interpreted(node, compiled) -> str:
    text = str(node)
    for word, alts in compiled.expansions.items():
        text = text.replace(word, "(" + " OR ".join([word, *alts]) + ")", 1)
    return text
