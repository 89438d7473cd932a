"""Make the workbook fixtures (see README): run once, with LibreOffice installed.

    python tests/data/workbooks/make_workbooks.py

Writes the bundled table as an .xlsx with openpyxl (a cover sheet 表紙, then the sheet 進捗状況: an
empty row 1, the title in B2, the bundled rows from B3 on, so bundled line L is row L + 2; each
「100%」 typed as the number 1 formatted 0%, as Excel keeps it) and has LibreOffice convert it to .xls
and .ods. Likewise two fictional cities' layouts (tests/data/cities): 乙町's table (title row, heading
rows, a column of items) and 丙村's (a band of years above the header), each after a cover sheet, kept
as .xlsx, .xls and .ods. Not a test module: the tests only read the files it made.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
BUNDLED = HERE.parents[2] / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"
TITLE = "小金井市自殺総合対策計画 令和2・3年度 進捗状況"
COVER = [["小金井市自殺総合対策計画"], ["令和2・3年度 進捗状況"], [], ["（表紙）"]]
CITIES = HERE.parent / "cities"
#: (table of tests/data/cities, the workbook's name, the data sheet's name, the cell its first row starts in)
CITY_WORKBOOKS = [("otsu_inochi_r4_r5.tsv", "otsu_workbook", "令和5年度", (1, 1)),
                  ("hei_keikaku_r5_r6.csv", "hei_workbook", "進捗", (3, 2))]


def main() -> None:
    rows = [line.split("\t") if line else [] for line in BUNDLED.read_text(encoding="utf-8").split("\n")]
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "表紙"
    for row in COVER:
        cover.append(row)
    ws = book.create_sheet("進捗状況")
    ws["B2"] = TITLE
    for r, row in enumerate(rows, start=3):
        for c, text in enumerate(row, start=2):
            cell = ws.cell(r, c, 1 if text == "100%" else text or None)
            if text == "100%":
                cell.number_format = "0%"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "koganei_workbook.xlsx"
        book.save(source)
        for fmt in ("xls", "ods"):
            subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", str(HERE), str(source)],
                           check=True, capture_output=True)
    print("wrote", *(HERE / f"koganei_workbook.{fmt}" for fmt in ("xls", "ods")), file=sys.stderr)
    for table, name, sheet, (top, left) in CITY_WORKBOOKS:
        path = CITIES / table
        text = path.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text), delimiter="," if path.suffix == ".csv" else "\t"))
        book = openpyxl.Workbook()
        book.active.title = "表紙"
        book.active.append([f"{table} の表（テスト用の架空の自治体）"])
        ws = book.create_sheet(sheet)
        for r, row in enumerate(rows, start=top):
            for c, text in enumerate(row, start=left):
                if text:
                    ws.cell(r, c, text)
        source = HERE / f"{name}.xlsx"
        book.save(source)
        for fmt in ("xls", "ods"):
            subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", str(HERE), str(source)],
                           check=True, capture_output=True)
        print("wrote", *(HERE / f"{name}.{fmt}" for fmt in ("xlsx", "xls", "ods")), file=sys.stderr)


if __name__ == "__main__":
    main()
