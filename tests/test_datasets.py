"""A plan's yearly reports as one dataset; municipality and plan names; other cities' layouts.

The fictional cities of ``tests/data/cities`` (see its README) and the bundled table cut into one table per year.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from table_tools import BUNDLED, record_dicts, to_tsv, tsv_rows

from indexer import PlansearchError, TableError, read_paths, read_table
from indexer.config import load_config
from indexer.names import names_from_title
from indexer.schema import stored_records

CITIES = Path(__file__).resolve().parent / "data" / "cities"


@pytest.fixture(scope="module")
def cities() -> dict:
    return {ds.slug: ds for ds in read_paths([CITIES])}


def measure(ds, title: str):
    [found] = [m for m in ds.measures if m.title == title]
    return found


# -- one dataset from yearly reports ------------------------------------------------------------------------------


def test_the_yearly_reports_of_a_plan_are_one_dataset(cities):
    kou = cities["kou"]
    assert (kou.municipality, kou.name, kou.years) == ("甲市", "甲市自殺対策計画", [2021, 2022, 2023])
    assert [t.file for t in kou.tables] == ["kou_jisatsu_r3.tsv", "kou_jisatsu_r4.tsv", "kou_jisatsu_r4_r5.tsv"]
    assert len(kou.measures) == 31  # 30 in each report: one added, one dropped


def test_each_year_lands_on_its_measure_with_its_own_source(cities):
    m = measure(cities["kou"], "認知症サポーター養成講座")
    assert [(e.year, e.achievement, e.source.file, e.source.line) for e in m.years] == [
        (2021, "58%", "kou_jisatsu_r3.tsv", 12), (2022, "117%", "kou_jisatsu_r4_r5.tsv", 13),
        (2023, "83%", "kou_jisatsu_r4_r5.tsv", 13)]


def test_changes_and_trends_run_across_the_reports(cities):
    m = measure(cities["kou"], "認知症サポーター養成講座")
    assert [(r.year, r.changed, r.trend) for r in stored_records(m)] == [
        (2021, "first", ""), (2022, "changed", "up"), (2023, "changed", "down")]


def test_a_renumbered_measure_is_matched_by_title_and_reported(cities):
    kou = cities["kou"]
    m = measure(kou, "若者の居場所づくり事業")
    assert m.measure_id == "kou/1-2-4"  # its number in the newest report
    assert [e.year for e in m.years] == [2021, 2022, 2023]
    assert any("「若者の居場所づくり事業」 is 1-2-3 in kou_jisatsu_r3.tsv and 1-2-4 here (renumbered)" in w.message
               for w in kou.merge_notes)


def test_a_retitled_measure_is_matched_by_number_and_reported(cities):
    kou = cities["kou"]
    m = measure(kou, "自殺未遂者等への支援")
    assert (m.measure_id, [e.year for e in m.years]) == ("kou/5-2-2", [2021, 2022, 2023])
    assert not [x for x in kou.measures if x.title == "自殺未遂者への支援"]
    assert any("「自殺未遂者への支援」 of kou_jisatsu_r3.tsv is 「自殺未遂者等への支援」 here (retitled)" in w.message
               for w in kou.merge_notes)


def test_added_and_dropped_measures_keep_their_years_and_are_reported(cities):
    kou = cities["kou"]
    added = measure(kou, "ヤングケアラーの把握と支援")
    dropped = measure(kou, "新型コロナウイルス感染症こころの相談ダイヤル")
    assert [e.year for e in added.years] == [2022, 2023]
    assert [e.year for e in dropped.years] == [2021]
    notes = [str(w) for w in kou.merge_notes]
    assert any(f"{added.measure_id} 「ヤングケアラーの把握と支援」 is new in this report" in n for n in notes)
    gone = f"{dropped.measure_id} 「新型コロナウイルス感染症こころの相談ダイヤル」 is not in kou_jisatsu_r4.tsv"
    assert any(gone in n for n in notes)


def test_the_newer_report_wins_a_year_and_every_differing_cell_is_reported(cities):
    kou = cities["kou"]
    m = measure(kou, "不登校児童生徒への支援")
    [y2022] = [e for e in m.years if e.year == 2022]
    assert (y2022.achievement, y2022.source.file) == ("在籍46名(前年比+10名)", "kou_jisatsu_r4_r5.tsv")
    differs = [w for w in kou.merge_notes if "differs" in w.message]
    assert len(differs) == 6  # the six revised cells; the identical ones are silent
    assert ("kou_jisatsu_r4_r5.tsv:6: 令和4年度 達成度 of kou/1-1-4 「不登校児童生徒への支援」 differs from "
            "kou_jisatsu_r4.tsv:6 (「在籍45名(前年比+9名)」 there, 「在籍46名(前年比+10名)」 here); "
            "this newer report's is used") in [str(w) for w in differs]


def year_tables(folder: Path) -> Path:
    """The bundled table written as one table per fiscal year, as a city publishes them: m000_2020.tsv,
    m000_2021.tsv (the bundled table's headers, a policy heading row before each policy's measures)."""
    bundled = read_table(BUNDLED)
    header = tsv_rows(BUNDLED.read_text(encoding="utf-8"))[2]
    for n, year in enumerate((2020, 2021)):
        rows = [header[:6] + header[6 + 4 * n:10 + 4 * n]]
        policy = None
        for m in bundled.measures:
            if m.policy != policy:
                policy = m.policy
                rows.append([policy] + [""] * 9)
            [e] = [e for e in m.years if e.year == year]
            rows.append([m.item, f"{m.number} {m.title}", m.plan_page_text, m.department, m.section, m.repost,
                         e.status, e.evaluation, e.achievement, e.plan])
        (folder / f"m000_{year}.tsv").write_text(to_tsv(rows), encoding="utf-8")
    return folder


def test_a_folder_of_yearly_files_is_one_dataset_with_every_year(tmp_path, bundled):
    [ds] = read_paths([year_tables(tmp_path)])
    assert (ds.slug, ds.years, len(ds.measures)) == ("m000", [2020, 2021], 25)
    drop = ("source", "dataset", "measure_id", "municipality")
    assert record_dicts(ds, drop) == record_dicts(bundled, drop)
    assert [m.measure_id.split("/")[1] for m in ds.measures] == [m.measure_id.split("/")[1] for m in bundled.measures]
    assert {r.entry.source.file for r in ds.records() if r.entry.year == 2021} == {"m000_2021.tsv"}
    assert not [w for w in ds.merge_notes if "differs" in w.message]


def test_files_listed_in_the_config_make_one_dataset(tmp_path):
    year_tables(tmp_path)
    (tmp_path / "m000_2020.tsv").rename(tmp_path / "first_report.tsv")
    (tmp_path / "plansearch.toml").write_text(
        '[datasets.town]\nfiles = ["first_report.tsv", "m000_2021.tsv"]\nmunicipality = "甲市"\n', encoding="utf-8")
    [ds] = read_paths([tmp_path])
    assert (ds.slug, ds.municipality, ds.years) == ("town", "甲市", [2020, 2021])
    assert {m.municipality for m in ds.measures} == {"甲市"}


def test_a_table_in_two_datasets_of_the_config_is_an_error(tmp_path):
    (tmp_path / "plansearch.toml").write_text('[datasets.a]\nfiles = ["x.tsv"]\n[datasets.b]\nfile = "x.tsv"\n',
                                              encoding="utf-8")
    with pytest.raises(PlansearchError, match="'x.tsv' is listed under both"):
        load_config(tmp_path)


@pytest.mark.parametrize("value", ['"x.tsv"', "[1]", '[""]'])
def test_files_must_be_a_list_of_names(tmp_path, value):
    (tmp_path / "plansearch.toml").write_text(f"[datasets.a]\nfiles = {value}\n", encoding="utf-8")
    with pytest.raises(PlansearchError, match=r"\[datasets.a\] files must be a list of file names"):
        load_config(tmp_path)


def test_a_bad_yearly_table_is_refused_naming_it(tmp_path):
    year_tables(tmp_path)
    (tmp_path / "m000_2022.tsv").write_text("実施内容\tメモ\n1 何か\tあ\n", encoding="utf-8")
    with pytest.raises(TableError, match="m000_2022.tsv: no recognizable header row"):
        read_paths([tmp_path])


# -- names ------------------------------------------------------------------------------------------------------

#: a title row (or a file name's words) → (municipality, plan)
TITLES = [
    ("令和5年度 乙町いのち支える自殺対策計画 進捗状況", ("乙町", "いのち支える自殺対策計画")),
    ("小金井市自殺総合対策計画 令和2・3年度 進捗状況", ("小金井市", "自殺総合対策計画")),
    ("戊町自殺対策行動計画 令和5年度 事業評価シート", ("戊町", "自殺対策行動計画")),
    ("令和4年度 自殺対策計画 進捗状況調査", ("", "自殺対策計画")),
    ("四日市市自殺対策計画", ("四日市市", "自殺対策計画")),
    ("町田市いのち支える自殺対策計画（第2期）進捗", ("町田市", "いのち支える自殺対策計画(第2期)")),
    ("東京都小金井市自殺総合対策計画", ("東京都小金井市", "自殺総合対策計画")),
    ("十日町市こころといのちのサポートプラン 進捗", ("十日町市", "こころといのちのサポートプラン")),
    ("市町村自殺対策計画", ("", "市町村自殺対策計画")),
    ("進捗状況一覧", ("", "")),
    ("甲市_自殺対策_R3", ("甲市", "")),
    ("koganei_jisatsu_taisaku_r2_r3", ("", "")),
]


@pytest.mark.parametrize(("title", "expected"), TITLES)
def test_names_from_a_title(title, expected):
    assert names_from_title(title) == expected


def test_a_title_row_names_the_municipality_and_plan():
    ds = read_table(CITIES / "otsu_inochi_r4_r5.tsv")  # no plansearch.toml read
    assert (ds.municipality, ds.name) == ("乙町", "いのち支える自殺対策計画")
    assert {m.municipality for m in ds.measures} == {"乙町"}


def test_the_config_names_win(cities):
    assert (cities["otsu"].municipality, cities["otsu"].name) == ("乙町", "乙町いのち支える自殺対策計画")


def test_a_file_name_names_the_municipality_when_nothing_else_does(tmp_path):
    path = tmp_path / "丙村_自殺対策_進捗.tsv"
    shutil.copy(BUNDLED, path)
    assert (read_table(path).municipality, read_table(BUNDLED).municipality) == ("丙村", "")


# -- other layouts ------------------------------------------------------------------------------------------------


def test_standalone_headings_and_an_items_column(cities):
    """乙町: 【基本施策1】… alone on a row, the column headed 基本施策 holding each measure's (1) item."""
    otsu = cities["otsu"]
    first = otsu.measures[0]
    assert (first.measure_id, first.title) == ("otsu/1-1-1", "乙町自殺対策推進協議会の開催")
    assert (first.policy, first.item) == ("【基本施策1】地域におけるネットワークの強化", "(1) 関係機関との連携")
    assert len({m.policy for m in otsu.measures}) == 9  # every heading has its measures
    assert not [w for w in otsu.warnings if "no measure row comes under" in w.message]
    assert any("column 1 「基本施策」 holds items such as 「(1) 関係機関との連携」" in w.message for w in otsu.warnings)
    assert len({m.measure_id for m in otsu.measures}) == 28


def test_goal_headings_over_unnumbered_items(cities):
    """丙村: 基本目標N rows, 施策 items without numbers, titles without numbers."""
    hei = cities["hei"]
    assert [m.policy for m in hei.measures][:1] == ["基本目標1 見守り・つながりの地域づくり"]
    assert [m.measure_id for m in hei.measures][:4] == ["hei/1-1-x1", "hei/1-1-x2", "hei/1-1-x3", "hei/1-2-x1"]
    assert {m.section for m in hei.measures} >= {"保健福祉課", "教育委員会"}  # 担当
    assert all(e.plan for m in hei.measures for e in m.years)  # 次年度の予定


def test_a_number_column_gives_the_ids(cities):
    """丁市: 番号 1-2-3 in its own column, Western years, 備考 kept."""
    tei = cities["tei"]
    assert [m.measure_id for m in tei.measures][:4] == ["tei/1-1-1", "tei/1-1-2", "tei/1-2-1", "tei/1-2-2"]
    assert tei.years == [2022, 2023]
    assert any(cell.column == "備考" for m in tei.measures for cell in m.extra)


def test_a_note_row_is_skipped_and_quoted(cities):
    bo = cities["bo"]
    assert any(w.message.startswith("skipped a note row 「※自己評価 5:計画以上") for w in bo.warnings)
    assert bo.measures[1].item == "1 地域のつながりと居場所づくり"  # the item of the rows under its first
    assert bo.measures[0].measure_id == "bo/0-1-1"


#: (dataset, title, its id, its number as its table writes it): what a person finds in the city's own table.
WRITTEN_NUMBERS = [
    ("kou", "いじめ防止対策の推進", "kou/1-1-2", "2"),  # 「2 いじめ防止対策の推進」 under (1) of 重点施策1
    ("kou", "若者の居場所づくり事業", "kou/1-2-4", "4"),  # renumbered: its number in the newest report
    ("otsu", "ふくし総合相談室の運営", "otsu/1-2-3", "3"),  # numbered through the whole town
    ("tei", "ゲートキーパー養成(市民・職員)", "tei/1-2-1", "1-2-1"),  # the 番号 column
    ("bo", "傾聴ボランティアの養成", "bo/0-1-3", "3"),  # the No. column
    ("hei", "民生委員の見守り訪問", "hei/1-1-x1", ""),  # no number anywhere: numbered by position
]


@pytest.mark.parametrize(("slug", "title", "measure_id", "written"), WRITTEN_NUMBERS)
def test_a_measure_keeps_its_number_as_its_table_writes_it(cities, slug, title, measure_id, written):
    m = measure(cities[slug], title)
    assert (m.measure_id, m.written_number) == (measure_id, written)
    assert {r.written_number for r in stored_records(m)} == {written}


# -- on the command line ------------------------------------------------------------------------------------------


def test_the_cli_names_the_municipality_and_shows_the_merge(capsys, tmp_path):
    from search_app.cli import main

    index = str(tmp_path / "ix")
    assert main(["search", "認知症サポーター", "--data", str(CITIES), "--index-dir", index, "-n", "3"]) == 0
    out = capsys.readouterr().out
    assert "[甲市 令和5年度] kou/2-1-2" in out
    assert main(["inspect", str(CITIES)]) == 0
    out = capsys.readouterr().out
    assert "dataset kou: " in out and "(甲市 甲市自殺対策計画)" in out
    assert "  merged from 3 tables, oldest report first:" in out
    assert "    kou_jisatsu_r4.tsv: 令和4年度; 30 measures; 0 records used" in out
    assert "  merge: 11 notes" in out


def test_index_summarises_many_datasets(capsys, tmp_path, bundled_path):
    from search_app.cli import main

    data = tmp_path / "data"
    data.mkdir()
    for n in range(12):
        shutil.copy(bundled_path, data / f"m{n:03d}_2021.tsv")
    assert main(["index", str(data), "--index-dir", str(tmp_path / "ix")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("12 datasets from 12 tables: 300 measures, 216 warnings in 12 datasets "
                        "(plansearch inspect FOLDER lists them)")
    assert len(lines) == 2 and lines[1].startswith("indexed 600 records in ")


# -- the layouts in every workbook format ---------------------------------------------------------------------------

WORKBOOKS = Path(__file__).resolve().parent / "data" / "workbooks"
#: (table of tests/data/cities, its workbook fixtures (a cover sheet, then the table), rows the sheet adds above)
LAYOUT_WORKBOOKS = [("otsu_inochi_r4_r5.tsv", "otsu_workbook", 0), ("hei_keikaku_r5_r6.csv", "hei_workbook", 2)]


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
@pytest.mark.parametrize(("table", "workbook", "shift"), LAYOUT_WORKBOOKS)
def test_layouts_read_the_same_from_every_workbook_format(table, workbook, shift, suffix):
    text = read_table(CITIES / table)
    book = read_table(WORKBOOKS / f"{workbook}{suffix}")
    drop = ("source", "dataset", "measure_id")
    assert record_dicts(book, drop) == record_dicts(text, drop)
    assert [m.measure_id.split("/")[1] for m in book.measures] == [m.measure_id.split("/")[1] for m in text.measures]
    assert [m.source.line for m in book.measures] == [m.source.line + shift for m in text.measures]
    assert (book.municipality, book.name) == (text.municipality, text.name)
    cover = f"skipped the sheet 「表紙」 before 「{book_sheet(workbook)}」: no header row in it"
    assert book.warnings[0].message == cover


def book_sheet(workbook: str) -> str:
    return {"otsu_workbook": "令和5年度", "hei_workbook": "進捗"}[workbook]
