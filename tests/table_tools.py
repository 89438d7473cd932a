"""Helpers for the reader tests: raw cells of a table, and the "nothing lost" check.

Not a test module: the tests import it (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import openpyxl

from indexer import Dataset, Record
from indexer.reader import clean_cell

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "koganei_jisatsu_taisaku_r2_r3.tsv"
_NUMBERED = re.compile(r"([0-9０-９]+)[\s\u3000.．、)）]+(.*)", re.S)


def tsv_rows(text: str) -> list[list[str]]:
    """Rows of a TSV text as written (a blank line is a row of no cells)."""
    return [line.split("\t") if line else [] for line in text.split("\n")]


def to_tsv(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in rows)


def csv_text(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL, newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator=newline).writerows(rows)
    return out.getvalue()


def padded(rows: list[list[str]]) -> list[list[str]]:
    """Rows as Excel saves them: every row as wide as the widest, short ones filled with empty cells."""
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) if r else [] for r in rows]


def save_xlsx(path: Path, rows: list[list[str]], above: Sequence[list[str]] = (), sheet: str | None = None) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    if sheet:
        ws.title = "表紙"
        ws.append(["この表は進捗状況の一覧です"])
        ws = book.create_sheet(sheet)
    for row in [*above, *rows]:
        ws.append(row)
    book.save(path)
    return path


def record_dicts(ds: Dataset | list[Record], drop: tuple[str, ...] = ("source",)) -> list[dict]:
    """``to_dict()`` of every record without the keys in ``drop``, to compare two readings."""
    records = ds.records() if isinstance(ds, Dataset) else ds
    return [{k: v for k, v in r.to_dict().items() if k not in drop} for r in records]


def without_file(ds: Dataset) -> list[dict]:
    """Records as dicts with the source's line but not its file name."""
    dicts = record_dicts(ds, drop=())
    for d in dicts:
        d["source"] = d["source"]["line"]
    return dicts


def _is_title_cell(cell: str, number: str, title: str) -> bool:
    """Whether a source cell is the title cell ``<number> <title>`` of a measure."""
    if number.startswith("x"):  # a title without a number, numbered by position
        return cell == title
    m = _NUMBERED.fullmatch(cell)
    return bool(m) and int(unicodedata.normalize("NFKC", m[1])) == int(number) and m[2] == title


def field_values(ds: Dataset) -> Counter[str]:
    """Every non-empty value the dataset holds, except policies, items and titles."""
    values: Counter[str] = Counter(c for c in (*ds.preamble, *ds.header) if c)
    for m in ds.measures:
        values.update(v for v in (m.plan_page_text, m.department, m.section, m.repost) if v)
        values.update(cell for _, cell in m.extra if cell)
        for e in m.years:
            values.update(v for v in (e.status, e.evaluation, e.achievement, e.plan) if v)
    return values


def unaccounted(ds: Dataset, rows: list[list[str]]) -> dict[str, object]:
    """What does not add up between the source cells and the dataset's fields.

    Every non-empty cell (trimmed) must land in exactly one field of one record or
    of its measure (title cells as ``<number> <title>``), in the header or in the
    preamble. Policies, items and header names repeat by design (an item cell on
    every row, a header repeated down a long table): each policy and item must be
    a source cell, and every cell naming one, or naming a column, is accounted for
    by it. An empty result means nothing was lost and nothing was made up.
    """
    source = Counter(c for c in (clean_cell(c) for row in rows for c in row) if c)  # as the reader cleans
    groups = {g for m in ds.measures for g in (m.policy, m.item) if g}
    problems: dict[str, object] = {}
    invented_groups = sorted(g for g in groups if g not in source)
    titles_not_found = []
    for m in ds.measures:
        if not m.title and m.number.startswith("x"):
            continue  # a row without a title cell: kept as an untitled measure
        cell = next((c for c in source if source[c] and _is_title_cell(c, m.number, m.title)), None)
        if cell is None:
            titles_not_found.append(m.measure_id)
        else:
            source[cell] -= 1
    fields = field_values(ds)
    repeated = groups | set(ds.header)
    lost = Counter({c: n for c, n in (source - fields).items() if c not in repeated})
    invented = fields - source
    for name, value in (("lost", lost), ("invented", invented), ("invented policies/items", invented_groups),
                        ("titles not found", titles_not_found)):
        if value:
            problems[name] = dict(value) if isinstance(value, Counter) else value
    return problems


def clean_rows(bundled_rows: list[list[str]]) -> tuple[list[list[str]], list[int]]:
    """The bundled table as it should have been written, and each row's line in the bundled file.

    Blank lines dropped, the empty 再掲 cell put back in the rows that lack it, and
    令和2年度 達成度/今後の実施計画 of lines 16 and 17 swapped back.
    """
    rows, lines = [], []
    for line, row in enumerate(bundled_rows, start=1):
        if not any(row):
            continue
        row = list(row)
        if len(row) == 13:
            row.insert(5, "")
        if line in (16, 17):
            row[8], row[9] = row[9], row[8]
        rows.append(row)
        lines.append(line)
    return rows, lines


def unreported(ds: Dataset, rows: list[list[str]]) -> dict[str, object]:
    """``unaccounted`` less the cells a warning quotes: what was dropped silently or made up."""
    problems = unaccounted(ds, rows)
    said = " ".join(w.message for w in ds.warnings)
    silent = {c: n for c, n in problems.pop("lost", {}).items() if f"「{c[:20]}" not in said}
    return {**problems, "lost": silent} if silent else problems
