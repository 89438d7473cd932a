"""The documented limits hold: search time, repeated parameters, table size, cell size and row count."""

from __future__ import annotations

import itertools

import pytest

from indexer import TableError, read_table, sheets, sources
from search_app import gate
from search_app.models import SearchRequest


class _Clock:
    """time.monotonic that jumps an hour on every call: any deadline has passed."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def monotonic(self) -> float:
        return 1e12 + next(self._ticks) * 3600.0


def test_a_search_past_its_time_limit_is_refused(engine, monkeypatch):
    monkeypatch.setattr(engine, "timeout_ms", 1)
    monkeypatch.setattr(gate, "time", _Clock())
    with pytest.raises(gate.SearchTimeout):
        engine.search(SearchRequest(q="相談 支援 実施", synonyms=False))


def test_the_api_answers_a_search_past_its_time_limit_with_400(client, app, monkeypatch):
    monkeypatch.setattr(app.extensions["plansearch"], "timeout_ms", 1)
    monkeypatch.setattr(gate, "time", _Clock())
    resp = client.get("/api/search?q=相談&per_page=7")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "query_too_expensive"
    assert resp.get_json()["error"]["parameter"] == "q"


def test_a_parameter_repeated_too_often_is_refused(client):
    resp = client.get("/api/search?q=相談&" + "&".join("year=2021" for _ in range(51)))
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "year"


def test_a_cell_over_the_limit_names_its_line(bundled_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_CELL_CHARS", 150)
    with pytest.raises(TableError, match=r":16: .*the limit is 150"):  # line 16 holds the first longer cell
        read_table(bundled_path)


def test_a_file_over_the_limit_is_refused(bundled_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1000)
    with pytest.raises(TableError, match="the limit is 1,000"):
        read_table(bundled_path)


def test_a_table_with_too_many_rows_is_refused(bundled_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_ROWS", 10)
    with pytest.raises(TableError, match="more than 10 rows"):
        read_table(bundled_path)
