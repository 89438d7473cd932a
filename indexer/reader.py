"""Read plan-evaluation tables into typed datasets, repairing and reporting layout faults."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from . import repair
from .config import DataConfig, DatasetConfig, load_config
from .headers import HeaderMap, YearColumns, header_score, is_year_band, map_header, merged_aliases
from .models import Dataset, Measure, PlansearchError, ReadWarning, Source, TableError, YearEntry
from .sources import XLSX_SUFFIXES, RawRow, read_rows, table_files

log = logging.getLogger(__name__)

#: Rows searched for the header.
HEADER_SEARCH_ROWS = 50
_SECTION = re.compile(r"^\s*[【\[［]?\s*(重点施策|基本施策|重点取組|施策|基本目標|目標)\s*([0-9０-９]+)")
_ITEM_NO = re.compile(r"^\s*[\(（]\s*([0-9０-９]+)\s*[\)）]")
_TITLE_NO = re.compile(r"^\s*([0-9０-９]+)[\s　.．、)）]+")
_PAGE_NO = re.compile(r"([0-9]+)")


def read_table(path: Path | str, config: DatasetConfig | None = None, aliases: dict | None = None,
               encoding: str | None = None) -> Dataset:
    """Read one table file. Raises ``TableError`` naming the file when it cannot."""
    path = Path(path)
    config = config or DataConfig().for_file(path)
    try:
        alias_pairs = merged_aliases(aliases)
    except ValueError as exc:
        raise TableError(str(path), str(exc)) from None
    encoding = encoding or config.encoding
    rows = list(read_rows(path, encoding, config.sheet))
    return _TableReader(path, config, alias_pairs, encoding).read(rows)


Fallback = Callable[[Path, TableError], Dataset | None]


def read_paths(paths: Iterable[Path | str], encoding: str | None = None,
               fallback: Fallback | None = None) -> list[Dataset]:
    """Read every table named, reading each folder's tables and its ``plansearch.toml``.

    ``fallback(file, error)``, if given, is asked for a dataset when a table cannot be read: it may return one
    (an earlier version), return ``None`` to leave the table out, or re-raise.
    """
    datasets: dict[str, Dataset] = {}
    for path in (Path(p) for p in paths):
        if path.is_dir():
            config = load_config(path)
            try:
                files = table_files(path)
            except OSError as exc:
                raise PlansearchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
            if not files:
                raise PlansearchError(f"{path}: no table files (.tsv, .csv, .xlsx) in this folder")
        else:
            config, files = load_config(path.parent if path.exists() else None), [path]
        for file in files:
            ds_config = config.for_file(file)
            try:
                ds = read_table(file, ds_config, config.header_aliases, encoding)
            except TableError as exc:
                if fallback is None:
                    raise
                ds = fallback(file, exc)
                if ds is None:
                    continue
            if ds.slug in datasets:
                raise PlansearchError(
                    f"{file}: dataset id {ds.slug!r} is also used by {datasets[ds.slug].path}; "
                    "give one of them another id in plansearch.toml"
                )
            datasets[ds.slug] = ds
    return list(datasets.values())


def _clean(cell: str) -> str:
    """A cell without the whitespace around it: spaces, full-width spaces, no-break spaces, tabs, form feeds …"""
    return cell.strip()


class _TableReader:
    def __init__(self, path: Path, config: DatasetConfig, aliases: list[tuple[str, str]],
                 encoding: str | None = None) -> None:
        self.path = path
        #: The encoding the caller asked for, if any (a wrong one decodes to text with no header).
        self.encoding = encoding if path.suffix.lower() not in XLSX_SUFFIXES else None
        self.name = str(path)
        self.config = config
        self.aliases = aliases
        self.warnings: list[ReadWarning] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ReadWarning(self.path.name, line, message))

    def read(self, rows: list[RawRow]) -> Dataset:
        trimmed = [RawRow(r.line, [_clean(c) for c in r.cells]) for r in rows]
        for raw, clean in zip(rows, trimmed, strict=True):
            n = sum(1 for a, b in zip(raw.cells, clean.cells, strict=True) if a != b and b)
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
        measures = self._measures(header, trimmed[head + 1:])
        if not measures:
            raise TableError(self.name, "has a header but no measure rows", header.line)
        log.info("read %s: %d measures, %d warnings", self.name, len(measures), len(self.warnings))
        return Dataset(slug=self.config.slug, path=self.name, measures=tuple(measures),
                       warnings=tuple(self.warnings), name=self.config.name or (titles[0] if titles else ""),
                       preamble=preamble, header=header.names)

    def _find_header(self, rows: Sequence[RawRow]) -> int:
        best, best_score = -1, 1
        for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            score = header_score(row.cells, self.aliases)
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            if self.encoding:
                raise TableError(self.name, f"no recognizable header row when decoded as {self.encoding}, "
                                 "as asked; is that the file's encoding?")
            raise TableError(self.name, "no recognizable header row (expected columns such as 実施内容, "
                             "担当課, 令和N年度実施状況); add the names to [header_aliases] in plansearch.toml")
        return best

    def _roles(self, header: HeaderMap) -> list[str]:
        roles = ["extra"] * header.width
        for col, role in header.role_of.items():
            roles[col] = role.split("@")[0]
        return roles

    def _measures(self, header: HeaderMap, rows: Sequence[RawRow]) -> list[Measure]:
        roles = self._roles(header)
        full = [r.cells for r in rows if len(r.cells) == header.width and any(r.cells)]
        empty_ratio = [sum(1 for c in full if not c[i]) / len(full) if full else 0.0 for i in range(header.width)]
        policy, policy_no, item, item_no = "", 0, "", 0
        measures: list[Measure] = []
        seen_ids: dict[str, int] = {}
        title_col = header.static["title"]
        per_item: dict[tuple[int, int], int] = {}
        unused: dict[str, tuple[int, str]] = {}  # heading rows no measure row has come under yet

        def superseded(kind: str) -> None:  # a new policy ends the item too
            for level in ("policy", "item") if kind == "policy" else ("item",):
                if level in unused:
                    self._warn_unused(*unused.pop(level))

        def heading(kind: str, line: int, text: str) -> None:
            superseded(kind)
            unused[kind] = (line, text)

        for row in rows:
            cells = row.cells
            if not any(cells):
                self.warn(row.line, "skipped a blank line")
                continue
            if _is_header_repeat(cells, header):
                others = [c for c in cells if c and c not in header.names]
                self.warn(row.line, "skipped a repeated header row" + (
                    f"; its cells 「{'」「'.join(c[:40] for c in others)}」 are not column names and are not indexed"
                    if others else ""))
                continue
            filled = [i for i, c in enumerate(cells) if c]
            title_cell = cells[title_col] if title_col < len(cells) else ""
            text = cells[filled[0]]
            if len(filled) == 1 and filled[0] <= title_col and (
                    not title_cell or _SECTION.match(text) or _ITEM_NO.match(text)):
                if _ITEM_NO.match(text) and not _SECTION.match(text):
                    item, item_no = text, _int(_ITEM_NO.match(text).group(1))
                    heading("item", row.line, text)
                else:
                    # an unnumbered heading right under a numbered one that has no rows yet keeps its number
                    renumber = not (policy_no and "policy" in unused)
                    heading("policy", row.line, text)
                    policy, item, item_no = text, "", 0
                    m = _SECTION.match(text)
                    policy_no = _int(m.group(2)) if m else policy_no + renumber
                continue
            cells = self._aligned(row, roles, empty_ratio, header)
            get = _getter(cells, header)
            if get("policy"):
                if get("policy") != policy:
                    superseded("policy")
                    policy = get("policy")
                    m = _SECTION.match(policy)
                    policy_no = _int(m.group(2)) if m else policy_no + 1
            if get("item"):
                if get("item") != item:
                    superseded("item")
                    item = get("item")
                    m = _ITEM_NO.match(item)
                    item_no = _int(m.group(1)) if m else item_no + 1
            title_cell = get("title")
            m = _TITLE_NO.match(title_cell)
            if m:
                number, title = str(_int(m.group(1))), title_cell[m.end():]
            else:
                key = (policy_no, item_no)
                per_item[key] = per_item.get(key, 0) + 1
                number, title = f"x{per_item[key]}", title_cell
                self.warn(row.line, f"measure 「{title_cell[:30]}」 has no number; numbered {number} by position"
                          if title_cell else f"the row has no {header.names[title_col]} (title); kept as an "
                          f"untitled measure numbered {number} by position")
            measure_id = f"{self.config.slug}/{policy_no}-{item_no}-{number}"
            if measure_id in seen_ids:
                seen_ids[measure_id] += 1
                new_id = f"{measure_id}.{seen_ids[measure_id]}"
                self.warn(row.line, f"measure id {measure_id} is used by an earlier row; this one is {new_id}")
                measure_id = new_id
            else:
                seen_ids[measure_id] = 1
            page_text = get("plan_page")
            page = _PAGE_NO.search(unicodedata.normalize("NFKC", page_text))
            if page_text and not page:
                self.warn(row.line, f"plan page 「{page_text}」 has no page number; kept as text")
            years = tuple(e for e in (self._year_entry(row.line, cells, g) for g in header.years)
                          if not e.is_empty())
            extra = tuple((header.unknown.get(i, f"column {i + 1}"), c) for i, c in enumerate(cells)
                          if c and (i >= header.width or roles[i] == "extra"))
            unused.clear()
            measures.append(Measure(
                measure_id=measure_id, dataset=self.config.slug, number=number, title=title,
                policy=policy, item=item, plan_page=int(page.group(1)) if page else None,
                plan_page_text=page_text, department=get("department"), section=get("section"),
                repost=get("repost"), source=Source(self.path.name, row.line), years=years, extra=extra,
            ))
        for line, text in unused.values():
            self._warn_unused(line, text)
        return measures

    def _warn_unused(self, line: int, text: str) -> None:
        self.warn(line, f"no measure row comes under the heading 「{text[:40]}」; it is not indexed")

    def _aligned(self, row: RawRow, roles: list[str], empty_ratio: list[float], header: HeaderMap) -> list[str]:
        cells = list(row.cells)
        names = header.names
        if len(cells) < header.width:
            fixed = repair.realign(cells, roles, empty_ratio, names)
        elif len(cells) == header.width:
            fixed = repair.realign_padded(cells, roles, empty_ratio, names)
        else:
            fixed = repair.drop_surplus(cells, roles, names)
        if fixed is not None:
            cells, message = fixed
            if message:
                self.warn(row.line, message)
        elif len(cells) > header.width:
            self.warn(row.line, f"{len(cells)} cells for {header.width} columns; "
                      "kept the cells past the last column as extra")
        return cells

    def _year_entry(self, line: int, cells: list[str], group: YearColumns) -> YearEntry:
        value = {role: cells[col] if col < len(cells) else "" for role, col in group.columns.items()}
        achievement, plan = value.get("achievement", ""), value.get("plan", "")
        if "achievement" in value and "plan" in value and repair.unswap(achievement, plan):
            self.warn(line, f"{group.label}: 達成度 「{plan}」 and 今後の実施計画 were in each other's columns; "
                      "swapped back")
            achievement, plan = plan, achievement
        return YearEntry(year=group.year, year_label=group.label, status=value.get("status", ""),
                         evaluation=value.get("evaluation", ""), achievement=achievement, plan=plan)


def _getter(cells: list[str], header: HeaderMap):
    def get(role: str) -> str:
        return cells[header.static[role]] if role in header.static else ""
    return get


def _is_header_repeat(cells: Sequence[str], header: HeaderMap) -> bool:
    filled = [(i, c) for i, c in enumerate(cells) if c]
    same = sum(1 for i, c in filled if i < header.width and c == header.names[i])
    return len(filled) >= 2 and same >= 0.8 * len(filled)


def _int(digits: str) -> int:
    return int(unicodedata.normalize("NFKC", digits))
