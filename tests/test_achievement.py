"""The 達成度 rule (``indexer/achievement.py``): when two years' achievements compare, and 「比較できない」 if not.

The cells are the tables' own: the bundled table (koganei), the fictional cities (kou, otsu, tei, hei; see
``tests/data/cities/README.md``) and the examples the overview page gives.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer import read_paths
from indexer.achievement import DOWN, INCOMPARABLE, SAME, UP, Reading, category, compare, reading, year_changes
from indexer.schema import stored_records

CITIES = Path(__file__).resolve().parent / "data" / "cities"

#: (last year's 達成度, this year's, trend)
COMPARISONS = [
    # two percentages: their numbers
    ("91%", "89%", DOWN),  # kou いじめ防止対策の推進, 令和3 → 4
    ("89%", "93%", UP),  # the same, 令和4 → 5
    ("58%", "117%", UP),  # kou 認知症サポーター養成講座
    ("100%", "90%", DOWN),  # kou 家族介護者支援事業
    ("１００％", "100%", SAME),  # full-width and half-width: the same text
    ("８０％", "100%", UP),
    # two counts of the same unit and kind: their numbers
    ("31件(融資実行件数)", "165件(融資実行件数)", UP),  # koganei 小口事業資金融資あっせん制度
    ("26件対応", "19件対応", DOWN),  # kou
    ("新規682件", "新規497件", DOWN),  # kou
    ("9人", "12人", UP),  # kou
    ("在籍36名(前年比+8名)", "在籍46名(前年比+10名)", UP),  # kou 不登校児童生徒への支援: every count went up
    ("延べ4,215件", "延べ4,388件", UP),  # kou 障害者相談支援事業 (its 実施状況), commas
    ("延べ１，２４０回", "延べ1,198回", DOWN),  # hei 民生委員の見守り訪問, full-width digits and comma
    ("在籍36名", "在籍40人", UP),  # 名 and 人 both count people
    ("事例検討会 年2回実施", "事例検討会 年2回実施", SAME),  # koganei, copied over
    # counts that are not of one unit and kind
    ("120件", "80人", INCOMPARABLE),
    ("延べ80人", "3回", INCOMPARABLE),
    ("延べ120件", "120件", INCOMPARABLE),  # 延べ counts every visit
    ("新規682件", "94件", INCOMPARABLE),  # new cases, and cases
    ("在籍46名(前年比+10名)", "在籍52名(前年比+6名)", INCOMPARABLE),  # kou: one count up, the other down
    ("年3回 延べ19人", "年3回 延べ16人。認知症の人と家族の会と合同開催1回", INCOMPARABLE),  # hei: another count
    ("ひとり暮らし高齢者等 延べ1,240回訪問", "延べ1,198回訪問。気になる世帯6件を地域包括支援センターへ",
     INCOMPARABLE),  # hei: 件 beside 回
    # two steps of 達成・実施 > 一部課題あり > 縮小・中止
    ("実施", "縮小して実施", DOWN),
    ("縮小して実施", "実施", UP),  # koganei 健康づくりフォローアップ指導事業
    ("一部課題あり", "達成", UP),
    ("一部未達成", "概ね達成", UP),  # otsu
    ("未達成", "達成", UP),  # otsu
    ("達成", "概ね達成", SAME),  # otsu: both 達成・実施
    ("一部課題あり", "一部課題あり", SAME),  # koganei
    ("実施", "中止", DOWN),
    # a mixture: never up or down
    ("100%", "実施", INCOMPARABLE),  # koganei 青少年問題協議会
    ("1回実施(9/27)", "100%", INCOMPARABLE),  # koganei 若者コーナーの運営と活用
    ("休止期間を除き100%", "100%", INCOMPARABLE),  # kou: a suspension qualifies the first percentage
    ("延べ120件", "一部課題あり", INCOMPARABLE),
    ("一部課題あり", "5人", INCOMPARABLE),
    # neither a percentage, a count nor a step
    ("B", "A", INCOMPARABLE),  # tei grades
    ("C", "B", INCOMPARABLE),
    ("A", "A", SAME),  # identical texts
    ("検討中", "実施", INCOMPARABLE),
    # blanks
    ("", "実施", INCOMPARABLE),
    ("100%", "\u3000", INCOMPARABLE),
    ("", "", INCOMPARABLE),
]


@pytest.mark.parametrize(("before", "after", "trend"), COMPARISONS)
def test_two_years_compare_only_when_they_measure_alike(before, after, trend):
    assert compare(before, after).trend == trend


#: (last year's 達成度 or None, this year's, the reason given)
REASONS = [
    (None, "実施", ("", "記録の最初の年度です")),
    ("31件(融資実行件数)", "165件(融資実行件数)", (UP, "どちらも件数です（31 → 165）")),
    ("延べ１，２４０回", "延べ1,198回", (DOWN, "どちらも延べ回数です（1,240 → 1,198）")),
    ("58%", "117%", (UP, "どちらも割合です（58% → 117%）")),
    ("縮小して実施", "実施", (UP, "どちらも達成の段階です（縮小・中止 → 達成・実施）")),
    ("延べ80人", "3回", (INCOMPARABLE, "延べ人数と回数は比べられません")),
    ("100%", "実施", (INCOMPARABLE, "割合と達成の段階は比べられません")),
    ("120件", "80人", (INCOMPARABLE, "件数と人数は比べられません")),
    ("在籍46名(前年比+10名)", "在籍52名(前年比+6名)",
     (INCOMPARABLE, "在籍人数・前年比人数のうち、上がった数と下がった数があります（46・10 → 52・6）")),
    ("B", "A", (INCOMPARABLE, "割合・数・達成の段階のどれでもない記載とは比べられません")),
    ("", "100%", (INCOMPARABLE, "未記入の年度とは比べられません")),
    ("3回実施(東京しごとセンター共催面接会)", "3回実施(東京しごとセンター共催面接会)", (SAME, "同じ記載です")),
]


@pytest.mark.parametrize(("before", "after", "expected"), REASONS)
def test_a_comparison_says_why(before, after, expected):
    assert compare(before, after) == expected


#: a 達成度 cell → what it measures in and its values (None: nothing to compare)
READINGS = [
    ("100%", Reading("割合", (100,))),
    ("１００％", Reading("割合", (100,))),
    ("31件(融資実行件数)", Reading("件数", (31,))),
    ("延べ1,240回訪問", Reading("延べ回数", (1240,))),
    ("在籍36名(前年比+8名)", Reading("在籍人数・前年比人数", (36, 8))),
    ("１４校全校において", Reading("校数", (14,))),  # koganei (its 実施状況), in full width
    ("市内4か所の地域包括支援センター", Reading("か所数", (4,))),
    ("受入農家・事業所6か所に相談先チラシ", Reading("か所数", (6,))),  # hei
    ("３箇所", Reading("か所数", (3,))),
    ("啓発リーフレットを13,000部作成", Reading("部数", (13000,))),  # koganei (its 実施状況)
    ("居場所運営団体に補助を行った(12団体)。", Reading("団体数", (12,))),  # kou
    ("休止期間を除き100%", Reading("達成の段階", (0,))),
    ("一部課題あり", Reading("達成の段階", (1,))),
    ("予定どおり実施", Reading("達成の段階", (2,))),
    ("検討中", None),
    ("A", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_reading_a_cell(text, expected):
    assert reading(text) == expected


#: 達成度 as 乙町 writes it → its category (未達成 is not 達成)
OTSU_CATEGORIES = [("達成", "達成・実施"), ("概ね達成", "達成・実施"), ("一部未達成", "一部課題あり"),
                   ("未達成", "一部課題あり")]


@pytest.mark.parametrize(("text", "expected"), OTSU_CATEGORIES)
def test_not_achieved_is_not_achieved(text, expected):
    assert category(text) == expected


# -- a measure's years --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cities() -> dict:
    return {ds.slug: ds for ds in read_paths([CITIES])}


def by_title(ds, title: str):
    [found] = [m for m in ds.measures if m.title == title]
    return found


#: (dataset, title): each year's (changed, trend, previous_achievement)
STORED = [
    ("kou", "認知症サポーター養成講座",
     [("first", "", None), ("changed", UP, "58%"), ("changed", DOWN, "117%")]),
    ("kou", "不登校児童生徒への支援",
     [("first", "", None), ("changed", UP, "在籍36名(前年比+8名)"),
      ("changed", INCOMPARABLE, "在籍46名(前年比+10名)")]),
    ("otsu", "ゲートキーパー研修の実施", [("first", "", None), ("changed", SAME, "概ね達成")]),
    ("tei", "丁市自殺対策ネットワーク会議", [("first", "", None), ("changed", INCOMPARABLE, "B")]),
]


@pytest.mark.parametrize(("slug", "title", "expected"), STORED)
def test_each_year_stores_the_year_before_and_its_trend(cities, slug, title, expected):
    records = stored_records(by_title(cities[slug], title))
    assert [(r.changed, r.trend, r.previous_achievement) for r in records] == expected


def test_after_a_gap_in_the_record_there_is_no_year_before(cities):
    m = by_title(cities["kou"], "認知症サポーター養成講座")
    r3, _, r5 = m.years  # 令和3年度 and 令和5年度, without 令和4年度
    assert year_changes(dataclasses.replace(m, years=(r3, r5))) == {
        2021: ("first", "", None), 2023: ("changed", "", None)}
