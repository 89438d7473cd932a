"""Hostile tables: wrong encodings, enormous cells and 100k rows are read whole or refused with a clear error."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from table_tools import (
    biff,
    ods_bytes,
    ods_cell,
    ods_content,
    ods_row,
    unaccounted,
    xls_bytes,
    xls_cell,
    xls_dimensions,
)

from indexer import PlansearchError, TableError, read_paths, read_table
from indexer.reader import clean_cell
from indexer.sources import MAX_CELL_CHARS, MAX_FILE_BYTES, read_rows


@pytest.mark.parametrize("encoding", ["cp932", "utf-16", "gb18030"])
def test_a_table_in_another_encoding_read_as_utf8_is_refused_or_read_whole(tmp_path, bundled_path, encoding):
    path = tmp_path / "other.tsv"
    path.write_bytes(bundled_path.read_text(encoding="utf-8").encode(encoding))
    try:
        ds = read_table(path, encoding="utf-8")
    except TableError as exc:
        assert str(path) in str(exc)
    else:  # only if the bytes happen to be valid UTF-8: then every cell is accounted for
        assert unaccounted(ds, [r.cells for r in read_rows(path, "utf-8")]) == {}


@pytest.mark.parametrize(("chars", "says"), [
    (MAX_CELL_CHARS + 1, "has a cell of 100,001 characters; the limit is 100,000"),
    (200_000, "has a cell of more than 131,072 characters; the limit is 100,000"),  # past the csv module's own limit
])
def test_an_enormous_cell_is_refused_with_its_line(tmp_path, bundled_path, chars, says):
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    cells = lines[6].split("\t")
    cells[7] = "長" * chars
    lines[6] = "\t".join(cells)
    path = tmp_path / "huge.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert str(caught.value) == f"{path}:7: {says}"


def test_an_unclosed_quote_swallowing_a_long_file_is_named_as_such(tmp_path, bundled_path):
    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    lines += [lines[6]] * 400  # long enough that the quoted cell passes the csv module's limit
    cells = lines[6].split("\t")
    cells[7] = '"' + cells[7]
    lines[6] = "\t".join(cells)
    path = tmp_path / "quote.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}:7: a quoted cell starting on this line is never closed")


def test_a_table_of_100k_rows_is_read(tmp_path, bundled_path):
    header = bundled_path.read_text(encoding="utf-8").split("\n")[2]
    rows = [header, "重点施策1 テスト"]
    for n in range(100_000):
        item = n // 1000 + 1
        rows.append("\t".join([f"({item}) 項目{item}", f"{n % 1000 + 1} 施策{n}", "P.1", "部", "課", "",
                               f"状況{n}", "評価", "実施", "計画", f"状況{n}", "評価", "100%", "計画"]))
    path = tmp_path / "big.tsv"
    path.write_text("\n".join(rows), encoding="utf-8")
    started = time.monotonic()
    ds = read_table(path)
    assert len(ds.measures) == 100_000 and len(ds.records()) == 200_000
    assert time.monotonic() - started < 120


@pytest.mark.parametrize(("cell", "clean"), [
    ("自殺対策\x1b[2J計画", "自殺対策[2J計画"),            # an escape sequence loses its ESC
    ("相談\x07窓口\x00", "相談窓口"),                        # bell, NUL
    ("講演会を実施\x0bゲートキーパー養成", "講演会を実施\nゲートキーパー養成"),  # a spreadsheet's line break
    ("\x85いのち支える\x9b31m", "いのち支える31m"),            # C1 controls (NEL, CSI)
    ("\u3000 実施 \t", "実施"),
    ("\x1b", ""),
    ("１００％", "１００％"),                                  # width is the analyzer's business, not the reader's
])
def test_clean_cell(cell, clean):
    assert clean_cell(cell) == clean


def test_control_characters_in_cells_are_removed_and_reported(tmp_path, bundled_path, capsys):
    from search_app.cli import main

    lines = bundled_path.read_text(encoding="utf-8").split("\n")
    cells = lines[5].split("\t")
    assert cells[1] == "2 教員向け研修の充実"
    cells[1] = "2 教員向け\x1b]0;pwned\x07研修の充実"
    cells[4] = "\x1b[31m指導室"
    lines[5] = "\t".join(cells)
    path = tmp_path / "koganei.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    ds = read_table(path)
    measure = next(m for m in ds.measures if m.measure_id.endswith("/1-1-2"))
    assert (measure.title, measure.section) == ("教員向け]0;pwned研修の充実", "[31m指導室")
    assert "removed control characters (such as U+001B) from 2 cell(s)" in [w.message for w in ds.warnings]
    assert main(["inspect", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "removed control characters (such as U+001B) from 2 cell(s)" in out
    named = path.rename(tmp_path / "koganei\x1b[2J.tsv")
    assert main(["inspect", str(named)]) == 2
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "koganei\\x1b[2J.tsv: has a file name that is not UTF-8 text" in err


@pytest.mark.parametrize(("text", "line", "unclosed"), [
    ('a,"b\nc,d\n', 1, True),
    ('a,"b""\nc,d\n', 1, True),          # "" is an escaped quote, not the closing one
    ('a,"b""c"\nd,e\n', 1, False),
    ('a,b"c\nd,e\n', 1, False),          # a quote inside an unquoted cell is a character
    ('"相談\n窓口",x\ny,z\n', 1, False),  # a closed cell over two lines
    ('a,b\nc,"d\n', 1, True),            # a later row's open quote runs to the end too
    ('a,b\nc,"d\n', 2, True),
    ('"a"\n', 1, False),
])
def test_unclosed_quote(text, line, unclosed):
    import csv

    from indexer.sources import _unclosed_quote

    limit = csv.field_size_limit()
    assert _unclosed_quote(text, line, ",") is unclosed
    assert csv.field_size_limit() == limit  # the process-wide limit is left alone


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from(['a', ',', '"', '\n', '\r', ' ']), max_size=40), st.integers(1, 4))
def test_unclosed_quote_agrees_with_the_csv_module(text, line):
    import csv
    import io

    from indexer.sources import _unclosed_quote

    lines = io.StringIO(text, newline="").readlines()
    if line > max(len(lines), 1):
        return
    tail = "".join(lines[line - 1:])
    sentinel = "\x01END"
    rows = list(csv.reader(io.StringIO(tail + "\n" + sentinel, newline=""), strict=False))
    swallowed = bool(rows) and rows[-1] != [sentinel]  # the sentinel line went into a quoted cell
    assert _unclosed_quote(text, line, ",") is swallowed


def test_unclosed_quote_runs_in_constant_memory():
    import tracemalloc

    from indexer.sources import _unclosed_quote

    text = '"' * 2_000_000 + "\n" + 'a,""' * 500_000
    tracemalloc.start()
    _unclosed_quote(text, 1, ",")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000  # the old pattern kept ~65 bytes per character


# -- hostile workbooks: .ods and .xls (an .xlsx: test_reader_errors.py) ----------------------------------------------
# Each is built here, refused in one line naming the file, and quickly: before it can cost memory.

DATA = Path(__file__).resolve().parent / "data" / "workbooks"
HEAD = ods_row(ods_cell("実施内容"), ods_cell("担当課"), ods_cell("令和3年度実施状況"))
BODY = ods_row(ods_cell("1 いじめ防止対策"), ods_cell("指導室"), ods_cell("年3回授業を実施した。"))


def error_of(call) -> PlansearchError:
    with pytest.raises(PlansearchError) as caught:
        call()
    return caught.value


def refused(path: Path, seconds: float = 10) -> str:
    """The one-line error reading ``path`` gives, checked to come within ``seconds``."""
    started = time.monotonic()
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert time.monotonic() - started < seconds
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    return message


def test_an_ods_zip_bomb_is_refused_unread(tmp_path):
    """A 300 KB .ods whose content.xml unpacks to 300 MiB (more than a workbook may: 256 MiB)."""
    import tracemalloc

    path = tmp_path / "bomb.ods"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        with z.open("content.xml", "w", force_zip64=True) as part:
            part.write(ods_content({"data": [HEAD, BODY]}).encode()[:-40])  # left open: the rest is padding
            for _ in range(300):
                part.write(b" " * (1 << 20))
    path.write_bytes(out.getvalue())
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    message = refused(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert re.fullmatch(rf"{re.escape(str(path))}: unpacks to 31[0-9],[0-9,]+ bytes; the limit is 268,435,456", message)
    assert peak < MAX_FILE_BYTES + 10_000_000  # the file is read into a buffer the size of the file limit; no more


def test_an_ods_whose_zip_understates_its_content_is_read_no_further(tmp_path):
    """The zip says content.xml is 1,000 bytes; it unpacks to far more: only the 1,000 are unpacked."""
    data = bytearray(ods_bytes({"data": [HEAD, *[BODY] * 2000]}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("content.xml")
    assert info.file_size > 100_000
    local = info.header_offset
    data[local + 22:local + 26] = (1000).to_bytes(4, "little")  # the local header's size …
    central = next(m.start() for m in re.finditer(b"PK\x01\x02", data) if data[m.start() + 46:].startswith(b"content"))
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")  # … and the central directory's
    path = tmp_path / "liar.ods"
    path.write_bytes(bytes(data))
    assert "is not a readable .ods workbook (BadZipFile: Bad CRC-32 for file 'content.xml')" in refused(path)


#: (the rows of a sheet after its header, what refusing it says); none of these takes a second
ODS_BOMBS = [
    ([ods_row(ods_cell("x", 10_000), repeat=10_000)], ":2: has a sheet of more than 10,000,000 cells"),  # 12 GB
    ([ods_row(ods_cell("x", 1_000_000_000))], ":2: has a row of more than 16,384 columns"),
    ([ods_row(ods_cell(), ods_cell("x"), ods_cell(repeat=1_000_000_000), ods_cell("y"))],
     ":2: has a row of more than 16,384 columns"),
    ([BODY, ods_row(ods_cell("x"), repeat=1_000_000_000)], ":200001: has more than 200,000 rows"),
    ([BODY, ods_row(repeat=5_000_000), BODY], ":200001: has more than 200,000 rows"),
    ([ods_row(ods_cell('長<text:s text:c="1000000000000"/>い'))],
     ":2: has a cell of 1,000,000,000,002 characters; the limit is 100,000"),
    ([ods_row(ods_cell("<text:s/>".join(["あ"] * 60_000)))], ":2: has a cell of 119,999 characters"),
    ([ods_row(ods_cell("x", repeat=-5), repeat="many")], ":2: is not a readable .ods workbook (_Unreadable: a repeat"),
]


@pytest.mark.parametrize(("rows", "says"), ODS_BOMBS, ids=range(len(ODS_BOMBS)))
def test_an_ods_that_would_expand_past_a_limit_is_refused(tmp_path, rows, says):
    path = tmp_path / "bomb.ods"
    path.write_bytes(ods_bytes({"data": [HEAD, *rows]}))
    assert path.stat().st_size < 2_000_000
    assert refused(path, seconds=5).startswith(f"{path}{says}")


def test_an_ods_with_a_million_empty_rows_and_columns_is_read(tmp_path):
    """As LibreOffice writes a sheet: the empty rows and columns to its end, repeated: nothing is expanded."""
    path = tmp_path / "koganei.ods"
    tail = [ods_row(ods_cell(repeat=16_381), repeat=1_048_570), ods_row(ods_cell(repeat=1_000_000_000))]
    path.write_bytes(ods_bytes({"data": [HEAD, ods_row(ods_cell("1 いじめ防止対策"), ods_cell(repeat=16_000),
                                                        ods_cell(repeat=3)), BODY, *tail]}))
    started = time.monotonic()
    assert len(read_table(path).measures) == 2
    assert time.monotonic() - started < 2


def _cut(data: bytes) -> bytes:
    return data[:len(data) // 2]


def _xlsx() -> bytes:
    import openpyxl

    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


#: (file name, its bytes, what refusing it says)
BAD_WORKBOOKS = [
    ("cut.ods", lambda: _cut((DATA / "koganei_workbook.ods").read_bytes()), "is not a readable .ods workbook ("),
    ("cut.xls", lambda: _cut((DATA / "koganei_workbook.xls").read_bytes()), "is not a readable .xls workbook ("),
    ("no_content.ods", lambda: ods_bytes(content=b"", parts={}).replace(b"content.xml", b"content.xmm"),
     "is not a readable .ods workbook (KeyError: \"There is no item named 'content.xml' in the archive\")"),
    ("not_xml.ods", lambda: ods_bytes(content=b"\x00\x01 not xml"), "is not a readable .ods workbook (ExpatError: "),
    ("cut_xml.ods", lambda: ods_bytes(content=ods_content({"data": [HEAD, BODY, BODY]})[:-120]),
     ":3: is not a readable .ods workbook (ExpatError: "),  # in the sheet's third row
    ("entities.ods", lambda: ods_bytes(content='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                                       + "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">'
                                                 for a, b in zip("abcdefgh", "bcdefghi", strict=True))
                                       + "]><x>&i;</x>"), "is not a readable .ods workbook (ExpatError: "),
    ("encrypted.ods", lambda: ods_bytes(content=b"\x8f\x12 encrypted bytes", parts={
        "META-INF/manifest.xml": b'<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
                                 b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>"}),
     "is a password-protected workbook; save it without the password"),
    ("csv.xls", lambda: "実施内容,担当課\n1 いじめ防止,指導室\n".encode("cp932"),
     "is not a readable .xls workbook: it is a text file (a CSV, TSV or web page named .xls?)"),
    ("page.xls", lambda: b"<html><body><table><tr><td>\x8e\xc0\x8e{</td></tr></table></body></html>",
     "is not a readable .xls workbook: it is a text file"),
    ("xlsx.ods", _xlsx, "is not a readable .ods workbook: it is an .xlsx workbook named .ods; rename it to .xlsx"),
    ("ods.xlsx", lambda: (DATA / "koganei_workbook.ods").read_bytes(),
     "is not a readable .xlsx workbook: it is an .ods workbook named .xlsx; rename it to .ods"),
    ("xls.ods", lambda: (DATA / "koganei_workbook.xls").read_bytes(),
     "is not a readable .ods workbook: it is an .xls workbook (or a password-protected .xlsx) named .ods"),
    ("xls.xlsx", lambda: (DATA / "koganei_workbook.xls").read_bytes(),
     "is not a readable .xlsx workbook: it is an .xls workbook (or a password-protected .xlsx) named .xlsx"),
    ("binary.ods", lambda: bytes(range(256)) * 8, "is not a readable .ods workbook (BadZipFile: "),
]


@pytest.mark.parametrize(("name", "make", "says"), BAD_WORKBOOKS, ids=[case[0] for case in BAD_WORKBOOKS])
def test_a_broken_or_misnamed_workbook_is_refused_in_one_line(tmp_path, name, make, says):
    path = tmp_path / name
    path.write_bytes(make())
    message = refused(path)
    assert says in message
    assert str(error_of(lambda: read_paths([tmp_path]))) == message


def test_a_workbook_read_by_its_bytes_whatever_its_text_name(tmp_path, bundled):
    """A workbook named .csv (or with no suffix) is read as what it is, as an .xlsx named so always was."""
    for name in ("koganei.csv", "koganei"):
        (tmp_path / name).write_bytes((DATA / "koganei_workbook.ods").read_bytes())
        assert len(read_table(tmp_path / name).measures) == len(bundled.measures)


#: an .xls's sheets (cell records after the BOF), and what refusing it says
XLS_BOMBS = [
    # 5 KB: calamine would hold 65,536 × 256 cells: 1 GB
    ({"Sheet1": [xls_cell(0, 0, "実施内容"), xls_cell(65535, 255, "x")]},
     "has sheets spanning more than 10,000,000 cells in all"),
    # a size declared past what can be allocated: calamine aborts the process (a last row before the first)
    ({"Sheet1": [xls_dimensions(100, 1, 0, 8), xls_cell(0, 0, "実施内容")]},
     "has a sheet that declares 34,359,737,576 cells, more than an .xls sheet holds (16,777,216); the file is"),
    ({"Sheet1": [xls_dimensions(0, 4_000_000_000, 0, 255), xls_cell(0, 0, "実施内容")]},
     "has a sheet that declares 1,020,000,000,000 cells"),
    # each sheet within the limit, not all: calamine reads every sheet when it opens the workbook
    ({f"S{n}": [xls_cell(0, 0, "x"), xls_cell(15_000, 199, "y")] for n in range(4)}, "has sheets spanning more"),
]


def test_an_xls_declaring_a_whole_sheet_is_read(tmp_path):
    """Excel declares the range of formatted cells too: a whole sheet is room reserved, not memory used."""
    path = tmp_path / "formatted.xls"
    rows = [["実施内容", "令和3年度実施状況"], ["1 いじめ防止", "実施した。"]]
    cells = [xls_cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)]
    path.write_bytes(xls_bytes({"Sheet1": [xls_dimensions(0, 65_536, 0, 256), *cells]}))
    assert len(read_table(path).measures) == 1


@pytest.mark.parametrize(("sheets", "says"), XLS_BOMBS, ids=range(len(XLS_BOMBS)))
def test_an_xls_that_calamine_could_not_hold_is_refused_before_it_sees_it(tmp_path, sheets, says):
    path = tmp_path / "bomb.xls"
    path.write_bytes(xls_bytes(sheets))
    assert path.stat().st_size < 10_000
    assert says in refused(path, seconds=2)


def test_a_password_protected_xls_is_named_as_such(tmp_path):
    path = tmp_path / "secret.xls"
    path.write_bytes(xls_bytes({"Sheet1": [xls_cell(0, 0, "実施内容")]}, extra=biff(0x002F, bytes(6) + b"\x01")))
    assert refused(path) == f"{path}: is a password-protected workbook; save it without the password"


def test_an_xls_whose_sector_chain_loops_is_refused(tmp_path):
    data = bytearray(xls_bytes({"Sheet1": [xls_cell(0, 0, "実施内容")]}))
    fat = len(data) - 512
    data[fat + 4 * 3:fat + 4 * 4] = (1).to_bytes(4, "little")  # sector 3 leads back to sector 1
    path = tmp_path / "loop.xls"
    path.write_bytes(bytes(data))
    assert "is not a readable .xls workbook (a chain of sectors is broken or loops)" in refused(path)


@pytest.mark.parametrize("name", ["koganei_workbook.xls", "koganei_workbook.ods"])
def test_damaged_copies_of_a_workbook_are_read_or_refused_in_one_line(tmp_path, name):
    """Bytes changed at random (the same each run) or the file cut short: never an exception but TableError."""
    import random

    source = (DATA / name).read_bytes()
    rng = random.Random(name)
    path = tmp_path / name
    started = time.monotonic()
    for _ in range(60):
        data = bytearray(source)
        for _ in range(rng.choice([1, 4, 16])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data[:rng.randrange(len(data))] if rng.random() < 0.2 else data))
        try:
            read_table(path)
        except TableError as exc:
            assert str(exc).startswith(f"{path}:") and "\n" not in str(exc)
    assert time.monotonic() - started < 60


def test_a_workbook_of_a_hundred_thousand_sheets_is_refused_in_one_short_line(tmp_path):
    path = tmp_path / "sheets.ods"
    path.write_bytes(ods_bytes({f"S{n}": [ods_row(ods_cell("表紙"))] for n in range(100_000)}))
    names = ", ".join(f"S{n}" for n in range(20))
    assert refused(path, seconds=5) == (f"{path}: none of its first 100 sheets ({names} … 100 in all) has a "
                                        'recognizable header row; name the sheet to read with sheet = "…" in '
                                        "plansearch.toml")
    (tmp_path / "plansearch.toml").write_text('[datasets.s]\nfile = "sheets.ods"\nsheet = "進捗状況"\n')
    started = time.monotonic()
    message = str(error_of(lambda: read_paths([tmp_path])))
    assert message == f"{path}: has no sheet '進捗状況' (sheets: {names} … 100,000 in all)"
    assert time.monotonic() - started < 10
