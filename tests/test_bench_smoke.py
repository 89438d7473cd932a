"""The benchmark harness runs end to end on a tiny corpus (timings are never asserted here)."""

from __future__ import annotations

import json

import pytest

from bench import corpus, reader, run


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
    assert result["per_query"]["生活習慣病"]["total"] == 0
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


def test_percentile():
    assert run.percentile([1, 2, 3, 4], 50) == 2.5
    assert run.percentile([5], 99) == 5


def test_reader_benchmark_reads_the_messy_table_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CACHE_DIR", tmp_path)
    body = len(reader.BUNDLED.read_text(encoding="utf-8").split("\n")) - 3  # rows under the header
    result = reader.run(2 * body)  # the bundled table's body twice
    for fmt in ("tsv", "excel_csv"):
        assert result[fmt]["measures"] == 50 and result[fmt]["rows_per_s"] > 0
