"""Relevance on the judged sets, computed as ``../shared/eval/evaluate.py`` does (nDCG@10 over the distinct
measures of the first 50 results), in-process: the bundled dev set's kinds, the held-out set judged from the
bundled table, and the five cities' set (everyday words, sentences, cross-city topics, word-internal traps)."""

from __future__ import annotations

import json
import math
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from search_app.models import SearchRequest
from search_app.service import ensure_index, make_engine
from search_app.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
CITIES = ROOT / "tests" / "data" / "cities"


def _norm(title: str) -> str:
    return re.sub(r"^\d+\s*", "", unicodedata.normalize("NFKC", title or "").strip())


def _ranked(engine, spec: dict, by_dataset: bool) -> list[str]:
    filters = dict(spec.get("filters", {}))
    years = (int(filters.pop("year")),) if "year" in filters else ()
    fields = (filters.pop("field"),) if "field" in filters else ()
    page = engine.search(SearchRequest(q=spec["q"], years=years, fields=fields, per_page=50,
                                       filters={k: (str(v),) for k, v in filters.items()}))
    seen: list[str] = []
    for hit in page.results:
        key = f"{hit.dataset}|{_norm(hit.title)}" if by_dataset else _norm(hit.title)
        if key not in seen:
            seen.append(key)
    return seen


def _ndcg(ranked: list[str], rel: dict[str, int]) -> float:
    dcg = sum(rel.get(t, 0) / math.log2(i + 2) for i, t in enumerate(ranked[:10]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(rel.values(), reverse=True)[:10]))
    return dcg / ideal if ideal else 0.0


def _score(engine, queries: Path) -> tuple[float, dict[str, float], list[str]]:
    """Mean nDCG@10 of the judged queries, per query, and the no-answer queries that returned something."""
    per_query, wrong_answers = {}, []
    for line in queries.read_text(encoding="utf-8").splitlines():
        spec = json.loads(line)
        by_dataset = any("|" in t for t in spec["rel"])
        rel = {(t.split("|", 1)[0] + "|" + _norm(t.split("|", 1)[1])) if "|" in t else _norm(t): g
               for t, g in spec["rel"].items()}
        ranked = _ranked(engine, spec, by_dataset)
        if rel:
            per_query[spec["q"] + json.dumps(spec.get("filters", {}), ensure_ascii=False)] = _ndcg(ranked, rel)
        elif ranked:
            wrong_answers.append(spec["q"])
    return sum(per_query.values()) / len(per_query), per_query, wrong_answers


@pytest.fixture(scope="module")
def cities_engine(tmp_path_factory):
    data = tmp_path_factory.mktemp("cities")
    for path in CITIES.iterdir():
        if path.suffix in (".tsv", ".csv", ".toml"):
            shutil.copy(path, data)
    index = tmp_path_factory.mktemp("cities-index")
    ensure_index(data, index)  # no dictionaries of its own: the shipped ones
    return make_engine(load_settings({"DATA_DIR": str(data), "INDEX_DIR": str(index), "RESULT_CACHE": 0},
                                     environ={}))


def test_the_five_cities_set(cities_engine):
    mean, per_query, wrong = _score(cities_engine, CITIES / "queries.jsonl")
    assert mean >= 0.90, sorted(per_query.items(), key=lambda kv: kv[1])[:8]
    assert wrong == []  # 京都: nothing, not 東京都


@pytest.fixture(scope="module")
def bundled_engine(data_dir, index_dir):
    return make_engine(load_settings({"DATA_DIR": str(data_dir), "INDEX_DIR": str(index_dir), "RESULT_CACHE": 0},
                                     environ={}))


def test_the_held_out_set_of_the_bundled_table(bundled_engine):
    mean, _, wrong = _score(bundled_engine, ROOT / "tests" / "data" / "heldout_queries.jsonl")
    assert mean >= 0.95 and wrong == []


#: (query, what it must not find in the cities' tables: a word that only holds its characters inside another)
TRAPS = [("京都", "東京都"), ("ネット", "ネットワーク"), ("ケア", "ケアマネ"), ("ライン", "オンライン"), ("DV", "DVD")]


@pytest.mark.parametrize(("q", "inside"), TRAPS)
def test_no_word_internal_false_hit(cities_engine, q, inside):
    page = cities_engine.search(SearchRequest(q=q, per_page=100, group="measure"))
    for hit in page.results:
        marked = [hit_text[s:e] for hit_text, spans in
                  ((snip.text, snip.spans) for snip in hit.highlights.values()) for s, e in spans]
        assert all(inside not in m or q in m.replace(inside, "") for m in marked), (hit.title, marked)
