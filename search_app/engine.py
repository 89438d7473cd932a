"""The search library: answer searches, exports, measures and stats over the live index generation
(``live.py`` keeps it open and follows it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from whoosh import query as wq

from indexer.generations import IndexInfo
from indexer.models import TEXT_FIELDS
from indexer.schema import FACET_FIELDS, SEARCH_FIELDS, meta_text

from .cache import ResultCache, request_key
from .compile import plan
from .highlight import extra_snippet, snippet
from .live import LiveIndex, Reader
from .matching import Matcher, allowed_records, ranked
from .models import Hit, SearchPage, SearchRequest
from .query import parse
from .stats import counts
from .synonyms import SynonymFile, SynonymTable, _key

PlanUrl = Callable[[str, int | None], str | None]


@dataclass
class _Run:
    reader: Reader
    plan: object
    order: np.ndarray  # matching document numbers, best first
    scores: np.ndarray
    fields: dict[str, np.ndarray]
    hit: np.ndarray
    meta: np.ndarray | None = None  # matched in the meta field (policy, item, department, section, extra cells)


class Engine:
    def __init__(self, index_root: Path, synonyms: Path | None = None, plan_url: PlanUrl | None = None,
                 snippet_chars: int = 120, result_cache: int = 256, timeout_ms: int = 0) -> None:
        self.index_root = Path(index_root)
        self.synonyms = SynonymFile(synonyms)
        self.plan_url = plan_url or (lambda dataset, page: None)
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
        """Close every reader this engine opened (also done when it is garbage-collected)."""
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
        p = run.plan
        return SearchPage(query=req.q, interpreted=p.interpreted(), total=int(run.hit.sum()), page=req.page,
                          per_page=req.per_page, took_ms=took, results=hits, facets=facets,
                          expansions=p.expansions, ignored=tuple(p.ignored))

    def export(self, req: SearchRequest, limit: int) -> list[dict]:
        """The whole ranked result set (up to ``limit`` records), every field in full."""
        run = self._execute(req, limit=limit)
        out = []
        for docnum, score in zip(run.order[:limit].tolist(), run.scores[run.order[:limit]].tolist(), strict=True):
            doc = dict(self._doc(run.reader, docnum))
            doc.pop("tok", None)
            doc["score"] = round(score, 4)
            doc["plan_url"] = self.plan_url(doc["dataset"], doc["plan_page"])
            out.append(doc)
        return out

    def _execute(self, req: SearchRequest, limit: int) -> _Run:
        reader = self.live.reader()
        snap = reader.snapshot
        table = self.synonyms.table() if req.synonyms else SynonymTable()
        if req.disabled_synonyms:
            drop = {_key(w) for w in req.disabled_synonyms}
            table = SynonymTable(table.groups, {k: v for k, v in table.expansions.items() if k not in drop},
                                 table.longest)
        p = plan(parse(req.q), table)
        fields = req.fields or SEARCH_FIELDS
        n = snap.columns.count
        allowed = allowed_records(snap.columns, req)
        if p.root is None or n == 0:
            empty = np.zeros(n, dtype=bool)
            return _Run(reader, p, np.zeros(0, dtype=np.int64), np.zeros(n), {}, empty)
        matcher = Matcher(n, lambda f, t: snap.terms.get(reader.searcher.reader(), f, t), snap.norms,
                          lambda d: self._texts(reader, d), fields, allowed,
                          lambda f, ks, cands: self._runs(reader, f, ks, cands),
                          time.monotonic() + self.timeout_ms / 1000 if self.timeout_ms > 0 else None)
        m = matcher.evaluate(p.root)
        if allowed is not None:
            m.hit &= allowed
        order = ranked(snap.columns, m, req.sort, limit)
        text_fields = {f: m.fields[f] & m.hit for f in TEXT_FIELDS if f in m.fields}
        meta = m.fields["meta"] & m.hit if "meta" in m.fields else None
        return _Run(reader, p, order, m.score, text_fields, m.hit, meta)

    def _runs(self, reader: Reader, field: str, keys: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
        """The candidates whose ``field`` has ``keys`` in a row (from the key-id arrays, cached)."""
        snap = reader.snapshot
        found = snap.terms.get_or_load(("run", field, keys), lambda: (snap.columns.runs(field, keys), np.zeros(0)))
        return np.intersect1d(found[0], candidates, assume_unique=True)

    def _doc(self, reader: Reader, docnum: int) -> dict:
        return reader.searcher.stored_fields(docnum)["doc"]

    def _texts(self, reader: Reader, docnum: int) -> dict:
        doc = self._doc(reader, docnum)
        return {**{f: doc[f] for f in TEXT_FIELDS}, "meta": meta_text(doc)}

    def _hit(self, run: _Run, docnum: int) -> Hit:
        doc = self._doc(run.reader, docnum)
        tok = doc.get("tok", {})
        highlights = {f: snippet(doc[f], run.plan.patterns, self.snippet_chars, tok.get(f))
                      for f in TEXT_FIELDS if f in run.fields and run.fields[f][docnum] and doc.get(f)}
        if doc.get("extra") and run.meta is not None and run.meta[docnum]:
            fragment = extra_snippet(meta_text(doc), doc["extra"], run.plan.patterns, self.snippet_chars,
                                     tok.get("meta"))
            if fragment:  # else the match is in the policy, item or section
                highlights["extra"] = fragment
        return Hit(
            measure_id=doc["measure_id"], dataset=doc["dataset"], title=doc["title"], policy=doc["policy"],
            item=doc["item"], plan_page=doc["plan_page"], plan_url=self.plan_url(doc["dataset"], doc["plan_page"]),
            department=doc["department"], section=doc["section"], year=doc["year"], year_label=doc["year_label"],
            achievement=doc["achievement"], achievement_category=doc["achievement_category"],
            changed=doc["changed"], trend=doc["trend"], score=round(float(run.scores[docnum]), 4),
            highlights=highlights, url=f"/measures/{doc['measure_id']}#y{doc['year']}",
        )

    def _facets(self, run: _Run) -> dict[str, dict[str, int]]:
        cols = run.reader.snapshot.columns
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

    # -- measures and stats ------------------------------------------------
    def measure(self, measure_id: str) -> dict | None:
        """A measure with every year's record in full, or None if unknown."""
        reader = self.live.reader()
        docnums = list(reader.searcher.docs_for_query(wq.Term("measure_id", measure_id)))
        docs = sorted((self._doc(reader, d) for d in docnums), key=lambda d: d["year"])
        if not docs:
            return None
        first = docs[0]
        keys = ("measure_id", "dataset", "title", "policy", "item", "plan_page", "plan_page_text", "department",
                "section", "repost")
        out = {k: first.get(k) for k in keys}
        out["plan_url"] = self.plan_url(first["dataset"], first["plan_page"])
        out["source"] = first["source"]
        out["extra"] = first.get("extra", [])
        year_keys = ("year", "year_label", "status", "evaluation", "achievement", "achievement_category", "plan",
                     "changed", "trend")
        out["years"] = [{k: d.get(k) for k in year_keys} for d in docs]
        return out

    def stats(self) -> dict:
        """Counts of records by year, policy and department, each by achievement category (cached)."""
        snap = self.live.current()
        if snap.stats_cache is None:
            snap.stats_cache = counts(snap.columns, snap.info.records)
        return snap.stats_cache
