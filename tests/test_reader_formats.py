"""The bundled table saved the ways an office saves a table gives the same records.

Each conversion is written by the test from the bundled TSV's cells (the .xls and
.ods by tests/data/workbooks/make_workbooks.py, once), so the expected records are the
bundled ones: only the file name may differ (and the line numbers, where a
workbook gets a title row).
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from table_tools import csv_text, padded, record_dicts, save_xlsx, to_tsv, tsv_rows, unaccounted, without_file

from indexer import TableError, read_paths, read_table
from indexer.sources import read_rows

TITLE = "小金井市自殺総合対策計画 令和2・3年度 進捗状況"


#: file name → bytes of the bundled table saved that way
CONVERSIONS = [
    ("koganei.csv", lambda rows: csv_text(rows).encode("utf-8")),
    ("koganei_quote_all.csv", lambda rows: csv_text(rows, csv.QUOTE_ALL).encode("utf-8")),
    ("koganei_excel.csv", lambda rows: csv_text(padded(rows), newline="\r\n").encode("utf-8-sig")),
    ("koganei_bom.tsv", lambda rows: to_tsv(rows).encode("utf-8-sig")),
    ("koganei_crlf.tsv", lambda rows: to_tsv(rows).replace("\n", "\r\n").encode("utf-8")),
    ("koganei_sjis.tsv", lambda rows: to_tsv(rows).encode("cp932")),
    ("koganei_sjis.csv", lambda rows: csv_text(rows, newline="\r\n").encode("cp932")),
    # Excel's 「Unicode テキスト」: UTF-16 with a byte order mark, tabs, CRLF
    ("koganei_unicode.txt", lambda rows: to_tsv(rows).replace("\n", "\r\n").encode("utf-16")),
    ("koganei_utf16be.tsv", lambda rows: b"\xfe\xff" + to_tsv(rows).encode("utf-16-be")),
    ("koganei_tabs.txt", lambda rows: to_tsv(rows).encode("utf-8")),
]


@pytest.mark.parametrize(("name", "convert"), CONVERSIONS, ids=[name for name, _ in CONVERSIONS])
def test_text_formats_read_the_same(bundled, bundled_rows, tmp_path, name, convert):
    path = tmp_path / name
    path.write_bytes(convert(bundled_rows))
    ds = read_table(path)
    assert without_file(ds) == without_file(bundled)
    assert [w.line for w in ds.warnings] == [w.line for w in bundled.warnings]
    if "excel" not in name:  # Excel pads short rows: their warnings say so (next test)
        assert [w.message for w in ds.warnings] == [w.message for w in bundled.warnings]
    assert unaccounted(ds, bundled_rows) == {}


def test_excel_padding_is_repaired_and_reported(bundled_rows, tmp_path):
    """A short row saved by Excel is as wide as the others, its cells one column left: still repaired."""
    path = tmp_path / "koganei.csv"
    path.write_text(csv_text(padded(bundled_rows)), encoding="utf-8")
    warned = {w.line: w.message for w in read_table(path).warnings}
    for line in (19, 20, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32, 33):
        assert warned[line].startswith("the last 1 cell(s) are empty padding")
        assert "inserted an empty 「再掲」 (column 6) cell" in warned[line]


def test_xlsx_reads_the_same(bundled, bundled_rows, tmp_path):
    ds = read_table(save_xlsx(tmp_path / "koganei.xlsx", bundled_rows))
    assert without_file(ds) == without_file(bundled)
    assert {w.line for w in ds.warnings} == {w.line for w in bundled.warnings}
    assert unaccounted(ds, bundled_rows) == {}


def test_xlsx_with_title_and_blank_rows(bundled, bundled_rows, tmp_path):
    """A title row naming the years sits right above the header: it is kept, and is no year band."""
    rows = [r for r in bundled_rows if r]  # the title row directly above the header
    ds = read_table(save_xlsx(tmp_path / "koganei.xlsx", rows, above=[[TITLE], [], []]))
    assert record_dicts(ds, drop=("source", "municipality")) == record_dicts(bundled, drop=("source", "municipality"))
    assert (ds.preamble, ds.municipality, ds.name) == ((TITLE,), "小金井市", "自殺総合対策計画")
    assert [w.line for w in ds.warnings if "blank line" in w.message] == [2, 3]
    assert [w.line for w in ds.warnings if "title cell" in w.message] == [1]
    assert unaccounted(ds, [[TITLE], *rows]) == {}
    assert ds.measures[0].source.line == 6  # title, 2 blank rows, header, 重点施策1


def test_xlsx_percent_cells_read_as_shown(tmp_path):
    """達成度 typed as a number formatted 0% reads 「100%」, as Excel shows it and saves it to CSV."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["実施内容", "担当課", "令和3年度実施状況", "達成度 (%)", "計画書ページ"])
    ws.append(["1 ゲートキーパー養成講座", "健康課", "市民向けに2回実施した。", 1, 43])
    ws.append(["2 こころの健康相談", "健康課", "月1回実施した。", 0.85, 44])
    ws["D2"].number_format = ws["D3"].number_format = "0%"
    book.save(tmp_path / "percent.xlsx")
    records = read_table(tmp_path / "percent.xlsx").records()
    assert [(r.entry.achievement, r.measure.plan_page) for r in records] == [("100%", 43), ("85%", 44)]


def test_xlsx_sheet_named_in_config(bundled, bundled_rows, tmp_path):
    save_xlsx(tmp_path / "report.xlsx", bundled_rows, sheet="進捗状況")
    (tmp_path / "plansearch.toml").write_text(
        '[datasets.koganei]\nfile = "report.xlsx"\nsheet = "進捗状況"\nname = "小金井市 進捗状況"\n', encoding="utf-8")
    [ds] = read_paths([tmp_path])
    assert (ds.slug, ds.name) == ("koganei", "小金井市 進捗状況")
    assert without_file(ds) == without_file(bundled)


def test_a_line_break_inside_a_quoted_cell(bundled, bundled_rows, tmp_path):
    """A cell with a line break (Alt+Enter) keeps it; each measure keeps the line its row starts on."""
    rows = [list(r) for r in bundled_rows]
    rows[4][6] = rows[4][6].replace("中心に", "中心に\n", 1)  # line 5, 令和2年度実施状況
    rows[-1][-1] = rows[-1][-1].replace("融資", "融資\n", 1)  # the last row: its quote closes on the last line
    path = tmp_path / "koganei.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    ds = read_table(path)
    assert "\n" in ds.records()[0].entry.status
    assert ds.records()[-1].entry.plan == "引き続き融資\nあっせんを行う。"
    assert [m.source.line for m in ds.measures] == [m.source.line + (m.source.line > 5) for m in bundled.measures]
    assert unaccounted(ds, rows) == {}


#: encoding asked for → the file's encoding it reads
ENCODINGS = [("cp932", "cp932"), ("shift_jis", "cp932"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
             ("utf-16", "utf-16"), ("euc_jp", "euc_jp")]


@pytest.mark.parametrize(("encoding", "saved_as"), ENCODINGS)
def test_encoding_override(bundled, bundled_rows, tmp_path, encoding, saved_as):
    text = to_tsv(bundled_rows).replace("～", "、")  # ～ is where Shift_JIS, EUC-JP and CP932 differ
    path = tmp_path / "koganei.tsv"
    path.write_bytes(text.encode(saved_as))
    ds = read_table(path, encoding=encoding)
    assert len(ds.records()) == 50
    assert unaccounted(ds, tsv_rows(text)) == {}
    assert read_paths([path], encoding=encoding)[0].records()[0].to_dict() == ds.records()[0].to_dict()


#: (file's encoding, encoding asked for, what the error says)
WRONG_ENCODINGS = [
    ("cp932", "utf-8", "is not valid utf-8: byte "),
    ("utf-8", "cp932", "is not valid cp932: byte "),
    ("utf-8", "latin-1", "no recognizable header row when decoded as latin-1, as asked"),
    ("utf-8", "utf-16", "no recognizable header row when decoded as utf-16, as asked"),
    ("utf-8", "klingon", "unknown encoding 'klingon'"),
]


@pytest.mark.parametrize(("saved_as", "asked", "says"), WRONG_ENCODINGS)
def test_wrong_encoding_override(bundled_rows, tmp_path, saved_as, asked, says):
    path = tmp_path / "koganei.tsv"
    path.write_bytes(to_tsv(bundled_rows).encode(saved_as))
    with pytest.raises(TableError) as caught:
        read_table(path, encoding=asked)
    assert str(caught.value).startswith(f"{path}:")
    assert says in str(caught.value)
    with pytest.raises(TableError, match="as asked|is not valid|unknown encoding"):
        read_paths([tmp_path], encoding=asked)


def test_encoding_from_config(bundled, bundled_rows, tmp_path):
    (tmp_path / "koganei.tsv").write_bytes(to_tsv(bundled_rows).encode("cp932"))
    (tmp_path / "plansearch.toml").write_text('[datasets.koganei]\nfile = "koganei.tsv"\nencoding = "utf-8"\n')
    with pytest.raises(TableError, match="is not valid utf-8"):
        read_paths([tmp_path])
    (tmp_path / "plansearch.toml").write_text('[datasets.koganei]\nfile = "koganei.tsv"\nencoding = "cp932"\n')
    assert without_file(read_paths([tmp_path])[0]) == without_file(bundled)


# -- workbooks: .xls and .ods with a cover sheet, sheets chosen by config or by their header ----------------------

DATA = Path(__file__).resolve().parent / "data" / "workbooks"
#: made by data/workbooks/make_workbooks.py: a cover sheet 表紙, then 進捗状況 with the title in B2 and bundled
#: line L in row L + 2 from column B on, each 「100%」 the number 1 formatted 0%
WORKBOOKS = ["koganei_workbook.xls", "koganei_workbook.ods"]
COVER_SKIPPED = "skipped the sheet 「表紙」 before 「進捗状況」: no header row in it"


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_workbook_with_a_cover_sheet_and_a_title_reads_the_same(bundled, bundled_rows, name):
    ds = read_table(DATA / name)
    drop = ("source", "municipality")
    assert record_dicts(ds, drop) == record_dicts(bundled, drop)
    assert [m.source.line for m in ds.measures] == [m.source.line + 2 for m in bundled.measures]  # the sheet's rows
    assert (ds.preamble, ds.municipality, ds.name) == ((TITLE,), "小金井市", "自殺総合対策計画")
    assert (ds.warnings[0].line, ds.warnings[0].message) == (1, COVER_SKIPPED)
    assert [w.line for w in ds.warnings if "title cell" in w.message] == [1]
    blank = [w.line + 2 for w in bundled.warnings if "blank line" in w.message]
    assert blank[:2] == [3, 4] and [w.line for w in ds.warnings if "blank line" in w.message] == [1, *blank]
    assert {w.line - 2 for w in ds.warnings if w.line > 2} == {w.line for w in bundled.warnings}
    # column numbers are the sheet's own: the table starts in column B, so 再掲 is column 7 (G), not 6
    assert any("inserted an empty 「再掲」 (column 7) cell" in w.message for w in ds.warnings)
    assert unaccounted(ds, [[TITLE], *bundled_rows]) == {}
    assert sum(r.entry.achievement == "100%" for r in ds.records()) == 18


def test_the_workbook_fixtures_hold_percentages_as_numbers():
    """The fixtures test what they are meant to: 「100%」 is the number 1 shown as a percentage, not text."""
    import io
    import zipfile

    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(DATA / "koganei_workbook.xls"))
    cells = [c for row in book.get_sheet_by_name("進捗状況").to_python() for c in row]
    assert cells.count(1) == 18 and "100%" not in cells
    content = zipfile.ZipFile(io.BytesIO((DATA / "koganei_workbook.ods").read_bytes())).read("content.xml")
    assert content.count(b'office:value-type="percentage" office:value="1"') == 18


def test_an_xlsx_with_a_cover_sheet_is_read_without_naming_the_sheet(bundled, bundled_rows, tmp_path):
    ds = read_table(save_xlsx(tmp_path / "koganei.xlsx", bundled_rows, sheet="進捗状況"))
    assert without_file(ds) == without_file(bundled)
    assert (ds.warnings[0].line, ds.warnings[0].message) == (1, COVER_SKIPPED)
    assert {w.line for w in ds.warnings[1:]} == {w.line for w in bundled.warnings}


def test_an_empty_sheet_and_a_table_of_contents_before_the_data_are_skipped(bundled, bundled_rows, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "目次"
    book.active.append(["1. 進捗状況"])
    book.active.append(["2. 注意事項: 実施内容は担当課の報告による"])
    book.create_sheet("空")
    data = book.create_sheet("進捗状況")
    for row in bundled_rows:
        data.append(row)
    book.save(tmp_path / "koganei.xlsx")
    ds = read_table(tmp_path / "koganei.xlsx")
    assert record_dicts(ds) == record_dicts(bundled)
    assert [w.message for w in ds.warnings[:2]] == [
        "skipped the sheet 「目次」 before 「進捗状況」: no header row in it",
        "skipped the sheet 「空」 before 「進捗状況」: it is empty"]


@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_sheet_named_in_config_wins(bundled, tmp_path, name):
    suffix = Path(name).suffix
    (tmp_path / f"report{suffix}").write_bytes((DATA / name).read_bytes())
    toml = tmp_path / "plansearch.toml"
    toml.write_text(f'[datasets.koganei]\nfile = "report{suffix}"\nsheet = "進捗状況"\n', encoding="utf-8")
    [ds] = read_paths([tmp_path])
    drop = ("source", "municipality")  # its title row names 小金井市
    assert record_dicts(ds, drop) == record_dicts(bundled, drop)
    assert COVER_SKIPPED not in [w.message for w in ds.warnings]  # not looked at: named
    toml.write_text(f'[datasets.koganei]\nfile = "report{suffix}"\nsheet = "表紙"\n', encoding="utf-8")
    with pytest.raises(TableError, match=r"report\.(xls|ods): no recognizable header row \(expected columns"):
        read_paths([tmp_path])  # the sheet named is read, even a cover
    toml.write_text(f'[datasets.koganei]\nfile = "report{suffix}"\nsheet = "進捗"\n', encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_paths([tmp_path])
    assert str(caught.value) == f"{tmp_path / f'report{suffix}'}: has no sheet '進捗' (sheets: 表紙, 進捗状況)"


def test_a_workbook_with_no_header_in_any_sheet_names_its_sheets(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "表紙"
    book.active.append(["小金井市自殺総合対策計画"])
    book.create_sheet("注意事項").append(["数値は速報値です"])
    book.create_sheet("Sheet3")
    book.save(tmp_path / "report.xlsx")
    with pytest.raises(TableError) as caught:
        read_table(tmp_path / "report.xlsx")
    assert str(caught.value) == (
        f"{tmp_path / 'report.xlsx'}: none of its sheets (表紙, 注意事項, Sheet3) has a recognizable header row "
        "(expected columns such as 実施内容, 担当課, 令和N年度実施状況); add the names to [header_aliases] in "
        "plansearch.toml")


def test_a_folder_of_xls_and_ods_tables_is_read(bundled, tmp_path):
    for name, slug in (("koganei_workbook.xls", "old"), ("koganei_workbook.ods", "libre")):
        (tmp_path / f"{slug}_{name}").write_bytes((DATA / name).read_bytes())
    datasets = read_paths([tmp_path])
    assert [ds.slug for ds in datasets] == ["libre", "old"]
    slugless = ("source", "measure_id", "dataset", "municipality")
    assert all(record_dicts(ds, slugless) == record_dicts(bundled, slugless) for ds in datasets)


#: (cell as typed, whether its format shows a percentage, what it reads as), in an .xls made here
XLS_CELLS = [(1.0, True, "100%"), (0.855, True, "85.5%"), (43.0, False, "43"), (1.5, False, "1.5"),
             ("実施", True, "実施"), (12345678901234.0, False, "12345678901234")]


def test_xls_cells_read_as_shown(tmp_path):
    """As from an .xlsx: a number formatted 0% as a percentage (calamine gives only the number: the format
    comes from the workbook's own records), a whole number without 「.0」; the sheet's own rows and columns."""
    from table_tools import XLS_PERCENT_XF, xls_bytes, xls_cell

    records = [xls_cell(2 + r, 3, value, XLS_PERCENT_XF if percent else 15)
               for r, (value, percent, _) in enumerate(XLS_CELLS)]
    path = tmp_path / "cells.xls"
    path.write_bytes(xls_bytes({"Sheet1": records}))
    rows = [(r.line, r.cells) for r in read_rows(path)]
    assert rows == [(1, []), (2, []), *((n, ["", "", "", shown]) for n, (*_, shown) in enumerate(XLS_CELLS, 3))]
