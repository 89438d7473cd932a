"""Randomly damaged copies of the bundled table read to the same records, with every repair reported.

The damage is the kind the bundled table shows: a row missing its empty cell
(the reader can only re-place a missing cell that was empty), 達成度 and
今後の実施計画 swapped within a year, blank lines, stray (full-width) spaces
around cells. Each copy is written as TSV, as CSV or as a CSV saved by Excel
(short rows padded to full width).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from table_tools import clean_rows, record_dicts, to_tsv, tsv_rows, unaccounted

from indexer import Dataset, read_table

#: 達成度 and 今後の実施計画 columns of each year in the bundled table
YEAR_COLUMNS = {2020: (8, 9), 2021: (12, 13)}
LABELS = {2020: "令和2年度", 2021: "令和3年度"}
#: Year entries whose swapped cells cannot be told apart: the plan is short or names an
#: achievement word (実施, 継続), so 「実施を継続していく。」 could be either column.
NOT_SWAPPABLE = {
    ("koganei/1-2-4", 2020), ("koganei/2-2-2", 2020), ("koganei/2-2-2", 2021),
    ("koganei/2-2-3", 2020), ("koganei/2-2-3", 2021), ("koganei/3-2-1", 2020), ("koganei/3-2-1", 2021),
}
SPACES = [" ", "\u3000", "\xa0", "\u3000\u3000", " \u3000"]
BLANK_LINES = [[], [""] * 14, ["\u3000"], [" ", "", " "]]
FORMATS = ["tsv", "csv", "excel"]


@dataclass
class Damage:
    missing: list[tuple[int, int]] = field(default_factory=list)  # (row, column) of an empty cell to delete
    swapped: list[tuple[int, int]] = field(default_factory=list)  # (row, year)
    spaces: list[tuple[tuple[int, int], str, bool]] = field(default_factory=list)  # (cell, space, before it)
    blanks: list[tuple[int, int]] = field(default_factory=list)  # (row it goes before, BLANK_LINES index)
    format: str = "tsv"


@dataclass
class Damaged:
    text: str
    line_of: list[int]  # each clean row's line in the damaged text
    expected: dict[int, list[str]]  # line → what its warnings must say


@pytest.fixture(scope="module")
def clean(bundled_rows) -> list[list[str]]:
    return clean_rows(bundled_rows)[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("damage")


@pytest.fixture(scope="module")
def clean_read(clean, workdir) -> Dataset:
    path = workdir / "koganei.tsv"
    path.write_text(to_tsv(clean), encoding="utf-8")
    return read_table(path)


@pytest.fixture(scope="module")
def damage_kinds(clean, clean_read):
    """What can be damaged: empty cells of measure rows, swappable year entries, non-empty cells."""
    measure_row = {m.source.line - 1: m.measure_id for m in clean_read.measures}
    empty = [(r, c) for r in measure_row for c, cell in enumerate(clean[r]) if not cell]
    swappable = [(r, y) for r, mid in measure_row.items() for y in YEAR_COLUMNS if (mid, y) not in NOT_SWAPPABLE]
    filled = [(r, c) for r, row in enumerate(clean) for c, cell in enumerate(row) if cell]
    return empty, swappable, filled


def damage_strategy(empty, swappable, filled, rows: int):
    return st.builds(
        Damage,
        missing=st.lists(st.sampled_from(empty), unique=True, max_size=4),
        swapped=st.lists(st.sampled_from(swappable), unique=True, max_size=4),
        spaces=st.lists(st.tuples(st.sampled_from(filled), st.sampled_from(SPACES), st.booleans()), max_size=4),
        blanks=st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, len(BLANK_LINES) - 1)), max_size=4),
        format=st.sampled_from(FORMATS),
    )


def apply(clean: list[list[str]], damage: Damage) -> Damaged:
    header = clean[0]
    rows = [list(r) for r in clean]
    says: dict[int, list[str]] = {}  # clean row → what its warning must say
    for r, year in damage.swapped:
        a, p = YEAR_COLUMNS[year]
        rows[r][a], rows[r][p] = rows[r][p], rows[r][a]
        says.setdefault(r, []).append(f"{LABELS[year]}: 達成度 「{clean[r][a]}」 and 今後の実施計画")
    for (r, c), space, before in damage.spaces:
        rows[r][c] = space + rows[r][c] if before else rows[r][c] + space
        says.setdefault(r, []).append("trimmed stray whitespace")
    for r, c in sorted(damage.missing, reverse=True):
        del rows[r][c]
        if damage.format == "excel" and c == len(header) - 1:
            continue  # Excel's padding puts a missing last cell back: nothing to repair
        says.setdefault(r, []).extend(["inserted an empty 「", f"「{header[c]}」 (column {c + 1})"])
    blanks_before = Counter(r for r, _ in damage.blanks)
    kinds = {r: [BLANK_LINES[k] for rr, k in damage.blanks if rr == r] for r in blanks_before}
    out: list[list[str]] = []
    line_of: list[int] = []
    expected: dict[int, list[str]] = {}
    for r, row in enumerate(rows):
        for blank in kinds.get(r, []):
            out.append(list(blank))
            expected[len(out)] = ["skipped a blank line"]
        out.append(row)
        line_of.append(len(out))
        if r in says:
            expected[len(out)] = says[r]
    return Damaged(write(out, damage.format), line_of, expected)


def write(rows: list[list[str]], fmt: str) -> str:
    if fmt == "tsv":
        return to_tsv(rows)
    if fmt == "excel":  # Excel saves every row as wide as the sheet
        rows = [r + [""] * (14 - len(r)) if r else r for r in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def read_damaged(workdir: Path, damaged: Damaged, fmt: str) -> Dataset:
    path = workdir / f"koganei.{'tsv' if fmt == 'tsv' else 'csv'}"
    path.write_text(damaged.text, encoding="utf-8")
    return read_table(path)


def source_of(damaged: Damaged, fmt: str) -> list[list[str]]:
    return tsv_rows(damaged.text) if fmt == "tsv" else list(csv.reader(damaged.text.splitlines()))


def check(clean_read: Dataset, ds: Dataset, damaged: Damaged, fmt: str) -> None:
    assert record_dicts(ds) == record_dicts(clean_read)
    assert [m.source.line for m in ds.measures] == [damaged.line_of[m.source.line - 1] for m in clean_read.measures]
    assert unaccounted(ds, source_of(damaged, fmt)) == {}
    warned: dict[int, str] = {}
    for w in ds.warnings:
        warned[w.line] = warned.get(w.line, "") + w.message + " | "
    for line, phrases in damaged.expected.items():
        for phrase in phrases:
            assert phrase in warned.get(line, ""), f"line {line}: no warning saying {phrase!r}: {warned}"
    assert set(warned) == set(damaged.expected), "a warning names a line that was not damaged"


#: A few damages spelled out; hypothesis draws many more.
EXAMPLES = [
    ("再掲 missing on line 5", Damage(missing=[(2, 5)])),
    ("再掲 and the empty plan of 成人健康相談 missing", Damage(missing=[(16, 5), (16, 13)], format="excel")),
    ("令和3年度 swapped on もくせい教室", Damage(swapped=[(8, 2021)], format="csv")),
    ("full-width spaces around a title and a plan", Damage(spaces=[((2, 1), "\u3000", True), ((2, 9), " ", False)])),
    ("blank lines before the header and a measure", Damage(blanks=[(0, 0), (0, 1), (5, 2)])),
    ("everything on one row", Damage(missing=[(3, 5)], swapped=[(3, 2020)], spaces=[((3, 6), "\xa0", True)],
                                     blanks=[(3, 3)], format="excel")),
]


@pytest.mark.parametrize(("name", "damage"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_damage_example(clean, clean_read, workdir, name, damage):
    damaged = apply(clean, damage)
    check(clean_read, read_damaged(workdir, damaged, damage.format), damaged, damage.format)


def test_the_clean_table_has_no_warnings(clean_read):
    assert clean_read.warnings == ()
    assert len(clean_read.records()) == 50


def test_damaged_tables_read_to_the_same_records(clean, clean_read, workdir, damage_kinds):
    empty, swappable, filled = damage_kinds

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(damage_strategy(empty, swappable, filled, len(clean)))
    @example(Damage(missing=[(r, 5) for r in sorted({r for r, _ in swappable})[:4]]))
    def run(damage: Damage) -> None:
        damaged = apply(clean, damage)
        check(clean_read, read_damaged(workdir, damaged, damage.format), damaged, damage.format)

    run()


def test_unrepairable_damage_still_loses_nothing(clean, workdir, damage_kinds):
    """A missing cell that held text cannot be put back in place, but its text is kept somewhere."""
    _, _, filled = damage_kinds

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.sampled_from([(r, c) for r, c in filled if r > 0 and c > 1]), unique=True, max_size=3),
           st.sampled_from(FORMATS))
    def run(cut: list[tuple[int, int]], fmt: str) -> None:
        rows = [list(r) for r in clean]
        for r, c in sorted(cut, reverse=True):
            rows[r].pop(c)
        text = write(rows, fmt)
        damaged = Damaged(text, [], {})
        ds = read_damaged(workdir, damaged, fmt)
        assert unaccounted(ds, source_of(damaged, fmt)) == {}
        if fmt != "excel":  # a padded row is only realigned when that fits clearly better
            assert {r + 1 for r, _ in cut} <= {w.line for w in ds.warnings}

    run()
