"""The benchmark harness runs end to end on a tiny corpus (timings are never asserted here)."""

from __future__ import annotations

import json

import pytest

from bench import corpus, reader, run


@pytest.fixture()
def tiny_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CACHE_DIR", tmp_path)
    original = corpus.ensure_corpus
    monkeypatch.setattr(run, "ensure_corpus", lambda n: original(n, cache_dir=tmp_path, workers=1))
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


def test_percentile():
    assert run.percentile([1, 2, 3, 4], 50) == 2.5
    assert run.percentile([5], 99) == 5


def test_reader_benchmark_reads_the_messy_table_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CACHE_DIR", tmp_path)
    body = len(reader.BUNDLED.read_text(encoding="utf-8").split("\n")) - 3  # rows under the header
    result = reader.run(2 * body)  # the bundled table's body twice
    for fmt in ("tsv", "excel_csv"):
        assert result[fmt]["measures"] == 50 and result[fmt]["rows_per_s"] > 0
