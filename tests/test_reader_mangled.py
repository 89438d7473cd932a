"""Randomly mangled copies of the bundled table: read with warnings or refused, never a crash, nothing dropped silently.

Hypothesis drops, duplicates, swaps and empties cells, cuts rows short or
makes them too long, drops and repeats whole rows, writes random text into
cells (tabs, newlines, quotes, control characters, emoji …) and flips random
bytes of the file, which is saved as TSV, CSV, Excel's CSV or XLSX in UTF-8,
UTF-16, Shift_JIS or EUC-JP. Whatever comes out, the reader either refuses the file with
one error naming it, or reads it so that every non-empty cell is in some field
(or quoted in a warning) and no value is made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from table_tools import csv_text, padded, save_xlsx, to_tsv, unreported

from indexer import TableError, read_table
from indexer.sources import read_rows

KINDS = ("drop", "duplicate", "swap", "empty", "cut", "extend", "text", "drop row", "repeat row")
#: Characters that break naive readers, mixed with the table's own.
NASTY = st.text(st.sampled_from(list("\t\n\r\"',;=+-@<>&\\\x00\x01\x0b\x0c\x1b\x7f\x85\u2028\ufeff\u200b\u3000 "
                                     "「」（）()№①㈱ｶﾞ😀重点施策(1)1 P.43課")), min_size=1, max_size=8)


@dataclass(frozen=True)
class Mangle:
    kind: str
    row: float  # where, as a fraction of the rows or cells, so any table size works
    cell: float
    other: float
    text: str

    def apply(self, rows: list[list[str]]) -> None:
        r = int(self.row * len(rows))
        row = rows[r]
        if self.kind == "drop row":
            del rows[r]
        elif self.kind == "repeat row":
            rows.insert(r, list(row))
        elif not row:
            return
        c, o = int(self.cell * len(row)), int(self.other * len(row))
        if self.kind == "drop":
            del row[c]
        elif self.kind == "duplicate":
            row.insert(c, row[c])
        elif self.kind == "swap":
            row[c], row[o] = row[o], row[c]
        elif self.kind == "empty":
            row[c] = ""
        elif self.kind == "cut":
            del row[c:]
        elif self.kind == "extend":
            row.extend([self.text, ""][: 1 + o % 2])
        elif self.kind == "text":
            at = int(self.other * len(row[c]))
            row[c] = row[c][:at] + self.text + row[c][at:]


fraction = st.floats(0, 1, exclude_max=True, allow_nan=False)
mangles = st.builds(Mangle, st.sampled_from(KINDS), fraction, fraction, fraction, NASTY)


#: (format, encoding): how an office saves the table; EUC-JP is read by no detection and must be refused.
SAVED = [("tsv", "utf-8"), ("tsv", "utf-8-sig"), ("tsv", "utf-16"), ("tsv", "cp932"), ("tsv", "euc-jp"),
         ("csv", "utf-8"), ("csv", "cp932"), ("excel", "utf-8-sig"), ("xlsx", None)]


def saved(rows: list[list[str]], fmt: str, encoding: str | None, path: Path) -> Path:
    """Save the rows the way ``fmt`` says; characters the encoding cannot hold become ``?``."""
    if fmt == "xlsx":  # a worksheet cannot hold control characters: Excel users cannot type them either
        return save_xlsx(path.with_suffix(".xlsx"), [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in r] for r in rows])
    if fmt == "tsv":
        text = to_tsv(rows)
    else:  # Excel saves every row as wide as the widest, with CRLF
        text = csv_text(padded(rows), newline="\r\n") if fmt == "excel" else csv_text(rows)
    path = path.with_suffix(".tsv" if fmt == "tsv" else ".csv")
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def check_read(path: Path) -> None:
    """Refused with one error naming the file, or read with nothing dropped silently and nothing made up."""
    try:
        ds = read_table(path)
    except TableError as exc:
        assert str(exc).startswith(f"{path}:") and "\n" not in str(exc)
        event(f"refused: {str(exc).split(': ', 1)[1][:40]}")
        return
    event(f"read with {'some' if ds.warnings else 'no'} warnings")
    assert ds.measures
    assert unreported(ds, [r.cells for r in read_rows(path)]) == {}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_mangled_tables_are_read_or_refused(bundled_rows, workdir):
    @settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(mangles, min_size=1, max_size=5), st.sampled_from(SAVED),
           st.lists(st.tuples(fraction, st.integers(0, 255)), max_size=3))
    # a heading row split in two by a newline: the first half heads no measure row
    @example([Mangle("text", 24 / 34, 0, 0.3, "😀\n")], ("tsv", "utf-8"), [])
    # the header row repeated, and a policy row followed by another heading
    @example([Mangle("repeat row", 2 / 34, 0, 0, "x"), Mangle("text", 20 / 34, 0.7, 0, "\t\n№")], ("csv", "cp932"), [])
    # a row without its title cell
    @example([Mangle("drop", 19 / 34, 1 / 13, 0, "x")], ("excel", "utf-8-sig"), [])
    # a form feed after a row: whitespace, trimmed like a space
    @example([Mangle("extend", 10 / 34, 0, 0, "\x0c")], ("xlsx", None), [])
    def run(mangled: list[Mangle], how: tuple[str, str | None], flips: list[tuple[float, int]]) -> None:
        rows = [list(r) for r in bundled_rows]
        for mangle in mangled:
            mangle.apply(rows)
        path = saved(rows, *how, workdir / "mangled")
        data = bytearray(path.read_bytes())
        for where, byte in flips:
            data[int(where * len(data))] = byte
        path.write_bytes(bytes(data))
        check_read(path)

    run()


def _insert(line: int, cells: list[str]):
    return lambda rows: rows.insert(line - 1, cells)


def _set(line: int, column: int, text: str):
    def edit(rows: list[list[str]]) -> None:
        rows[line - 1][column - 1] = text
    return edit


def _repeat_header_with(column: int, text: str):
    def edit(rows: list[list[str]]) -> None:
        header = list(rows[2])
        header[column - 1] = text
        rows.insert(12, header)
    return edit


#: (what, edit of the bundled rows, the line warned about, what the warning says, a measure it gives and its title)
MANGLED = [
    ("a note under a policy heading", _insert(22, ["（注）令和4年度に施策を再編予定"]), 22,
     "skipped a note row 「（注）令和4年度に施策を再編予定」; it is not indexed", "mangled/3-1-1", "住宅確保給付金"),
    ("a footnote after the last row", lambda rows: rows.append(["※ 達成度は担当課の自己評価による。"]), 34,
     "skipped a note row 「※ 達成度は担当課の自己評価による。」", "mangled/4-2-1", "小口事業資金融資あっせん制度"),
    ("an item heading left without rows", _insert(30, ["(3) 相談窓口の周知"]), 30,
     "no measure row comes under the heading 「(3) 相談窓口の周知」", "mangled/4-1-1", "就労支援事業"),
    ("the header repeated with a note in it", _repeat_header_with(6, "備考: 再掲は○"), 13,
     "skipped a repeated header row; its cells 「備考: 再掲は○」 are not column names and are not indexed",
     "mangled/2-1-1", "地域包括支援センター総合相談支援業務"),
    ("a row without its title", _set(6, 2, ""), 6,
     "the row has no 実施内容 (title); kept as an untitled measure numbered x1 by position", "mangled/1-1-x1", ""),
    ("a form feed after a row", lambda rows: rows[7].append("\x0c"), None, None,
     "mangled/1-1-4", "いじめ防止対策"),
]


@pytest.mark.parametrize(("name", "edit", "line", "says", "measure_id", "title"), MANGLED,
                         ids=[m[0] for m in MANGLED])
def test_mangled_example(bundled_rows, bundled, workdir, name, edit, line, says, measure_id, title):
    rows = [list(r) for r in bundled_rows]
    edit(rows)
    path = saved(rows, "tsv", "utf-8", workdir / "mangled")
    ds = read_table(path)
    assert unreported(ds, [r.cells for r in read_rows(path)]) == {}
    new = {str(w).split(": ", 1)[1] for w in ds.warnings} - {str(w).split(": ", 1)[1] for w in bundled.warnings}
    if says is None:
        assert not {m for m in new if "blank" not in m}
    else:
        assert any(str(w).startswith(f"mangled.tsv:{line}: {says}") for w in ds.warnings)
    measure = next(m for m in ds.measures if m.measure_id == measure_id)
    assert measure.title == title
    assert len(ds.measures) == len(bundled.measures)
