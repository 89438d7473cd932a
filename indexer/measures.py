"""The rows under a table's header, read into measures: headings, repairs, numbering and ids.

A row is a blank line, a repeat of the header, a note (「※評価 A: 達成」), a heading (a priority policy
「重点施策3 …」, 「【基本施策2】…」 or an item 「(2) 自立に向けた支援」 alone in its row) or a measure. A heading
is the policy or item of the rows under it. A column whose cells are items (「(2) 相談窓口の充実」) is read as
the item, whatever its header says (基本施策, 施策 …). Measure rows are realigned when their cells sit in the
wrong columns (``repair``), numbered by a number column (「1-2-3」, 「3」), their title (「3 もくせい教室の設置」)
or their position, and given an id ``<dataset>/<policy>-<item>-<number>`` (a number column's 1-2-3 as written).
Every repair and oddity is reported through ``warn``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import repair
from .headers import EXTRA, HeaderMap, YearColumns
from .models import POSITIONAL, ExtraCell, Measure, Source, YearEntry
from .patterns import FIRST_NUMBER, ITEM_NO, NUMBER_PATH, POLICY_HEADING, TITLE_NO, as_int
from .sources import RawRow

Warn = Callable[[int, str], None]

#: Share of a column's cells that must be items (「(2) …」) for the column to be read as the item.
ITEM_COLUMN_SHARE = 0.6
#: A note under (or above) the measures: 「※自己評価 5:計画以上 …」, 「注) …」, 「(注) …」.
_NOTE = re.compile(r"^\s*(?:※|＊|\*|注\s*[)）:：]|[\(（]注[\)）])")


def read_measures(rows: Sequence[RawRow], header: HeaderMap, slug: str, file: str, warn: Warn) -> list[Measure]:
    """The measures of the (trimmed) rows under ``header``; ``warn(line, message)`` hears every repair."""
    return _Measures(header, slug, file, warn, rows).read(rows)


class _Measures:
    def __init__(self, header: HeaderMap, slug: str, file: str, warn: Warn, rows: Sequence[RawRow]) -> None:
        self.slug, self.file, self.warn = slug, file, warn
        header = self.header = _items_column(header, rows, warn)
        self.roles = ["extra"] * header.width
        for col, role in header.role_of.items():
            self.roles[col] = role.split("@")[0]
        full = [r.cells for r in rows if len(r.cells) == header.width and any(r.cells)]
        self.empty_ratio = [sum(1 for c in full if not c[i]) / len(full) if full else 0.0
                            for i in range(header.width)]
        self.title_col = header.static["title"]
        self.policy, self.policy_no, self.item, self.item_no = "", 0, "", 0
        self.seen_ids: dict[str, int] = {}
        self.per_item: dict[tuple[int, int], int] = {}
        #: heading rows (line, text) no measure row has come under yet, by level
        self.unused: dict[str, tuple[int, str]] = {}
        #: columns without a header whose cells were reported
        self.unnamed: set[int] = set()

    def read(self, rows: Sequence[RawRow]) -> list[Measure]:
        measures = []
        for row in rows:
            if not any(row.cells):
                self.warn(row.line, "skipped a blank line")
            elif _is_header_repeat(row.cells, self.header):
                others = [c for c in row.cells if c and c not in self.header.names]
                self.warn(row.line, "skipped a repeated header row" + (
                    f"; its cells 「{'」「'.join(c[:40] for c in others)}」 are not column names and are not indexed"
                    if others else ""))
            elif not self._heading(row):
                measures.append(self._measure(row))
        for line, text in self.unused.values():
            self._warn_unused(line, text)
        return measures

    def _heading(self, row: RawRow) -> bool:
        """Take a heading row (a policy or an item alone in its row); False if the row is not one."""
        cells = row.cells
        filled = [i for i, c in enumerate(cells) if c]
        title_cell = cells[self.title_col] if self.title_col < len(cells) else ""
        text = cells[filled[0]]
        if len(filled) == 1 and _NOTE.match(text):
            self.warn(row.line, f"skipped a note row 「{text[:60]}」; it is not indexed")
            return True
        if not (len(filled) == 1 and filled[0] <= self.title_col
                and (not title_cell or POLICY_HEADING.match(text) or ITEM_NO.match(text))):
            return False
        if ITEM_NO.match(text) and not POLICY_HEADING.match(text):
            self._superseded("item")
            self.item, self.item_no = text, as_int(ITEM_NO.match(text).group(1))
            self.unused["item"] = (row.line, text)
            return True
        # an unnumbered heading right under a numbered one that has no rows yet keeps its number
        renumber = not (self.policy_no and "policy" in self.unused)
        self._superseded("policy")
        self.policy, self.item, self.item_no = text, "", 0
        found = _heading_number(text)
        self.policy_no = found if found is not None else self.policy_no + renumber
        self.unused["policy"] = (row.line, text)
        return True

    def _superseded(self, level: str) -> None:
        """A new policy (or item) ends the one before: warn if no measure row came under it."""
        for kind in ("policy", "item") if level == "policy" else ("item",):
            if kind in self.unused:
                self._warn_unused(*self.unused.pop(kind))

    def _warn_unused(self, line: int, text: str) -> None:
        self.warn(line, f"no measure row comes under the heading 「{text[:40]}」; it is not indexed")

    def _measure(self, row: RawRow) -> Measure:
        header = self.header
        cells = self._aligned(row)

        def get(role: str) -> str:
            return cells[header.static[role]] if role in header.static else ""

        if get("policy") and get("policy") != self.policy:
            self._superseded("policy")
            self.policy, self.item, self.item_no = get("policy"), "", 0
            found = _heading_number(self.policy)
            self.policy_no = found if found is not None else self.policy_no + 1
        if get("item") and get("item") != self.item:
            self._superseded("item")
            self.item = get("item")
            m = ITEM_NO.match(self.item) or TITLE_NO.match(self.item)
            self.item_no = as_int(m.group(1)) if m else self.item_no + 1
        number_cell = get("number")
        number, title = self._number(row.line, get("title"), number_cell)
        if number_cell and not NUMBER_PATH.fullmatch(unicodedata.normalize("NFKC", number_cell).strip()):
            col = header.static["number"]
            self.warn(row.line, f"column {col + 1} 「{header.names[col]}」 holds 「{number_cell[:40]}」, not a measure "
                                f"number; its cells are {EXTRA}")
            number_cell = ""  # kept with the measure's other cells (below)
        page_text = get("plan_page")
        page = FIRST_NUMBER.search(unicodedata.normalize("NFKC", page_text))
        if page_text and not page:
            self.warn(row.line, f"plan page 「{page_text}」 has no page number; kept as text")
        years = tuple(e for e in (self._year_entry(row.line, cells, g) for g in header.years) if not e.is_empty())
        extra = tuple(ExtraCell(self._extra_name(row.line, i), c) for i, c in enumerate(cells)
                      if c and (i >= header.width or self.roles[i] == "extra"
                                or (self.roles[i] == "number" and not number_cell)))
        self.unused.clear()
        return Measure(
            measure_id=self._id(row.line, number), dataset=self.slug, number=number, title=title,
            policy=self.policy, item=self.item, plan_page=int(page.group(1)) if page else None,
            plan_page_text=page_text, department=get("department"), section=get("section"),
            repost=get("repost"), source=Source(self.file, row.line), years=years, extra=extra,
            number_text=number_cell,
        )

    def _extra_name(self, line: int, col: int) -> str:
        """The name an extra cell is shown under: its column's header, else its column's position."""
        name = self.header.unknown.get(col) or (
            self.header.names[col] if col < self.header.width and self.roles[col] == "number" else "")
        if name:
            return name
        if col < self.header.width and col not in self.unnamed:  # past the width, each row is warned about
            self.unnamed.add(col)
            self.warn(line, f"column {col + 1} has no header but holds cells; they are kept with each measure "
                            f"as 「{col + 1}列目」 (shown on its page, searched with its policy and section)")
        return f"{col + 1}列目"

    def _number(self, line: int, title_cell: str, number_cell: str = "") -> tuple[str, str]:
        """The measure's number and title: from a number column (「1-2-3」 is its whole place in the plan, 「3」 its
        number), from 「3 もくせい教室の設置」, or x1, x2 … by position in its item."""
        path = NUMBER_PATH.fullmatch(unicodedata.normalize("NFKC", number_cell).strip())
        if path:  # the title is kept as written, a number of its own too
            return "-".join(str(int(p)) for p in re.split(r"\D+", path.group()) if p), title_cell
        m = TITLE_NO.match(title_cell)
        if m:
            return str(as_int(m.group(1))), title_cell[m.end():]
        key = (self.policy_no, self.item_no)
        self.per_item[key] = self.per_item.get(key, 0) + 1
        number = f"{POSITIONAL}{self.per_item[key]}"
        self.warn(line, f"measure 「{title_cell[:30]}」 has no number; numbered {number} by position" if title_cell
                  else f"the row has no {self.header.names[self.title_col]} (title); kept as an untitled measure "
                  f"numbered {number} by position")
        return number, title_cell

    def _id(self, line: int, number: str) -> str:
        place = number if "-" in number else f"{self.policy_no}-{self.item_no}-{number}"
        measure_id = f"{self.slug}/{place}"
        if measure_id not in self.seen_ids:
            self.seen_ids[measure_id] = 1
            return measure_id
        self.seen_ids[measure_id] += 1
        new_id = f"{measure_id}.{self.seen_ids[measure_id]}"
        self.warn(line, f"measure id {measure_id} is used by an earlier row; this one is {new_id}")
        return new_id

    def _aligned(self, row: RawRow) -> list[str]:
        cells, width, names = list(row.cells), self.header.width, self.header.names
        if len(cells) < width:
            fixed = repair.realign(cells, self.roles, self.empty_ratio, names)
        elif len(cells) == width:
            fixed = repair.realign_padded(cells, self.roles, self.empty_ratio, names)
        else:
            fixed = repair.drop_surplus(cells, self.roles, names)
        if fixed is not None:
            cells, message = fixed
            if message:
                self.warn(row.line, message)
        elif len(cells) > width:
            self.warn(row.line, f"{len(cells)} cells for {width} columns; the cells past the last column are {EXTRA}")
        return cells

    def _year_entry(self, line: int, cells: list[str], group: YearColumns) -> YearEntry:
        value = {role: cells[col] if col < len(cells) else "" for role, col in group.columns.items()}
        achievement, plan = value.get("achievement", ""), value.get("plan", "")
        if "achievement" in value and "plan" in value and repair.unswap(achievement, plan):
            self.warn(line, f"{group.label}: 達成度 「{plan}」 and 今後の実施計画 were in each other's columns; "
                      "swapped back")
            achievement, plan = plan, achievement
        return YearEntry(year=group.year, year_label=group.label, status=value.get("status", ""),
                         evaluation=value.get("evaluation", ""), achievement=achievement, plan=plan,
                         source=Source(self.file, line))


def _heading_number(text: str) -> int | None:
    """The number of a policy heading: 重点施策3, 【基本施策2】, 基本目標1 …, or a leading 「3 」."""
    m = POLICY_HEADING.match(text)
    if m:
        return as_int(m.group(2))
    m = TITLE_NO.match(text)
    return as_int(m.group(1)) if m and not ITEM_NO.match(text) else None


def _items_column(header: HeaderMap, rows: Sequence[RawRow], warn: Warn) -> HeaderMap:
    """The header, with a column whose cells are items (「(2) 相談窓口の充実」) read as the item: the policy's
    column (headed 基本施策, say, in a table whose policies are heading rows) or the first column, whatever its
    header. Reported once."""
    if "item" in header.static:
        return header
    roles = header.role_of
    candidates = [col for role, col in header.static.items() if role == "policy"]
    if 0 not in roles and 0 not in candidates:
        candidates.append(0)
    for col in candidates:
        cells = [r.cells[col] for r in rows if col < len(r.cells) and r.cells[col] and sum(map(bool, r.cells)) > 1]
        items = [c for c in cells if ITEM_NO.match(c) and not POLICY_HEADING.match(c)]
        if cells and len(items) >= ITEM_COLUMN_SHARE * len(cells):
            static = {role: c for role, c in header.static.items() if c != col}
            static["item"] = col
            unknown = {c: name for c, name in header.unknown.items() if c != col}
            warn(header.line, f"column {col + 1} 「{header.names[col]}」 holds items such as 「{items[0][:30]}」; "
                              "read as each measure's item (計画における項目)")
            return replace(header, static=static, unknown=unknown)
    return header


def _is_header_repeat(cells: Sequence[str], header: HeaderMap) -> bool:
    filled = [(i, c) for i, c in enumerate(cells) if c]
    same = sum(1 for i, c in filled if i < header.width and c == header.names[i])
    return len(filled) >= 2 and same >= 0.8 * len(filled)

