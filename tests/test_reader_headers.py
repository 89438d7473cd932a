"""Other cities' tables: columns found by header name, fiscal years named any usual way."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from table_tools import tsv_rows, unaccounted

from indexer import TableError, read_paths, read_table
from indexer.headers import merged_aliases, role_of_header
from indexer.years import find_year, year_label

DATA = Path(__file__).parent / "data"

#: header cell → the role the reader gives it
ROLES = [
    ("計画における項目", "item"),
    ("実施内容", "title"),
    ("計画書ページ", "plan_page"),
    ("担当部署", "department"),
    ("担当課", "section"),
    ("再掲", "repost"),
    ("令和2年度実施状況", "status"),
    ("令和2年度 実施状況に関する担当課の評価", "evaluation"),
    ("達成度 (%)", "achievement"),
    ("今後(令和3年度以降)の実施計画", "plan"),
    ("事業名", "title"),
    ("所管課", "section"),
    ("令和4年度取組状況", "status"),
    ("成果の評価", "evaluation"),
    ("実績値", "achievement"),
    ("今後の方向性", "plan"),
    ("基本施策", "policy"),
    ("施策の方向", "item"),
    ("取組名", "title"),
    ("2022年度 実施状況", "status"),
    ("今後の予定", "plan"),
    ("実　施　状　況", "status"),
    ("担当", "section"),  # 担当 alone names the section (保健福祉課), as 丙村 writes it
    ("令和5年度の結果", None),
    ("", None),
]

#: header text → (fiscal year, the words that named it)
YEARS = [
    ("令和2年度実施状況", (2020, "令和2年度")),
    ("令和３年度", (2021, "令和3年度")),
    ("令和元年度", (2019, "令和元年度")),
    ("平成31年度実施状況", (2019, "平成31年度")),
    ("平成30年度", (2018, "平成30年度")),
    ("2022年度 実施状況", (2022, "2022年度")),
    ("２０２２年度", (2022, "2022年度")),
    ("R3年度", (2021, "R3年度")),
    ("今後(令和3年度以降)の実施計画", (2021, "令和3年度")),
    ("実施状況", None),
    ("達成度 (%)", None),
    ("計画書ページ P.43", None),
]

#: fiscal year → its usual label
LABELS = [(2019, "令和元年度"), (2020, "令和2年度"), (2022, "令和4年度"), (2018, "平成30年度"), (1989, "平成元年度")]

#: file in tests/data → (measure ids, years, year labels)
TABLES = [
    ("shisaku_r4.csv", (["shisaku/1-0-1", "shisaku/1-0-2", "shisaku/2-1-1", "shisaku/2-2-1"], [2022], ["令和4年度"])),
    ("western_2022.csv", (["western/0-1-1", "western/0-1-2", "western/0-2-1"], [2022], ["令和4年度"])),
    ("three_years_r2_r4.tsv", (["three/1-1-1", "three/1-1-2"], [2020, 2021, 2022],
                               ["令和2年度", "令和3年度", "令和4年度"])),
    ("heisei31_r2.tsv", (["heisei31/1-1-1"], [2019, 2020], ["令和元年度", "令和2年度"])),
    ("yearband_r2_r3.csv", (["yearband/0-0-1", "yearband/0-0-2"], [2020, 2021], ["令和2年度", "令和3年度"])),
    ("aliases/kekka_r5.csv", (["kekka/0-0-1", "kekka/0-0-2"], [2023], ["令和5年度"])),
]

#: (file, measure id, year, field, value)
FIELDS = [
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "title", "庁内連絡会議の開催"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "policy", "【基本施策1】地域におけるネットワークの強化"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "section", "健康課"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "status",
     "庁内の関係部署(福祉、教育、税、住宅など)による連絡会議を1回開催した。"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "evaluation", "各課の相談窓口でのつなぎ方を確認できた。"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "achievement", "1回開催"),
    ("shisaku_r4.csv", "shisaku/1-0-2", 2022, "plan", "相談窓口の担当者向けの研修と合わせて開催する。"),
    ("shisaku_r4.csv", "shisaku/2-1-1", 2022, "item", "(1) 様々な職種を対象とする研修"),
    ("shisaku_r4.csv", "shisaku/2-1-1", 2022, "achievement", "86人"),
    ("shisaku_r4.csv", "shisaku/2-2-1", 2022, "evaluation", ""),
    ("western_2022.csv", "western/0-1-2", 2022, "section", "男女共同参画室"),
    ("western_2022.csv", "western/0-1-2", 2022, "achievement", "一部課題あり"),
    ("western_2022.csv", "western/0-2-1", 2022, "item", "(2) 生きることの促進要因への支援"),
    ("western_2022.csv", "western/0-2-1", 2022, "plan", "補助の周知を進め、運営団体を増やす。"),
    ("three_years_r2_r4.tsv", "three/1-1-2", 2021, "achievement", "一部課題あり"),
    ("three_years_r2_r4.tsv", "three/1-1-2", 2022, "plan", "引き続き周知と未然防止の授業を行う。"),
    ("three_years_r2_r4.tsv", "three/1-1-1", 2022, "status",
     "全校で実施した。1人1台端末から相談できる窓口も案内した。"),
    ("heisei31_r2.tsv", "heisei31/1-1-1", 2019, "status", "推進本部会議を1回開催した。"),
    ("heisei31_r2.tsv", "heisei31/1-1-1", 2020, "achievement", "縮小して実施"),
    ("yearband_r2_r3.csv", "yearband/0-0-1", 2020, "achievement", "縮小して実施"),
    ("yearband_r2_r3.csv", "yearband/0-0-1", 2021, "evaluation", "オンライン開催で受講者が増えた。"),
    ("aliases/kekka_r5.csv", "kekka/0-0-2", 2023, "status",
     "スマートフォンで気軽にストレスチェックができる「こころの体温計」を運用した。"),
    ("aliases/kekka_r5.csv", "kekka/0-0-2", 2023, "achievement", "1500件"),
]


def source_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    return tsv_rows(text) if path.suffix == ".tsv" else list(csv.reader(text.splitlines()))


@pytest.fixture(scope="module")
def tables() -> dict[str, object]:
    """Every sample table of tests/data, read by read_paths as the CLI reads them."""
    return {str(Path(ds.path).relative_to(DATA)): ds for ds in read_paths([DATA, DATA / "aliases"])}


@pytest.mark.parametrize(("header", "role"), ROLES)
def test_role_of_header(header, role):
    assert role_of_header(header, merged_aliases()) == role


@pytest.mark.parametrize(("text", "expected"), YEARS)
def test_find_year(text, expected):
    assert find_year(text) == expected


@pytest.mark.parametrize(("year", "label"), LABELS)
def test_year_label(year, label):
    assert year_label(year) == label


@pytest.mark.parametrize(("name", "expected"), TABLES)
def test_table(tables, name, expected):
    ds = tables[name]
    records = ds.records()
    labels = [label for _, label in sorted({(r.entry.year, r.entry.year_label) for r in records})]
    assert ([m.measure_id for m in ds.measures], ds.years, labels) == expected
    assert len(records) == len(ds.measures) * len(ds.years)
    assert ds.warnings == ()
    assert unaccounted(ds, source_rows(DATA / name)) == {}


@pytest.mark.parametrize(("name", "measure_id", "year", "field", "value"), FIELDS)
def test_field(tables, name, measure_id, year, field, value):
    [record] = [r.to_dict() for r in tables[name].records() if r.record_id == f"{measure_id}@{year}"]
    assert record[field] == value


def test_aliases_come_from_the_folders_plansearch_toml():
    path = DATA / "aliases" / "kekka_r5.csv"
    with pytest.raises(TableError, match="names no yearly column"):
        read_table(path)
    assert read_table(path, aliases={"status": ["結果"]}).years == [2023]
    assert [ds.years for ds in read_paths([path])] == [[2023]]  # a file's folder config applies too


def test_an_unknown_alias_role_is_an_error():
    with pytest.raises(TableError, match="unknown role 'state' in header_aliases"):
        read_table(DATA / "aliases" / "kekka_r5.csv", aliases={"state": ["結果"]})


def test_year_band_is_no_title(tables):
    ds = tables["yearband_r2_r3.csv"]
    assert (ds.name, ds.preamble) == ("", ("令和2年度", "令和3年度"))


def test_a_title_row_naming_a_year_is_no_year_band(tmp_path):
    """「…令和3年度 進捗状況」 right above a header whose 達成度 names no year: the columns keep their groups."""
    rows = tsv_rows((DATA / "three_years_r2_r4.tsv").read_text(encoding="utf-8"))
    path = tmp_path / "three.tsv"
    path.write_text("\n".join(["令和4年度 自殺対策計画 進捗状況調査", *("\t".join(r) for r in rows)]), encoding="utf-8")
    ds = read_table(path)
    assert (ds.years, ds.name, ds.municipality, len(ds.records())) == ([2020, 2021, 2022], "自殺対策計画", "", 6)
    assert all(m.extra == () for m in ds.measures)


def test_year_from_config_for_a_table_whose_headers_name_none(tmp_path):
    (tmp_path / "kekka.csv").write_text(
        "事業名,担当課,実施状況,評価,達成度\n"
        "1 自殺予防週間の啓発,健康課,駅前で啓発物品を配布した。,周知が進んだ。,実施\n", encoding="utf-8")
    with pytest.raises(TableError, match="names no yearly column"):
        read_paths([tmp_path])
    (tmp_path / "plansearch.toml").write_text('[datasets.kekka]\nfile = "kekka.csv"\nyear = 2023\n')
    [ds] = read_paths([tmp_path])
    assert [r.to_dict()["year_label"] for r in ds.records()] == ["令和5年度"]


def test_cells_under_a_column_without_header_are_kept_and_named_by_position(tmp_path, bundled_path):
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    lines[2] += "\t\t備考"
    lines[5] += "\t研修資料を更新\t再掲あり"
    lines[6] += "\t教職員向けに配布\t"
    path = tmp_path / bundled_path.name
    path.write_text("\n".join(lines), encoding="utf-8")
    ds = read_table(path)
    by_id = {m.measure_id: m for m in ds.measures}
    assert by_id["koganei/1-1-2"].extra == (("15列目", "研修資料を更新"), ("備考", "再掲あり"))
    assert by_id["koganei/1-1-3"].extra == (("15列目", "教職員向けに配布"),)
    said = [str(w) for w in ds.warnings if "no header" in w.message]
    assert said == [f"{path.name}:6: column 15 has no header but holds cells; they are kept with each measure as "
                    "「15列目」 (shown on its page, searched with its policy and section)"]
