"""Read plan-evaluation tables into typed datasets, repairing and reporting layout faults."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path

from .config import DataConfig, DatasetConfig
from .headers import header_score, is_year_band, map_header, merged_aliases
from .measures import read_measures
from .models import Dataset, ReadWarning, TableError, TableInfo
from .names import names_from_title
from .sources import WORKBOOK_SUFFIXES, RawRow, Sheet, read_sheets, sheet_list

log = logging.getLogger(__name__)

#: Rows searched for the header.
HEADER_SEARCH_ROWS = 50
#: Sheets of a workbook searched for one with a header (a later one is named in plansearch.toml).
HEADER_SEARCH_SHEETS = 100


def read_table(path: Path | str, config: DatasetConfig | None = None, aliases: dict | None = None,
               encoding: str | None = None) -> Dataset:
    """Read one table file. Raises ``TableError`` naming the file when it cannot.

    Of a workbook, the sheet named by ``config.sheet`` is read, else the first sheet with a header row
    in its first ``HEADER_SEARCH_ROWS`` rows: the sheets before it (a cover sheet, a table of contents,
    an empty sheet) are skipped, each with a warning."""
    path = Path(path)
    config = config or DataConfig().for_file(path)
    try:
        alias_pairs = merged_aliases(aliases)
    except ValueError as exc:
        raise TableError(str(path), str(exc)) from None
    encoding = encoding or config.encoding
    sheets = read_sheets(path, encoding, config.sheet)
    try:
        return _TableReader(path, config, alias_pairs, encoding).read_sheets(sheets)
    finally:
        sheets.close()


#: Control characters, which no table means as text: vertical tab and form feed (line breaks in some
#: spreadsheet exports) become newlines, the rest (NUL, escape, bell, C1 controls …) are removed.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_REMOVED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def clean_cell(cell: str) -> str:
    """A cell as it is read: without control characters, nor whitespace around it (spaces, full-width spaces,
    no-break spaces, tabs …)."""
    if _CONTROLS.search(cell):
        cell = _CONTROLS.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", cell)
    return cell.strip()


class _TableReader:
    def __init__(self, path: Path, config: DatasetConfig, aliases: list[tuple[str, str]],
                 encoding: str | None = None) -> None:
        self.path = path
        #: The encoding the caller asked for, if any (a wrong one decodes to text with no header).
        self.encoding = encoding if path.suffix.lower() not in WORKBOOK_SUFFIXES else None
        self.name = str(path)
        self.config = config
        self.aliases = aliases
        self.warnings: list[ReadWarning] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ReadWarning(self.path.name, line, message))

    def read_sheets(self, sheets: Iterator[Sheet]) -> Dataset:
        """Read the sheet asked for, a text table's one, or the first sheet of a workbook with a header."""
        skipped: list[tuple[str, str]] = []  # each sheet passed over, and why
        for sheet in sheets:
            if len(skipped) == HEADER_SEARCH_SHEETS:
                raise TableError(self.name, f"none of its first {HEADER_SEARCH_SHEETS} sheets "
                                 f"({sheet_list([name for name, _ in skipped])}) has a recognizable header row; "
                                 "name the sheet to read with sheet = \"…\" in plansearch.toml")
            if sheet.name is not None:
                self.encoding = None  # a workbook has no encoding to blame
            if sheet.name is None or self.config.sheet is not None:
                return self.read(list(sheet.rows))
            rows = iter(sheet.rows)
            head = list(islice(rows, HEADER_SEARCH_ROWS))
            if self._header_row([[clean_cell(c) for c in r.cells] for r in head]) >= 0:
                for name, why in skipped:
                    self.warn(1, f"skipped the sheet 「{name}」 before 「{sheet.name}」: {why}")
                return self.read(head + list(rows))
            skipped.append((sheet.name, "no header row in it" if any(any(r.cells) for r in head) else "it is empty"))
        if not skipped:
            raise TableError(self.name, "has no worksheets")
        if len(skipped) == 1:
            raise self._no_header()
        raise TableError(self.name, f"none of its sheets ({sheet_list([name for name, _ in skipped])}) has a "
                         f"recognizable header row {_EXPECTED}")

    def read(self, rows: list[RawRow]) -> Dataset:
        trimmed = [RawRow(r.line, [clean_cell(c) for c in r.cells]) for r in rows]
        for raw, clean in zip(rows, trimmed, strict=True):
            controls = [c for c in raw.cells if _REMOVED.search(c)]
            if controls:
                first = _REMOVED.search(controls[0]).group()  # type: ignore[union-attr]
                self.warn(raw.line, f"removed control characters (such as U+{ord(first):04X}) from "
                                    f"{len(controls)} cell(s)")
            n = sum(1 for a, b in zip(raw.cells, clean.cells, strict=True) if a != b and b and a.strip() != a)
            if n:
                self.warn(raw.line, f"trimmed stray whitespace around {n} cell(s)")
        head = self._find_header(trimmed)
        for row in trimmed[:head]:
            if not any(row.cells):
                self.warn(row.line, "skipped a blank line")
        above = trimmed[head - 1].cells if head > 0 else ()
        header, notes = map_header(trimmed[head].cells, trimmed[head].line, self.aliases, above, self.config.year)
        for note in notes:
            self.warn(header.line, note)
        if not header.years:
            raise TableError(self.name, "the header names no yearly column (実施状況, 評価, 達成度, 今後の実施計画)",
                             header.line)
        preamble = tuple(c for r in trimmed[:head] for c in r.cells if c)
        # a row of merged year labels (令和2年度 | 令和3年度) above the header is part of it, not a title
        title_rows = trimmed[:head - 1] if head > 0 and is_year_band(above, header) else trimmed[:head]
        titles = [c for r in title_rows for c in r.cells if c]
        if titles:
            self.warn(trimmed[0].line, f"skipped {len(titles)} title cell(s) above the header: 「{titles[0][:40]}」")
        measures = read_measures(trimmed[head + 1:], header, self.config.slug, self.path.name, self.warn)
        if not measures:
            raise TableError(self.name, "has a header but no measure rows", header.line)
        log.info("read %s: %d measures, %d warnings", self.name, len(measures), len(self.warnings))
        municipality, plan = names_from_title(titles[0]) if titles else ("", "")
        if not (municipality or plan):
            municipality, plan = names_from_title(self.path.stem)
        municipality = self.config.municipality or municipality
        years = tuple(sorted({e.year for m in measures for e in m.years}))
        info = TableInfo(self.path.name, self.name, years, len(measures), len(self.warnings))
        return Dataset(slug=self.config.slug, path=self.name,
                       measures=tuple(replace(m, municipality=municipality) for m in measures),
                       warnings=tuple(self.warnings), name=self.config.name or plan, preamble=preamble,
                       header=header.names, municipality=municipality, tables=(info,))

    def _find_header(self, rows: Sequence[RawRow]) -> int:
        best = self._header_row([row.cells for row in rows])
        if best < 0:
            raise self._no_header()
        return best

    def _header_row(self, rows: Sequence[Sequence[str]]) -> int:
        """The index of the most header-like of the first rows, or -1 if none is a header."""
        best, best_score = -1, 1
        for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
            score = header_score(cells, self.aliases)
            if score > best_score:
                best, best_score = i, score
        return best

    def _no_header(self) -> TableError:
        if self.encoding:
            return TableError(self.name, f"no recognizable header row when decoded as {self.encoding}, "
                              "as asked; is that the file's encoding?")
        return TableError(self.name, f"no recognizable header row {_EXPECTED}")


_EXPECTED = ("(expected columns such as 実施内容, 担当課, 令和N年度実施状況); add the names to [header_aliases] in "
             "plansearch.toml")
