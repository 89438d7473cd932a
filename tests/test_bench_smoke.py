"""The benchmark harness runs end to end on a tiny corpus (timings are never asserted here)."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from bench import corpus, http_load, http_repeat, peers, reader, run


@pytest.fixture()
def tiny_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CACHE_DIR", tmp_path)
    original = corpus.ensure_corpus
    monkeypatch.setattr(run, "ensure_corpus",
                        lambda n, layout="city": original(n, cache_dir=tmp_path, workers=1, layout=layout))
    return tmp_path


def test_harness_measures_a_tiny_corpus(tiny_cache, tmp_path):
    out = tmp_path / "results"
    assert run.main(["--records", "300", "--reps", "1", "--no-peer", "--out", str(out)]) == 0
    result = json.loads((out / "300.json").read_text(encoding="utf-8"))
    assert result["records"] == 300
    assert result["build"]["records"] == 300 and result["build"]["records_per_s"] > 0
    assert result["search"]["samples"] == len(result["per_query"])
    assert result["per_query"]["相談"]["total"] > 0
    assert result["per_query"]["火星探査"]["total"] == 0
    assert result["cold_start"]["total_s"] > 0


def test_the_per_year_layout_is_one_dataset_per_municipality(tiny_cache):
    """The corpus as a table per municipality and year reads back as the same records, a dataset per town."""
    from indexer import read_paths

    by_city = read_paths([corpus.ensure_corpus(600, cache_dir=tiny_cache, workers=1)])
    by_year = read_paths([corpus.ensure_corpus(600, cache_dir=tiny_cache, workers=1, layout="year")])
    assert len(by_year) == len(by_city) and sum(len(ds.tables) for ds in by_year) > len(by_year)
    assert sum(len(ds.records()) for ds in by_year) == 600
    def years(ds) -> dict:
        return {m.measure_id.split("/")[1]: [(e.year, e.status, e.achievement) for e in m.years] for m in ds.measures}

    for a, b in zip(by_city, by_year, strict=True):
        assert years(a) == years(b)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_http_load_runs_again_and_again_against_two_workers(tiny_cache, monkeypatch):
    monkeypatch.setattr(http_load, "CACHE_DIR", tiny_cache)
    data = corpus.ensure_corpus(300, cache_dir=tiny_cache, workers=1)
    result = http_repeat.repeat(data, clients=4, runs=2, seconds=1, workers=2, warm=1)
    assert [r["requests"] > 0 for r in result["runs"]] == [True, True]
    assert result["errors"] == 0
    assert result["p99_ms_best"] <= result["p99_ms_median"] <= result["p99_ms_worst"]


def test_percentile():
    assert run.percentile([1, 2, 3, 4], 50) == 2.5
    assert run.percentile([5], 99) == 5


def test_reader_benchmark_reads_the_messy_table_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CACHE_DIR", tmp_path)
    body = len(reader.BUNDLED.read_text(encoding="utf-8").split("\n")) - 3  # rows under the header
    result = reader.run(2 * body)  # the bundled table's body twice
    for fmt in ("tsv", "excel_csv"):
        assert result[fmt]["measures"] == 50 and result[fmt]["rows_per_s"] > 0


def _available_peers() -> list[str]:
    """plansearch and SQLite always; tantivy and Groonga where installed (``.ci/run`` installs both)."""
    out = ["plansearch", "sqlite"]
    if importlib.util.find_spec("tantivy") is not None:
        out.append("tantivy")
    if shutil.which("groonga") is not None:
        out.append("groonga")
    return out


def test_the_peers_answer_the_same_mix_side_by_side(tmp_path):
    names = _available_peers()
    out = tmp_path / "results"
    assert peers.main(["--records", "300", "--repeat", "1", "--in-process", "--tantivy-workers", "1", "--peers",
                       *names, "--out", str(out), "--cache-dir", str(tmp_path)]) == 0
    result = json.loads((out / "peers-300.json").read_text(encoding="utf-8"))
    assert list(result["peers"]) == names
    for name in names:
        figures = result["peers"][name]
        assert figures["build"]["records"] == 300 and figures["summary"]["search_p50_ms"] > 0
        assert set(figures["ratio_to_best"]) == set(peers.METRICS)  # every figure with its ratio to the best peer
    by_query = {q["query"]: q for q in result["per_query"]}
    assert len(by_query) == len(result["per_query"]) >= 50
    for name in names:  # a rare word is found alike by every engine
        assert by_query["もくせい教室"][name]["total"] == by_query["もくせい教室"]["sqlite"]["total"] > 0


def test_hard_queries_count_what_they_should(tmp_path):
    """On the synthetic corpus: 京都 is counted only where it is a word (never inside 東京都), and ヤングケアラー
    finds every record that holds it, however the dictionary cut its context."""
    from indexer import read_paths
    from indexer.normalize import fold
    from indexer.schema import SEARCH_FIELDS, meta_text
    from indexer.store import build_index
    from search_app.engine import Engine
    from search_app.models import SearchRequest

    folder = corpus.ensure_corpus(3000, cache_dir=tmp_path, workers=1)
    datasets = read_paths([folder])
    build_index(datasets, tmp_path / "index")
    engine = Engine(tmp_path / "index", synonyms=None, result_cache=0)

    def texts(ds, measure, entry) -> str:
        return fold(" ".join([measure.title, meta_text(measure), entry.status, entry.evaluation, entry.achievement,
                              entry.plan]))

    holding = {word: 0 for word in ("京都", "東京都", "ヤングケアラー")}
    for ds in datasets:
        for measure in ds.measures:
            for entry in measure.years:
                text = texts(ds, measure, entry)
                for word in holding:
                    holding[word] += word in text
    assert "title" in SEARCH_FIELDS
    assert holding["ヤングケアラー"] > 0 and holding["東京都"] > 0
    found = engine.search(SearchRequest(q="ヤングケアラー", synonyms=False)).total
    assert found == holding["ヤングケアラー"]
    kyoto = engine.search(SearchRequest(q="京都", synonyms=False)).total
    as_word = sum(1 for ds in datasets for m in ds.measures for e in m.years
                  if "京都" in texts(ds, m, e).replace("東京都", ""))
    assert kyoto == as_word
