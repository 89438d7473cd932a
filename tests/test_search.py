"""Searching: compound words as phrases, ranking, year / field / facet filters, facet counts, achievement categories."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import indexer
from indexer.achievement import category, year_changes
from indexer.store import build_index
from search_app.engine import Engine
from search_app.models import SearchPage, SearchRequest

ROOT = Path(__file__).resolve().parent.parent


def records(page: SearchPage) -> set[tuple[str, int]]:
    return {(h.measure_id, h.year) for h in page.results}


def measures(page: SearchPage) -> set[str]:
    return {h.measure_id for h in page.results}


# -- a tiny table of our own -------------------------------------------------------------------------------------

#: (item, numbered title, 令和2年度実施状況, 今後の実施計画): measures written for one point each.
TINY = [
    ("(1) 学校における支援", "1 感染症の講座",
     "新型インフルエンザの講座を開いた。コロナ禍で参加者が減った。ウイルスの知識を広めた。", ""),  # scattered
    ("(1) 学校における支援", "2 健康教室", "新型コロナウイルス感染症予防のため中止。", ""),  # adjacent
    ("(1) 学校における支援", "3 検査の案内",
     "新型コロナ対策の冊子とコロナウイルス検査の案内を配布した。", ""),  # each pair adjacent, never all three
    ("(2) 見守り・支援体制の強化", "4 東京都との連携",
     "東京都と東京都教育委員会に東京都の事業を報告した。", ""),  # 京都 only inside 東京都: no match
    ("(2) 見守り・支援体制の強化", "5 研修への参加",
     "研修の日程を調整した。", "京都府の研修に参加する。"),  # the word 京都
]


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory: pytest.TempPathFactory, bundled_path: Path) -> Engine:
    """An index of TINY, laid out like the bundled table, searched without synonyms."""
    folder = tmp_path_factory.mktemp("tiny")
    header = next(line for line in bundled_path.read_text(encoding="utf-8").split("\n") if line.strip())
    lines = [header, "重点施策1 子ども・若者に関する自殺対策の推進" + "\t" * 13]
    for item, title, status, plan in TINY:
        lines.append("\t".join([item, title, "P.43", "学校教育部", "指導室", "", status, "", "実施", plan,
                                "", "", "", ""]))
    (folder / "tiny.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("tiny_index")
    build_index(indexer.read_paths([folder]), index)
    return Engine(index, synonyms=None)


def tiny(engine: Engine, q: str) -> list[str]:
    return [h.title for h in engine.search(SearchRequest(q=q)).results]


def test_compound_word_never_matches_scattered_words(tiny_engine):
    found = tiny(tiny_engine, "新型コロナウイルス")
    assert found[0] == "健康教室"
    assert "感染症の講座" not in found  # 新型インフルエンザ … コロナ禍 … ウイルス


@pytest.mark.parametrize("q", ["新型コロナウイルス", '"新型コロナウイルス"'])
def test_compound_word_matches_only_adjacent_words(tiny_engine, q):
    assert tiny(tiny_engine, q) == ["健康教室"]  # not 検査の案内 (新型コロナ対策 … コロナウイルス検査)


def test_each_word_alone_is_found_apart(tiny_engine):
    assert set(tiny(tiny_engine, "新型 コロナ ウイルス")) == {"感染症の講座", "健康教室", "検査の案内"}


def test_a_word_inside_another_word_is_no_match(tiny_engine):
    """京都 is a word in 京都府 but only two characters inside 東京都 (東京 + 都): only the word is found, though
    the other measure has 東京都 in its title, which weighs most, and three times in its status."""
    assert tiny(tiny_engine, "京都") == ["研修への参加"]
    assert set(tiny(tiny_engine, "東京都")) == {"東京都との連携"}


# -- compound words on the bundled table ------------------------------------------------------------------------

#: (query, fields searched, measures found) with synonyms off
PHRASES = [
    ("新型コロナウイルス", (), {"koganei/1-2-4", "koganei/2-1-3", "koganei/2-2-1", "koganei/2-2-2"}),
    ("いじめ防止", (), {"koganei/1-1-2", "koganei/1-1-4"}),
    # 1-1-4's status has いじめ and 防止, never together (いじめの未然防止)
    ("いじめ防止", ("status",), {"koganei/1-1-2"}),
    # 2-1-1 has 高齢者の総合相談窓口, not 福祉総合相談窓口
    ("福祉総合相談窓口", (), {"koganei/3-2-1", "koganei/3-2-2"}),
    ("総合相談窓口", (), {"koganei/2-1-1", "koganei/3-2-1", "koganei/3-2-2"}),
    ("もくせい教室", (), {"koganei/1-2-2", "koganei/1-2-3"}),
]


@pytest.mark.parametrize(("q", "fields", "expected"), PHRASES)
def test_compound_words_on_the_bundled_table(search, q, fields, expected):
    assert measures(search(q, fields=fields, synonyms=False)) == expected


#: Words whose keys occur pair by pair in a field but never all in a row.
SCATTERED = [
    # 4-1-2's status: 自立支援教育訓練給付金 and 修了支援給付金 (the title has 自立支援給付金, adjacent)
    ("自立支援給付", ("status",), set()),
    # 4-1-3's plan: 継続して実施していく; only 3-2-1's plan says 継続していく
    ("継続していく", ("plan",), {"koganei/3-2-1"}),
]


@pytest.mark.parametrize(("q", "fields", "expected"), SCATTERED)
def test_key_pairs_apart_are_no_match(search, q, fields, expected):
    page = search(q, fields=fields, synonyms=False)
    assert measures(page) == expected
    assert all("<mark>" in f for h in page.results for f in h.highlights.values())


def test_lemma_match_finds_other_spellings(search):
    page = search("子供", synonyms=False)
    assert {"koganei/1-2-1", "koganei/3-2-3", "koganei/4-1-3"} <= measures(page)
    assert records(page) == records(search("こども", synonyms=False))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_run_of_whole_words_finds_its_record(search, bundled, data):
    """One to four morphemes in a row cut from a record's text, one of them a word (not only particles), find that
    record, whatever the dictionary makes of them as a query (もくせい教, 談窓口 are not such runs; もくせい教室,
    相談窓口 are); synonyms off, in that field only. (Checked exhaustively for the bundled table: 20,391 runs.)"""
    from indexer.analysis import is_stop, morphemes
    from indexer.normalize import normalize

    record = data.draw(st.sampled_from(bundled.records()))
    field = data.draw(st.sampled_from(["title", "status", "evaluation", "plan"]))
    norm = normalize(record.text(field))
    found = list(morphemes(norm))
    assume(found)
    first = data.draw(st.integers(0, len(found) - 1))
    last = data.draw(st.integers(first, min(first + 3, len(found) - 1)))
    run = found[first:last + 1]
    piece = norm.text[run[0][3]:run[-1][4]]
    assume(not all(is_stop(surface, pos1) for surface, _, pos1, _, _ in run))
    assume(not set(piece) & set(' "()「」『』“”-−') and piece.upper() not in ("OR", "AND", "NOT"))
    page = search(piece, fields=(field,), synonyms=False)
    assert (record.measure.measure_id, record.entry.year) in records(page), piece


#: (query, a text that holds its characters only inside a longer word of another meaning, a word of it)
INSIDE = [
    ("京都", "東京都の補助を受けて実施した。", "東京都"),  # 東京|都
    ("ネット", "地域の見守りネットワークを広げた。", "ネットワーク"),  # one word
    ("大和", "東大和市と連携した。", "東大和市"),  # 東大和|市
]


def _one_row_engine(tmp_path: Path, bundled_path: Path, text: str) -> Engine:
    header = next(line for line in bundled_path.read_text(encoding="utf-8").split("\n") if line.strip())
    row = "\t".join(["(1) 項目", "1 見守り事業", "P.1", "福祉部", "福祉課", "", text, "", "実施", "", "", "", "", ""])
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "inside.tsv").write_text("\n".join([header, row]) + "\n", encoding="utf-8")
    build_index(indexer.read_paths([tmp_path / "data"]), tmp_path / "index")
    return Engine(tmp_path / "index", synonyms=None)


@pytest.mark.parametrize(("q", "text", "word"), INSIDE)
def test_characters_inside_a_longer_word_are_no_match(tmp_path, bundled_path, q, text, word):
    engine = _one_row_engine(tmp_path, bundled_path, text)
    assert engine.search(SearchRequest(q=q)).total == 0
    assert engine.search(SearchRequest(q=word)).total == 1  # the text is there


#: Texts whose morphemes spell a phrasing of the concept いじめ (からかわれる, からかわれてつらい) only by taking part
#: of its content word for a particle or an auxiliary: から|かわ|れる, with かわ (川) between them.
RIVER = ["かわの清掃活動から表彰される。", "かわの清掃活動から表彰されて、感謝状を受けた。"]


@pytest.mark.parametrize("text", RIVER)
def test_a_concepts_phrasing_passes_over_a_particle_only_where_it_has_one(tmp_path, bundled_path, text):
    """A phrasing of the concept dictionary is matched by the index's spellings of it that pass over a particle or
    an auxiliary only where the phrasing itself has one: never over its own content, which would leave a record
    about a river found, and marked, by a search for bullying."""
    _one_row_engine(tmp_path, bundled_path, text)
    engine = Engine(tmp_path / "index", synonyms=None, concepts=ROOT / "data" / "concepts.txt")
    assert engine.search(SearchRequest(q="かわ")).total == 1  # the text is there
    page = engine.search(SearchRequest(q="いじめ"))
    assert "からかわれる" in [t for r in page.readings for c in r.concepts for t in c.concept.phrasings]
    assert page.total == 0


def test_a_strict_spelling_keeps_the_phrasings_content():
    from search_app.compiled import alternative

    surfaces = {"から": ("",), "かわ": ("川",), "れる": ("",), "からかわ": ("からかう",)}
    assert ("川",) in alternative("からかわれる", surfaces).runs  # a word as typed: any run of the text's words
    assert alternative("からかわれる", surfaces, strict=True).runs == (("からかう",),)


#: (query, a text that holds it inside a form the dictionary did not know, how the text is cut, what is marked)
UNKNOWN = [
    ("ヤングケアラー", "指導室にヤングケアラーコーディネーターを置いた。", "ヤング|ケアラーコーディネーター(?)",
     "ヤングケアラーコーディネーター"),
    ("ヤングケアラー", "指導室 ヤングケアラーコーディネーターの配置", "ヤングケアラーコーディネーター(?)",
     "ヤングケアラーコーディネーター"),
    ("ケアラー", "ケアラーズカフェを開いた。", "ケアラーズカフェ(?)", "ケアラーズカフェ"),
    ("カフェ", "ケアラーズカフェを開いた。", "ケアラーズカフェ(?)", "ケアラーズカフェ"),
]


@pytest.mark.parametrize(("q", "text", "cut", "marked"), UNKNOWN)
def test_characters_inside_a_form_the_dictionary_did_not_know_match(tmp_path, bundled_path, q, text, cut, marked):
    """A katakana run the dictionary had no word for is grouped by character type, not by meaning: a query word
    matches inside it (at its start after whole words, at its end, or anywhere in it), and the form is marked."""
    from indexer.analysis import _nodes
    from indexer.normalize import normalize

    shown = "|".join(f"{s}{'(?)' if unknown else ''}" for s, *_, unknown in _nodes(normalize(text))
                     if s in cut.replace("(?)", "").split("|"))
    assert shown == cut  # the dictionary does cut the text so
    engine = _one_row_engine(tmp_path, bundled_path, text)
    page = engine.search(SearchRequest(q=q))
    assert page.total == 1
    snippet = page.results[0].highlights["status"]
    assert [snippet.text[s:e] for s, e in snippet.spans] == [marked]


# -- order and pages -------------------------------------------------------------------------------------------------


def test_sort_by_plan_page(search):
    relevance = search("コロナ")
    by_page = search("コロナ", sort="plan_page")
    assert records(by_page) == records(relevance)
    pages = [h.plan_page for h in by_page.results]
    assert pages == sorted(pages)


def test_sort_by_year(search):
    by_year = search("コロナ", sort="year")
    years = [h.year for h in by_year.results]
    assert years == sorted(years, reverse=True)
    assert records(by_year) == records(search("コロナ"))


def test_pages(engine, search):
    everything = [(h.measure_id, h.year) for h in search("相談").results]
    pages = [engine.search(SearchRequest(q="相談", per_page=5, page=n)) for n in range(1, 5)]
    assert [p.total for p in pages] == [len(everything)] * 4
    assert pages[0].pages == 4
    assert [(h.measure_id, h.year) for p in pages for h in p.results] == everything
    assert engine.search(SearchRequest(q="相談", per_page=5, page=99)).results == ()


# -- filters -------------------------------------------------------------------------------------------------------


def test_year_filter(search):
    assert records(search("相談件数")) == {
        ("koganei/1-2-2", 2020), ("koganei/1-2-2", 2021), ("koganei/4-1-3", 2020), ("koganei/4-1-3", 2021)}
    assert records(search("相談件数", years=(2021,))) == {("koganei/1-2-2", 2021), ("koganei/4-1-3", 2021)}


def test_field_filter(search, engine):
    everywhere = search("コロナ")
    in_evaluation = search("コロナ", fields=("evaluation",))
    assert ("koganei/1-2-4", 2020) in records(everywhere)  # 新型コロナウイルス in its status only
    assert ("koganei/1-2-4", 2020) not in records(in_evaluation)
    assert records(in_evaluation) < records(everywhere)
    for hit in in_evaluation.results:
        assert list(hit.highlights) == ["evaluation"]
        assert "コロナ" in hit.highlights["evaluation"]


#: (facet filter, value, query, measures found)
FACET_FILTERS = [
    ("department", "学校教育部", "相談", {"koganei/1-1-1", "koganei/1-1-3", "koganei/1-2-2"}),
    ("section", "地域福祉課", "支援", {"koganei/3-1-1", "koganei/3-1-2", "koganei/3-1-3", "koganei/3-2-2",
                                     "koganei/3-2-3", "koganei/3-2-4"}),
    ("achievement", "一部課題あり", "相談", {"koganei/1-2-2"}),
    ("achievement", "縮小・中止", "コロナ", {"koganei/2-2-2"}),
    ("achievement", "件数・回数", "実施", {"koganei/1-2-4", "koganei/2-1-2", "koganei/4-1-1", "koganei/4-2-1"}),
]


@pytest.mark.parametrize(("facet", "value", "q", "expected"), FACET_FILTERS)
def test_facet_filter(search, facet, value, q, expected):
    page = search(q, filters={facet: (value,)})
    assert measures(page) == expected
    assert page.facets[facet] == {value: page.total}


def test_facet_filters_combine(search):
    page = search("支援", years=(2020,), filters={"department": ("福祉保健部",), "achievement": ("縮小・中止",)})
    assert records(page) == {("koganei/2-2-2", 2020)}


@pytest.mark.parametrize("q", ["相談", "支援", "コロナ", "実施"])
def test_facet_counts(search, q):
    page = search(q)
    hits = page.results
    assert len(hits) == page.total
    assert sum(page.facets["year"].values()) == page.total
    assert page.facets["year"] == {str(y): n for y, n in sorted(Counter(h.year for h in hits).items())}
    assert page.facets["department"] == dict(Counter(h.department for h in hits))
    assert page.facets["section"] == dict(Counter(h.section for h in hits))
    assert page.facets["policy"] == dict(Counter(h.policy for h in hits))
    assert page.facets["achievement"] == dict(Counter(h.achievement_category for h in hits))


def test_field_facet_counts_records_matched_in_each_field(search):
    page = search("相談件数")
    assert page.facets["field"] == {"status": 2, "evaluation": 4}  # 4-1-3 in both; 1-2-2 in its evaluation
    assert page.facets["field"] == dict(Counter(f for h in page.results for f in h.highlights))


# -- achievement categories and year-on-year change ---------------------------------------------------------------

#: 達成度 as the cities write it → its category
CATEGORIES = [
    ("100%", "達成・実施"),
    ("１００％", "達成・実施"),
    ("実施", "達成・実施"),
    ("予定どおり実施", "達成・実施"),
    ("一部課題あり", "一部課題あり"),
    ("80%", "一部課題あり"),
    ("縮小して実施", "縮小・中止"),
    ("中止", "縮小・中止"),
    ("3回実施(東京しごとセンター共催面接会)", "件数・回数"),
    ("事例検討会 年2回実施", "件数・回数"),
    ("31件(融資実行件数)", "件数・回数"),
    ("1回実施(9/27)", "件数・回数"),
    ("", "未記入"),
    ("\u3000", "未記入"),
    ("検討中", "その他"),
]


@pytest.mark.parametrize(("text", "expected"), CATEGORIES)
def test_achievement_category(text, expected):
    assert category(text) == expected


def by_id(dataset: indexer.Dataset, measure_id: str) -> indexer.Measure:
    return next(m for m in dataset.measures if m.measure_id == measure_id)


#: (measure, (changed, trend, previous_achievement) of 令和3年度): 令和2年度 is always ("first", "", None)
YEAR_CHANGES = [
    ("koganei/3-1-1", ("unchanged", "same", "100%")),  # every text copied over
    ("koganei/1-2-1", ("changed", "incomparable", "100%")),  # 100% → 実施: a percentage and a step
    ("koganei/1-2-4", ("changed", "incomparable", "1回実施(9/27)")),  # → 100%: a count and a percentage
    ("koganei/2-2-2", ("changed", "up", "縮小して実施")),  # 縮小して実施 → 実施
    ("koganei/4-2-1", ("changed", "up", "31件(融資実行件数)")),  # → 165件(融資実行件数)
    ("koganei/1-2-2", ("changed", "same", "一部課題あり")),  # 一部課題あり → 一部課題あり
]


@pytest.mark.parametrize(("measure_id", "expected"), YEAR_CHANGES)
def test_year_changes(bundled, measure_id, expected):
    assert year_changes(by_id(bundled, measure_id)) == {2020: ("first", "", None), 2021: expected}


def test_year_changes_down_and_not_comparable(bundled):
    m = by_id(bundled, "koganei/2-2-2")
    r2, r3 = m.years
    backwards = dataclasses.replace(m, years=(dataclasses.replace(r3, year=2020), dataclasses.replace(r2, year=2021)))
    assert year_changes(backwards)[2021] == ("changed", "down", "実施")  # 実施 → 縮小して実施
    blank = dataclasses.replace(m, years=(r2, dataclasses.replace(r3, achievement="")))
    assert year_changes(blank)[2021] == ("changed", "incomparable", "縮小して実施")


def test_change_facets(search):
    assert records(search("実施", filters={"trend": ("up",)})) == {("koganei/2-2-2", 2021), ("koganei/4-2-1", 2021)}
    incomparable = search("実施", filters={"trend": ("incomparable",)})
    assert records(incomparable) == {("koganei/1-2-1", 2021), ("koganei/1-2-4", 2021)}
    page = search("実施")
    assert page.facets["trend"] == dict(Counter(h.trend for h in page.results if h.trend))
    assert (page.facets["trend"]["incomparable"], page.facets["trend"]["up"]) == (2, 2)
    unchanged = search("支援", filters={"changed": ("unchanged",)})
    assert ("koganei/3-1-1", 2021) in records(unchanged)
    assert all(h.changed == "unchanged" and h.year == 2021 for h in unchanged.results)


#: ヤングケアラー as the dictionary cuts it in each text: ヤング|ケアラー, ヤング|ケア|ラー, one word
CUT_BY_CONTEXT = ["ヤングケアラーを支援する。", "ヤングケアラーの把握に努めた。", "元ヤングケアラーの声を聞いた。",
                  "ヤングケアラーが相談できる場を設けた。", "ヤングケアラー支援の研修を行った。"]


@pytest.mark.parametrize("q", ["ヤングケアラー", '"ヤングケアラー"', "ヤングケアラー 支援"])
def test_a_word_the_dictionary_cuts_by_context_is_found_everywhere(tmp_path, bundled_path, q):
    header = next(line for line in bundled_path.read_text(encoding="utf-8").split("\n") if line.strip())
    rows = ["\t".join(["(1) 項目", f"{n} 事業{n}", "P.1", "福祉部", "福祉課", "", text, "", "実施", "", "", "", "", ""])
            for n, text in enumerate(CUT_BY_CONTEXT, start=1)]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "carers.tsv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    build_index(indexer.read_paths([tmp_path / "data"]), tmp_path / "index")
    engine = Engine(tmp_path / "index", synonyms=None)
    found = {h.title for h in engine.search(SearchRequest(q=q)).results}
    expected = {f"事業{n}" for n, text in enumerate(CUT_BY_CONTEXT, start=1) if "支援" in text or " " not in q}
    assert found == expected
