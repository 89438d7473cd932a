"""Synonyms: the dictionary format, expansion in searches, switching it off, re-reading the file without a rebuild."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer import Dataset
from search_app.engine import Engine
from search_app.models import SearchPage, SearchRequest
from search_app.synonyms import SynonymFile, parse_synonyms

TABLE = """\
# a comment line
COVID, コロナ, 新型コロナウイルス   # two-way, with a trailing comment
pandemic, パンデミック => コロナ禍
いじめ、苛め、bullying
school counselor, スクールカウンセラー

=> 何か
空 =>
"""

#: (query word, what it also finds)
EXPANSIONS = [
    ("COVID", ("コロナ", "新型コロナウイルス")),
    ("ｃｏｖｉｄ", ("コロナ", "新型コロナウイルス")),  # width and case do not matter
    ("新型コロナウイルス", ("COVID", "コロナ")),
    ("pandemic", ("コロナ禍",)),
    ("パンデミック", ("コロナ禍",)),
    ("コロナ禍", ()),  # one way only
    ("苛め", ("いじめ", "bullying")),
    ("School  Counselor", ("スクールカウンセラー",)),
    ("何か", ()),
    ("空", ()),
    ("a comment line", ()),
]


@pytest.mark.parametrize(("word", "expected"), EXPANSIONS)
def test_parse_synonyms(word, expected):
    assert parse_synonyms(TABLE).expand(word) == expected


def test_parse_synonyms_groups():
    table = parse_synonyms(TABLE)
    assert [(g.line, g.two_way) for g in table.groups] == [(2, True), (3, False), (4, True), (5, True)]
    assert table.groups[1].sources == ("pandemic", "パンデミック")
    assert table.groups[1].targets == ("コロナ禍",)
    assert table.longest == 2  # school counselor


def test_bundled_dictionary_reads(data_dir):
    table = parse_synonyms((data_dir / "synonyms.txt").read_text(encoding="utf-8"))
    assert "新型コロナウイルス" in table.expand("COVID")
    assert "スクールカウンセラー" in table.expand("school counselor")
    assert "ハローワーク" in table.expand("hello work")


# -- expansion in searches ----------------------------------------------------------------------------------------


def measures(page: SearchPage) -> set[str]:
    return {h.measure_id for h in page.results}


def records(page: SearchPage) -> set[tuple[str, int]]:
    return {(h.measure_id, h.year) for h in page.results}


def having(dataset: Dataset, text: str) -> set[tuple[str, int]]:
    """Records of the bundled table whose status, evaluation or plan contains ``text``."""
    return {(r.measure.measure_id, r.entry.year) for r in dataset.records()
            if any(text in r.text(f) for f in ("status", "evaluation", "plan"))}


@pytest.mark.parametrize("q", ["COVID", "COVID-19", "covid19", "コロナ", "ｺﾛﾅ", "coronavirus"])
def test_covid_finds_new_coronavirus(search, bundled, q):
    expected = having(bundled, "新型コロナウイルス")
    assert len(expected) == 6
    assert expected <= records(search(q))


#: (English or other word, the measures it must find)
FINDS = [
    ("bullying", {"koganei/1-1-2", "koganei/1-1-4"}),
    ("school counselor", {"koganei/1-1-3"}),
    ("School Counsellor", {"koganei/1-1-3"}),
    ("hello work", {"koganei/4-1-1", "koganei/4-1-3"}),
    ("elder abuse", {"koganei/2-1-2"}),
]


@pytest.mark.parametrize(("q", "expected"), FINDS)
def test_synonyms_find(search, q, expected):
    assert measures(search(q)) == expected


def test_expansions_are_reported(search):
    page = search("COVID")
    assert "新型コロナウイルス" in page.expansions["COVID"]
    assert "新型コロナウイルス" in page.interpreted


@pytest.mark.parametrize("q", ["COVID", "bullying", "school counselor", "hello work"])
def test_synonyms_off(search, q):
    assert search(q, synonyms=False).total == 0


def test_one_word_switched_off(search):
    assert search("COVID", disabled_synonyms=("COVID",)).total == 0
    assert search("COVID", disabled_synonyms=("ｃｏｖｉｄ",)).total == 0
    assert measures(search("bullying", disabled_synonyms=("COVID",))) == {"koganei/1-1-2", "koganei/1-1-4"}


# -- the file is re-read when it changes -----------------------------------------------------------------------


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_synonym_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / "synonyms.txt"
    t = 1_700_000_000_000_000_000
    write(path, "ぽかぽか => もくせい教室\n", t)
    syn = SynonymFile(path)
    assert syn.table().expand("ぽかぽか") == ("もくせい教室",)
    write(path, "ぽかぽか => 住宅確保給付\n", t + 10**9)  # same size: the time tells
    assert syn.table().expand("ぽかぽか") == ("住宅確保給付",)
    path.unlink()
    assert syn.table().expand("ぽかぽか") == ()


def test_an_unreadable_change_keeps_the_previous_table(tmp_path):
    path = tmp_path / "synonyms.txt"
    t = 1_700_000_000_000_000_000
    write(path, "ぽかぽか => もくせい教室\n", t)
    syn = SynonymFile(path)
    assert syn.table().expand("ぽかぽか") == ("もくせい教室",)
    path.write_bytes("ぽかぽか => 住宅確保給付\n".encode("cp932"))  # not UTF-8
    os.utime(path, ns=(t + 10**9, t + 10**9))
    assert syn.table().expand("ぽかぽか") == ("もくせい教室",)


def test_engine_uses_the_new_synonyms_without_a_rebuild(tmp_path, index_dir):
    path = tmp_path / "synonyms.txt"
    t = 1_700_000_000_000_000_000
    write(path, "ぽかぽか => もくせい教室\n", t)
    engine = Engine(index_dir, synonyms=path)
    built = engine.info
    page = engine.search(SearchRequest(q="ぽかぽか"))
    assert measures(page) == {"koganei/1-2-2", "koganei/1-2-3"}
    write(path, "ぽかぽか => 住宅確保給付\n", t + 10**9)
    page = engine.search(SearchRequest(q="ぽかぽか"))
    assert measures(page) == {"koganei/3-1-1"}
    assert engine.info.generation == built.generation
    assert engine.info.built_at == built.built_at


def test_no_synonym_file(index_dir, tmp_path):
    assert SynonymFile(tmp_path / "missing.txt").table().expansions == {}
    engine = Engine(index_dir, synonyms=None)
    assert engine.search(SearchRequest(q="COVID")).total == 0
