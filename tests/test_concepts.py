"""The concept dictionary and how queries are read with it: plain words and short sentences find the
administration's terms, exact words rank first, and a query the dictionary does not cover works as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_app.concepts import ConceptFile, parse_concepts
from search_app.models import SearchRequest
from search_app.reading import GENERIC, read_word

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "concepts.txt"


@pytest.fixture(scope="module")
def table():
    return parse_concepts(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_dictionary_is_large_and_well_formed(table, caplog):
    assert len(table.concepts) >= 300
    assert sum(len(c.terms) for c in table.concepts) >= 1000
    assert sum(len(c.phrasings) for c in table.concepts) >= 1000
    assert len({c.domain for c in table.concepts}) >= 12
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]  # every line parses
    heads = [c.head for c in table.concepts]
    assert len(heads) == len(set(heads))
    # no term or phrasing is a generic word alone (支援, 相談 …): precision first
    alone = [t for c in table.concepts for t in (*c.all_terms, *c.phrasings) if len(table_keys(t)) == 1]
    assert not [t for t in alone if table_keys(t)[0] in GENERIC]


def table_keys(text: str) -> list[str]:
    from indexer.analysis import keys

    return keys(text)


def test_a_malformed_line_is_skipped_with_its_number(caplog):
    text = "## 分野\n不登校: 不登校児童生徒 | 学校に行けない\n見出しだけ\n: 語 | 言い方\n"
    table = parse_concepts(text, "concepts.txt")
    assert [c.head for c in table.concepts] == ["不登校"]
    assert [r.getMessage() for r in caplog.records] == [
        "concepts.txt line 3: not 「見出し語: 行政用語, … | 言い方, …」; skipped",
        "concepts.txt line 4: not 「見出し語: 行政用語, … | 言い方, …」; skipped"]


#: (query, sentence?, concepts found (headwords), content words kept)
READINGS = [
    ("ひとり親の仕事探し", True, ["母子家庭等就業・自立支援"], []),
    ("学校に行けない子", True, ["不登校"], []),
    ("眠れない", True, ["睡眠障害"], []),
    ("学校へ行けない", True, ["不登校"], []),  # particles differ: the same keys
    ("一人暮らしのお年寄り", True, ["一人暮らし高齢者"], []),  # 年寄りの一人暮らし, in the other order
    ("家族の世話をしている子ども", True, ["ヤングケアラー"], []),  # している = する: helping verbs aside
    ("死にたい気持ちを誰かに聞いてほしい", True, ["希死念慮", "傾聴"], []),
    ("認知症の親の介護", True, ["認知症の人の家族支援", "認知症施策"], []),  # the long phrasing and a part of it
    ("孤独死が心配", True, ["孤立死防止"], []),  # not 希死念慮: 死 is part of the compound 孤独死
    ("不登校", False, ["不登校"], []),  # a term: itself and its concept
    ("借金", False, ["多重債務"], []),
    ("新型コロナウイルス", False, [], []),  # a compound the dictionary does not cover: as before
    ("該当なしの語ぽぽぽ", True, [], ["該当なし", "語", "ぽぽぽ"]),  # a sentence it does not cover: its words
]


@pytest.mark.parametrize(("q", "sentence", "heads", "words"), READINGS, ids=[r[0] for r in READINGS])
def test_how_a_query_is_read(table, q, sentence, heads, words):
    reading = read_word(q, table)
    assert reading.sentence is sentence
    assert [u.concept.head for u in reading.concepts] == heads
    assert list(reading.words) == words


def test_a_term_the_texts_never_use_finds_only_its_word_family(table):
    [use] = read_word("生活習慣病", table).concepts
    assert "糖尿病予防" in use.finds_where(in_index=True)
    family = use.finds_where(in_index=False)
    assert "生活習慣病予防" in family and "糖尿病予防" not in family


# -- searching with the dictionary: the bundled table --------------------------------------------------------------


def titles(page) -> list[str]:
    return [h.title for h in page.results]


@pytest.mark.parametrize(("q", "found"), [("生活に困っている", 7), ("子どもがいじめられている", 2),
                                         ("学校に行けない", 1), ("一人暮らしのお年寄り", 2)])
def test_a_plain_word_finds_the_measures_of_its_concept(engine, q, found):
    """In the bundled table, none of these is written as typed; each finds the measures of its concept."""
    page = engine.search(SearchRequest(q=q, group="measure"))
    assert page.total == found and page.readings[0].sentence
    assert engine.search(SearchRequest(q=q, concepts=False, group="measure")).total == 0
    assert engine.search(SearchRequest(q=q, synonyms=False)).readings == ()  # synonyms off: concepts off too


def test_exact_words_rank_first(engine):
    """A word that is a concept's term: its own records first, then those found through the concept."""
    page = engine.search(SearchRequest(q="いじめ", per_page=100))
    plain = engine.search(SearchRequest(q="いじめ", per_page=100, concepts=False))
    exact = {(h.measure_id, h.year) for h in plain.results}
    ranked = [(h.measure_id, h.year) for h in page.results]
    assert set(ranked[:len(exact)]) == exact  # every record with いじめ itself comes before any other


def test_a_query_the_dictionary_does_not_cover_works_as_before(engine):
    for q in ("もくせい教室", "該当なしの語ぽぽぽ", "生活習慣病"):
        with_concepts = engine.search(SearchRequest(q=q, per_page=100))
        without = engine.search(SearchRequest(q=q, per_page=100, concepts=False))
        assert [(h.measure_id, h.year) for h in with_concepts.results] == [
            (h.measure_id, h.year) for h in without.results], q


def test_the_dictionary_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "concepts.txt"
    path.write_text("## 分野\n多重債務: 多重債務相談 | 借金\n", encoding="utf-8")
    concepts = ConceptFile(path)
    assert [c.head for c in concepts.table().concepts] == ["多重債務"]
    path.write_text("## 分野\n多重債務: 多重債務相談 | 借金\n不登校: 長期欠席 | 学校に行けない\n", encoding="utf-8")
    import os

    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    assert [c.head for c in concepts.table().concepts] == ["多重債務", "不登校"]
    assert ConceptFile(None).table().concepts == ()
