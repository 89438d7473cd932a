"""Hostile tables: wrong encodings, enormous cells and 100k rows are read whole or refused with a clear error."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from table_tools import unaccounted

from indexer import TableError, read_table
from indexer.reader import clean_cell
from indexer.sources import MAX_CELL_CHARS, read_rows


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
